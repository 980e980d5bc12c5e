"""The vocabulary: measures, conditions, drugs, drug classes and procedures, with their codes.

Data lives in `rules/vocab/*.toml` (one file per kind by convention; any file may hold any
kind). Each entry names one concept: its canonical lowercase name, the phrases criteria use
for it (`synonyms`), its codes (LOINC, ICD-10-CM prefixes, SNOMED CT, RxNorm) and its broader
concepts (`parents`; for a drug, its classes). Every phrase maps to exactly one concept, across
all kinds: the parser turns a phrase into one concept.

Loading checks the data and raises `InputError` naming the file and the entry
(`measure[3].synonyms`) for a duplicate phrase, an unknown parent, a parent cycle, an unknown
code system or a malformed code (LOINC and SNOMED CT codes carry check digits, verified here).

>>> vocab = load_vocabulary()
>>> vocab.find("ANC").name
'absolute neutrophil count'
>>> dex = vocab.get("drug", "dexamethasone")
>>> dex in vocab.descendants(vocab.get("drug_class", "corticosteroid"))
True
"""

from __future__ import annotations

import hashlib
import re
import tomllib
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.errors import InputError

Kind = Literal["measure", "condition", "drug", "drug_class", "procedure"]
KINDS: tuple[str, ...] = ("measure", "condition", "drug", "drug_class", "procedure")
CODE_SYSTEMS: tuple[str, ...] = ("loinc", "icd10cm", "snomed", "rxnorm", "cvx")

CANONICAL_UNITS: frozenset[str] = frozenset(
    {
        "/uL", "10^9/L", "10^3/uL", "g/dL", "g/L", "mg/dL", "umol/L", "mmol/L", "mmol/mol",
        "mL/min", "mL/min/1.73m2", "%", "mmHg", "kg/m2", "kg", "cm", "IU/L", "U/L", "bpm",
        "s", "ms", "years",
        # hormones and tumour markers, as laboratories report them
        "ng/dL", "ng/mL", "pg/mL", "mIU/mL", "mIU/L",
        # body temperature, viral loads
        "degC", "copies/mL",
        # red cell indices, retinal and cervical lengths, exhaled carbon monoxide
        "fL", "um", "mm", "ppm",
        # gestational age; lung volumes; alcohol intake
        "weeks", "L", "drinks/day",
        # time spent on an activity, days of a habit
        "hours/week", "days/week",
        # scales of their own: endotoxin, ETDRS letters, decibels; gait speed; ovarian volume
        "EU/mL", "letters", "dB", "m/s", "mL", "caffeinated drinks/day",
    }
)
"""Units a measure (or its default ULN) may be stated in. `engine.units` must know them all."""

# Parent kinds: a drug's parents are drug classes; everything else has parents of its own kind.
_PARENT_KIND = {"drug": "drug_class"}

_ENTRY_KEYS = {
    "measure": {"name", "synonyms", "parents", "unit", "molar_mass", "scale", "uln", "plausible", "derived", "note", "source", *CODE_SYSTEMS},
    "condition": {"name", "synonyms", "parents", "loose_parents", "note", "source", "open_world", "lifelong", *CODE_SYSTEMS},
    "drug": {"name", "synonyms", "classes", "parents", "loose_parents", "prednisone_equivalent_mg", "half_life_hours", "mostly_local", "systemic_routes", "course_months", "note", "source", "open_world", "procedure_records", "implies", *CODE_SYSTEMS},
    "drug_class": {"name", "synonyms", "parents", "course_months", "note", "source", "open_world", "procedure_records", "implies", *CODE_SYSTEMS},
    "procedure": {"name", "synonyms", "parents", "loose_parents", "drugs", "status_during", "status_after", "note", "source", "open_world", *CODE_SYSTEMS},
}


