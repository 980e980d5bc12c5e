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
    # NCT03863366 (Leaf): the word before 'drinks' says what they are: caffeine, a measure of
    # its own (tests/test_corpus_bounds7.py), never alcohol consumption
    assert bounds("Typically drinks > 6 caffeinated drinks per day") == [("caffeine intake", ">", 6, "caffeinated drinks/day", None)]


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


def test_a_bare_number_is_no_drinks_a_day():
    # corpus: 'units of alcohol' are no unit, and 14 alone is not 14 drinks a day
    assert bounds("Drinking more than 14 units of alcohol per week") == []


# --- hours of an activity and days of a habit, per day or week ----------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03929575 (Leaf)
        ("Regular participation in physical activity (>4 hours per week)", [("physical activity", ">", 4, "hours/week", None)]),
        # NCT03925909 (Leaf)
        ("Exercise intensely (more than 10 hours per week)", [("physical activity", ">", 10, "hours/week", None)]),
        # NCT03863509 (Leaf): the bound before the habit it counts
        (">/= 5 days per week E-cig use for last 3 months", [("e-cigarette use", ">=", 5, "days/week", None)]),
        # corpus
        ("currently using electronic cigarettes more than 2 days/week", [("e-cigarette use", ">", 2, "days/week", None)]),
    ],
)
def test_hours_and_days_per_week(text, expected):
    assert bounds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        # NCT03926312 (Leaf): minutes a session and sessions a week are neither hours a week
        "Physical inactivity before MI defined as the absence of moderate to vigorous exercise for at least 30 minutes 5 or more days a week",
        # corpus: times a week
        "Undertake regular exercise at least 3 times a week",
        # a duration is no rate: still time
        "Invasive mechanical ventilation for > 48 hours",
    ],
)
def test_no_rate_without_its_unit(text):
    assert [b for b in bounds(text) if b[0] in ("physical activity", "e-cigarette use")] == []


def test_minutes_are_no_bare_number():
    # corpus (Leaf NCT03925467): '30 mins' was once a bare 30 for the measure before it
    tree = parse("morning stiffness \u2265 30 minutes")
    assert thresholds(tree) == []


def _named(name, value, unit):
    return [{"name": name, "value": value, "unit": unit, "date": "2026-05-01"}]


def test_physical_activity_is_judged_in_hours_a_week():
    text = "Regular participation in physical activity (>4 hours per week)"
    tree = parse("physical activity > 4 hours per week")
    record = lambda obs: load_patient({"id": "p", "birth_date": "1970-01-01", "observations": obs})  # noqa: E731
    judge = lambda obs: evaluate(tree, record(obs), as_of=date(2026, 6, 1)).truth  # noqa: E731
    assert judge(_named("physical activity", 5, "hours/week")) is Truth.TRUE
    assert judge(_named("physical activity", 1, "hours/day")) is Truth.TRUE  # 7 a week
    assert judge(_named("physical activity", 3, "hours/week")) is Truth.FALSE
    assert judge(_named("physical activity", 5, "days/week")) is Truth.UNKNOWN  # days are not hours
    assert judge([]) is Truth.UNKNOWN
    # the line itself: 'Regular participation' is not understood, so never decided
    assert truth(text, _named("physical activity", 5, "hours/week")) is Truth.UNKNOWN


def test_e_cigarette_days_a_week():
    tree = parse("e-cig use >= 5 days per week")
    record = lambda obs: load_patient({"id": "p", "birth_date": "1970-01-01", "observations": obs})  # noqa: E731
    judge = lambda obs: evaluate(tree, record(obs), as_of=date(2026, 6, 1)).truth  # noqa: E731
    assert judge(_named("e-cigarette use", 6, "days/week")) is Truth.TRUE
    assert judge(_named("e-cigarette use", 3, "days/week")) is Truth.FALSE
    assert judge(_named("e-cigarette use", 5, "hours/week")) is Truth.UNKNOWN
    assert judge([]) is Truth.UNKNOWN


# --- a bare 'L' after the bound of a measure given in litres ----------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03924843 (Leaf)
        ("FEV1 > 0.8 L and ability to produce sputum after hypertonic saline production",
         [("forced expiratory volume in 1 second", ">", 0.8, "L", None)]),
        ("FEV1 \u2265 1.5 liters", [("forced expiratory volume in 1 second", ">=", 1.5, "L", None)]),
        # a measure in another unit: 'L' stays a word, never litres
        ("ANC > 2 L", [("absolute neutrophil count", ">", 2, None, None)]),
    ],
)
def test_litres_after_a_volume(text, expected):
    assert bounds(text) == expected


