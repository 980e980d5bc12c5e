"""FHIR R4 JSON -> `engine.patient.Patient`.

Reads a Bundle (collection, transaction, searchset, batch, document) or a bare Patient
resource, already parsed from JSON (numbers as `Decimal`, see `engine.patients`). Only the
resource types elig uses are read, and only the elements it uses are checked: Patient,
Observation, Condition, MedicationStatement / MedicationRequest / MedicationAdministration
(with the Medication resources they point to), Immunization (read as a medication given on
one day) and Procedure. Everything else (Encounter,
Claim, ExplanationOfBenefit, ...) is skipped without a look.

What is an error and what is kept:
- Structure that cannot be read -- a date that is no date, a number that is text, an object
  where a list belongs, no Patient or two -- raises `InputError` naming the file and the JSON
  path (`entry[12].resource.effectiveDateTime`) when it is in the Bundle or the Patient. In
  an Observation, Condition, medication or Procedure it spoils that resource only: the
  resource is kept with its code and `unreadable` (the path and the problem), the Patient's
  `unreadable` lists them all, and the criteria that need it are unknown.
- Odd values are kept as the source has them and flagged on the record (`flags`): a negative
  count or dose, an end before the start, a status code outside FHIR's list. A unit
  `engine.units` does not read is kept as written, with `unit_ok` (`dose_unit_ok`) False.
- Records the source itself withdraws are left out: status `entered-in-error`, a Condition
  whose verificationStatus is `refuted`, a MedicationStatement `not-taken`, a
  MedicationAdministration, Immunization or Procedure `not-done`, a MedicationRequest `cancelled`, an
  Observation `cancelled`.
- Dates keep their calendar date as written (a time and its zone are dropped, not converted).
  A date given to the year or the month holds its first day, and the record's
  `partial_dates` says so with the last day it can be.
"""

from __future__ import annotations

import calendar
import re
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeAlias

from engine.errors import InputError, shown
from engine.patient import (
    Coding,
    ConditionRecord,
    MedicationRecord,
    Observation,
    PartialDate,
    Patient,
    ProcedureRecord,
)
from engine.nodes import unvalidated
from engine.units import from_ucum, normalize_unit

SYSTEMS: dict[str, str] = {
    "http://loinc.org": "loinc",
    "urn:oid:2.16.840.1.113883.6.1": "loinc",
    "http://snomed.info/sct": "snomed",
    "urn:oid:2.16.840.1.113883.6.96": "snomed",
    "http://hl7.org/fhir/sid/icd-10-cm": "icd10cm",
    "urn:oid:2.16.840.1.113883.6.90": "icd10cm",
    "http://www.nlm.nih.gov/research/umls/rxnorm": "rxnorm",
    "urn:oid:2.16.840.1.113883.6.88": "rxnorm",
    "http://hl7.org/fhir/sid/cvx": "cvx",
    "urn:oid:2.16.840.1.113883.12.292": "cvx",
}
"""Code system URIs elig knows by a short name; any other system keeps its URI."""

UCUM = "http://unitsofmeasure.org"

BUNDLE_TYPES = ("collection", "transaction", "searchset", "batch", "document")

MEDICATION_TYPES = ("MedicationStatement", "MedicationRequest", "MedicationAdministration")

_SKIP_STATUS = {
    "Observation": {"entered-in-error", "cancelled"},
    "Condition": set(),
    "MedicationStatement": {"entered-in-error", "not-taken"},
    "MedicationRequest": {"entered-in-error", "cancelled"},
    "MedicationAdministration": {"entered-in-error", "not-done"},
    "Procedure": {"entered-in-error", "not-done"},
    "Immunization": {"entered-in-error", "not-done"},
}

_ALLERGY_WORDS = re.compile(r"allerg|hypersensitiv|intoleran|anaphyla", re.IGNORECASE)
_CLINICAL_STATUS = ("active", "recurrence", "relapse", "inactive", "remission", "resolved")
_GENDERS = ("female", "male", "other", "unknown")
_COMPARATORS = ("<", "<=", ">=", ">")

# FHIR Timing.repeat.periodUnit (UCUM subset) -> periods a day
_PER_DAY: dict[str, Decimal] = {
    "s": Decimal(86400),
    "min": Decimal(1440),
    "h": Decimal(24),
    "d": Decimal(1),
    "wk": Decimal(1) / Decimal(7),
}
# FHIR Timing.code (GTS abbreviations, plus Q12H) -> administrations a day
_TIMING_CODES: dict[str, Decimal] = {
    "QD": Decimal(1),
    "AM": Decimal(1),
    "PM": Decimal(1),
    "BED": Decimal(1),
    "BID": Decimal(2),
    "TID": Decimal(3),
    "QID": Decimal(4),
    "QOD": Decimal("0.5"),
    "Q1H": Decimal(24),
    "Q2H": Decimal(12),
    "Q3H": Decimal(8),
    "Q4H": Decimal(6),
    "Q6H": Decimal(4),
    "Q8H": Decimal(3),
    "Q12H": Decimal(2),
    "WK": Decimal(1) / Decimal(7),
}