class Concept(BaseModel):
    """One vocabulary entry."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Kind
    name: str
    synonyms: tuple[str, ...] = ()
    codes: tuple[tuple[str, str], ...] = ()
    parents: tuple[str, ...] = ()
    # parents the concept falls under for some criteria and not others (hypertension as a
    # 'cardiovascular disease'): a record of it leaves such a parent unknown, never true
    loose_parents: tuple[str, ...] = ()
    unit: str | None = None
    molar_mass: Decimal | None = None
    scale: tuple[int, int] | None = None
    uln: tuple[Decimal, str, str] | None = None  # (value, unit or '' for a ratio, source)
    # the ULNs laboratories use, in the uln's unit: a default inside it decides only where
    # every one of them would (engine.evaluate `_check_relative`)
    uln_band: tuple[Decimal, Decimal] | None = None
    plausible: tuple[Decimal, Decimal] | None = None  # thresholds outside, in `unit`, are misprints
    derived: bool = False
    prednisone_equivalent_mg: Decimal | None = None
    half_life_hours: Decimal | None = None
    # a drug mostly given locally (budesonide: inhaled or gut-local): a record of it that names
    # no route is not known to be systemic
    mostly_local: bool = False
    # the routes by which a mostly_local drug is systemic, as words of a record's route or
    # drug text ('oral' for hydrocortisone; none for budesonide, whose oral form is gut-local)
    systemic_routes: tuple[str, ...] = ()
    # the longest a course of the drug (or of the drugs of a class) runs: a record left
    # 'active' with no end since longer ago is not evidence of taking it now (Synthea left
    # docetaxel active from 2000 on); the entry's source says where the length comes from
    course_months: int | None = None
    open_world: bool = False  # no record shows its absence: a status, or a class no record names
    # a condition that does not end (HIV infection): why, with its source; a record's
    # abatement or 'resolved' does not make it over
    lifelong: str | None = None
    # conditions a drug (or class) is given for, so that its record may be one of theirs
    # (glipizide: diabetes), and the source: never the condition itself, since a drug may be
    # given for another (metformin for PCOS, an antiretroviral as prophylaxis)
    implies: tuple[str, ...] = ()
    implies_source: str | None = None
    # a therapy given as drugs ('chemotherapy': the class 'cytotoxic agent'): a medication
    # record of one of them is a record of the procedure
    drugs: tuple[str, ...] = ()
    # a status held while the procedure goes on ('dialysis': 'dialysis dependence', Z99.2),
    # or one that follows it done (a transplant: the transplanted organ status, Z94): a
    # condition record of it is a record of the procedure
    status_during: tuple[str, ...] = ()
    status_after: tuple[str, ...] = ()
    # a drug (or class) given in a procedure (CAR-T cells infused): a procedure record that
    # names it is a record of the drug
    procedure_records: bool = False
    source: str | None = None

    def phrases(self) -> tuple[str, ...]:
        """The name and every synonym."""
        return (self.name, *self.synonyms)

    def codes_for(self, system: str) -> tuple[str, ...]:
        """This concept's own codes in one system."""
        return tuple(code for s, code in self.codes if s == system)


# --- text folding --------------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "\u2010\u2011\u2012\u2013\u2014\u2212\u00ad"), "-")
_QUOTES = dict.fromkeys(map(ord, "\u2018\u2019\u02bc\u00b4`"), "'")


def fold(text: str) -> str:
    """Lowercase, accents off, dashes and apostrophes to ASCII, whitespace collapsed.

    >>> fold("Sézary  Syndrome")
    'sezary syndrome'
    >>> fold("Gilbert’s")
    "gilbert's"
    """
    if text.isascii():  # the common case, and the same result: nothing to translate or strip
        return " ".join(text.lower().split())
    text = unicodedata.normalize("NFKD", text.translate(_DASHES).translate(_QUOTES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(text.lower().split())


@lru_cache(maxsize=65536)
def _key(phrase: str) -> str:
    """The identity of a phrase: folded, hyphens and spaces alike, apostrophes dropped."""
    return " ".join(fold(phrase).replace("-", " ").replace("'", "").split())


_WORD = re.compile(r"[0-9a-z+]+")


def _words(text: str) -> list[str]:
    """A text's words for phrase matching: folded, hyphens and spaces alike, apostrophes dropped."""
    return _WORD.findall(_key(text))


# --- code checks ---------------------------------------------------------------------------

_LOINC = re.compile(r"^(\d{1,7})-(\d)$")
_ICD10CM = re.compile(r"^[A-Z](?:[0-9](?:[0-9A-Z](?:\.[0-9A-Z]{1,4})?)?)?$")
_SCTID = re.compile(r"^[1-9]\d{5,17}$")
_RXCUI = re.compile(r"^[1-9]\d{0,9}$")
_CVX = re.compile(r"^\d{1,3}$")  # the CDC's vaccine codes: one to three digits, a leading zero kept ("03")

_VERHOEFF_D = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 2, 3, 4, 0, 6, 7, 8, 9, 5), (2, 3, 4, 0, 1, 7, 8, 9, 5, 6),
    (3, 4, 0, 1, 2, 8, 9, 5, 6, 7), (4, 0, 1, 2, 3, 9, 5, 6, 7, 8), (5, 9, 8, 7, 6, 0, 4, 3, 2, 1),
    (6, 5, 9, 8, 7, 1, 0, 4, 3, 2), (7, 6, 5, 9, 8, 2, 1, 0, 4, 3), (8, 7, 6, 5, 9, 3, 2, 1, 0, 4),
    (9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
)
_VERHOEFF_P = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9), (1, 5, 7, 6, 2, 8, 3, 0, 9, 4), (5, 8, 0, 3, 7, 9, 6, 1, 4, 2),
    (8, 9, 1, 6, 0, 4, 3, 5, 2, 7), (9, 4, 5, 3, 1, 2, 6, 8, 7, 0), (4, 2, 8, 6, 5, 7, 3, 9, 0, 1),
    (2, 7, 9, 3, 8, 0, 6, 4, 1, 5), (7, 0, 4, 6, 9, 1, 3, 2, 5, 8),
)


