"""What speed15a judges another way gives what the plain evaluator gives: an 'except' that
sets records aside ('Active immunosuppressive therapy with the exception of prednisone 10
mg/day', NCT06709469) is one more record leaf of its tree (`evaluate._Aside`), worked out
once per patient and remembered, so its criterion is remembered by what its leaves say
instead of being judged in full for every patient; its verdict is the one
`_except_by_records` gives when judged where it stands."""

from __future__ import annotations

import importlib
from functools import cache
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine.nodes import AnyOf, Comparison, Condition, Conditional, Duration, Exception_, Medication, Not, Permission, Sex, Span, Threshold, Window
from engine.patients import load_patient
from engine.synth import population
from engine.vocab import load_vocabulary

AS_OF = date(2026, 6, 1)
ROOT = Path(__file__).resolve().parents[1]
ev = importlib.import_module("engine.evaluate")  # the module: `engine.evaluate` is also the function
screening = importlib.import_module("engine.screen")  # the module: `engine.screen` is also the function

SPAN = Span(start=0, end=5)
PREDNISONE_10 = Comparison(measure="prednisone equivalent daily dose", op="<=", threshold=Threshold(value=Decimal(10), unit="mg/day"), span=SPAN)


def _drugs(*records: dict, pid: str = "drugs", sex: str = "female") -> object:
    return load_patient({"id": pid, "birth_date": "1980-01-01", "sex": sex, "medications": list(records)})


# records an 'except' of the bundled trials sets aside, or may: a low and a high dose of
# prednisone, a dose not given, another corticosteroid, immunosuppressants, one stopped long ago
HAND_MADE = [
    _drugs({"name": "prednisone", "start": "2026-05-20", "dose": 5, "dose_unit": "mg", "daily_dose": 5}, pid="low dose"),
    _drugs({"name": "prednisone", "start": "2026-05-20", "dose": 20, "dose_unit": "mg", "daily_dose": 20}, pid="high dose"),
    _drugs({"name": "prednisone", "start": "2026-05-20"}, pid="no dose"),
    _drugs({"name": "dexamethasone", "start": "2026-05-28"}, {"name": "tacrolimus", "start": "2026-05-01"}, pid="two", sex="male"),
    _drugs({"name": "tacrolimus", "start": "2020-01-01", "end": "2020-06-01", "status": "completed"}, pid="stopped"),
    _drugs({"name": "prednisone", "start": "2026-05-30", "dose": 5, "dose_unit": "mg", "daily_dose": 5},
           {"name": "mycophenolate mofetil", "start": "2026-05-30"}, pid="both"),
    _drugs(pid="none"),
]


@pytest.fixture(scope="module")
def patients():
    found = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(15, 150, as_of=AS_OF))]
    found += [load_patient(p) for p in sorted((ROOT / "examples").glob("*.json"))]
    return found + HAND_MADE


def _every(prepared):
    for p in prepared:
        yield p
        yield from _every(p.children)


@cache
def _with_asides():
    trials = screening.load_trial_files(None)
    screening.prepare_trials(trials)
    return [p for t in trials for p in _every(screening._prepared(t)) if p.leaves and any(type(n) is ev._Aside for _, n in p.leaves)]


def _plain(monkeypatch):
    """The plain evaluator: an 'except' sets its records aside where it stands, every time,
    and a tree with one is never judged from what its leaves were said to say
    (`evaluate_as_said`), as before speed15a. With `_forget` before each patient, every
    criterion is judged in full."""

    def where_it_stands(tree, node, ctx, polarity, main):
        if isinstance(ctx.leaves, ev._Said):
            raise ev._Unsaid(tree)
        return ev._except_by_records(node, ctx, polarity, main)

    monkeypatch.setattr(ev, "_records_set_aside", where_it_stands)


def _forget():
    screening._ALIKE.clear()
    screening._SHAPED.clear()
    ev._LAST_LEAVES = (None, {})


def test_the_bundled_criteria_that_set_records_aside_have_their_leaves():
    """The three criteria speed14 found judged in full for every patient: no criterion of the
    bundled trials is left without its record leaves now."""
    trials = screening.load_trial_files(None)
    screening.prepare_trials(trials)
    prepared = [p for t in trials for p in _every(screening._prepared(t)) if p.tree is not None]
    assert all(p.leaves is not None for p in prepared)
    assert len(_with_asides()) == 3
    # without the polarity the tree is judged with, such a tree has no leaves, as before
    assert all(ev.record_leaves(p.tree, windowed=p.windowed) is None for p in _with_asides())