class NonFinite:
    """Stands for a `NaN` / `Infinity` JSON constant: an error where a number is read."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------- dates

_DATE_RE = re.compile(
    r"(?P<y>\d{4})(?:-(?P<m>\d{2})(?:-(?P<d>\d{2})"
    r"(?:[T ](?P<H>\d{2}):(?P<M>\d{2})(?::(?P<S>\d{2})(?:\.\d+)?)?"
    r"(?P<tz>Z|[+-]\d{2}:?\d{2})?)?)?)?"
)

DATE_FORMS = "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a time zone"


def parse_when(text: str) -> tuple[date, str | None, date] | None:
    """A FHIR date, dateTime or instant -> (first day, precision, last day), None if malformed.

    Precision is None for a full date, "month" or "year" for a partial one. The time and
    its zone are checked and dropped: the calendar date is the one written.

    >>> parse_when("2023-02")
    (datetime.date(2023, 2, 1), 'month', datetime.date(2023, 2, 28))
    >>> parse_when("2026-05-20T23:30:00-05:00")[0]
    datetime.date(2026, 5, 20)
    >>> parse_when("2026-13-45") is None
    True
    """
    return _parse_when(text)


@lru_cache(maxsize=65536)
def _parse_when(text: str) -> tuple[date, str | None, date] | None:
    """`parse_when`, remembered: a population's records repeat their dates (a year of days),
    and the calendar check was a tenth of loading a bundle."""
    m = _DATE_RE.fullmatch(text.strip())
    if not m:
        return None
    year = int(m["y"])
    if year < 1:
        return None
    if m["m"] is None:
        return date(year, 1, 1), "year", date(year, 12, 31)
    month = int(m["m"])
    if not 1 <= month <= 12:
        return None
    last = calendar.monthrange(year, month)[1]
    if m["d"] is None:
        return date(year, month, 1), "month", date(year, month, last)
    day = int(m["d"])
    if not 1 <= day <= last:
        return None
    if m["H"] is not None:
        hour, minute = int(m["H"]), int(m["M"])
        second = int(m["S"]) if m["S"] is not None else 0
        if hour > 24 or minute > 59 or second > 60 or (hour == 24 and (minute or second)):
            return None
        tz = m["tz"]
        if tz and tz != "Z":
            digits = tz[1:].replace(":", "")
            if int(digits[:2]) > 14 or int(digits[2:]) > 59:
                return None
    day_ = date(year, month, day)
    return day_, None, day_


def json_kind(value: Any) -> str:
    """How a JSON value reads in a message: 'string "abc"', 'an array', 'number 3'."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f'string "{shown}"'
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, NonFinite):
        return value.name
    return f"number {value}"


def join(path: str, key: str | int) -> str:
    """JSON path of a member: join('entry[3].resource', 'code') -> 'entry[3].resource.code'."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


# A place in the JSON as the reader is given it: a path, or (place, member) written out only
# when an error names it (`_place`). Reading a bundle named some 830 places, one string
# each, for error messages that a readable bundle never gives (speed6: 11 % of loading).
Place: TypeAlias = "str | tuple[Place, str | int]"


def _place(where: Any) -> str:
    """The JSON path of a place (`Place`)."""
    if type(where) is tuple:
        return join(_place(where[0]), where[1])
    return where


# --------------------------------------------------------------------------------- reader


class _Reader:
    """Typed access to parsed JSON: every read names its path, every misfit is an InputError."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, where: Place | None, problem: str) -> InputError:
        return InputError(self.source, _place(where) or None, problem)

    def obj(self, value: Any, where: Place) -> dict | None:
        if value is None or isinstance(value, dict):
            return value
        raise self.fail(where, f"expected an object, found {json_kind(value)}")

    def arr(self, value: Any, where: Place) -> list:
        if value is None:
            return []
        if isinstance(value, list):
            return value
        raise self.fail(where, f"expected an array, found {json_kind(value)}")

    def text(self, value: Any, where: Place) -> str | None:
        if value is None or isinstance(value, str):
            return value
        raise self.fail(where, f"expected a string, found {json_kind(value)}")

    def code(self, value: Any, where: Place) -> str | None:
        """A code: a string; a whole number written without quotes is taken as its digits."""
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return self.text(value, where)

    def number(self, value: Any, where: Place) -> Decimal | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise self.fail(where, f"expected a number, found {json_kind(value)}")
        number = value if isinstance(value, Decimal) else Decimal(str(value))
        if not number.is_finite():
            raise self.fail(where, f"expected a number, found {value}")
        return number

    def integer(self, value: Any, where: Place) -> int | None:
        number = self.number(value, where)
        if number is None:
            return None
        if number != number.to_integral_value():
            raise self.fail(where, f"expected a whole number, found {shown(value)}")
        return int(number)

    def when(self, value: Any, where: Place) -> tuple[date, str | None, date] | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(where, f"expected a date, found {json_kind(value)}")
        parsed = parse_when(value)
        if parsed is None:
            raise self.fail(where, f'not a valid date: "{shown(value)}" (expected {DATE_FORMS})')
        return parsed

    def concept(self, value: Any, where: Place) -> tuple[tuple[Coding, ...], str | None]:
        """A CodeableConcept -> (codings, text). Text falls back to the first display."""
        concept = self.obj(value, where)
        if not concept:
            return (), None
        codings: list[Coding] = []
        first_display = None
        for i, raw in enumerate(self.arr(concept.get("coding"), (where, "coding"))):
            cw = ((where, "coding"), i)
            coding = self.obj(raw, cw)
            if not coding:
                continue
            system = self.text(coding.get("system"), (cw, "system"))
            code = self.code(coding.get("code"), (cw, "code"))
            display = self.text(coding.get("display"), (cw, "display"))
            first_display = first_display or display
            if system and code:
                codings.append(make_coding(system, code, display))
        text = self.text(concept.get("text"), (where, "text")) or first_display
        return tuple(codings), text


# SNOMED CT routes of administration (descendants of 284009009 'Route of administration value',
# the FHIR ValueSet route-codes; 18679011000001101 'Inhalation' is the UK dm+d edition's, which
# NHS sources send), named as the words engine/evaluate.py reads a route by (`_LOCAL_ROUTE`, a
# drug's `systemic_routes`): a route coded with no text or display is read as well as one named.
ROUTE_CODES: dict[str, str] = {
    "26643006": "oral route",
    "47625008": "intravenous route",
    "78421000": "intramuscular route",
    "34206005": "subcutaneous route",
    "37839007": "sublingual route",
    "6064005": "topical route",
    "45890007": "transdermal route",
    "46713006": "nasal route",
    "447694001": "respiratory tract route",
    "18679011000001101": "inhalation",
    "54485002": "ophthalmic route",
    "10547007": "otic route",
    "37161004": "rectal route",
    "16857009": "vaginal route",
    "12130007": "intra-articular route",
}


