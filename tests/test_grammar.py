"""The grammar builds as LALR(1) with no conflict: lark resolves shift/reduce conflicts
silently, so a conflict would be a silent misparse ('ALT and AST <= 2 x ULN' bounding
only AST). Build it with lark's debug logging on and fail on any conflict it reports."""

from __future__ import annotations

import logging

from lark import Lark, logger

from engine.parse import _TokenFeed, grammar_path


def test_grammar_has_no_conflicts(caplog):
    logger.setLevel(logging.DEBUG)
    try:
        with caplog.at_level(logging.DEBUG, logger="lark"):
            Lark.open(str(grammar_path()), parser="lalr", lexer=_TokenFeed, debug=True)
    finally:
        logger.setLevel(logging.WARNING)
    conflicts = [r.getMessage() for r in caplog.records if "conflict" in r.getMessage().lower()]
    assert conflicts == []


def test_every_declared_terminal_is_produced_by_the_tokenizer():
    """A terminal the grammar declares but the tokenizer never emits is dead grammar."""
    import re

    from engine import lexicon

    declared = set()
    for line in grammar_path().read_text().splitlines():
        if line.startswith("%declare"):
            declared.update(line.split()[1:])
    source = open(lexicon.__file__).read()
    emitted = set(re.findall(r'"([A-Z_]+)"', source))
    assert declared - emitted == set()
