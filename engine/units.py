"""The one pint registry of elig: unit spellings, canonical units, exact conversions.

Criteria write units freely ("cells/mm³", "x 10^9/L", "109/L", "K/uL", "mg/dl"); FHIR records
carry UCUM codes ("10*3/uL", "mm[Hg]", "mL/min/{1.73_m2}"). This module folds every spelling to
one *canonical spelling* (a plain ASCII string, `u` for micro) that the rest of elig stores in
its nodes and records (`Threshold.unit`, `Observation.unit`), and turns canonical spellings into
pint quantities with `Decimal` magnitudes, so that 500 /uL equals 0.5 10^9/L exactly.

Canonical spellings (what `normalize_unit` and `from_ucum` return):

================  ==========================================================================
kind              canonical spellings (examples of what folds into them)
================  ==========================================================================
cell counts       ``/uL`` (cells/μL, /µL, /mcL), ``/mm3`` (cells/mm³, /cmm, /cu mm), ``/L``,
                  ``/mL``, ``/kg`` (cells/kg); ``10^N/<volume>`` for N in 3, 6, 9, 12:
                  ``10^9/L`` (x 10^9/L, × 10⁹/L, 10*9/L, 109/L, G/L), ``10^3/uL`` (K/uL,
                  10*3/uL, x10E3/uL), ``10^3/mm3`` (K/mm3), ``10^12/L`` (T/L), ``10^6/uL``
                  (mil/uL), ``10^6/kg`` (x 10^6 cells/kg)
ratios            ``<numerator>/<denominator>[/<denominator>...]`` from the atoms below:
                  ``g/dL``, ``g/L``, ``mg/dL``, ``mg/L``, ``umol/L``, ``mmol/L``, ``mmol/mol``,
                  ``mEq/L``, ``IU/L`` (UI/L), ``U/L``, ``IU/mL``, ``mIU/mL``, ``ng/mL``,
                  ``ng/dL``, ``pg/mL``, ``ug/L``, ``copies/mL``, ``mL/min`` (creatinine
                  clearance), ``mL/min/1.73m2`` (eGFR), ``kg/m2``, ``mg/m2``, ``mg/kg``,
                  ``mg/day`` (mg/d, mg per day, mg/24 h), ``mg/kg/day``, ``mg/week``, ``mm/h``,
                  ``drinks/day``, ``drinks/week`` (alcoholic drinks per day, a week),
                  ``hours/week``, ``hours/day`` (of an activity), ``days/week`` (days of a habit)
atoms             numerators ``kg g mg ug ng pg lb`` (mcg -> ``ug``, pounds -> ``lb``),
                  ``mol mmol umol nmol pmol``, ``mEq``, ``mOsm``, ``IU mIU uIU U mU``,
                  ``L dL mL uL`` (cc -> ``mL``), ``copies``, ``mm cm m``, ``Gy cGy``, ``drinks``, ``hours days`` (of an activity or habit);
                  denominators: the volumes, ``mm3``, ``kg g mg``, ``mol mmol``, ``m2``,
                  ``1.73m2``, ``min h day week s``
single units      ``%`` (percent), ``mmHg`` (mm Hg), ``bpm`` (beats per minute, /min),
                  ``degC`` (°C, ℃), ``degF`` (°F), ``m2`` (body surface), ``s`` (sec, seconds),
                  ``ms`` (msec), any numerator atom alone (``mg``, ``IU``, ``cm``, ...)
time              ``years``, ``months`` (calendar), ``weeks``, ``days``, ``hours``,
                  ``minutes``: accepted by `normalize_unit` but never matched by `UNIT_REGEX`
long tail         a valid UCUM code elig has no spelling for (``kat/L``, ``[lb_av]``) is its
                  own canonical spelling: `from_ucum` returns it and `quantity` reads it;
                  ``1`` is a pure number (UCUM ``1``, or an annotation alone: ``{score}``)
================  ==========================================================================

Kinds that never convert into one another, whatever pint's physics would allow (see
``rules/units.txt`` for the sources): ``%`` only with ``%`` (not with ``mmol/mol``: HbA1c is
affine, see `hba1c_to_ifcc`); ``mL/min`` (clearance) and ``mL/min/1.73m2`` (eGFR); ``mEq``
and ``mol`` (valence); ``copies`` and ``IU``; calendar ``months``/``years`` and fixed
``days``/``weeks``. Mass and molar concentrations convert only given the analyte's molar mass.
``IU`` and ``U`` are the same unit (the enzyme unit, 1 µmol/min): ALT "IU/L" is ALT "U/L".

Letter case matters in two places only: ``G/L`` is giga-cells (10^9/L) but ``g/L`` grams per
litre, and ``mM`` is millimolar (``mmol/L``) but ``mm`` millimetres; everything else folds case,
so that all-caps criteria read.

Conversions are exact decimal arithmetic, and results have at most 15 significant digits:
exact whenever they fit (500 /mm3 is 0.5 10^9/L, 120 mmHg is 15.9986864898 kPa); a result that
cannot be exact (through a molar mass, or a factor such as 1/12) is rounded, far below any
laboratory's precision.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from dataclasses import dataclass
from decimal import Decimal, localcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from engine.errors import UnitError

if TYPE_CHECKING:
    import pint

    Registry = pint.UnitRegistry[Decimal]
    Quantity = pint.Quantity[Decimal]

__all__ = [
    "CANONICAL_UNITS",
    "UNIT_REGEX",
    "comparable",
    "compare",
    "convert",
    "from_ucum",
    "hba1c_to_ifcc",
    "hba1c_to_ngsp",
    "normalize_unit",
    "quantity",
    "registry",
]

log = logging.getLogger(__name__)

# ---------------------------------------------------------------------------------------------
# Spellings. Each atom is (canonical spelling, pint expression, regex source). Regex sources use
# only non-capturing groups and are matched case-insensitively, whole (fullmatch) when folding a
# unit, and as parts of UNIT_REGEX when finding one in a criterion.
# ---------------------------------------------------------------------------------------------

_MICRO = r"(?:[uµμ]|mc)"  # u, micro sign U+00B5, Greek mu U+03BC, and "mc" (mcg, mcL)
_SEP = r"(?:\s*/\s*|\s+per\s+)"
_LEAD = r"(?:/\s*|per\s+)"  # a unit that starts with its denominator: "/uL", "per mm3"

_Atom = tuple[str, str, str]

_VOLUMES: tuple[_Atom, ...] = (
    (
        "mm3",
        "millimeter ** 3",
        r"mm(?:3|³|\^3|\*\*3)|cmm|cumm|cu\.?\s?mm|cubic\s+millimet(?:er|re)s?",
    ),
    ("uL", "microliter", rf"{_MICRO}l|microlit(?:er|re)s?"),
    ("mL", "milliliter", r"ml|millilit(?:er|re)s?|cc"),
    ("dL", "deciliter", r"dl|decilit(?:er|re)s?"),
    ("L", "liter", r"l|lit(?:er|re)s?"),
)
_MASSES: tuple[_Atom, ...] = (
    ("kg", "kilogram", r"kgs?|kilo(?:gram(?:me)?)?s?"),
    ("mg", "milligram", r"mgs?|milligram(?:me)?s?"),
    ("ug", "microgram", rf"{_MICRO}g|microgram(?:me)?s?"),
    ("ng", "nanogram", r"ng|nanogram(?:me)?s?"),
    ("pg", "picogram", r"pg|picogram(?:me)?s?"),
    ("g", "gram", r"g|gms?|gram(?:me)?s?"),
    ("lb", "avoirdupois_pound", r"lbs?|pounds?"),
)
_AMOUNTS: tuple[_Atom, ...] = (
    ("mmol", "millimole", r"mmol|millimol(?:es?)?"),
    ("umol", "micromole", rf"{_MICRO}mol|micromol(?:es?)?"),
    ("nmol", "nanomole", r"nmol|nanomol(?:es?)?"),
    ("pmol", "picomole", r"pmol|picomol(?:es?)?"),
    ("mol", "mole", r"mol(?:es?)?"),
    ("mEq", "milliequivalent", r"meq|milliequivalents?"),
    ("mOsm", "milliosmole", r"mosm|milliosmol(?:es?)?"),
)
_ACTIVITIES: tuple[_Atom, ...] = (
    ("mIU", "milliinternational_unit", r"miu|mui"),
    ("uIU", "microinternational_unit", rf"{_MICRO}(?:iu|ui)"),
    ("IU", "international_unit", r"iu|ui|international\s+units?"),
    ("mU", "millienzyme_unit", r"mu"),
    ("U", "enzyme_unit", r"u|units?"),
)
# endotoxin in the Limulus assay's own units, only ever per volume: 'Serum Endotoxin >25 EU/ml'
_ENDOTOXIN: _Atom = ("EU", "endotoxin_unit", r"eu|endotoxin\s+units?")
_COPIES: _Atom = ("copies", "nucleic_acid_copy", r"cop(?:y|ies)|cp")
# mean corpuscular volume is a volume per red cell: 'MCV < 80 fL'
_FEMTOLITRE: _Atom = ("fL", "femtoliter", r"fl|femtolit(?:er|re)s?")
# alcohol intake, only ever per day or per week: '> 2 drinks per day', '>14 drinks/week'
# ('caffeinated drinks' never: the word before 'drinks' must say alcohol or nothing)
_DRINKS: _Atom = ("drinks", "alcoholic_drink", r"(?:(?:alcoholic|alcohol|standard)\s+)?drinks?")
# caffeinated drinks, a count of their own (never alcohol, never mg of caffeine), per day or week
_CAFFEINATED: _Atom = ("caffeinated drinks", "caffeinated_drink", r"caffeinated\s+(?:drinks?|beverages?)")
# time given to an activity, and days of a behaviour, per day or week: '> 4 hours per week'
# (physical activity), '>= 5 days per week' (e-cigarette use); only ever before a denominator
_FREQUENCIES: tuple[_Atom, ...] = (
    ("hours", "activity_hour", r"hours?|hrs?"),
    ("days", "use_day", r"days?"),
)
_LENGTHS: tuple[_Atom, ...] = (
    # retinal thickness in optical coherence tomography: '> 250 µm', 'above 300 microns'
    ("um", "micrometer", rf"{_MICRO}m|microns?|micromet(?:er|re)s?"),
    ("mm", "millimeter", r"mm|millimet(?:er|re)s?"),
    ("cm", "centimeter", r"cm|centimet(?:er|re)s?"),
    ("m", "meter", r"m|met(?:er|re)s?"),
    # a residual limb's length: '> 6.5 inches' ('in' alone is the preposition, never read)
    ("inch", "inch", r"inch(?:es)?"),
)
_DOSES: tuple[_Atom, ...] = (
    ("cGy", "centigray", r"cgy|centigrays?"),
    ("Gy", "gray", r"gy|grays?"),
)
_M2 = r"m(?:2|²|\^2|\*\*2)"
_AREAS: tuple[_Atom, ...] = (
    # eGFR's "per 1.73 m² of body surface" (KDIGO); "m 2" with a lost superscript, and "m"
    # with the square lost altogether ('30 ml / min / 1.73m'), only here: nothing else is
    # given per 1.73 metres.
    ("1.73m2", "standard_body_surface", rf"1[.,]73\s*(?:{_M2}|m\s2|sq\.?\s?m|m)"),
    ("m2", "meter ** 2", rf"{_M2}|sq\.?\s?m|square\s+met(?:er|re)s?"),
)
_RATE_TIMES: tuple[_Atom, ...] = (
    ("min", "minute", r"mins?|minutes?"),
    ("h", "hour", r"h|hrs?|hours?"),
    ("day", "day", r"24\s*-?\s*h(?:rs?|ours?)?|d|days?"),
    ("week", "week", r"wks?|weeks?"),
    ("s", "second", r"s|secs?|seconds?"),
)
_SECONDS: tuple[_Atom, ...] = (
    ("ms", "millisecond", r"ms|msecs?|milliseconds?"),
    ("s", "second", r"s|secs?|seconds?"),
)
_TIMES: tuple[_Atom, ...] = (  # standalone durations: normalize_unit only, never UNIT_REGEX
    ("years", "calendar_year", r"y|yrs?|years?"),
    ("months", "calendar_month", r"mos?|mths?|months?"),
    ("weeks", "week", r"wks?|weeks?"),
    ("days", "day", r"d|days?"),
    ("hours", "hour", r"h|hrs?|hours?"),
    ("minutes", "minute", r"mins?|minutes?"),
)
_SPECIALS: tuple[_Atom, ...] = (
    ("mmHg", "millimeter_Hg", r"mm\s*hg|millimet(?:er|re)s?\s+(?:of\s+)?(?:mercury|hg)"),
    ("degC", "degree_Celsius", r"℃|[°º]\s?c|deg\s?c|degrees?\s+c(?:elsius)?|celsius"),
    ("degF", "degree_Fahrenheit", r"[°º]\s?f|deg\s?f|degrees?\s+f(?:ahrenheit)?|fahrenheit"),
    ("%", "percent_value", r"%|percent|per\s?cent"),
    # exhaled carbon monoxide: '>= 6 ppm'; a dimensionless 10^-6, as pint defines it
    ("ppm", "ppm", r"ppm|parts?\s+per\s+million"),
    ("bpm", "beats_per_minute", rf"bpm|(?:beats?{_SEP}|{_LEAD})min(?:ute)?s?"),
    # a visual field's mean deviation ('MD <= 10 dB'), a noise level ('55dB or less')
    ("dB", "decibel_value", r"db|decibels?"),
    # visual acuity read on an ETDRS chart: 'between 24 and 70 letters'
    ("letters", "etdrs_letter", r"(?:etdrs\s+)?letters?"),
)


def _pick(atoms: tuple[_Atom, ...], *names: str) -> tuple[_Atom, ...]:
    """The atoms of a table with these canonical spellings, in the order named."""
    by_name = {atom[0]: atom for atom in atoms}
    return tuple(by_name[name] for name in names)


_NUMERATORS: tuple[_Atom, ...] = (
    *_pick(_VOLUMES, "uL", "mL", "dL", "L"),  # mm3 is a denominator only
    *_MASSES,
    *_AMOUNTS,
    *_ACTIVITIES,
    _COPIES,
    _ENDOTOXIN,
    _FEMTOLITRE,
    *_LENGTHS,
    *_DOSES,
    _DRINKS,
    _CAFFEINATED,
    *_FREQUENCIES,
)
_DENOMINATORS: tuple[_Atom, ...] = (
    *_AREAS,
    *_VOLUMES,
    *_pick(_MASSES, "kg", "mg", "g"),  # mL/kg, ng/mg, mg/g (albumin/creatinine ratio)
    *_pick(_AMOUNTS, "mmol", "mol"),  # mg/mmol, mmol/mol
    *_RATE_TIMES,
)
# Volumes (and body weight) a count is given per.
_COUNT_DENOMINATORS: tuple[_Atom, ...] = (
    *_pick(_VOLUMES, "mm3", "uL", "mL", "L"),
    *_pick(_MASSES, "kg"),
)
_POWERS = {"3": "ten_cubed", "6": "ten_sixth", "9": "ten_ninth", "12": "ten_twelfth"}
_SUPERSCRIPTS = {"³": "3", "⁶": "6", "⁹": "9", "¹²": "12"}
# 10^9, x 10^9, × 10⁹, 10*9, x10E9, x10ˆ9 (U+02C6) and 109 (a lost superscript)
_TEN_TO_THE = r"(?:[x×*]\s*)?10\s*(?:(?:[\^ˆ]|\*\*?|e)\s*)?"
_POWER = rf"{_TEN_TO_THE}(?:12|9|6|3|¹²|⁹|⁶|³)"
_CELLS = r"cells?"
# Letters that stand for a power of ten before a volume: K/uL, G/L, T/L, mil/uL.
_COUNT_LETTERS = {"3": r"k|thou(?:sand)?", "6": r"mil", "9": r"g", "12": r"t"}

# Numerators written alone in a criterion ("2 mg", "1.5 m", "10 IU"). Volumes, moles and bare
# enzyme units are left out: "2L" is a line of therapy more often than two litres.
_STANDALONE: tuple[_Atom, ...] = (
    *_MASSES,
    *_pick(_ACTIVITIES, "mIU", "uIU", "IU"),
    _COPIES,
    *_pick(_VOLUMES, "mL"),
    _FEMTOLITRE,
    *_LENGTHS,
    *_DOSES,
    *_pick(_AREAS, "m2"),
    *_SECONDS,
)


def _alternation(atoms: tuple[_Atom, ...]) -> str:
    """One non-capturing group matching any of the atoms, longest pattern first.

    The order is a courtesy: UNIT_REGEX ends in `(?!\\w)`, so a shorter spelling that stops
    inside a word ("mm" in "mm3") backtracks to the longer one anyway.
    """
    patterns = sorted({pattern for _, _, pattern in atoms}, key=len, reverse=True)
    return "(?:" + "|".join(f"(?:{p})" for p in patterns) + ")"


def _build_unit_regex() -> str:
    vol = _alternation(_COUNT_DENOMINATORS)
    ul_or_mm3 = _alternation(_pick(_VOLUMES, "uL", "mm3"))
    litre = _alternation(_pick(_VOLUMES, "L"))
    count_power = rf"(?:{_CELLS}\s*)?{_POWER}(?:\s*{_CELLS})?{_SEP}{vol}"
    count_letter = (
        rf"(?:{_COUNT_LETTERS['3']}|{_COUNT_LETTERS['6']}){_SEP}{ul_or_mm3}"
        rf"|(?:{_COUNT_LETTERS['9']}|{_COUNT_LETTERS['12']}){_SEP}{litre}"
    )
    count_per = rf"(?:{_CELLS}{_SEP}|{_LEAD}){vol}"
    special = _alternation(_SPECIALS)
    den = _alternation(_DENOMINATORS)
    ratio = rf"{_alternation(_NUMERATORS)}(?:{_SEP}{den})+"
    alone = _alternation(_STANDALONE)
    forms = (count_power, count_letter, special, count_per, ratio, alone)
    return "(?:" + "|".join(f"(?:{f})" for f in forms) + r")(?!\w)"


UNIT_REGEX: str = _build_unit_regex()
"""Regex source matching a unit as criteria write it, right after a number.

