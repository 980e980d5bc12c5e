"""Loading patients: FHIR R4 JSON or elig's own patient format -> `engine.patient.Patient`.

`load_patient(path_or_dict)` reads one file (or an already parsed document);
`load_patients(paths)` reads many, a directory meaning every `*.json` (and `*.yaml` /
`*.yml`, when PyYAML is installed) in it, sorted by name. A document with a
`resourceType` is FHIR (`engine.fhir`); one without is the own format below. Every problem
with the input is an `InputError` naming the file and the place in it: a line and column
for bytes that are not UTF-8 or text that is not JSON, a JSON path otherwise.

The own format
--------------
One JSON object per patient, simple to write by hand. Published as a JSON Schema in
`rules/schema/patient.schema.json` (generated from the models here: `schema_json()`).
Unknown keys are errors, so a misspelt key cannot pass silently.

    {"id": "pt-001", "birth_date": "1972-03-04", "sex": "male",
     "observations": [{"name": "absolute neutrophil count", "loinc": "751-8", "value": 2.1,
                       "unit": "10^9/L", "date": "2026-05-20", "ref_high": null}],
     "conditions": [{"name": "Sézary syndrome", "icd10cm": "C84.10", "status": "active",
                     "onset": "2023-01"}],
     "medications": [{"name": "prednisone", "rxnorm": "8640", "start": "2026-05-01",
                      "end": null, "dose": 10, "dose_unit": "mg", "daily_dose": 10}],
     "procedures": [{"name": "allogeneic hematopoietic stem cell transplant",
                     "snomed": "234336002", "date": "2025-01-10"}]}

- `id` (default: the file name without extension), `birth_date`, `sex` (`female`, `male`,
  `other`, `unknown`). Dates are `YYYY`, `YYYY-MM`, `YYYY-MM-DD` or ISO date-times; a
  partial date means its first day, and the record says it was partial.
- Every record has a `name` and/or codes: the shortcuts `loinc`, `snomed`, `icd10cm`,
  `rxnorm` (where they fit the record) and `codes`, a list of `{"system", "code",
  "display"}` with a short system name or a URI. At least one name or code is required.
- observations: `value` (a number; `comparator` `<`, `<=`, `>=`, `>` when the result was
  "<0.1"), `unit` (any spelling `engine.units` reads; an unreadable one is kept as
  written, with `unit_ok` False), `value_text` and `value_code` for text or coded results ("positive"),
  `date`, `ref_low`, `ref_high`, `ref_unit` (default: `unit`).
- conditions: `status` (FHIR clinical status: active, recurrence, relapse, inactive,
  remission, resolved), `onset`, `abatement`.
- medications: `start`, `end`, `status`, `dose`, `dose_unit`, `daily_dose` (in `dose_unit`
  per day), or `times_per_day` to have `daily_dose` = `dose` x `times_per_day`; `route`
  ("oral", "topical", "inhaled": a local route keeps a record from counting as systemic).
- procedures: `date` (or `start`) and `end` (default: the same day), `status`.
- `deceased`: the date of death, or `true` where only the fact is known. A patient who died
  on or before the screening date is ineligible for every trial.
- `flags` on the patient and on any record: notes kept with it (the loader adds its own,
  such as "negative value -3"; writing a record back with `dump_patient` keeps them).
- `$schema` may name the schema file, for editors; it is otherwise ignored.

`dump_patient(patient)` / `to_json(patient)` write any Patient (from FHIR too) in this
format, and loading that back gives the same Patient. `latest_observation(patient, ("loinc", "751-8"), as_of=...)` picks the
value a criterion reads.
"""

from __future__ import annotations

import difflib
from functools import partial
import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from engine.errors import InputError, OnError, attempt, decode_utf8, shown, unreadable_json
from engine.fhir import (
    DATE_FORMS,
    NonFinite,
    flag_negative,
    make_coding,
    parse_when,
    read_fhir,
    read_unit_text,
    with_unreadable,
)
from engine.patient import (
    Coding,
    ConditionRecord,
    MedicationRecord,
    Observation,
    PartialDate,
    Patient,
    ProcedureRecord,
)

PATIENT_SUFFIXES = (".json", ".yaml", ".yml")

