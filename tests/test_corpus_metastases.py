"""Metastases, quoted (trimmed) from the public corpus (../shared/data/corpus), and what a
treatment was given for.

Metastatic disease and its common sites are open world: a record often codes the primary
cancer and not its spread (ICD-10-CM C77-C79 when it does), so no record leaves them unknown
and a record makes them true. 'Prior chemotherapy for metastatic disease' asks what the
treatment was given for, which no record links: false without the treatment (or without
the condition), for the study team when both are there.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.evaluate import evaluate
from engine.logic import Truth
from engine.nodes import Condition, Modifier, walk
from engine.parse import parse
from engine.patient import Coding, ConditionRecord, Patient, ProcedureRecord
from engine.render import render
from engine.summary import unparsed

AS_OF = date(2026, 6, 1)
ICD = "http://hl7.org/fhir/sid/icd-10-cm"
SNOMED = "http://snomed.info/sct"


def _condition(code: str, text: str) -> ConditionRecord:
    return ConditionRecord(codings=(Coding(system=ICD, code=code),), text=text, onset=date(2024, 1, 1), clinical_status="active")


BREAST = _condition("C50.911", "Malignant neoplasm of right female breast")
LIVER_METS = _condition("C78.7", "Secondary malignant neoplasm of liver")
CHEMO = ProcedureRecord(codings=(Coding(system=SNOMED, code="367336001"),), text="Chemotherapy", start=date(2023, 3, 1))


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Has metastatic disease.", "metastatic disease"),
        ("Multiple bone metastases indicated by bone scan", "bone metastases"),
        ("Discrete lung metastases are acceptable if respiratory function is not significantly compromised", "lung metastases"),
        ("AST and ALT \u2264 2.5 \u00d7 ULN; if hepatic metastases are present, \u22645.0 \u00d7 ULN", "liver metastases"),
    ],
)
def test_metastases_are_conditions(text, concept):
    assert concept in [n.concept for n in walk(parse(text)) if isinstance(n, Condition)], render(parse(text))


@pytest.mark.parametrize(
    ("records", "truth"),
    [
        ((LIVER_METS,), Truth.TRUE),
        # the primary alone: its spread is not coded, so not known absent
        ((BREAST,), Truth.UNKNOWN),
        ((), Truth.UNKNOWN),
    ],
)
def test_metastases_are_open_world(records, truth):
    patient = Patient(id="p", conditions=records)
    assert evaluate(parse("Has metastatic disease."), patient, as_of=AS_OF).truth is truth
    assert evaluate(parse("liver metastases"), patient, as_of=AS_OF).truth is truth


@pytest.mark.parametrize(
    ("conditions", "procedures", "truth"),
    [
        ((), (), Truth.FALSE),  # no chemotherapy: none for anything
        ((BREAST,), (), Truth.FALSE),
        ((BREAST, LIVER_METS), (CHEMO,), Truth.UNKNOWN),  # given for the metastases, or adjuvant before them?
        ((BREAST,), (CHEMO,), Truth.UNKNOWN),
    ],
)
def test_what_a_treatment_was_given_for_is_for_the_study_team(conditions, procedures, truth):
    # NCT corpus: '... had no more than 1 line of endocrine therapy or any prior chemotherapy for metastatic disease'
    tree = parse("any prior chemotherapy for metastatic disease")
    assert unparsed(tree) == []  # 'for' is a modifier: understood, and not on record
    assert [n.text for n in walk(tree) if isinstance(n, Modifier)] == ["for"]
    patient = Patient(id="p", conditions=conditions, procedures=procedures)
    assert evaluate(tree, patient, as_of=AS_OF).truth is truth
    # as an exclusion, 'No prior chemotherapy for metastatic disease' passes only without chemotherapy
    negated = evaluate(parse("No prior chemotherapy for metastatic disease"), patient, as_of=AS_OF).truth
    assert negated is ~truth


def test_a_bound_for_patients_with_metastases_stays_a_condition_on_the_bound():
    # 'for liver metastases' after a bound says whom it binds (not what a treatment was given for)
    tree = parse("AST \u2264 5 x ULN for liver metastases")
    assert render(tree) == "(aspartate aminotransferase <= 5 x ULN) if (liver metastases)"


def test_each_item_with_its_own_no_is_not_negated_twice():
    # NCT05076695 (inclusion): the first 'No' had covered the whole list, so 'no brain
    # metastasis' was negated twice and a patient with no record of any metastasis failed
    tree = parse("No serious metastasis, no brain metastasis, no liver metastasis;")
    assert render(tree) == "(not ((metastatic disease) \u00abserious\u00bb)); (not (brain metastases)); (not (liver metastases))"
    assert evaluate(tree, Patient(id="p"), as_of=AS_OF).truth is not Truth.FALSE
    # one 'No' before a list still covers every item
    assert render(parse("No history of myocardial infarction, unstable angina within 6 months")).startswith("not (")


def test_for_any_condition_is_what_a_treatment_was_given_for():
    # NCT03412643: '... or other HER2 targeted therapies for any malignancy'
    tree = parse("Previous therapy with anthracycline, taxanes, trastuzumab, or other HER2 targeted therapies for any malignancy.")
    assert "\u00abfor\u00bb" in render(tree)
