"""Evaluation fixes of branch fix15, each with the corpus line it came from (trimmed) and the
least patient that shows it: a stroke under 'cardiovascular disease', ICD-10-CM sequela and
subsequent-encounter codes of an injury, a medication's route given only as a code, and
levothyroxine's RxNorm code."""

from __future__ import annotations

from datetime import date

import pytest

import engine
from engine import derive
from engine.patient import Coding, ConditionRecord
from engine.vocab import load_vocabulary
from one_trial import exclusion

MAN = {"id": "p", "birth_date": "1950-01-01", "sex": "male"}


def _with(*conditions: dict) -> dict:
    return {**MAN, "conditions": list(conditions)}


# --- 1. a stroke and 'cardiovascular disease' ---------------------------------------------------

# as Synthea leaves it (Andy Schaden's bundle): a stroke of 1978, still 'active'
STROKE_1978 = {"name": "Stroke", "snomed": "230690007", "onset": "1978-10-05", "status": "active"}
CARDIAC_ARREST_1996 = {"name": "Cardiac Arrest", "snomed": "410429000", "onset": "1996-01-17", "status": "active"}
CVD = "History or evidence of cardiovascular condition"  # NCT02132949


def test_a_stroke_leaves_a_bare_cardiovascular_disease_unknown(tmp_path):
    # the stroke was a cardiovascular disease for every criterion, and excluded the patient from
    # trials that name stroke beside it when they mean it
    c = exclusion(tmp_path, _with(STROKE_1978), CVD)
    assert c.status == "unknown"
    assert any("counted as cardiovascular disease by some criteria and not by others" in r for r in c.reasons)


def test_a_heart_disease_is_still_a_cardiovascular_disease(tmp_path):
    assert exclusion(tmp_path, _with(CARDIAC_ARREST_1996), CVD).status == "fail"


def test_a_stroke_is_still_a_stroke(tmp_path):
    # NCT03867019: "History of Stroke (CVA), Multiple Sclerosis (MS) or Central Positional Vertigo.", trimmed
    assert exclusion(tmp_path, _with(STROKE_1978), "History of Stroke (CVA)").status == "fail"


def test_a_line_that_names_stroke_beside_cardiovascular_disease_reads_it(tmp_path):
    # NCT05043714: the stroke is one of the line's own items
    text = "Myocardial infarction, stroke or other significant cardiovascular or cerebrovascular event in the 12 months before the first dose of study treatment"
    recent = {**STROKE_1978, "onset": "2026-10-05", "abatement": "2026-10-20", "status": "resolved"}
    c = exclusion(tmp_path, _with(recent), text)
    assert c.status == "fail"


# --- 2. sequela and subsequent-encounter codes of an injury ----------------------------------------

SURGERY_OR_TRAUMA = "prior major surgery or trauma within 28 days prior to first dose of study drug"  # NCT05336721, trimmed


def _hip_fracture(seventh: str, onset: str = "2026-11-25", **more) -> dict:
    return {"name": "Fracture of neck of right femur", "icd10cm": f"S72.001{seventh}", "onset": onset, **more}


def test_an_initial_encounter_dates_the_injury(tmp_path):
    assert exclusion(tmp_path, _with(_hip_fracture("A")), SURGERY_OR_TRAUMA).status == "fail"


def test_a_sequela_is_not_an_injury_on_its_date(tmp_path):
    # the late effect of an old fracture, recorded last month, was a 'trauma within 28 days'
    c = exclusion(tmp_path, _with(_hip_fracture("S")), SURGERY_OR_TRAUMA)
    assert c.status == "unknown"
    assert any("coded as a sequela (ICD-10-CM S72.001S)" in r for r in c.reasons)


@pytest.mark.parametrize("code, past, later", [
    ("S72.001S", True, False),
    ("T07.XXXS", True, False),  # unspecified multiple injuries, sequela
    ("S72.001A", False, False),  # initial encounter
    ("S72.001D", False, True),
    ("S72.001P", False, True),  # malunion, a subsequent encounter
    ("O36.5930", False, False),  # a 7th character that is a fetus, not an encounter
    ("S72.00", False, False),
])
def test_the_seventh_character_of_an_injury_code(code, past, later):
    record = ConditionRecord(codings=(Coding(system="icd10cm", code=code),), onset=date(2026, 11, 25))
    assert (derive.past_record(record) is not None) is past
    assert (derive.later_encounter(record) is not None) is later


