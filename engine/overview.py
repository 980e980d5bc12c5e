"""A patient at a glance for the people reading a screen: age, sex and the latest key labs.

The labs are the record's measurements of the measures the vocabulary knows (the ones trial
criteria ask about), the latest value of each on or before the screening date, with its date,
so a reader can see what the verdicts rested on without opening the record.
"""

from __future__ import annotations

import datetime as _dt
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from engine import derive
from engine.nodes import unvalidated
from engine.patient import Patient
from engine.summary import json_number


class LabValue(BaseModel):
    """The latest value of one measure: 'absolute neutrophil count 800 /uL (2026-05-20)'."""

    model_config = ConfigDict(frozen=True)

    name: str
    value: int | float | None  # None for a coded or text result, shown in `text`
    unit: str | None = None
    text: str | None = None
    date: _dt.date  # `_dt.`: the field name shadows the type in the class body


class PatientSummary(BaseModel):
    model_config = ConfigDict(frozen=True)

    age: int | None  # whole years at the screening date; None without a date of birth
    sex: str | None
    birth_date: date | None = None
    labs: tuple[LabValue, ...] = ()
    deceased: date | bool | None = None  # the record says the patient died (on this date)


def summarize(patient: Patient, as_of: date, vocab: Any = None) -> PatientSummary:
    """Age, sex and the latest value of each known measure on or before `as_of`.

    >>> from engine.patients import load_patient
    >>> p = load_patient({"id": "p", "birth_date": "1972-09-14", "sex": "male",
    ...     "observations": [{"loinc": "751-8", "value": 800, "unit": "/uL", "date": "2026-05-20"},
    ...                      {"loinc": "751-8", "value": 900, "unit": "/uL", "date": "2026-07-01"}]})
    >>> s = summarize(p, date(2026, 6, 1))
    >>> s.age, s.sex, [(lab.name, lab.value, lab.date.isoformat()) for lab in s.labs]
    (53, 'male', [('absolute neutrophil count', 800, '2026-05-20')])
    """
    if vocab is None:
        from engine.vocab import load_vocabulary

        vocab = load_vocabulary()
    age = derive.age_of(patient, as_of).value
    return PatientSummary(
        age=int(age) if age is not None else None,
        sex=patient.sex,
        birth_date=patient.birth_date,
        deceased=patient.deceased,
        labs=_labs(patient, as_of, vocab),
    )


def _labs(patient: Patient, as_of: date, vocab: Any) -> tuple[LabValue, ...]:
    if not patient.observations:
        return ()
    # records share codes (a lab measured a hundred times): match each kind of record once
    # (derive.record_kinds, numbered as they first appear), from derive's per-patient memo
    records = patient.observations
    kind_of = derive.record_kinds(records)
    kinds: list[list] = [[] for _ in range(max(kind_of) + 1)]
    for obs, kind in zip(records, kind_of):
        kinds[kind].append(obs)
    kind_by_id = {id(obs): kind for obs, kind in zip(records, kind_of)}
    # the measures each kind fits, from derive's index of kinds of record
    by_concept: dict[tuple[str, str], dict[int, Any]] = {}
    for kind, fits in enumerate(derive.concepts_of_kinds(vocab, "measure", records, exact_tests=True)):
        for key, narrow in fits.items():
            by_concept.setdefault(key, {})[kind] = narrow
    out: dict[str, LabValue] = {}
    for concept in vocab.concepts("measure"):
        matched = by_concept.get((concept.kind, concept.name))
        if not matched:
            continue
        found, _, _ = derive.latest([o for kind in sorted(matched) for o in kinds[kind]], as_of)
        if not found:
            continue
        obs = found[0]
        # a broad measure matched through a narrower one is listed under the narrower name
        name = matched[kind_by_id[id(obs)]].name
        if name in out:  # the first measure listed under a name keeps it
            continue
        shown = obs.value_text or (obs.value_code.display or obs.value_code.code if obs.value_code else None)
        value = json_number(obs.value) if obs.value is not None else None
        out[name] = _lab_value(name, value, obs.unit, shown, obs.date)
    return tuple(sorted(out.values(), key=lambda lab: lab.name))


def _lab_value(name: str, value: int | float | None, unit: str | None, text: str | None, day: date) -> LabValue:
    """`LabValue(name=..., value=..., unit=..., text=..., date=...)` without validation: each
    part is already of its field's type (a record's strings and calendar date, a JSON number),
    and validating 20 of them a patient was a third of the summary, 2 % of screening synthetic
    patients (speed8). It equals the validated one, fields set included (tests/test_speed10.py)."""
    return unvalidated(LabValue, {"name": name, "value": value, "unit": unit, "text": text, "date": day}, _LAB_FIELDS)


_LAB_FIELDS = frozenset(LabValue.model_fields)