def test_fev1_in_litres_is_judged():
    tree = parse("FEV1 > 0.8 L")

    def judge(value, unit):
        obs = [{"loinc": "20150-9", "value": value, "unit": unit, "date": "2026-05-01"}]
        return evaluate(tree, load_patient({"id": "p", "birth_date": "1970-01-01", "observations": obs}), as_of=date(2026, 6, 1)).truth

    assert judge(1.2, "L") is Truth.TRUE
    assert judge(600, "mL") is Truth.FALSE
    assert judge(45, "%") is Truth.UNKNOWN  # % of predicted is another quantity


# --- 'CO' after a bound in ppm ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03863509 (Leaf), two sub-items of one list
        (">/= 5 ppm CO", [("exhaled carbon monoxide", ">=", 5, "ppm", None)]),
        ("</= 4 ppm CO", [("exhaled carbon monoxide", "<=", 4, "ppm", None)]),
        # 'CO' anywhere else may be cardiac output: no bound
        ("CO > 4", []),
        ("cardiac output (CO) > 5 L/min", []),
    ],
)
def test_carbon_monoxide_after_ppm(text, expected):
    assert bounds(text) == expected


def test_exhaled_carbon_monoxide_is_judged():
    tree = parse(">/= 5 ppm CO")

    def judge(observations):
        record = {"id": "p", "birth_date": "1970-01-01", "observations": observations}
        return evaluate(tree, load_patient(record), as_of=date(2026, 6, 1)).truth

    assert judge(_named("exhaled carbon monoxide", 12, "ppm")) is Truth.TRUE
    assert judge(_named("exhaled carbon monoxide", 2, "ppm")) is Truth.FALSE
    assert judge([]) is Truth.UNKNOWN


# --- a word of how often between a blood pressure and its bound ---------------------------


def test_blood_pressure_persistently_above():
    # NCT03921827 (Leaf)
    text = "Persistent and uncontrolled hypertension (BP persistently >160/100 mmHg)"
    assert bounds(text) == [
        ("systolic blood pressure", ">", 160, "mmHg", None),
        ("diastolic blood pressure", ">", 100, "mmHg", None),
    ]

    def judge(systolic, diastolic):
        obs = [
            {"loinc": "8480-6", "value": systolic, "unit": "mm[Hg]", "date": "2026-05-01"},
            {"loinc": "8462-4", "value": diastolic, "unit": "mm[Hg]", "date": "2026-05-01"},
        ]
        record = {"id": "p", "birth_date": "1970-01-01", "observations": obs, "conditions": [{"icd10cm": "I10", "onset": "2020-01-01"}]}
        return evaluate(parse(text), load_patient(record), as_of=date(2026, 6, 1)).truth

    # one reading says nothing of 'persistently': never decided by it
    assert judge(170, 105) is Truth.UNKNOWN
    assert judge(120, 80) is Truth.UNKNOWN


# --- a condition named for one measure, bounded in that measure's unit ---------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03866824 (Leaf): 'G / L' in capitals is giga-cells per litre
        ("Thrombocytopenia <150 G / L", [("platelet count", "<", 150, "10^9/L", None)]),
        # corpus
        ("anemia < 7g/DL", [("hemoglobin", "<", 7, "g/dL", None)]),
        ("thrombocytopenia (<50,000/ul), any hemodynamic instability", [("platelet count", "<", 50000, "/uL", None)]),
        # a unit that is not the measure's: no reading
        ("anemia < 7 mm", []),
        ("thrombocytopenia (< 7 g/dL)", []),
    ],
)
def test_condition_by_its_bound(text, expected):
    assert bounds(text) == expected


def test_thrombocytopenia_bounded_decides_by_the_count():
    tree = parse("Thrombocytopenia <150 G / L")

    def judge(observations):
        record = {"id": "p", "birth_date": "1970-01-01", "observations": observations}
        return evaluate(tree, load_patient(record), as_of=date(2026, 6, 1)).truth

    count = lambda v: [{"loinc": "777-3", "value": v, "unit": "10*9/L", "date": "2026-05-01"}]  # noqa: E731
    assert judge(count(120)) is Truth.TRUE
    assert judge(count(200)) is Truth.FALSE
    assert judge([]) is Truth.UNKNOWN


