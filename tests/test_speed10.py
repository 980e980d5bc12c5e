"""What speed10 decides or builds another way gives what was judged or built before: a
record leaf decided silent before its judging function (`evaluate._silence_test`) is the
Outcome its judging function gives; the main part of an 'except' judged from the leaf memo
is the main part judged again with every record kept; a summary's lab values built without
validation are the validated ones."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from engine.logic import Truth, all_of
from engine.nodes import Comparison, Condition, Duration, Exception_, Medication, Procedure, Range, Span, Threshold, Window
from engine.overview import LabValue, summarize
from engine.patient import ConditionRecord
from engine.parse import parse
from engine.patients import load_patient
from engine.synth import population
from engine.vocab import load_vocabulary

AS_OF = date(2026, 6, 1)
ROOT = Path(__file__).resolve().parents[1]
ev = importlib.import_module("engine.evaluate")  # the module: `engine.evaluate` is also the function
screening = importlib.import_module("engine.screen")  # the module: `engine.screen` is also the function


@pytest.fixture(scope="module")
def patients():
    found = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(7, 60, as_of=AS_OF))]
    found += [load_patient(p) for p in sorted((ROOT / "examples").glob("*.json"))]
    # records the synthetic patients seldom have: a drug's therapy recorded as a procedure, a
    # procedure shown by a status condition, a therapy's drug, a record that names nothing
    found.append(load_patient({
        "id": "therapies", "birth_date": "1980-01-01", "sex": "female",
        "procedures": [{"name": "CAR-T cell therapy", "date": "2026-01-10"}, {"name": "antibiotic therapy", "date": "2026-05-10"}],
        "conditions": [{"name": "dependence on renal dialysis", "onset": "2024-01"}, {"name": "kidney transplant status", "onset": "2020-01"}],
        "medications": [{"name": "docetaxel", "start": "2026-04-01"}, {"name": "prednisone", "start": "2026-05-01", "dose": 20, "dose_unit": "mg", "daily_dose": 20}],
    }))
    # procedures read beyond their own concept (the fourteenth audit): a chemotherapy procedure
    # is a record of the class 'antineoplastic agent'; a record of plain surgery, of external
    # beam radiotherapy or of dialysis leaves the narrower kinds unknown; a named operation is
    # loosely major surgery
    found.append(load_patient({
        "id": "procedures", "birth_date": "1970-01-01", "sex": "male",
        "procedures": [
            {"name": "Chemotherapy (procedure)", "snomed": "367336001", "date": "2026-05-20"},
            {"name": "Surgical procedure", "snomed": "387713003", "date": "2026-05-10"},
            {"name": "Teleradiotherapy procedure", "snomed": "33195004", "date": "2025-12-01"},
            {"name": "Dialysis", "snomed": "108241001", "date": "2026-05-25"},
            {"name": "Cholecystectomy", "snomed": "38102005", "date": "2024-02-01"},
        ],
    }))
    # a woman of 66 whose record says premenopausal: a rule reading her age, not her records,
    # must keep her leaves from being decided silent or shared between window flags
    found.append(load_patient({
        "id": "older", "birth_date": "1960-01-01", "sex": "female",
        "conditions": [{"name": "premenopausal status", "onset": "2001-01"}, {"name": "obesity", "onset": "2020-01"}],
        "observations": [{"name": "body mass index", "loinc": "39156-5", "value": 36, "unit": "kg/m2", "date": "2026-05-01"}],
    }))
    unnamed = ConditionRecord(unreadable="entry[3].resource.code: no code or text")
    found.append(found[0].model_copy(update={"id": "unnamed", "conditions": (*found[0].conditions, unnamed)}))
    return found


def _every(prepared):
    for p in prepared:
        yield p
        yield from _every(p.children)


def _record_leaves():
    """Every record leaf of the bundled trials (those under an 'except' too), and one leaf of
    each condition, drug, drug class and procedure of the vocabulary, plain and with a window,
    with 'history of', 'active' or a dose."""
    trials = screening.load_trial_files(None)
    screening.prepare_trials(trials)
    leaves = []
    for trial in trials:
        for prepared in _every(screening._prepared(trial)):
            stack = [prepared.tree] if prepared.tree is not None else []
            while stack:
                node = stack.pop()
                if type(node) in ev._RECORD_LEAVES:
                    leaves.append(node)
                else:
                    stack += ev.children(node)
    span = Span(start=0, end=5)
    window = Window(relation="within", durations=(Duration(value=Decimal(6), unit="month"),), anchor="enrollment")
    dose = Comparison(measure="prednisone equivalent daily dose", op="<=", threshold=Threshold(value=Decimal(10), unit="mg/day"))
    vocab = load_vocabulary()
    for concept in vocab.concepts("condition"):
        leaves += [Condition(concept=concept.name, span=span), Condition(concept=concept.name, active=True, span=span)]
        leaves.append(Condition(concept=concept.name, window=window, history=True, span=span))
    for concept in (*vocab.concepts("drug"), *vocab.concepts("drug_class")):
        leaves += [Medication(concept=concept.name, span=span), Medication(concept=concept.name, window=window, span=span)]
        leaves.append(Medication(concept=concept.name, dose=dose, span=span))
    for concept in vocab.concepts("procedure"):
        leaves += [Procedure(concept=concept.name, span=span), Procedure(concept=concept.name, window=window, history=True, span=span)]
    leaves += [Condition(concept="no such condition", span=span), Medication(concept="no such drug", span=span)]
    return leaves


def _judged_in_full(node, ctx):
    """The leaf judged by its judging function with nothing of its silence remembered."""
    remembered = ev._silence
    ev._silence = lambda node, ctx, build: build()
    try:
        return ev._RECORD_LEAVES[type(node)](node, ctx)
    finally:
        ev._silence = remembered


@pytest.mark.parametrize("open_world", [False, True])
def test_a_leaf_decided_silent_is_the_leaf_judged(patients, open_world):
    vocab = load_vocabulary()
    leaves = _record_leaves()
    compared = 0
    for patient, as_of in ((p, day) for p in patients for day in (AS_OF, date(2025, 1, 1))):
        ctx = ev._Ctx(patient=patient, as_of=as_of, open_world=open_world, vocab=vocab)
        for node in leaves:
            test = ev._silence_test(node, vocab)
            entry = ev._silent_entry(node, ctx)  # what the patients before left in the memo
            full = _judged_in_full(node, ctx)
            ev._RECORD_LEAVES[type(node)](node, ctx)  # fills the memo for the patients after
            if test is None or test(patient):
                assert entry is None, (patient.id, node)
            elif entry is not None:
                # the test said the leaf reads no record: the Outcome remembered for its
                # silence (with its numbers) is the leaf judged in full
                assert entry[0] == full, (patient.id, as_of, node)
                assert entry[1:] == (ev._verdict_number(full), ev._shape_number(full))
                compared += 1
    assert compared > 10_000


def test_a_leaf_that_reads_records_is_judged(patients):
    """The test is not 'never silent': where a record fits the leaf's concept it says so."""
    vocab = load_vocabulary()
    reads = 0
    for patient in patients:
        for record in patient.conditions:
            for concept in vocab.concepts("condition"):
                if ev.derive.record_matches(vocab, concept, (record,))[0] is not None:
                    test = ev._silence_test(Condition(concept=concept.name, span=Span()), vocab)
                    if test is not None:
                        assert test(patient), (patient.id, concept.name)
                        reads += 1
                    break
    assert reads > 50


