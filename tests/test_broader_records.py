"""A record of a broader condition than the criterion names leaves it unknown, not false.

A breast cancer coded C50.911 says nothing of its HER2 status, and 'leukemia' nothing of
its lineage: in a closed world their silence about 'HER2-positive breast cancer' or 'T-ALL'
made those FALSE, and an inclusion such as 'relapsed or refractory T-ALL' ruled out a
leukemia patient it may well fit. A record in another branch (lung cancer, for breast
cancer) or with a code that names something else (C50.9 is not basal cell carcinoma's
C44.91) still makes it FALSE.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.evaluate import evaluate
from engine.logic import Truth
from engine.nodes import Condition
from engine.parse import parse
from engine.patient import Coding, ConditionRecord, Patient

AS_OF = date(2026, 6, 1)
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"


def _with(system: str | None, code: str | None, text: str | None, onset: str = "2024-01-01") -> Patient:
    codings = (Coding(system=system, code=code),) if code else ()
    record = ConditionRecord(codings=codings, text=text, onset=date.fromisoformat(onset), clinical_status="active")
    return Patient(id="p", conditions=(record,))


BREAST = _with(ICD, "C50.911", "Malignant neoplasm of right female breast")
LEUKEMIA = _with(SNOMED, "93143009", "Leukemia")
LUNG = _with(ICD, "C34.90", "Malignant neoplasm of lung")
AML = _with(ICD, "C92.00", "Acute myeloid leukemia, not having achieved remission")
DIABETES = _with(ICD, "E11.9", "Type 2 diabetes mellitus without complications")


@pytest.mark.parametrize(
    ("criterion", "patient", "truth"),
    [
        # the broader record does not say: unknown, and the narrower condition is what is missing
        # (NCT04984356: "Evidence of relapsed or refractory T-ALL or T-LBL")
        ("HER2-positive breast cancer", BREAST, Truth.UNKNOWN),
        ("triple negative breast cancer", BREAST, Truth.UNKNOWN),
        ("T-ALL", LEUKEMIA, Truth.UNKNOWN),
        # a record in another branch says the patient has something else
        ("HER2-positive breast cancer", LUNG, Truth.FALSE),
        ("T-ALL", AML, Truth.FALSE),
        ("HER2-positive breast cancer", DIABETES, Truth.FALSE),
        # the record itself is the condition named
        ("breast cancer", BREAST, Truth.TRUE),
    ],
)
def test_a_broader_record_leaves_a_narrower_condition_unknown(criterion, patient, truth):
    outcome = evaluate(parse(criterion), patient, as_of=AS_OF)
    assert outcome.truth is truth, outcome.reasons
    if truth is Truth.UNKNOWN:
        assert any("does not say whether this is" in r for r in outcome.reasons)
        assert outcome.missing


def test_a_code_naming_another_condition_still_rules_it_out():
    # C50.9 is a malignant neoplasm like basal cell carcinoma of skin (C44.x1) but is not one
    outcome = evaluate(Condition(concept="basal cell carcinoma of skin"), _with(ICD, "C50.9", None), as_of=AS_OF)
    assert outcome.truth is Truth.FALSE, outcome.reasons


def test_a_broader_record_after_the_screening_date_is_not_used():
    later = _with(ICD, "C50.911", "Malignant neoplasm of right female breast", onset="2026-09-01")
    assert evaluate(parse("HER2-positive breast cancer"), later, as_of=AS_OF).truth is Truth.FALSE


def test_an_exclusion_of_the_narrower_condition_is_no_longer_passed():
    # 'Presence of CNS-3 disease' (NCT06709469): a leukemia record cannot show it absent
    outcome = evaluate(parse("Presence of CNS-3 disease"), LEUKEMIA, as_of=AS_OF, polarity=-1)
    assert outcome.truth is Truth.UNKNOWN, outcome.reasons


def test_a_record_of_a_loose_parent_leaves_the_narrower_condition_unknown():
    # urothelial carcinoma is mostly of the bladder but not only: a bladder cancer record
    # neither shows it nor rules it out; a lung cancer record does rule it out
    bladder = _with(ICD, "C67.9", "Malignant neoplasm of bladder, unspecified")
    assert evaluate(parse("Urothelial carcinoma"), bladder, as_of=AS_OF).truth is Truth.UNKNOWN
    assert evaluate(parse("Urothelial carcinoma"), LUNG, as_of=AS_OF).truth is Truth.FALSE