SCHEMA_ID = "urn:elig:schema:patient:1"

# ------------------------------------------------------------------------ own-format models


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


DateText = str


class CodeIn(_In):
    """One code: `system` is a short name (loinc, snomed, icd10cm, rxnorm) or a URI."""

    system: str = Field(min_length=1)
    code: str = Field(min_length=1)
    display: str | None = None


def _named_schema(*shortcuts: str):
    """JSON Schema for 'a record needs a name or a code' (the model checks it in `_named`)."""
    keys = ("name", *shortcuts)
    return {
        "anyOf": [{"required": [k], "properties": {k: {"type": "string", "minLength": 1}}} for k in keys]
        + [{"required": ["codes"], "properties": {"codes": {"minItems": 1}}}]
    }


class _RecordIn(_In):
    name: str | None = Field(default=None, description="what the record is, in words")
    codes: list[CodeIn] = Field(default_factory=list, description="any further codes")
    flags: list[str] = Field(default_factory=list, description="notes kept with the record")

    @field_validator("*", mode="before")
    @classmethod
    def _dates_as_text(cls, value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value

    @model_validator(mode="after")
    def _named(self) -> _RecordIn:
        shortcuts = [getattr(self, k, None) for k in ("loinc", "snomed", "icd10cm", "rxnorm")]
        if not self.name and not self.codes and not any(shortcuts):
            raise ValueError("a record needs a name or a code")
        return self


_DATE = {"description": f"a date: {DATE_FORMS}", "examples": ["2026-05-20", "2023-01"]}
_NUMBER = {"description": "a number (as JSON number or decimal string)"}


class ObservationIn(_RecordIn):
    """A measurement, lab result, vital sign or score."""

    model_config = ConfigDict(json_schema_extra=_named_schema("loinc", "snomed"))

    loinc: str | None = None
    snomed: str | None = None
    value: Decimal | None = Field(default=None, json_schema_extra=_NUMBER)
    comparator: Literal["<", "<=", ">=", ">"] | None = Field(
        default=None, description="the value is a bound: '<0.1' is comparator '<', value 0.1"
    )
    unit: str | None = None
    value_text: str | None = Field(default=None, description="a text result ('positive')")
    value_code: CodeIn | None = Field(default=None, description="a coded result")
    date: DateText | None = Field(default=None, json_schema_extra=_DATE)
    ref_low: Decimal | None = Field(default=None, json_schema_extra=_NUMBER)
    ref_high: Decimal | None = Field(default=None, json_schema_extra=_NUMBER)
    ref_unit: str | None = Field(default=None, description="unit of ref_low/ref_high; default: unit")


class ConditionIn(_RecordIn):
    """A diagnosis or problem."""

    model_config = ConfigDict(json_schema_extra=_named_schema("icd10cm", "snomed"))

    icd10cm: str | None = None
    snomed: str | None = None
    status: Literal["active", "recurrence", "relapse", "inactive", "remission", "resolved"] | None = None
    onset: DateText | None = Field(default=None, json_schema_extra=_DATE)
    abatement: DateText | None = Field(default=None, json_schema_extra=_DATE)


class MedicationIn(_RecordIn):
    """A medication taken, being taken, or given."""

    model_config = ConfigDict(json_schema_extra=_named_schema("rxnorm"))

    rxnorm: str | None = None
    start: DateText | None = Field(default=None, json_schema_extra=_DATE)
    end: DateText | None = Field(default=None, json_schema_extra=_DATE)
    status: str | None = Field(default=None, description="FHIR status: active, completed, stopped, ...")
    dose: Decimal | None = Field(default=None, json_schema_extra=_NUMBER)
    dose_unit: str | None = None
    daily_dose: Decimal | None = Field(default=None, description="in dose_unit per day")
    times_per_day: Decimal | None = Field(default=None, description="daily_dose = dose x times_per_day")
    route: str | None = Field(default=None, description="route of administration as the source names it: oral, topical, inhaled, ...")


class ProcedureIn(_RecordIn):
    """A procedure, transplant, radiotherapy course, ..."""

    model_config = ConfigDict(json_schema_extra=_named_schema("snomed", "icd10cm"))

    snomed: str | None = None
    icd10cm: str | None = None
    date: DateText | None = Field(default=None, json_schema_extra=_DATE)
    start: DateText | None = Field(default=None, description="same as date", json_schema_extra=_DATE)
    end: DateText | None = Field(default=None, json_schema_extra=_DATE)
    status: str | None = None


class PatientIn(_In):
    """A patient in elig's own format."""

    model_config = ConfigDict(extra="forbid", frozen=True, title="elig patient")

    schema_: str | None = Field(default=None, alias="$schema", description="ignored: for editors")
    id: str | None = Field(default=None, min_length=1, description="default: the file name without extension")
    birth_date: DateText | None = Field(default=None, json_schema_extra=_DATE)
    sex: Literal["female", "male", "other", "unknown"] | None = None
    observations: list[ObservationIn] = Field(default_factory=list)
    conditions: list[ConditionIn] = Field(default_factory=list)
    medications: list[MedicationIn] = Field(default_factory=list)
    procedures: list[ProcedureIn] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    deceased: DateText | bool | None = Field(default=None, description="the date of death, or true where only the fact is known")

    @field_validator("birth_date", mode="before")
    @classmethod
    def _date_as_text(cls, value: Any) -> Any:
        return value.isoformat() if isinstance(value, date) else value


def schema_json() -> str:
    """The text of rules/schema/patient.schema.json. Regenerate the file with
    `python -c "from engine.patients import schema_json; print(schema_json(), end='')" > rules/schema/patient.schema.json`
    """
    return json.dumps(own_format_schema(), indent=2, ensure_ascii=False) + "\n"


def own_format_schema() -> dict[str, Any]:
    """The JSON Schema of the own format, as published in rules/schema/patient.schema.json."""
    schema = PatientIn.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
        "description": "A patient in elig's own format (a FHIR R4 Bundle is the other way in). "
        "See engine/patients.py for the meaning of each field.",
    }


