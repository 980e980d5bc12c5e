"""Values elig works out from the record: age, Cockcroft-Gault clearance, BMI, steroid doses.

Each derivation returns a `Derived`: the value and its unit with a reason that names the
formula and every input with its date, or no value and the names of what is missing.
Also here, because derivations need them too: finding the observations of a measure and
the latest of them on or before the as-of date.

Formulas (DOMAIN.md, "Derived values"):
- age: whole years (or months, weeks, days) from the birth date to the as-of date;
- creatinine clearance, Cockcroft-Gault (Cockcroft & Gault, Nephron 1976;16:31-41):
  (140 - age) x weight kg / (72 x serum creatinine mg/dL), x 0.85 for women;
- body mass index: weight kg / (height m)^2;
- prednisone-equivalent daily dose: mg/day x 5 / (the drug's dose equal to 5 mg prednisone).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from functools import lru_cache
from typing import Any, Literal
from weakref import WeakKeyDictionary

from engine import units
from engine.errors import UnitError
from engine.patient import Coding, MedicationRecord, Observation, Patient

# Systems whose codes identify a test exactly: an observation coded in one of them that
# does not carry one of the concept's codes is a different test, whatever its text says
# ("Neutrophils/100 leukocytes" is not the absolute neutrophil count).
_SYSTEMS = {
    "http://loinc.org": "loinc",
    "loinc": "loinc",
    "http://snomed.info/sct": "snomed",
    "snomed": "snomed",
    "snomed ct": "snomed",
    "http://hl7.org/fhir/sid/icd-10-cm": "icd10cm",
    "icd10cm": "icd10cm",
    "icd-10-cm": "icd10cm",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
    "rxnorm": "rxnorm",
    "http://hl7.org/fhir/sid/cvx": "cvx",
    "cvx": "cvx",
}
_EXACT_TEST_SYSTEMS = frozenset({"loinc"})


@dataclass(frozen=True)
class Derived:
    """A derived value (`value` None when it cannot be worked out, with `missing` saying why)."""

    value: Decimal | None
    unit: str
    reason: str
    missing: tuple[str, ...] = ()
    dates: tuple[date, ...] = field(default=(), compare=False)


# --- numbers -----------------------------------------------------------------------------


def fmt(value: Decimal | int) -> str:
    """A number as written: no exponent, no float noise, trailing zeros kept.

    >>> fmt(Decimal("2.10")), fmt(Decimal("1E+2")), fmt(7)
    ('2.10', '100', '7')
    """
    if isinstance(value, int):
        return str(value)
    return format(value, "f")


def tidy(value: Decimal, digits: int = 12) -> Decimal:
    """A computed value rounded to `digits` significant digits, trailing zeros dropped.

    Conversions in Decimal can end in ...9999 (1/3 x 3); twelve significant digits are far
    beyond any clinical precision and put such values back on their boundary.

    >>> tidy(Decimal(1) / Decimal(3) * 3), tidy(Decimal("500.000"))
    (Decimal('1'), Decimal('500'))
    """
    if not value.is_finite() or value == 0:
        return value.normalize() if value.is_finite() else value
    with localcontext() as ctx:
        ctx.prec = digits
        rounded = +value
    normal = rounded.normalize()
    # normalize() turns 500 into 5E+2: quantize back to an integer exponent for printing
    if normal.as_tuple().exponent > 0:
        normal = normal.quantize(Decimal(1))
    return normal


def shown(value: Decimal, digits: int = 6) -> str:
    """A computed value for a reason: '= 500' when exact, '≈ 26.6667' when rounded.

    >>> shown(Decimal(500)), shown(Decimal(80) / Decimal(3))
    ('= 500', '≈ 26.6667')
    """
    short = tidy(value, digits)
    return f"= {fmt(short)}" if short == value else f"≈ {fmt(short)}"


def round_to(value: Decimal, places: int) -> Decimal:
    """`value` rounded half-even to `places` decimals (for showing derived values)."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)


# --- concepts and records ------------------------------------------------------------------


def short_system(system: str) -> str:
    """'http://loinc.org' -> 'loinc'; unknown systems unchanged (lower-cased)."""
    return _SYSTEMS.get(system.strip().lower(), system.strip().lower())


def lookup(vocab: Any, kinds: Iterable[str], name: str) -> Any | None:
    """The concept called `name` (or a synonym) of one of `kinds`, or None.

    Remembered per vocabulary (which does not change once loaded): every record leaf of
    every criterion asks it again for every patient, 150 k times for 1,000 synthetic
    patients (speed7). The entry holds the vocabulary, so its id is not reused while
    remembered."""
    kinds = tuple(kinds)
    key = (id(vocab), kinds, name)
    hit = _LOOKUPS.get(key)
    if hit is not None and hit[0] is vocab:
        return hit[1]
    if len(_LOOKUPS) >= _MATCHES_MAX:
        _LOOKUPS.clear()
    concept = _lookup_now(vocab, kinds, name)
    _LOOKUPS[key] = (vocab, concept)
    return concept


_LOOKUPS: dict[tuple[int, tuple[str, ...], str], tuple[Any, Any | None]] = {}


