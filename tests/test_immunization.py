"""FHIR Immunization records, read as medications given on one day and coded by CVX (the CDC's
vaccine codes, which US exports and Synthea use). Skipped, 'Received a live vaccine within 30
days' could not see a rotavirus vaccine given a week before (every Synthea bundle holds 5-16
Immunization entries)."""

from __future__ import annotations

import pytest

import engine
from engine.vocab import load_vocabulary
from one_trial import exclusion

LIVE = "Received a live vaccine within 30 days before the first dose"


def _vaccinated(code: str, display: str, when: str = "2026-11-30", status: str = "completed") -> dict:
    shot = {
        "resourceType": "Immunization",
        "status": status,
        "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": code, "display": display}], "text": display},
        "occurrenceDateTime": f"{when}T10:00:00-05:00",
        "primarySource": True,
    }
    patient = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1980-01-01"}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}, {"resource": shot}]}


def test_an_immunization_is_a_medication_given_on_its_day():
    [record] = engine.load_patient(_vaccinated("119", "rotavirus, monovalent")).medications
    assert (record.codings[0].system, record.codings[0].code) == ("cvx", "119")
    assert record.start == record.end and record.start.isoformat() == "2026-11-30"


def test_a_vaccine_not_given_is_no_record():
    assert engine.load_patient(_vaccinated("119", "rotavirus, monovalent", status="not-done")).medications == ()


@pytest.mark.parametrize(("code", "display"), [("119", "rotavirus, monovalent"), ("121", "zoster"), ("03", "MMR"), ("21", "varicella")])
def test_a_live_vaccine_by_its_code_excludes(tmp_path, code, display):
    """Only the code decides: the display is the CDC's short name, which names no vaccine the
    vocabulary spells ('zoster')."""
    bundle = _vaccinated(code, display)
    bundle["entry"][1]["resource"]["vaccineCode"].pop("text")
    assert exclusion(tmp_path, bundle, LIVE).status == "fail"


def test_a_live_vaccine_given_long_before_does_not_exclude(tmp_path):
    assert exclusion(tmp_path, _vaccinated("121", "zoster", when="2015-05-01"), LIVE).status != "fail"


def test_an_inactivated_vaccine_is_no_live_one_and_vaccines_stay_open_world(tmp_path):
    """A flu shot (CVX 140) is a vaccine, not a live one; records of vaccines are often kept
    elsewhere (a pharmacy, a workplace), so no record of a live vaccine leaves it unknown."""
    flu = _vaccinated("140", "Influenza, seasonal, injectable, preservative free")
    assert exclusion(tmp_path, flu, LIVE).status == "unknown"
    assert exclusion(tmp_path, flu, "Vaccination within 30 days before the first dose").status == "fail"


def test_every_cvx_code_names_one_vaccine():
    vocabulary = load_vocabulary()
    seen: dict[str, str] = {}
    for concept in vocabulary.concepts("drug"):
        for code in (code for system, code in concept.codes if system == "cvx"):
            assert code not in seen, f"CVX {code} on {seen[code]} and {concept.name}"
            seen[code] = concept.name
    assert {"03", "21", "119", "121", "140"} <= set(seen)
