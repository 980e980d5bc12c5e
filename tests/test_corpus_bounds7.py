"""Numeric bounds from the Leaf mismatches (scripts/leaf_bounds.py --show missing), round 7:
scales and readings elig did not know, units of their own, and '= 2 or higher'. Each row
quotes (trimmed) the line the registry published; the new measures carry no code, so a
record without them leaves the criterion unknown, and one that names them is judged.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine import evaluate, load_patient
from engine.logic import Truth
from engine.parse import parse
from engine.summary import thresholds
from engine.units import convert, normalize_unit


def bounds(text: str) -> list[tuple]:
    return [(t["measure"], t["op"], t["value"], t["unit"]) for t in thresholds(parse(text))]


def truth(text: str, observations: list[dict]) -> Truth:
    record = {"id": "p", "birth_date": "1970-01-01", "sex": "male", "observations": observations}
    return evaluate(parse(text), load_patient(record), as_of=date(2026, 6, 1)).truth


def _named(name: str, value, unit: str | None = None) -> list[dict]:
    obs = {"name": name, "value": value, "date": "2026-05-01"}
    if unit:
        obs["unit"] = unit
    return [obs]


# --- scales ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # NCT03868761 (Leaf): '= N or higher' is the postfix's bound, not '= N'
        ("A positive screen for a current Substance User Disorder (CRAFFT = 2 or higher)", [("crafft score", ">=", 2, None)]),
        ("Screen positive for PTSD (Child Trauma Screening Questionnaire = 5 or higher)", [("child trauma screening questionnaire", ">=", 5, None)]),
        # NCT03927794 (Leaf)
        ("Primary anterior teeth in which carious lesions are scored with ICDAS \u22653.", [("icdas score", ">=", 3, None)]),
        ("Subjects with a minimum of 1 and a maximum of 12 primary anterior teeth with early carious lesions Class V of ICDAS score 1-2.", [("icdas score", ">=", 1, None), ("icdas score", "<=", 2, None)]),
        ("Subjects with evidence of reduced salivary flow (>60 sec) or with acidic saliva pH\u02c25.8.", [("salivary ph", "<", 5.8, None)]),
        # NCT03861429 (Leaf)
        ("Mild to moderate cognitive impairment (BIMS = 8-15, (MDS C0500)", [("brief interview for mental status", ">=", 8, None), ("brief interview for mental status", "<=", 15, None)]),
        # NCT03928405 (Leaf)
        ("Those with protective sensation loss (those with Semmes-Weinstein Monofilament Thickness 4.56 and above)", [("semmes-weinstein monofilament", ">=", 4.56, None)]),
        # NCT03927729 (Leaf): the 0-10 numbers shown on a card
        ("Pain > 4 on a visual numerical scale", [("pain numeric rating scale", ">", 4, None)]),
    ],
)
def test_scales(text, expected):
    assert bounds(text) == expected


def test_equals_before_a_postfix_operator_is_no_equality():
    # made up: the same shape on a scale elig knew before
    assert bounds("PHQ-9 = 10 or higher") == [("phq-9 score", ">=", 10, None)]
    assert bounds("PHQ-9 = 10") == [("phq-9 score", "=", 10, None)]


def test_a_scale_bound_is_judged_and_unknown_without_it():
    text = "A positive screen for a current Substance User Disorder (CRAFFT = 2 or higher)"
    tree = "crafft score >= 2"
    assert truth(tree, _named("CRAFFT score", 3)) is Truth.TRUE
    assert truth(tree, _named("CRAFFT score", 1)) is Truth.FALSE
    assert truth(text, []) is Truth.UNKNOWN
    assert truth("Primary anterior teeth in which carious lesions are scored with ICDAS \u22653.", []) is Truth.UNKNOWN


# --- units of their own -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        # NCT03860584 (Leaf)
        ("Serum Endotoxin >25 EU/ml", [("endotoxin", ">", 25, "EU/mL")]),
        # NCT03921931 (Leaf): 'MD' before a bound in decibels is a visual field's
        ("MD <= 10 dB", [("visual field mean deviation", "<=", 10, "dB")]),
        # NCT03925584 (Leaf)
        ("Background noise level (at bedside) at the time of music therapy must be 55dB or less.", [("noise level", "<=", 55, "dB")]),
        # NCT03927690 (Leaf): the study eye's range; the fellow eye's bound is not read
        (
            "The ETDRS letter score in the study eye must be between 24 and 70 letters (approximate Snellen equivalent of 20/40-20/320). The non-study eye (fellow eye) should be \u226534 letters",
            [("etdrs letter score", ">=", 24, "letters"), ("etdrs letter score", "<=", 70, "letters")],
        ),
        # NCT03860194 (Leaf)
        ("Subject has lower handgrip strength (<26 kg in men; <18 kg in women) using dynamometer or slowly gait speed (<1 m/s)", [("handgrip strength", "<", 26, "kg"), ("handgrip strength", "<", 18, "kg"), ("gait speed", "<", 1, "m/s")]),
        # NCT03927404 (Leaf, without its glued list number '5.')
        ("Residual limb length greater than 6.5 inches in length", [("residual limb length", ">", 6.5, "inch")]),
        # NCT03921710 (Leaf): the follicles' count and size are not read
        ("PCOS patients with polycystic ovarian morphology: at least 25 follicles (2-9 mm) throughout the whole ovary and/or increased ovarian volume (>10ml)", [("ovarian volume", ">", 10, "mL")]),
        # NCT03868969 (Leaf): leukocytes counted in urine, not the blood count
        ("And urinary analysis with leukocyturia > 10 / mm3, bacteriuria > 10^3 CFU/mL with ESBL producing enterobacteriaceae", [("urine white blood cell count", ">", 10, "/mm3")]),
        # NCT03863366 (Leaf)
        ("Typically drinks > 6 caffeinated drinks per day", [("caffeine intake", ">", 6, "caffeinated drinks/day")]),
        # NCT03923465 (Leaf)
        ("Having one isolated intrabony defect with probing depth (PD) \u22657 mm, clinical attachment level (CAL) \u22658 mm and at least 4 mm intrabony component involving predominantly the interproximal area", [("periodontal probing depth", ">=", 7, "mm"), ("clinical attachment level", ">=", 8, "mm"), ("intrabony defect depth", ">=", 4, "mm")]),
        # NCT03861130 (Leaf): the bracket may end with the measure's own noun
        ("Cervical lymphadenopathy (>1.5cm diameter), usually unilateral", [("lymph node diameter", ">", 1.5, "cm")]),
        # NCT03868670 (Leaf): the bound before its measure, a share of the excess weight
        ("Previous Gastric Bypass Surgery lead to less than 50% of excess weight lost by 2 years after surgery", [("excess weight loss", "<", 50, "%")]),
        # NCT03920813 (Leaf): 'MRD' bounded in %
        ("Patients with high-risk ALL (presence of higher-risk features: MRD \u2265 1% at 46 day, or age < 6 month", [("minimal residual disease percentage", ">=", 1, "%"), ("age", "<", 6, "months")]),
    ],
)
def test_units_of_their_own(text, expected):
    assert bounds(text) == expected


def test_new_units_fold_and_convert():
    assert [normalize_unit(u) for u in ("EU/ml", "dB", "letters", "inches", "m / s", "caffeinated drinks per day")] == ["EU/mL", "dB", "letters", "inch", "m/s", "caffeinated drinks/day"]
    assert convert(Decimal("6.5"), "inch", "cm") == Decimal("16.51")  # exactly 2.54 cm an inch


@pytest.mark.parametrize(
    "text, value, unit, expected",
    [
        ("Serum Endotoxin >25 EU/ml", 30, "EU/mL", Truth.TRUE),
        ("Serum Endotoxin >25 EU/ml", 20, "EU/mL", Truth.FALSE),
        ("Serum Endotoxin >25 EU/ml", 30, "ng/mL", Truth.UNKNOWN),  # no factor from EU to mass
        ("gait speed < 1 m/s", 0.8, "m/s", Truth.TRUE),
        ("gait speed < 1 m/s", 1.2, "m/s", Truth.FALSE),
        ("residual limb length > 6.5 inches", 20, "cm", Truth.TRUE),  # 16.51 cm
        ("residual limb length > 6.5 inches", 15, "cm", Truth.FALSE),
        ("caffeine intake > 6 caffeinated drinks per day", 8, "caffeinated drinks/day", Truth.TRUE),
        ("caffeine intake > 6 caffeinated drinks per day", 8, "drinks/day", Truth.UNKNOWN),  # alcohol is another count
    ],
)
def test_new_measures_are_judged(text, value, unit, expected):
    name = {"Serum": "serum endotoxin", "gait": "gait speed", "residual": "residual limb length", "caffeine": "caffeine intake"}[text.split()[0]]
    assert truth(text, _named(name, value, unit)) is expected


@pytest.mark.parametrize(
    "text",
    ["Serum Endotoxin >25 EU/ml", "MD <= 10 dB", "Typically drinks > 6 caffeinated drinks per day", "slowly gait speed (<1 m/s)"],
)
def test_unknown_without_the_measure(text):
    """A bound on a measure no code names: a record without it decides nothing."""
    assert truth(text, []) is Truth.UNKNOWN


# --- what is not read ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        # corpus: a power of ten is no bound of 10, and MRD named as a finding takes no range of cycles
        "Presence of minimal residual disease at a level of \u2265 10^-3",
        "Receiving adjuvant T-DM1, with evidence of MRD (positive test by Inivata RaDaR) after receiving 2-6 cycles of T-DM1",
        "MRD \u2265 10^-3",
        # made up: 'MD' is a doctor when its bound is in no decibels, and 'drinks' of alcohol no caffeine
        "MD \u2265 2 years",
        "drinks > 14 drinks per week",
        "lymphadenopathy (> 2 weeks)",
    ],
)
def test_no_bound(text):
    assert [b for b in bounds(text) if b[0] in ("minimal residual disease percentage", "visual field mean deviation", "caffeine intake", "lymph node diameter")] == []


def test_a_compliance_share_stays_a_judgment():
    # NCT03867201 (Leaf): how well a study diary was kept is the investigators' call; the share
    # the text asks for is the judgment's bound (as a life expectancy's), never a measure's
    text = ">=80% diary compliance during the baseline period"
    assert parse(text).kind == "judgment"
    assert bounds(text) == [("compliance", ">=", 80, "%")]
    assert truth(text, _named("compliance", 95, "%")) is Truth.UNKNOWN
