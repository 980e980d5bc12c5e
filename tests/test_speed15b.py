"""What speed15b changed on the warm screening path gives what the plain path gives: a
criterion's template made at its shape's first sighting, from stand-in leaves shared between
criteria (`screen._criterion_by_shape`, `_stand_in`), is its full judgment, and the same
template as stand-ins made afresh."""

from __future__ import annotations

import importlib
from datetime import date

import pytest

from engine.patient import Patient
from engine.patients import load_patient
from engine.synth import population
from engine.trials import Trial
from one_trial import bundled_trials_with, every_prepared

AS_OF = date(2026, 6, 1)
screening = importlib.import_module("engine.screen")  # the module: `engine.screen` is also the function

# corpus lines (trimmed): measures beside each other, an 'or' of events, a window, a case split
LINES = (
    ("inclusion", "Neutrophils (ANC ≥ 1500/μL), Haemoglobin ≥9 g/dL, Platelet count ≥100,000/μL"),
    ("exclusion", "Pregnant or breastfeeding women."),
    ("exclusion", "Grade 3 to 4 infusion reaction or hypersensitivity to trastuzumab or murine proteins"),
    ("exclusion", "No history of myocardial infarction, unstable angina within 6 months prior to randomization"),
    ("inclusion", "creatinine ≤ institutional ULN OR creatinine clearance ≥ 60 mL/min/1.73 m2 for patients with creatinine levels above institutional ULN"),
)


def _trials() -> list[Trial]:
    return bundled_trials_with(LINES, "NCT00000015")


def _patients() -> list[Patient]:
    return [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(15, 60, as_of=AS_OF))]


@pytest.mark.parametrize("open_world", [False, True])
def test_a_template_made_at_the_first_sighting_is_the_full_judgment(open_world, monkeypatch):
    monkeypatch.setattr(screening, "_SHAPED", {})
    monkeypatch.setattr(screening, "_STAND_INS", {})
    made = compared = places = 0
    for patient in _patients():
        for trial in _trials():
            for prepared in every_prepared(screening._prepared(trial)):
                if prepared.tree is None or prepared.leaves is None:
                    continue
                entries = screening.leaf_verdicts(prepared.leaves, patient, as_of=AS_OF, open_world=open_world)
                key = (id(prepared), tuple(e[2] for e in entries))
                new = key not in screening._SHAPED
                shaped = screening._criterion_by_shape(prepared, patient, as_of=AS_OF, open_world=open_world)
                full = screening._criterion_now(prepared, patient, as_of=AS_OF, open_world=open_world)
                assert shaped == full, (patient.id, trial.trial_id, prepared.criterion.text)
                compared += 1
                # a shape new to this criterion: its template made now, not at a second sighting
                if new and isinstance(screening._SHAPED[key][1], tuple):
                    made += 1
                    places += len({k for k, _ in prepared.leaves})
    assert compared > 1000 and 0 < made < compared / 3
    # a stand-in serves every criterion with a leaf of its shape at its place
    assert len(screening._STAND_INS) < places / 2


def test_shared_stand_ins_give_the_templates_made_afresh(monkeypatch):
    patients = _patients()[:20]
    trials = _trials()
    monkeypatch.setattr(screening, "_STAND_INS", {})
    seen = 0
    for patient in patients:
        for trial in trials:
            for prepared in every_prepared(screening._prepared(trial)):
                if prepared.tree is None or prepared.leaves is None:
                    continue
                entries = screening.leaf_verdicts(prepared.leaves, patient, as_of=AS_OF, open_world=False)
                if any(e[2] is None for e in entries):
                    continue
                shared = screening._shaped_verdict(prepared, entries, AS_OF, False)
                screening._STAND_INS.clear()
                fresh = screening._shaped_verdict(prepared, entries, AS_OF, False)
                assert shared == fresh, prepared.criterion.text
                seen += 1
    assert seen > 500