Apply with `re.IGNORECASE`. Only non-capturing groups; ends at a word boundary (so "mg" is not
found in "mgmt", nor "g" in "grade"); never matches a duration ("days", "weeks", "months",
"years", "hours", "minutes"), which the grammar reads as time. Everything it matches is
accepted by `normalize_unit`.
"""


# ---------------------------------------------------------------------------------------------
# Folding a spelling to its canonical one.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Unit:
    canonical: str
    pint: str  # an expression over pint's and rules/units.txt's unit names


def _full(pattern: str, text: str) -> bool:
    return re.fullmatch(pattern, text, re.IGNORECASE) is not None


def _atom(atoms: tuple[_Atom, ...], text: str) -> _Atom | None:
    return next((a for a in atoms if _full(a[2], text)), None)


def _power(token: str) -> str | None:
    """'x 10^9' -> '9', '109' -> '9', '10⁹ cells' -> '9'; None if not a power of ten."""
    token = re.sub(rf"^{_CELLS}\s*|\s*{_CELLS}$", "", token, flags=re.IGNORECASE)
    if not _full(_POWER, token):
        return None
    digits = re.sub(f"^{_TEN_TO_THE}", "", token, flags=re.IGNORECASE)
    return _SUPERSCRIPTS.get(digits, digits)


def _count_letter(token: str, denominator: _Atom) -> str | None:
    """'K' before /uL -> '3', 'G' before /L -> '9' (uppercase only: 'g/L' is grams)."""
    for exponent, pattern in _COUNT_LETTERS.items():
        if _full(pattern, token):
            if exponent == "9" and token != "G":
                return None
            allowed = ("L",) if exponent in ("9", "12") else ("uL", "mm3")
            return exponent if denominator[0] in allowed else None
    return None


def _parse(text: str) -> _Unit | None:
    """The canonical spelling and pint expression of a free spelling, or None."""
    s = text.strip()
    if not s:
        return None
    if s == "mM":  # millimolar; "mm" in any other case is millimetres
        return _Unit("mmol/L", "millimole / liter")
    special = _atom(_SPECIALS, s)
    if special is not None:
        return _Unit(special[0], special[1])
    s = re.sub(r"^per\s+", "/", s, flags=re.IGNORECASE)
    head, *tail = re.split(_SEP, s, flags=re.IGNORECASE)
    if not tail:
        for atoms in (_TIMES, _SECONDS, _NUMERATORS, _pick(_AREAS, "m2")):
            atom = _atom(atoms, head)
            if atom is not None:
                return _Unit(atom[0], atom[1])
        return None
    if len(tail) == 1 and (count := _parse_count(head, tail[0])) is not None:
        return count
    numerator = _atom(_NUMERATORS, head)
    denominators = [_atom(_DENOMINATORS, t) for t in tail]
    if numerator is None or None in denominators:
        return None
    canonical = "/".join([numerator[0], *(d[0] for d in denominators if d)])
    pint_expr = " / ".join([f"({numerator[1]})", *(f"({d[1]})" for d in denominators if d)])
    return _Unit(canonical, pint_expr)


def _parse_count(head: str, tail: str) -> _Unit | None:
    """Cell counts: '/uL', 'cells/mm3', 'x 10^9/L', 'K/uL', 'G/L'."""
    denominator = _atom(_COUNT_DENOMINATORS, tail)
    if denominator is None:
        return None
    if head == "" or _full(_CELLS, head):
        return _Unit(f"/{denominator[0]}", f"1 / ({denominator[1]})")
    exponent = _power(head) or _count_letter(head, denominator)
    if exponent is None:
        return None
    return _Unit(f"10^{exponent}/{denominator[0]}", f"{_POWERS[exponent]} / ({denominator[1]})")


@functools.lru_cache(maxsize=4096)
def _parse_cached(text: str) -> _Unit | None:
    return _parse(text)


def normalize_unit(text: str) -> str:
    """The canonical spelling of a unit as a criterion or a record writes it.

    Args:
        text: the unit as written, e.g. "cells/mm³", "x 10^9/L", "mg/dl", "mL/min/1.73 m²".

    Returns:
        Its canonical spelling (see the module docstring), e.g. "/mm3", "10^9/L", "mg/dL".

    Raises:
        UnitError: the spelling is not one elig knows.

    >>> normalize_unit("× 10⁹/L"), normalize_unit("cells/µL"), normalize_unit("mg per day")
    ('10^9/L', '/uL', 'mg/day')
    """
    parsed = _parse_cached(text)
    if parsed is None:
        raise UnitError(f"unknown unit {text!r}")
    return parsed.canonical


CANONICAL_UNITS: tuple[str, ...] = (
    "/uL", "/mm3", "/L", "/mL", "/kg", "10^9/L", "10^3/uL", "10^3/mm3", "10^6/uL", "10^12/L",
    "10^6/kg", "g/dL", "g/L", "mg/dL", "mg/L", "umol/L", "mmol/L", "mmol/mol", "mEq/L", "IU/L",
    "U/L", "IU/mL", "mIU/mL", "mIU/L", "ng/mL", "ng/dL", "pg/mL", "ug/L", "copies/mL", "mL/min",
    "mL/min/1.73m2", "kg/m2", "mg/m2", "mg/kg", "mg/day", "mg/kg/day", "mg/week", "mm/h", "%",
    "drinks/day", "drinks/week", "hours/week", "hours/day", "days/week", "mmHg", "bpm", "degC", "degF", "mg", "g", "kg", "lb", "ug", "IU", "cm", "m", "mm", "um", "m2", "mL", "fL", "ppm",
    "EU/mL", "dB", "letters", "inch", "m/s", "caffeinated drinks/day",
    "Gy", "s", "ms", "years", "months", "weeks", "days", "hours", "minutes",
)  # fmt: skip
"""The canonical spellings elig's rules and tables use; each normalises to itself."""