def loinc_check_ok(code: str) -> bool:
    """LOINC's mod-10 check digit (the digit after the hyphen).

    >>> loinc_check_ok("2160-0"), loinc_check_ok("2160-1")
    (True, False)
    """
    m = _LOINC.match(code)
    if not m:
        return False
    digits = m.group(1)[::-1]
    total = 0
    for i, ch in enumerate(digits):
        d = int(ch)
        if i % 2 == 0:  # odd positions from the right are doubled
            d *= 2
            total += d // 10 + d % 10
        else:
            total += d
    return (10 - total % 10) % 10 == int(m.group(2))


def snomed_check_ok(code: str) -> bool:
    """SNOMED CT concept id: Verhoeff check digit, partition 00 (short) or 10 (namespaced).

    >>> snomed_check_ok("38341003"), snomed_check_ok("38341004")
    (True, False)
    """
    if not _SCTID.match(code) or code[-3:-1] not in ("00", "10"):
        return False
    c = 0
    for i, ch in enumerate(reversed(code)):
        c = _VERHOEFF_D[c][_VERHOEFF_P[i % 8][int(ch)]]
    return c == 0


def _code_ok(system: str, code: str) -> bool:
    if system == "loinc":
        return loinc_check_ok(code)
    if system == "icd10cm":
        return bool(_ICD10CM.match(code))
    if system == "snomed":
        return snomed_check_ok(code)
    if system == "cvx":
        return bool(_CVX.match(code))
    return bool(_RXCUI.match(code))


def _icd_norm(code: str) -> str:
    return code.replace(".", "").strip().upper()


# --- the vocabulary ------------------------------------------------------------------------


