"""Readings added in the fourth session of 2026-12-07, each with the criterion as the registry
wrote it (trimmed): numbered items run into one line, ages in hours, the bound of a life
expectancy."""

from __future__ import annotations

import pytest

from engine import parse
from engine.nodes import Comparison, Each, Unparsed, walk
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


NURSING_HOME = (
    "Nursing home residents with ≥ 2 of the following risk factors for atrial fibrillation: age ≥ 75 years; "
    "female sex; obstructive sleep apnea; peripheral vascular disease; diabetes mellitus"
)


def test_some_of_the_following_on_one_line_is_no_list_of_requirements(tmp_path):
    # NCT03860246 as the Leaf forms have it, on one line: read as its list, every risk
    # factor was required, and a woman of 86 without sleep apnea failed it
    woman = {"id": "p", "birth_date": "1940-01-01", "sex": "female"}
    result = screen_text(tmp_path, woman, f"Inclusion Criteria:\n* {NURSING_HOME}")
    assert criterion(result, "Nursing home").status == "unknown"
    assert result.status == "unknown"


DIABETES = {"name": "Diabetes", "icd10cm": "E11.9", "status": "active", "onset": "2010-01-01"}
HYPERTENSION = {"name": "Essential hypertension", "icd10cm": "I10", "status": "active", "onset": "2010-01-01"}


@pytest.mark.parametrize(
    ("patient", "status"),
    [
        ({"id": "p", "birth_date": "1940-01-01", "sex": "female", "conditions": [DIABETES, HYPERTENSION]}, "pass"),
        ({"id": "p", "birth_date": "1940-01-01", "sex": "female", "conditions": [DIABETES]}, "unknown"),  # two of three: the count is not kept
        ({"id": "p", "birth_date": "1990-01-01", "sex": "male"}, "fail"),  # none of them
    ],
)
def test_at_least_two_of_the_following_holds_with_all_and_fails_with_none(tmp_path, patient, status):
    text = "At least 2 of the following: age ≥ 75 years; diabetes; hypertension"
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* {text}")
    assert criterion(result, "At least 2").status == status


def test_the_bounds_of_some_of_the_following_are_read():
    from engine.summary import thresholds

    found = [(t["measure"], t["op"], t["value"]) for t in thresholds(parse(NURSING_HOME))]
    assert ("age", ">=", 75) in found


@pytest.mark.parametrize(
    "text",
    [
        # NCT02311881 (trimmed): a dash, not a colon, begins the items
        "Have at least 2 of the following high risk features associated with her DCIS - high-grade (grade II-III), "
        "palpable mass, hormone receptor negative (less than 1%), Her2 positive, young age (less than 45 years old), and large size (>5cm)",
        "To be considered high risk, at least 2 of the following criteria must be met: 1) histologic grade 3; 2) patient age less than 50; 3) ER Allred score < 6; 4) Ki-67 ≥ 30%.",
    ],
)
def test_a_young_woman_is_not_failed_by_one_item_of_some_of_the_following(tmp_path, text):
    woman = {"id": "p", "birth_date": "1990-01-01", "sex": "female"}
    result = screen_text(tmp_path, woman, f"Inclusion Criteria:\n* {text}")
    assert criterion(result, text[:12]).status == "unknown"
    # and the tree says why: an 'at least' over its items, not a list of requirements
    assert any(isinstance(n, Unparsed) and "of the following" in n.text for n in walk(parse(text)))


def test_an_age_range_no_one_is_in_excludes_no_one_by_mistake(tmp_path):
    # NCT (corpus) exclusion 'Age more than 70 yr and less than 40 yr.': read as one range,
    # no age is in it, and a man of 85 passed the exclusion
    result = screen_text(tmp_path, OLD_MAN, "Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* Age more than 70 yr and less than 40 yr.")
    assert criterion(result, "Age more than").status == "unknown"
    assert not any(n.kind == "range" for n in walk(parse("Age < 18 years and > 65 years")))


@pytest.mark.parametrize(
    ("born", "status"),
    [("1941-01-01", "fail"), ("1980-01-01", "pass"), ("2015-01-01", "fail")],
)
def test_under_one_age_or_over_another(tmp_path, born, status):
    # the corpus's 'Subject under 18 years or over 70 years': 'or over' was read as the '18
    # years or over' of a lower bound, and the whole line was not understood
    patient = {"id": "p", "birth_date": born, "sex": "male"}
    result = screen_text(tmp_path, patient, "Inclusion Criteria:\n* Age 1 year or older\nExclusion Criteria:\n* Subject under 18 years or over 70 years")
    assert criterion(result, "Subject under").status == status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("patients <18", [("age", "<", 18, "years")]),  # NCT03864718, as the Leaf forms have it
        ("Women <18 yo", [("age", "<", 18, "years")]),
        ("Any patient ≥18 who presents for a colonoscopy", [("age", ">=", 18, "years")]),
        ("Age equal or above 18 years", [("age", ">=", 18, "years")]),
        # a time since an event, not the patients' age
        ("Patients ≥1 and ≤6 months after type I myocardial infarction", []),
        ("patients with > 3 prior lines", []),
        # an item's number after 'or over' is no bound: '18 years or over 8. Written consent'
        ("Age 18 years or over 2. ECOG 0-1", [("age", ">=", 18, "years")]),
    ],
)
def test_ages_written_with_the_people_they_are_of(text, expected):
    from engine.summary import thresholds

    assert [(t["measure"], t["op"], t["value"], t["unit"]) for t in thresholds(parse(text)) if t["measure"] == "age"] == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03927404 (Leaf forms): the item's number run into its first word
        ("5.Residual limb length greater than 6.5 inches in length", ("residual limb length", ">", 6.5)),
        ("1.Age ≥80 years", ("age", ">=", 80)),
    ],
)
def test_an_item_number_run_into_its_first_word(text, expected):
    from engine.summary import thresholds

    assert [(t["measure"], t["op"], t["value"]) for t in thresholds(parse(text))] == [expected]
    assert not any(isinstance(n, Unparsed) for n in walk(parse(text)))