def short_system(system: str) -> str:
    """'http://loinc.org' -> 'loinc'; an unknown system stays as written."""
    key = system.strip()
    if key.startswith("https://"):
        key = "http://" + key[len("https://") :]
    return SYSTEMS.get(key.rstrip("/"), system)


def make_coding(system: str, code: str, display: str | None = None) -> Coding:
    """A Coding with the short system name; ICD-10-CM codes upper-cased and dotted (C8410 -> C84.10)."""
    return _make_coding(system, code, display)


@lru_cache(maxsize=65536)
def _make_coding(system: str, code: str, display: str | None) -> Coding:
    """`make_coding`, remembered: one frozen Coding for every record of a population that
    has it (validating a new one each time was a tenth of loading a bundle)."""
    short = short_system(system)
    code = code.strip()
    if short == "icd10cm":
        code = code.upper()
        if "." not in code and len(code) > 3 and re.fullmatch(r"[A-Z]\d[0-9A-Z]{2,5}", code):
            code = f"{code[:3]}.{code[3:]}"
    return Coding(system=short, code=code, display=display)


# ---------------------------------------------------------------------------------- units


@lru_cache(maxsize=4096)
def read_unit(system: str | None, code: str | None, text: str | None) -> tuple[str | None, bool]:
    """A Quantity's unit -> (canonical unit, True), or (the string as written, False).

    UCUM codes go through `engine.units.from_ucum`, other spellings through
    `normalize_unit`; the human-readable `unit` is the fallback when the code fails.
    """
    if not code and not text:
        return None, True
    tries = []
    if code and (system == UCUM or system is None):
        tries.append((from_ucum, code))
    if text:
        tries.append((normalize_unit, text))
    if code and system not in (UCUM, None):
        tries.append((normalize_unit, code))
    for convert, spelling in tries:
        try:
            return convert(spelling), True
        except ValueError:  # engine.errors.UnitError is a ValueError
            continue
    return (text or code), False


class _Dates:
    """Reads a record's dates and remembers which were partial."""

    def __init__(self, reader: _Reader):
        self.reader = reader
        self.partials: list[PartialDate] = []

    def get(self, value: Any, where: str, field: str) -> date | None:
        parsed = self.reader.when(value, where)
        if parsed is None:
            return None
        first, precision, last = parsed
        if precision is not None and not any(p.field == field for p in self.partials):
            self.partials.append(PartialDate(field=field, precision=precision, latest=last))
        return first

    def first(self, candidates: list[tuple[Any, str]], field: str) -> date | None:
        """The first present of several places a date may be."""
        for value, where in candidates:
            if value is not None:
                return self.get(value, where, field)
        return None


def flag_negative(value: Decimal | None, unit: str | None, flags: list[str], what: str, where: Place) -> str | None:
    """Flag a value below zero where that is odd: a count, a concentration, a dose.
    Temperatures and unitless scores (T-scores, base excess as a number) can be negative.

    Returns what makes the record unreadable ('WHERE: negative value -5 ...'), or None: such
    a value is no measurement, and a criterion compared with it would be decided on noise.
    """
    if value is None or value >= 0:
        return None
    u = (unit or "").lower()
    if u in ("", "1") or any(s in u for s in ("cel", "deg", "score")):
        return None
    flags.append(f"negative {what} {value}")
    return f"{_place(where)}: negative {what} {value} is not a plausible {what}"


@lru_cache(maxsize=4096)
def read_unit_text(text: str) -> tuple[str, bool]:
    """A unit written by a person -> (canonical unit, True), or (text, False).

    Free spelling first (`normalize_unit`: '10^9/L', 'cells/mm3'), UCUM as the fallback
    ('mm[Hg]', '{score}'), so any unit elig itself writes out reads back in.
    """
    for convert in (normalize_unit, from_ucum):
        try:
            return convert(text), True
        except ValueError:
            continue
    return text, False


def with_unreadable(patient: Patient) -> Patient:
    """The patient with `unreadable` listing every record read as unknown, in record order."""
    records = (*patient.observations, *patient.conditions, *patient.medications, *patient.procedures)
    return patient.model_copy(update={"unreadable": tuple(r.unreadable for r in records if r.unreadable)})


def _observation_of(values: dict[str, Any]) -> Observation:
    """`Observation(**values)` without validation, for the reader's own values, each
    already of its field's type (Codings, a calendar date, Decimals, tuples of strings and
    of PartialDates, a comparator from `_COMPARATORS`, strings): validating 31 of them a
    bundle was about half of loading one (speed14). Equal to the validated one, fields set
    included (tests/test_speed14.py)."""
    return unvalidated(Observation, {**_OBSERVATION_DEFAULTS, **values}, frozenset(values))


_OBSERVATION_DEFAULTS = {name: field.default for name, field in Observation.model_fields.items()}


# -------------------------------------------------------------------------------- reading