def _screen_one(tmp_path, section, text, patient):
    import json

    import engine

    path = tmp_path / "t.toml"
    path.write_text(f'id = "T1"\ntitle = "t"\nsource = "test"\n[[criteria]]\nsection = "{section}"\ntext = {json.dumps(text)}\n', encoding="utf-8")
    trial = engine.load_trials(path)[0]
    return engine.screen([load_patient(patient)], [trial], as_of=date(2026, 6, 1)).patients[0].trials[0].criteria[0]


_PLATELETS = lambda v: {"name": "Platelets", "loinc": "777-3", "value": v, "unit": "/uL", "date": "2026-05-20"}  # noqa: E731
_THROMBOCYTOPENIA = {"name": "Thrombocytopenia", "icd10cm": "D69.6", "status": "active", "onset": "2026-01-01"}


@pytest.mark.parametrize(
    ("observations", "conditions", "status"),
    [
        # the count meets the definition, no diagnosis on record: platelets under 100 x10^9/L are
        # thrombocytopenia by every definition (engine/findings.py), so both hold (the fourteenth audit)
        ([_PLATELETS(40000)], [], "fail"),
        ([_PLATELETS(40000)], [_THROMBOCYTOPENIA], "fail"),
        ([_PLATELETS(90000)], [], "pass"),
        ([], [], "unknown"),
    ],
)
def test_a_bracket_with_the_bound_alone_is_the_definition(tmp_path, observations, conditions, status):
    # corpus: the bracket gives the definition with its measure unsaid; as with 'Anemia
    # (hemoglobin < 10 g/dL)' (tests/test_seeds.py), one without the other stays unknown,
    # unless the value makes the diagnosis too
    patient = {"id": "w", "birth_date": "1985-11-08", "sex": "female", "observations": observations, "conditions": conditions}
    result = _screen_one(tmp_path, "exclusion", "thrombocytopenia (<50,000/ul)", patient)
    assert result.status == status, result.reasons


# --- a scale's value named in other words -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03865537 (Leaf): 'total score' after the scale's name, a comma between
        ("Inadequate bowel preparation (Boston Bowel Prep Scale, total score \u22642)",
         [("boston bowel preparation scale", "<=", 2, None, None)]),
        # NCT03867877 (Leaf): the bound first, the scale named after it
        ("Greater than Stage 3 on the Hoehn & Yahr Classification of Disability", [("hoehn and yahr stage", ">", 3, None, None)]),
        # made up: no bound, no reading; a value list is not one bound
        ("stage 2 on the NYHA classification", []),
        ("greater than stage 2 or 3 on the Hoehn and Yahr scale", []),
    ],
)
def test_scale_value_in_other_words(text, expected):
    assert bounds(text) == expected


def test_a_bound_before_its_scale_is_judged():
    tree = parse("Greater than Stage 3 on the Hoehn & Yahr Classification of Disability")
    # 'of Disability' is not understood: never decided, whatever the stage
    record = load_patient({"id": "p", "birth_date": "1950-01-01", "observations": []})
    assert evaluate(tree, record, as_of=date(2026, 6, 1)).truth is Truth.UNKNOWN


# --- one bound for each sex, the sexes after a slash ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03860584 (Leaf), two items of one list
        ("Serum HDL-C: <50/40 mg/dl; F/M", [
            ("hdl cholesterol", "<", 50, "mg/dL", None),
            ("hdl cholesterol", "<", 40, "mg/dL", None),
        ]),
        ("Waist C >89/102 cm; F/M", [
            ("waist circumference", ">", 89, "cm", None),
            ("waist circumference", ">", 102, "cm", None),
        ]),
        # no measure named right before: no case split (a blood pressure's slash is its own)
        ("blood pressure >140/90 mmHg; f/m", [
            ("systolic blood pressure", ">", 140, "mmHg", None),
            ("diastolic blood pressure", ">", 90, "mmHg", None),
        ]),
    ],
)
def test_sex_split_by_slash(text, expected):
    assert bounds(text) == expected


