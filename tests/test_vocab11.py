"""Measures added from the Leaf logical forms and the corpus in the sixth session of 2026-12-07,
each with the line that asked for it (trimmed) and what must not be read as it."""

from __future__ import annotations

import pytest

from engine import parse
from engine.summary import thresholds
from one_trial import criterion, screen_text

WOMAN = {"id": "p", "birth_date": "1990-01-01", "sex": "female"}
ARTERIAL_PH = {"loinc": "2744-1", "value": 7.2, "unit": "[pH]", "date": "2026-11-20"}
BANDS_12 = {"loinc": "764-1", "value": 12, "unit": "%", "date": "2026-11-20"}


def _bounds(text: str) -> set[tuple[str, str, str, str]]:
    return {(b["measure"], b["op"], str(b["value"]), b["unit"] or "") for b in thresholds(parse(text))}


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        # NCT03929159 (Leaf): the SIRS white cell criterion.
        (
            "Leukocytes > 12,000/mm^3 or < 4,000/mm^3 or > 10% immature (band) forms",
            ("band neutrophils", ">", "10", "%"),
        ),
        ("Arterial pH >7.35", ("arterial blood ph", ">", "7.35", "")),
        ("vaginal pH ≤ 4 at the time of birth", ("vaginal ph", "<=", "4", "")),
        ("Z scores for weight-for-age (WAZ) or weight-for-height (WHZ) <3,", ("weight-for-height z-score", "<", "3", "")),
        ("positive PTSD screen (PC-PTSD ≥ 3)", ("pc-ptsd-5 score", ">=", "3", "")),
    ],
)
def test_the_measure_is_read_with_its_bound(text, bound):
    assert bound in _bounds(text)


@pytest.mark.parametrize(
    "text",
    [
        # 'Ph' is also the Philadelphia chromosome: a bare pH names no specimen.
        "the pH is < 6.80",
        "Ph+ acute lymphoblastic leukemia",
        # oligoclonal bands are no band neutrophils
        "oligoclonal bands in CSF",
    ],
)
def test_no_measure_is_made_of_words_that_name_another_thing(text):
    assert not {b for b in _bounds(text) if "ph" in b[0] or "band" in b[0]}


def test_a_blood_ph_does_not_answer_a_vaginal_ph(tmp_path):
    text = "vaginal pH ≤ 4 at the time of birth"
    result = screen_text(tmp_path, {**WOMAN, "observations": [ARTERIAL_PH]}, f"Inclusion Criteria:\n* {text}")
    assert criterion(result, text[:20]).status == "unknown"


def test_an_arterial_ph_on_record_decides_a_bound_on_it(tmp_path):
    text = "Arterial pH >7.35"
    result = screen_text(tmp_path, {**WOMAN, "observations": [ARTERIAL_PH]}, f"Inclusion Criteria:\n* {text}")
    assert criterion(result, text).status == "fail"


def test_bands_on_record_decide_the_sirs_line(tmp_path):
    text = "Leukocytes > 12,000/mm^3 or < 4,000/mm^3 or > 10% immature (band) forms"
    result = screen_text(tmp_path, {**WOMAN, "observations": [BANDS_12]}, f"Inclusion Criteria:\n* {text}")
    assert criterion(result, text[:20]).status == "pass"


# A scale is compared as recorded, whatever unit a source attached to the patient's value; the
# criterion's number must still be one of the scale's: 'at least 25 follicles (2-9 mm)' read
# with a count of follicles would have failed a woman with 25 (found while adding the measures
# above; no corpus line reads so today).
PHQ9_12 = {"loinc": "44261-6", "value": 12, "date": "2026-11-20"}


@pytest.mark.parametrize(
    ("text", "status"),
    [
        ("PHQ-9 score ≥ 10", "pass"),
        ("PHQ-9 score ≥ 13", "fail"),
        ("PHQ-9 score ≥ 10 mm", "unknown"),  # a number in a unit is of something else
        ("PHQ-9 score ≥ 30", "unknown"),  # outside the scale of 0-27: a misprint or another scale
    ],
)
def test_a_bound_on_a_scale_must_be_a_value_of_the_scale(tmp_path, text, status):
    result = screen_text(tmp_path, {**WOMAN, "observations": [PHQ9_12]}, f"Inclusion Criteria:\n* {text}")
    assert criterion(result, text).status == status