# ---------------------------------------------------------------------------------------------
# UCUM codes (FHIR valueQuantity.code).
# ---------------------------------------------------------------------------------------------

# Codes whose meaning the free-spelling fold would get wrong or does not know.
_UCUM_CODES = {
    "a": "years",  # UCUM's Julian year; ages are calendar years
    "mo": "months",
    "Cel": "degC",
    "[degF]": "degF",
}
# Annotations that carry meaning; any other {annotation} is dropped, as UCUM says it may be.
_UCUM_ANNOTATIONS = {
    "{1.73_m2}": "1.73m2",
    "{cells}": " cells",
    "{cell}": " cells",
    "{copies}": "copies",
    "{beats}": "beats",
    "{drinks}": "drinks",  # LOINC 74013-4, alcoholic drinks per day: '{drinks}/d'
    "{drink}": "drinks",
}
# Bracketed UCUM atoms, as ucumvert leaves them, in pint's names.
_UCUM_BRACKETS = {
    "IU": "international_unit",
    "iU": "international_unit",
    "lb_av": "avoirdupois_pound",
    "oz_av": "avoirdupois_ounce",
    "in_i": "inch",
    "ft_i": "foot",
    "degF": "degree_Fahrenheit",
    "ppm": "ppm",
    "ppb": "ppb",
}


