"""What to collect next (engine/collect.py): which missing item decides how many unknown trials."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.cli import main
from engine.collect import collect_next
from engine.patients import load_patient
from engine.screen import CriterionResult, TrialResult, screen
from engine.trials import Criterion, Trial

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2026, 6, 1)


def crit(status: str, *missing: str) -> CriterionResult:
    return CriterionResult(section="inclusion", text=",".join(missing) or status, status=status, missing=missing, canonical="")


def result(trial_id: str, status: str, *criteria: CriterionResult) -> TrialResult:
    return TrialResult(trial_id=trial_id, title="", status=status, criteria=criteria, unknown=sum(c.status == "unknown" for c in criteria))


def by_item(trials) -> dict[str, tuple[int, int, int]]:
    return {i.item: (i.decides, i.settles, i.needed_by) for i in collect_next(trials)}


def test_an_item_decides_a_trial_when_every_unknown_criterion_misses_only_it():
    trials = [
        result("A", "unknown", crit("unknown", "LVEF"), crit("pass"), crit("unknown", "LVEF")),
        result("B", "unknown", crit("unknown", "LVEF"), crit("unknown", "ANC")),
        result("C", "unknown", crit("unknown", "ANC", "LVEF")),
    ]
    assert by_item(trials) == {"LVEF": (1, 3, 3), "ANC": (0, 1, 2)}
    first = collect_next(trials)[0]
    assert (first.item, first.decides_trials, first.trials) == ("LVEF", ("A",), ("A", "B", "C"))


def test_a_criterion_no_data_can_settle_keeps_the_trial_undecided():
    """An unknown criterion with nothing missing (a judgment, text not understood) stays
    unknown whatever is collected: no item decides its trial."""
    trials = [result("A", "unknown", crit("unknown", "LVEF"), crit("unknown"))]
    assert by_item(trials) == {"LVEF": (0, 1, 1)}


def test_only_unknown_criteria_of_unknown_trials_count():
    trials = [
        result("E", "eligible", crit("pass")),
        result("I", "ineligible", crit("fail"), crit("unknown", "ANC")),
        result("U", "unknown", crit("pass", "stale"), crit("unknown", "hemoglobin")),
    ]
    assert by_item(trials) == {"hemoglobin": (1, 1, 1)}


def test_ranked_by_decides_then_settles_then_needed_by_then_name():
    trials = [
        result("A", "unknown", crit("unknown", "b"), crit("unknown", "a", "c")),
        result("B", "unknown", crit("unknown", "c", "a")),
        result("C", "unknown", crit("unknown", "d")),
        result("D", "unknown", crit("unknown", "e", "c")),
    ]
    assert [i.item for i in collect_next(trials)] == ["d", "b", "c", "a", "e"]


def test_collect_next_is_in_the_json_of_every_patient(capsys, tmp_path):
    trials = [
        Trial(trial_id="T1", title="t", source="-", criteria=(Criterion(section="inclusion", text="LVEF >= 50%"),)),
        Trial(trial_id="T2", title="t", source="-", criteria=(Criterion(section="inclusion", text="LVEF >= 40%"), Criterion(section="inclusion", text="ANC >= 500/uL"))),
    ]
    patient = load_patient({"id": "p"})
    expected = screen([patient], trials, as_of=AS_OF).model_dump(mode="json")["patients"][0]["collect_next"]
    assert expected == [
        {"item": "left ventricular ejection fraction", "decides": 1, "decides_trials": ["T1"], "settles": 2, "needed_by": 2, "trials": ["T1", "T2"]},
        {"item": "absolute neutrophil count", "decides": 0, "decides_trials": [], "settles": 1, "needed_by": 1, "trials": ["T2"]},
    ]
    rc = main(["screen", str(ROOT / "examples"), "--format", "json", "--as-of", AS_OF.isoformat()])
    out = json.loads(capsys.readouterr().out)
    assert rc == 0
    for p in out["patients"]:
        unknown = {t["trial_id"] for t in p["trials"] if t["status"] == "unknown"}
        assert isinstance(p["collect_next"], list)
        assert {tid for item in p["collect_next"] for tid in item["trials"]} <= unknown
        missing = {m for t in p["trials"] if t["status"] == "unknown" for c in t["criteria"] if c["status"] == "unknown" for m in c["missing"]}
        assert {item["item"] for item in p["collect_next"]} == missing


@pytest.mark.parametrize("fmt", ["table", "html"])
def test_collect_next_is_shown_in_table_and_html(capsys, fmt):
    rc = main(["screen", str(ROOT / "examples" / "near_fit_NCT06709469.json"), "--format", fmt, "--as-of", AS_OF.isoformat()])
    out = capsys.readouterr().out
    assert rc == 0
    assert "What to collect next" in out
    assert "investigational agent" in out and "needed by 1 trial" in out
    if fmt == "table":
        # the example is a boy of 15: a status only women have is no data to collect for him
        assert "childbearing potential" not in out.split("What to collect next")[1]