# ----------------------------------------------------------------------------- reading files


def _nonfinite(name: str) -> NonFinite:
    return NonFinite(name)


def read_document(path: str | Path) -> Any:
    """A patient file -> its parsed document (numbers as Decimal). InputError if unreadable."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise InputError(source, None, "no such file") from None
    except IsADirectoryError:
        raise InputError(source, None, "is a directory, not a file") from None
    except OSError as exc:
        raise InputError(source, None, f"cannot read the file: {exc.strerror or exc}") from None
    text = decode_utf8(data, source)
    if Path(path).suffix.lower() in (".yaml", ".yml"):
        return _read_yaml(text, source)
    if not text.strip():
        raise InputError(source, None, "the file is empty")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_nonfinite)
    except json.JSONDecodeError as exc:
        raise InputError(source, f"line {exc.lineno}, column {exc.colno}", f"not valid JSON: {exc.msg}") from None
    except (RecursionError, ValueError) as exc:
        raise InputError(source, None, f"not valid JSON: {unreadable_json(exc)}") from None


def _read_yaml(text: str, source: str) -> Any:
    try:
        import yaml  # optional: PyYAML is not a dependency of elig
    except ImportError:
        raise InputError(source, None, "reading YAML needs PyYAML (pip install pyyaml); or write the patient as JSON") from None
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else None
        raise InputError(source, where, f"not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    except RecursionError:  # PyYAML composes nodes recursively
        raise InputError(source, None, "not valid YAML: nested too deeply to read") from None
    return _floats_to_decimal(doc)


def _floats_to_decimal(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _floats_to_decimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_floats_to_decimal(v) for v in value]
    return value


def load_patient(path_or_dict: str | Path | dict, *, source: str | None = None) -> Patient:
    """One patient from a FHIR R4 file or an own-format file (or their parsed JSON).

    Args:
        path_or_dict: a file path, or the parsed document itself.
        source: the name to use in messages for a document given as a dict.

    Returns:
        The Patient. Its `id` is the record's own (Patient.id / "id"), else the file stem.

    Raises:
        InputError: the input cannot be read; the message names the file and where in it.

    >>> p = load_patient({"id": "pt-1", "sex": "female", "observations": [
    ...     {"name": "ECOG", "loinc": "89247-1", "value": 1, "date": "2026-05-20"}]})
    >>> p.sex, p.observations[0].value, p.observations[0].codings[0].system
    ('female', Decimal('1'), 'loinc')
    """
    if isinstance(path_or_dict, dict):
        doc = path_or_dict
        name = source or "<patient>"
        fallback = Path(source).stem if source else None
    else:
        doc = read_document(path_or_dict)
        name = str(path_or_dict)
        fallback = Path(path_or_dict).stem
    if not isinstance(doc, dict):
        raise InputError(
            name, None, f"expected a JSON object (a FHIR Bundle or an elig patient), found {_kind(doc)}"
        )
    if "resourceType" in doc:
        return read_fhir(doc, source=name, fallback_id=fallback)
    if "entry" in doc:
        raise InputError(
            name,
            "resourceType",
            'missing: a FHIR Bundle needs "resourceType": "Bundle" '
            "(a document without one is read as an elig patient file, which has no \"entry\")",
        )
    return read_own(doc, source=name, fallback_id=fallback)


def patient_files(path: str | Path) -> list[Path]:
    """A file -> [it]; a directory -> its patient files (*.json, *.yaml, *.yml), sorted by name."""
    p = Path(path)
    if p.is_dir():
        files = sorted(
            (f for f in p.iterdir() if f.is_file() and f.suffix.lower() in PATIENT_SUFFIXES),
            key=lambda f: f.name,
        )
        if not files:
            raise InputError(str(path), None, "no patient files (*.json, *.yaml) in this directory")
        return files
    if not p.exists():
        raise InputError(str(path), None, "no such file or directory")
    return [p]


def load_patients(
    paths: Iterable[str | Path], *, on_error: OnError | None = None
) -> list[Patient]:
    """Patients from files and directories, in the order given (a directory's files by name).

    Args:
        paths: patient files and directories of them.
        on_error: called with the InputError of each file (or directory) that cannot be read,
            which is then skipped; without it the first such error is raised.

    >>> load_patients([])
    []
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Patient] = []
    for path in paths:
        for f in attempt(partial(patient_files, path), on_error) or []:
            patient = attempt(partial(load_patient, f), on_error)
            if patient is not None:
                out.append(patient)
    return out


