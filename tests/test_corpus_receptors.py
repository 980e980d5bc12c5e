"""Tumour receptor statuses, quoted (trimmed) from the public corpus (../shared/data/corpus).

HER2, estrogen, progesterone and hormone receptor status are open world (no ICD-10-CM code
says them, and a record that does not state them leaves them unknown). Written with a
slash they are all of them ('HR+/HER2-' is HR-positive and HER2-negative), where other
events with a slash are alternatives ('stroke/TIA').
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.evaluate import evaluate
from engine.logic import Truth
from engine.parse import parse
from engine.patient import Coding, ConditionRecord, Patient
from engine.render import render
from engine.summary import unparsed

AS_OF = date(2026, 6, 1)


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("HER2-negative", "her2-negative"),
        ("HER2 positive tumor", "her2-positive"),
        ("Hormone receptor negative breast cancer", "hormone receptor-negative and breast cancer"),
        ("Estrogen receptor positive AND/OR Progesterone receptor positive", "estrogen receptor-positive or progesterone receptor-positive"),
        ("HR+/HER2- breast cancer", "hormone receptor-positive and her2-negative breast cancer"),
        ("ER+/HER2- breast cancer", "estrogen receptor-positive and her2-negative breast cancer"),
    ],
)
def test_receptor_statuses_are_understood(text, canonical):
    tree = parse(text)
    assert render(tree) == canonical
    assert unparsed(tree) == []


def test_other_events_with_a_slash_stay_alternatives():
    assert render(parse("History of stroke/TIA")) == "history of stroke or history of transient ischemic attack"


@pytest.mark.parametrize("text", ["PR > 220 msec", "ER-visit patients with acute abdominal pain"])
def test_bare_er_and_pr_are_not_receptors(text):
    assert "receptor" not in render(parse(text))


def _breast(text: str) -> Patient:
    record = ConditionRecord(codings=(Coding(system="http://hl7.org/fhir/sid/icd-10-cm", code="C50.911"),), text=text,
                             onset=date(2024, 1, 1), clinical_status="active")
    return Patient(id="p", conditions=(record,))


@pytest.mark.parametrize(
    ("patient", "truth"),
    [
        (Patient(id="p"), Truth.UNKNOWN),  # no record states it: unknown, never false
        (_breast("Malignant neoplasm of right female breast"), Truth.UNKNOWN),
        (_breast("HER2-positive breast cancer"), Truth.TRUE),  # the record's text says it
    ],
)
def test_her2_status_is_open_world(patient, truth):
    assert evaluate(parse("HER2 positive tumor"), patient, as_of=AS_OF).truth is truth


def test_hr_and_her2_together_need_both():
    tree = parse("HR+/HER2- breast cancer")
    # the record says HER2-positive: not HER2-negative as far as it goes, so never true
    assert evaluate(tree, _breast("ER-positive, HER2-positive breast cancer"), as_of=AS_OF).truth is not Truth.TRUE