@pytest.mark.parametrize("open_world", [False, True])
def test_criteria_with_an_aside_are_what_the_plain_evaluator_says(patients, monkeypatch, open_world):
    """Each criterion with an 'except' that sets records aside, for every patient, twice over
    (the second time from what patients with the same leaves said, `_ALIKE`, or from the
    template of their shape, `_SHAPED`), equals the criterion judged in full where each
    'except' sets its records aside as it stands."""
    criteria = _with_asides()
    _forget()
    fast = {}
    for _ in range(2):
        for patient in patients:
            for prepared in criteria:
                fast[(patient.id, id(prepared))] = screening._criterion(prepared, patient, as_of=AS_OF, open_world=open_world)
    assert any(hit[1] is not None for hit in screening._SHAPED.values())  # templates were used
    _plain(monkeypatch)
    set_aside = 0
    for patient in patients:
        for prepared in criteria:
            _forget()
            plain = screening._criterion_now(prepared, patient, as_of=AS_OF, open_world=open_world)
            assert fast[(patient.id, id(prepared))] == plain, (patient.id, prepared.criterion.text)
            set_aside += any("set aside as excepted" in r or "may be excepted" in r for r in plain.reasons)
    assert set_aside > 10


def _excepts() -> list:
    """'except' trees under each connective that judges its operands with a polarity of its
    own: negated, as a condition, in a permission, as an alternative case, an 'unless' that
    carves kinds out (an 'except' where it rules out)."""
    drugs = Exception_(mode="except", main=Medication(concept="immunosuppressant", span=SPAN),
                       exception=Medication(concept="corticosteroid", dose=PREDNISONE_10, span=SPAN), span=SPAN)
    windowed = Exception_(mode="except", main=Medication(concept="corticosteroid", window=Window(relation="within", durations=(Duration(value=Decimal(7), unit="day"),), anchor="enrollment"), span=SPAN),
                          exception=Medication(concept="prednisone", span=SPAN), span=SPAN)
    carved = Exception_(mode="unless", main=Condition(concept="malignancy", span=SPAN),
                        exception=Condition(concept="basal cell carcinoma", span=SPAN), span=SPAN)
    female = Sex(sexes=("female",), span=SPAN)
    return [
        drugs, windowed, carved,
        Not(item=drugs, span=SPAN),
        Not(item=Not(item=carved, span=SPAN), span=SPAN),
        Conditional(condition=drugs, then=female, span=SPAN),
        Conditional(condition=female, then=windowed, span=SPAN),
        Permission(item=drugs, words="allowed", span=SPAN),
        AnyOf(items=(Conditional(condition=drugs, then=Not(item=windowed, span=SPAN), span=SPAN), carved), span=SPAN),
        Exception_(mode="except", main=Condition(concept="malignancy", span=SPAN), exception=Not(item=drugs, span=SPAN), span=SPAN),
    ]


@pytest.mark.parametrize("polarity", [1, -1])
def test_an_aside_is_keyed_as_the_exception_reads_it(patients, monkeypatch, polarity):
    """`record_leaves` restates how `_eval` passes polarity and the window flag down: every
    'except' that `_exception` sets records aside for, judged from the leaf memo, finds its
    key among the tree's leaves (else a criterion would be remembered by what it said with
    the other polarity), and says what the plain evaluator says."""
    asked = []
    remembered = ev._records_set_aside

    def recorded(tree, node, ctx, sign, main):
        if ctx.leaves is not None and ev._sets_records_aside(node):
            asked.append((ev._aside_key(tree, sign), ctx.windowed))
        return remembered(tree, node, ctx, sign, main)

    monkeypatch.setattr(ev, "_records_set_aside", recorded)
    vocab = load_vocabulary()
    found = {}
    total = 0
    trees = _excepts()
    for tree in trees:
        for windowed in (False, True):
            keys = {key for key, _ in ev.record_leaves(tree, windowed=windowed, polarity=polarity)}
            for patient in patients[::5] + HAND_MADE:
                _forget()
                asked.clear()
                found[(id(tree), windowed, patient.id)] = ev.evaluate(tree, patient, as_of=AS_OF, polarity=polarity, vocab=vocab, windowed=windowed)
                assert set(asked) <= keys, (tree, asked)
                total += len(asked)
    assert total > 50
    _plain(monkeypatch)
    for tree in trees:
        for windowed in (False, True):
            for patient in patients[::5] + HAND_MADE:
                _forget()
                plain = ev.evaluate(tree, patient, as_of=AS_OF, polarity=polarity, vocab=vocab, windowed=windowed)
                assert found[(id(tree), windowed, patient.id)] == plain