class Vocabulary:
    """Concepts by kind and name, a phrase lexicon, and the parent graph."""

    def __init__(self, concepts: list[Concept], version: str):
        self.version = version
        self._concepts = tuple(concepts)
        self._of_kind: dict[str, tuple[Concept, ...]] = {}  # `concepts(kind)`, made when first asked
        self._codes_of: dict[tuple[str, str], tuple[Concept, tuple[frozenset[tuple[str, str]], tuple[str, ...]]]] = {}
        self._by_kind_name: dict[tuple[str, str], Concept] = {(c.kind, c.name): c for c in concepts}
        self._terms: dict[str, Concept] = {}
        self._by_key: dict[str, Concept] = {}
        for c in concepts:
            for phrase in c.phrases():
                self._terms.setdefault(phrase.lower(), c)
                self._by_key.setdefault(_key(phrase), c)
        self._children: dict[tuple[str, str], list[Concept]] = {}
        for c in concepts:
            for p in c.parents:
                parent = self._by_kind_name[(_PARENT_KIND.get(c.kind, c.kind), p)]
                self._children.setdefault((parent.kind, parent.name), []).append(c)
        self._ancestors: dict[tuple[str, str], tuple[Concept, ...]] = {}
        self._descendants: dict[tuple[str, str], tuple[Concept, ...]] = {}
        self._mention_cache: dict[str, frozenset[tuple[str, str]]] = {}
        self._index: tuple[dict[str, Concept], int] | None = None
        self._families: dict[tuple[str, str], frozenset[tuple[str, str]]] = {}
        self._strictly_under: dict[tuple[tuple[str, str], tuple[str, str]], bool] = {}

    def __repr__(self) -> str:
        return f"Vocabulary(version={self.version!r}, concepts={len(self._concepts)})"

    def terms(self) -> dict[str, Concept]:
        """Every lowercased name and synonym -> its concept: the parser's lexicon.

        >>> load_vocabulary().terms()["sgpt"].name
        'alanine aminotransferase'
        """
        return dict(self._terms)

    def concepts(self, kind: str | None = None) -> tuple[Concept, ...]:
        """All concepts, or those of one kind, in file order."""
        if kind is None:
            return self._concepts
        # remembered: a patient's summary asks for every measure (a pass over all concepts
        # was 2.5 % of screening synthetic patients, speed8); the concepts do not change
        found = self._of_kind.get(kind)
        if found is None:
            found = self._of_kind[kind] = tuple(c for c in self._concepts if c.kind == kind)
        return found

    def get(self, kind: str, name: str) -> Concept | None:
        """The concept of this kind by canonical name (or, failing that, by synonym).

        >>> load_vocabulary().get("measure", "age").unit
        'years'
        """
        found = self._by_kind_name.get((kind, name))
        if found is None:
            found = self._by_key.get(_key(name))
            if found is not None and found.kind != kind:
                found = None
        return found

    def find(self, name: str) -> Concept | None:
        """The concept of any kind with this name or synonym, case- and accent-insensitive.

        >>> load_vocabulary().find("Sezary syndrome").name
        'sézary syndrome'
        """
        return self._by_key.get(_key(name))

    def ancestors(self, concept: Concept) -> tuple[Concept, ...]:
        """Transitive parents, nearest first (for a drug: its classes, then theirs)."""
        k = (concept.kind, concept.name)
        if k not in self._ancestors:
            seen: dict[tuple[str, str], Concept] = {}
            frontier = [concept]
            while frontier:
                nxt = []
                for c in frontier:
                    for p in c.parents:
                        parent = self._by_kind_name[(_PARENT_KIND.get(c.kind, c.kind), p)]
                        pk = (parent.kind, parent.name)
                        if pk not in seen:
                            seen[pk] = parent
                            nxt.append(parent)
                frontier = nxt
            self._ancestors[k] = tuple(seen.values())
        return self._ancestors[k]

    def descendants(self, concept: Concept) -> tuple[Concept, ...]:
        """Transitive children: a class's member drugs and subclasses; a condition's subtypes."""
        k = (concept.kind, concept.name)
        if k not in self._descendants:
            seen: dict[tuple[str, str], Concept] = {}
            frontier = [concept]
            while frontier:
                nxt = []
                for c in frontier:
                    for child in self._children.get((c.kind, c.name), ()):
                        ck = (child.kind, child.name)
                        if ck not in seen:
                            seen[ck] = child
                            nxt.append(child)
                frontier = nxt
            self._descendants[k] = tuple(seen.values())
        return self._descendants[k]

    def strictly_under(self, concept: Concept, ancestor: Concept) -> bool:
        """Whether `concept` is `ancestor` or reaches it through strict parents only.
        Remembered per pair, as `ancestors` is: screening asks it of every record that fits
        a criterion's concept, for every patient."""
        pair = ((concept.kind, concept.name), (ancestor.kind, ancestor.name))
        found = self._strictly_under.get(pair)
        if found is None:
            found = self._strictly_under[pair] = self._strictly_under_now(concept, pair[1])
        return found

    def _strictly_under_now(self, concept: Concept, target: tuple[str, str]) -> bool:
        seen: set[tuple[str, str]] = set()
        frontier = [concept]
        while frontier:
            c = frontier.pop()
            k = (c.kind, c.name)
            if k == target:
                return True
            if k in seen:
                continue
            seen.add(k)
            frontier.extend(
                self._by_kind_name[(_PARENT_KIND.get(c.kind, c.kind), p)] for p in c.parents if p not in c.loose_parents
            )
        return False

    def matches_coding(self, concept: Concept, system: str, code: str) -> bool:
        """Whether a record's code is this concept's or a descendant's.

        ICD-10-CM codes match by prefix, dots ignored ('C91.0' covers 'C91.00'); other
        systems match exactly. `system` is a short name or the FHIR system URI.

        >>> v = load_vocabulary()
        >>> v.matches_coding(v.get("condition", "acute lymphoblastic leukemia"), "icd10cm", "C91.00")
        True
        """
        system = system_name(system)
        if system is None:
            return False
        code = code.strip()
        exact, icd_prefixes = self._family_codes(concept)
        if system == "icd10cm":
            norm = _icd_norm(code)
            return any(norm.startswith(own) for own in icd_prefixes)
        return (system, code) in exact

    def _family_codes(self, concept: Concept) -> tuple[frozenset[tuple[str, str]], tuple[str, ...]]:
        """The codes of the concept and its descendants: (system, code) of the systems matched
        exactly, and the ICD-10-CM codes normalised, in the family's order. Remembered per
        concept: a broad concept's family is hundreds of concepts, walked for every kind of
        record matched against it (2 % of screening synthetic patients, speed8)."""
        key = (concept.kind, concept.name)
        hit = self._codes_of.get(key)
        if hit is not None and hit[0] is concept:
            return hit[1]
        family = (concept, *self.descendants(concept))
        found = (
            frozenset((s, own) for c in family for s, own in c.codes if s != "icd10cm"),
            tuple(_icd_norm(own) for c in family for s, own in c.codes if s == "icd10cm"),
        )
        if self._by_kind_name.get(key) is concept:  # one of this vocabulary's own
            self._codes_of[key] = (concept, found)
        return found

    def matches_text(self, concept: Concept, text: str) -> bool:
        """Whether a name or synonym of the concept or of a descendant is in `text`.

        Whole words, case- and accent-insensitive, space and hyphen alike. A hit inside a
        longer phrase of an unrelated concept does not count ('small cell lung cancer' is not
        found in 'non-small cell lung cancer'; 'hepatitis b' not in 'hepatitis b vaccine').

        >>> v = load_vocabulary()
        >>> v.matches_text(v.find("alt"), "ALT 45 U/L"), v.matches_text(v.find("alt"), "salt")
        (True, False)
        """
        mentioned = self._mentions(text)
        if not mentioned:
            return False
        return not mentioned.isdisjoint(self._family_keys(concept))

    def _mentions(self, text: str) -> frozenset[tuple[str, str]]:
        """The concepts a text names: longest vocabulary phrase first, left to right, so a
        phrase inside a longer one of another concept does not count. Cached per text."""
        hit = self._mention_cache.get(text)
        if hit is not None:
            return hit
        index, longest = self._phrase_index()
        words = _words(text)
        found: set[tuple[str, str]] = set()
        i = 0
        while i < len(words):
            for j in range(min(len(words), i + longest), i, -1):
                c = index.get(" ".join(words[i:j]))
                if c is not None:
                    found.add((c.kind, c.name))
                    i = j
                    break
            else:
                i += 1
        result = frozenset(found)
        if len(self._mention_cache) < 100_000:
            self._mention_cache[text] = result
        return result

    def _phrase_index(self) -> tuple[dict[str, Concept], int]:
        if self._index is None:
            index = {" ".join(_words(p)): c for p, c in self._terms.items()}
            self._index = (index, max((k.count(" ") + 1 for k in index), default=1))
        return self._index

    def _family_keys(self, concept: Concept) -> frozenset[tuple[str, str]]:
        k = (concept.kind, concept.name)
        if k not in self._families:
            self._families[k] = frozenset((c.kind, c.name) for c in (concept, *self.descendants(concept)))
        return self._families[k]


