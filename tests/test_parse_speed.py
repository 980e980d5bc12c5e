"""The parser's fast paths (issue 7) give what the slower, plainer code they replace gives."""

from __future__ import annotations

import sys

import pytest
from lark import Token
from lark.exceptions import UnexpectedInput

from engine.lexicon import Tok, tokenize
from engine.normalize import fold

P = sys.modules["engine.parse"]  # the module, not engine.parse the function

TEXTS = [
    "age >= 18 years",
    "ANC >= 1.5 x 10^9/L and platelets >= 100,000/uL",
    "Coagulopathy with INR (international normalized ratio) > 1.5 not correctable or thrombocytopenia <50000 / mm3 not correctable.",
    "No chemotherapy within 4 weeks prior to enrollment, unless approved by the sponsor",
    "History of myocardial infarction, stroke, or unstable angina (within 6 months)",
    "Pregnant or breast-feeding women",
    "Life expectancy of at least 12 weeks",
    "(",
    "unless",
    "and or and",
]


def test_build_has_no_token_callbacks():
    # _Build is told not to visit tokens (visit_tokens=False): a method named after a token
    # type would never be called
    named = [n for n in dir(P._Build) if n.isupper() and not n.startswith("_")]
    assert named == []


@pytest.mark.parametrize("text", TEXTS)
def test_lalr_loop_is_larks_parse(text):
    tokens = [P._lark_token(t) for t in tokenize(fold(text))]
    try:
        expected = P.parser().parse(tokens)
    except UnexpectedInput as exc:
        with pytest.raises(type(exc)):
            P._lalr(tokens)
    else:
        assert P._lalr(tokens) == expected


@pytest.mark.parametrize("types", [["RPAR"], ["OP"], ["AND"], ["NUMBER", "UNIT", "UNIT"], ["LPAR", "WORD"], ["WORD", "OR"], ["WORD", "RPAR", "WORD"]])
def test_lalr_loop_fails_as_lark_does(types):
    # sequences the lexicon never hands over: lark raises for them, and so does the loop,
    # with the same token (engine.parse retries from it)
    tokens = [P._lark_token(Tok(t, i, i + 1, None, "x")) for i, t in enumerate(types)]
    with pytest.raises(UnexpectedInput) as lark_exc:
        P.parser().parse(tokens)
    with pytest.raises(UnexpectedInput) as loop_exc:
        P._lalr(tokens)
    assert type(loop_exc.value) is type(lark_exc.value)
    assert (loop_exc.value.token.type, loop_exc.value.token.start_pos) == (lark_exc.value.token.type, lark_exc.value.token.start_pos)
    assert loop_exc.value.expected == lark_exc.value.expected


def test_lark_token_fields():
    tok = tokenize(fold("ANC >= 500/uL"))[1]
    made = P._lark_token(tok)
    assert isinstance(made, Token)
    assert (made.type, made.value, made.start_pos, made.end_pos) == (tok.type, tok, tok.start, tok.end)


@pytest.mark.parametrize("text", TEXTS + ["at least 18 years of age", "an ECOG of 0-1, and adequate organ function", "or equivalent, or a"])
def test_phrase_regex_at_a_pair_is_the_whole_alternation(text):
    # the spellings cut by the next two characters take the same spelling as all of them
    lexicon = sys.modules["engine.lexicon"]
    whole, _ = lexicon._phrase_regex()
    folded = fold(text)
    for pos in range(len(folded)):
        cut = lexicon._phrase_regex_at(folded[pos : pos + 2])
        got = cut.match(folded, pos) if cut is not None else None
        want = whole.match(folded, pos)
        assert (got and (got.lastgroup, got.end())) == (want and (want.lastgroup, want.end())), (text, pos)


@pytest.mark.parametrize(
    ("pattern", "pairs"),
    [
        ("or equivalent", {"or"}),
        ("adults?", {"ad"}),
        ("(?:the )?randomi[sz]ation", {"th", "ra"}),
        (r"and\s*/\s*or", {"an"}),
        (r"\(", {"("}),
        ("a(?:ge)?", {"a", "ag"}),
        ("x{0,3}y", {"y", "xy", "xx"}),
        (r"[^a]b", None),
        (r"(?:\s|-)x", None),
    ],
)
def test_beginnings(pattern, pairs):
    got = sys.modules["engine.lexicon"]._beginnings(pattern)
    assert got == (None if pairs is None else frozenset(pairs))