def _fold_ucum(code: str) -> str:
    folded = code.replace("mm[Hg]", "mmHg").replace("[IU]", "IU").replace("[iU]", "IU")
    for annotation, spelling in _UCUM_ANNOTATIONS.items():
        folded = folded.replace(annotation, spelling)
    return re.sub(r"\{[^{}]*\}", "", folded).strip()


def from_ucum(code: str) -> str:
    """The canonical spelling for a UCUM code, as FHIR `valueQuantity.code` carries it.

    Free spellings found in FHIR `unit` strings ("x10E3/uL", "K/uL", "mg/dl") are read too.
    A valid UCUM code elig has no spelling for is read by ucumvert (imported on first need)
    and is its own canonical spelling.

    Args:
        code: a UCUM code, e.g. "10*3/uL", "mm[Hg]", "mL/min/{1.73_m2}", "[IU]/L".

    Returns:
        The canonical spelling, e.g. "10^3/uL", "mmHg", "mL/min/1.73m2", "IU/L".

    Raises:
        UnitError: the code is not valid UCUM, or names a unit elig cannot compare.

    >>> from_ucum("10*3/uL"), from_ucum("mm[Hg]"), from_ucum("mL/min/{1.73_m2}")
    ('10^3/uL', 'mmHg', 'mL/min/1.73m2')
    """
    code = code.strip()
    if not code:
        raise UnitError("unknown unit '': no UCUM code")
    if code in _UCUM_CODES:
        return _UCUM_CODES[code]
    folded = _fold_ucum(code)
    for candidate in (code, folded):
        parsed = _parse_cached(candidate)
        if parsed is not None:
            return parsed.canonical
    if not folded:  # an annotation alone, "{score}": UCUM reads it as the number 1
        code = "1"
    if "1.73" in code:  # ucumvert drops {1.73_m2}: never let eGFR become a clearance
        raise UnitError(f"unknown unit {code!r}: body-surface normalisation not understood")
    _ucum_units(code)
    return code


