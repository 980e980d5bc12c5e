"""The HTML report in a real browser: headless Chromium from Debian's packages.

Runs where /usr/bin/chromium is installed (`.ci/run` installs it) and skips cleanly where it
is not. Chromium renders the page of `elig screen --format html`, writes a screenshot and
dumps its DOM, which must hold every trial with its status, in the order of the JSON, and
every criterion. A WebDriver session (selenium with /usr/bin/chromedriver) then clicks a
trial open, as a reader would, and checks its criteria become visible.
"""

from __future__ import annotations

import json
import os
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from engine.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
AS_OF = "2026-06-01"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--disable-dev-shm-usage",
]

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="Chromium is not installed (apt-get install chromium)")


@pytest.fixture(scope="module")
def page(tmp_path_factory) -> tuple[Path, dict]:
    """The HTML report of the example patients, and the JSON of the same screen."""
    folder = tmp_path_factory.mktemp("html")
    target = folder / "report.html"
    assert main(["screen", str(EXAMPLES), "--as-of", AS_OF, "--format", "html", "--output", str(target)]) == 0
    assert main(["screen", str(EXAMPLES), "--as-of", AS_OF, "--format", "json", "--output", str(folder / "report.json")]) == 0
    return target, json.loads((folder / "report.json").read_text())


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "profile"
    cmd = [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, timeout=120, check=False, cwd=tmp_path)


def test_screenshot_is_a_real_picture(page, tmp_path):
    html, _ = page
    shot = tmp_path / "shot.png"
    proc = chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", html.as_uri())
    assert shot.exists(), proc.stderr.decode(errors="replace")[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 1600)
    assert len(data) > 50_000, "a page with text and colour, not a blank one"


class _Dom(HTMLParser):
    """Trials (id, status, badge text) and criteria (status) as the browser built them."""

    def __init__(self) -> None:
        super().__init__()
        self.trials: list[dict] = []
        self.patients: list[str] = []
        self._badge: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "section" and a.get("class") == "patient":
            self.patients.append(a["id"].removeprefix("patient-"))
        if tag == "details" and "trial" in (a.get("class") or "").split():
            self.trials.append({"id": a["id"].removeprefix("trial-"), "status": a["data-status"], "open": "open" in a, "criteria": [], "badge": ""})
        elif tag == "li" and a.get("class") == "c":
            self.trials[-1]["criteria"].append(a["data-status"])
        elif tag == "span" and (a.get("class") or "").startswith("badge ") and self.trials and not self.trials[-1]["badge"]:
            self._badge = self.trials[-1]

    def handle_data(self, data):
        if self._badge is not None:
            self._badge["badge"] = data
            self._badge = None


def _count(criteria: list[dict]) -> list[str]:
    return [s for c in criteria for s in (c["status"], *_count(c["children"]))]


def test_dom_has_every_trial_status_and_criterion(page, tmp_path):
    html, screened = page
    proc = chromium(tmp_path, "--dump-dom", html.as_uri())
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-2000:]
    dom = _Dom()
    dom.feed(proc.stdout.decode("utf-8"))
    expected = [t for p in screened["patients"] for t in p["trials"]]
    assert dom.patients == [p["patient_id"] for p in screened["patients"]]
    assert [(t["id"], t["status"]) for t in dom.trials] == [(t["trial_id"], t["status"]) for t in expected]
    for shown, trial in zip(dom.trials, expected):
        assert shown["badge"].endswith(trial["status"]) and shown["badge"][0] in "✔✘?"
        assert shown["criteria"] == _count(trial["criteria"]), trial["trial_id"]
        assert not shown["open"], "trials start closed"


def test_a_trial_opens_when_clicked(page, tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    if not CHROMEDRIVER.exists():
        pytest.skip("chromedriver is not installed (apt-get install chromium-driver)")
    from selenium.webdriver.common.by import By

    html, screened = page
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in [*FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1280,1000"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=webdriver.ChromeService(executable_path=str(CHROMEDRIVER), log_output=os.devnull))
    try:
        driver.get(html.as_uri())
        first = screened["patients"][0]["trials"][0]
        trial = driver.find_element(By.ID, f"trial-{first['trial_id']}")
        criterion = trial.find_element(By.CSS_SELECTOR, "li.c")
        assert trial.get_property("open") is False and not criterion.is_displayed()
        trial.find_element(By.TAG_NAME, "summary").click()
        assert trial.get_property("open") is True and criterion.is_displayed()
        assert first["criteria"][0]["text"] in criterion.text
        trial.screenshot(str(tmp_path / "opened.png"))
        assert (tmp_path / "opened.png").stat().st_size > 10_000
    finally:
        driver.quit()
