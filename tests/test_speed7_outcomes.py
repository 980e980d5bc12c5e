"""Outcomes built without pydantic's validation (evaluate._built, evaluate._respanned) are
the Outcomes `Outcome(...)` and `model_copy` would build: the same fields, of the same
types, the same fields set, and the same JSON."""

from __future__ import annotations

import importlib
from datetime import date
from pathlib import Path

import pytest

from engine.evaluate import Outcome
from engine.logic import Truth
from engine.nodes import Span
from engine.patients import load_patient
from engine.synth import population

AS_OF = date(2026, 6, 1)
ROOT = Path(__file__).resolve().parents[1]
ev = importlib.import_module("engine.evaluate")  # the module: `engine.evaluate` is also the function
screening = importlib.import_module("engine.screen")  # the module: `engine.screen` is also the function


def _same(fast: Outcome, slow: Outcome) -> None:
    assert type(fast) is type(slow) is Outcome
    assert fast == slow
    assert fast.__dict__ == slow.__dict__
    assert list(fast.__dict__) == list(slow.__dict__)  # field order: what model_dump gives
    assert fast.__pydantic_fields_set__ == slow.__pydantic_fields_set__
    assert fast.__pydantic_extra__ == slow.__pydantic_extra__
    assert fast.__pydantic_private__ == slow.__pydantic_private__
    assert fast.model_dump_json() == slow.model_dump_json()
    assert fast.model_dump(exclude_unset=True) == slow.model_dump(exclude_unset=True)
    assert hash(fast) == hash(slow)
    for name in ("reasons", "missing", "children"):
        value = getattr(fast, name)
        assert type(value) is tuple
        assert all(type(v) is (Outcome if name == "children" else str) for v in value), name
    assert type(fast.truth) is Truth and type(fast.span) is Span and type(fast.kind) is str


def test_built_leaf_is_the_validated_one():
    span = Span(start=3, end=9)
    fast = ev._built("condition", Truth.UNKNOWN, ("a", "b"), ("x",), (), span, ev._LEAF_FIELDS)
    slow = Outcome(kind="condition", truth=Truth.UNKNOWN, reasons=("a", "b"), missing=("x",), span=span)
    _same(fast, slow)
    assert "children" not in fast.model_dump(exclude_unset=True)


def test_built_connective_is_the_validated_one():
    leaf = Outcome(kind="sex", truth=Truth.TRUE, reasons=("sex female",))
    fast = ev._built("all_of", Truth.TRUE, (), (), (leaf,), Span(start=0, end=4), ev._ALL_FIELDS)
    slow = Outcome(kind="all_of", truth=Truth.TRUE, reasons=(), missing=(), children=(leaf,), span=Span(start=0, end=4))
    _same(fast, slow)


@pytest.mark.parametrize("children", [False, True])
def test_respanned_is_model_copy(children):
    kids = (Outcome(kind="sex", truth=Truth.FALSE),) if children else ()
    base = (Outcome(kind="any_of", truth=Truth.FALSE, children=kids, span=Span(start=1, end=2)) if children
            else Outcome(kind="measure", truth=Truth.FALSE, reasons=("r",)))  # span left unset
    span = Span(start=5, end=7)
    fast, slow = ev._respanned(base, span), base.model_copy(update={"span": span})
    _same(fast, slow)
    assert fast.span == span and base.span != span  # the original is untouched
    assert fast.__dict__ is not base.__dict__


def _bundled_trials(shared_data=None):
    return screening.load_trial_files(None)


def _corpus_trials(shared_data):
    from engine.trials import load_trials

    return load_trials(shared_data / "corpus" / "oncology_990.jsonl")[:150]