_SYSTEM_URIS = {
    "http://loinc.org": "loinc",
    "http://hl7.org/fhir/sid/icd-10-cm": "icd10cm",
    "http://snomed.info/sct": "snomed",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
    "http://hl7.org/fhir/sid/cvx": "cvx",
}


def system_name(system: str) -> str | None:
    """The short name of a code system given as a short name or a FHIR URI; None if unknown.

    >>> system_name("http://snomed.info/sct"), system_name("ICD10CM"), system_name("CVX"), system_name("ndc")
    ('snomed', 'icd10cm', 'cvx', None)
    """
    s = system.strip()
    if s in _SYSTEM_URIS:
        return _SYSTEM_URIS[s]
    low = s.lower().replace("-", "").replace("_", "")
    aliases = {"loinc": "loinc", "icd10cm": "icd10cm", "snomed": "snomed", "snomedct": "snomed", "sct": "snomed", "rxnorm": "rxnorm", "cvx": "cvx"}
    if low in aliases:
        return aliases[low]
    return _SYSTEM_URIS.get(s.rstrip("/"))


# --- loading -------------------------------------------------------------------------------


def rules_dir() -> Path:
    """The `rules/` folder: beside the package in a source checkout, inside it when installed."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "rules", here / "rules"):
        if (candidate / "vocab").is_dir():
            return candidate
    return here.parent / "rules"


def load_vocabulary(path: Path | None = None) -> Vocabulary:
    """Load and check the vocabulary from a folder of TOML files (or one file).

    Args:
        path: a folder of `*.toml` files or a single file; default `rules_dir() / "vocab"`,
            loaded once per process.

    Returns:
        The checked `Vocabulary`.

    Raises:
        InputError: a file that cannot be read or data that breaks a rule.

    >>> load_vocabulary().get("drug", "dexamethasone").prednisone_equivalent_mg
    Decimal('0.75')
    """
    if path is None:
        return _load_default()
    return _load(Path(path))


@lru_cache(maxsize=1)
def _load_default() -> Vocabulary:
    return _load(rules_dir() / "vocab")


def _load(path: Path) -> Vocabulary:
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    if not files:
        raise InputError(str(path), None, "no vocabulary files (*.toml) found")
    digest = hashlib.sha256()
    raw: list[tuple[str, str, int, dict]] = []  # (file, kind, index, entry)
    for f in files:
        try:
            data = f.read_bytes()
        except OSError as exc:
            raise InputError(str(f), None, f"cannot read: {exc}") from exc
        digest.update(f.name.encode() + b"\0" + data + b"\0")
        try:
            doc = tomllib.loads(data.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise InputError(str(f), None, f"not valid TOML: {exc}") from exc
        for table, entries in doc.items():
            if table not in KINDS:
                raise InputError(str(f), table, f"unknown table {table!r}; expected one of {', '.join(KINDS)}")
            if not isinstance(entries, list):
                raise InputError(str(f), table, f"{table!r} must be an array of tables ([[{table}]])")
            for i, entry in enumerate(entries):
                raw.append((str(f), table, i, entry))

    concepts: list[Concept] = []
    where_of: dict[tuple[str, str], tuple[str, str]] = {}
    phrase_owner: dict[str, tuple[Concept, str, str]] = {}
    for source, kind, i, entry in raw:
        where = f"{kind}[{i}]"
        concept = _concept(source, kind, where, entry)
        ck = (kind, concept.name)
        if ck in where_of:
            raise InputError(source, f"{where}.name", f"duplicate {kind} {concept.name!r} (also {where_of[ck][1]} in {where_of[ck][0]})")
        where_of[ck] = (source, where)
        for j, phrase in enumerate(concept.phrases()):
            key = _key(phrase)
            place = f"{where}.name" if j == 0 else f"{where}.synonyms"
            if key in phrase_owner and phrase_owner[key][0] is not concept:
                other, osrc, oplace = phrase_owner[key]
                raise InputError(
                    source, place,
                    f"phrase {phrase!r} already names {other.kind} {other.name!r} ({oplace} in {osrc}); a phrase must name one concept",
                )
            phrase_owner.setdefault(key, (concept, source, place))
        concepts.append(concept)

    names = {(c.kind, c.name) for c in concepts}
    for c in concepts:
        source, where = where_of[(c.kind, c.name)]
        pkind = _PARENT_KIND.get(c.kind, c.kind)
        for p in c.parents:
            if (pkind, p) not in names:
                field = "classes" if c.kind == "drug" else "parents"
                raise InputError(source, f"{where}.{field}", f"unknown {pkind} {p!r}")
        for d in c.drugs if any(k in ("drug", "drug_class") for k, _ in names) else ():
            if ("drug", d) not in names and ("drug_class", d) not in names:
                raise InputError(source, f"{where}.drugs", f"unknown drug or drug class {d!r}")
        for field in ("status_during", "status_after", "implies") if any(k == "condition" for k, _ in names) else ():
            for s in getattr(c, field):
                if ("condition", s) not in names:
                    raise InputError(source, f"{where}.{field}", f"unknown condition {s!r}")
    by_name = {(c.kind, c.name): c for c in concepts}
    state: dict[tuple[str, str], int] = {}

    def visit(k: tuple[str, str], path: list[str]) -> None:
        if state.get(k) == 2:
            return
        if state.get(k) == 1:
            source, where = where_of[k]
            raise InputError(source, f"{where}.parents", "parent cycle: " + " -> ".join([*path, k[1]]))
        state[k] = 1
        c = by_name[k]
        for p in c.parents:
            visit((_PARENT_KIND.get(c.kind, c.kind), p), [*path, k[1]])
        state[k] = 2

    for k in by_name:
        visit(k, [])
    return Vocabulary(concepts, digest.hexdigest()[:12])


def _strings(source: str, where: str, value, *, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise InputError(source, f"{where}.{field}", "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _plausible(source: str, where: str, value, unit: str | None) -> tuple[Decimal, Decimal]:
    if unit is None:
        raise InputError(source, f"{where}.plausible", "needs the measure's unit, which the range is in")
    if not (isinstance(value, list) and len(value) == 2):
        raise InputError(source, f"{where}.plausible", "must be [low, high] in the measure's unit")
    low, high = (_decimal(source, where, v, field="plausible", zero=True) for v in value)
    if not low < high:
        raise InputError(source, f"{where}.plausible", "must be [low, high] with low < high")
    return low, high


def _decimal(source: str, where: str, value, *, field: str, zero: bool = False) -> Decimal:
    try:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise InvalidOperation
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise InputError(source, f"{where}.{field}", f"not a number: {value!r}") from exc
    if not d.is_finite() or d < 0 or (d == 0 and not zero):
        kind = "a number >= 0" if zero else "a positive number"
        raise InputError(source, f"{where}.{field}", f"must be {kind}, not {value!r}")
    return d


def _concept(source: str, kind: str, where: str, entry) -> Concept:
    if not isinstance(entry, dict):
        raise InputError(source, where, "must be a table")
    unknown = set(entry) - _ENTRY_KEYS[kind]
    if unknown:
        bad = sorted(unknown)[0]
        raise InputError(
            source, f"{where}.{bad}",
            f"unknown key {bad!r} for a {kind} (code systems are {', '.join(CODE_SYSTEMS)}; other keys: "
            f"{', '.join(sorted(_ENTRY_KEYS[kind] - set(CODE_SYSTEMS)))})",
        )
    name = entry.get("name")
    if not isinstance(name, str) or not name.strip():
        raise InputError(source, f"{where}.name", "a non-empty name is required")
    if name != name.strip() or name != name.lower() or "  " in name:
        raise InputError(source, f"{where}.name", f"name must be lowercase and trimmed: {name!r}")
    synonyms = _strings(source, where, entry.get("synonyms"), field="synonyms")
    for s in synonyms:
        if s != s.lower():
            raise InputError(source, f"{where}.synonyms", f"synonym must be lowercase: {s!r}")
    seen, unique = {_key(name)}, []
    for s in synonyms:
        if _key(s) not in seen:
            seen.add(_key(s))
            unique.append(s)
    codes: list[tuple[str, str]] = []
    for system in CODE_SYSTEMS:
        for code in _strings(source, where, entry.get(system), field=system):
            if not _code_ok(system, code):
                raise InputError(source, f"{where}.{system}", f"malformed {system} code {code!r}")
            codes.append((system, code))
    parents = _strings(source, where, entry.get("parents"), field="parents")
    if kind == "drug":
        parents = _strings(source, where, entry.get("classes"), field="classes") + parents
    loose = _strings(source, where, entry.get("loose_parents"), field="loose_parents")
    if set(loose) & set(parents):
        raise InputError(source, f"{where}.loose_parents", "a parent is either strict (parents) or loose (loose_parents), not both")
    parents += loose
    fields: dict = dict(kind=kind, name=name, synonyms=tuple(unique), codes=tuple(codes), parents=tuple(dict.fromkeys(parents)), loose_parents=loose)
    src = entry.get("source")
    if src is not None and not isinstance(src, str):
        raise InputError(source, f"{where}.source", "must be a string")
    fields["source"] = src
    open_world = entry.get("open_world", False)
    if not isinstance(open_world, bool):
        raise InputError(source, f"{where}.open_world", "must be true or false")
    fields["open_world"] = open_world
    if kind == "measure":
        unit = entry.get("unit")
        if unit is not None and unit not in CANONICAL_UNITS:
            raise InputError(source, f"{where}.unit", f"unknown canonical unit {unit!r}")
        fields["unit"] = unit
        if "molar_mass" in entry:
            fields["molar_mass"] = _decimal(source, where, entry["molar_mass"], field="molar_mass")
        if "scale" in entry:
            sc = entry["scale"]
            if not (isinstance(sc, list) and len(sc) == 2 and all(type(v) is int for v in sc) and sc[0] < sc[1]):
                raise InputError(source, f"{where}.scale", "must be [min, max], two integers, min < max")
            fields["scale"] = (sc[0], sc[1])
        if "uln" in entry:
            u = entry["uln"]
            if not (isinstance(u, dict) and set(u) - {"band"} == {"value", "unit", "source"} and isinstance(u["source"], str)):
                raise InputError(source, f"{where}.uln", "must be {value=..., unit=..., source=...} (and band=[low, high])")
            if not isinstance(u["unit"], str) or (u["unit"] and u["unit"] not in CANONICAL_UNITS):
                raise InputError(source, f"{where}.uln.unit", f"unknown canonical unit {u['unit']!r} ('' for a ratio)")
            fields["uln"] = (_decimal(source, where, u["value"], field="uln.value"), u["unit"], u["source"])
            if "band" in u:
                band = u["band"]
                low, high = (_decimal(source, where, v, field="uln.band") for v in band) if isinstance(band, list) and len(band) == 2 else (None, None)
                if low is None or not low <= fields["uln"][0] <= high:
                    raise InputError(source, f"{where}.uln.band", "must be [low, high] around the uln's value")
                fields["uln_band"] = (low, high)
        if "plausible" in entry:
            fields["plausible"] = _plausible(source, where, entry["plausible"], unit)
        derived = entry.get("derived", False)
        if not isinstance(derived, bool):
            raise InputError(source, f"{where}.derived", "must be true or false")
        fields["derived"] = derived
    if kind == "procedure":
        fields["drugs"] = _strings(source, where, entry.get("drugs"), field="drugs")
        for field in ("status_during", "status_after"):
            fields[field] = _strings(source, where, entry.get(field), field=field)
    if kind == "condition" and "lifelong" in entry:
        if not isinstance(entry["lifelong"], str):
            raise InputError(source, f"{where}.lifelong", "must be a string: why the condition does not end, with its source")
        fields["lifelong"] = entry["lifelong"]
    if kind in ("drug", "drug_class") and "implies" in entry:
        implied = entry["implies"]
        if not (isinstance(implied, dict) and set(implied) == {"conditions", "source"} and isinstance(implied["source"], str)):
            raise InputError(source, f"{where}.implies", "must be {conditions=[...], source=...}")
        fields["implies"] = _strings(source, where, implied["conditions"], field="implies.conditions")
        fields["implies_source"] = implied["source"]
    if kind in ("drug", "drug_class"):
        by_procedure = entry.get("procedure_records", False)
        if not isinstance(by_procedure, bool):
            raise InputError(source, f"{where}.procedure_records", "must be true or false")
        fields["procedure_records"] = by_procedure
        if "course_months" in entry:
            months = entry["course_months"]
            if type(months) is not int or months <= 0:
                raise InputError(source, f"{where}.course_months", f"must be a positive whole number of months, not {months!r}")
            if not isinstance(src, str):
                raise InputError(source, f"{where}.course_months", "needs a source saying how long a course runs")
            fields["course_months"] = months
    if kind == "drug":
        local = entry.get("mostly_local", False)
        if not isinstance(local, bool):
            raise InputError(source, f"{where}.mostly_local", "must be true or false")
        fields["mostly_local"] = local
        routes = _strings(source, where, entry.get("systemic_routes"), field="systemic_routes")
        if routes and not local:
            raise InputError(source, f"{where}.systemic_routes", "only for a drug that is mostly_local")
        fields["systemic_routes"] = tuple(r.lower() for r in routes)
        for key in ("prednisone_equivalent_mg", "half_life_hours"):
            if key in entry:
                fields[key] = _decimal(source, where, entry[key], field=key)
    return Concept(**fields)