@functools.lru_cache(maxsize=1)
def _ucum_parser() -> Any:
    # ucumvert's import and its Lark parser cost ~0.08 s once pint is loaded (~0.8 s cold in
    # DOMAIN.md's measure): only for UCUM codes outside elig's own spellings.
    from ucumvert import get_ucum_parser

    return get_ucum_parser()


MAX_UNIT_LENGTH = 100  # characters; longer, a unit is not given to ucumvert or pint (their
# parsers take time and stack that grow faster than the text; no real unit comes near it)


def _not_too_long(unit: str) -> None:
    if len(unit) > MAX_UNIT_LENGTH:
        raise UnitError(f"unknown unit {unit[:40]!r}... ({len(unit):,} characters): longer than {MAX_UNIT_LENGTH}, not read")


@functools.lru_cache(maxsize=1024)
def _ucum_units(code: str) -> pint.Unit:
    from lark.exceptions import LarkError
    from ucumvert import UcumToPintStrTransformer, parse_ucum

    _not_too_long(code)
    try:
        expression = UcumToPintStrTransformer().transform(parse_ucum(code, _ucum_parser()))
    except LarkError as exc:
        raise UnitError(f"unknown unit {code!r}: not a UCUM code elig can read") from exc

    def bracket(match: re.Match[str]) -> str:
        if match.group(1) not in _UCUM_BRACKETS:
            raise UnitError(f"unknown unit {code!r}: UCUM unit {match.group(0)} not supported")
        return _UCUM_BRACKETS[match.group(1)]

    expression = re.sub(r"\[([^\[\]]+)\]", bracket, expression.replace("%", "percent_value"))
    return _pint_units(expression, code)