# ---------------------------------------------------------------------------- own format in


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string"}.get(type(value), type(value).__name__)


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


_MODELS = {
    "": PatientIn,
    "observations": ObservationIn,
    "conditions": ConditionIn,
    "medications": MedicationIn,
    "procedures": ProcedureIn,
}


def _pydantic_problem(err: dict) -> tuple[str, str]:
    loc = tuple(err.get("loc", ()))
    where = _loc(loc)
    kind = err.get("type", "")
    if kind == "extra_forbidden":
        key = str(loc[-1])
        parent = [p for p in loc[:-1] if isinstance(p, str)]
        model = _MODELS.get(parent[0] if parent else "", PatientIn)
        if len(parent) > 1 and parent[-1] in ("codes", "value_code"):
            model = CodeIn
        known = [f.alias or name for name, f in model.model_fields.items()]
        close = difflib.get_close_matches(key, known, n=1)
        hint = f' (did you mean "{close[0]}"?)' if close else ""
        return where, f'unknown field "{key}"{hint}'
    if kind == "missing":
        return where, "required field missing"
    msg = err.get("msg", "invalid value")
    msg = msg.removeprefix("Value error, ")
    if kind.startswith("decimal"):
        msg = "expected a number"
    elif kind in ("string_type", "list_type", "model_type", "dict_type"):
        msg = {"string_type": "expected a string", "list_type": "expected an array"}.get(kind, "expected an object")
    if "input" in err and kind not in ("model_type",) and not isinstance(err["input"], (dict, list)):
        msg += f", found {shown(json.dumps(err['input'], default=str, ensure_ascii=False))}"
    return where, msg


def read_own(doc: dict, *, source: str, fallback_id: str | None = None) -> Patient:
    """A parsed own-format document -> Patient (see the module docstring for the format)."""
    try:
        model = PatientIn.model_validate(_reject_nonfinite(doc, source, ""))
    except ValidationError as exc:
        errors = exc.errors()
        where, problem = _pydantic_problem(errors[0])
        if len(errors) > 1:
            problem += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        raise InputError(source, where or None, problem) from None
    return _OwnReader(source).patient(model, fallback_id)