@pytest.mark.parametrize("trials_of", [_bundled_trials, _corpus_trials])
def test_every_outcome_of_a_screening_is_the_validated_one(monkeypatch, request, trials_of):
    """Every Outcome built while screening synthetic patients and the examples against the
    bundled trials, and against 150 trials of the corpus, rebuilt with validation: the same.
    (Handing `_built` a list where a tuple belongs, or a reason that is not a str, makes
    this fail.)"""
    trials = trials_of(request.getfixturevalue("shared_data") if trials_of is _corpus_trials else None)
    built = ev._built
    respanned = ev._respanned
    seen = {"built": 0, "respanned": 0}

    def checked_built(kind, truth, reasons, missing, children, span, fields):
        fast = built(kind, truth, reasons, missing, children, span, fields)
        given = {"kind": kind, "truth": truth, "reasons": reasons, "missing": missing, "children": children, "span": span}
        _same(fast, Outcome(**{k: v for k, v in given.items() if k in fields}))
        seen["built"] += 1
        return fast

    def checked_respanned(outcome, span):
        fast = respanned(outcome, span)
        _same(fast, outcome.model_copy(update={"span": span}))
        seen["respanned"] += 1
        return fast

    monkeypatch.setattr(ev, "_built", checked_built)
    monkeypatch.setattr(ev, "_respanned", checked_respanned)
    monkeypatch.setattr(ev, "_CONSTANT", {})  # built again here, so checked too
    monkeypatch.setattr(ev, "_QUALIFIERS", {})
    monkeypatch.setattr(screening, "_ALIKE", {})
    monkeypatch.setattr(screening, "_SHAPED", {})
    monkeypatch.setattr(screening, "_COMPILED", {})  # (compiled trees build fewer Outcomes: none left from earlier tests)
    patients = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(7, 30, as_of=AS_OF))]
    patients += [load_patient(p) for p in sorted((ROOT / "examples").glob("*.json"))]
    for open_world in (False, True):
        screening.screen(patients, trials, as_of=AS_OF, open_world=open_world)
    assert seen["built"] > 4_000 and seen["respanned"] > 100  # (about 4,950 since compiled trees, session 16)


def test_with_reasons_is_model_copy():
    leaf = Outcome(kind="measure", truth=Truth.UNKNOWN, reasons=("a",), missing=("ANC",), span=Span(start=2, end=8))
    fast, slow = ev._with_reasons(leaf, ("\x00leaf 0\x00",)), leaf.model_copy(update={"reasons": ("\x00leaf 0\x00",)})
    _same(fast, slow)
    assert leaf.reasons == ("a",)


def test_silent_outcomes_keep_the_numbers_of_what_they_say():
    """A silent leaf Outcome (shared across patients, `evaluate._silence`) is numbered once;
    its numbers are those `_verdict_number` and `_shape_number` give, and the leaves of
    every patient that met it carry them."""
    ev._SILENT.clear()
    ev._SILENT_NUMBERS.clear()
    trials = screening.load_trial_files(None)
    patients = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(5, 12, as_of=AS_OF))]
    memos = []
    for patient in patients:
        screening.screen([patient], trials, as_of=AS_OF)
        memos.append(dict(ev._LAST_LEAVES[1]))
    assert len(ev._SILENT_NUMBERS) > 20
    for outcome, verdict, shape in ev._SILENT_NUMBERS.values():
        assert verdict == ev._verdict_number(outcome) and shape == ev._shape_number(outcome)
    shared = {id(entry[0]): entry for entry in ev._SILENT_NUMBERS.values()}
    met = [entry for memo in memos for entry in memo.values() if id(entry[0]) in shared]
    assert len(met) > 100
    assert all(entry == shared[id(entry[0])] for entry in met)


def test_lookup_remembered_is_lookup_now():
    from engine import derive
    from engine.vocab import load_vocabulary

    vocab = load_vocabulary()
    derive._LOOKUPS.clear()
    names = ["pregnancy", "Pregnancy", "prednisone", "corticosteroid", "chemotherapy", "stem cell transplant", "no such thing", "ANC"]
    kinds_list = [("condition",), ("drug", "drug_class"), ("procedure",), ("condition", "drug", "drug_class", "procedure", "measure")]
    for _ in range(2):  # the second time from the memo
        for name in names:
            for kinds in kinds_list:
                assert derive.lookup(vocab, kinds, name) is derive._lookup_now(vocab, kinds, name), (name, kinds)
    assert any(derive.lookup(vocab, k, n) is not None for n in names for k in kinds_list)
    assert len(derive._LOOKUPS) == len(names) * len(kinds_list)


