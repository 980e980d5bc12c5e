"""Synthetic patients (engine.synth): reproducible, readable by elig, and varied."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from decimal import Decimal

import engine
from engine.synth import LABS, patient_bundle, population
from engine.vocab import load_vocabulary


def test_the_same_seed_gives_the_same_bundles():
    assert json.dumps(population(11, 20)) == json.dumps(population(11, 20))
    assert patient_bundle(11, 5) == population(11, 6)[5]


def test_other_seeds_and_indexes_give_other_patients():
    assert population(11, 5) != population(12, 5)
    first = population(11, 30)
    assert len({json.dumps(b) for b in first}) == 30


def test_bundles_load_and_every_record_is_understood():
    vocab = load_vocabulary()
    kinds = {"condition": "conditions", "drug": "medications", "procedure": "procedures"}
    seen: Counter[str] = Counter()
    for bundle in population(3, 40):
        patient = engine.load_patient(bundle)
        assert patient.sex in ("female", "male") and patient.birth_date is not None
        assert all(o.unit_ok and o.value is not None and o.date is not None for o in patient.observations)
        for kind, field in kinds.items():
            for record in getattr(patient, field):
                seen[field] += 1
                system, code = record.codings[0].system, record.codings[0].code
                assert any(vocab.matches_coding(c, system, code) for c in vocab.concepts(kind)), (system, code)
        for obs in patient.observations:
            seen["observations"] += 1
            assert any(vocab.matches_coding(c, "loinc", obs.codings[0].code) for c in vocab.concepts("measure"))
    assert all(seen[f] > 0 for f in ("observations", "conditions", "medications", "procedures")), seen


def test_values_are_plausible_and_dates_before_as_of():
    as_of = date(2026, 6, 1)
    bounds = {lab.loinc: (Decimal(str(lab.low)), Decimal(str(lab.high))) for lab in LABS}
    for bundle in population(5, 40, as_of=as_of):
        patient = engine.load_patient(bundle)
        age = (as_of - patient.birth_date).days / 365.25
        assert 17.9 <= age <= 90.1
        for obs in patient.observations:
            low, high = bounds[obs.codings[0].code]
            assert low <= obs.value <= high and obs.date < as_of
        for record in (*patient.conditions, *patient.medications, *patient.procedures):
            start = getattr(record, "onset", None) or getattr(record, "start", None)
            assert start is not None and patient.birth_date <= start < as_of


def test_synthetic_patients_screen_against_the_bundled_trials():
    patients = [engine.load_patient(b) for b in population(9, 5)]
    result = engine.screen(patients, engine.load_trials(engine.trials.rules_dir() / "trials"), as_of=date(2026, 6, 1))
    assert len(result.patients) == 5 and all(len(p.trials) == 3 for p in result.patients)