# ---------------------------------------------------------------------------------------------
# The registry.
# ---------------------------------------------------------------------------------------------

_DEFINITIONS = ("rules/units.txt", "units.txt")  # source tree; installed as engine/rules/
_lock = threading.Lock()
_registry: Registry | None = None


def _definitions_file() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / _DEFINITIONS[0], here / "rules" / _DEFINITIONS[1]):
        if candidate.is_file():
            return candidate
    raise UnitError(f"unit definitions not found: {_DEFINITIONS[0]}")  # pragma: no cover


def registry() -> Registry:
    """The process's one pint registry: pint's defaults plus ``rules/units.txt``.

    Built on first use, with `Decimal` magnitudes. Building takes ~0.35 s (importing pint
    ~0.15 s, pint's default definitions ~0.2 s, rules/units.txt ~0.005 s; measured on the
    2-core dev machine, Python 3.11, pint 0.25.3), which is why importing this module (~0.04 s)
    does not do it. No disk cache (`cache_folder`): a library should not write to the user's
    cache directory, and 0.35 s once per process is affordable.

    Returns:
        The shared `pint.UnitRegistry`.

    >>> registry() is registry()
    True
    """
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                started = time.perf_counter()
                import pint

                ureg: Registry = pint.UnitRegistry(non_int_type=Decimal, cache_folder=None)
                ureg.load_definitions(_definitions_file())
                _registry = ureg
                log.debug("unit registry built in %.3f s", time.perf_counter() - started)
    return _registry


