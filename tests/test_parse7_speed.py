"""The shortcuts of parse7 (issue 7, cold parsing) give what the plainer code they replace
gives: over the canonical criteria and a sample of the corpus when it is beside the checkout."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.limits import tree_depth
from engine.parse import parse

P = sys.modules["engine.parse"]  # the module, not engine.parse the function
IDENTITY = Path(__file__).parent / "fixtures" / "identity.txt"
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpus"
SAMPLE = 1500  # corpus texts, spread over the whole corpus


def _texts() -> list[str]:
    lines = [line for line in IDENTITY.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    files = sorted(SHARED_CORPUS.glob("*.jsonl")) if SHARED_CORPUS.is_dir() else []
    if files:
        from engine.coverage import text_criteria
        from engine.trials import load_trials

        corpus = sorted({c.text for f in files for t in load_trials(f) for c in text_criteria([t])})
        lines += corpus[:: max(1, len(corpus) // SAMPLE)]
    return lines


@pytest.fixture(scope="module")
def trees() -> list:
    out = []
    for text in _texts():
        try:
            out.append(parse(text))
        except Exception:  # noqa: BLE001 - texts that fail to parse have no tree to check
            continue
    return out


def _tree_depth_by_every_field(node) -> int:
    """`limits.tree_depth` as it was before parse7: every field of every node asked."""
    deepest = 0
    stack = [(node, 1)]
    while stack:
        n, depth = stack.pop()
        deepest = max(deepest, depth)
        for name in type(n).model_fields:
            value = getattr(n, name)
            for child in value if isinstance(value, tuple) else (value,):
                if hasattr(child, "kind") and hasattr(type(child), "model_fields"):
                    stack.append((child, depth + 1))
    return deepest


def test_tree_depth_reads_the_fields_that_hold_nodes(trees):
    assert len(trees) > 50
    for tree in trees:
        assert tree_depth(tree) == _tree_depth_by_every_field(tree), tree


def test_tree_depth_counts_a_dose_and_qualifiers():
    from engine.nodes import Comparison, Medication, Not, Qualified, Threshold, Unparsed

    dose = Comparison(measure="daily dose", op=">", threshold=Threshold(value=10, unit="mg"))
    med = Medication(concept="prednisone", dose=dose)
    assert tree_depth(med) == 2 == _tree_depth_by_every_field(med)
    q = Not(item=Qualified(item=med, qualifiers=(Unparsed(text="x"),)))
    assert tree_depth(q) == 4 == _tree_depth_by_every_field(q)


def test_lalr_loop_builds_what_the_transformer_builds():
    # the loop calls `_Build` functions with the children instead of lark's Tree(name,
    # children) and steps over '?rule' pass-throughs in place: the same tree, built or not
    from lark.exceptions import UnexpectedInput

    from engine.lexicon import tokenize
    from engine.normalize import fold

    checked = 0
    for text in _texts():
        folded = fold(text)
        tokens = [P._lark_token(t) for t in tokenize(folded)]
        try:
            tree = P.parser().parse(tokens)
        except UnexpectedInput:
            continue
        assert P._lalr(tokens) == tree
        built = P._lalr(tokens, P._Build(text, folded))
        if built is P._REPLAY:
            continue
        assert built == P._Build(text, folded).transform(tree), text
        checked += 1
    assert checked > 50


class _Always:
    """Stands for `lexicon._AROUND_NUMBERS` so that the block it guards always runs."""

    def isdisjoint(self, _other) -> bool:
        return False


def test_readings_around_numbers_change_nothing_without_them(monkeypatch):
    # `_contextualized` skips its first block of readings where no token is a number, a
    # measure, a unit, a time unit or a normal limit: run always, they give the same tokens
    from engine import lexicon
    from engine.normalize import fold

    texts = _texts() + ["No prior chemotherapy", "Pregnant or breastfeeding women", "non-smokers", "I. Inclusion", "a) consent; b) history of stroke"]
    guarded = [lexicon.tokenize(fold(t)) for t in texts]
    monkeypatch.setattr(lexicon, "_AROUND_NUMBERS", _Always())
    always = [lexicon.tokenize(fold(t)) for t in texts]
    assert guarded == always
    plain = [t for t, toks in zip(texts, guarded) if not {x.type for x in toks} & {"NUMBER", "MEASURE", "UNIT", "TIMEUNIT", "ULN"}]
    assert len(plain) > 20  # the skip is exercised


def test_quick_init_makes_the_dataclass_instances():
    import dataclasses

    @dataclasses.dataclass(frozen=True, slots=True)
    class Plain:
        kind: str
        value: object
        start: int
        end: int = 0
        raw: object = None

    Quick = P._quick_init(dataclasses.dataclass(frozen=True, slots=True)(type("Quick", (), {"__annotations__": dict(Plain.__annotations__), "end": 0, "raw": None})))
    for args, kwargs in [(("WORD", "x", 1, 2), {}), (("NUMBER", 3, 4), {}), (("A",), {"value": None, "start": 5, "raw": (1,)})]:
        a, b = Quick(*args, **kwargs), Plain(*args, **kwargs)
        assert dataclasses.astuple(a) == dataclasses.astuple(b)
        assert hash(a) == hash(b) and repr(a).partition("(")[2] == repr(b).partition("(")[2]
        with pytest.raises(dataclasses.FrozenInstanceError):
            a.kind = "other"
    with pytest.raises(TypeError):
        Quick("A")  # a field without a default is still required
    for cls, args in [(P.Atom, ("WORD", "x", 1, 2)), (P.Clause, ((P.Atom("WORD", "x", 1, 2),), 1, 2))]:
        made = cls(*args)
        assert dataclasses.astuple(made) == dataclasses.astuple(cls(**dict(zip([f.name for f in dataclasses.fields(cls)], args))))
        assert made == cls(*args) and hash(made) == hash(cls(*args))