def _reject_nonfinite(value: Any, source: str, where: str) -> Any:
    if isinstance(value, NonFinite):
        raise InputError(source, where or None, f"expected a number, found {value.name}")
    if isinstance(value, dict):
        for k, v in value.items():
            _reject_nonfinite(v, source, f"{where}.{k}" if where else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _reject_nonfinite(v, source, f"{where}[{i}]")
    return value


class _OwnReader:
    def __init__(self, source: str):
        self.source = source

    def patient(self, m: PatientIn, fallback_id: str | None) -> Patient:
        pid = m.id or fallback_id
        if not pid:
            raise InputError(self.source, "id", "the patient has no id and there is no file name to take one from")
        partials: list[PartialDate] = []
        birth = self._date(m.birth_date, "birth_date", "birth_date", partials)
        deceased = self._deceased(m.deceased, partials)
        patient = Patient(
            id=pid,
            birth_date=birth,
            sex=m.sex,
            observations=tuple(self.observation(o, f"observations[{i}]") for i, o in enumerate(m.observations)),
            conditions=tuple(self.condition(c, f"conditions[{i}]") for i, c in enumerate(m.conditions)),
            medications=tuple(self.medication(x, f"medications[{i}]") for i, x in enumerate(m.medications)),
            procedures=tuple(self.procedure(x, f"procedures[{i}]") for i, x in enumerate(m.procedures)),
            source=self.source,
            flags=tuple(m.flags),
            partial_dates=tuple(partials),
            deceased=deceased,
        )
        return with_unreadable(patient)

    def _deceased(self, value: str | bool | None, partials: list[PartialDate]) -> date | bool | None:
        if value is None or value is False:
            return None
        if value is True:
            return True
        return self._date(value, "deceased", "deceased", partials)

    def _date(self, text: str | None, where: str, field: str, partials: list[PartialDate]) -> date | None:
        if text is None:
            return None
        parsed = parse_when(text)
        if parsed is None:
            raise InputError(self.source, where, f'not a valid date: "{shown(text)}" (expected {DATE_FORMS})')
        first, precision, last = parsed
        if precision is not None:
            partials.append(PartialDate(field=field, precision=precision, latest=last))
        return first

    @staticmethod
    def _codings(m: _RecordIn, shortcuts: tuple[str, ...]) -> tuple[Coding, ...]:
        out = [make_coding(s, getattr(m, s)) for s in shortcuts if getattr(m, s, None)]
        out += [make_coding(c.system, c.code, c.display) for c in m.codes]
        return tuple(out)

    @staticmethod
    def _unit(text: str | None) -> tuple[str | None, bool]:
        return read_unit_text(text) if text else (None, True)

    @staticmethod
    def _flags(given: list[str], new: list[str]) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*given, *new]))

    def observation(self, m: ObservationIn, where: str) -> Observation:
        partials: list[PartialDate] = []
        unit, unit_ok = self._unit(m.unit)
        flags: list[str] = []
        if m.ref_unit:
            ref_unit, ref_ok = self._unit(m.ref_unit)
            if not ref_ok:
                flags.append(f'reference range unit "{ref_unit}" not understood')
        elif m.ref_low is not None or m.ref_high is not None:
            ref_unit = unit  # the range is in the value's unit
        else:
            ref_unit = None
        unreadable = flag_negative(m.value, unit, flags, "value", f"{where}.value")
        return Observation(
            unreadable=unreadable,
            codings=self._codings(m, ("loinc", "snomed")),
            text=m.name,
            value=m.value,
            unit=unit,
            unit_ok=unit_ok,
            value_comparator=m.comparator,
            value_code=make_coding(m.value_code.system, m.value_code.code, m.value_code.display) if m.value_code else None,
            value_text=m.value_text,
            date=self._date(m.date, f"{where}.date", "date", partials),
            ref_low=m.ref_low,
            ref_high=m.ref_high,
            ref_unit=ref_unit,
            where=where,
            flags=self._flags(m.flags, flags),
            partial_dates=tuple(partials),
        )

    def condition(self, m: ConditionIn, where: str) -> ConditionRecord:
        partials: list[PartialDate] = []
        onset = self._date(m.onset, f"{where}.onset", "onset", partials)
        abatement = self._date(m.abatement, f"{where}.abatement", "abatement", partials)
        flags = ["abatement before onset"] if onset and abatement and abatement < onset else []
        return ConditionRecord(
            codings=self._codings(m, ("icd10cm", "snomed")),
            text=m.name,
            clinical_status=m.status,
            onset=onset,
            abatement=abatement,
            where=where,
            flags=self._flags(m.flags, flags),
            partial_dates=tuple(partials),
        )

    def medication(self, m: MedicationIn, where: str) -> MedicationRecord:
        partials: list[PartialDate] = []
        start = self._date(m.start, f"{where}.start", "start", partials)
        end = self._date(m.end, f"{where}.end", "end", partials)
        unit, unit_ok = self._unit(m.dose_unit)
        daily = m.daily_dose
        if daily is None and m.dose is not None and m.times_per_day is not None:
            daily = m.dose * m.times_per_day
        flags: list[str] = []
        unreadable = flag_negative(m.dose, "dose", flags, "dose", f"{where}.dose")
        if start and end and end < start:
            flags.append("end before start")
        return MedicationRecord(
            unreadable=unreadable,
            codings=self._codings(m, ("rxnorm",)),
            text=m.name,
            start=start,
            end=end,
            status=m.status,
            dose_value=m.dose,
            dose_unit=unit,
            daily_dose=daily,
            where=where,
            dose_unit_ok=unit_ok,
            flags=self._flags(m.flags, flags),
            partial_dates=tuple(partials),
            route=m.route,
        )

    def procedure(self, m: ProcedureIn, where: str) -> ProcedureRecord:
        partials: list[PartialDate] = []
        if m.date is not None and m.start is not None:
            raise InputError(self.source, f"{where}.start", 'give "date" or "start", not both')
        key = "date" if m.date is not None else "start"
        start = self._date(m.date or m.start, f"{where}.{key}", "start", partials)
        if m.end is not None:
            end = self._date(m.end, f"{where}.end", "end", partials)
        else:
            end = start
            partials += [p.model_copy(update={"field": "end"}) for p in partials if p.field == "start"]
        flags = ["end before start"] if start and end and end < start else []
        return ProcedureRecord(
            codings=self._codings(m, ("snomed", "icd10cm")),
            text=m.name,
            start=start,
            end=end,
            where=where,
            status=m.status,
            flags=self._flags(m.flags, flags),
            partial_dates=tuple(partials),
        )