class _BundleReader:
    def __init__(self, doc: dict, source: str, fallback_id: str | None):
        self.r = _Reader(source)
        self.doc = doc
        self.fallback_id = fallback_id
        self.by_url: dict[str, dict] = {}  # fullUrl and "Medication/id" -> Medication resource

    # -- top level ----------------------------------------------------------------------

    def read(self) -> Patient:
        r = self.r
        rtype = self.doc.get("resourceType")
        if rtype == "Patient":
            entries = [("", self.doc)]
        elif rtype == "Bundle":
            entries = self._entries()
        else:
            raise r.fail(
                "resourceType",
                f"expected a FHIR Bundle, found resourceType {json_kind(rtype).removeprefix('string ')}",
            )
        patients = [(p, res) for p, res in entries if res["resourceType"] == "Patient"]
        if not patients:
            raise r.fail("entry", "no Patient resource: a patient file needs exactly one")
        if len(patients) > 1:
            (p1, a), (p2, b) = patients[0], patients[1]
            raise r.fail(
                p2,
                f"a second Patient resource (id {_id_text(b)}; the first, id {_id_text(a)}, is at "
                f"{p1}): a patient file holds one patient",
            )
        where, resource = patients[0]
        observations: list[Observation] = []
        conditions: list[ConditionRecord] = []
        medications: list[MedicationRecord] = []
        procedures: list[ProcedureRecord] = []
        lists = {"Observation": observations, "Condition": conditions, "AllergyIntolerance": conditions, "Procedure": procedures}
        lists.update(dict.fromkeys((*MEDICATION_TYPES, "Immunization"), medications))
        for path, res in entries:
            rtype = res["resourceType"]
            if rtype not in lists:
                continue
            try:
                lists[rtype].extend(self._resource(res, path, rtype))
            except InputError as exc:
                lists[rtype].append(self._unreadable(res, path, rtype, exc))
        patient = self._patient(resource, where, observations, conditions, medications, procedures)
        return with_unreadable(patient)

    def _resource(self, res: dict, path: str, rtype: str) -> list:
        if rtype == "Observation":
            return self._observation(res, path)
        if rtype == "Condition":
            return self._condition(res, path)
        if rtype == "AllergyIntolerance":
            return self._allergy(res, path)
        if rtype == "Procedure":
            return self._procedure(res, path)
        if rtype == "Immunization":
            return self._immunization(res, path)
        return self._medication(res, path, rtype)

    def _unreadable(self, res: dict, path: str, rtype: str, exc: InputError):
        """A clinical resource with a part that cannot be read: kept with what names it (its
        code, when that reads) and the problem, so the criteria needing it are unknown, not
        decided as if the resource were absent; its value, dates and status are left out."""
        key = "medicationCodeableConcept" if rtype in MEDICATION_TYPES else "vaccineCode" if rtype == "Immunization" else "code"
        try:
            codings, text = self.r.concept(res.get(key), join(path, key))
        except InputError:
            codings, text = (), None
        problem = f"{exc.where}: {exc.problem}" if exc.where else exc.problem
        model = {"Observation": Observation, "Condition": ConditionRecord, "AllergyIntolerance": ConditionRecord, "Procedure": ProcedureRecord}
        record = model.get(rtype, MedicationRecord)
        return record(codings=codings, text=text, where=path, unreadable=problem)

    def _entries(self) -> list[tuple[str, dict]]:
        r = self.r
        btype = r.text(self.doc.get("type"), "type")
        if btype is not None and btype not in BUNDLE_TYPES:
            raise r.fail(
                "type",
                f'a Bundle of type "{btype}" is not a patient record '
                f"(expected one of {', '.join(BUNDLE_TYPES)})",
            )
        out: list[tuple[str, dict]] = []
        for i, raw in enumerate(r.arr(self.doc.get("entry"), "entry")):
            epath = f"entry[{i}]"
            entry = r.obj(raw, epath)
            if not entry:
                continue
            rpath = f"{epath}.resource"
            res = r.obj(entry.get("resource"), rpath)
            if res is None:
                continue  # a request without a body (DELETE), a search link
            rtype = res.get("resourceType")
            if not isinstance(rtype, str):
                raise r.fail(join(rpath, "resourceType"), f"expected a resource type, found {json_kind(rtype)}")
            out.append((rpath, res))
            if rtype == "Medication":
                url = r.text(entry.get("fullUrl"), f"{epath}.fullUrl")
                if url:
                    self.by_url[url] = res
                rid = r.text(res.get("id"), join(rpath, "id"))
                if rid:
                    self.by_url[f"Medication/{rid}"] = res
        return out

    def _patient(self, res, where, observations, conditions, medications, procedures) -> Patient:
        r = self.r
        dates = _Dates(r)
        pid = r.code(res.get("id"), join(where, "id")) or self.fallback_id
        if not pid:
            raise r.fail(join(where, "id"), "the Patient has no id and there is no file name to take one from")
        birth = dates.get(res.get("birthDate"), join(where, "birthDate"), "birth_date")
        flags: list[str] = []
        gender = r.text(res.get("gender"), join(where, "gender"))
        if gender is not None and gender not in _GENDERS:
            flags.append(f'gender "{gender}" is not a FHIR administrative gender; sex left unknown')
            gender = None
        deceased: date | bool | None = None
        if res.get("deceasedDateTime") is not None:
            died = dates.get(res["deceasedDateTime"], join(where, "deceasedDateTime"), "deceased")
            flags.append(f"deceased {res['deceasedDateTime'][:10]} per the record" if died else "deceased")
            deceased = died if died else True
        elif res.get("deceasedBoolean") is True:
            flags.append("deceased per the record")
            deceased = True
        return Patient(
            id=pid,
            birth_date=birth,
            sex=gender,
            observations=tuple(observations),
            conditions=tuple(conditions),
            medications=tuple(medications),
            procedures=tuple(procedures),
            source=r.source,
            flags=tuple(flags),
            partial_dates=tuple(dates.partials),
            deceased=deceased,
        )

    # -- Observation --------------------------------------------------------------------

    def _observation(self, res: dict, path: str) -> list[Observation]:
        r = self.r
        status = r.text(res.get("status"), (path, "status"))
        if status in _SKIP_STATUS["Observation"]:
            return []
        codings, text = r.concept(res.get("code"), (path, "code"))
        dates = _Dates(r)
        period = r.obj(res.get("effectivePeriod"), (path, "effectivePeriod")) or {}
        when = dates.first(
            [
                (res.get("effectiveDateTime"), (path, "effectiveDateTime")),
                (period.get("start"), (path, "effectivePeriod.start")),
                (res.get("effectiveInstant"), (path, "effectiveInstant")),
                (res.get("issued"), (path, "issued")),
            ],
            "date",
        )
        out: list[Observation] = []
        components = r.arr(res.get("component"), (path, "component"))
        if _has_value(res) or not components:
            out.append(
                self._observation_record(res, path, codings, text, when, dates.partials)
            )
        for j, raw in enumerate(components):
            cpath = join(join(path, "component"), j)
            comp = r.obj(raw, cpath)
            if not comp:
                continue
            ccodings, ctext = r.concept(comp.get("code"), (cpath, "code"))
            out.append(self._observation_record(comp, cpath, ccodings, ctext, when, dates.partials))
        return out

    def _observation_record(self, holder, path, codings, text, when, partials) -> Observation:
        r = self.r
        flags: list[str] = []
        fields = self._value(holder, path, flags)
        ranges = r.arr(holder.get("referenceRange"), (path, "referenceRange"))
        ref_low = ref_high = ref_unit = None
        if ranges:
            rpath = ((path, "referenceRange"), 0)
            rr = r.obj(ranges[0], rpath) or {}
            low = self._quantity(rr.get("low"), (rpath, "low"))
            high = self._quantity(rr.get("high"), (rpath, "high"))
            ref_low, ref_high = low[0], high[0]
            ref_unit, unit_ok = high[1:3] if high[1] is not None else low[1:3]
            if not unit_ok:
                flags.append(f'reference range unit "{ref_unit}" not understood')
            if ref_unit is None and (ref_low is not None or ref_high is not None):
                ref_unit = fields.get("unit")  # a range written without a unit is in the value's
        key = "valueQuantity.value" if holder.get("valueQuantity") is not None else "valueInteger"
        unreadable = flag_negative(fields.get("value"), fields.get("unit"), flags, "value", (path, key))
        return _observation_of({
            "unreadable": unreadable,
            "codings": codings,
            "text": text,
            "date": when,
            "ref_low": ref_low,
            "ref_high": ref_high,
            "ref_unit": ref_unit,
            "where": path,
            "flags": tuple(flags),
            "partial_dates": tuple(partials),
            **fields,
        })

    def _value(self, holder: dict, path: str, flags: list[str]) -> dict[str, Any]:
        r = self.r
        if holder.get("valueQuantity") is not None:
            value, unit, unit_ok, comparator = self._quantity(
                holder["valueQuantity"], (path, "valueQuantity"), flags
            )
            return {"value": value, "unit": unit, "unit_ok": unit_ok, "value_comparator": comparator}
        if holder.get("valueInteger") is not None:
            return {"value": Decimal(r.integer(holder["valueInteger"], (path, "valueInteger")))}
        if holder.get("valueCodeableConcept") is not None:
            codings, text = r.concept(holder["valueCodeableConcept"], (path, "valueCodeableConcept"))
            return {"value_code": codings[0] if codings else None, "value_text": text}
        if holder.get("valueString") is not None:
            return {"value_text": r.text(holder["valueString"], (path, "valueString"))}
        if holder.get("valueBoolean") is not None:
            value = holder["valueBoolean"]
            if not isinstance(value, bool):
                raise r.fail((path, "valueBoolean"), f"expected true or false, found {json_kind(value)}")
            return {"value_text": "true" if value else "false"}
        for key in ("valueDateTime", "valueTime"):
            if holder.get(key) is not None:
                return {"value_text": r.text(holder[key], (path, key))}
        if holder.get("valueRatio") is not None:
            rpath = (path, "valueRatio")
            ratio = r.obj(holder["valueRatio"], rpath) or {}
            num = self._quantity(ratio.get("numerator"), (rpath, "numerator"))[0]
            den = self._quantity(ratio.get("denominator"), (rpath, "denominator"))[0]
            return {"value_text": f"{_num(num)}:{_num(den)}"}
        if holder.get("valueRange") is not None:
            rpath = (path, "valueRange")
            rng = r.obj(holder["valueRange"], rpath) or {}
            low = self._quantity(rng.get("low"), (rpath, "low"))
            high = self._quantity(rng.get("high"), (rpath, "high"))
            unit = high[1] or low[1]
            return {"value_text": f"{_num(low[0])}-{_num(high[0])}" + (f" {unit}" if unit else "")}
        return {}

    def _quantity(
        self, value: Any, path: str, flags: list[str] | None = None
    ) -> tuple[Decimal | None, str | None, bool, str | None]:
        """A Quantity -> (value, unit, unit_ok, comparator)."""
        r = self.r
        q = r.obj(value, path)
        if not q:
            return None, None, True, None
        number = r.number(q.get("value"), (path, "value"))
        system = r.text(q.get("system"), (path, "system"))
        code = r.code(q.get("code"), (path, "code"))
        text = r.text(q.get("unit"), (path, "unit"))
        unit, unit_ok = read_unit(system, code, text)
        comparator = r.text(q.get("comparator"), (path, "comparator"))
        if comparator is not None and comparator not in _COMPARATORS:
            if flags is not None:
                flags.append(f'comparator "{comparator}" not understood')
            comparator = None
        return number, unit, unit_ok, comparator

    # -- Condition ----------------------------------------------------------------------

    def _condition(self, res: dict, path: str) -> list[ConditionRecord]:
        r = self.r
        flags: list[str] = []
        stands, clinical = self._statuses(res, path, flags)
        if not stands:
            return []
        codings, text = r.concept(res.get("code"), join(path, "code"))
        dates = _Dates(r)
        onset_period = r.obj(res.get("onsetPeriod"), join(path, "onsetPeriod")) or {}
        onset = dates.first(
            [
                (res.get("onsetDateTime"), join(path, "onsetDateTime")),
                (onset_period.get("start"), join(path, "onsetPeriod.start")),
            ],
            "onset",
        )
        if onset is None and res.get("recordedDate") is not None:
            onset = dates.get(res["recordedDate"], join(path, "recordedDate"), "onset")
            flags.append("onset not given; recordedDate taken as onset")
        elif onset is None and any(k in res for k in ("onsetAge", "onsetRange", "onsetString")):
            flags.append("onset given as an age, range or text: not read")
        abatement_period = r.obj(res.get("abatementPeriod"), join(path, "abatementPeriod")) or {}
        abatement = dates.first(
            [
                (res.get("abatementDateTime"), join(path, "abatementDateTime")),
                (abatement_period.get("start"), join(path, "abatementPeriod.start")),
                (abatement_period.get("end"), join(path, "abatementPeriod.end")),
            ],
            "abatement",
        )
        if onset and abatement and abatement < onset:
            flags.append("abatement before onset")
        return [
            ConditionRecord(
                codings=codings,
                text=text,
                clinical_status=clinical,
                onset=onset,
                abatement=abatement,
                where=path,
                flags=tuple(flags),
                partial_dates=tuple(dates.partials),
            )
        ]

    def _allergy(self, res: dict, path: str) -> list[ConditionRecord]:
        """An AllergyIntolerance, read as a condition: an allergy is what criteria ask of
        ('Known hypersensitivity to ...'), and left out, 'no allergy on record' was read as
        none in a record that had one. Its code names what it is to ('Penicillin V', or
        'Shellfish allergy'); where its words do not say allergy or intolerance, they are
        said so ('Allergy to Penicillin V'), the type (allergy or intolerance) deciding which."""
        r = self.r
        flags: list[str] = []
        stands, clinical = self._statuses(res, path, flags)
        if not stands:
            return []
        codings, text = r.concept(res.get("code"), join(path, "code"))
        what = text or next((c.display for c in codings if c.display), None) or "unnamed substance"
        kind = r.code(res.get("type"), join(path, "type"))
        if not _ALLERGY_WORDS.search(what):
            what = f"{'Intolerance' if kind == 'intolerance' else 'Allergy'} to {what}"
        dates = _Dates(r)
        onset = dates.first([(res.get("onsetDateTime"), join(path, "onsetDateTime"))], "onset")
        if onset is None and res.get("recordedDate") is not None:
            onset = dates.get(res["recordedDate"], join(path, "recordedDate"), "onset")
            flags.append("onset not given; recordedDate taken as onset")
        return [
            ConditionRecord(
                codings=codings,
                text=what,
                clinical_status=clinical,
                onset=onset,
                where=path,
                flags=tuple(flags),
                partial_dates=tuple(dates.partials),
            )
        ]

    def _statuses(self, res: dict, path: str, flags: list[str]) -> tuple[bool, str | None]:
        """Whether a Condition or AllergyIntolerance stands (not refuted, not entered in
        error), and its clinical status where elig knows it; a doubt about either goes into
        `flags`."""
        verification = self._status_code(res.get("verificationStatus"), join(path, "verificationStatus"))
        if verification in ("refuted", "entered-in-error"):
            return False, None
        if verification in ("unconfirmed", "provisional", "differential"):
            flags.append(f"verification status: {verification}")
        clinical = self._status_code(res.get("clinicalStatus"), join(path, "clinicalStatus"))
        if clinical is not None and clinical not in _CLINICAL_STATUS:
            flags.append(f'clinical status "{clinical}" not understood')
            clinical = None
        return True, clinical

    def _status_code(self, value: Any, path: str) -> str | None:
        """A status CodeableConcept (R4) or plain code (STU3) -> its first code."""
        if isinstance(value, str):
            return value
        r = self.r
        concept = r.obj(value, path)
        if not concept:
            return None
        for i, raw in enumerate(r.arr(concept.get("coding"), join(path, "coding"))):
            coding = r.obj(raw, join(join(path, "coding"), i)) or {}
            code = r.code(coding.get("code"), join(join(path, "coding"), i) + ".code")
            if code:
                return code
        return r.text(concept.get("text"), join(path, "text"))

    # -- Medication* --------------------------------------------------------------------

    def _medication(self, res: dict, path: str, rtype: str) -> list[MedicationRecord]:
        r = self.r
        status = r.text(res.get("status"), join(path, "status"))
        if status in _SKIP_STATUS[rtype]:
            return []
        flags: list[str] = []
        if res.get("medicationCodeableConcept") is not None:
            codings, text = r.concept(res["medicationCodeableConcept"], join(path, "medicationCodeableConcept"))
        else:
            codings, text = self._medication_reference(res, path, flags)
        dates = _Dates(r)
        start = end = None
        if rtype == "MedicationRequest":
            dispense = r.obj(res.get("dispenseRequest"), join(path, "dispenseRequest")) or {}
            vpath = join(path, "dispenseRequest.validityPeriod")
            validity = r.obj(dispense.get("validityPeriod"), vpath) or {}
            start = dates.first(
                [
                    (res.get("authoredOn"), join(path, "authoredOn")),
                    (validity.get("start"), join(vpath, "start")),
                ],
                "start",
            )
            end = dates.get(validity.get("end"), join(vpath, "end"), "end")
        else:
            epath = join(path, "effectivePeriod")
            period = r.obj(res.get("effectivePeriod"), epath) or {}
            if res.get("effectiveDateTime") is not None:
                start = dates.get(res["effectiveDateTime"], join(path, "effectiveDateTime"), "start")
                if rtype == "MedicationAdministration":
                    end = dates.get(res["effectiveDateTime"], join(path, "effectiveDateTime"), "end")
            else:
                start = dates.get(period.get("start"), join(epath, "start"), "start")
                end = dates.get(period.get("end"), join(epath, "end"), "end")

        dose_value = dose_unit = daily = route = None
        dose_unit_ok = True
        if rtype == "MedicationAdministration":
            dpath = join(path, "dosage")
            dosage = r.obj(res.get("dosage"), dpath) or {}
            dose_value, dose_unit, dose_unit_ok, _ = self._quantity(dosage.get("dose"), join(dpath, "dose"))
            route = self._route(dosage, dpath)
        else:
            key = "dosageInstruction" if rtype == "MedicationRequest" else "dosage"
            dosages = r.arr(res.get(key), join(path, key))
            if dosages:
                dpath = join(join(path, key), 0)
                dosage = r.obj(dosages[0], dpath) or {}
                dose_value, dose_unit, dose_unit_ok, per_day = self._dosage(dosage, dpath, flags)
                route = self._route(dosage, dpath)
                # bounds of the timing stand in for missing dates
                bounds = self._bounds(dosage, dpath)
                if start is None and bounds[0] is not None:
                    start = dates.get(bounds[0][0], bounds[0][1], "start")
                if end is None and bounds[1] is not None:
                    end = dates.get(bounds[1][0], bounds[1][1], "end")
                if len(dosages) > 1:
                    flags.append(f"{len(dosages)} dosage instructions: only the first read, daily dose not computed")
                elif dose_value is not None and per_day is not None:
                    daily = _tidy(dose_value * per_day)
        unreadable = flag_negative(dose_value, "dose", flags, "dose", path)
        if start and end and end < start:
            flags.append("end before start")
        return [
            MedicationRecord(
                unreadable=unreadable,
                codings=codings,
                text=text,
                start=start,
                end=end,
                status=status,
                dose_value=dose_value,
                dose_unit=dose_unit,
                daily_dose=daily,
                where=path,
                dose_unit_ok=dose_unit_ok,
                flags=tuple(flags),
                partial_dates=tuple(dates.partials),
                route=route,
            )
        ]

    def _immunization(self, res: dict, path: str) -> list[MedicationRecord]:
        """A vaccine given: a medication record of one day, coded as the source codes it (CVX
        in US exports, `SYSTEMS`). Skipped, 'Received a live vaccine within 30 days' passed on
        'no record of live vaccine' while the record listed a rotavirus vaccine a week old."""
        r = self.r
        status = r.text(res.get("status"), join(path, "status"))
        if status in _SKIP_STATUS["Immunization"]:
            return []
        codings, text = r.concept(res.get("vaccineCode"), join(path, "vaccineCode"))
        dates = _Dates(r)
        given = dates.get(res.get("occurrenceDateTime"), join(path, "occurrenceDateTime"), "start")
        day = dates.get(res.get("occurrenceDateTime"), join(path, "occurrenceDateTime"), "end")
        return [
            MedicationRecord(
                codings=codings,
                text=text,
                start=given,
                end=day,
                status=status,
                where=path,
                partial_dates=tuple(dates.partials),
                route=self._route(res, path),
            )
        ]

    def _route(self, dosage: dict, path: str) -> str | None:
        """A Dosage's route as the source names it: its text, else a coding's display ('Topical
        route'), else the name of a SNOMED CT route code (`ROUTE_CODES`); None where it names
        none. A hydrocortisone cream is no systemic corticosteroid (engine/evaluate.py
        `_given_locally`), and a code with no text says so as well as words do."""
        codings, text = self.r.concept(dosage.get("route"), join(path, "route"))
        return text or next((ROUTE_CODES[c.code] for c in codings if c.system == "snomed" and c.code in ROUTE_CODES), None)

    def _medication_reference(self, res: dict, path: str, flags: list[str]):
        r = self.r
        rpath = join(path, "medicationReference")
        ref = r.obj(res.get("medicationReference"), rpath)
        if not ref:
            return (), None
        target = r.text(ref.get("reference"), join(rpath, "reference"))
        display = r.text(ref.get("display"), join(rpath, "display"))
        med, mpath = None, None
        if target and target.startswith("#"):
            for i, raw in enumerate(r.arr(res.get("contained"), join(path, "contained"))):
                cpath = join(join(path, "contained"), i)
                contained = r.obj(raw, cpath) or {}
                if contained.get("resourceType") == "Medication" and contained.get("id") == target[1:]:
                    med, mpath = contained, cpath
                    break
        elif target:
            med = self.by_url.get(target)
            if med is None:
                parts = re.sub(r"/_history/[^/]+$", "", target).rstrip("/").split("/")
                if len(parts) >= 2:
                    med = self.by_url.get(f"{parts[-2]}/{parts[-1]}")
            mpath = rpath
        if med is None:
            if target:
                flags.append(f'medication reference "{target}" not found in the file')
            return (), display
        codings, text = r.concept(med.get("code"), join(mpath, "code"))
        if not codings and not text:
            ingredients = r.arr(med.get("ingredient"), join(mpath, "ingredient"))
            found: list[Coding] = []
            for i, raw in enumerate(ingredients):
                ipath = join(join(mpath, "ingredient"), i)
                ing = r.obj(raw, ipath) or {}
                c, t = r.concept(ing.get("itemCodeableConcept"), join(ipath, "itemCodeableConcept"))
                found.extend(c)
                text = text or t
            codings = tuple(found)
        return codings, text or display

    def _dosage(self, dosage: dict, path: str, flags: list[str]):
        """A Dosage -> (dose, unit, unit_ok, administrations per day or None)."""
        r = self.r
        dose_value = dose_unit = None
        unit_ok = True
        rates = r.arr(dosage.get("doseAndRate"), join(path, "doseAndRate"))
        if rates:
            rpath = join(join(path, "doseAndRate"), 0)
            rate = r.obj(rates[0], rpath) or {}
            dose_value, dose_unit, unit_ok, _ = self._quantity(rate.get("doseQuantity"), join(rpath, "doseQuantity"))
        as_needed = dosage.get("asNeededBoolean") is True or dosage.get("asNeededCodeableConcept") is not None
        if as_needed:
            flags.append("taken as needed: daily dose not computed")
            return dose_value, dose_unit, unit_ok, None
        return dose_value, dose_unit, unit_ok, self._per_day(dosage, path, flags)

    def _per_day(self, dosage: dict, path: str, flags: list[str]) -> Decimal | None:
        r = self.r
        tpath = join(path, "timing")
        timing = r.obj(dosage.get("timing"), tpath) or {}
        rpath = join(tpath, "repeat")
        repeat = r.obj(timing.get("repeat"), rpath) or {}
        frequency = r.integer(repeat.get("frequency"), join(rpath, "frequency"))
        period = r.number(repeat.get("period"), join(rpath, "period"))
        unit = r.text(repeat.get("periodUnit"), join(rpath, "periodUnit"))
        if frequency is None and repeat.get("timeOfDay") is not None:
            frequency = len(r.arr(repeat["timeOfDay"], join(rpath, "timeOfDay")))
            if period is None:
                period, unit = Decimal(1), unit or "d"
        if period is None:
            codings, text = r.concept(timing.get("code"), join(tpath, "code"))
            for name in [c.code for c in codings] + ([text] if text else []):
                if name and name.upper() in _TIMING_CODES:
                    return _TIMING_CODES[name.upper()]
            return None
        if frequency is None:
            frequency = 1
        if unit not in _PER_DAY:
            if unit is not None:
                flags.append(f'timing period unit "{unit}": daily dose not computed')
            return None
        if period <= 0 or frequency <= 0:
            flags.append(f"timing {frequency} per {period} {unit}: daily dose not computed")
            return None
        return Decimal(frequency) * _PER_DAY[unit] / period

    def _bounds(self, dosage: dict, path: str):
        r = self.r
        tpath = join(path, "timing")
        timing = r.obj(dosage.get("timing"), tpath) or {}
        rpath = join(tpath, "repeat")
        repeat = r.obj(timing.get("repeat"), rpath) or {}
        bpath = join(rpath, "boundsPeriod")
        bounds = r.obj(repeat.get("boundsPeriod"), bpath) or {}
        start = (bounds["start"], join(bpath, "start")) if bounds.get("start") is not None else None
        end = (bounds["end"], join(bpath, "end")) if bounds.get("end") is not None else None
        return start, end

    # -- Procedure ----------------------------------------------------------------------

    def _procedure(self, res: dict, path: str) -> list[ProcedureRecord]:
        r = self.r
        status = r.text(res.get("status"), join(path, "status"))
        if status in _SKIP_STATUS["Procedure"]:
            return []
        flags: list[str] = []
        codings, text = r.concept(res.get("code"), join(path, "code"))
        dates = _Dates(r)
        if res.get("performedDateTime") is not None:
            start = dates.get(res["performedDateTime"], join(path, "performedDateTime"), "start")
            end = dates.get(res["performedDateTime"], join(path, "performedDateTime"), "end")
        else:
            ppath = join(path, "performedPeriod")
            period = r.obj(res.get("performedPeriod"), ppath) or {}
            start = dates.get(period.get("start"), join(ppath, "start"), "start")
            end = dates.get(period.get("end"), join(ppath, "end"), "end")
        if start and end and end < start:
            flags.append("end before start")
        return [
            ProcedureRecord(
                codings=codings,
                text=text,
                start=start,
                end=end,
                where=path,
                status=status,
                flags=tuple(flags),
                partial_dates=tuple(dates.partials),
            )
        ]