drug_names = st.sampled_from(["prednisone", "dexamethasone", "methylprednisolone", "tacrolimus", "mycophenolate mofetil", "cyclosporine", "rituximab", "aspirin"])
statuses = st.sampled_from([None, "active", "completed", "stopped", "entered-in-error"])


@st.composite
def drug_records(draw):
    start = AS_OF - timedelta(days=draw(st.integers(min_value=-10, max_value=800)))
    record = {"name": draw(drug_names), "start": start.isoformat()}
    status = draw(statuses)
    if status:
        record["status"] = status
    if draw(st.booleans()):
        record["end"] = (start + timedelta(days=draw(st.integers(min_value=0, max_value=400)))).isoformat()
    if draw(st.booleans()):
        dose = draw(st.sampled_from([2.5, 5, 7.5, 10, 12.5, 20, 40]))
        record.update({"dose": dose, "dose_unit": "mg", "daily_dose": dose})
    return record


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(records=st.lists(drug_records(), min_size=0, max_size=4), open_world=st.booleans())
def test_drawn_drug_records_judge_as_the_plain_evaluator(monkeypatch, records, open_world):
    """Drawn corticosteroid and immunosuppressant records (doses, dates, statuses): each
    bundled criterion with an aside says, through the screening's memos, what the plain
    evaluator says."""
    patient = _drugs(*records, pid="drawn")
    criteria = _with_asides()
    _forget()
    fast = [screening._criterion(p, patient, as_of=AS_OF, open_world=open_world) for p in criteria]
    with monkeypatch.context() as m:
        _plain(m)
        _forget()
        plain = [screening._criterion_now(p, patient, as_of=AS_OF, open_world=open_world) for p in criteria]
    assert fast == plain


# --- silence tests compiled against an index of what a patient's records fit ----------------

from engine import derive  # noqa: E402


def test_an_index_of_fits_is_fits_any(patients):
    """`FitIndex.fitted` holds a concept's number exactly where `derive.fits_any` fits some
    of the records to it: every condition, drug, drug class and procedure of the vocabulary,
    numbered in three rounds (concepts numbered after the records were first asked are matched
    when they are asked next), against each field of each patient."""
    vocab = load_vocabulary()
    concepts = [*vocab.concepts("condition"), *vocab.concepts("drug"), *vocab.concepts("drug_class"), *vocab.concepts("procedure")]
    for fieldname in ("conditions", "medications", "procedures"):
        index = derive.FitIndex(vocab)
        fitting = 0
        for part in (concepts[::3], concepts[1::3], concepts[2::3]):
            for concept in part:
                index.number(concept)
            for patient in patients:
                records = getattr(patient, fieldname)
                fitted = index.fitted(records)
                for concept in index.concepts:
                    fits = derive.fits_any(vocab, concept, records)
                    assert (index.numbers[(concept.kind, concept.name)] in fitted) is fits, (fieldname, patient.id, concept.name)
                    fitting += fits
        assert fitting > 100, fieldname


def test_measure_leaves_judged_with_their_parts_remembered_are_judged_afresh(patients, monkeypatch):
    """A measure leaf's concept, derived kind, name and bounds are worked out once per leaf
    and vocabulary (`_measure_parts`): every measure leaf of the bundled trials judged so for
    each patient, and leaves made here (one the vocabulary does not know), is the leaf judged
    with them worked out again."""
    trials = screening.load_trial_files(None)
    screening.prepare_trials(trials)
    leaves = [n for t in trials for p in _every(screening._prepared(t)) if p.leaves for _, n in p.leaves if isinstance(n, (Comparison, ev.Range))]
    leaves += [Comparison(measure=m, op=">=", threshold=Threshold(value=Decimal(v), unit=u), span=SPAN)
               for m, v, u in (("hemoglobin", 9, "g/dL"), ("age", 18, "years"), ("creatinine clearance", 60, "mL/min"), ("no such measure", 1, None))]
    assert len(leaves) > 20
    vocab = load_vocabulary()

    def judged(patient):
        ctx = ev._Ctx(patient=patient, as_of=AS_OF, open_world=False, vocab=vocab)
        return [ev._measure(node, ctx) for node in leaves]

    remembered = {p.id: judged(p) for p in patients[::3]}
    assert len(ev._MEASURE_PARTS) >= len({id(n) for n in leaves})

    def afresh(node, vocab):
        concept = ev.derive.lookup(vocab, ("measure",), node.measure)
        derived = ev._derived_kind(node.measure, concept)
        return concept, derived, concept.name if concept is not None else derived, ev._bounds(node)

    monkeypatch.setattr(ev, "_measure_parts", afresh)
    for patient in patients[::3]:
        assert judged(patient) == remembered[patient.id], patient.id