def _lookup_now(vocab: Any, kinds: tuple[str, ...], name: str) -> Any | None:
    for kind in kinds:
        try:
            concept = vocab.get(kind, name)
        except (KeyError, LookupError, ValueError):
            concept = None
        if concept is not None:
            return concept
    try:
        found = vocab.find(name)
    except (KeyError, LookupError, ValueError):
        found = None
    candidates = found if isinstance(found, (list, tuple)) else (found,)
    for concept in candidates:
        if concept is not None and concept.kind in kinds:
            return concept
    return None


def family(vocab: Any, concept: Any) -> tuple[Any, ...]:
    """The concept and every descendant, most specific first (a record is matched to the
    narrowest concept it fits, so a drug of a class keeps its own half-life and dose)."""
    try:
        descendants = tuple(vocab.descendants(concept))
    except (KeyError, LookupError, ValueError):
        descendants = ()
    seen: dict[tuple[str, str], Any] = {}
    for c in (*reversed(descendants), concept):
        seen.setdefault((c.kind, c.name), c)
    found = tuple(seen.values())
    if len(found) > 2 and hasattr(vocab, "ancestors"):
        # a concept under two parents, one a child of the other ('operation named in the
        # record' under 'surgery' and, loosely, 'major surgery') is reached first by the short
        # path and came after the concept of the long one: 'major surgery' was the narrowest
        # a cholecystectomy fit. Each before its ancestors, the order otherwise kept.
        place = {k: i for i, k in enumerate(seen)}
        above = {k: [place[(a.kind, a.name)] for a in vocab.ancestors(c) if (a.kind, a.name) in place] for k, c in seen.items()}
        if any(p < place[k] for k, ps in above.items() for p in ps):
            found = tuple(sorted(found, key=lambda c: -len(above[(c.kind, c.name)])))
    return found


def match_record(
    vocab: Any,
    concept: Any,
    codings: Sequence[Coding],
    text: str | None,
    *,
    exact_tests: bool = False,
) -> Any | None:
    """The narrowest concept of `concept`'s family (itself or a descendant) the record fits,
    by a coding first, else by its text; None when it does not fit.

    With `exact_tests` (observations), a record coded in LOINC is matched by code only:
    its text is not allowed to stand in for a code that says it is another test.

    Remembered per vocabulary: screening asks the same question of the same records at
    every leaf of every criterion (half the time of a warm screening before it was).
    """
    matches = _matches_of(vocab, concept, exact_tests)
    return _remembered(matches, vocab, concept, _kind_key(codings, text), codings, text, exact_tests)


def _matches_of(vocab: Any, concept: Any, exact_tests: bool) -> dict[str, Any] | None:
    """The remembered matches of one concept: record kind key -> the concept it fits."""
    global _LAST_MATCHES
    if _LAST_MATCHES[0] is vocab:  # a WeakKeyDictionary look-up makes a weak reference each time
        memo = _LAST_MATCHES[1]
    else:
        try:
            memo = _MATCHES.setdefault(vocab, {})
        except TypeError:  # a vocabulary that cannot be weakly referenced: not remembered
            return None
        _LAST_MATCHES = (vocab, memo)
    key = (concept.kind, concept.name, exact_tests)
    found = memo.get(key)
    if found is None:
        found = memo[key] = {}
    return found


def kind_key(codings: Sequence[Coding], text: str | None) -> str:
    """One string for what a record says of itself (its codings and text): equal for
    records of one kind (`record_kinds`)."""
    return _kind_key(codings, text)


def _kind_key(codings: Sequence[Coding], text: str | None) -> str:
    """What a match depends on, as one string: its hash is computed once and kept, where a
    tuple of pydantic Codings is hashed again, through Python, at every lookup (its fields
    are exactly these, so two records have one key when their codings and text are equal).

    Remembered by the Codings' identity: a population's records share their Coding objects
    (engine.patients keeps one per code), and writing the key out for every record of every
    patient was 4 % of screening synthetic patients (speed8). The entry holds the Codings,
    so their ids are not reused while remembered."""
    ids = (text, *map(id, codings))
    hit = _KIND_KEYS.get(ids)
    if hit is None:
        if len(_KIND_KEYS) >= _MATCHES_MAX:
            _KIND_KEYS.clear()
        hit = _KIND_KEYS[ids] = (tuple(codings), repr((tuple((c.system, c.code, c.display) for c in codings), text)))
    return hit[1]


_KIND_KEYS: dict[tuple, tuple[tuple[Coding, ...], str]] = {}


def _remembered(
    matches: dict[str, Any] | None, vocab: Any, concept: Any, key: str, codings: Sequence[Coding], text: str | None, exact_tests: bool
) -> Any | None:
    if matches is None:
        return _match_record(vocab, concept, codings, text, exact_tests)
    try:
        return matches[key]
    except KeyError:
        pass
    if len(matches) >= _MATCHES_MAX:
        matches.clear()
    found = matches[key] = _match_record(vocab, concept, codings, text, exact_tests)
    return found


