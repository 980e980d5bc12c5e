"""engine.units: spellings, the unit regex, UCUM codes, exact conversions, kinds kept apart."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import engine.units
from engine.errors import UnitError
from engine.units import (
    CANONICAL_UNITS,
    UNIT_REGEX,
    comparable,
    compare,
    convert,
    from_ucum,
    hba1c_to_ifcc,
    hba1c_to_ngsp,
    normalize_unit,
    quantity,
    registry,
)

D = Decimal
UNIT = re.compile(UNIT_REGEX, re.IGNORECASE)

# (spelling as criteria write it, canonical spelling)
SPELLINGS = [
    # counts
    ("/μL", "/uL"),  # Greek mu U+03BC
    ("/µL", "/uL"),  # micro sign U+00B5
    ("/uL", "/uL"),
    ("/ul", "/uL"),
    ("/mcL", "/uL"),
    ("/mm3", "/mm3"),
    ("/mm³", "/mm3"),
    ("/cmm", "/mm3"),
    ("cells/mm3", "/mm3"),
    ("cells/mm³", "/mm3"),
    ("cells/μL", "/uL"),
    ("cells/uL", "/uL"),
    ("per mm3", "/mm3"),
    ("x 10^9/L", "10^9/L"),
    ("× 10⁹/L", "10^9/L"),
    ("x10^9/L", "10^9/L"),
    ("X 10^9/l", "10^9/L"),
    ("10^9/L", "10^9/L"),
    ("10*9/L", "10^9/L"),
    ("109/L", "10^9/L"),
    ("x 109/L", "10^9/L"),
    ("x 10^9 cells/L", "10^9/L"),
    ("10^3/μL", "10^3/uL"),
    ("10*3/uL", "10^3/uL"),
    ("x10E3/uL", "10^3/uL"),
    ("x10ˆ9 /L", "10^9/L"),  # U+02C6 modifier circumflex, as pasted from word processors
    ("x 10³/mm³", "10^3/mm3"),
    ("K/uL", "10^3/uL"),
    ("K/μL", "10^3/uL"),
    ("k/mm3", "10^3/mm3"),
    ("G/L", "10^9/L"),
    ("T/L", "10^12/L"),
    ("x 10^12/L", "10^12/L"),
    ("x 10^6/kg", "10^6/kg"),
    ("/L", "/L"),
    # concentrations
    ("g/dL", "g/dL"),
    ("g/dl", "g/dL"),
    ("g/L", "g/L"),
    ("mg/dL", "mg/dL"),
    ("mg/dl", "mg/dL"),
    ("MG/DL", "mg/dL"),
    ("mg/L", "mg/L"),
    ("µmol/L", "umol/L"),
    ("umol/L", "umol/L"),
    ("μmol/L", "umol/L"),
    ("mmol/L", "mmol/L"),
    ("mM", "mmol/L"),
    ("mmol/mol", "mmol/mol"),
    ("mEq/L", "mEq/L"),
    ("meq/l", "mEq/L"),
    ("IU/L", "IU/L"),
    ("U/L", "U/L"),
    ("UI/L", "IU/L"),
    ("IU/mL", "IU/mL"),
    ("mIU/mL", "mIU/mL"),
    ("ng/mL", "ng/mL"),
    ("ng/dL", "ng/dL"),
    ("pg/mL", "pg/mL"),
    ("µg/L", "ug/L"),
    ("mcg/L", "ug/L"),
    ("copies/mL", "copies/mL"),
    ("copies", "copies"),
    # renal function
    ("mL/min", "mL/min"),
    ("ml/min", "mL/min"),
    ("mL/min/1.73 m2", "mL/min/1.73m2"),
    ("mL/min/1.73m²", "mL/min/1.73m2"),
    ("ml/min/1.73 m^2", "mL/min/1.73m2"),
    ("mL/min per 1.73 m2", "mL/min/1.73m2"),
    # doses
    ("mg/day", "mg/day"),
    ("mg/d", "mg/day"),
    ("mg per day", "mg/day"),
    ("mg/24 h", "mg/day"),
    ("mg/kg", "mg/kg"),
    ("mg/m2", "mg/m2"),
    ("mg/m²", "mg/m2"),
    ("mg/kg/day", "mg/kg/day"),
    ("mg/kg/d", "mg/kg/day"),
    ("mg", "mg"),
    ("g", "g"),
    ("kg", "kg"),
    ("mcg", "ug"),
    ("IU", "IU"),
    # vital signs and body
    ("%", "%"),
    ("percent", "%"),
    ("mmHg", "mmHg"),
    ("mm Hg", "mmHg"),
    ("kg/m2", "kg/m2"),
    ("kg/m²", "kg/m2"),
    ("cm", "cm"),
    ("m", "m"),
    ("bpm", "bpm"),
    ("beats per minute", "bpm"),
    ("beats/min", "bpm"),
    ("/min", "bpm"),
    ("°C", "degC"),
    ("℃", "degC"),
    ("lbs", "lb"),
    ("pounds", "lb"),
    # times
    ("sec", "s"),
    ("seconds", "s"),
    ("ms", "ms"),
    ("msec", "ms"),
]
# Spellings normalize_unit reads but UNIT_REGEX leaves alone: durations belong to the grammar.
NOT_IN_CRITERIA = [
    ("years", "years"),
    ("yrs", "years"),
    ("months", "months"),
    ("mo", "months"),
    ("weeks", "weeks"),
    ("days", "days"),
    ("d", "days"),
    ("hours", "hours"),
    ("h", "hours"),
    ("minutes", "minutes"),
    ("L", "L"),
    ("U", "U"),
]


@pytest.mark.parametrize(("text", "canonical"), SPELLINGS + NOT_IN_CRITERIA)
def test_normalize_unit(text: str, canonical: str) -> None:
    assert normalize_unit(text) == canonical


@pytest.mark.parametrize(("text", "canonical"), SPELLINGS)
def test_unit_regex_matches_each_spelling_whole(text: str, canonical: str) -> None:
    m = UNIT.match(text + " and more")
    assert m is not None and m.group() == text


@pytest.mark.parametrize(
    "text",
    ["days", "weeks", "months", "years", "hours", "minutes", "grade", "mgmt", "x ULN", "2L",
     "d", "mo", "yrs", "h", "times ULN", "sites", "lines", "cycles"],
)  # fmt: skip
def test_unit_regex_leaves_words_and_durations_alone(text: str) -> None:
    assert UNIT.match(text) is None


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("mg/dose", "mg"),  # "/d" of "/dose" is not a day
        ("g/dL.", "g/dL"),
        ("%)", "%"),
        ("mm Hg or", "mm Hg"),
        ("mL/min/1.73 m2 by CKD-EPI", "mL/min/1.73 m2"),
        ("x 10^9/L (1500/mm3)", "x 10^9/L"),
    ],
)
def test_unit_regex_stops_at_the_unit(text: str, found: str) -> None:
    m = UNIT.match(text)
    assert m is not None and m.group() == found


def test_unit_regex_is_non_capturing() -> None:
    assert UNIT.groups == 0


@pytest.mark.parametrize("canonical", CANONICAL_UNITS)
def test_canonical_spellings_are_fixed_points(canonical: str) -> None:
    assert normalize_unit(canonical) == canonical
    assert quantity(D(1), canonical).magnitude == 1


def test_case_tells_giga_cells_from_grams() -> None:
    assert normalize_unit("G/L") == "10^9/L"
    assert normalize_unit("g/L") == "g/L"
    assert not comparable("G/L", "g/L")


@pytest.mark.parametrize("text", ["furlongs", "mg/fortnight", "", "cells", "10^9", "x ULN"])
def test_unknown_unit_is_named(text: str) -> None:
    with pytest.raises(UnitError, match=re.escape(repr(text))):
        normalize_unit(text)


def test_unit_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'parsecs/mL'"):
        quantity(D(1), "parsecs/mL")


# ------------------------------------------------------------------------------------- UCUM


@pytest.mark.parametrize(
    ("code", "canonical"),
    [
        ("10*3/uL", "10^3/uL"),
        ("10*9/L", "10^9/L"),
        ("10*6/uL", "10^6/uL"),
        ("10*12/L", "10^12/L"),
        ("mm[Hg]", "mmHg"),
        ("mL/min/{1.73_m2}", "mL/min/1.73m2"),
        ("mL/min", "mL/min"),
        ("{cells}/uL", "/uL"),
        ("/uL", "/uL"),
        ("10*3{cells}/uL", "10^3/uL"),
        ("[IU]/L", "IU/L"),
        ("[iU]/L", "IU/L"),
        ("m[IU]/mL", "mIU/mL"),
        ("U/L", "U/L"),
        ("%", "%"),
        ("%{HbA1c}", "%"),
        ("kg/m2", "kg/m2"),
        ("g/dL", "g/dL"),
        ("mg/dL", "mg/dL"),
        ("umol/L", "umol/L"),
        ("mmol/mol", "mmol/mol"),
        ("meq/L", "mEq/L"),
        ("{copies}/mL", "copies/mL"),
        ("/min", "bpm"),
        ("{beats}/min", "bpm"),
        ("kg", "kg"),
        ("cm", "cm"),
        ("s", "s"),
        ("ms", "ms"),
        ("a", "years"),
        ("mo", "months"),
        ("wk", "weeks"),
        ("d", "days"),
        ("Cel", "degC"),
        ("[degF]", "degF"),
        ("mg/d", "mg/day"),
        # free spellings from FHIR `unit` strings
        ("x10E3/uL", "10^3/uL"),
        ("K/uL", "10^3/uL"),
        ("mg/dl", "mg/dL"),
        ("cells/mm3", "/mm3"),
        # the long tail, read by ucumvert: the code is its own canonical spelling
        ("kat/L", "kat/L"),
        ("[lb_av]", "[lb_av]"),
        ("{score}", "1"),
    ],
)
def test_from_ucum(code: str, canonical: str) -> None:
    assert from_ucum(code) == canonical
    quantity(D(1), canonical)  # and every canonical spelling is readable


@pytest.mark.parametrize(
    "code",
    ["[foo]", "mL/min/1.73{m2}", "10.L/min", "((mg", "[pH]", "not a unit"],
)
def test_from_ucum_refuses(code: str) -> None:
    with pytest.raises(UnitError, match=re.escape(repr(code))):
        from_ucum(code)


def test_long_tail_ucum_converts() -> None:
    assert convert(D(150), "[lb_av]", "kg") == D("68.0388555")


# ---------------------------------------------------------------------------------- counts


@pytest.mark.parametrize(
    ("value", "unit", "other_value", "other_unit"),
    [
        ("500", "/uL", "0.5", "10^9/L"),
        ("500", "/μL", "0.5", "× 10⁹/L"),
        ("500", "/mm3", "500", "/uL"),
        ("500", "cells/mm³", "0.5", "10^3/uL"),
        ("100000", "/mm3", "100", "10^9/L"),
        ("100", "K/uL", "100", "G/L"),
        ("1500", "/uL", "1.5", "109/L"),
        ("4.5", "10^12/L", "4.5", "10^6/uL"),
        ("1", "10^9/L", "1000000", "/mL"),
    ],
)
def test_counts_are_exactly_equal(value: str, unit: str, other_value: str, other_unit: str) -> None:
    assert compare(D(value), unit, D(other_value), other_unit) == 0
    assert compare(D(other_value), other_unit, D(value), unit) == 0


def test_count_boundaries_have_no_float_drift() -> None:
    assert convert(D(500), "/mm3", "/uL") == D(500)
    assert convert(D(500), "/uL", "10^9/L") == D("0.5")
    assert convert(D(100000), "/mm3", "10^9/L") == D(100)
    assert str(convert(D(1500), "/uL", "10^9/L")) == "1.5"
    assert compare(D("499.999"), "/uL", D("0.5"), "10^9/L") == -1
    assert compare(D("500.001"), "/uL", D("0.5"), "10^9/L") == 1


def test_quantity_has_decimal_magnitude() -> None:
    q = quantity(D("0.5"), "10^9/L")
    assert isinstance(q.magnitude, Decimal)
    assert q.to(quantity(D(1), "/uL").units).magnitude == D(500)


# ---------------------------------------------------------------------------- molar masses

CREATININE, BILIRUBIN, GLUCOSE = D("113.12"), D("584.66"), D("180.16")


@pytest.mark.parametrize(
    ("value", "unit", "to_unit", "molar_mass", "expected", "within"),
    [
        ("1.2", "mg/dL", "umol/L", CREATININE, "106.08", "0.01"),
        ("1", "mg/dL", "umol/L", CREATININE, "88.4", "0.01"),
        ("88.4", "umol/L", "mg/dL", CREATININE, "1", "0.001"),
        ("1", "mg/dL", "umol/L", BILIRUBIN, "17.1", "0.01"),
        ("1.5", "mg/dL", "umol/L", BILIRUBIN, "25.66", "0.01"),
        ("1", "mg/dL", "mmol/L", GLUCOSE, "0.0555", "0.0001"),
        ("126", "mg/dL", "mmol/L", GLUCOSE, "7.0", "0.01"),
        ("7", "mmol/L", "mg/dL", GLUCOSE, "126.1", "0.1"),
        ("1", "g", "mmol", GLUCOSE, "5.55", "0.01"),
    ],
)
def test_molar_conversions(
    value: str, unit: str, to_unit: str, molar_mass: Decimal, expected: str, within: str
) -> None:
    result = convert(D(value), unit, to_unit, molar_mass=molar_mass)
    assert abs(result - D(expected)) <= D(within)


def test_molar_conversion_is_rounded_to_fifteen_digits() -> None:
    assert convert(D("1.2"), "mg/dL", "umol/L", molar_mass=CREATININE) == D("106.082036775106")


def test_molar_conversion_needs_molar_mass() -> None:
    with pytest.raises(UnitError, match=r"'mg/dL'.*'umol/L'.*molar mass"):
        convert(D("1.2"), "mg/dL", "umol/L")
    assert not comparable("umol/L", "mg/dL")
    assert comparable("umol/L", "mg/dL", molar_mass=CREATININE)


def test_compare_through_molar_mass() -> None:
    assert compare(D("132"), "umol/L", D("1.5"), "mg/dL", molar_mass=CREATININE) == -1
    assert compare(D("133"), "umol/L", D("1.5"), "mg/dL", molar_mass=CREATININE) == 1


# ------------------------------------------------------------------- kinds that never meet


@pytest.mark.parametrize(
    ("unit", "other"),
    [
        ("mL/min", "mL/min/1.73m2"),  # creatinine clearance is not eGFR
        ("%", "mmol/mol"),  # HbA1c is affine
        ("%", "/uL"),
        ("mEq/L", "mmol/L"),  # valence
        ("copies/mL", "IU/mL"),  # assay-specific
        ("years", "days"),  # calendar years are not 365.25 days
        ("months", "weeks"),
        ("10^9/L", "g/L"),
        ("mg/dL", "mmol/L"),  # without a molar mass
        ("kg/m2", "kg"),
    ],
)
def test_different_kinds_raise(unit: str, other: str) -> None:
    assert not comparable(unit, other)
    assert not comparable(other, unit)
    with pytest.raises(UnitError, match=f"{re.escape(repr(unit))} to {re.escape(repr(other))}"):
        convert(D(1), unit, other)
    with pytest.raises(UnitError):
        compare(D(1), unit, D(1), other)


@pytest.mark.parametrize(
    ("value", "unit", "to_unit", "expected"),
    [
        ("60", "mL/min/1.73m2", "mL/min/1.73 m²", "60"),
        ("1", "mL/s", "mL/min", "60"),
        ("120", "mmHg", "kPa", "15.9986864898"),
        ("100.4", "degF", "degC", "38"),
        ("6", "months", "years", "0.5"),
        ("18", "years", "months", "216"),
        ("2", "weeks", "days", "14"),
        ("40", "IU/L", "U/L", "40"),  # the enzyme unit, by either name
        ("5", "mIU/mL", "IU/L", "5"),
        ("1", "ug/L", "ng/mL", "1"),
        ("12.5", "g/dL", "g/L", "125"),
        ("150", "lb", "kg", "68.0388555"),
        ("20", "mg/day", "mg/d", "20"),
        ("1", "g/day", "mg/day", "1000"),
        ("480", "ms", "s", "0.48"),
        ("1", "bpm", "/min", "1"),
        ("50", "%", "%", "50"),
    ],
)
def test_same_kind_converts_exactly(value: str, unit: str, to_unit: str, expected: str) -> None:
    assert convert(D(value), unit, to_unit) == D(expected)


def test_results_are_plain_decimals() -> None:
    assert str(convert(D("0.5"), "10^9/L", "/uL")) == "500"
    assert str(convert(D(100), "10^9/L", "/uL")) == "100000"
    assert str(convert(D("0.500"), "g/L", "g/L")) == "0.5"


# ----------------------------------------------------------------------------------- HbA1c


@pytest.mark.parametrize(
    ("percent", "mmol_mol"),
    [("6.5", "47.54115"), ("2.15", "0"), ("7", "53.00565"), ("10", "85.79265")],
)
def test_hba1c_master_equation(percent: str, mmol_mol: str) -> None:
    assert hba1c_to_ifcc(D(percent)) == D(mmol_mol)
    assert hba1c_to_ngsp(D(mmol_mol)) == D(percent)


def test_hba1c_rounded_values() -> None:
    assert round(hba1c_to_ngsp(D(48)), 1) == D("6.5")
    assert round(hba1c_to_ifcc(D("8.0"))) == 64


# ------------------------------------------------------------------------------ properties

DECIMALS = st.decimals(
    min_value=D("0.001"), max_value=D("1000000"), places=3, allow_nan=False, allow_infinity=False
)
EXACT_PAIRS = [
    ("/uL", "10^9/L"),
    ("/mm3", "10^3/uL"),
    ("10^12/L", "10^6/uL"),
    ("mg/dL", "g/L"),
    ("ug/L", "ng/dL"),
    ("mg/kg/day", "ug/kg/day"),
    ("IU/L", "mIU/mL"),
    ("mL/min/1.73m2", "L/min/1.73m2"),
]
# Factors with no finite decimal (1/24, 1/60, 1/12), or whose products outgrow the 15
# significant digits results are rounded to (1 mmHg = 0.133322387415 kPa).
INEXACT_PAIRS = [
    ("mmHg", "kPa"),
    ("mg/kg/day", "ug/kg/h"),
    ("mL/min/1.73m2", "mL/s/1.73m2"),
    ("bpm", "Hz"),
    ("months", "years"),
]


@settings(max_examples=200, deadline=None)
@given(value=DECIMALS, pair=st.sampled_from(EXACT_PAIRS))
def test_convert_round_trip_is_exact(value: Decimal, pair: tuple[str, str]) -> None:
    unit, other = pair
    there = convert(value, unit, other)
    assert convert(there, other, unit) == value
    assert compare(value, unit, there, other) == 0


@settings(max_examples=200, deadline=None)
@given(value=DECIMALS, pair=st.sampled_from(INEXACT_PAIRS))
def test_convert_round_trip_within_rounding(value: Decimal, pair: tuple[str, str]) -> None:
    unit, other = pair
    back = convert(convert(value, unit, other), other, unit)
    assert abs(back - value) <= value * D("1e-14")


@settings(max_examples=200, deadline=None)
@given(value=DECIMALS, molar_mass=st.sampled_from([CREATININE, BILIRUBIN, GLUCOSE]))
def test_molar_round_trip_within_rounding(value: Decimal, molar_mass: Decimal) -> None:
    there = convert(value, "mg/dL", "umol/L", molar_mass=molar_mass)
    back = convert(there, "umol/L", "mg/dL", molar_mass=molar_mass)
    assert abs(back - value) <= value * D("1e-13")


@settings(max_examples=300, deadline=None)
@given(text=st.from_regex(UNIT, fullmatch=True))
def test_everything_the_regex_matches_normalises(text: str) -> None:
    from hypothesis import assume

    from engine.units import MAX_UNIT_LENGTH

    canonical = normalize_unit(text)
    assume(len(canonical) <= MAX_UNIT_LENGTH)  # longer units are kept as written, never read (engine/limits)
    assert normalize_unit(canonical) == canonical
    quantity(D(1), canonical)


# ------------------------------------------------------------------------------ machinery


def test_registry_is_built_once() -> None:
    assert registry() is registry()
    assert quantity(D(1), "mg")._REGISTRY is registry()


def test_import_is_cheap() -> None:
    code = (
        "import sys, engine.units; "
        "assert 'pint' not in sys.modules and 'ucumvert' not in sys.modules, "
        "sorted(m for m in sys.modules if m.startswith(('pint', 'ucumvert')))"
    )
    root = Path(engine.units.__file__).parents[1]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root)


def test_doctests() -> None:
    failures, _ = doctest.testmod(engine.units, optionflags=doctest.ELLIPSIS)
    assert failures == 0