def test_lab_values_built_are_those_validated(patients):
    labs = [lab for patient in patients for lab in summarize(patient, AS_OF).labs]
    assert len(labs) > 500
    for lab in labs:
        fields = {name: getattr(lab, name) for name in LabValue.model_fields}
        validated = LabValue(**fields)
        assert lab == validated and lab.model_dump_json() == validated.model_dump_json()
        assert lab.__pydantic_fields_set__ == validated.__pydantic_fields_set__
        assert lab.__pydantic_extra__ is None and lab.__pydantic_private__ is None
        assert list(lab.__dict__) == list(validated.__dict__)
        assert all(type(lab.__dict__[k]) is type(validated.__dict__[k]) for k in fields), lab
        assert hash(lab) == hash(validated)


@pytest.mark.parametrize("open_world", [False, True])
def test_main_judged_from_the_memo_is_main_with_every_record_kept(patients, open_world):
    """`_except_by_records` takes the main part judged from the patient's leaf memo for the
    main part with no record set aside, which it judged again on a copy of the patient."""
    vocab = load_vocabulary()
    trees = [prepared.tree for trial in screening.load_trial_files(None) for prepared in _every(screening._prepared(trial))]
    trees = [t for t in trees if isinstance(t, Exception_) and ev._sets_records_aside(ev._carved(t))]
    trees += [parse(text) for text in (
        "immunosuppressant within 7 days before enrollment or corticosteroid within 7 days before enrollment except prednisone <= 10 mg/day",
        "active malignancy except basal cell carcinoma or squamous cell carcinoma of the skin",
        "history of malignancy except basal cell carcinoma",
        "corticosteroid except prednisone",
    )]
    assert len(trees) == 5 and all(ev._sets_records_aside(ev._carved(t)) for t in trees)
    excepted = 0
    for patient in patients:
        for tree in trees:
            for windowed in (False, True):
                memo = ev._leaf_memo(patient, AS_OF, open_world, vocab)
                ctx = ev._Ctx(patient=patient, as_of=AS_OF, open_world=open_world, vocab=vocab, windowed=windowed, leaves=memo)
                node = ev._carved(tree)
                main = ev._eval(node.main, ctx, -1)
                records = getattr(patient, ev._record_field(node.exception))
                kept = ev.replace(ctx, patient=patient.model_copy(update={ev._record_field(node.exception): tuple(records)}), leaves=None)
                assert main == ev._eval(node.main, kept, -1), (patient.id, tree)
                excepted += ev._except_by_records(node, ctx, -1, main) is not None
    assert excepted > 20


