"""Predicate trees compiled once into closures over what their record leaves say.

Judging a criterion whose leaves say something new walks its tree node by node: a handler
looked up per node, the facts of each node that are the same for every patient (is this
'and' an allergy to a drug? are its items groups of patients? which words qualify it?)
looked up again in their memos, each leaf found through its key and copied with its span.
For the second patient of a warm screening of the corpus that walk was half the time
(speed15b: 8.5 k criteria, about 40 us each). `compile_tree` does the walk once per tree
and polarity: each node becomes a closure holding its children's closures and the facts
worked out from the node alone, so judging the tree again is one call per node, reading
the leaves from a dict.

The connectives' logic is not repeated here: each closure calls the part of the plain
evaluator's handler that combines its children's Outcomes (`_all_of_from`, `_each_from`,
...), which `engine.evaluate` keeps apart from the part that judges the children, so a
change to how a connective decides is made once and holds for both. A node whose truth and
reasons follow from its children's truths alone (all but three kinds, `_tabled`) asks that part once per
combination of its children's truths and remembers the answer.

What the closures do not do: a tabled node's result is a `_Judged`, an Outcome's fields
without pydantic's bookkeeping (`_built` costs about three times as much), read by
`engine.screen._verdict` as an Outcome is read; no Outcome holds one (a connective's
combining part is handed Outcomes: stand-ins for its children's truths where it is tabled,
`_PROBES`, its children made Outcomes where it is not, `_valid`). A leaf's result is the
Outcome it was given, its span (the first equal leaf's) not made its node's, since no
verdict reads a leaf's span (only an 'and''s, `engine.screen._defined_not_both`). The plain
evaluator (`evaluate_as_said`) stays the reference; tests/test_warm16.py compares the two.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from engine.evaluate import (
    _ALL_FIELDS,
    _DIAGNOSED_WITHIN,
    _EITHER_EXCEPTED,
    _LEAF_KEYS,
    _NAMED_KINDS,
    _NOTHING_ASIDE,
    _RECORD_LEAVES,
    _SPLITS,
    Outcome,
    _all_of_from,
    _all_of_items,
    _allergy_or_drugs,
    _alternative_case_from,
    _any_of_from,
    _aside_key,
    _built,
    _carved,
    _cases_of_one_split,
    _composite,
    _conditional_from,
    _constant,
    _diagnosed_within,
    _each_from,
    _either_excepted,
    _except_from,
    _following,
    _judgment,
    _kinds_named_beside,
    _leaf_key,
    _modifier,
    _per_node,
    _permission_from,
    _qualified_from,
    _sets_records_aside,
    _unless_from,
    _unparsed,
    _Unsaid,
    labs_in_window,
    missing_of,
)
from engine.logic import Truth
from engine.nodes import AllOf, AnyOf, Conditional, Each, Exception_, Following, Judgment, Modifier, Not, Permission, Qualified, Unparsed

Said = dict[tuple[str, bool], Outcome]
Compiled = Callable[[Said], Any]  # an Outcome, or a `_Judged` read as one


class _NotCompiled(Exception):
    """A node the closures do not judge (a condition judged by its onset alone, which reads
    the patient's records beyond its leaf): the tree is judged by the plain evaluator."""


def compile_tree(tree: Any, *, polarity: int, windowed: bool) -> Compiled | None:
    """`tree` (a criterion's, with its sub-items) as a function of what its record leaves say:
    given `said`, keyed as `record_leaves(tree, windowed=windowed, polarity=polarity)` keys
    them, it returns the Outcome tree `evaluate_as_said(tree, said, polarity=polarity,
    windowed=windowed, ...)` gives (its tabled nodes as `_Judged`, which read as Outcomes),
    but for the leaves' spans, and raises `_Unsaid` where
    that gives None (see `judged_as_said`). None for a tree that cannot be compiled.

    Args:
        tree: a predicate tree (`engine.nodes`).
        polarity: +1 for an inclusion, -1 for an exclusion.
        windowed: `has_windowed_event(tree)`.

    Returns:
        The compiled function, or None.

    >>> from datetime import date
    >>> from engine.evaluate import evaluate_as_said, record_leaves
    >>> from engine.logic import Truth
    >>> from engine.parse import parse
    >>> tree = parse("pregnancy or breastfeeding")
    >>> (k1, n1), (k2, n2) = record_leaves(tree, windowed=False)
    >>> said = {k1: Outcome(kind="condition", truth=Truth.FALSE), k2: Outcome(kind="condition", truth=Truth.UNKNOWN, missing=("lactation",))}
    >>> judged_as_said(compile_tree(tree, polarity=-1, windowed=False), said).truth
    <Truth.UNKNOWN: 'unknown'>
    """
    table: dict = {}
    try:
        root = _compiled(labs_in_window(tree), polarity, windowed, table)
    except _NotCompiled:
        return None

    def compiled(said: Said) -> Any:
        return root(said)

    compiled.table = table  # type: ignore[attr-defined]  (`forget_answers`)
    return compiled


def forget_answers(compiled: Compiled) -> None:
    """Forget what the tabled nodes of a compiled tree were answered (`_tabled`): what a
    benchmark does that times a patient whose own earlier screenings must not help."""
    compiled.table.clear()  # type: ignore[attr-defined]  (the nodes' numbers are not read again)


class _Judged:
    """What an Outcome holds, as plain attributes: the node's kind, truth, reasons, missing
    data, children (Outcomes or `_Judged`) and span; read where an Outcome is read, and
    copied as the caps copy one (`model_copy`)."""

    __slots__ = ("kind", "truth", "reasons", "missing", "children", "span")

    def __init__(self, kind: str, truth: Truth, reasons: tuple[str, ...], missing: tuple[str, ...], children: tuple, span: Any) -> None:
        self.kind, self.truth, self.reasons, self.missing, self.children, self.span = kind, truth, reasons, missing, children, span

    def model_copy(self, *, update: dict[str, Any]) -> _Judged:
        """`Outcome.model_copy(update=...)`, as `engine.screen._unknown_because` asks it."""
        copy = _Judged(self.kind, self.truth, self.reasons, self.missing, self.children, self.span)
        for name, value in update.items():
            setattr(copy, name, value)
        return copy


def _valid(judged: Any) -> Outcome:
    """`judged` as an Outcome, its children too: what a connective's combining part is
    handed where it reads more than its children's truths."""
    if type(judged) is not _Judged:
        return judged
    children = tuple(_valid(c) for c in judged.children)
    return _built(judged.kind, judged.truth, judged.reasons, judged.missing, children, judged.span, _ALL_FIELDS)


# What a tabled node's combining part is handed for a child of each truth: it reads nothing
# else of them (`_tabled`), and a childless Outcome is a valid child of any Outcome.
_PROBES = {truth: Outcome(kind="probe", truth=truth) for truth in Truth}


def judged_as_said(compiled: Compiled, said: Said) -> Any:
    """What `compiled` gives for `said` (an Outcome, or a `_Judged` that reads as one), None
    where the tree reads a leaf `said` lacks."""
    try:
        return compiled(said)
    except _Unsaid:
        return None


def _compiled(node: Any, polarity: int, windowed: bool, table: dict) -> Compiled:
    """The closure of one node, judged with `polarity` and the window flag `windowed`, as
    `engine.evaluate._eval` judges it (the same handler's steps, in the same order).
    `table`: the tree's answers of its tabled nodes (`_tabled`), one dict for all of them."""
    kind = type(node)
    if kind in _RECORD_LEAVES:
        return _leaf(node, windowed)
    constant = _CONSTANTS.get(kind)
    if constant is not None:
        return _constant_closure(_constant(node, constant))
    if kind is AllOf:
        return _all_of(node, polarity, windowed, table)
    if kind is AnyOf:
        return _any_of(node, polarity, windowed, table)
    if kind is Each:
        items = tuple(_compiled(item, polarity, windowed, table) for item in node.items)
        return _tabled(table, node, items, lambda children: _each_from(node, children, polarity))
    if kind is Not:
        return _tabled(table, node, (_compiled(node.item, -polarity, windowed, table),), lambda children: _composite(node, ~children[0].truth, children))
    if kind is Conditional:
        parts = (_compiled(node.condition, 1, windowed, table), _compiled(node.then, polarity, windowed, table))
        return _tabled(table, node, parts, lambda children: _conditional_from(node, *children, polarity))
    if kind is Exception_:
        return _exception(node, polarity, windowed, table)
    if kind is Qualified:
        if _per_node(_DIAGNOSED_WITHIN, node, _diagnosed_within):
            raise _NotCompiled(node)
        qualifiers = tuple(_constant_of(q) for q in node.qualifiers)
        return _tabled(table, node, (_compiled(node.item, polarity, windowed, table), *qualifiers), lambda children: _qualified_from(node, children[0]))
    if kind is Permission:
        allowed = () if node.item is None else (_compiled(node.item, 1, windowed, table),)
        return _tabled(table, node, allowed, lambda children: _permission_from(node, children, polarity))
    raise _NotCompiled(node)


def _tabled(table: dict, node: Any, parts: Sequence[Compiled], combine: Callable[[list], Outcome]) -> Compiled:
    """A node whose truth and reasons follow from its children's truths alone (its handler's
    combining part, `combine`, reads nothing else of them, and the same of the node whatever
    the patient): `combine` asked once per combination of the children's truths met, the
    answer kept in the tree's `table` under the node's number there (one dict a tree, not
    one a node: a tenth of the memory of a corpus's compiled trees), and the node built as
    `_composite` builds it (its missing data: that of its UNKNOWN children, while it is
    UNKNOWN itself). Children that are record leaves are read from `said` here, and the
    words beside a Qualified node's item are constants: no closure called for either."""
    number = len(table)
    table[number] = None  # (the number taken: the answers' keys are tuples)
    kind, span = node.kind, node.span
    spec = tuple((getattr(f, "leaf_key", None), getattr(f, "constant", None)) for f in parts)
    said_here = all(key is not None or constant is not None for key, constant in spec)

    def run(said: Said) -> Any:
        if said_here:
            try:
                children = [said[key] if key is not None else constant for key, constant in spec]
            except KeyError as unsaid:
                raise _Unsaid(unsaid.args[0]) from None
        else:
            children = [f(said) for f in parts]
        key = (number, *[c.truth._value_ for c in children])  # (an Enum hashes through Python)
        found = table.get(key)
        if found is None:
            combined = combine([_PROBES[c.truth] for c in children])
            found = table[key] = (combined.truth, combined.reasons)
        truth, reasons = found
        return _Judged(kind, truth, reasons, missing_of(truth, children), tuple(children), span)

    return run


def _constant_of(node: Any) -> Compiled:
    """A word beside a Qualified node's item (`_qualifiers`' Outcomes: the same for every patient)."""
    return _constant_closure(_constant(node, _modifier if isinstance(node, Modifier) else _unparsed))


def _constant_closure(outcome: Outcome) -> Compiled:
    """A leaf that says the same of every patient; `constant` tells a tabled parent so."""

    def constant(said: Said) -> Outcome:
        return outcome

    constant.constant = outcome  # type: ignore[attr-defined]
    return constant


_CONSTANTS: dict[type, Callable[[Any], Outcome]] = {Judgment: _judgment, Unparsed: _unparsed, Following: _following}


def _leaf(node: Any, windowed: bool) -> Compiled:
    """A record leaf: what `said` gives under its key (`_patient_leaf`'s), as it is."""
    key = (_per_node(_LEAF_KEYS, node, _leaf_key), windowed)

    def leaf(said: Said) -> Outcome:
        try:
            return said[key]
        except KeyError:
            raise _Unsaid(key) from None

    leaf.leaf_key = key  # type: ignore[attr-defined]  (read by a tabled parent, `_tabled`)
    return leaf


def _all_of(node: AllOf, polarity: int, windowed: bool, table: dict) -> Compiled:
    """`_all_of`: tabled but where its combining part reads its children's children (kinds
    named beside a whole, `_whole_and_kinds`; the cases of one split, `_neither_case`)."""
    items = tuple(_compiled(item, polarity, windowed, table) for item in _all_of_items(node))
    if _per_node(_NAMED_KINDS, node, _kinds_named_beside) or (polarity > 0 and _per_node(_SPLITS, node, _cases_of_one_split)):
        return lambda said: _all_of_from(node, [_valid(f(said)) for f in items], polarity)
    return _tabled(table, node, items, lambda children: _all_of_from(node, children, polarity))


def _any_of(node: AnyOf, polarity: int, windowed: bool, table: dict) -> Compiled:
    """`_any_of`: an item that is a case ('<= 3 x ULN if Gilbert's') is an alternative
    where the criterion asks for it, unless the node is an allergy with drugs after it."""
    allergy = _allergy_or_drugs(node)
    items = tuple(
        _alternative(item, polarity, windowed, table) if polarity > 0 and not allergy and isinstance(item, Conditional) else _compiled(item, polarity, windowed, table)
        for item in node.items
    )
    if allergy:  # (what the allergy is to reads its items' children: not tabled)
        return lambda said: _any_of_from(node, [_valid(f(said)) for f in items])
    return _tabled(table, node, items, lambda children: _any_of_from(node, children))


def _alternative(node: Conditional, polarity: int, windowed: bool, table: dict) -> Compiled:
    parts = (_compiled(node.condition, 1, windowed, table), _compiled(node.then, polarity, windowed, table))
    return _tabled(table, node, parts, lambda children: _alternative_case_from(node, *children))


def _exception(tree: Exception_, polarity: int, windowed: bool, table: dict) -> Compiled:
    """`_exception`: the main part with the window flag, the exception without it (a window
    of the main part is not read into it); an 'except' that sets records aside reads what
    that says from `said`, as `_records_set_aside` reads it from the leaf memo."""
    node = _carved(tree) if polarity < 0 else tree
    main = _compiled(node.main, polarity, windowed, table)
    if node.mode == "unless":
        unless = _compiled(node.exception, 1, False, table)
        return _tabled(table, node, (main, unless), lambda children: _unless_from(node, *children, polarity))
    node = _per_node(_EITHER_EXCEPTED, node, _either_excepted)
    exception = _compiled(node.exception, -polarity, False, table)
    if not _sets_records_aside(node):
        return _tabled(table, node, (main, exception), lambda children: _except_from(node, *children, None))
    key = (_aside_key(tree, polarity), windowed)

    def set_aside(said: Said) -> Outcome:
        main_outcome, excepted = main(said), exception(said)
        try:
            aside = said[key]
        except KeyError:
            raise _Unsaid(key) from None
        refined = None if aside.kind == _NOTHING_ASIDE else (aside.truth, list(aside.reasons))
        return _except_from(node, _valid(main_outcome), _valid(excepted), refined)

    return set_aside

