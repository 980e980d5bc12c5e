"""Evaluation fixes of branch fix15, each with the corpus line it came from (trimmed) and the
least patient that shows it: a stroke under 'cardiovascular disease', ICD-10-CM sequela and
subsequent-encounter codes of an injury, a medication's route given only as a code, and
levothyroxine's RxNorm code."""

from __future__ import annotations

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
