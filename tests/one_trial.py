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


# Records of the group-limit tests (tests/test_case_sentences.py, test_group_limits.py,
# test_audit20.py): a liver metastasis and a laboratory value, in the own JSON format.
LIVER_METS = {"name": "Secondary malignant neoplasm of liver", "icd10cm": "C78.7", "onset": "2026-06-01", "status": "active"}


def lab(loinc: str, value: float, unit: str, ref_high: float | None = None, day: str = "2026-11-30") -> dict:
    """One observation by its LOINC code, with the laboratory's ULN when given."""
    found = {"loinc": loinc, "value": value, "unit": unit, "date": day}
    return found if ref_high is None else {**found, "ref_high": ref_high}


def transaminases(ast: float, alt: float) -> list[dict]:
    """AST and ALT in U/L, with the laboratory's ULN of 40 U/L each."""
    return [lab("1920-8", ast, "U/L", 40), lab("1742-6", alt, "U/L", 40)]


def inclusion(tmp_path, patient: dict, text: str):
    """The CriterionResult of `text` as the one inclusion of a trial (beside a pregnancy exclusion)."""
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* {text}\nExclusion Criteria:\n* Pregnancy")
    return criterion(result, text[:20])


def every_prepared(prepared):
    """Each prepared criterion of a trial's list, sub-items after their line, in order."""
    for p in prepared:
        yield p
        yield from every_prepared(p.children)


def bundled_trials_with(lines, trial_id: str) -> list:
    """The bundled trials and one more of `lines` ((section, text) pairs), prepared for
    screening: the corpus-like shapes a speed test compares fast and plain paths on."""
    import importlib

    from engine.trials import Criterion, Trial

    screening = importlib.import_module("engine.screen")
    trials = screening.load_trial_files(None)
    criteria = tuple(Criterion(section=section, text=text) for section, text in lines)
    trials.append(Trial(trial_id=trial_id, title="t", source="-", criteria=criteria))
    screening.prepare_trials(trials)
    return trials
