"""A criterion's verdict remembered by the shape of what its leaves say (screen._criterion_by_shape,
evaluate.evaluate_as_said) is the verdict judged in full, reasons and their order included."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path

import pytest

from engine.evaluate import evaluate, evaluate_as_said, record_leaves
from engine.parse import parse
from engine.patient import Patient
from engine.patients import load_patient
from engine.synth import population

AS_OF = date(2026, 6, 1)
ROOT = Path(__file__).resolve().parents[1]
screening = importlib.import_module("engine.screen")  # the module: `engine.screen` is also the function


def _every(prepared):
    for p in prepared:
        yield p
        yield from _every(p.children)


@pytest.mark.parametrize("open_world", [False, True])
def test_shaped_verdicts_are_those_judged_in_full(open_world):
    trials = screening.load_trial_files(None)
    screening.prepare_trials(trials)
    patients = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(11, 120, as_of=AS_OF))]
    patients += [load_patient(p) for p in sorted((ROOT / "examples").glob("*.json"))]
    screening._SHAPED.clear()
    compared = 0
    for patient in patients:
        for trial in trials:
            for prepared in _every(screening._prepared(trial)):
                if prepared.tree is None or prepared.leaves is None:
                    continue
                shaped = screening._criterion_by_shape(prepared, patient, as_of=AS_OF, open_world=open_world)
                full = screening._criterion_now(prepared, patient, as_of=AS_OF, open_world=open_world)
                assert shaped == full, (patient.id, trial.trial_id, prepared.criterion.text)
                compared += 1
    assert compared > 1000
    templates = [entry[1] for entry in screening._SHAPED.values()]
    assert any(isinstance(t, tuple) for t in templates)  # templates were made and used, not only the fallback
    assert len(templates) < compared / 5  # and shared between patients


def test_evaluate_as_said_is_evaluate_given_the_leaves():
    tree = parse("ANC >= 1500/uL and age >= 18 years and no prior chemotherapy")
    patient = Patient(id="p", birth_date=date(1970, 1, 1))
    leaves = record_leaves(tree, windowed=False)
    said = {key: evaluate(node, patient, as_of=AS_OF) for key, node in leaves}
    assert evaluate_as_said(tree, said, as_of=AS_OF, open_world=False, polarity=1, windowed=False) == evaluate(tree, patient, as_of=AS_OF)


def test_evaluate_as_said_judges_no_leaf_itself():
    tree = parse("ANC >= 1500/uL and age >= 18 years")
    key, node = record_leaves(tree, windowed=False)[0]
    said = {key: evaluate(node, Patient(id="p"), as_of=AS_OF)}
    assert evaluate_as_said(tree, said, as_of=AS_OF, open_world=False, polarity=1, windowed=False) is None
