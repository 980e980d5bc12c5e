"""The patient record elig evaluates against: loaded from FHIR R4 or the project's own JSON.

Data only. A part of the source that could not be read is kept as a record with
`unreadable` saying where and why (its value, date or status left out), so that the
criteria needing it are unknown rather than decided on the rest. Values keep the unit as the source wrote it, normalised in spelling by
`engine.units`; dates are calendar dates (times dropped).
"""

from __future__ import annotations

import datetime as _dt
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PartialDate(_Record):
    """A date the source gave only to the year or the month. The record's `field` holds the
    first day it can be; `latest` is the last ('2023-01' -> 2023-01-01 .. 2023-01-31)."""

    field: str
    precision: Literal["year", "month"]
    latest: date


class Coding(_Record):
    """One code: system is a short name ('loinc', 'snomed', 'icd10cm', 'rxnorm') or the URI."""

    system: str
    code: str
    display: str | None = None


class Observation(_Record):
    """A measurement: lab, vital sign, score. `value` is None for a coded or text result."""

    codings: tuple[Coding, ...] = ()
    text: str | None = None
    value: Decimal | None = None
    unit: str | None = None
    value_code: Coding | None = None
    value_text: str | None = None
    date: _dt.date | None = None  # `_dt.`: the field name shadows the type in the class body
    ref_low: Decimal | None = None
    ref_high: Decimal | None = None
    ref_unit: str | None = None
    where: str | None = None  # place in the source file, for messages
    unit_ok: bool = True  # False: `unit` is the source's string, not understood by engine.units
    value_comparator: Literal["<", "<=", ">=", ">"] | None = None  # '<0.1': value is a bound
    flags: tuple[str, ...] = ()  # odd data kept as is ('negative value'), for reasons
    partial_dates: tuple[PartialDate, ...] = ()
    unreadable: str | None = None  # 'entry[3].resource.valueQuantity.value: expected a number ...'


class ConditionRecord(_Record):
    codings: tuple[Coding, ...] = ()
    text: str | None = None
    clinical_status: Literal["active", "recurrence", "relapse", "inactive", "remission", "resolved"] | None = None
    onset: date | None = None
    abatement: date | None = None
    where: str | None = None
    flags: tuple[str, ...] = ()
    partial_dates: tuple[PartialDate, ...] = ()
    unreadable: str | None = None


class MedicationRecord(_Record):
    """A medication the patient took, takes or was given. `daily_dose` in `dose_unit` per day."""

    codings: tuple[Coding, ...] = ()
    text: str | None = None
    start: date | None = None
    end: date | None = None
    status: str | None = None
    dose_value: Decimal | None = None
    dose_unit: str | None = None
    daily_dose: Decimal | None = None
    where: str | None = None
    dose_unit_ok: bool = True  # False: `dose_unit` is the source's string, not understood
    flags: tuple[str, ...] = ()
    partial_dates: tuple[PartialDate, ...] = ()
    unreadable: str | None = None
    route: str | None = None  # as the source names it ('Topical route', 'oral'): systemic or local use


class ProcedureRecord(_Record):
    codings: tuple[Coding, ...] = ()
    text: str | None = None
    start: date | None = None
    end: date | None = None
    where: str | None = None
    status: str | None = None  # FHIR Procedure.status ('completed', 'in-progress', ...)
    flags: tuple[str, ...] = ()
    partial_dates: tuple[PartialDate, ...] = ()
    unreadable: str | None = None


class Patient(_Record):
    id: str
    birth_date: date | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    observations: tuple[Observation, ...] = ()
    conditions: tuple[ConditionRecord, ...] = ()
    medications: tuple[MedicationRecord, ...] = ()
    procedures: tuple[ProcedureRecord, ...] = ()
    source: str | None = Field(default=None, description="file the record came from")
    flags: tuple[str, ...] = ()  # e.g. 'deceased 2020-03-01 per the record'
    partial_dates: tuple[PartialDate, ...] = ()  # for birth_date
    deceased: date | bool | None = None  # the date of death, or True where only the fact is recorded
    unreadable: tuple[str, ...] = ()  # every part of the file read as unknown, where and why

    def unidentified(self) -> list[str]:
        """Why each record that could not even be told apart is unreadable ('entry[7].resource.code: ...').

        Such a record may be any condition, drug or procedure, so the record's silence about
        one proves nothing: a criterion resting on that silence is unknown.
        """
        records = (*self.conditions, *self.medications, *self.procedures)
        return [r.unreadable for r in records if r.unreadable and not r.codings and not r.text]