# --------------------------------------------------------------------------- own format out


def _date_text(value: date | None, field: str, partials: tuple[PartialDate, ...]) -> str | None:
    if value is None:
        return None
    for p in partials:
        if p.field == field:
            return f"{value.year:04d}" if p.precision == "year" else f"{value.year:04d}-{value.month:02d}"
    return value.isoformat()


def _codes(codings: tuple[Coding, ...]) -> list[dict]:
    return [{k: v for k, v in c.model_dump().items() if v is not None} for c in codings]


def _drop_empty(d: dict) -> dict:
    return {k: v for k, v in d.items() if v is not None and v != []}


def dump_patient(patient: Patient) -> dict[str, Any]:
    """A Patient -> an own-format document (numbers as Decimal: dump with `default=str`
    or `to_json`). `load_patient(dump_patient(p))` gives `p` back, `where` and `source` aside.
    """
    obs = [
        _drop_empty(
            {
                "name": o.text,
                "codes": _codes(o.codings),
                "value": o.value,
                "comparator": o.value_comparator,
                "unit": o.unit,
                "value_text": o.value_text,
                "value_code": _codes((o.value_code,))[0] if o.value_code else None,
                "date": _date_text(o.date, "date", o.partial_dates),
                "ref_low": o.ref_low,
                "ref_high": o.ref_high,
                "ref_unit": o.ref_unit if o.ref_unit != o.unit else None,
                "flags": list(o.flags),
            }
        )
        for o in patient.observations
    ]
    conditions = [
        _drop_empty(
            {
                "name": c.text,
                "codes": _codes(c.codings),
                "status": c.clinical_status,
                "onset": _date_text(c.onset, "onset", c.partial_dates),
                "abatement": _date_text(c.abatement, "abatement", c.partial_dates),
                "flags": list(c.flags),
            }
        )
        for c in patient.conditions
    ]
    medications = [
        _drop_empty(
            {
                "name": m.text,
                "codes": _codes(m.codings),
                "start": _date_text(m.start, "start", m.partial_dates),
                "end": _date_text(m.end, "end", m.partial_dates),
                "status": m.status,
                "dose": m.dose_value,
                "dose_unit": m.dose_unit,
                "daily_dose": m.daily_dose,
                "route": m.route,
                "flags": list(m.flags),
            }
        )
        for m in patient.medications
    ]
    procedures = [
        _drop_empty(
            {
                "name": p.text,
                "codes": _codes(p.codings),
                "start": _date_text(p.start, "start", p.partial_dates),
                "end": _date_text(p.end, "end", p.partial_dates) if p.end is not None else None,
                "status": p.status,
                "flags": list(p.flags),
            }
        )
        for p in patient.procedures
    ]
    out = {
        "id": patient.id,
        "birth_date": _date_text(patient.birth_date, "birth_date", patient.partial_dates),
        "sex": patient.sex,
        "observations": obs,
        "conditions": conditions,
        "medications": medications,
        "procedures": procedures,
        "flags": list(patient.flags),
        "deceased": patient.deceased if patient.deceased is True else _date_text(patient.deceased or None, "deceased", patient.partial_dates),
    }
    return _drop_empty(out)