_MATCHES: WeakKeyDictionary[Any, dict[tuple, dict[str, Any]]] = WeakKeyDictionary()
# the vocabulary asked last and its matches (it is kept alive while it is the last one)
_LAST_MATCHES: tuple[Any, dict[tuple, dict[str, Any]]] = (None, {})
_MATCHES_MAX = 50_000  # kinds of record per concept; a population of records can be large


def _match_record(vocab: Any, concept: Any, codings: Sequence[Coding], text: str | None, exact_tests: bool) -> Any | None:
    coded = [(short_system(c.system), c.code) for c in codings]
    if concept.kind == "condition" and _family_history(coded, text, codings):
        return None
    if any(vocab.matches_coding(concept, system, code) for system, code in coded):
        return next(
            c for c in family(vocab, concept) if any(vocab.matches_coding(c, s, code) for s, code in coded)
        )
    if exact_tests and any(system in _EXACT_TEST_SYSTEMS for system, _ in coded):
        return None
    texts = [t for t in (text, *(c.display for c in codings)) if t]
    if any(vocab.matches_text(concept, t) for t in texts):
        return next(c for c in family(vocab, concept) if any(vocab.matches_text(c, t) for t in texts))
    return None


# ICD-10-CM Z80-Z84: family history of a disease (Z80 malignant neoplasm, ..., Z84 other
# conditions); Z85-Z87: personal history (Z85 malignant neoplasm, Z86 certain other diseases,
# Z87 other diseases and conditions). ICD-10-CM Official Guidelines 2026, I.C.21.c.4: 'Personal
# history codes explain a patient's past medical condition that no longer exists and is not
# receiving any treatment'; family history codes, a disease of a family member.
_FAMILY_HISTORY_ICD = ("Z80", "Z81", "Z82", "Z83", "Z84")
_PERSONAL_HISTORY_ICD = ("Z85", "Z86", "Z87")
# a record's name that says its condition is of a relative, or over
_FAMILY_HISTORY_NAME = re.compile(r"^\s*(?:fh|family (?:history|hx)) of\b|^\s*family history\b", re.IGNORECASE)
_PAST_NAME = re.compile(
    r"^\s*(?:(?:personal |past )?history of|(?:personal )?hx of|h/o|ex-|ex |former |previous |resolved )", re.IGNORECASE
)
# ICD-10-CM's 7th character (Official Guidelines 2026, I.C.19.a): 'S' sequela, the late effect
# of an injury once its acute phase is over; 'D' subsequent encounter (routine healing) and, for
# fractures, E-R (delayed healing, nonunion, malunion, each closed or open): care after the
# injury, whose date the record's is not. 'A', 'B', 'C' are the initial encounter, the injury's
# active treatment. The 7th character is the only letter-valued one after six characters.
# ICD-10-CM I69, sequelae of cerebrovascular disease (Official Guidelines 2026, I.C.9.d: the
# late effects, such as neurologic deficits, that persist after a condition of I60-I67): a
# stroke before the record, whose date is the sequela's, not the stroke's
_CEREBROVASCULAR_SEQUELA_ICD = "I69"
_SEQUELA_NAME = re.compile(r"^\s*(?:sequelae? of|late effects? of)\b", re.IGNORECASE)
_LATER_ENCOUNTER = frozenset("DEFGHJKMNPQR")


def _family_history(coded: Sequence[tuple[str, str]], text: str | None, codings: Sequence[Coding]) -> bool:
    """Whether a condition record is of a relative's disease (coded Z80-Z84, or named 'Family
    history of ...'): never the patient's, whatever disease its name holds ('Family history of
    malignant neoplasm of breast' names breast cancer)."""
    if any(system == "icd10cm" and code.strip().upper().startswith(_FAMILY_HISTORY_ICD) for system, code in coded):
        return True
    return any(t and _FAMILY_HISTORY_NAME.match(t) for t in (text, *(c.display for c in codings)))


def past_record(record: Any) -> str | None:
    """Why a condition record is of a condition that is over, or None: coded as a personal
    history (ICD-10-CM Z85-Z87), or named as one ('Personal history of nicotine dependence',
    'History of cardiac arrest', 'Ex-smoker', 'Former smoker'). Its name holds the condition,
    so it fits the condition's concept, but it shows a history of it, never the condition now
    (the eighteenth audit, C: 'Ex-smoker' and 'Personal history of nicotine dependence'
    (Z87.891) were current smoking, 'Personal history of malignant neoplasm of breast' (Z85.3)
    an active malignancy); its onset is when the history was recorded, not when the condition was."""
    for c in record.codings:
        if short_system(c.system) == "icd10cm" and c.code.strip().upper().startswith(_PERSONAL_HISTORY_ICD):
            return f"coded as a personal history (ICD-10-CM {c.code.strip()})"
        if _seventh_character(c) == "S":
            return f"coded as a sequela (ICD-10-CM {c.code.strip()}), the late effect of an injury before it"
        if short_system(c.system) == "icd10cm" and c.code.strip().upper().startswith(_CEREBROVASCULAR_SEQUELA_ICD):
            return f"coded as a sequela of cerebrovascular disease (ICD-10-CM {c.code.strip()}), the late effect of a stroke or other cerebrovascular disease before it"
    for name in (record.text, *(c.display for c in record.codings)):
        if name and _PAST_NAME.match(name):
            return f"named as a past condition ('{name.strip()}')"
        if name and _SEQUELA_NAME.match(name):
            return f"named as the late effect of a past condition ('{name.strip()}')"
    return None