def _pint_units(expression: str, unit: str) -> pint.Unit:
    import pint

    _not_too_long(unit)  # the unit as written: its pint expression may be several times longer
    try:
        parsed = registry().parse_expression(expression)
    except (pint.errors.PintError, SyntaxError, TypeError, ValueError) as exc:
        raise UnitError(f"unknown unit {unit!r}: {exc}") from exc
    if not isinstance(parsed, registry().Quantity) or parsed.magnitude != 1:
        raise UnitError(f"unit {unit!r} carries a numeric factor, which elig does not compare")
    return cast("pint.Unit", parsed.units)


@functools.lru_cache(maxsize=1024)
def _units(unit: str) -> pint.Unit:
    """The pint unit of a canonical spelling (or of anything `from_ucum` reads)."""
    parsed = _parse_cached(unit)
    if parsed is None:
        canonical = from_ucum(unit)
        parsed = _parse_cached(canonical)
        if parsed is None:
            return _ucum_units(canonical)
    return _pint_units(parsed.pint, unit)


# ---------------------------------------------------------------------------------------------
# Quantities and conversions.
# ---------------------------------------------------------------------------------------------

_SIGNIFICANT = 15
_WORKING_PRECISION = 50


def _decimal(value: Decimal | int | str | float) -> Decimal:
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        number = Decimal(repr(value))  # the float's shortest decimal, not its binary expansion
    else:
        number = Decimal(value)
    if not number.is_finite():
        raise UnitError(f"not a finite number: {value!r}")
    return number


def _tidy(number: Decimal) -> Decimal:
    """Round to 15 significant digits and drop trailing zeros (0.500 -> 0.5, never 1E+2)."""
    with localcontext() as ctx:
        ctx.prec = _SIGNIFICANT
        number = +number
    with localcontext() as ctx:
        ctx.prec = _WORKING_PRECISION
        number = number.normalize()
        if number.as_tuple().exponent > 0:  # type: ignore[operator]
            number = number.quantize(Decimal(1))
    return number


def quantity(value: Decimal, unit: str) -> Quantity:
    """A pint quantity with a `Decimal` magnitude.

    Args:
        value: the number (an int, str or float is turned into a `Decimal` first).
        unit: a canonical spelling (any spelling `normalize_unit` or `from_ucum` reads works).

    Returns:
        `registry().Quantity(value, <unit>)`.

    Raises:
        UnitError: the unit is unknown.

    >>> quantity(Decimal("500"), "/uL").to(quantity(1, "10^9/L").units).magnitude
    Decimal('0.500')
    """
    return registry().Quantity(_decimal(value), _units(unit))


def _molar_route(
    source: pint.Unit, target: pint.Unit, molar_mass: Decimal | None
) -> Quantity | None:
    """The factor (g/mol)^±1 that turns source's kind into target's, or None."""
    if molar_mass is None:
        return None
    ureg = registry()
    mass = ureg.Quantity(_decimal(molar_mass), "gram / mole")
    for factor in (1 / mass, mass):
        if (source * factor.units).dimensionality == target.dimensionality:
            return factor
    return None


def _kind(units: pint.Unit) -> str:
    return str(units.dimensionality) if units.dimensionality else "a pure number"


def convert(
    value: Decimal, unit: str, to_unit: str, *, molar_mass: Decimal | None = None
) -> Decimal:
    """`value` in `unit`, expressed in `to_unit`.

    Exact decimal arithmetic, the result rounded to 15 significant digits (so exact whenever
    it fits). Mass and molar amounts (or concentrations) convert only given `molar_mass`.

    Args:
        value: the number.
        unit: its unit (canonical spelling).
        to_unit: the unit wanted (canonical spelling).
        molar_mass: the analyte's molar mass in g/mol, for mass <-> molar conversions.

    Returns:
        The converted number.

    Raises:
        UnitError: a unit is unknown, or the two are of different kinds (the message names
            both), or a mass <-> molar conversion lacks the molar mass.

    >>> convert(Decimal("500"), "/mm3", "10^9/L")
    Decimal('0.5')
    >>> convert(Decimal("1.2"), "mg/dL", "umol/L", molar_mass=Decimal("113.12"))
    Decimal('106.082036775106')
    """
    number = _decimal(value)
    source, target = _units(unit), _units(to_unit)
    ureg = registry()
    with localcontext() as ctx:
        ctx.prec = _WORKING_PRECISION
        q = ureg.Quantity(number, source)
        if source.dimensionality != target.dimensionality:
            factor = _molar_route(source, target, molar_mass)
            if factor is None:
                molar = molar_mass is None and _molar_route(source, target, Decimal(1))
                needs = " without the analyte's molar mass" if molar else ""
                raise UnitError(
                    f"cannot convert {unit!r} to {to_unit!r}{needs}: "
                    f"{_kind(source)} is not {_kind(target)}"
                )
            q = q * factor
        return _tidy(Decimal(q.to(target).magnitude))


# ---------------------------------------------------------------------------------------------
# Dimensions without the registry. Parsing asks `comparable` of a few canonical spellings (60
# times over the corpus, 15 spellings), and building pint's registry for them was 2.5-3 % of
# parsing the corpus cold. rules/unit_dimensions.json holds the dimensions pint gives each
# canonical spelling that parsing meets (`scripts/unit_dimensions.py` writes it), with a
# digest of this file, rules/units.txt and pint's version: where the digest differs the file
# is not read, and every answer comes from pint as before.
# ---------------------------------------------------------------------------------------------

