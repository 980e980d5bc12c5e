"""Wrong confident fails found in the nineteenth audit (failed criteria that make trials
ineligible, /work/main at 27fdfcb, 2026-12-07). Each test screens the criterion as the registry
wrote it (trimmed, with its NCT id) for the least patient that shows the fault, and asserts what
a safe engine says: unknown, for a human to look at. K1 ('known' read as 'history of') is
another change's.

K2: a record of an event Synthea never closes (a cardiac arrest of 1996 left 'active') made
    a bare, present-tense 'Cardiovascular disease' true; the same record resolved, or the line
    'Active cardiac disease', was already unknown.
K3: 'systemic' was dropped from 'active systemic infection': a sinusitis or a cystitis excluded.
K4: an old open record of a condition a lab value defines (anaemia, neutropenia, ...) outweighed
    a normal value measured after its onset.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path.cwd() / "tests"))

from one_trial import exclusion, screen_text  # noqa: E402

AS_OF = date(2026, 12, 7)


def _patient(**records) -> dict:
    return {"id": "p", "birth_date": "1960-01-01", "sex": "female", **records}


CARDIAC_ARREST_1996 = {"name": "Cardiac Arrest", "snomed": "410429000", "status": "active", "onset": "1996-01-17"}


def _inclusion(tmp_path, patient: dict, text: str):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* Age 18 years or older\n* {text}")
    [c] = [c for c in result.criteria if c.text == text]
    return c


# K2 -- NCT03924622 (exclusion) 'Cardiovascular disease'; likewise NCT03864692, NCT03860766,
# NCT03863678 ('cardiovascular disease(s)'), NCT01647672 'With heart disease', NCT03869970
# 'Cardiac condition,', NCT03920449 'cardiovascular disease or heart failure'. Synthea patient
# 31052ccc: 'Cardiac Arrest', onset 1996-01-17 (age 13), never closed.
@pytest.mark.parametrize(
    "text",
    ["Cardiovascular disease", "With heart disease", "Cardiac condition,", "cardiovascular disease or heart failure"],
)
def test_k2_an_event_left_open_is_not_a_present_disease(tmp_path, text):
    c = exclusion(tmp_path, _patient(conditions=[CARDIAC_ARREST_1996]), text)
    assert c.status == "unknown", c.reasons


# K2 -- NCT01290939 (inclusion) 'Absence of any cardiovascular disorder, including but not
# limited to:', the same patient.
def test_k2_an_event_left_open_does_not_fail_absence_of_cardiovascular_disorder(tmp_path):
    c = _inclusion(tmp_path, _patient(conditions=[CARDIAC_ARREST_1996]), "Absence of any cardiovascular disorder")
    assert c.status == "unknown", c.reasons


# K2, what must stay: the same record under a line that asks the past ('history of') fails.
def test_k2_history_of_heart_disease_still_counts_the_event(tmp_path):
    c = exclusion(tmp_path, _patient(conditions=[CARDIAC_ARREST_1996]), "History of heart disease")
    assert c.status == "fail", c.reasons


def _on(name: str, loinc: str, value: float, unit: str, day: str = "2026-11-20") -> dict:
    return {"name": name, "loinc": loinc, "value": value, "unit": unit, "date": day}


ANEMIA_2014 = {"name": "Anemia (disorder)", "snomed": "271737000", "status": "active", "onset": "2014-04-07"}


# K4 -- NCT03864094 (exclusion) 'Anaemia'. Synthea patient 3552e945: 'Anemia (disorder)', onset
# 2008-06-20, never closed; last haemoglobin 13.1 g/dL (2019-09-27), after the onset. The same
# with a haemoglobin of 15.6 g/dL 17 days before the screening date. Neutropenia,
# thrombocytopenia and hypokalaemia beside a normal value behaved alike (made-up lines).
@pytest.mark.parametrize(
    ("text", "record", "value"),
    [
        ("Anaemia", ANEMIA_2014, _on("hemoglobin", "718-7", 15.6, "g/dL")),
        ("Neutropenia", {"name": "neutropenia", "snomed": "165517008", "status": "active", "onset": "2014-04-07"},
         _on("neutrophils", "751-8", 4.2, "10*9/L")),
        ("Thrombocytopenia", {"name": "thrombocytopenia", "snomed": "302215000", "status": "active", "onset": "2014-04-07"},
         _on("platelet count", "777-3", 250, "10*9/L")),
        ("Hypokalemia", {"name": "hypokalemia", "snomed": "43339004", "status": "active", "onset": "2014-04-07"},
         _on("potassium", "2823-3", 4.2, "mmol/L")),
    ],
)
def test_k4_an_open_record_beside_a_later_normal_value_is_unknown(tmp_path, text, record, value):
    c = exclusion(tmp_path, _patient(conditions=[record], observations=[value]), text)
    assert c.status == "unknown", c.reasons


# K4, what must stay: a low value, a normal value measured before the record's onset, and a
# past ('history of') line still fail.
@pytest.mark.parametrize(
    ("text", "onset", "value"),
    [
        ("Anaemia", "2014-04-07", _on("hemoglobin", "718-7", 9.5, "g/dL")),
        ("Anaemia", "2026-11-25", _on("hemoglobin", "718-7", 15.6, "g/dL")),
        ("History of anaemia", "2014-04-07", _on("hemoglobin", "718-7", 15.6, "g/dL")),
    ],
)
def test_k4_what_still_fails(tmp_path, text, onset, value):
    patient = _patient(conditions=[{**ANEMIA_2014, "onset": onset}], observations=[value])
    assert exclusion(tmp_path, patient, text).status == "fail"


SINUSITIS = {"name": "viral sinusitis", "snomed": "444814009", "status": "active", "onset": "2026-11-20"}
CYSTITIS = {"name": "acute infective cystitis", "snomed": "307426000", "status": "active", "onset": "2026-11-20"}
SEPSIS = {"name": "Sepsis", "snomed": "91302008", "status": "active", "onset": "2026-11-20"}


# K3 -- 'systemic' was a synonym of 'infection': synthetic patients with a viral sinusitis
# (008, 021) or an acute infective cystitis (011) failed these exclusions.
@pytest.mark.parametrize(
    ("text", "record"),
    [
        ("Patients with active systemic infections", SINUSITIS),  # NCT05766410
        ("The participant has active systemic infections or viral load.", CYSTITIS),  # NCT03155997
        ("Patients with active systemic infection (including HCV and HBV), or who are found to be HIV-positive", SINUSITIS),  # NCT03264547
    ],
)
def test_k3_a_local_infection_is_not_known_to_be_systemic(tmp_path, text, record):
    c = exclusion(tmp_path, _patient(conditions=[record]), text)
    assert c.status == "unknown", c.reasons


# K3, what must stay: a sepsis is a systemic infection, and a sinusitis is still an infection.
@pytest.mark.parametrize(("text", "record"), [("Patients with active systemic infections", SEPSIS), ("Active infection", SINUSITIS)])
def test_k3_what_still_fails(tmp_path, text, record):
    assert exclusion(tmp_path, _patient(conditions=[record]), text).status == "fail"


def test_k3_every_infection_is_at_least_maybe_a_systemic_infection():
    """A kind of infection added under 'infection' without 'systemic infection' as a parent,
    strict or loose, would be read as not systemic: 'active systemic infection' would pass a
    patient with it. Every one must reach it."""
    from engine.vocab import load_vocabulary

    vocab = load_vocabulary()
    infection, systemic = vocab.get("condition", "infection"), vocab.get("condition", "systemic infection")
    kinds = [c for c in vocab.concepts("condition") if infection in vocab.ancestors(c) and c is not systemic]
    assert kinds and [c.name for c in kinds if systemic not in vocab.ancestors(c)] == []


# K4 -- the audit's own case: NCT03864094 'Anaemia', 3552e945's last haemoglobin 13.1 g/dL of
# 2019-09-27, too old to say the patient is not anaemic today, but after the 2008 onset.
def test_k4_an_old_normal_value_after_the_onset_still_leaves_the_record_unknown(tmp_path):
    record = {**ANEMIA_2014, "onset": "2008-06-20"}
    value = _on("hemoglobin", "718-7", 13.1, "g/dL", day="2019-09-27")
    assert exclusion(tmp_path, _patient(conditions=[record], observations=[value]), "Anaemia").status == "unknown"