def _has_value(holder: dict) -> bool:
    return any(k.startswith("value") and holder[k] is not None for k in holder)


def _id_text(resource: dict) -> str:
    rid = resource.get("id")
    return f'"{rid}"' if isinstance(rid, str) else "(none)"


def _num(value: Decimal | None) -> str:
    return "?" if value is None else str(value)


def _tidy(value: Decimal) -> Decimal:
    """To 12 significant digits, without trailing zeros: 21 mg x 1/7 a day -> 3, not 2.99999..."""
    rounded = Decimal(f"{value:.12g}")
    if rounded == rounded.to_integral_value() and rounded.adjusted() < 12:
        return rounded.quantize(Decimal(1))
    # (a number too large to write out in full, 3E+31 mg a day from a misprinted record,
    # stays in exponent form: quantizing it raised InvalidOperation)
    return rounded.normalize()


def read_fhir(doc: dict, *, source: str, fallback_id: str | None = None) -> Patient:
    """A parsed FHIR R4 Bundle or Patient resource -> Patient.

    Args:
        doc: the JSON document, as `json.loads(..., parse_float=Decimal)` gives it.
        source: the file name, for messages and `Patient.source`.
        fallback_id: the patient id when the Patient resource has none (the file's stem).

    Returns:
        The Patient with every Observation, Condition, Medication* and Procedure read.

    Raises:
        InputError: structure that cannot be read, naming `source` and the JSON path.

    >>> p = read_fhir({"resourceType": "Patient", "id": "p1", "birthDate": "1972"}, source="x.json")
    >>> p.id, p.birth_date, p.partial_dates[0].precision
    ('p1', datetime.date(1972, 1, 1), 'year')
    """
    return _BundleReader(doc, source, fallback_id).read()
