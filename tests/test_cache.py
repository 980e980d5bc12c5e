"""The on-disk parse cache (engine.cache) and the work screening does once per trial: a cached
tree is the tree `parse` gives, a change of parser or vocabulary starts afresh, two processes
may write at once, a corrupt entry is parsed again, and screening gives the same JSON with
and without any of it."""

from __future__ import annotations

import importlib
import json
import multiprocessing
import sqlite3
import sys
from datetime import date
from pathlib import Path

import pytest

import engine
from engine import cache
from engine.derive import _match_record, match_record
from engine.nodes import Predicate
from engine.parse import parse
from engine.render import render
from engine.trials import load_trials, rules_dir
from engine.vocab import load_vocabulary

ROOT = Path(__file__).resolve().parents[1]
screening = importlib.import_module("engine.screen")  # `engine.screen` is also the function
TEXTS = [
    "ANC >= 1500/uL",
    "AST/ALT ≤ 2.5 × ULN",
    "No history of myocardial infarction within 6 months prior to enrollment",
    "Pregnant or breastfeeding women",
    "ECOG performance status 0-2",
    "Lansky (age < 16 years) or Karnofsky (age ≥ 16 years) score of 50 or greater",
]


@pytest.fixture
def folder(tmp_path, monkeypatch) -> Path:
    """A cache of its own for one test, with nothing remembered in the process."""
    monkeypatch.setenv(cache.ENV, str(tmp_path))
    cache._STORES.clear()
    yield tmp_path
    cache._STORES.clear()


def _same(a: Predicate, b: Predicate) -> bool:
    return a == b and a.model_dump_json() == b.model_dump_json() and render(a) == render(b)


def test_a_cached_tree_is_the_parsed_tree(folder):
    first = cache.parse_many(TEXTS)
    assert list(cache.store().path.parent.glob("trees-*.sqlite3"))
    cache._STORES.clear()
    again = cache.parse_many(TEXTS)
    for text in TEXTS:
        assert _same(first[text], parse(text))
        assert _same(again[text], parse(text))
    assert len(cache.store().get_many(TEXTS)) == len(TEXTS)


def test_repeated_texts_are_parsed_once_and_all_returned(folder):
    result = cache.parse_many([TEXTS[0], TEXTS[1], TEXTS[0]])
    assert list(result) == [TEXTS[0], TEXTS[1]]


@pytest.mark.parametrize("off", ["off", "OFF", "", "0"])
def test_the_cache_can_be_turned_off(monkeypatch, tmp_path, off):
    monkeypatch.setenv(cache.ENV, off)
    monkeypatch.chdir(tmp_path)
    assert cache.cache_dir() is None and cache.store() is None
    assert _same(cache.parse_many(TEXTS[:1])[TEXTS[0]], parse(TEXTS[0]))
    assert not list(tmp_path.iterdir())