def test_fits_any_broader_is_fits_any_over_the_family():
    from engine import derive
    from engine.vocab import load_vocabulary

    vocab = load_vocabulary()
    derive._BROADER.clear()
    patients = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(3, 40, as_of=AS_OF))]
    patients += [load_patient(p) for p in sorted((ROOT / "examples").glob("*.json"))]
    concepts = vocab.concepts("condition")
    answers = {True: 0, False: 0}
    for _ in range(2):  # the second time from the memo
        for patient in patients:
            for concept in concepts:
                want = any(derive.fits_any(vocab, c, patient.conditions) for c in (concept, *vocab.ancestors(concept)))
                got = derive.fits_any_broader(vocab, concept, patient.conditions)
                assert got is want, (patient.id, concept.name)
                answers[got] += 1
    assert answers[True] > 50 and answers[False] > 1000


def _same_result(fast, slow) -> None:
    assert type(fast) is type(slow) is screening.CriterionResult
    assert fast == slow
    assert list(fast.__dict__) == list(slow.__dict__)
    assert fast.__pydantic_fields_set__ == slow.__pydantic_fields_set__
    assert fast.__pydantic_extra__ == slow.__pydantic_extra__ and fast.__pydantic_private__ == slow.__pydantic_private__
    assert fast.model_dump_json() == slow.model_dump_json()
    assert hash(fast) == hash(slow)
    for name in ("reasons", "missing", "children"):
        value = getattr(fast, name)
        assert type(value) is tuple
        assert all(type(v) is (screening.CriterionResult if name == "children" else str) for v in value), name
    assert all(type(getattr(fast, name)) is str for name in ("section", "text", "status", "canonical"))
    assert type(fast.curated) is bool


@pytest.mark.parametrize("trials_of", [_bundled_trials, _corpus_trials])
def test_every_criterion_result_is_the_validated_one(monkeypatch, request, trials_of):
    """Every CriterionResult `screen._result` builds while screening, rebuilt with validation: the same."""
    trials = trials_of(request.getfixturevalue("shared_data") if trials_of is _corpus_trials else None)
    built = screening._result
    seen = []

    def checked(prepared, status, reasons, missing, children):
        fast = built(prepared, status, reasons, missing, children)
        criterion = prepared.criterion
        slow = screening.CriterionResult(
            section=criterion.section, text=criterion.text, status=status, reasons=reasons, missing=missing,
            children=children, canonical=prepared.canonical, curated=criterion.canonical is not None,
        )
        _same_result(fast, slow)
        seen.append(fast)
        return fast

    monkeypatch.setattr(screening, "_result", checked)
    monkeypatch.setattr(screening, "_ALIKE", {})
    monkeypatch.setattr(screening, "_SHAPED", {})
    patients = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(8, 20, as_of=AS_OF))]
    patients += [load_patient(p) for p in sorted((ROOT / "examples").glob("*.json"))]
    result = screening.screen(patients, trials, as_of=AS_OF)
    assert len(seen) > 100 and any(r.children for r in seen)
    # and the whole result survives a JSON round trip unchanged (what --format json prints)
    assert type(result).model_validate_json(result.model_dump_json()) == result


def test_present_tense_reads_active_of_conditions_only():
    from engine.nodes import Condition, Medication, Procedure, Window

    window = Window(relation="within", durations=({"value": 6, "unit": "month"},))
    nodes = []
    for history in (False, True):
        nodes += [Condition(concept="asthma", history=history, active=a) for a in (None, True, False)]
        nodes += [Medication(concept="prednisone", history=history), Procedure(concept="radiotherapy", history=history)]
    nodes += [Condition(concept="asthma", window=window), Medication(concept="prednisone", window=window)]
    for node in nodes:
        old = not node.history and node.window is None and getattr(node, "active", None) is None
        assert ev._present_tense(node) is old, node
    assert ev._present_tense(Condition(concept="asthma")) and not ev._present_tense(Condition(concept="asthma", active=True))
    assert ev._present_tense(Medication(concept="prednisone")) and not ev._present_tense(Medication(concept="prednisone", history=True))
