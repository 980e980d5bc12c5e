"""The shortcuts of parse16 (issue 7, cold parsing) give what the plainer code they replace
gives: over the canonical criteria and a sample of the corpus when it is beside the checkout
(the texts of tests/test_parse11_speed.py)."""

from __future__ import annotations

import re
import sys

import pytest

from engine.normalize import fold
from engine.prefilter import _Guarded, needs_words
from tests.test_parse11_speed import _UNICODE_CASES, _texts


def _module(name: str):
    import engine.parse  # noqa: F401  (engine.lexicon with it)

    return sys.modules[name]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return _texts() + _UNICODE_CASES


# --- regexes rebound at the end of parse.py and lexicon.py -------------------------------


def test_the_searches_added_since_parse11_are_guarded():
    P = _module("engine.parse")
    for name in ("_WASHOUT_TIME", "_ABSORPTION_OF", "_ALLOWING_WORD", "_HISTORY_OR_NOW", "_INTERFERES"):
        assert isinstance(getattr(P, name), _Guarded), name
    assert isinstance(_module("engine.lexicon")._PERMISSION_WORDS, _Guarded)


def test_guarded_finditer_finds_what_the_regex_finds(texts):
    # '_HISTORY_OR_NOW' is asked with finditer ('Current or past infection with HIV, HBV, or HCV')
    P = _module("engine.parse")
    guarded = [getattr(P, name) for name in dir(P) if isinstance(getattr(P, name), _Guarded)]
    for g in guarded:
        for text in texts:
            for t in (text, fold(text)):
                assert [m.span() for m in g.finditer(t)] == [m.span() for m in g.compiled.finditer(t)], (g.pattern, t)
    said = P._HISTORY_OR_NOW.finditer("current or past infection with hiv, hbv, or hcv")
    assert [m.group(0) for m in said] == ["current or past"]


def test_a_text_that_lacks_the_words_holds_no_match_in_any_piece():
    # `_permission_sentence` skips its sentences where the whole text lacks them
    L = _module("engine.lexicon")
    g = L._PERMISSION_WORDS
    text = fold("Active brain metastases. Patients with brain metastases treated and stable for 4 weeks are eligible.")
    assert not g.lacks(text) and g.compiled.search(text)
    plain = fold("Active brain metastases. Patients with brain metastases treated and stable for 4 weeks.")
    assert g.lacks(plain)
    assert not g.lacks("eligible\u017f")  # not ASCII: left to the regex
    for rx in (re.compile(r"\bab(?:c|d)\b"), re.compile(r"x+y", re.I)):
        guard = needs_words(rx)
        for text in ("ab c", "abd", "xxy", "XY", "a b", "y x", "abce"):
            if guard.lacks(text):
                assert not any(rx.search(text[i:j]) for i in range(len(text) + 1) for j in range(i, len(text) + 1)), (rx, text)


def test_permission_sentences_read_as_before_with_the_guard(texts, monkeypatch):
    L = _module("engine.lexicon")
    from engine.lexicon import tokenize

    def toks(items):
        return [[(t.type, t.start, t.end, str(t.value)) for t in tokenize(fold(x))] for x in items]

    sample = texts[::3]
    guarded = toks(sample)
    monkeypatch.setattr(L, "_PERMISSION_WORDS", type("Never", (), {"lacks": staticmethod(lambda text: False)})())
    assert toks(sample) == guarded
    # and the reading the guard stands before is still there
    [line] = toks(["Current known infection with HIV. Patients with past HBV infection are eligible."])
    assert ("UNLESS", 32) == line[[t[0] for t in line].index("UNLESS")][:2]


# --- pure helpers remembered --------------------------------------------------------------


def test_remembered_helpers_answer_as_the_plain_ones(texts):
    P = _module("engine.parse")
    words = {w for text in texts for w in re.split(r"[,;]", text)} | {"uncontrolled", "within 6 months", " (metastatic) ", "due to CKD"}
    for name in ("_only_narrows", "is_lookback"):
        remembered = getattr(P, name)
        plain = remembered.__wrapped__
        for w in sorted(words):
            assert remembered(w) == plain(w), (name, w)
    assert P._only_narrows("uncontrolled") and P.is_lookback("within 6 months")
    assert not P._only_narrows("hypertension") and not P.is_lookback("after 6 months")


# --- _if_opened asks for its case first -------------------------------------------------


@pytest.mark.parametrize(
    "text, conditional",
    [
        # NCT05076760
        ("If Alkaline Phosphatase >= 2.5 x institutional ULN, then AST and ALT must be <= 1.5 x institutional ULN", True),
        # NCT04305834
        ("If the patient has liver metastases, ALT and AST < 5 x ULN", True),
        # a sentence of its own after the case: not the case's
        ("If the patient has liver metastases, ALT < 5 x ULN. Bilirubin <= 1.5 x ULN and AST < 5 x ULN", False),
        ("ALT and AST < 2.5 x ULN, bilirubin <= 1.5 x ULN", False),
    ],
)
def test_a_case_opens_the_chain_only_where_it_is_written(text, conditional):
    from engine.nodes import Conditional, walk
    from engine.parse import parse

    node = parse(text)
    top = isinstance(node, Conditional) and node.span.start == 0 and node.span.end >= len(text.rstrip(". ")) - 1
    assert top == conditional, node
    if not conditional:
        assert not any(isinstance(n, Conditional) and n.span.start == 0 and n.span.end >= len(text) - 1 for n in walk(node))
