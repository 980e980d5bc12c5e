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
import types
import typing
from collections.abc import Callable, Iterable
from decimal import Decimal
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
    fields_of = _NODE_FIELDS
    while stack:
        n, depth = stack.pop()
        if depth > deepest:
            deepest = depth
        cls = type(n)
        names = fields_of.get(cls)
        if names is None:
            names = fields_of[cls] = _node_fields(cls)
        for name in names:
            value = getattr(n, name)
            for child in value if isinstance(value, tuple) else (value,):
                if hasattr(child, "kind") and hasattr(type(child), "model_fields"):
                    stack.append((child, depth + 1))
    return deepest


# The fields of each model class that can hold a node (a model with a `kind`), by class:
# `tree_depth` reads no other (a Span, a Threshold, a string). Asking every field of every
# node, through pydantic's class property and a failing `hasattr(span, "kind")`, was 7-9 %
# of parsing (docs/performance.md, parse6).
_NODE_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_fields(cls: type) -> tuple[str, ...]:
    return tuple(name for name, info in cls.model_fields.items() if _may_hold_node(info.annotation))


def _may_hold_node(annotation: Any) -> bool:
    """Whether a value of this annotation can be a model with a `kind` field; True where the
    annotation is not understood (so a field is only passed over when it cannot hold one)."""
    if annotation in (str, int, float, bool, type(None), Decimal):
        return False
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    if origin is typing.Annotated:
        return _may_hold_node(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType, tuple):
        return any(_may_hold_node(a) for a in typing.get_args(annotation) if a is not Ellipsis)
    if isinstance(annotation, type) and origin is None:
        fields = getattr(annotation, "model_fields", None)
        return fields is None or "kind" in fields  # a plain class: not understood
    return True


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
