"""Numeric bounds of the Leaf corpus read where a parser should read them, each safe in
evaluation (scripts/leaf_bounds.py: the bounds of the hand-written logical forms), and the
misreadings found beside them. Each test quotes the corpus line (trimmed) with its NCT id."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal

import pytest

import engine
from engine.logic import Truth
from engine.nodes import AnyOf, Comparison, Condition, Judgment, walk
from engine.summary import thresholds
from one_trial import exclusion, inclusion

parse = importlib.import_module("engine.parse").parse
AS_OF = date(2026, 12, 7)
MAN = {"id": "p", "birth_date": "1970-01-01", "sex": "male"}


def bounds(text: str) -> list[tuple[str, str, Decimal, str | None]]:
    return [(t["measure"], t["op"], Decimal(str(t["value"])), t["unit"]) for t in thresholds(parse(text))]


def truth(node, observations=()) -> Truth:
    patient = engine.load_patient({**MAN, "observations": list(observations)})
    return engine.evaluate(node, patient, as_of=AS_OF).truth


def scored(name: str, value: float) -> dict:
    """An observation known by its name alone, as a scale's score is often recorded."""
    return {"name": name, "value": value, "date": "2026-11-30"}


# --- a compliance judgment's bound ------------------------------------------------------------


@pytest.mark.parametrize(
    "text, bound",
    [
        (">=80% diary compliance during the baseline period", (">=", 80)),  # NCT03867201
        ("Adherence rate of less than 80% of the total interventions", ("<", 80)),
        ("Compliance must be at least 80% of scheduled doses", (">=", 80)),
    ],
)
def test_a_compliance_judgment_keeps_the_bound_its_text_states(text, bound):
    tree = parse(text)
    assert isinstance(tree, Judgment) and tree.category == "compliance"
    assert tree.bound is not None and (tree.bound.op, tree.bound.threshold.value, tree.bound.threshold.unit) == (bound[0], bound[1], "%")
    assert truth(tree) is Truth.UNKNOWN  # the study team's to judge, whatever the record says


@pytest.mark.parametrize("text", ["Non-compliance > 20%", "70-80% compliance", "willing to comply >= 80%"])
def test_no_compliance_bound_where_the_percentage_is_of_something_else(text):
    assert bounds(text) == []


# --- a scale for a condition ------------------------------------------------------------------


def test_a_screen_for_a_condition_bounds_the_screen_not_a_diagnosis():
    # NCT03867344: 'Primary Care PTSD Screen for DSM-5 for post-traumatic stress disorder score ≥10'
    text = "Primary Care PTSD Screen for DSM-5 for post-traumatic stress disorder score ≥10"
    assert bounds(text) == [("pc-ptsd-5 score", ">=", Decimal(10), None)]
    # 10 is past the screen's 0-5: never compared, whatever the record
    assert truth(parse(text), [scored("PC-PTSD-5", 4)]) is Truth.UNKNOWN
    phq = "Patient Health Questionnaire (PHQ9) for depression score ≥15"  # NCT03867344
    assert bounds(phq) == [("phq-9 score", ">=", Decimal(15), None)]


def conditions(text: str) -> list[str]:
    return [n.concept for n in walk(parse(text)) if isinstance(n, Condition)]


def test_the_condition_a_scale_screens_for_is_no_diagnosis_asked(tmp_path):
    # read as depression (its words kept it unknown), a diagnosis the text does not ask for
    phq = "Patient Health Questionnaire (PHQ9) for depression score ≥15"
    assert conditions(phq) == []
    patient = {**MAN, "observations": [{"loinc": "44261-6", "value": 20, "date": "2026-11-30"}]}
    assert inclusion(tmp_path, patient, phq).status != "fail"
    # 'GAD-73 Questionnaire': a scale the vocabulary does not know; anxiety is no diagnosis asked
    assert conditions("GAD-73 Questionnaire for anxiety score ≥10") == []
    assert inclusion(tmp_path, MAN, "GAD-73 Questionnaire for anxiety score ≥10").status == "unknown"


# --- named sub-scales and items ----------------------------------------------------------------


def test_a_sub_scale_named_by_its_abbreviation():
    # NCT03868774
    text = "A Hamilton scale score (HDS-17) of ≥ 18 and/or a sub-scale (HDSS) score of ≥ 9 within 24-48 hours before the first treatment"
    assert ("hdss score", ">=", Decimal(9), None) in bounds(text)
    [node] = [n for n in walk(parse("HDSS score of ≥ 9")) if isinstance(n, Comparison)]
    assert truth(node) is Truth.UNKNOWN
    assert truth(node, [scored("HDSS", 12)]) is Truth.TRUE
    assert truth(node, [scored("HDSS", 5)]) is Truth.FALSE
    # the full Hamilton scale is another measure
    assert truth(node, [scored("Hamilton depression rating scale", 20)]) is Truth.UNKNOWN


