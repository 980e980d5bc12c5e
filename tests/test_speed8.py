"""What speed8 remembers, or reads another way, gives what was read before: the concepts of
a kind, a patient's observations of a measure, a record's kind key, the broader conditions
a record fits, whether a drug record is given locally; and screening puts the collector's
thresholds back."""

from __future__ import annotations

import gc
import importlib
from datetime import date
from pathlib import Path

import pytest

from engine import derive
from engine.logic import Truth
from engine.patients import load_patient
from engine.synth import population
from engine.vocab import load_vocabulary

AS_OF = date(2026, 6, 1)
ROOT = Path(__file__).resolve().parents[1]
ev = importlib.import_module("engine.evaluate")  # the module: `engine.evaluate` is also the function
screening = importlib.import_module("engine.screen")  # the module: `engine.screen` is also the function


@pytest.fixture(scope="module")
def patients():
    found = [load_patient(b, source=f"synth-{i}") for i, b in enumerate(population(5, 40, as_of=AS_OF))]
    return found + [load_patient(p) for p in sorted((ROOT / "examples").glob("*.json"))]


def test_concepts_of_a_kind_are_the_filtered_concepts():
    vocab = load_vocabulary()
    kinds = {c.kind for c in vocab.concepts()}
    assert {"measure", "condition", "drug"} <= kinds
    for _ in range(2):  # the second time from the memo
        for kind in (*sorted(kinds), "no such kind"):
            assert vocab.concepts(kind) == tuple(c for c in vocab.concepts() if c.kind == kind)


def test_observations_of_a_measure_are_those_its_kinds_match(patients):
    vocab = load_vocabulary()
    found = 0
    for patient in patients:
        records = patient.observations
        for concept in vocab.concepts("measure"):
            by_kind = derive._kind_matches(vocab, concept, records, True)[1]
            want = [o for o, kind in zip(records, derive.record_kinds(records)) if by_kind[kind]]
            got = derive.observations_of(vocab, concept, patient)
            assert len(got) == len(want) and all(a is b for a, b in zip(got, want)), (patient.id, concept.name)
            found += len(got)
    assert found > 500


def test_kind_key_remembered_is_the_key_written_out(patients):
    derive._KIND_KEYS.clear()
    seen = 0
    for _ in range(2):  # the second time from the memo
        for patient in patients:
            for record in (*patient.observations, *patient.conditions, *patient.medications, *patient.procedures):
                want = repr((tuple((c.system, c.code, c.display) for c in record.codings), record.text))
                assert derive.kind_key(record.codings, record.text) == want
                seen += 1
    assert seen > 1000 and len(derive._KIND_KEYS) < seen / 2  # records share their Codings


def _broader_records_before(concept, ctx, matches):
    """`evaluate._broader_records` as it was before speed8: a loop over the broader
    concepts, and in each over the records, asking `record_matches`."""
    out = []
    seen = {i for i, m in enumerate(matches) if m is not None}
    own_systems = {system for c in derive.family(ctx.vocab, concept) for system, _ in c.codes}
    broader_ones = ctx.vocab.ancestors(concept)
    above = {(c.kind, c.name) for c in broader_ones}
    for broader in broader_ones:
        for i, (record, matched) in enumerate(zip(ctx.patient.conditions, derive.record_matches(ctx.vocab, broader, ctx.patient.conditions))):
            if matched is None or i in seen or (matched.kind, matched.name) not in above:
                continue
            coded = {(derive.short_system(c.system), c.code) for c in record.codings}
            if any(system in own_systems for system, _ in coded) and not coded & set(matched.codes):
                continue
            if record.onset is not None and record.onset > ctx.as_of:
                continue
            seen.add(i)
            what = f"{ev._record_name(record, matched.name)} (onset {ev._date(record.onset)})"
            out.append((Truth.UNKNOWN, [f"{what} on record: it does not say whether this is {concept.name}"], [concept.name]))
    return out


def test_broader_records_are_those_of_the_loop_over_broader_concepts(patients):
    vocab = load_vocabulary()
    ev._BROADER_OF.clear()
    found = 0
    for _ in range(2):  # the second time from the memo
        for patient in patients:
            ctx = ev._Ctx(patient=patient, as_of=AS_OF, open_world=False, vocab=vocab)
            for concept in vocab.concepts("condition"):
                if not derive.fits_any_broader(vocab, concept, patient.conditions):
                    continue
                matches = derive.record_matches(vocab, concept, patient.conditions)
                want = _broader_records_before(concept, ctx, matches)
                assert ev._broader_records(concept, ctx, matches) == want, (patient.id, concept.name)
                found += len(want)
    assert found > 20