def later_encounter(record: Any) -> str | None:
    """Why a condition record's date may come after its injury, or None: coded for a
    subsequent encounter (ICD-10-CM 7th character 'D', or E-R for a fracture: S72.001D), care
    while it heals. The injury came on or before that date, so the date shows the injury was no
    later than it, not that it was in a window the date is in (a follow-up visit in the past 28
    days read as a 'traumatic injury within 28 days'). A sequela ('S') is a past record
    (`past_record`)."""
    for c in record.codings:
        if _seventh_character(c) in _LATER_ENCOUNTER:
            return f"coded for a subsequent encounter (ICD-10-CM {c.code.strip()}): the injury came on or before it, when the record does not say"
    return None


def _seventh_character(coding: Coding) -> str | None:
    """The 7th character of an ICD-10-CM code of seven (dot left out), else None."""
    if short_system(coding.system) != "icd10cm":
        return None
    code = coding.code.strip().upper().replace(".", "")
    return code[6] if len(code) == 7 else None


def record_matches(vocab: Any, concept: Any, records: tuple[Any, ...], *, exact_tests: bool = False) -> tuple[Any | None, ...]:
    """What `match_record` gives for each of `records` (a patient's observations, conditions,
    ...), in their order.

    Remembered per tuple of records, by identity (records are frozen and the entry holds the
    tuple, so its id is not reused while remembered), and each kind of record (the same codes
    and text: a lab measured a hundred times) is matched once. Screening one patient asks
    this at every leaf of every criterion: matching each record there was half the time of
    a warm screening (docs/performance.md).

    >>> from engine.vocab import load_vocabulary
    >>> vocab = load_vocabulary()
    >>> anc = Observation(codings=(Coding(system="loinc", code="751-8"),))
    >>> [m.name if m else None for m in record_matches(vocab, vocab.get("measure", "absolute neutrophil count"), (anc, Observation(text="weight")), exact_tests=True)]
    ['absolute neutrophil count', None]
    """
    found = _kind_matches(vocab, concept, records, exact_tests)
    if found[2] is None:
        by_kind = found[1]
        found[2] = tuple(by_kind[i] for i in _records_entry(records)[0])
    return found[2]


def record_kinds(records: tuple[Any, ...]) -> tuple[int, ...]:
    """Each record's kind (records with the same codes and text are one kind), numbered in
    the order the kinds first appear."""
    return _records_entry(records)[0]


def kind_matches(vocab: Any, concept: Any, records: tuple[Any, ...], *, exact_tests: bool = False) -> tuple[Any | None, ...]:
    """What `match_record` gives for each kind of record (`record_kinds`) among `records`."""
    return _kind_matches(vocab, concept, records, exact_tests)[1]


def fits_any(vocab: Any, concept: Any, records: tuple[Any, ...], *, exact_tests: bool = False) -> bool:
    """Whether `match_record` fits some of `records` to `concept` (any of `record_matches`
    is not None), without keeping the answer per records: most leaves ask it once of a
    patient, and most answers are no."""
    matches = _matches_of(vocab, concept, exact_tests)
    for kind, codings, text in _records_entry(records)[1][None]:
        match = matches.get(kind, _NOT_YET) if matches is not None else _NOT_YET
        if match is _NOT_YET:
            match = _remembered(matches, vocab, concept, kind, codings, text, exact_tests)
        if match is not None:
            return True
    return False


def fits_any_broader(vocab: Any, concept: Any, records: tuple[Any, ...]) -> bool:
    """Whether `fits_any` holds for `concept` or for one of its ancestors: whether a
    condition leaf reads any of the records at all. The answer for a kind of record is
    remembered across patients (a population's records repeat their codes): asked as one
    `fits_any` per concept of the family, it was 225 k calls for 1,000 synthetic patients,
    10 % of screening them (speed7). The entry holds the vocabulary, so its id is not
    reused while remembered."""
    key = (id(vocab), concept.kind, concept.name)
    entry = _BROADER.get(key)
    if entry is None or entry[0] is not vocab:
        if len(_BROADER) >= _BROADER_MAX:
            _BROADER.clear()
        entry = _BROADER[key] = (vocab, {})
    known = entry[1]  # kind of record -> whether it fits (one look-up a kind: speed8)
    family: tuple[Any, ...] | None = None
    for kind, codings, text in _records_entry(records)[1][None]:
        fits = known.get(kind)
        if fits is None:
            if family is None:
                family = (concept, *vocab.ancestors(concept))
            fits = any(_remembered(_matches_of(vocab, c, False), vocab, c, kind, codings, text, False) is not None for c in family)
            if len(known) >= _MATCHES_MAX:
                known.clear()
            known[kind] = fits
        if fits:
            return True
    return False


