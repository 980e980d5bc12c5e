"""Numeric bounds from the Leaf mismatches (scripts/leaf_bounds.py --show missing|unit|extra),
one row per shape, each quoting (trimmed) the line the registry published; and how the new
readings are judged against a record: pass, fail and unknown.
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


def truth(text: str, observations: list[dict], *, sex: str = "male", birth_date: str = "1970-01-01") -> Truth:
    record = {"id": "p", "birth_date": birth_date, "sex": sex, "observations": observations}
    return evaluate(parse(text), load_patient(record), as_of=date(2026, 6, 1)).truth


# --- a change from the patient's own baseline is no bound on the value -------------------


@pytest.mark.parametrize(
    "text",
    [
        # NCT03865706 (Leaf)
        "With sepsis as defined by the Sepsis-3 (2016) consensus as a known or suspected infection with a SOFA score of \u22652 points above baseline",
        # made up: the same shape without 'points', or below
        "SOFA score 2 above baseline",
        "HbA1c \u2265 1% below baseline",
        # corpus: a share of the normal limit above it, neither a percentage of ALT nor '> ULN'
        "Alanine aminotransferase (ALT) and aspartate aminotransferase (AST) \u2264 10% above upper limit of normal",
    ],
)
def test_a_change_from_baseline_is_no_bound(text):
    assert bounds(text) == []


def test_the_value_itself_is_still_a_bound():
    assert bounds("SOFA score \u2265 2") == [("sofa score", ">=", 2, None, None)]
    # corpus: 'at baseline' is when it is measured, not what it is measured from
    assert bounds("Macular thickness above 300 microns at baseline") == [("central macular thickness", ">", 300, "um", None)]


# --- a unit cut short is no unit --------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # NCT03863626 (Leaf): 'ml/m' is no clearance unit, and '30 mL' no clearance
        "Severe renal impairment defined as eGFR<30ml/m.",
        # corpus
        "Creatinine Clearance \u2265 45 mL/mina",
        "measured creatinine clearance \u2265 60 mL/min/1.",
        "Increase of LV mass of at least 5 g/m2/year, with three measurements over a minimum of 12 months",
        # corpus: a unit glued to more of itself that is not read
        "Body mass index 18.5-29.9 kg\u2219m-2",
        "Anemia (hemoglobin <10gm%)",
    ],
)
def test_a_unit_cut_short_gives_no_bound(text):
    assert bounds(text) == []


def test_a_unit_cut_short_leaves_the_others():
    # corpus: the BUN bound is dropped, the creatinine one kept
    assert bounds("Renal insufficiency (BUN > 30 mg/dlan/or serum creatinine > 1.9 mg/dl).") == [("serum creatinine", ">", 1.9, "mg/dL", None)]
    # a slash and a measure after the unit: two bounds, as written
    assert bounds("Refractory hypertension (systolic pressure>180mmHg/diastolic pressure>110mmHg)") == [
        ("systolic blood pressure", ">", 180, "mmHg", None),
        ("diastolic blood pressure", ">", 110, "mmHg", None),
    ]
    assert bounds("creatinine clearance \u2265 60 mL/min/1.73 m2") == [("creatinine clearance", ">=", 60, "mL/min/1.73m2", None)]


def test_a_unit_cut_short_stays_unknown():
    egfr = [{"loinc": "33914-3", "value": 20, "unit": "mL/min/{1.73_m2}", "date": "2026-05-01"}]
    assert truth("Severe renal impairment defined as eGFR<30ml/m.", egfr) is Truth.UNKNOWN


# --- a range whose upper end carries its own operator -------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03862521 (Leaf): '<12' leaves 12 out
        ("Prepubertal children 2 to <12 years old (i.e., before 12th birthday)", [("age", ">=", 2, "years", None), ("age", "<", 12, "years", None)]),
        # corpus: a hyphen, a unit glued on; '<=' is the range as plain 'to' says it
        ("CD4% <15% for children 3-<5years;", [("age", ">=", 3, "years", None), ("age", "<", 5, "years", None)]),
        ("Patients with Hb 7 to \u22649 g/dL", [("hemoglobin", ">=", 7, "g/dL", None), ("hemoglobin", "<=", 9, "g/dL", None)]),
        # corpus: a '>=' before the lower end says what a range says
        ("Male or female subjects \u2265 12 to < 18 years of age", [("age", ">=", 12, "years", None), ("age", "<", 18, "years", None)]),
        # made up: '>' before the lower end is no range's: two bounds, as before
        ("age > 12 to < 18 years", [("age", ">", 12, "years", None), ("age", "<", 18, "years", None)]),
    ],
)
def test_range_to_an_upper_bound(text, expected):
    assert bounds(text) == expected


@pytest.mark.parametrize(
    ("birth_date", "expected"),
    [
        ("2016-01-01", Truth.TRUE),  # 10
        ("2014-05-01", Truth.FALSE),  # 12: the upper end is left out
        ("2025-01-01", Truth.FALSE),  # 1
    ],
)
def test_range_to_an_upper_bound_leaves_the_end_out(birth_date, expected):
    assert truth("Children age 2 to <12 years", [], birth_date=birth_date) is expected


# --- a condition the vocabulary lacks, named for the measure its bound is in ---------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03866824 (Leaf): 'G / L' is giga-cells per litre
        ("Thrombocytosis> 450 G / L", [("platelet count", ">", 450, "10^9/L", None)]),
        # corpus
        ("unexplained fever > 38\u00baC within 1 week prior to first study drug administration", [("body temperature", ">", 38, "degC", None)]),
        # a unit that is not the measure's, or no unit: no reading
        ("thrombocytosis > 450 mg", []),
        ("fever > 7 days", []),
    ],
)
def test_word_named_for_its_measure(text, expected):
    assert bounds(text) == expected


def test_word_named_for_its_measure_is_judged():
    count = lambda v: [{"loinc": "777-3", "value": v, "unit": "10*9/L", "date": "2026-05-01"}]  # noqa: E731
    assert truth("Thrombocytosis> 450 G / L", count(600)) is Truth.TRUE
    assert truth("Thrombocytosis> 450 G / L", count(300)) is Truth.FALSE
    assert truth("Thrombocytosis> 450 G / L", []) is Truth.UNKNOWN
    # corpus: 'unexplained' is not understood, so never decided by the temperature alone
    temp = [{"loinc": "8310-5", "value": 39.2, "unit": "Cel", "date": "2026-05-30"}]
    line = "Active infection or unexplained fever >38.5\u2103 during screening period or on the day of the first dose."
    assert truth(line, temp) is Truth.UNKNOWN


# --- words for people before an age, events after it --------------------------------------


def test_age_after_words_for_people():
    # NCT03925506 (Leaf)
    text = "Inpatient \u226518 y.o. who are scheduled elective colonoscopy during hospitalization irrespective of the indication."
    assert bounds(text) == [("age", ">=", 18, "years", None)]
    # 'Inpatient' and 'scheduled elective' are not understood: never decided
    assert truth(text, []) is Truth.UNKNOWN
    # an age at onset is no age of the patient's, whoever is named before it
    assert bounds("Outpatients < 30 years old at diagnosis of type 1 diabetes") == []


# --- a ratio of measures, or a measure's change, is no bound on the measure -----------------


@pytest.mark.parametrize(
    "text",
    [
        # corpus: a ratio of two measures, each named or not
        "Proteinuria as estimated by urine protein/creatinine ratio > 3.5 g/g on random urine sample",
        "BUN/creatinine ratio > 20",
        "FEV1/FVC ratio < 0.7",
        # corpus: a change over time
        "Weight loss >10% over 2 months prior to first dose of study drug",
        "Weight change more than 3 kg within the last 3 months.",
        "Subjects with large weight fluctuations of more than 4 kg",
    ],
)
def test_ratio_or_change_of_a_measure_gives_no_bound(text):
    assert bounds(text) == []


def test_ratio_or_change_stays_unknown():
    weight = [{"loinc": "29463-7", "value": 70, "unit": "kg", "date": "2026-05-20"}]
    assert truth("Weight change more than 3 kg within the last 3 months.", weight) is Truth.UNKNOWN
    creatinine = [{"loinc": "2160-0", "value": 0.8, "unit": "mg/dL", "date": "2026-05-20"}]
    assert truth("Urine protein/creatinine ratio < 1.0", creatinine) is Truth.UNKNOWN


def test_a_decline_to_a_value_is_still_its_bound():
    # corpus: the value it fell to is the measure's
    assert bounds("History of LVEF decline to below 50% during or after prior trastuzumab therapy")[:1] == [
        ("left ventricular ejection fraction", "<", 50, "%", None)
    ]


def test_pulse_ox_is_oxygen_saturation():
    # corpus: 'pulse' alone is the heart rate
    assert bounds("Pulse Ox \u2265 90% on room air") == [("oxygen saturation", ">=", 90, "%", None)]
    assert bounds("pulse oxygen > 92% on room air") == [("oxygen saturation", ">", 92, "%", None)]
    assert bounds("pulse rate > 100") == [("heart rate", ">", 100, None, None)]


# --- a bound before a measure, in a unit that measure is never in ---------------------------


def test_bound_before_a_measure_in_another_unit_is_not_its():
    # corpus: a table cut into lines, the hemoglobin bound left before the next measure
    assert bounds("\u2265 9.0 g/dL Absolute neutrophil count") == []
    # in the measure's own unit, or a unit converted with its molar mass: read as before
    assert bounds("5% or more blasts in bone marrow") == [("bone marrow blasts", ">=", 5, "%", None)]
    assert bounds("\u2265 200 \u00b5mol/L creatinine") == [("serum creatinine", ">=", 200, "umol/L", None)]


# --- a measure's word in another measure's name ----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # corpus: the lung's diffusing capacity, not exhaled carbon monoxide
        "Both forced expiratory volume in one second (FEV1) and diffusion capacity of carbon monoxide (DLCO)>60%",
        # corpus: a phase of the heart's cycle, not a blood pressure
        "Tricuspid annular plane systolic excursion (TAPSE) <16 mm",
        "Hypertrophic cardiomyopathy (diastolic septal thickness> 15 mm)",
    ],
)
def test_a_word_of_another_measure_gives_no_bound(text):
    assert [b for b in bounds(text) if b[0] in ("exhaled carbon monoxide", "systolic blood pressure", "diastolic blood pressure")] == []


def test_systolic_alone_is_still_a_pressure():
    assert bounds("systolic \u2265 140 mmHg") == [("systolic blood pressure", ">=", 140, "mmHg", None)]
    assert bounds("carbon monoxide concentration \u2265 6 ppm") == [("exhaled carbon monoxide", ">=", 6, "ppm", None)]


# --- a change in a measure, by how much it moved -----------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # corpus: how far a measure moved, not its value
        "no decrease in LVEF by >15% from the pre-chemotherapy LVEF",
        "a decline in GFR of >10% which is sustained for 3 months",
        "change in Hb level \u2265 2 g/dL during screening phase,",
        "changes in body weight more than 10 pounds in the past three months",
        "Variation in ICP of > 2 cm H2O in the hour prior to intervention.",
    ],
)
def test_a_change_in_a_measure_gives_no_bound(text):
    assert bounds(text) == []


def test_a_change_to_a_value_keeps_its_bound():
    # corpus: 'to' gives the value the measure moved to
    assert bounds("History of a decrease in LVEF to <40% with prior trastuzumab treatment") == [
        ("left ventricular ejection fraction", "<", 40, "%", None)
    ]
    assert bounds("History of a decrease in left ventricular ejection fraction (LVEF) to < 40% with prior trastuzumab treatment") == [
        ("left ventricular ejection fraction", "<", 40, "%", None)
    ]


def test_a_change_in_a_measure_decides_nothing_by_the_value():
    # corpus: an LVEF of 60% says nothing of how far it fell
    text = "Screening left ventricular ejection fraction (LVEF) >= 50% and no decrease in LVEF by >15% from the pre-chemotherapy LVEF."
    lvef = lambda v: [{"loinc": "10230-1", "value": v, "unit": "%", "date": "2026-05-20"}]  # noqa: E731
    assert truth(text, lvef(60), sex="female") is Truth.UNKNOWN
    assert truth(text, lvef(40), sex="female") is Truth.FALSE  # below 50% whatever the fall


# --- an age range after the events it describes the people of --------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03922607 (Leaf)
        ("Volunteer with moderate to severe chronic plaque psoriasis between 18 and 75 years of age for Substudy 2 at the time of enrollment.",
         [("age", ">=", 18, "years", None), ("age", "<=", 75, "years", None)]),
        # corpus
        ("Pre-menopausal* female patients of 18 to 59 years of age (both inclusive)", [("age", ">=", 18, "years", None), ("age", "<=", 59, "years", None)]),
        # an age at diagnosis is no age of the patient's: no bound
        ("Type 1 diabetes diagnosed between 10 and 18 years of age", []),
        # one bound after an event may be an age at it: as before, none
        ("asthma < 5 years of age", []),
    ],
)
def test_age_range_after_events(text, expected):
    assert bounds(text) == expected


# --- each end of a between, in or out in brackets; 'weigh' and 'weighing' ---------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03864432 (Leaf)
        ("Subjects weighing between 50kg (inclusive) and 90kg (exclusive), and having a body mass index (BMI) of 17.1\uff5e25.8 (inclusive of limits).", [
            ("body weight", ">=", 50, "kg", None),
            ("body weight", "<", 90, "kg", None),
            ("body mass index", ">=", 17.1, None, None),
            ("body mass index", "<=", 25.8, None, None),
        ]),
        # made up: the other end left out
        ("weight between 50 kg (exclusive) and 90 kg", [("body weight", ">", 50, "kg", None), ("body weight", "<=", 90, "kg", None)]),
        # corpus
        ("Individuals who weigh less than 110 pounds.", [("body weight", "<", 110, "lb", None)]),
    ],
)
def test_between_ends_in_brackets_and_weighing(text, expected):
    assert bounds(text) == expected


def test_between_an_end_left_out_is_judged():
    text = "Subjects weighing between 50kg (inclusive) and 90kg (exclusive)"
    weight = lambda v: [{"loinc": "29463-7", "value": v, "unit": "kg", "date": "2026-05-20"}]  # noqa: E731
    assert truth(text, weight(50)) is Truth.TRUE
    assert truth(text, weight(90)) is Truth.FALSE
    assert truth(text, []) is Truth.UNKNOWN


def test_gestation_age_is_no_age_of_the_patient():
    # corpus: it read 'age >= 32 weeks'
    assert bounds("Birthweight \u2265 1500 g and/or gestation age \u2265 32 weeks") == [("gestational age", ">=", 32, "weeks", None)]
