"""The compiled trees of warm16 (engine.compiled) give what the plain evaluator gives: the
Outcome tree of `evaluate_as_said` (but for the leaves' spans, which no verdict reads) and,
through `screen._verdict`, the same status, reasons and missing data; over the bundled trials
and corpus lines for synthetic and Synthea patients, with the patients' own leaves and with
stand-ins, the compiled function of each criterion kept across patients (its tables filled by
the earlier ones); and over trees drawn by hypothesis, whose leaves say what is drawn."""

from __future__ import annotations

import importlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.compiled import compile_tree, judged_as_said
from engine.evaluate import _NOTHING_ASIDE, _SET_ASIDE, Outcome, _Aside, evaluate_as_said, leaf_verdicts, record_leaves
from engine.logic import Truth
from engine.nodes import (
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Conditional,
    Each,
    Exception_,
    Judgment,
    Medication,
    Modifier,
    Not,
    Permission,
    Qualified,
    Sex,
    Span,
    Threshold,
    Unparsed,
)
from engine.patients import load_patient
from engine.synth import population
from engine.trials import Criterion, Trial
from one_trial import bundled_trials_with, every_prepared

AS_OF = date(2026, 6, 1)
screening = importlib.import_module("engine.screen")  # the module: `engine.screen` is also the function
SYNTHEA = Path(__file__).resolve().parents[2] / "shared" / "data" / "synthea_fhir_r4_smart" / "bundles"

# corpus lines (trimmed) with the connectives the closures build: words around a condition,
# an 'except' that sets records aside, a case split, an allergy to drugs, an 'unless', a
# condition on whom a line is for, kinds named beside a whole, a permission
LINES = (
    ("exclusion", "Uncontrolled hypertension or poorly controlled diabetes mellitus"),
    ("exclusion", "Active immunosuppressive therapy with the exception of prednisone 10 mg/day"),
    ("inclusion", "Total bilirubin ≤ 1.5 x ULN, or ≤ 3 x ULN if Gilbert's syndrome"),
    ("exclusion", "Allergy to Phenylephrine or NSAIDs"),
    ("exclusion", "Active malignancy, unless basal cell carcinoma of the skin"),
    ("exclusion", "For female patients, current pregnancy and/or lactation"),
    ("exclusion", "Cardiovascular disease (heart failure, myocardial infarction or stroke)"),
    ("inclusion", "Prior radiotherapy is allowed"),
    ("exclusion", "Pregnant and lactating women"),
    ("inclusion", "AST and ALT ≤ 2.5 x ULN or ≤ 5 x ULN if liver metastases"),
    ("exclusion", "Known hypersensitivity to trastuzumab"),
)


def _trials() -> list[Trial]:
    return bundled_trials_with(LINES, "NCT00000016")


def _same(plain, compiled) -> bool:
    """The same Outcome tree but for the leaves' spans (a leaf's Outcome is the one said)."""
    if (plain.kind, plain.truth, plain.reasons, plain.missing) != (compiled.kind, compiled.truth, compiled.reasons, compiled.missing):
        return False
    if len(plain.children) != len(compiled.children) or (plain.children and plain.span != compiled.span):
        return False
    return all(_same(a, b) for a, b in zip(plain.children, compiled.children))


def _compare(patients, trials) -> tuple[int, int]:
    """Every criterion with record leaves, for each patient, its leaves said as the patient's
    and as stand-ins; one compiled function per criterion for all. (compared, templates)."""
    compiled: dict[int, object] = {}
    compared = templates = 0
    for patient in patients:
        for trial in trials:
            for prepared in every_prepared(screening._prepared(trial)):
                if prepared.tree is None or prepared.leaves is None:
                    continue
                polarity = 1 if prepared.criterion.section == "inclusion" else -1
                if id(prepared) not in compiled:
                    compiled[id(prepared)] = compile_tree(prepared.tree, polarity=polarity, windowed=prepared.windowed)
                run = compiled[id(prepared)]
                assert run is not None, prepared.criterion.text  # (only a condition judged by its onset is not compiled)
                entries = leaf_verdicts(prepared.leaves, patient, as_of=AS_OF)
                for stand_ins in (False, True):
                    if stand_ins and any(e[2] is None for e in entries):
                        continue
                    said: dict = {}
                    for i, ((key, _node), entry) in enumerate(zip(prepared.leaves, entries)):
                        said.setdefault(key, screening._stand_in(entry, i) if stand_ins else entry[0])
                    plain = evaluate_as_said(
                        prepared.tree, said, as_of=AS_OF, open_world=False, polarity=polarity, windowed=prepared.windowed, leaves_known=True
                    )
                    got = judged_as_said(run, said)
                    where = (patient.id, trial.trial_id, prepared.criterion.text)
                    assert (plain is None) == (got is None), where
                    if plain is None:
                        continue
                    assert _same(plain, got), where
                    assert screening._verdict(prepared, plain) == screening._verdict(prepared, got), where
                    compared += 1
                    templates += stand_ins
    return compared, templates


def test_compiled_trees_judge_synthetic_patients_as_the_plain_evaluator():
    patients = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(16, 80, as_of=AS_OF))]
    compared, templates = _compare(patients, _trials())
    assert compared > 5000 and templates > 1000


def test_compiled_trees_judge_synthea_patients_as_the_plain_evaluator():
    bundles = sorted(SYNTHEA.glob("*.json"))[:4] if SYNTHEA.is_dir() else []
    if not bundles:
        pytest.skip("../shared/data/synthea_fhir_r4_smart is not beside this checkout")
    compared, _ = _compare([load_patient(b) for b in bundles], _trials())
    assert compared > 200


