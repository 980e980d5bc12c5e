"""Readings added in the fourth session of 2026-12-07, each with the criterion as the registry
wrote it (trimmed): numbered items run into one line, ages in hours, the bound of a life
expectancy."""

from __future__ import annotations

import pytest

from engine import parse
from engine.nodes import Comparison, Each, walk
from one_trial import criterion, screen_text

OLD_MAN = {"id": "p", "birth_date": "1941-01-01", "sex": "male"}


def test_numbered_items_run_into_one_line_are_separate_exclusions(tmp_path):
    # NCT03869294: read as one clause, the items were one conjunction (age and metastases
    # and another malignancy at once), so an 85-year-old without metastases passed
    text = "1.Age ≥80 years 2.Brain metastasis 3.With other malignancies"
    result = screen_text(tmp_path, OLD_MAN, f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* {text}")
    assert criterion(result, "1.Age").status == "fail"
    assert result.status == "ineligible"


@pytest.mark.parametrize(
    ("text", "items"),
    [
        ("1.Age ≥80 years 2.Brain metastasis 3.With other malignancies", 3),
        ("1. Female patients between 18-70 years old. 2. Eastern Cooperative Oncology Group (ECOG) performance status of 0-1.", 2),
        ("1.Histologically confirmed pancreatic adenocarcinoma 2.Locally advanced or metastatic PC 3.Chemotherapy-naïve 4.ECOG performance status of 0 or 1", 2),
    ],
)
def test_numbered_items_become_items(text, items):
    tree = parse(text)
    each = next(n for n in walk(tree) if isinstance(n, Each))
    assert len(each.items) >= items  # items of words alone qualify their neighbours instead
    assert not any("2." in str(getattr(n, "text", "")) for n in walk(tree))


@pytest.mark.parametrize(
    "text",
    [
        "1.5 x ULN or 2. something",  # a decimal number is no item 1
        "Hemoglobin ≥ 9 g/dL. 2. Platelets",  # no item 1 at the start
        "1. Age ≥ 18 years",  # no item 2
    ],
)
def test_what_is_no_run_of_items(text):
    assert not any(isinstance(n, Each) for n in walk(parse(text)))


@pytest.mark.parametrize(
    ("born", "status"),
    [
        ("2026-12-05", "pass"),  # 2 days: between 24 and 72 hours
        ("2026-12-04", "unknown"),  # 3 days: between 48 and 96 hours
        ("2026-12-01", "fail"),  # 6 days
    ],
)
def test_an_age_in_hours_is_judged_from_the_date_of_birth(tmp_path, born, status):
    patient = {"id": "p", "birth_date": born, "sex": "female"}
    result = screen_text(tmp_path, patient, "Inclusion Criteria:\n* Age less than 72 hours")
    assert criterion(result, "Age less than").status == status


def test_a_range_of_ages_in_hours(tmp_path):
    # born today: under 24 hours old, so not yet 24 to 72 hours
    patient = {"id": "p", "birth_date": "2026-12-07", "sex": "female"}
    result = screen_text(tmp_path, patient, "Inclusion Criteria:\n* Age 24 to 72 hours")
    assert criterion(result, "Age 24").status == "fail"
    tree = parse("Newborns aged 24 to 72 hours")
    assert any(n.measure == "age" and n.low.unit == "hours" for n in walk(tree) if hasattr(n, "low"))


def test_a_life_expectancy_bound_is_in_the_reason_and_still_unknown(tmp_path):
    result = screen_text(tmp_path, OLD_MAN, "Inclusion Criteria:\n* Life expectancy of at least 12 weeks")
    c = criterion(result, "Life expectancy")
    assert c.status == "unknown"
    assert any("life expectancy >= 12 weeks" in r for r in c.reasons)
    # the bound is the judgment's, not a comparison the evaluator would judge from records
    assert not any(isinstance(n, Comparison) for n in walk(parse("Life expectancy of at least 12 weeks")))


SINUSITIS_2011 = {"name": "Viral sinusitis", "icd10cm": "J01.90", "status": "resolved", "onset": "2011-08-13", "abatement": "2011-08-27"}
SINUSITIS_NOW = {"name": "Viral sinusitis", "icd10cm": "J01.90", "status": "active", "onset": "2026-12-01"}


@pytest.mark.parametrize(
    ("text", "conditions", "status"),
    [
        # NCT04537286 / NCT02838238: an infection that abated in 2011 is no uncontrolled
        # infection; read as 'any infection', it was unknown for every Synthea patient
        ("Uncontrolled infection.", [SINUSITIS_2011], "pass"),
        ("Active uncontrolled infection.", [SINUSITIS_2011], "pass"),
        ("Concurrent serious uncontrolled infections requiring treatment", [SINUSITIS_2011], "pass"),
        # one going on: whether it is uncontrolled is the team's to say
        ("Uncontrolled infection.", [SINUSITIS_NOW], "unknown"),
        # 'severe or uncontrolled': a severe infection need not be going on, so a past one
        # stays unknown
        ("Severe or uncontrolled infection", [SINUSITIS_2011], "unknown"),
        # 'History of uncontrolled seizures': history, and still no record of any
        ("History of uncontrolled seizures within 6 months of randomization", [], "pass"),
    ],
)
def test_uncontrolled_means_going_on_now(tmp_path, text, conditions, status):
    result = screen_text(tmp_path, {**OLD_MAN, "conditions": conditions}, f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* {text}")
    assert criterion(result, text[:15]).status == status