def to_json(patient: Patient, *, indent: int | None = 2) -> str:
    """A Patient as own-format JSON text (numbers written exactly as their Decimal)."""
    return _DecimalEncoder(indent=indent, ensure_ascii=False).encode(dump_patient(patient))


class _DecimalEncoder(json.JSONEncoder):
    """Writes a Decimal as a JSON number with its exact digits."""

    def iterencode(self, o: Any, _one_shot: bool = False):
        # json cannot emit a raw number for a custom type; mark Decimals, then unquote them
        marked = _mark_decimals(o)
        for chunk in super().iterencode(marked, _one_shot):
            yield chunk.replace('"\\u0000D', "").replace('D\\u0000"', "")


def _mark_decimals(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"\u0000D{value}D\u0000"
    if isinstance(value, dict):
        return {k: _mark_decimals(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_mark_decimals(v) for v in value]
    return value


# ---------------------------------------------------------------------------- record helpers


def latest_observation(
    patient: Patient,
    codes: Iterable[tuple[str, str]] | tuple[str, str],
    *,
    as_of: date | None = None,
) -> Observation | None:
    """The latest observation with one of `codes` dated on or before `as_of`.

    `codes` is one (system, code) pair or several: ("loinc", "751-8"). Observations with no
    result at all are passed over; an undated one is returned only when none is dated.
    Among several on the same day the one later in the file wins.

    >>> p = load_patient({"id": "x", "observations": [
    ...     {"loinc": "718-7", "value": 9.1, "unit": "g/dL", "date": "2026-05-01"},
    ...     {"loinc": "718-7", "value": 10.2, "unit": "g/dL", "date": "2026-05-20"},
    ...     {"loinc": "718-7", "value": 11.0, "unit": "g/dL", "date": "2026-06-10"}]})
    >>> str(latest_observation(p, ("loinc", "718-7"), as_of=date(2026, 6, 1)).value)
    '10.2'
    """
    if isinstance(codes, tuple) and len(codes) == 2 and all(isinstance(c, str) for c in codes):
        wanted = {codes}
    else:
        wanted = set(codes)
    best: Observation | None = None
    undated: Observation | None = None
    for obs in patient.observations:
        if not any((c.system, c.code) in wanted for c in obs.codings):
            continue
        if obs.value is None and obs.value_code is None and obs.value_text is None:
            continue
        if obs.date is None:
            undated = obs
        elif as_of is None or obs.date <= as_of:
            if best is None or obs.date >= best.date:
                best = obs
    return best or undated