_BROADER: dict[tuple[int, str, str], tuple[Any, dict[str, bool]]] = {}
_BROADER_MAX = 20_000  # concepts, each with its kinds of record


class FitIndex:
    """Which of the concepts numbered here (`number`) each kind of record fits, and so which
    of them some records fit (`fitted`): `fits_any(vocab, concept, records)` is
    `number(concept) in fitted(records)`. A silence test asks that of a patient for about a
    hundred and fifty leaves, each a loop over the patient's kinds of record (a fifth of
    screening synthetic patients, speed14); here each kind of record is matched once against
    every concept numbered (remembered across patients, whose records repeat their codes),
    the records of a patient once, and a test is a look-up in a set. Concepts numbered later
    are matched when a kind or records are asked next. One index per vocabulary and field of
    the patient's record, so that a drug is never matched against conditions."""

    def __init__(self, vocab: Any) -> None:
        self.vocab = vocab
        self.concepts: list[Any] = []
        self.numbers: dict[tuple[str, str], int] = {}
        # kind of record -> (how many concepts it was matched against, the numbers it fits)
        self.kinds: dict[str, tuple[int, frozenset[int]]] = {}
        # the records asked last, how many concepts were numbered then, what they fit: a
        # patient's leaves ask of its records one after the other
        self.last: tuple[tuple[Any, ...] | None, int, frozenset[int]] = (None, 0, frozenset())

    def number(self, concept: Any) -> int:
        """The concept's number, given it now where it has none."""
        key = (concept.kind, concept.name)
        found = self.numbers.get(key)
        if found is None:
            found = self.numbers[key] = len(self.concepts)
            self.concepts.append(concept)
        return found

    def fitted(self, records: tuple[Any, ...]) -> frozenset[int]:
        """The numbers of the concepts some of `records` fit (as `fits_any`, exact tests off),
        remembered with the records (`_records_entry`)."""
        count = len(self.concepts)
        last = self.last
        if last[0] is records and last[1] == count:  # the entry holds them: not another tuple at their id
            return last[2]
        _, memo = _records_entry(records)
        hit = memo.get(self)
        if hit is None or hit[0] != count:
            found: frozenset[int] = frozenset()
            for kind, codings, text in memo[None]:
                found = found.union(self._kind_fits(kind, codings, text, count))
            hit = memo[self] = (count, found)
        self.last = (records, count, hit[1])
        return hit[1]

    def _kind_fits(self, kind: str, codings: Sequence[Coding], text: str | None, count: int) -> frozenset[int]:
        entry = self.kinds.get(kind)
        if entry is not None and entry[0] == count:
            return entry[1]
        done, fits = entry if entry is not None else (0, frozenset())
        vocab = self.vocab
        new = [
            i for i in range(done, count)
            if _remembered(_matches_of(vocab, self.concepts[i], False), vocab, self.concepts[i], kind, codings, text, False) is not None
        ]
        if new:
            fits = fits.union(new)
        if len(self.kinds) >= _MATCHES_MAX:
            self.kinds.clear()
        self.kinds[kind] = (count, fits)
        return fits


def _kind_matches(vocab: Any, concept: Any, records: tuple[Any, ...], exact_tests: bool) -> list:
    _, memo = _records_entry(records)
    key = (id(vocab), concept.kind, concept.name, exact_tests)
    found = memo.get(key)
    if found is None or found[0] is not vocab:
        matches = _matches_of(vocab, concept, exact_tests)
        by_kind = []
        for kind, codings, text in memo[None]:
            match = matches.get(kind, _NOT_YET) if matches is not None else _NOT_YET
            if match is _NOT_YET:
                match = _remembered(matches, vocab, concept, kind, codings, text, exact_tests)
            by_kind.append(match)
        found = memo[key] = [vocab, tuple(by_kind), None, None]  # by record, and those matched: made when asked
    return found


def concepts_of_kinds(vocab: Any, kind: str, records: tuple[Any, ...], *, exact_tests: bool = False) -> tuple[dict[tuple[str, str], Any], ...]:
    """For each kind of record among `records` (`record_kinds`), the concepts of `kind`
    ('measure') it fits: (concept kind, name) -> the narrowest concept it fits, as
    `match_record` gives it. The index from a kind of record to the concepts is made once
    per kind and remembered (a population's records repeat their codes), so a summary of
    every measure reads a patient's few kinds of record instead of matching every concept
    against each of them (15 % of screening synthetic patients)."""
    _, memo = _records_entry(records)
    try:
        index = _KIND_INDEX.setdefault(vocab, {})
    except TypeError:  # a vocabulary that cannot be weakly referenced: not remembered
        index = {}
    out = []
    for key, codings, text in memo[None]:
        found = index.get((kind, exact_tests, key))
        if found is None:
            found = {}
            for concept in vocab.concepts(kind):
                narrow = _remembered(_matches_of(vocab, concept, exact_tests), vocab, concept, key, codings, text, exact_tests)
                if narrow:
                    found[(concept.kind, concept.name)] = narrow
            if len(index) >= _MATCHES_MAX:
                index.clear()
            index[(kind, exact_tests, key)] = found
        out.append(found)
    return tuple(out)


