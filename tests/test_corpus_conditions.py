"""Conditions the corpus names that the vocabulary lacked, quoted (trimmed) from
../shared/data/corpus, each with the ICD-10-CM code its title gives."""

from __future__ import annotations

from datetime import date

import pytest

from engine.evaluate import evaluate
from engine.logic import Truth
from engine.parse import parse
from engine.patient import Coding, ConditionRecord, Patient
from engine.render import render

ICD = "http://hl7.org/fhir/sid/icd-10-cm"


@pytest.mark.parametrize(
    ("text", "canonical", "code"),
    [
        ("sleep apnea", "sleep apnea", "G47.30"),
        ("obstructive sleep apnea", "obstructive sleep apnea", "G47.33"),
        ("Claustrophobia", "claustrophobia", "F40.240"),
        ("lactose intolerance", "lactose intolerance", "E73.9"),
        ("merkel cell carcinoma", "merkel cell carcinoma", "C4A.9"),
        ("Placenta previa", "placenta previa", "O44.00"),
        ("Presence of hypercoaguable disorder", "thrombophilia", "D68.51"),
        ("liver failure", "liver failure", "K72.90"),
        ("Bilateral age-related cataract", "cataract", "H25.9"),
    ],
)
def test_a_condition_named_in_the_corpus_is_matched_by_its_code(text, canonical, code):
    tree = parse(text)
    assert canonical in render(tree)
    record = ConditionRecord(codings=(Coding(system=ICD, code=code),), onset=date(2024, 1, 1), clinical_status="active")
    outcome = evaluate(tree, Patient(id="p", conditions=(record,)), as_of=date(2026, 6, 1))
    assert outcome.truth is not Truth.FALSE, outcome.reasons
    if render(tree) == canonical:
        assert outcome.truth is Truth.TRUE
