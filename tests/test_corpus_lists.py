"""Words after the last item of a list of events, quoted (trimmed) from the public corpus
(../shared/data/corpus). Words not understood after 'A or B' may speak of both ('Previous
irradiation and/or thrombosis in site selected for catheter insertion': the irradiation too
was in that site), so they qualify the whole list: a record of A alone no longer decides.
Anchors the parser knows ('prior to initiation of study drug') and words that restrict
nothing ('for any reason') are understood, so they leave the list decided."""

from __future__ import annotations

from datetime import date

import pytest

from engine.evaluate import evaluate
from engine.logic import Truth
from engine.nodes import Qualified
from engine.parse import parse
from engine.patient import Coding, Patient, ProcedureRecord
from engine.render import render
from engine.summary import unparsed

SNOMED = "http://snomed.info/sct"


def test_words_after_a_list_qualify_every_item():
    tree = parse("Previous irradiation and/or thrombosis in site selected for catheter insertion")
    assert isinstance(tree, Qualified)
    assert render(tree) == "(history of radiotherapy or history of thrombosis) \u00absite selected\u00bb \u00abcatheter insertion\u00bb"
    # radiotherapy elsewhere is no radiotherapy 'in site selected for catheter insertion'
    radiotherapy = ProcedureRecord(codings=(Coding(system=SNOMED, code="108290001"),), text="Radiation oncology AND/OR radiotherapy", start=date(2020, 1, 1))
    patient = Patient(id="p", procedures=(radiotherapy,))
    assert evaluate(tree.item, patient, as_of=date(2026, 6, 1)).truth is Truth.TRUE  # the record is radiotherapy
    assert evaluate(tree, patient, as_of=date(2026, 6, 1)).truth is Truth.UNKNOWN


def test_words_before_the_last_item_stay_its_own():
    assert render(parse("hepatitis B or uncontrolled hypertension")) == "hepatitis b or ((hypertension) \u00abuncontrolled\u00bb)"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Stroke or transient ischemic attack within 6 months prior to initiation of study drug.",
         "stroke within 6 months before first dose or transient ischemic attack within 6 months before first dose"),
        ("Patients who have had chemotherapy or radiotherapy within 14 days prior to beginning protocol therapy.",
         "chemotherapy within 14 days before first dose or radiotherapy within 14 days before first dose"),
        ("Patients who have had endocrine therapy, chemotherapy or radiotherapy within 12 months prior to entering the study",
         "endocrine therapy within 12 months before enrollment or chemotherapy within 12 months before enrollment"
         " or radiotherapy within 12 months before enrollment"),
        ("Received cytotoxic chemotherapy, endocrine therapy, biological therapy or radiation therapy for any reason;",
         "history of cytotoxic chemotherapy or history of endocrine therapy or history of biologic or history of radiotherapy"),
    ],
)
def test_anchors_and_empty_restrictions_leave_the_list_decided(text, canonical):
    tree = parse(text)
    assert render(tree) == canonical
    assert unparsed(tree) == []
