"""Numeric bounds from the Leaf misses (scripts/leaf_bounds.py --show missing), one row per
shape, each quoting (trimmed) the line the registry published; and how the new measures are
judged against a record: pass, fail and unknown.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine import evaluate, load_patient
from engine.logic import Truth
from engine.parse import parse
from engine.summary import thresholds


def bounds(text: str) -> list[tuple]:
    return [(t["measure"], t["op"], t["value"], t["unit"], t["relative_to"]) for t in thresholds(parse(text))]


def truth(text: str, observations: list[dict], *, sex: str = "male") -> Truth:
    record = {"id": "p", "birth_date": "1970-01-01", "sex": sex, "observations": observations}
    return evaluate(parse(text), load_patient(record), as_of=date(2026, 6, 1)).truth


# --- alcohol intake in drinks per day or per week ----------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03926806 (Leaf)
        ("Alcohol consumption (> 2 drinks per day)", [("alcohol consumption", ">", 2, "drinks/day", None)]),
        # NCT03925142 (Leaf): 'drinking' names the intake, 'alcoholic drinks' the unit
        ("Not drinking more than 2 alcoholic drinks per day", [("alcohol consumption", ">", 2, "drinks/day", None)]),
        ("Drinking more than 2 alcoholic drinks per day", [("alcohol consumption", ">", 2, "drinks/day", None)]),
        # corpus: per week, a bound for each sex
        ("past month excessive alcohol use (>7 drinks/week for woman, >14 drinks/week for men)", [
            ("alcohol consumption", ">", 7, "drinks/week", None),
            ("alcohol consumption", ">", 14, "drinks/week", None),
        ]),
    ],
)
def test_alcohol_drinks_per_day_and_week(text, expected):
    assert bounds(text) == expected


def test_caffeinated_drinks_are_no_alcohol():
    # NCT03863366 (Leaf): the word before 'drinks' says what they are
    assert bounds("Typically drinks > 6 caffeinated drinks per day") == []


def _drinks(value, unit):
    return [{"loinc": "74013-4", "value": value, "unit": unit, "date": "2026-05-01"}]


def test_alcohol_consumption_is_judged_per_day_and_per_week():
    text = "Alcohol consumption (> 2 drinks per day)"
    assert truth(text, _drinks(3, "drinks/day")) is Truth.TRUE
    assert truth(text, _drinks(1, "{drinks}/d")) is Truth.FALSE  # UCUM, as LOINC 74013-4 is reported
    assert truth(text, _drinks(21, "drinks/week")) is Truth.TRUE  # 3 a day on average
    assert truth(text, _drinks(14, "drinks/week")) is Truth.FALSE  # 2 a day: not more than 2
    assert truth(text, []) is Truth.UNKNOWN  # nothing on record


@pytest.mark.parametrize(
    "text",
    [
        # a UK unit (8 g) and grams are no standard drink: never compared
        "alcohol intake \u2265 3 units/day",
        "Daily alcohol intake above 20 g per day",
        # 'units of alcohol' is not read as a unit: the bound stays unknown
        "Drinking more than 14 units of alcohol per week",
    ],
)
def test_alcohol_in_other_units_stays_unknown(text):
    for observations in (_drinks(10, "drinks/day"), _drinks(0, "drinks/day"), _drinks(30, "drinks/week")):
        assert truth(text, observations) is Truth.UNKNOWN


def test_a_count_per_week_of_something_unnamed_is_not_drinks():
    assert truth("Alcohol consumption (> 2 drinks per day)", _drinks(21, "/wk")) is Truth.UNKNOWN
