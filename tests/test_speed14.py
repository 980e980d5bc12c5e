"""Branch speed14: what is read another way gives what was read before.

The FHIR reader names the place of a misfit only when it gives an error (engine.fhir
`Place`): every place an Observation's parts are read from must still come out written in
full in the message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.patients import load_patient


def _bundle(observation: dict) -> dict:
    return {
        "resourceType": "Bundle",
        "entry": [
            {"resource": {"resourceType": "Patient", "id": "p"}},
            {"resource": {"resourceType": "Observation", "status": "final", **observation}},
        ],
    }


_LOINC = {"system": "http://loinc.org", "code": "718-7", "display": "Hemoglobin"}


@pytest.mark.parametrize(
    "observation, problem",
    [
        ({"status": 3}, "entry[1].resource.status: expected a string, found number 3"),
        ({"code": {"coding": [{**_LOINC, "system": 5}]}}, "entry[1].resource.code.coding[0].system: expected a string, found number 5"),
        ({"code": {"coding": [_LOINC, {"display": ["x"]}]}}, "entry[1].resource.code.coding[1].display: expected a string, found an array"),
        ({"code": {"coding": "718-7"}}, 'entry[1].resource.code.coding: expected an array, found string "718-7"'),
        ({"code": {"coding": [_LOINC], "text": 1}}, "entry[1].resource.code.text: expected a string, found number 1"),
        ({"code": {"coding": [7]}}, "entry[1].resource.code.coding[0]: expected an object, found number 7"),
        ({"effectivePeriod": {"start": "soon"}}, 'entry[1].resource.effectivePeriod.start: not a valid date: "soon"'),
        ({"valueQuantity": {"value": "12"}}, 'entry[1].resource.valueQuantity.value: expected a number, found string "12"'),
        ({"valueQuantity": {"value": 12, "unit": 4}}, "entry[1].resource.valueQuantity.unit: expected a string, found number 4"),
        ({"valueQuantity": {"value": -3, "unit": "g/dL"}}, "entry[1].resource.valueQuantity.value: negative value -3 is not a plausible value"),
        ({"valueInteger": 2.5}, "entry[1].resource.valueInteger: expected a whole number, found 2.5"),
        ({"valueRange": {"low": {"value": "x"}}}, 'entry[1].resource.valueRange.low.value: expected a number, found string "x"'),
        (
            {"valueQuantity": {"value": 12}, "referenceRange": [{"high": {"value": 17, "system": []}}]},
            "entry[1].resource.referenceRange[0].high.system: expected a string, found an array",
        ),
        (
            {"component": [{"code": {"coding": [{**_LOINC, "code": {}}]}, "valueQuantity": {"value": 1}}]},
            "entry[1].resource.component[0].code.coding[0].code: expected a string, found an object",
        ),
    ],
)
def test_a_misfit_names_its_place_in_full(observation, problem):
    (unreadable,) = load_patient(_bundle(observation)).unreadable
    assert unreadable.startswith(problem)


# --- screening: what is remembered per patient or per tree ---------------------------------

import importlib  # noqa: E402
from datetime import date  # noqa: E402

from engine.nodes import Condition, Sex, walk  # noqa: E402
from engine.synth import population  # noqa: E402

AS_OF = date(2026, 6, 1)
screening = importlib.import_module("engine.screen")  # the module: `engine.screen` is also the function
evaluation = importlib.import_module("engine.evaluate")


def _bundled():
    return screening.load_trial_files([str(screening.bundled_trials_dir())])


def _all_prepared(prepared):
    for p in prepared:
        yield p
        yield from _all_prepared(p.children)


def _patients(n: int):
    return [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(3, n, as_of=AS_OF))]


def test_the_other_sex_is_the_walk_of_the_tree():
    # `_names_other_sex` remembers per tree and sex what `_other_sex` walked the tree for
    trees = {id(p.own): p.own for t in _bundled() for p in _all_prepared(screening._prepared(t)) if p.own is not None}
    trees[0] = screening._parsed("Postmenopausal women")  # a status only women have
    trees[1] = screening._parsed("Men aged 50 years or older")
    named = set()
    for own in trees.values():
        for sex in ("female", "male"):
            walked = any(
                (isinstance(n, Sex) and sex not in n.sexes) or (sex == "male" and isinstance(n, Condition) and n.concept in evaluation._FEMALE_STATUSES)
                for n in walk(own)
            )
            assert screening._names_other_sex(own, sex) is walked
            assert screening._names_other_sex(own, sex) is walked  # and remembered so
            named.add((sex, walked))
    assert named == {("female", True), ("female", False), ("male", True), ("male", False)}


def _with_aside(trials):
    """The prepared criteria (sub-items too) whose tree has an 'except' that sets records aside
    (one of their record leaves since speed15a, `evaluate._Aside`)."""
    return [p for t in trials for p in _all_prepared(screening._prepared(t)) if p.leaves is not None and any(type(n) is evaluation._Aside for _, n in p.leaves)]


def test_excepted_records_remembered_are_those_judged_again(monkeypatch):
    # NCT07339332's 'immunosuppressant except corticosteroid' is judged in its item and in the
    # heading above it, NCT06709469's 'except prednisone <= 10 mg/day' once: each criterion
    # judged after the others (the exception's records remembered from them) is what it is
    # judged alone, with nothing of the patient remembered
    trials = _bundled()
    screening.prepare_trials(trials)
    aside = _with_aside(trials)
    assert {p.criterion.text[:40] for p in aside} >= {
        "Active immunosuppressive therapy with th",
        "Prior to screening, patients must have r",
        "If treated with hormone therapy alone, p",
    }
    asked = []
    judge = evaluation._except_by_records
    monkeypatch.setattr(evaluation, "_except_by_records", lambda node, ctx, polarity, main: asked.append(node) or judge(node, ctx, polarity, main))
    remembered = 0
    for patient in _patients(40):
        for open_world in (False, True):
            alone = []
            for p in aside:
                evaluation._LAST_LEAVES = (None, {})
                alone.append(screening._criterion_now(p, patient, as_of=AS_OF, open_world=open_world))
            evaluation._LAST_LEAVES = (None, {})
            asked.clear()
            together = [screening._criterion_now(p, patient, as_of=AS_OF, open_world=open_world) for p in aside]
            assert together == alone
            judged = [key for key in evaluation._LAST_LEAVES[1] if key[0] == "excepted"]
            # (the heading's copy is met again either in `_except_by_records`, or, where the
            # heading's tree has record leaves of its own, as its `_Aside` leaf remembered:
            # 'During screening' read as the day of screening gave it leaves, branch cover16)
            remembered += max(len(asked), len(aside)) - len(judged)
    assert remembered >= 80  # one exception judged twice a patient and world, its records once


# --- loading: Observations built without validation ------------------------------------------

from engine import fhir  # noqa: E402
from engine.errors import InputError  # noqa: E402
from engine.patient import Observation  # noqa: E402

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "patients"
SYNTHEA = Path(__file__).resolve().parents[2] / "shared" / "data" / "synthea_fhir_r4_smart" / "bundles"


def _fhir_sources():
    yield from ((path, None) for path in sorted(FIXTURES.glob("*.json")))
    yield from ((bundle, f"synth-{i}") for i, bundle in enumerate(population(5, 150, as_of=AS_OF)))
    yield from ((path, None) for path in (sorted(SYNTHEA.glob("*.json"))[:3] if SYNTHEA.is_dir() else ()))


def _observations(monkeypatch, validated: bool) -> list[Observation]:
    if validated:  # as the reader built them before: Observation(**values)
        monkeypatch.setattr(fhir, "_observation_of", lambda values: Observation(**values))
    else:
        monkeypatch.undo()
    out = []
    for source, name in _fhir_sources():
        try:
            out += load_patient(source, source=name).observations
        except InputError:
            continue  # the bad ones: nothing read
    return out


def test_observations_read_are_the_validated_ones(monkeypatch):
    checked = _observations(monkeypatch, validated=True)
    read = _observations(monkeypatch, validated=False)
    assert len(read) == len(checked) > 4000
    seen = set()
    for obs, want in zip(read, checked):
        assert obs == want
        assert obs.model_fields_set == want.model_fields_set
        assert list(obs.__dict__) == list(want.__dict__)
        for name in Observation.model_fields:
            assert type(getattr(obs, name)) is type(getattr(want, name)), name
        assert obs.model_dump_json() == want.model_dump_json()
        assert hash(obs) == hash(want)
        seen.update(obs.model_fields_set)
    # a quantity with a comparator, an integer, a coded and a text value, ranges, flags were met
    assert seen >= {"value", "unit", "unit_ok", "value_comparator", "value_code", "value_text", "ref_low", "ref_high", "ref_unit", "flags"}