def test_a_score_on_any_of_the_items_of_a_scale():
    # NCT03920384: 'Are experiencing delusions (A score of ≥3 on PANSS item P1, P5 or P6)'
    tree = parse("Are experiencing delusions (A score of ≥3 on PANSS item P1, P5 or P6)")
    [any_of] = [n for n in walk(tree) if isinstance(n, AnyOf)]
    assert [(c.measure, c.op, c.threshold.value) for c in any_of.items] == [
        ("panss item p1", ">=", 3),
        ("panss item p5", ">=", 3),
        ("panss item p6", ">=", 3),
    ]
    assert truth(any_of) is Truth.UNKNOWN
    assert truth(any_of, [scored("PANSS total score", 80)]) is Truth.UNKNOWN  # a total is no item
    assert truth(any_of, [scored("PANSS item P5", 4)]) is Truth.TRUE
    assert truth(any_of, [scored("PANSS item P5", 2)]) is Truth.UNKNOWN  # P1 and P6 not on record


def test_items_of_a_scale_all_of_them_are_not_read_as_any():
    assert bounds("A score of ≥3 on PANSS item P1, P5 and P6") == [("panss item p1", ">=", Decimal(3), None)]


# --- the depth of a periodontal defect ----------------------------------------------------------


def test_the_depth_of_an_intraosseous_defect():
    # NCT03924336: '... combined 2- to 3-wall intraosseous defect ≥ 3 mm in depth (assessed by bone sounding ...)'
    text = (
        "Stage III periodontitis patient having at least one tooth with 2-wall, 3-wall, or combined 2- to 3-wall "
        "intraosseous defect ≥ 3 mm in depth (assessed by bone sounding, radiographic examination) with clinical "
        "attachment level (CAL) ≥ 5mm and pocket depth (PD) ≥ 6 mm."
    )
    assert ("intrabony defect depth", ">=", Decimal(3), "mm") in bounds(text)
    assert bounds("intraosseous defect ≥ 3 mm deep") == [("intrabony defect depth", ">=", Decimal(3), "mm")]
    assert truth(parse("intraosseous defect ≥ 3 mm in depth")) is Truth.UNKNOWN
    assert bounds("intrabony defect >= 4 mm wide") == []  # a width is no depth


# --- an amniotic fluid pocket -------------------------------------------------------------------


def test_mvp_beside_an_amniotic_fluid_index_is_the_maximum_vertical_pocket():
    # NCT03928899: 'ruptured membranes or known oligohydramnios (defined as AFI < 5 or MVP < 2 ) before'
    text = "ruptured membranes or known oligohydramnios (defined as AFI < 5 or MVP < 2 ) before"
    assert ("maximum vertical pocket", "<", Decimal(2), None) in bounds(text)
    assert bounds("oligohydramnios (Maximal vertical pocket ≤2)") == [("maximum vertical pocket", "<=", Decimal(2), None)]
    assert bounds("MVP < 2") == []  # alone, as likely a mitral valve prolapse
    [node] = [n for n in walk(parse("AFI < 5 or MVP < 2")) if isinstance(n, Comparison) and n.measure == "maximum vertical pocket"]
    assert truth(node) is Truth.UNKNOWN
    # the bound has no unit: a pocket recorded in cm is not compared with it
    assert truth(node, [{"name": "Maximum vertical pocket", "value": 1.5, "unit": "cm", "date": "2026-11-30"}]) is Truth.UNKNOWN


# --- misreadings beside the bounds ---------------------------------------------------------------


def test_mds_before_an_item_code_is_the_minimum_data_set(tmp_path):
    # NCT03861429: 'Understood By Others = <1 (MDS B0800)/present in medical record'
    text = "Understood By Others = <1 (MDS B0800)/present in medical record"
    assert conditions(text) == []
    assert inclusion(tmp_path, MAN, text).status == "unknown"
    assert conditions("Patients with MDS") == ["myelodysplastic syndrome"]


def test_a_nursing_home_is_no_lactation(tmp_path):
    # 'Nursing home resident', 'Live in a nursing home or long-term care facility' (corpus)
    assert conditions("Nursing home resident") == conditions("Live in a nursing home or long-term care facility") == []
    assert exclusion(tmp_path, MAN, "Nursing home resident").status == "unknown"
    assert exclusion(tmp_path, MAN, "Live in a nursing home or long-term care facility").status == "unknown"
    assert conditions("Pregnant or nursing") == ["pregnancy", "lactation"]