def test_screening_with_compiled_trees_is_screening_without(monkeypatch):
    """Whole results (every criterion's status, reasons, missing data, sub-items) with the
    templates made by the compiled trees and by the plain evaluator."""
    patients = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(17, 60, as_of=AS_OF))]
    trials = _trials()
    for name in ("_ALIKE", "_SHAPED", "_COMPILED"):
        monkeypatch.setattr(screening, name, {})
    compiled = screening.screen(patients, trials, as_of=AS_OF)
    # compiled at a criterion's second template (none a tree cannot be compiled for)
    made = [entry[1] for entry in screening._COMPILED.values() if entry[1] is not screening._ONE_TEMPLATE]
    assert len(made) > 20 and None not in made
    for name in ("_ALIKE", "_SHAPED"):
        monkeypatch.setattr(screening, name, {})
    monkeypatch.setattr(screening, "_compiled", lambda prepared: None)
    assert screening.screen(patients, trials, as_of=AS_OF) == compiled


def test_a_condition_judged_by_its_onset_is_not_compiled():
    """'Diagnosis of type 2 diabetes in the last 12 months': its condition reads when it
    began, which its leaf's truth does not say; left to the plain evaluator."""
    tree = screening._parsed("Diagnosis of type 2 diabetes in the last 12 months")
    assert compile_tree(tree, polarity=1, windowed=False) is None


# --- trees drawn by hypothesis -------------------------------------------------------------

_SPAN = iter(range(1, 10**9))


def _span() -> Span:
    start = next(_SPAN)
    return Span(start=start, end=start + 1)


_LEAVES = st.sampled_from((
    lambda: Condition(concept="pregnancy", span=_span()),
    lambda: Condition(concept="lactation", span=_span()),
    lambda: Condition(concept="hypertension", span=_span()),
    lambda: Condition(concept="allergy", span=_span()),
    lambda: Condition(concept="malignant neoplastic disease", span=_span()),
    lambda: Condition(concept="basal cell carcinoma of skin", span=_span()),
    lambda: Medication(concept="trastuzumab", span=_span()),
    lambda: Medication(concept="corticosteroid", span=_span()),
    lambda: Sex(sexes=("male",), span=_span()),
    lambda: Sex(sexes=("female",), span=_span()),
    lambda: Comparison(measure="hemoglobin", op=">=", threshold=Threshold(value=Decimal(9), unit="g/dL"), span=_span()),
    lambda: Comparison(measure="age", op=">=", threshold=Threshold(value=Decimal(18), unit="years"), span=_span()),
    lambda: Unparsed(text="other metabolic disease", span=_span()),
    lambda: Judgment(category="investigator_opinion", text="in the opinion of the investigator", span=_span()),
)).map(lambda make: make())


def _extend(inner):
    items = st.lists(inner, min_size=1, max_size=4).map(tuple)
    words = st.lists(
        st.sampled_from(("uncontrolled", "severe", "known", "other")).map(lambda t: Modifier(text=t, span=_span()))
        | st.sampled_from(("clinically significant", "requiring treatment")).map(lambda t: Unparsed(text=t, span=_span())),
        min_size=1, max_size=2,
    ).map(tuple)
    return st.one_of(
        items.map(lambda i: AllOf(items=i, span=_span())),
        items.map(lambda i: AnyOf(items=i, span=_span())),
        items.map(lambda i: Each(items=i, span=_span())),
        inner.map(lambda i: Not(item=i, span=_span())),
        st.tuples(inner, inner).map(lambda p: Conditional(condition=p[0], then=p[1], span=_span())),
        st.tuples(st.sampled_from(("unless", "except")), inner, inner).map(lambda p: Exception_(mode=p[0], main=p[1], exception=p[2], span=_span())),
        st.tuples(inner, words).map(lambda p: Qualified(item=p[0], qualifiers=p[1], span=_span())),
        st.one_of(st.none(), inner).map(lambda i: Permission(item=i, words="allowed", span=_span())),
    )


_TREES = st.recursive(_LEAVES, _extend, max_leaves=8)
_SAID = st.tuples(st.sampled_from(tuple(Truth)), st.sampled_from(((), ("a value",), ("a value", "a date"))))


@settings(max_examples=300, deadline=None)
@given(tree=_TREES, polarity=st.sampled_from((1, -1)), windowed=st.booleans(), data=st.data())
def test_compiled_trees_of_drawn_trees_say_what_the_plain_evaluator_says(tree, polarity, windowed, data):
    leaves = record_leaves(tree, windowed=windowed, polarity=polarity)
    assert leaves is not None
    run = compile_tree(tree, polarity=polarity, windowed=windowed)
    assert run is not None
    for _ in range(3):  # the same compiled function for several sayings: its tables kept
        said: dict = {}
        for n, (key, node) in enumerate(leaves):
            truth, missing = data.draw(_SAID)
            if type(node) is _Aside:
                kind = data.draw(st.sampled_from((_NOTHING_ASIDE, _SET_ASIDE)))
                said[key] = Outcome(kind=kind, truth=truth, reasons=(f"set aside {n}",))
            else:
                said[key] = Outcome(kind=node.kind, truth=truth, reasons=(f"leaf {n}",), missing=missing if truth is Truth.UNKNOWN else ())
        plain = evaluate_as_said(tree, said, as_of=AS_OF, open_world=False, polarity=polarity, windowed=windowed, leaves_known=True)
        got = judged_as_said(run, said)
        assert plain is not None and got is not None
        assert _same(plain, got)
        # and what a criterion's verdict reads of it
        prepared = screening._Prepared(
            Criterion(section="inclusion" if polarity > 0 else "exclusion", text="-"), tree, tree, "-", windowed, None, None, None, ()
        )
        assert screening._verdict(prepared, plain) == screening._verdict(prepared, got)