_KIND_INDEX: WeakKeyDictionary[Any, dict[tuple[str, bool, str], dict[tuple[str, str], Any]]] = WeakKeyDictionary()


def _records_entry(records: tuple[Any, ...]) -> tuple[tuple[int, ...], dict]:
    entry = _BY_RECORDS.get(id(records))
    if entry is None or entry[0] is not records:
        if len(_BY_RECORDS) >= _BY_RECORDS_MAX:
            _BY_RECORDS.clear()
        kinds: dict[str, tuple[str, tuple[Coding, ...], str | None]] = {}
        numbers: dict[str, int] = {}
        index = []
        for r in records:
            key = _kind_key(r.codings, r.text)
            if key not in numbers:
                numbers[key] = len(numbers)
                kinds[key] = (key, r.codings, r.text)
            index.append(numbers[key])
        entry = _BY_RECORDS[id(records)] = (records, tuple(index), {None: tuple(kinds.values())})
    return entry[1], entry[2]


_NOT_YET = object()

# records tuple id -> (the tuple, each record's kind, {None: the kinds, concept key -> [vocab,
# matches by kind, matches by record, the records matched]})
_BY_RECORDS: dict[int, tuple[tuple[Any, ...], tuple[int, ...], dict]] = {}
_BY_RECORDS_MAX = 64  # patients (and the record subsets an exception sets aside) at once


def observations_of(vocab: Any, concept: Any, patient: Patient) -> list[Observation]:
    """Every observation of `concept` (or a narrower measure) in the record.

    For a measure, read from the patient's observations grouped once by the measures they
    fit (`concepts_of_kinds`, the index the patient's summary reads too): matching each
    measure a criterion names against every kind of the patient's observations was 4 % of
    screening synthetic patients (speed8). The groups are what `_kind_matches` gives, in the
    records' order (tests/test_speed8.py)."""
    records = patient.observations
    if concept.kind == "measure":
        grouped = _observations_by_measure(vocab, records)
        if grouped is not None:
            return list(grouped.get((concept.kind, concept.name), ()))
    found = _kind_matches(vocab, concept, records, True)
    if found[3] is None:
        by_kind = found[1]
        found[3] = tuple(o for o, kind in zip(records, _records_entry(records)[0]) if by_kind[kind])
    return list(found[3])


def _observations_by_measure(vocab: Any, records: tuple[Observation, ...]) -> dict[tuple[str, str], list[Observation]] | None:
    """(measure kind, name) -> the records that fit it, for each measure some record fits;
    kept in the records' memo (`_records_entry`). None for a vocabulary without an index."""
    kinds, memo = _records_entry(records)
    found = memo.get(_BY_MEASURE)
    if found is None or found[0] is not vocab:
        try:
            fits = concepts_of_kinds(vocab, "measure", records, exact_tests=True)
        except (KeyError, LookupError, ValueError, AttributeError):
            return None
        grouped: dict[tuple[str, str], list[Observation]] = {}
        for record, kind in zip(records, kinds):
            for key in fits[kind]:
                grouped.setdefault(key, []).append(record)
        found = memo[_BY_MEASURE] = (vocab, grouped)
    return found[1]


_BY_MEASURE = ("observations by measure",)  # its key in a records' memo, unlike any other


def latest(observations: Iterable[Observation], as_of: date) -> tuple[list[Observation], int, int]:
    """The observations on the latest date on or before `as_of` (usually one).

    Returns (those observations, how many later than `as_of` were ignored, how many undated
    were ignored). Undated observations are never taken: their age cannot be told.
    """
    dated = []
    later = undated = 0
    for o in observations:
        if o.date is None:
            undated += 1
        elif o.date > as_of:
            later += 1
        else:
            dated.append(o)
    if not dated:
        return [], later, undated
    last = max(o.date for o in dated)
    return [o for o in dated if o.date == last], later, undated


def obs_label(obs: Observation) -> str:
    """'1.0 mg/dL (2026-05-20)'."""
    value = fmt(obs.value) if obs.value is not None else "no value"
    unit = f" {obs.unit}" if obs.unit else ""
    when = f" ({obs.date.isoformat()})" if obs.date else ""
    return f"{value}{unit}{when}"


# A criterion that names no window means a value of now: one measured longer ago than this
# says little of today ('LVEF < 50%' decided by an echocardiogram of 2012) and decides nothing.
STALE_AFTER_DAYS = 365
STALE_REASON = f"is more than {STALE_AFTER_DAYS} days old on {{as_of}}: too old to decide a criterion that names no time window"
# A body height stops changing once growth ends, so one measured as an adult stands for
# today's however long ago. One measured younger does not: growth plates close at about 16
# in girls and 18 in boys, and a boy of 15 may still grow 6 cm a year (audit10: 155.9 cm at 15
# read as the height of the man of 20). A height taken before 18 is only as good as any
# other measurement: recent, or in the criterion's window.
STABLE_MEASURES = frozenset({"body height"})
ADULT_FROM_YEARS = 18