@pytest.mark.parametrize(
    ("sex", "hdl", "expected"),
    [
        ("female", 45, Truth.TRUE),  # < 50 for women
        ("male", 45, Truth.FALSE),  # not < 40 for men
        ("male", 35, Truth.TRUE),
        ("female", 55, Truth.FALSE),
    ],
)
def test_sex_split_by_slash_binds_each_sex(sex, hdl, expected):
    obs = [{"loinc": "2085-9", "value": hdl, "unit": "mg/dL", "date": "2026-05-01"}]
    assert truth("Serum HDL-C: <50/40 mg/dl; F/M", obs, sex=sex) is expected


def test_sex_split_by_slash_the_order_the_text_gives():
    # made up: men first
    obs = [{"loinc": "2085-9", "value": 45, "unit": "mg/dL", "date": "2026-05-01"}]
    assert truth("HDL < 50/40 mg/dL; M/F", obs, sex="male") is Truth.TRUE
    assert truth("HDL < 50/40 mg/dL; M/F", obs, sex="female") is Truth.FALSE


# --- a risk model's lifetime risk ------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # NCT03868514 (Leaf)
        ("strong family history (lifetime risk > 15%)", [("lifetime breast cancer risk", ">", 15, "%", None)]),
        # NCT03868475 (Leaf): the bound before the measure
        ("Women who are considered high-risk based on a greater than 25% lifetime risk of breast cancer as per the IBIS",
         [("lifetime breast cancer risk", ">", 25, "%", None)]),
    ],
)
def test_lifetime_breast_cancer_risk(text, expected):
    assert bounds(text) == expected


def test_lifetime_risk_is_judged():
    tree = parse("lifetime risk of breast cancer > 20%")

    def judge(observations):
        record = {"id": "p", "birth_date": "1970-01-01", "sex": "female", "observations": observations}
        return evaluate(tree, load_patient(record), as_of=date(2026, 6, 1)).truth

    assert judge(_named("lifetime breast cancer risk", 28, "%")) is Truth.TRUE
    assert judge(_named("lifetime breast cancer risk", 12, "%")) is Truth.FALSE
    assert judge([]) is Truth.UNKNOWN
    # the whole corpus line keeps words not understood ('considered high-risk based', 'per the IBIS'): never decided
    line = "Women who are considered high-risk based on a greater than 25% lifetime risk of breast cancer as per the IBIS"
    assert truth(line, _named("lifetime breast cancer risk", 28, "%"), sex="female") is Truth.UNKNOWN


# --- list numbers run into their words ------------------------------------------------------


def test_inline_numbers_run_into_their_words_split_the_items():
    from engine.trials import split_criteria

    # NCT03869294 (Leaf): a legacy export joined the items, each number glued to its word
    text = "Exclusion Criteria:\n1.Age \u226580 years 2.Brain metastasis 3.With other malignancies 4.Chronic diarrhea, cardiac disease\n"
    items = [c.text for c in split_criteria(text)]
    assert items == ["Age \u226580 years", "Brain metastasis", "With other malignancies", "Chronic diarrhea, cardiac disease"]
    assert bounds(items[0]) == [("age", ">=", 80, "years", None)]


def test_a_decimal_is_no_list_number():
    from engine.trials import split_criteria

    text = "Inclusion Criteria:\n1. Protocol version 2.0 of 2019 3.5 mg\n"
    assert [c.text for c in split_criteria(text)] == ["Protocol version 2.0 of 2019 3.5 mg"]


def test_weeks_of_a_pregnancy_in_brackets():
    # NCT03923231 (Leaf)
    assert bounds("Pregnant (>20 weeks)") == [("gestational age", ">", 20, "weeks", None)]
    # not in brackets, or not weeks: no reading
    assert bounds("Pregnancy > 20 weeks") == []
    assert bounds("pregnancy (< 3 months)") == []

    def judge(weeks, pregnant):
        record = {
            "id": "w", "birth_date": "1990-01-01", "sex": "female",
            "observations": [{"loinc": "49051-6", "value": weeks, "unit": "wk", "date": "2026-05-20"}] if weeks else [],
            "conditions": [{"name": "Pregnancy", "icd10cm": "Z33.1", "status": "active", "onset": "2026-01-01"}] if pregnant else [],
        }
        return evaluate(parse("Pregnant (>20 weeks)"), load_patient(record), as_of=date(2026, 6, 1)).truth

    assert judge(30, True) is Truth.TRUE
    assert judge(12, True) is Truth.FALSE
    assert judge(None, True) is Truth.UNKNOWN