@pytest.mark.parametrize("seventh", ["D", "G", "K"])  # routine healing, delayed healing, nonunion
def test_a_subsequent_encounter_does_not_date_the_injury(tmp_path, seventh):
    c = exclusion(tmp_path, _with(_hip_fracture(seventh)), SURGERY_OR_TRAUMA)
    assert c.status == "unknown"
    assert any(f"coded for a subsequent encounter (ICD-10-CM S72.001{seventh})" in r for r in c.reasons)


def test_a_subsequent_encounter_before_the_window_is_outside_it(tmp_path):
    # the injury came no later than the visit, which was over long before the window
    old = _hip_fracture("D", onset="2024-03-01", abatement="2024-05-01", status="resolved")
    assert exclusion(tmp_path, _with(old), SURGERY_OR_TRAUMA).status == "pass"


def test_a_record_named_as_a_sequela_does_not_date_the_stroke(tmp_path):
    # NCT03928158: 'Sequelae of cerebral infarction' recorded last week was a stroke within 3 months
    sequelae = {"name": "Sequelae of cerebral infarction", "onset": "2026-11-30"}
    c = exclusion(tmp_path, _with(sequelae), "Stroke or TIA within the last 3 months of screening;")
    assert c.status == "unknown"
    assert any("named as the late effect of a past condition" in r for r in c.reasons)


# --- 3. a medication's route given only as a code ------------------------------------------------

# NCT04834778 (trimmed), as tests/test_fix14.py reads it
STEROIDS = "receiving systemic steroid therapy or any other form of immunosuppressive therapy within 7 days prior to the first dose of study treatment."


def _hydrocortisone(route_code: str) -> dict:
    """A FHIR bundle of a man with one MedicationRequest of hydrocortisone (RxNorm 5492), its
    dosage route a SNOMED CT code with no display and no text."""
    route = {"coding": [{"system": "http://snomed.info/sct", "code": route_code}]}
    request = {
        "resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "5492", "display": "hydrocortisone"}]},
        "authoredOn": "2026-11-20", "dosageInstruction": [{"route": route}],
    }
    patient = {"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": "1950-01-01"}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}, {"resource": request}]}


@pytest.mark.parametrize("code, status, why", [
    ("6064005", "unknown", "not given systemically"),  # topical: a cream
    ("18679011000001101", "unknown", "not given systemically"),  # inhalation (UK dm+d)
    ("26643006", "fail", None),  # oral: a tablet was read as maybe a cream
    ("47625008", "fail", None),  # intravenous
    ("999999", "unknown", "mostly given locally"),  # a code not in the table names no route
])
def test_a_route_coded_without_words_is_read(tmp_path, code, status, why):
    c = exclusion(tmp_path, _hydrocortisone(code), STEROIDS)
    assert c.status == status
    assert why is None or any(why in r for r in c.reasons)


def test_a_route_code_is_read_as_its_name():
    assert engine.load_patient(_hydrocortisone("6064005")).medications[0].route == "topical route"
    assert engine.load_patient(_hydrocortisone("999999")).medications[0].route is None


# --- 4. levothyroxine --------------------------------------------------------------------------


def test_levothyroxine_is_coded_as_the_ingredient_with_its_list_named():
    levothyroxine = load_vocabulary().get("drug", "levothyroxine")
    assert levothyroxine.codes == (("rxnorm", "10582"),)


def test_a_record_coded_10582_alone_is_levothyroxine(tmp_path):
    # NCT04408118 (trimmed): a record with the code and no name of the drug
    record = {"name": "tablet", "rxnorm": "10582", "start": "2015-01-01", "status": "active"}
    c = exclusion(tmp_path, {**MAN, "medications": [record]}, "on thyroid replacement hormone")
    assert c.status == "fail"
