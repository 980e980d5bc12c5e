"""Criteria only the study team can settle, quoted (trimmed) from the public corpus
(../shared/data/corpus): measurable disease by the trial's own imaging review (RECIST,
RANO), and taking part in another study. Neither is in a health record, so they are
judgments: always unknown, named for what the team must check, never a piece 'not
understood'. Beside a condition, drug or bound in the same clause they take nothing from it:
the rest of the clause still decides what it can.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.evaluate import evaluate
from engine.logic import Truth
from engine.nodes import Condition, Judgment, walk
from engine.parse import parse
from engine.patient import Patient
from engine.render import render
from engine.summary import thresholds, unparsed


def _judgments(text: str) -> list[str]:
    return [n.category for n in walk(parse(text)) if isinstance(n, Judgment)]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Measurable disease as per RECIST Version 1.1.", "tumor_assessment"),
        ("At least one measurable lesion according to RECIST 1.1.", "tumor_assessment"),
        ("Patients must have at least 2 measurable lesions (based on RECIST V1.1);", "tumor_assessment"),
        ("Measurable or evaluable disease according to RECIST 1.1", "tumor_assessment"),
        ("Have either measurable disease or nonmeasurable bone-only disease", "tumor_assessment"),
        ("Measurable disease per Response Evaluation Criteria in Solid Tumors (RECIST) 1.1.", "tumor_assessment"),
        ("Participated in another clinical trial within 4 weeks prior to initial administration", "trial_participation"),
        ("participating in other clinical trials.", "trial_participation"),
        ("Participation in a concurrent clinical study in the treatment period.", "trial_participation"),
        ("Simultaneous participation in other interventional studies", "trial_participation"),
        # a more specific word names it: refusing is willingness, the investigator's call opinion
        ("Refusal to participate in study", "willingness"),
        ("Principal Investigator judged inappropriate for participation in study", "investigator_opinion"),
    ],
)
def test_what_only_the_study_team_can_settle_is_a_judgment(text, category):
    tree = parse(text)
    assert isinstance(tree, Judgment), render(tree)
    assert tree.category == category
    assert unparsed(tree) == []
    outcome = evaluate(tree, Patient(id="p"), as_of=date(2026, 6, 1))
    assert outcome.truth is Truth.UNKNOWN
    assert f"assessed by the study team ({category.replace('_', ' ')})" in outcome.reasons


def test_the_name_of_recist_is_no_solid_tumor():
    # 'Response Evaluation Criteria in Solid Tumors' names the rules, not the patient's cancer
    tree = parse("Measurable disease per Response Evaluation Criteria in Solid Tumors (RECIST) 1.1.")
    assert not [n for n in walk(tree) if isinstance(n, Condition)]


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Metastatic breast cancer with measurable disease", "breast cancer"),
        ("HER2 positive metastatic breast cancer with at least one measurable lesion", "breast cancer"),
    ],
)
def test_a_judgment_phrase_beside_a_condition_leaves_it_standing(text, concept):
    tree = parse(text)
    assert concept in [n.concept for n in walk(tree) if isinstance(n, Condition)], render(tree)
    assert _judgments(text) == []
    assert any("measurable" in piece for piece in unparsed(tree))


def test_a_judgment_phrase_beside_a_bound_leaves_the_bound():
    text = "Participants enrolled in the study must have ANC ≥ 1500/µL"
    assert [t["measure"] for t in thresholds(parse(text))] == ["absolute neutrophil count"]
    assert _judgments(text) == []


@pytest.mark.parametrize("text", ["Measurable residual disease negative", "Planning to enroll in this study's extension"])
def test_look_alikes_are_not_judgments(text):
    assert _judgments(text) == []