def test_default_folder_follows_xdg(monkeypatch, tmp_path):
    monkeypatch.delenv(cache.ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "elig"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "elig"


def test_a_new_grammar_or_vocabulary_version_starts_a_new_cache(folder, monkeypatch):
    cache.parse_many(TEXTS)
    old = cache.store()
    for changed in ("grammar_version", "_vocabulary_version"):
        cache.parser_version.cache_clear()
        cache._STORES.clear()
        monkeypatch.setattr(cache, changed, lambda: "something else")
        new = cache.store()
        assert new.version != old.version and new.path != old.path
        assert new.get_many(TEXTS) == {}, f"a change of {changed} must not reuse old trees"
        monkeypatch.undo()
        monkeypatch.setenv(cache.ENV, str(folder))
    cache.parser_version.cache_clear()
    assert cache.parser_version() == old.version


def test_an_entry_stored_under_another_version_is_not_trusted(folder):
    cache.parse_many(TEXTS[:1])
    path = cache.store().path
    foreign = cache.TreeStore(folder, "0" * 16)
    foreign.path = path  # the same file, read as another version would
    assert foreign.get_many(TEXTS[:1]) == {}


def _corrupt(path: Path, text: str, payload: bytes, digest: bytes | None = None) -> None:
    with sqlite3.connect(path) as db:
        if digest is None:
            db.execute("UPDATE trees SET tree = ? WHERE text = ?", (payload, text))
        else:
            db.execute("UPDATE trees SET tree = ?, digest = ? WHERE text = ?", (payload, digest, text))


@pytest.mark.parametrize(
    "payload, sign",
    [
        (b"\x00garbage", False),  # bytes changed on disk: the digest no longer matches
        (b'{"kind": "comparison"}', True),  # a well-signed entry that is not a tree
        (b"{not json", True),
        (b'{"kind":"unparsed","text":"something else","span":{"start":0,"end":1}}', False),
    ],
)
def test_a_corrupt_entry_is_parsed_again_and_replaced(folder, payload, sign):
    text = TEXTS[1]
    cache.parse_many([text])
    tree_store = cache.store()
    _corrupt(tree_store.path, text, payload, cache._digest(tree_store.version, text, payload) if sign else None)
    assert tree_store.get_many([text]) == {}
    assert _same(cache.parse_many([text])[text], parse(text))
    assert _same(tree_store.get_many([text])[text], parse(text)), "the bad entry is replaced"


def test_a_database_that_is_not_one_is_ignored(folder):
    cache.parse_many(TEXTS[:1])
    path = cache.store().path
    cache._STORES.clear()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    assert _same(cache.parse_many(TEXTS[:2])[TEXTS[1]], parse(TEXTS[1]))


def test_a_folder_that_cannot_be_made_is_ignored(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(cache.ENV, str(blocker / "cache"))
    cache._STORES.clear()
    assert _same(cache.parse_many(TEXTS[:1])[TEXTS[0]], parse(TEXTS[0]))
    cache._STORES.clear()


def test_many_texts_are_parsed_in_processes_to_the_same_trees(folder, monkeypatch):
    monkeypatch.setattr(cache, "PARALLEL_FROM", 4)
    monkeypatch.setattr(cache, "_PARSE_CHUNK", 3)
    texts = TEXTS + [f"ANC >= {n}/uL" for n in range(500, 510)]
    trees = cache.parse_many(texts, workers=2)
    assert list(trees) == texts
    assert all(_same(trees[t], parse(t)) for t in texts)
    stored = cache.store().get_many(texts)
    assert all(_same(stored[t], parse(t)) for t in texts)


def _writer(folder: str, texts: list[str], queue) -> None:
    import os

    os.environ[cache.ENV] = folder
    try:
        for _ in range(3):
            cache._STORES.clear()
            cache.parse_many(texts)
        queue.put(None)
    except BaseException as exc:  # reported to the test, which fails with it
        queue.put(repr(exc))


def test_two_processes_writing_at_once(folder):
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    texts = TEXTS + [f"ANC >= {n}/uL" for n in range(500, 700)]
    workers = [context.Process(target=_writer, args=(str(folder), texts[i::2] + texts, queue)) for i in range(2)]
    for w in workers:
        w.start()
    errors = [queue.get(timeout=240) for _ in workers]
    for w in workers:
        w.join(timeout=60)
    assert errors == [None, None]
    assert all(w.exitcode == 0 for w in workers)
    stored = cache.store().get_many(texts)
    assert set(stored) == set(texts)
    assert all(_same(stored[t], parse(t)) for t in texts)


# --------------------------------------------------------------- screening once per trial


def _examples():
    return [engine.load_patient(p) for p in sorted((ROOT / "examples").glob("*.json"))]


def _trials(shared: Path | None) -> list:
    trials = load_trials(rules_dir() / "trials")
    if shared is not None:
        corpus = [t for f in sorted((shared / "corpus").glob("*.jsonl")) for t in load_trials(f)]
        trials += corpus[::97]  # about twenty trials from every source of the corpus
    return trials


def _forget() -> None:
    """Nothing remembered in the process: trees, prepared trials and criteria, record matches."""
    screening._parsed.cache_clear()
    screening._PREPARED.clear()
    screening._SAME.clear()
    screening._ALIKE.clear()
    cache._STORES.clear()
    import engine.derive

    engine.derive._MATCHES.clear()
    engine.derive._LAST_MATCHES = (None, {})
    engine.derive._KIND_INDEX.clear()
    _forget_leaves()


def _forget_leaves() -> None:
    """The leaf Outcomes remembered for the patient last evaluated (engine.evaluate)."""
    evaluation = sys.modules["engine.evaluate"]
    evaluation._LAST_LEAVES = (None, {})
    evaluation._SILENT.clear()


def _reference(patients, trials, as_of: date) -> dict:
    """Screening as it was before trees were cached and trials prepared: each criterion
    parsed where it is judged, the tree walked for every patient."""
    out = []
    for patient in patients:
        results = []
        for trial in trials:
            criteria = tuple(screening._cap_flat_lists(trial.criteria, [_reference_criterion(c, patient, as_of) for c in trial.criteria]))
            criteria += tuple(screening._no_inclusion(trial))
            criteria += tuple(screening._alive(patient, as_of))
            statuses = [c.status for c in criteria]
            status = "ineligible" if "fail" in statuses else "eligible" if all(s == "pass" for s in statuses) else "unknown"
            results.append(screening.TrialResult(trial_id=trial.trial_id, title=trial.title, status=status, criteria=criteria, unknown=statuses.count("unknown"), source=trial.source))
        results.sort(key=lambda r: (screening._RANK[r.status], r.unknown if r.status == "unknown" else 0, r.trial_id))
        out.append(
            screening.PatientResult(
                patient_id=patient.id,
                trials=tuple(results),
                source=patient.source,
                summary=screening.summarize(patient, as_of),
                collect_next=screening.collect_next(results),
            )
        )
    return screening.ScreenResult(as_of=as_of, patients=tuple(out)).model_dump(mode="json")


def _reference_criterion(criterion, patient, as_of):
    if criterion.origin == "structured" and criterion.text.startswith(screening.HEALTHY_VOLUNTEERS):
        return screening._healthy_volunteers(criterion)
    own = parse(criterion.canonical or criterion.text)
    tree = _reference_tree(own, criterion)
    _forget_leaves()  # each leaf judged where it stands
    outcome = engine.evaluate(tree, patient, as_of=as_of, polarity=1 if criterion.section == "inclusion" else -1)
    raw = outcome
    if criterion.canonical is None:
        outcome = screening._reversal_not_understood(outcome, screening._reversal_piece(own) or screening._inclusion_voice(own, criterion))
        outcome = screening._subject_read_as_requirement(outcome, screening._subject_as_requirement(own, criterion))
        if not criterion.children and screening._DEFINED_LIST.search(criterion.text) and outcome.truth is not engine.Truth.UNKNOWN:
            reason = (
                "its words are defined by the items after it ('including any of the following:', 'defined as:'), which decide, "
                f"not the words alone; it would otherwise be {outcome.truth.value}"
            )
            outcome = outcome.model_copy(update={"truth": engine.Truth.UNKNOWN, "reasons": (reason, *outcome.reasons)})
        cut = screening._cut_off(criterion)
        if cut and outcome.truth is not engine.Truth.UNKNOWN:
            reason = f"the text is cut off ('{cut}'): what follows could change the verdict, which would otherwise be {outcome.truth.value}"
            outcome = outcome.model_copy(update={"truth": engine.Truth.UNKNOWN, "reasons": (reason, *outcome.reasons)})
    return screening.CriterionResult(
        section=criterion.section,
        text=criterion.text,
        status=screening._status(outcome.truth, criterion.section),
        # the caps' reasons first, then the tree's, deciding first (a cap on a conditional
        # root goes before its condition)
        reasons=tuple(dict.fromkeys((*outcome.reasons[: len(outcome.reasons) - len(raw.reasons)], *_reference_flatten(outcome, "reasons")))),
        missing=_reference_flatten(outcome, "missing"),
        children=tuple(_reference_criterion(c, patient, as_of) for c in criterion.children),
        canonical=render(own),
        curated=criterion.canonical is not None,
    )


def _reference_flatten(outcome, field: str) -> tuple[str, ...]:
    """The reasons' order as screening first wrote it (nested generators), to check the faster walk."""
    seen: dict[str, None] = {}
    for o in _reference_deciding_first(outcome):
        for item in getattr(o, field):
            seen.setdefault(item, None)
    return tuple(seen)


def _reference_deciding_first(outcome):
    children = outcome.children
    if outcome.kind in ("exception", "conditional") and len(children) == 2:
        first, second = children
        if outcome.kind == "conditional" and first.truth is not engine.Truth.FALSE:
            first, second = second, first
        yield from _reference_deciding_first(first)
        yield outcome
        yield from _reference_deciding_first(second)
        return
    yield outcome
    if outcome.kind in screening._CONNECTIVES:
        children = sorted(children, key=lambda c: c.truth is not outcome.truth)
    for child in children:
        yield from _reference_deciding_first(child)


def _reference_tree(own, criterion):
    saved = screening.criterion_predicate
    screening.criterion_predicate = lambda c: parse(c.canonical or c.text)
    try:
        return screening._with_children(own, criterion)
    finally:
        screening.criterion_predicate = saved


def test_screening_is_the_same_with_and_without_the_cache(folder, monkeypatch, request):
    shared = request.getfixturevalue("shared_data") if (ROOT.parent / "shared" / "data").is_dir() else None
    patients, trials, as_of = _examples(), _trials(shared), date(2026, 6, 1)
    reference = json.dumps(_reference(patients, trials, as_of), sort_keys=True)
    _forget()
    monkeypatch.setenv(cache.ENV, "off")
    uncached = json.dumps(engine.screen(patients, trials, as_of=as_of).model_dump(mode="json"), sort_keys=True)
    monkeypatch.setenv(cache.ENV, str(folder))
    _forget()
    filling = json.dumps(engine.screen(patients, trials, as_of=as_of).model_dump(mode="json"), sort_keys=True)
    _forget()
    from_disk = json.dumps(engine.screen(patients, trials, as_of=as_of).model_dump(mode="json"), sort_keys=True)
    again = json.dumps(engine.screen(patients, trials, as_of=as_of).model_dump(mode="json"), sort_keys=True)
    assert len(cache.store().get_many(c.text for t in trials for c in t.criteria if c.origin == "text")) > 0
    assert uncached == reference
    assert filling == reference
    assert from_disk == reference
    assert again == reference


def test_record_matches_are_remembered_right():
    vocab = load_vocabulary()
    concepts = [c for kind in ("condition", "drug", "drug_class", "procedure", "measure") for c in vocab.concepts(kind)]
    records = [r for p in _examples() for r in (*p.observations, *p.conditions, *p.medications, *p.procedures)]
    assert concepts and records
    for concept in concepts:
        for record in records:
            for exact in (False, True):
                expected = _match_record(vocab, concept, record.codings, record.text, exact)
                assert match_record(vocab, concept, record.codings, record.text, exact_tests=exact) is expected
                assert match_record(vocab, concept, record.codings, record.text, exact_tests=exact) is expected
