"""What speed13 works out once instead of at every judgment gives what was asked every time
before: whether a line asks for its items' absence (`screen._Prepared.absent_items`, asked
of `_ABSENCE_HEADING` at every judgment before); whether a patient has a result a finding
reads (`findings.loinc_codes`, every observation scanned at every leaf before); Kleene's
AND and OR over many values (`logic.all_of`, `any_of`, which now skip operands equal to
what they have so far)."""

from __future__ import annotations

import importlib
import itertools
from datetime import date
from pathlib import Path

import pytest

from engine import findings
from engine.logic import Truth, all_of, any_of
from engine.patients import load_patient
from engine.synth import population
from engine.trials import Criterion, Trial

AS_OF = date(2026, 6, 1)
ROOT = Path(__file__).resolve().parents[1]
screening = importlib.import_module("engine.screen")  # the module: `engine.screen` is also the function

# NCT03923608 [1] (inclusion, with sub-items): 'should report the absence of:' / 'anemia,' / ...
ABSENCE = Criterion(
    section="inclusion",
    text="should report the absence of:",
    children=(Criterion(section="inclusion", text="anemia,"), Criterion(section="inclusion", text="diabetes,")),
)


def _walk(prepared):
    for p in prepared:
        yield p
        yield from _walk(p.children)


def test_absent_items_is_the_heading_asked_of_a_line_with_items():
    trials = screening.load_trial_files([str(screening.bundled_trials_dir())])
    trials.append(Trial(trial_id="NCT03923608", title="t", source="-", criteria=(ABSENCE, Criterion(section="inclusion", text="anemia"))))
    seen = set()
    for trial in trials:
        for p in _walk(screening._prepared(trial)):
            if p.tree is None:
                continue
            asked = bool(p.children) and screening._ABSENCE_HEADING.search(p.criterion.text) is not None
            assert p.absent_items is asked, p.criterion.text
            seen.add((p.criterion.text, p.absent_items))
    assert ("should report the absence of:", True) in seen
    assert ("anemia", False) in seen  # (the words alone, without items: nothing to cap)


def test_an_item_under_an_absence_lead_in_is_still_capped():
    # the cap itself (tests/test_audit16.py) through the field: anaemia on record does not pass 'anemia,'
    patient = load_patient({
        "id": "p", "birth_date": "1960-01-01", "sex": "male",
        "conditions": [{"name": "Anemia (disorder)", "snomed": "271737000", "onset": "1978-06-29", "status": "active"}],
    })
    trial = Trial(trial_id="NCT03923608", title="t", source="-", criteria=(ABSENCE,))
    [line] = screening.screen([patient], [trial], as_of=AS_OF).patients[0].trials[0].criteria[:1]
    anemia = line.children[0]
    assert anemia.status == "unknown"
    assert screening._ABSENT_ITEM in anemia.reasons[0]


@pytest.fixture(scope="module")
def patients():
    found = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(13, 40, as_of=AS_OF))]
    found += [load_patient(p) for p in sorted((ROOT / "examples").glob("*.json"))]
    return found


def _positive_results_scanned(patient, rule, as_of):
    """`findings.positive_results` as it was: every observation asked."""
    found = []
    for obs in patient.observations:
        if obs.date is None or obs.date > as_of or obs.unreadable:
            continue
        if not any(c.system == "loinc" and c.code in rule.loinc for c in obs.codings):
            continue
        if obs.value_code is not None and obs.value_code.system == "snomed":
            positive = obs.value_code.code in findings.POSITIVE_CODES
        else:
            positive = (obs.value_text or "").strip().lower() in findings.POSITIVE_TEXTS
        if positive:
            found.append(obs)
    found.sort(key=lambda o: o.date)
    return found


def test_loinc_codes_are_the_patients_own_and_results_as_scanned(patients):
    with_codes = 0
    for patient in patients:
        codes = {c.code for o in patient.observations for c in o.codings if c.system == "loinc"}
        assert findings.loinc_codes(patient) == codes  # asked after another patient: this one's
        with_codes += bool(codes)
        for rule in findings.RESULT_RULES:
            assert findings.positive_results(patient, rule, AS_OF) == _positive_results_scanned(patient, rule, AS_OF)
    assert with_codes > len(patients) // 2
    # a new patient object with other observations is not answered from the last one
    a, b = patients[0], load_patient({"id": "none", "birth_date": "1960-01-01", "sex": "male"})
    assert findings.loinc_codes(a) and not findings.loinc_codes(b) and findings.loinc_codes(a)


def _fold_and(truths):
    result = Truth.TRUE
    for t in truths:
        result = result & t
    return result


def _fold_or(truths):
    result = Truth.FALSE
    for t in truths:
        result = result | t
    return result


def test_all_of_and_any_of_are_the_folds_of_and_and_or():
    for n in range(5):
        for truths in itertools.product(Truth, repeat=n):
            assert all_of(iter(truths)) is _fold_and(truths), truths
            assert any_of(iter(truths)) is _fold_or(truths), truths
    with pytest.raises(ValueError):  # not a Truth: an error, as before, not a value
        all_of([Truth.FALSE, None])
