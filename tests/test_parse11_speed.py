"""The shortcuts of parse11 (issue 7, cold parsing) give what the plainer code they replace
gives: over the canonical criteria and a sample of the corpus when it is beside the checkout."""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

import pytest

from engine.normalize import fold
from engine.prefilter import _Guarded, needs_words

IDENTITY = Path(__file__).parent / "fixtures" / "identity.txt"
SHARED_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "corpus"
SAMPLE = 1500  # corpus texts, spread over the whole corpus


def _texts(sample: int = SAMPLE) -> list[str]:
    lines = [line for line in IDENTITY.read_text(encoding="utf-8").splitlines() if line.strip() and not line.startswith("#")]
    files = sorted(SHARED_CORPUS.glob("*.jsonl")) if SHARED_CORPUS.is_dir() else []
    if files:
        from engine.coverage import text_criteria
        from engine.trials import load_trials

        corpus = sorted({c.text for f in files for t in load_trials(f) for c in text_criteria([t])})
        lines += corpus[:: max(1, len(corpus) // sample)]
    return lines


def _parse_module():
    import engine.parse  # noqa: F401

    return sys.modules["engine.parse"]


# --- engine.prefilter: regexes that ask first for the words they need ----------------------

# texts on which IGNORECASE and str.lower part ways: the guard must leave them to the regex
_UNICODE_CASES = [
    "diagnoſed at age 30",  # long s: matches 's' under IGNORECASE, lowers to itself
    "DİAGNOSED AT AGE 30",  # dotted capital I: lowers to two characters
    "at least 2 of the \u212aollowing",  # no: Kelvin is 'k'; 'following' has none
    "ALLERGY TO PENICILLIN \u2265 2",
    "Life expectancy \u2265 3 months",
    "survıval",  # dotless i
    "ſurvival > 12 weeks",
]


def test_guarded_regexes_of_parse_answer_as_the_regex():
    P = _parse_module()
    guarded = {name: getattr(P, name) for name in dir(P) if isinstance(getattr(P, name), _Guarded)}
    assert {"_AGE_AT_EVENT", "_SOME_OF_THE_FOLLOWING", "_ALLERGY_TO", "_LIFE_EXPECTANCY"} <= set(guarded)
    texts = _texts() + _UNICODE_CASES
    for name, g in guarded.items():
        for text in texts:
            for t in (text, fold(text)):
                for method in ("search", "match", "fullmatch"):
                    got, want = getattr(g, method)(t), getattr(g.compiled, method)(t)
                    assert (got and got.span()) == (want and want.span()), (name, method, t)


def _needs(pattern: str, flags: int = re.I):
    rx = re.compile(pattern, flags)
    g = needs_words(rx)
    return g if g is rx else g.needs


def test_words_are_read_off_the_pattern():
    assert _needs(r"\b(?:is|are)\s+consistent\s+with\b") == ((("consistent",), ("with",), ("are", "is")),)
    # an alternation at the top: each alternative its own words
    assert _needs(r"life.expectancy|survival|expected to live") == ((("expectancy",), ("life",)), (("survival",),), (("expected to live",),))
    assert _needs(r"(?:ab)+c|d") == ((("ab",), ("c",)), (("d",),))
    # nothing required of some alternative, or of the whole: the pattern itself
    assert _needs(r"\s*[:\uff1a]\s*$") == (((":", "\uff1a"),),)  # a class of literals: one of them
    for pattern in (r"(?:abc)?", r"a|\d", r"(?=abc)\w", r"[^a]"):
        rx = re.compile(pattern, re.I)
        assert needs_words(rx) is rx, pattern
    assert _needs(r"(?i:abc)d", 0) == ((("d",),),)  # a scoped flag: its group says nothing
    # a letter that IGNORECASE matches to an ASCII one breaks the run ('\u017f' is 's');
    # one no ASCII letter matches stays in it
    assert _needs(r"\u017fx") == ((("x",),),)
    assert set(_needs(r"\u2265\s*2")[0]) == {("\u2265",), ("2",)}


@pytest.mark.parametrize("seed", range(3))
def test_guard_never_answers_none_where_the_regex_matches(seed):
    # random patterns of words, alternations and repeats against random texts built of
    # their words, mixed case and a few characters that IGNORECASE treats specially
    rng = random.Random(seed)
    words = ["ab", "abc", "for", "x", "kin", "si", "fol", "\u2265", "\u017f", "s\u2265"]
    chars = "abcforxkinsAFOKSI ,.\u017f\u0131\u212a\u0130"

    def piece(depth: int) -> str:
        k = rng.randrange(6 if depth < 2 else 3)
        if k == 0:
            return rng.choice(words)
        if k == 1:
            return rng.choice([r"\s*", r"\w", r".", r"\b", "[ab]", "[^x]"])
        if k == 2:
            return rng.choice(words) + rng.choice(["", "?", "+", "*"])
        if k == 3:
            return "(?:" + "|".join(piece(depth + 1) for _ in range(rng.randrange(1, 4))) + ")"
        if k == 4:
            return "(?:" + piece(depth + 1) + ")" + rng.choice(["", "?", "+", "{2}", "{0,2}"])
        return "(?=" + piece(depth + 1) + ")"

    for _ in range(400):
        flags = rng.choice([0, re.I])
        sequences = ["".join(piece(0) for _ in range(rng.randrange(1, 4))) for _ in range(rng.choice([1, 1, 2, 3]))]
        rx = re.compile(rng.choice(["", r"\b", "^"]) + "|".join(sequences), flags)
        g = needs_words(rx)
        for _ in range(30):
            text = "".join(rng.choice(chars) for _ in range(rng.randrange(0, 12)))
            if rng.random() < 0.5:
                text = text.join(rng.sample(words, 2))
            for method in ("search", "match", "fullmatch"):
                got, want = getattr(g, method)(text), getattr(rx, method)(text)
                assert (got and got.span()) == (want and want.span()), (rx.pattern, flags, text, method)


# --- the assembler's passes skipped by the kinds of element a sequence holds -------------


def _parse_all(texts: list[str]) -> list[str]:
    from engine.parse import parse

    out = []
    for text in texts:
        try:
            out.append(parse(text).model_dump_json())
        except Exception as exc:  # noqa: BLE001 - an error is an answer too, compared as such
            out.append(f"{type(exc).__name__}: {exc}")
    return out


def test_passes_skipped_by_kinds_give_what_every_pass_gives(monkeypatch):
    P = _parse_module()
    texts = _texts()
    assert P._GUARDS is True
    guarded = _parse_all(texts)
    monkeypatch.setattr(P, "_GUARDS", False)
    assert P._kinds([]) is P._EVERY and "ANY" in P._kinds([])
    always = _parse_all(texts)
    assert len(texts) > 1000 or not SHARED_CORPUS.is_dir()
    for text, a, b in zip(texts, guarded, always):
        assert a == b, text


def test_kinds_are_atom_types_and_classes():
    P = _parse_module()
    atom = P.Atom("COLON", ":", 0, 1)
    grp = P.Grp(None, 2, 5)
    assert P._kinds([atom, grp]) == {"COLON", P.Grp}
    # the guards rely on no subclasses of the element classes (a class test by identity)
    for cls in (P.Atom, P.Grp, P.Bnd, P.Rng, P.Qty, P.Win, P.Clause):
        assert cls.__subclasses__() == [], cls


# --- units.comparable from rules/unit_dimensions.json, without the registry --------------


def test_unit_dimensions_file_is_current():
    from engine import units

    units._known_dimensions.cache_clear()
    assert units._known_dimensions() is not None, "rules/unit_dimensions.json is stale: run scripts/unit_dimensions.py"


def test_unit_dimensions_are_pints(monkeypatch):
    from decimal import Decimal

    from engine import units

    known = units._known_dimensions()
    assert known and {"g/dL", "10^9/L", "/uL", "%", "mmHg", "weeks"} <= set(known)
    for unit, dims in known.items():
        assert frozenset(units.dimensions_of(unit).items()) == dims, unit
    spellings = sorted(known)
    with_table = {
        (a, b, m): units.comparable(a, b, molar_mass=m) for a in spellings for b in spellings for m in (None, Decimal("180.16"))
    }
    monkeypatch.setattr(units, "_known_dimensions", lambda: None)
    for (a, b, m), answer in with_table.items():
        assert units.comparable(a, b, molar_mass=m) == answer, (a, b, m)
    # a spelling outside the file is pint's to answer, an unknown one raises as before
    monkeypatch.undo()
    from engine.errors import UnitError

    with pytest.raises(UnitError):
        units.comparable("g/dL", "furlongs per fortnight squared")