def stale(obs: Observation, as_of: date) -> bool:
    """Whether a measurement is too old to stand for today's value."""
    return obs.date is not None and (as_of - obs.date).days > STALE_AFTER_DAYS


def stable(measure: str, obs: Observation, patient: Patient) -> bool:
    """Whether a measurement stands for today's value however old: a body height measured
    at 18 or over (born as late as the record allows: the youngest the patient can have been)."""
    if measure not in STABLE_MEASURES or obs.date is None or patient.birth_date is None:
        return False
    born = next((p.latest for p in patient.partial_dates if p.field == "birth_date"), patient.birth_date)
    return age(born, obs.date) >= ADULT_FROM_YEARS


def stale_reason(measure: str, as_of: date) -> str:
    """Why a measurement too old is not used (`STALE_REASON`), and for a height, that it was
    measured before adult age."""
    reason = STALE_REASON.format(as_of=as_of.isoformat())
    if measure in STABLE_MEASURES:
        reason += f" (measured before the age of {ADULT_FROM_YEARS}, while still growing)"
    return reason


def _latest_value(
    vocab: Any, patient: Patient, names: Sequence[str], as_of: date, to_unit: str
) -> tuple[Decimal | None, str, str | None]:
    """The latest value of the first measure among `names` the vocabulary knows, in `to_unit`.

    Returns (value or None, label 'weight 70 kg (2026-05-20)', problem or None).
    """
    concept = next((c for c in (lookup(vocab, ("measure",), n) for n in names) if c is not None), None)
    label = names[0]
    if concept is None:
        return None, label, f"{label} not in the vocabulary"
    label = concept.name
    found, _later, _undated = latest(observations_of(vocab, concept, patient), as_of)
    if not found:
        return None, label, f"no {label} on record on or before {as_of.isoformat()}"
    if stale(found[0], as_of) and not stable(label, found[0], patient):
        return None, label, f"{label} {obs_label(found[0])} {stale_reason(label, as_of)}"
    values = []
    for obs in found:
        if obs.value is None:
            return None, label, f"{label} ({obs.date.isoformat()}) has no numeric value"
        if obs.value_comparator:
            return None, label, f"{label} {obs.value_comparator}{obs_label(obs)} is a bound, not a value"
        if not obs.unit:
            return None, label, f"{label} {obs_label(obs)} has no unit"
        try:
            values.append(_convert(obs.value, obs.unit, to_unit, getattr(concept, "molar_mass", None)))
        except UnitError:
            return None, label, f"{label} {obs_label(obs)}: {obs.unit} cannot be converted to {to_unit}"
    if len(set(tidy(v) for v in values)) > 1:
        listed = ", ".join(obs_label(o) for o in found)
        return None, label, f"{label}: different values on the same date ({listed})"
    obs = found[0]
    value = tidy(values[0])
    text = f"{label} {obs_label(obs)}"
    if obs.unit != to_unit:
        text += f" {shown(value)} {to_unit}"
    return value, text, None


def _convert(value: Decimal, unit: str, to_unit: str, molar_mass: Decimal | None) -> Decimal:
    """`units.convert`, remembered: through pint it costs about 0.1 ms, and a population's
    values and units repeat (weight and creatinine for every clearance). Equal amounts
    written differently (1.0, 1.00) share an entry; `tidy` makes their uses the same (but
    not of 0 and -0, so zero is not remembered)."""
    if not value:
        return units.convert(value, unit, to_unit, molar_mass=molar_mass)
    try:
        return _converted(value, unit, to_unit, molar_mass)
    except TypeError:  # an amount that cannot be a key (a signalling NaN): not remembered
        return units.convert(value, unit, to_unit, molar_mass=molar_mass)


@lru_cache(maxsize=65536)
def _converted(value: Decimal, unit: str, to_unit: str, molar_mass: Decimal | None) -> Decimal:
    return units.convert(value, unit, to_unit, molar_mass=molar_mass)


# --- age -------------------------------------------------------------------------------------

AgeUnit = Literal["years", "months", "weeks", "days"]


def whole_months(start: date, end: date) -> int:
    """Whole calendar months from `start` to `end` (a month is complete on the same day of
    the month, or on the last day of a shorter month)."""
    months = (end.year - start.year) * 12 + (end.month - start.month)
    if months > 0 and end < add_months(start, months):
        months -= 1
    return months


def add_months(day: date, months: int) -> date:
    """`day` moved by whole calendar months, clamped to the end of the month.

    >>> add_months(date(2026, 3, 31), -1), add_months(date(2024, 2, 29), 12)
    (datetime.date(2026, 2, 28), datetime.date(2025, 2, 28))
    """
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def age(birth_date: date, as_of: date, unit: AgeUnit = "years") -> int:
    """Age at `as_of` in whole `unit`s; the birthday itself counts.

    >>> age(date(2008, 6, 1), date(2026, 6, 1)), age(date(2008, 6, 2), date(2026, 6, 1))
    (18, 17)
    """
    if unit == "days":
        return (as_of - birth_date).days
    if unit == "weeks":
        return (as_of - birth_date).days // 7
    months = whole_months(birth_date, as_of)
    return months if unit == "months" else months // 12