_DIMENSIONS = "unit_dimensions.json"  # beside units.txt


def _dimensions_digest() -> str:
    import hashlib
    from importlib.metadata import version

    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(_definitions_file().read_bytes())
    digest.update(version("pint").encode())
    return digest.hexdigest()[:16]


def dimensions_of(unit: str) -> dict[str, int] | None:
    """pint's dimensionality of a canonical spelling, base dimension -> whole exponent (a pure
    number: {}); None for a spelling elig does not fold itself, a UCUM code, or a
    non-whole exponent (those take pint's word alone). Builds the registry: what
    scripts/unit_dimensions.py stores."""
    if _parse_cached(unit) is None:
        return None
    try:
        dims = dict(_units(unit).dimensionality)
    except UnitError:
        return None
    if any(e != int(e) for e in dims.values()):
        return None
    return {k: int(e) for k, e in sorted(dims.items())}


@functools.lru_cache(maxsize=1)
def _known_dimensions() -> dict[str, frozenset] | None:
    """rules/unit_dimensions.json when its digest is this tree's, else None."""
    import json

    try:
        data = json.loads(_definitions_file().with_name(_DIMENSIONS).read_text(encoding="utf-8"))
        if data.get("digest") != _dimensions_digest():
            return None
        return {unit: frozenset(dims.items()) for unit, dims in data["dimensions"].items()}
    except Exception:  # noqa: BLE001 - absent, unreadable or foreign: pint answers
        return None


def comparable(unit: str, other: str, *, molar_mass: Decimal | None = None) -> bool:
    """Whether a value in `other` can be converted into `unit`.

    Args:
        unit: a canonical spelling.
        other: another canonical spelling.
        molar_mass: the analyte's molar mass in g/mol, which makes mass and molar comparable.

    Returns:
        True when `convert(x, other, unit, molar_mass=molar_mass)` would succeed.

    Raises:
        UnitError: a unit is unknown.

    >>> comparable("mL/min", "mL/min/1.73m2"), comparable("/uL", "10^9/L")
    (False, True)
    """
    known = _known_dimensions()
    if known is not None and unit in known and other in known:
        if known[unit] == known[other]:
            return True
        if molar_mass is None:
            return False  # no molar route to ask pint about
    source, target = _units(other), _units(unit)
    if source.dimensionality == target.dimensionality:
        return True
    return _molar_route(source, target, molar_mass) is not None


def compare(
    value: Decimal,
    unit: str,
    other_value: Decimal,
    other_unit: str,
    *,
    molar_mass: Decimal | None = None,
) -> int:
    """Compare two quantities after converting the second into the first one's unit.

    Args:
        value: the first number.
        unit: its unit.
        other_value: the second number.
        other_unit: its unit.
        molar_mass: the analyte's molar mass in g/mol, for mass <-> molar comparisons.

    Returns:
        -1, 0 or 1 as the first is less than, equal to or greater than the second.

    Raises:
        UnitError: a unit is unknown or the two are of different kinds.

    >>> compare(Decimal("500"), "/uL", Decimal("0.5"), "10^9/L")
    0
    """
    first = _decimal(value)
    second = convert(other_value, other_unit, unit, molar_mass=molar_mass)
    return (first > second) - (first < second)


# ---------------------------------------------------------------------------------------------
# HbA1c: NGSP % <-> IFCC mmol/mol is affine, not a factor.
# ---------------------------------------------------------------------------------------------

# IFCC-NGSP master equation, Hoelzel et al., Clin Chem 2004;50:166-174:
# IFCC (mmol/mol) = 10.929 × (NGSP (%) − 2.15). The inverse used is its exact algebraic inverse
# (the published NGSP = 0.09148 × IFCC + 2.152 is that inverse, rounded).
_HBA1C_SLOPE = Decimal("10.929")
_HBA1C_INTERCEPT = Decimal("2.15")


def hba1c_to_ifcc(percent: Decimal) -> Decimal:
    """HbA1c from NGSP/DCCT percent to IFCC mmol/mol.

    Args:
        percent: HbA1c in % (NGSP).

    Returns:
        HbA1c in mmol/mol (IFCC), unrounded: 10.929 × (% − 2.15).

    >>> hba1c_to_ifcc(Decimal("6.5"))
    Decimal('47.54115')
    """
    with localcontext() as ctx:
        ctx.prec = _WORKING_PRECISION
        return _tidy(_HBA1C_SLOPE * (_decimal(percent) - _HBA1C_INTERCEPT))


def hba1c_to_ngsp(mmol_mol: Decimal) -> Decimal:
    """HbA1c from IFCC mmol/mol to NGSP/DCCT percent.

    Args:
        mmol_mol: HbA1c in mmol/mol (IFCC).

    Returns:
        HbA1c in % (NGSP): mmol/mol ÷ 10.929 + 2.15, to 15 significant digits.

    >>> hba1c_to_ngsp(Decimal("47.54115"))
    Decimal('6.5')
    """
    with localcontext() as ctx:
        ctx.prec = _WORKING_PRECISION
        return _tidy(_decimal(mmol_mol) / _HBA1C_SLOPE + _HBA1C_INTERCEPT)