def test_given_locally_is_the_search_of_the_record(patients):
    ev._LOCALLY.clear()
    records = [r for p in patients for r in p.medications]
    answers = set()
    for _ in range(2):  # the second time from the memo
        for record in records:
            want = ev._LOCAL_ROUTE.search(" ".join(filter(None, (record.text, *(c.display for c in record.codings))))) is not None
            assert ev._given_locally(record) is want
            answers.add(want)
    assert len(records) > 50 and False in answers


@pytest.mark.parametrize("before", [(700, 10, 10), (123, 4, 5), (50_000, 20, 2_000_000), (0, 10, 10)])
def test_screening_puts_the_collector_thresholds_back(patients, before):
    trials = screening.load_trial_files([str(screening.bundled_trials_dir())])
    during = []
    old = gc.get_threshold()
    gc.set_threshold(*before)
    gc.callbacks.append(lambda phase, info: during.append(gc.get_threshold()))
    try:
        screening.screen(patients[:3] * 40, trials, as_of=AS_OF)  # a population: 120 patients
        assert gc.get_threshold() == before
    finally:
        gc.callbacks.pop()
        gc.set_threshold(*old)
    if before[0] == 0:  # disabled by its threshold: left so
        assert not during
    else:
        want = (max(before[0], screening._YOUNG), before[1], max(before[2], screening._NO_FULL))
        assert set(during) <= {want, before}
        assert during or before[0] > screening._YOUNG  # a threshold this high: no collection in so short a screening


def test_one_patient_is_screened_with_the_callers_thresholds(patients):
    trials = screening.load_trial_files([str(screening.bundled_trials_dir())])
    during = []
    old = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    gc.callbacks.append(lambda phase, info: during.append(gc.get_threshold()))
    try:
        screening.screen(patients[:1], trials, as_of=AS_OF)
    finally:
        gc.callbacks.pop()
        gc.set_threshold(*old)
    assert set(during) <= {(700, 10, 10)}


def _matches_coding_before(vocab, concept, system, code):
    """`Vocabulary.matches_coding` as it was before speed8: a walk of the family's codes."""
    from engine.vocab import _icd_norm, system_name

    system = system_name(system)
    if system is None:
        return False
    code = code.strip()
    for c in (concept, *vocab.descendants(concept)):
        for s, own in c.codes:
            if s != system:
                continue
            if system == "icd10cm":
                if _icd_norm(code).startswith(_icd_norm(own)):
                    return True
            elif own == code:
                return True
    return False


def test_matches_coding_is_the_walk_of_the_family(patients):
    vocab = load_vocabulary()
    codes = {(c.system, c.code) for p in patients for r in (*p.conditions, *p.medications, *p.procedures, *p.observations) for c in r.codings}
    codes |= {(s, own) for c in vocab.concepts() for s, own in c.codes[:1]}
    codes |= {("icd10cm", "C50"), ("icd10cm", "c50.911 "), ("http://snomed.info/sct", "254837009"), ("cvx", "1"), ("snomed", "")}
    concepts = [c for kind in ("condition", "drug_class", "drug", "procedure", "measure") for c in vocab.concepts(kind)][::3]
    hits = 0
    for _ in range(2):  # the second time from the memo
        for concept in concepts:
            for system, code in sorted(codes):
                want = _matches_coding_before(vocab, concept, system, code)
                assert vocab.matches_coding(concept, system, code) is want, (concept.name, system, code)
                hits += want
    assert hits > 100


def test_minus_remembered_is_minus_now():
    from decimal import Decimal

    from engine.nodes import Duration

    ev._MINUS.clear()
    anchors = [date(2026, 6, 1), date(2024, 2, 29), date(2026, 3, 31), date(1, 1, 5)]
    values = ["1", "6", "6.0", "0.5", "2.25", "10000", "0"]
    units = ["day", "week", "hour", "half_life", "month", "year"]
    half_lives = [None, Decimal("36"), Decimal("36.0"), Decimal("0.5")]
    for _ in range(2):  # the second time from the memo
        for anchor in anchors:
            for value in values:
                for unit in units:
                    for half_life in half_lives:
                        duration = Duration(value=Decimal(value), unit=unit)
                        assert ev._minus(anchor, duration, half_life) == ev._minus_now(anchor, duration, half_life), (anchor, value, unit, half_life)
    assert ev._MINUS