def age_of(patient: Patient, as_of: date, unit: AgeUnit = "years") -> Derived:
    """The patient's age at `as_of` in whole `unit`s."""
    if patient.birth_date is None:
        return Derived(None, unit, "no date of birth on record", ("date of birth",))
    if patient.birth_date > as_of:
        return Derived(None, unit, f"date of birth {patient.birth_date.isoformat()} is after {as_of.isoformat()}")
    value = age(patient.birth_date, as_of, unit)
    return Derived(
        Decimal(value),
        unit,
        f"age {value} {unit} at {as_of.isoformat()} (born {patient.birth_date.isoformat()})",
        dates=(patient.birth_date,),
    )


# --- creatinine clearance ----------------------------------------------------------------

WEIGHT = ("body weight", "weight")
HEIGHT = ("body height", "height")
CREATININE = ("creatinine", "serum creatinine")


def creatinine_clearance(
    patient: Patient, as_of: date, vocab: Any, *, sex: Literal["female", "male"]
) -> Derived:
    """Cockcroft-Gault creatinine clearance in mL/min from the latest creatinine and weight.

    Uses actual body weight and whole years of age; `sex` is given (not read from the
    record) so that a caller can work out both values when the record does not say.
    """
    missing: list[str] = []
    problems: list[str] = []
    years = age_of(patient, as_of)
    if years.value is None:
        missing.append("date of birth")
        problems.append(years.reason)
    weight, weight_text, weight_problem = _latest_value(vocab, patient, WEIGHT, as_of, "kg")
    if weight is None:
        missing.append(weight_text)
        problems.append(weight_problem or "")
    creat, creat_text, creat_problem = _latest_value(vocab, patient, CREATININE, as_of, "mg/dL")
    if creat is None:
        missing.append(creat_text)
        problems.append(creat_problem or "")
    if creat is not None and creat <= 0:
        problems.append(f"{creat_text}: not a usable creatinine")
        creat = None
    if years.value is None or weight is None or creat is None:
        return Derived(
            None, "mL/min", "creatinine clearance cannot be derived: " + "; ".join(problems), tuple(missing)
        )
    value = (140 - years.value) * weight / (72 * creat)
    factor = ""
    if sex == "female":
        value *= Decimal("0.85")
        factor = " x 0.85 (female)"
    value = tidy(value)
    reason = (
        f"creatinine clearance {fmt(round_to(value, 1))} mL/min, derived: Cockcroft-Gault"
        f" (140 - age) x weight / (72 x creatinine){factor} from {creat_text},"
        f" {weight_text} (actual body weight), age {years.value}"
    )
    return Derived(value, "mL/min", reason)


# --- body mass index -----------------------------------------------------------------------


def body_mass_index(patient: Patient, as_of: date, vocab: Any) -> Derived:
    """BMI in kg/m2 from the latest weight and height."""
    weight, weight_text, weight_problem = _latest_value(vocab, patient, WEIGHT, as_of, "kg")
    height, height_text, height_problem = _latest_value(vocab, patient, HEIGHT, as_of, "cm")
    missing = [t for v, t in ((weight, weight_text), (height, height_text)) if v is None]
    if weight is None or height is None or height <= 0:
        problems = "; ".join(p for p in (weight_problem, height_problem) if p) or "height is not positive"
        return Derived(None, "kg/m2", f"body mass index cannot be derived: {problems}", tuple(missing))
    metres = height / 100
    value = tidy(weight / (metres * metres))
    reason = (
        f"body mass index {fmt(round_to(value, 1))} kg/m2, derived: weight / height^2"
        f" from {weight_text}, {height_text}"
    )
    return Derived(value, "kg/m2", reason)


# --- corticosteroids -----------------------------------------------------------------------


def daily_dose_mg(record: MedicationRecord) -> Decimal | None:
    """The record's daily dose in mg/day, or None when absent or not a mass."""
    if record.daily_dose is None or not record.dose_unit:
        return None
    try:
        return tidy(units.convert(record.daily_dose, f"{record.dose_unit}/day", "mg/day"))
    except UnitError:
        pass
    try:
        return tidy(units.convert(record.daily_dose, record.dose_unit, "mg/day"))
    except UnitError:
        return None


def prednisone_equivalent_daily_dose(record: MedicationRecord, concept: Any) -> Decimal | None:
    """The record's daily dose as mg/day of prednisone, given the drug's concept.

    `concept.prednisone_equivalent_mg` is the dose of the drug equal to 5 mg prednisone
    (dexamethasone 0.75): 1.5 mg/day dexamethasone is 10 mg/day prednisone.
    None when the record has no daily dose in mass units or the drug has no equivalence.
    """
    equivalent = getattr(concept, "prednisone_equivalent_mg", None)
    dose = daily_dose_mg(record)
    if equivalent is None or dose is None or Decimal(equivalent) <= 0:
        return None
    return tidy(dose * 5 / Decimal(equivalent))
