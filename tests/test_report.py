"""The reports people read (issue 6): the terminal table, --verbose, the HTML page.

Runs call `engine.cli.main` in-process (stdout is not a terminal there, as in a pipe) or the
report functions on a ScreenResult built from hand-made trials.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from engine import report
from engine.cli import main
from engine.patients import load_patient
from engine.screen import screen
from engine.trials import Criterion, Trial

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCREEN = ROOT / "tests" / "fixtures" / "screen"
AS_OF = date(2026, 6, 1)
ESC = "\x1b"


def run(capsys, *argv) -> tuple[int, str, str]:
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def patient(**extra):
    record = {
        "id": "p1",
        "birth_date": "1972-03-04",
        "sex": "female",
        "observations": [{"loinc": "751-8", "value": 800, "unit": "/uL", "date": "2026-05-20"}],
        "conditions": [{"name": "Sézary syndrome", "icd10cm": "C84.10", "status": "active", "onset": "2023-01-01"}],
    }
    return load_patient({**record, **extra})


def trial(trial_id: str, *criteria: tuple[str, str], title: str = "a hand-made trial") -> Trial:
    return Trial(trial_id=trial_id, title=title, source="-", criteria=tuple(Criterion(section=s, text=t) for s, t in criteria))


TRIALS = [
    trial("T-ELIG", ("inclusion", "ANC >= 500/uL")),
    trial("T-INELIG", ("inclusion", "ANC >= 1500/uL"), ("exclusion", "History of malignancy except basal cell carcinoma of the skin")),
    trial("T-UNKNOWN", ("inclusion", "Hemoglobin >= 9 g/dL"), ("inclusion", "LVEF >= 50%"), ("inclusion", "Signed informed consent")),
]


@pytest.fixture(scope="module")
def result():
    return screen([patient()], TRIALS, as_of=AS_OF)


# ------------------------------------------------------------------- terminal


def test_piped_table_has_no_colour_codes_but_symbols_and_words(capsys):
    rc, out, err = run(capsys, "screen", EXAMPLES, "--as-of", AS_OF)
    assert (rc, err) == (0, "")
    assert ESC not in out
    for patient_file in EXAMPLES.glob("*.json"):
        assert patient_file.stem.replace("_", "-") in out
    assert "✘ ineligible" in out and "? unknown" in out
    assert "53 years, male" in out, "the header says the patient's age and sex"


def test_table_one_per_patient_trials_ranked_best_first(result):
    out = report.table(result)
    assert out.count("Patient p1") == 1
    assert "Patient p1, 54 years, female: 1 eligible, 1 unknown, 1 ineligible" in out
    positions = [out.index(t) for t in ("T-ELIG", "T-UNKNOWN", "T-INELIG")]
    assert positions == sorted(positions)
    assert "✔ eligible" in out and "✘ ineligible" in out and "? unknown" in out


def test_colour_only_when_asked(result):
    assert ESC in report.table(result, color=True)
    assert ESC not in report.table(result, color=False)


def test_ascii_fallback_keeps_the_words(result):
    out = report.table(result, ascii=True)
    assert not {"✔", "✘", "╭", "│"} & set(out)
    assert "+ eligible" in out and "x ineligible" in out and "? unknown" in out


def test_ascii_fallback_where_stdout_cannot_encode_the_symbols():
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    cmd = [sys.executable, "-m", "engine.cli", "screen", str(EXAMPLES / "case_report_sezary.json"), "--as-of", AS_OF.isoformat()]
    proc = subprocess.run(cmd, capture_output=True, env=env, cwd=ROOT, check=False)
    out = proc.stdout.decode("utf-8")
    assert proc.returncode == 0, proc.stderr
    assert "x ineligible" in out and "✘" not in out


@pytest.mark.parametrize(("no_color", "coloured"), [("", True), ("1", False)])
def test_a_terminal_gets_colour_unless_no_color(capsys, monkeypatch, no_color, coloured):
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("NO_COLOR", no_color)
    rc, out, _ = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--as-of", AS_OF)
    assert rc == 0
    assert (ESC in out) is coloured
    assert "ineligible" in out


def test_deciding_reasons_of_an_ineligible_trial_are_its_failing_criteria(result):
    t = next(t for t in result.patients[0].trials if t.trial_id == "T-INELIG")
    lines = report.deciding(t)
    assert lines[0].startswith("#1 inc: absolute neutrophil count 800 /uL (2026-05-20)")
    # the event comes before the exception that qualifies it
    assert lines[1] == "#2 exc: Sézary syndrome (onset 2023-01-01) on record"
    assert t.criteria[1].reasons[1] == "the excepted basal cell carcinoma of skin does not apply"


def test_deciding_reasons_of_an_unknown_trial_count_and_name_the_missing(result):
    t = next(t for t in result.patients[0].trials if t.trial_id == "T-UNKNOWN")
    assert report.deciding(t) == [
        "3 unknown criteria",
        "needs hemoglobin, left ventricular ejection fraction",
        "1 for the study team (judgment or text not understood)",
    ]


def test_verbose_shows_every_criterion_numbered_as_explain_takes_them(capsys):
    rc, out, _ = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", SCREEN / "basic.toml", "--as-of", AS_OF, "--verbose")
    assert rc == 0 and ESC not in out
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^  (\d[\d.]*) +(inc|exc) [✔✘?] ", out, re.MULTILINE)}
    # the minimum age (a structured field), five criteria, two sub-items of the 'following' one
    assert list(rows) == ["1", "2", "3", "4", "4.1", "4.2", "5", "6"]
    assert rows["4"] == "inc" and rows["5"] == rows["6"] == "exc"
    assert "elig explain SCREEN-BASIC N --patient case-report-sezary shows criterion N" in out
    assert "Hemoglobin >= 9 g/dL" in out and "Platelets >= 100,000/mm3" in out
    lines = out.splitlines()
    column = {key: next(line.index(key) for line in lines if key in line) for key in ("At least one of the following", "Platelets >= 100,000/mm3")}
    assert column["Platelets >= 100,000/mm3"] == column["At least one of the following"] + 2, "sub-items are indented"


def test_numbered_walks_sub_items_depth_first(result):
    from engine.screen import CriterionResult

    leaf = CriterionResult(section="inclusion", text="b", status="pass", canonical="b")
    parent = CriterionResult(section="inclusion", text="a", status="pass", canonical="a", children=(leaf, leaf))
    assert [(n, d) for n, d, _ in report.numbered((leaf, parent, leaf))] == [("1", 0), ("2", 0), ("2.1", 1), ("2.2", 1), ("3", 0)]


# ------------------------------------------------------------------- HTML


def test_html_is_one_self_contained_page(result):
    page = report.html(result)
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    lowered = page.lower()
    for outside in ("<script", "<link", "src=", "@import", "url(", "@font-face", "http://", "https://"):
        assert outside not in lowered, outside
    assert page.count("<details class='trial'") == 3


def test_html_patient_summary_has_age_sex_and_dated_labs(result):
    page = report.html(result)
    assert "Age <b>54 years</b>" in page and "Sex <b>female</b>" in page
    assert "absolute neutrophil count</span> <b>800 /uL</b> <time>2026-05-20</time>" in page


def test_html_marks_what_was_understood_and_what_was_not():
    t = trial("T-MARK", ("inclusion", "ANC >= 500/uL unless due to marrow involvement"), ("inclusion", "Signed informed consent"))
    page = report.html(screen([patient()], [t], as_of=AS_OF))
    assert "<mark class='ok'>ANC &gt;= 500/uL</mark> unless <mark class='no'>due to marrow involvement</mark>" in page
    assert "<mark class='judge'>Signed informed consent</mark>" in page


def test_html_escapes_every_text():
    evil = "<script>alert('x')</script> ANC >= 500/uL"
    t = trial("T-<b>", ("inclusion", evil), title="<img src=x onerror=alert(1)>")
    page = report.html(screen([patient(id="<p>")], [t], as_of=AS_OF))
    assert "<script" not in page and "<img" not in page and "<b>T-" not in page and "<p>" not in page.replace("<p class", "")
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page


def test_html_criteria_have_status_reasons_and_missing(result):
    page = report.html(result)
    unknown = page[page.index("id='trial-T-UNKNOWN'") :]
    unknown = unknown[: unknown.index("</details>")]
    assert "<b>Missing:</b> left ventricular ejection fraction" in unknown
    assert "no left ventricular ejection fraction on record on or before 2026-06-01" in unknown
    assert unknown.count("<li class='c' data-status='unknown'>") == 3
    assert "elig explain T-UNKNOWN N --patient p1 shows criterion N" in unknown


# ------------------------------------------------------------------- progress


def test_progress_bar_for_long_runs_on_a_terminal_only():
    import io

    from rich.console import Console

    from engine.progress import LONG_RUN, progress_bar

    def shown(total: int, enabled: bool) -> str:
        buf = io.StringIO()
        with progress_bar("screening", total, enabled=enabled, console=Console(file=buf, force_terminal=True, width=80)) as ticker:
            assert list(ticker.each(range(total))) == list(range(total))
        return buf.getvalue()

    assert "screening" in shown(LONG_RUN, True)
    assert shown(LONG_RUN - 1, True) == "" and shown(LONG_RUN * 10, False) == ""


@pytest.mark.parametrize("terminal", [False, True])
def test_screen_asks_for_progress_only_when_stderr_is_a_terminal(capsys, monkeypatch, terminal):
    module = sys.modules["engine.screen"]  # `engine.screen` is the function engine exports

    asked = []
    real = module.screen
    monkeypatch.setattr(module, "screen", lambda *a, **kw: asked.append(kw["progress"]) or real(*a, **{**kw, "progress": False}))
    monkeypatch.setattr(sys.stderr, "isatty", lambda: terminal)
    rc, out, err = run(capsys, "screen", EXAMPLES, "--as-of", AS_OF, "--format", "json")
    assert (rc, err, asked) == (0, "", [terminal])


def test_html_of_several_patients_links_to_each():
    result = screen([patient(), patient(id="p2")], TRIALS, as_of=AS_OF)
    page = report.html(result)
    assert "<a href='#patient-p1'>Patient p1, 54 years, female: 1 eligible, 1 unknown, 1 ineligible</a>" in page
    assert "<a href='#patient-p2'>" in page and "id='patient-p2'" in page
    assert "<nav>" not in report.html(screen([patient()], TRIALS, as_of=AS_OF))


def test_text_with_rich_markup_is_shown_as_written():
    t = trial("T-[b]", ("inclusion", "[bold red]ANC[/] >= 500/uL"), title="[link=x]title[/link]")
    out = report.table(screen([patient(id="[i]p")], [t], as_of=AS_OF), verbose=True, width=200)
    assert "[bold red]ANC[/] >= 500/uL" in out and "[link=x]title[/link]" in out
    assert "Patient [i]p" in out and "T-[b]" in out


@pytest.mark.parametrize(
    ("text", "status", "first"),
    [
        ("ANC >= 1500/uL if age >= 18 years", "fail", "absolute neutrophil count 800 /uL (2026-05-20)"),
        ("ANC >= 1500/uL if age < 18 years", "pass", "age 54 years at 2026-06-01"),
        ("Hemoglobin >= 9 g/dL if age >= 18 years", "unknown", "no hemoglobin on record"),
    ],
)
def test_a_conditional_reads_first_the_part_that_decides_it(text, status, first):
    c = screen([patient()], [trial("T-IF", ("inclusion", text))], as_of=AS_OF).patients[0].trials[0].criteria[0]
    assert c.status == status
    assert c.reasons[0].startswith(first), c.reasons
    assert any(r.startswith(("applies:", "does not apply:")) for r in c.reasons[1:])
