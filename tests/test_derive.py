"""Derived values: age, calendar months, Cockcroft-Gault, BMI, prednisone equivalents."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import derive
from engine.derive import add_months, age, fmt, tidy, whole_months
from engine.patient import Coding, MedicationRecord, Observation, PartialDate, Patient
from engine.vocab import Concept, Vocabulary

LOINC = "http://loinc.org"
AS_OF = date(2026, 6, 1)

VOCAB = Vocabulary(
    [
        Concept(kind="measure", name="serum creatinine", synonyms=("creatinine",),
                codes=(("loinc", "2160-0"), ("loinc", "14682-9")), unit="mg/dL", molar_mass=Decimal("113.12")),
        Concept(kind="measure", name="body weight", synonyms=("weight",), codes=(("loinc", "29463-7"),), unit="kg"),
        Concept(kind="measure", name="body height", synonyms=("height",), codes=(("loinc", "8302-2"),), unit="cm"),
    ],
    "test",
)  # fmt: skip

PREDNISONE = Concept(kind="drug", name="prednisone", prednisone_equivalent_mg=Decimal(5))
DEXAMETHASONE = Concept(kind="drug", name="dexamethasone", prednisone_equivalent_mg=Decimal("0.75"))
HYDROCORTISONE = Concept(kind="drug", name="hydrocortisone", prednisone_equivalent_mg=Decimal(20))
TACROLIMUS = Concept(kind="drug", name="tacrolimus")


def obs(code, value, unit, day="2026-05-20"):
    return Observation(codings=(Coding(system=LOINC, code=code),), value=Decimal(value), unit=unit, date=date.fromisoformat(day))


def renal(*observations, born="1986-01-15"):
    return Patient(id="p", birth_date=date.fromisoformat(born), observations=observations)


# --- dates -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        ("2026-03-31", -1, "2026-02-28"),  # no 31 February: clamped to the month's end
        ("2024-03-31", -1, "2024-02-29"),  # leap year
        ("2026-01-31", 1, "2026-02-28"),
        ("2026-01-15", -1, "2025-12-15"),
        ("2026-06-01", -6, "2025-12-01"),
        ("2026-06-01", -18, "2024-12-01"),
        ("2024-02-29", -12, "2023-02-28"),
        ("2026-06-01", 0, "2026-06-01"),
    ],
)
def test_add_months(day, months, expected):
    assert add_months(date.fromisoformat(day), months) == date.fromisoformat(expected)


@pytest.mark.parametrize(
    ("born", "on", "years"),
    [
        ("2008-06-01", "2026-06-01", 18),  # birthday on the as-of date counts
        ("2008-06-02", "2026-06-01", 17),
        ("2008-05-31", "2026-06-01", 18),
        ("2008-02-29", "2026-02-28", 18),  # leap-day birth: birthday taken as 28 February
        ("2008-02-29", "2026-02-27", 17),
        ("2026-06-01", "2026-06-01", 0),
    ],
)
def test_age_whole_years(born, on, years):
    assert age(date.fromisoformat(born), date.fromisoformat(on)) == years


def test_age_in_other_units():
    born, on = date(2025, 11, 30), date(2026, 6, 1)
    assert age(born, on, "months") == 6
    assert age(born, on, "weeks") == 26
    assert age(born, on, "days") == 183


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 6, 1)), st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 1, 1)))
def test_whole_months_agrees_with_add_months(start, end):
    if end < start:
        start, end = end, start
    m = whole_months(start, end)
    assert m >= 0
    assert add_months(start, m) <= end
    assert add_months(start, m + 1) > end


def test_age_of_patient():
    derived = derive.age_of(Patient(id="p", birth_date=date(2008, 6, 1)), AS_OF)
    assert derived.value == 18 and derived.reason == "age 18 years at 2026-06-01 (born 2008-06-01)"
    missing = derive.age_of(Patient(id="p"), AS_OF)
    assert missing.value is None and missing.missing == ("date of birth",)


# --- numbers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "shown"),
    [(Decimal("2.10"), "2.10"), (Decimal("1E+2"), "100"), (Decimal("0.0005"), "0.0005"), (Decimal("100000"), "100000")],
)
def test_fmt(value, shown):
    assert fmt(value) == shown


def test_tidy_removes_decimal_noise():
    assert tidy(Decimal(1) / Decimal(3) * 3) == Decimal(1)
    assert str(tidy(Decimal("500.0000000000000001"))) == "500"
    assert str(tidy(Decimal("0.50"))) == "0.5"
    assert str(tidy(Decimal("97.22222222222222222222"))) == "97.2222222222"


# --- latest ------------------------------------------------------------------------------------


def test_latest_ignores_later_and_undated():
    a = obs("2160-0", "1", "mg/dL", "2026-05-01")
    b = obs("2160-0", "2", "mg/dL", "2026-05-20")
    c = obs("2160-0", "3", "mg/dL", "2026-06-02")
    e = Observation(codings=a.codings, value=Decimal(4), unit="mg/dL")
    found, later, undated = derive.latest([a, b, c, e], AS_OF)
    assert found == [b] and later == 1 and undated == 1
    assert derive.latest([c], AS_OF) == ([], 1, 0)


# --- Cockcroft-Gault ----------------------------------------------------------------------


def test_cockcroft_gault_worked_numbers():
    p = renal(obs("29463-7", "70", "kg"), obs("2160-0", "1.0", "mg/dL"))
    man = derive.creatinine_clearance(p, AS_OF, VOCAB, sex="male")
    # (140 - 40) x 70 / (72 x 1.0) = 7000 / 72 = 97.2222...
    assert man.value == tidy(Decimal(7000) / Decimal(72))
    assert man.unit == "mL/min"
    assert man.reason == (
        "creatinine clearance 97.2 mL/min, derived: Cockcroft-Gault (140 - age) x weight / (72 x creatinine)"
        " from serum creatinine 1.0 mg/dL (2026-05-20), body weight 70 kg (2026-05-20) (actual body weight), age 40"
    )
    woman = derive.creatinine_clearance(p, AS_OF, VOCAB, sex="female")
    # x 0.85 = 82.6388...
    assert woman.value == tidy(Decimal(7000) / Decimal(72) * Decimal("0.85"))
    assert "x 0.85 (female)" in woman.reason and "82.6 mL/min" in woman.reason


def test_cockcroft_gault_second_example():
    # 60-year-old woman, 55 kg, creatinine 0.8 mg/dL: (80 x 55) / (72 x 0.8) x 0.85 = 64.93
    p = renal(obs("29463-7", "55", "kg"), obs("2160-0", "0.8", "mg/dL"), born="1966-05-01")
    woman = derive.creatinine_clearance(p, AS_OF, VOCAB, sex="female")
    assert derive.round_to(woman.value, 2) == Decimal("64.93")


def test_cockcroft_gault_converts_units():
    p = renal(obs("29463-7", "70000", "g"), obs("14682-9", "88.4", "umol/L"))
    man = derive.creatinine_clearance(p, AS_OF, VOCAB, sex="male")
    assert derive.round_to(man.value, 1) == Decimal("97.2")
    assert "88.4 umol/L (2026-05-20) \u2248 0.999981 mg/dL" in man.reason
    assert "70000 g (2026-05-20) = 70 kg" in man.reason


def test_cockcroft_gault_uses_the_latest_inputs():
    p = renal(
        obs("29463-7", "90", "kg", "2025-01-01"),
        obs("29463-7", "70", "kg", "2026-05-20"),
        obs("2160-0", "1.0", "mg/dL", "2026-05-20"),
        obs("2160-0", "3.0", "mg/dL", "2026-07-01"),
    )
    assert derive.round_to(derive.creatinine_clearance(p, AS_OF, VOCAB, sex="male").value, 1) == Decimal("97.2")


@pytest.mark.parametrize(
    ("patient", "missing"),
    [
        (renal(obs("2160-0", "1.0", "mg/dL")), ("body weight",)),
        (renal(obs("29463-7", "70", "kg")), ("serum creatinine",)),
        (Patient(id="p", observations=(obs("29463-7", "70", "kg"), obs("2160-0", "1", "mg/dL"))), ("date of birth",)),
    ],
)
def test_cockcroft_gault_missing_inputs(patient, missing):
    derived = derive.creatinine_clearance(patient, AS_OF, VOCAB, sex="male")
    assert derived.value is None
    assert derived.missing == missing
    assert derived.reason.startswith("creatinine clearance cannot be derived")


def test_cockcroft_gault_unusable_creatinine():
    p = renal(obs("29463-7", "70", "kg"), obs("2160-0", "0", "mg/dL"))
    assert derive.creatinine_clearance(p, AS_OF, VOCAB, sex="male").value is None


# --- BMI -------------------------------------------------------------------------------------


def test_body_mass_index():
    p = renal(obs("29463-7", "70", "kg"), obs("8302-2", "175", "cm"))
    bmi = derive.body_mass_index(p, AS_OF, VOCAB)
    assert derive.round_to(bmi.value, 2) == Decimal("22.86")
    assert bmi.unit == "kg/m2"
    assert bmi.reason.startswith("body mass index 22.9 kg/m2, derived: weight / height^2 from body weight 70 kg")
    missing = derive.body_mass_index(renal(obs("29463-7", "70", "kg")), AS_OF, VOCAB)
    assert missing.value is None and missing.missing == ("body height",)


# --- prednisone equivalents -------------------------------------------------------------------


def steroid(daily, unit="mg"):
    return MedicationRecord(daily_dose=Decimal(daily) if daily is not None else None, dose_unit=unit)


@pytest.mark.parametrize(
    ("record", "concept", "expected"),
    [
        (steroid("10"), PREDNISONE, Decimal(10)),
        (steroid("1.5"), DEXAMETHASONE, Decimal(10)),  # 1.5 x 5 / 0.75
        (steroid("20"), HYDROCORTISONE, Decimal(5)),
        (steroid("0.01", "g"), PREDNISONE, Decimal(10)),
        (steroid(None), PREDNISONE, None),
        (steroid("10"), TACROLIMUS, None),  # no equivalence
        (steroid("10", "mL"), PREDNISONE, None),  # not a mass
    ],
)
def test_prednisone_equivalent_daily_dose(record, concept, expected):
    assert derive.prednisone_equivalent_daily_dose(record, concept) == expected


def test_match_record_prefers_code_and_guards_loinc_text():
    creat = VOCAB.get("measure", "serum creatinine")
    coded = obs("2160-0", "1", "mg/dL")
    assert derive.match_record(VOCAB, creat, coded.codings, None, exact_tests=True) is creat
    urine = Observation(codings=(Coding(system=LOINC, code="2161-8"),), text="Creatinine [Mass/volume] in Urine")
    assert derive.match_record(VOCAB, creat, urine.codings, urine.text, exact_tests=True) is None
    assert derive.match_record(VOCAB, creat, (), "Creatinine", exact_tests=True) is creat


def test_partial_birth_date_is_not_used_by_age_of():
    # age_of uses the birth date it is given; evaluate handles the partial date's range
    p = Patient(
        id="p",
        birth_date=date(2008, 1, 1),
        partial_dates=(PartialDate(field="birth_date", precision="year", latest=date(2008, 12, 31)),),
    )
    assert derive.age_of(p, AS_OF).value == 18