@pytest.mark.parametrize("open_world", [False, True])
def test_a_leaf_taken_from_the_other_window_flag_is_the_leaf_judged(patients, open_world):
    """`_same_either_flag`: where it says a leaf judged with one window flag says what it
    says with the other, judging it with that flag gives the same Outcome."""
    vocab = load_vocabulary()
    span = Span(start=0, end=5)
    procedures = [c.name for c in vocab.concepts("procedure")]
    # and conditions and medications the vocabulary files as procedures (`_redirect`)
    leaves = [*_record_leaves(), *(Condition(concept=name, span=span) for name in procedures), *(Medication(concept=name, span=span) for name in procedures)]
    shared = lowered = 0
    for patient in patients:
        ctx = {flag: ev._Ctx(patient=patient, as_of=AS_OF, open_world=open_world, vocab=vocab, windowed=flag) for flag in (False, True)}
        for node in leaves:
            judged = {flag: ev._RECORD_LEAVES[type(node)](node, ctx[flag]) for flag in (False, True)}
            lowered += judged[False] != judged[True]
            for flag in (False, True):
                if ev._same_either_flag(node, flag, judged[not flag], vocab):
                    assert judged[flag] == judged[not flag], (patient.id, flag, node)
                    shared += 1
    assert shared > 10_000 and lowered > 100  # the flag does change some leaves


def _measure_by_the_loop(node, ctx):
    """`_measure` as it was before the one-value-one-bound path: every value against every
    bound, then all the values together."""
    concept = ev.derive.lookup(ctx.vocab, ("measure",), node.measure)
    derived = ev._derived_kind(node.measure, concept)
    if concept is None and derived is None:
        return ev._measure(node, ctx)
    name = concept.name if concept is not None else derived
    values, notes, missing = ev._values_once(node, concept, derived, name, ctx)
    if not values:
        return ev._leaf(node, Truth.UNKNOWN, notes, missing)
    checks = []
    for value in values:
        parts = [ev._check_bound(value, op, threshold, concept, name) for op, threshold in ev._bounds(node)]
        checks.append((all_of(p.truth for p in parts), tuple(r for p in parts for r in p.reasons) + value.notes, tuple(m for p in parts for m in p.missing)))
    truths = {truth for truth, _, _ in checks}
    reasons = [r for _, rs, _ in checks for r in rs]
    if len(truths) == 1:
        truth = truths.pop()
    else:
        truth = Truth.UNKNOWN
        reasons.append("the values above disagree on the verdict")
    return ev._leaf(node, truth, [*reasons, *notes], [*missing, *(m for _, _, ms in checks for m in ms)])


def test_a_measure_against_one_bound_is_the_measure_judged_by_the_loop(patients):
    vocab = load_vocabulary()
    span = Span(start=0, end=5)
    leaves = [n for n in _record_leaves() if isinstance(n, (Comparison, Range))]
    for concept in vocab.concepts("measure"):
        for op in (">=", "<"):
            leaves.append(Comparison(measure=concept.name, op=op, threshold=Threshold(value=Decimal("1.5"), unit=concept.unit), span=span))
        if concept.uln is not None:
            leaves.append(Comparison(measure=concept.name, op="<=", threshold=Threshold(value=Decimal(3), relative_to="ULN"), span=span))
    leaves += [Comparison(measure="age", op=">=", threshold=Threshold(value=Decimal(18), unit=unit), span=span) for unit in ("years", "months", None, "hours", "kg")]
    one = 0
    for patient in patients:
        for open_world in (False, True):
            ctx = ev._Ctx(patient=patient, as_of=AS_OF, open_world=open_world, vocab=vocab, leaves={})
            for node in leaves:
                assert ev._measure(node, ctx) == _measure_by_the_loop(node, ctx), (patient.id, node)
                one += isinstance(node, Comparison)
    assert one > 10_000
