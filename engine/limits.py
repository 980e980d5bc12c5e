"""Bounds that keep parsing linear in the input, whatever the input (issue 5).

A criterion is parsed into a tree by code that recurses and retries; hostile text ('a: a:
a: ...', a thousand brackets, 'or or or ...', '1-1-1-...') would make it recurse past
Python's limit or retry once per token. Past each bound below, what is left is unparsed
text: it keeps its criterion unknown, which is safe, and no real criterion comes near them
(over the 36,694 distinct criteria of ../shared/data/corpus: trees at most 15 deep,
brackets at most 3 deep, at most 13,199 tokens parsed over all retries of one criterion).
`scripts/bench_adversarial.py` measures the time they buy.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

MAX_BRACKETS = 16  # brackets open at once; deeper, the whole criterion is unparsed
MAX_DEPTH = 48  # levels of the predicate tree; deeper, the whole criterion is unparsed
MAX_CLAUSES = 16  # clauses read one inside another ('a: b: c: ...'); deeper, the rest is unparsed
TOKEN_BUDGET = 100_000  # tokens parsed over all retries of one criterion; past it, unparsed

F = TypeVar("F", bound=Callable[..., Any])


def bracket_depth(types: Iterable[str]) -> int:
    """The most brackets open at once in a token stream ('LPAR' opens, 'RPAR' closes).

    >>> bracket_depth(["WORD", "LPAR", "LPAR", "RPAR", "LPAR", "RPAR", "RPAR", "RPAR"])
    2
    """
    depth = deepest = 0
    for t in types:
        if t == "LPAR":
            depth += 1
            deepest = max(deepest, depth)
        elif t == "RPAR":
            depth = max(0, depth - 1)
    return deepest


def tree_depth(node: Any) -> int:
    """Levels of a predicate tree, counted without recursion (so any tree can be measured).

    >>> from engine.nodes import Not, Sex
    >>> tree_depth(Not(item=Not(item=Sex(sexes=("male",)))))
    3
    """
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


def clause_limit(method: F) -> F:
    """For `_Assembler.clause(self, elements)`: past MAX_CLAUSES calls one inside another,
    the elements are `self.unparsed(elements)` instead of being read (each level scans its
    elements, so unbounded nesting is quadratic before it is a RecursionError)."""

    @functools.wraps(method)
    def clause(self, elements):
        depth = getattr(self, "_clause_depth", 0)
        if depth >= MAX_CLAUSES:
            return self.unparsed(elements)
        self._clause_depth = depth + 1
        try:
            return method(self, elements)
        finally:
            self._clause_depth = depth

    return clause  # type: ignore[return-value]
