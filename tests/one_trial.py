"""A made-up trial of criteria text screened for one patient: the shape every audit test
reproduces a wrong verdict in (tests/test_audit7.py, test_audit8.py, test_audit8_lines.py,
test_vocab8.py)."""

from __future__ import annotations

import json
from datetime import date

import engine

AS_OF = date(2026, 12, 7)


def screen_text(tmp_path, patient: dict, criteria: str, *, as_of: date = AS_OF):
    """The TrialResult of `patient` (own JSON) against a ClinicalTrials.gov record whose
    eligibility text is `criteria`."""
    record = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000001", "briefTitle": "t"},
            "eligibilityModule": {"eligibilityCriteria": criteria, "sex": "ALL", "minimumAge": "1 Year"},
        }
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    [trial] = engine.load_trials(path)
    [result] = engine.screen([engine.load_patient(patient)], [trial], as_of=as_of).patients
    [trial_result] = result.trials
    return trial_result


def criterion(trial_result, start: str):
    """The one criterion of a TrialResult whose text starts with `start`."""
    [c] = [c for c in trial_result.criteria if c.text.startswith(start)]
    return c


def exclusion(tmp_path, patient: dict, text: str):
    """The CriterionResult of `text` as the one exclusion of a trial (beside an adult's age)."""
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* {text}")
    return criterion(result, text[:20])
