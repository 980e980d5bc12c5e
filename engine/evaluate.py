"""Predicate tree x patient record -> Outcome tree: one Truth and its reasons per node.

`evaluate` never raises for what the record lacks or cannot be converted: such a node is
UNKNOWN with a reason saying what is missing. Every TRUE or FALSE carries the values, dates,
thresholds and assumptions (closed world, default ULN, derived value) it rests on.

An Outcome's truth is the *predicate's* truth about the patient. Whether that lets the
patient through depends on the section: an inclusion passes when TRUE, an exclusion when
FALSE. The section enters here only through `polarity` (+1 inclusion, -1 exclusion), which
the "unless" form of Exception_ needs (see `_exception`).
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from typing import Any, Literal, assert_never

from pydantic import BaseModel, ConfigDict

from engine import derive, findings, lexicon, units
from engine.derive import Derived, fmt, tidy
from engine.errors import UnitError
from engine.logic import Truth, all_of, any_of
from engine.nodes import (
    ALLERGY_CONCEPTS,
    NO_SPAN,
    OPERAND_FIELDS,
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Conditional,
    Duration,
    Each,
    Exception_,
    Excludes,
    Following,
    Judgment,
    Medication,
    Modifier,
    Not,
    Permission,
    Procedure,
    Qualified,
    Range,
    Sex,
    Span,
    Threshold,
    Unparsed,
    Window,
    children,
    is_lookback,
    narrowable,
    operands_mapped,
    study_teams_rule,
    walk,
)
from engine.normalize import fold
from engine.patient import ConditionRecord, MedicationRecord, Observation, Patient
from engine.render import render


class Outcome(BaseModel):
    """The truth of one predicate node about one patient; mirrors the tree, one per node."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    truth: Truth  # the predicate's truth (not yet pass/fail: that depends on the section)
    reasons: tuple[str, ...] = ()  # clinician-checkable: value, date, threshold, assumption
    missing: tuple[str, ...] = ()  # data that would decide it, when it is UNKNOWN
    children: tuple[Outcome, ...] = ()
    span: Span = NO_SPAN


Outcome.model_rebuild()


# Outcomes built from parts already of their fields' types (a node's kind and span, a Truth,
# tuples of strings and of Outcomes) skip pydantic's validation and `model_copy`'s generic
# copy: together 13 % of a warm screening of the corpus (speed7). What they make equals,
# field by field and in fields set, what `Outcome(...)` and `model_copy` make
# (tests/test_speed7_outcomes.py).
_new = object.__new__
_set = object.__setattr__
_ALL_FIELDS = frozenset(Outcome.model_fields)
_LEAF_FIELDS = _ALL_FIELDS - {"children"}


def _built(
    kind: str,
    truth: Truth,
    reasons: tuple[str, ...],
    missing: tuple[str, ...],
    children: tuple[Outcome, ...],
    span: Span,
    fields: frozenset[str],
) -> Outcome:
    """`Outcome(**those of the fields named in fields)` without validation: every part must
    already be of its field's type (tuples, not lists)."""
    outcome = _new(Outcome)
    _set(outcome, "__dict__", {"kind": kind, "truth": truth, "reasons": reasons, "missing": missing, "children": children, "span": span})
    _set(outcome, "__pydantic_fields_set__", set(fields))
    _set(outcome, "__pydantic_extra__", None)
    _set(outcome, "__pydantic_private__", None)
    return outcome


def _with_reasons(outcome: Outcome, reasons: tuple[str, ...]) -> Outcome:
    """`outcome.model_copy(update={"reasons": reasons})`, without the generic copy."""
    o = outcome
    return _built(o.kind, o.truth, reasons, o.missing, o.children, o.span, frozenset({*o.__pydantic_fields_set__, "reasons"}))


def _respanned(outcome: Outcome, span: Span) -> Outcome:
    """`outcome.model_copy(update={"span": span})`, without the generic copy."""
    copy = _new(Outcome)
    fields = dict(outcome.__dict__)
    fields["span"] = span
    _set(copy, "__dict__", fields)
    _set(copy, "__pydantic_fields_set__", {*outcome.__pydantic_fields_set__, "span"})
    _set(copy, "__pydantic_extra__", None)
    _set(copy, "__pydantic_private__", None)
    return copy


def evaluate(
    node: Any,
    patient: Patient,
    *,
    as_of: date,
    open_world: bool = False,
    polarity: int = 1,
    vocab: Any = None,
    windowed: bool | None = None,
) -> Outcome:
    """The Outcome of predicate `node` for `patient` at the date `as_of`.

    Args:
        node: a predicate tree (`engine.nodes`).
        patient: the record.
        as_of: the screening date: ages and windows are counted to it; later data is ignored.
        open_world: a condition, medication or procedure the record does not show is
            UNKNOWN (default: closed world, it did not happen, and the reason says so).
            Measurements are always open world.
        polarity: +1 when the enclosing criterion is an inclusion (the predicate must hold),
            -1 for an exclusion (the predicate rules the patient out).
        vocab: the vocabulary (default: `engine.vocab.load_vocabulary()`).
        windowed: `has_windowed_event(node)` when the caller worked it out once for many
            patients (default: worked out here).

    Returns:
        An Outcome tree mirroring `node`.

    >>> from engine.nodes import Sex
    >>> evaluate(Sex(sexes=("female",)), Patient(id="p", sex="female"), as_of=date(2026, 6, 1)).truth
    <Truth.TRUE: 'true'>
    """
    if polarity not in (1, -1):
        raise ValueError(f"polarity must be +1 or -1, not {polarity!r}")
    vocab = vocab if vocab is not None else _vocab()
    windowed = has_windowed_event(node) if windowed is None else windowed
    node = labs_in_window(node)
    # the context of the patient's leaf memo, shared with `leaf_signature` (a frozen dataclass
    # of seven fields costs about 5 us to make, once per criterion judged in full before)
    ctx = _memo_ctx(patient, as_of, open_world, vocab, windowed, _leaf_memo(patient, as_of, open_world, vocab))
    return _eval(node, ctx, polarity)


_EVENTS = (Condition, Medication, Procedure)


# a window in words not understood: 'stroke or TIAs within 6 months' with TIA unknown
_WINDOW_WORDS = re.compile(
    r"\b(?:within|during|in the (?:past|last|previous|preceding))\b"
    r"|\b\d+\s*(?:hours?|days?|weeks?|months?|years?)\s+(?:before|prior|preceding|of)\b",
    re.IGNORECASE,
)


def has_windowed_event(node: Any) -> bool:
    """Whether some event of the tree has a time window, or words not understood may state
    one (or a window's words typed beside an event: engine.nodes.is_lookback)."""
    return any(
        (isinstance(n, _EVENTS) and n.window is not None) or (isinstance(n, Unparsed) and _window_words(n.text))
        or (isinstance(n, Modifier) and is_lookback(n.text))
        for n in walk(node)
    )


def labs_in_window(tree: Any) -> Any:
    """The tree with the window its words state for its measurements applied to those that
    have none: 'Hemoglobin >= 9 g/dL OR >= 5.6 mmol/L (labs should be performed within 14
    days of treatment initiation)', 'ECG and echocardiography must confirm normal cardiac
    function within 3 months prior to randomization. LVEF must be >= 55%', 'Serum creatinine
    =< 1.2 mg/dl OR creatinine clearance > 60 ml/min (within 60 days of enrollment ...)'. A
    value of last year (derive.STALE_AFTER_DAYS) must not stand for one the text asks of
    the last weeks: only values in the shortest window stated count, and with none there
    the measurement is unknown. Worked out once per tree; `evaluate`, `record_leaves` and
    `evaluate_as_said` judge the same leaves."""
    return _per_node(_LAB_WINDOWS, tree, _labs_in_window)


_LAB_WINDOWS: dict[int, tuple[Any, Any]] = {}

# a span of time in words that may state a window ('within 14 days', '=< 28 days prior to')
_DURATION_WORDS = re.compile(r"(\d+(?:\.\d+)?)\s*-?\s*(hour|day|week|month)s?\b", re.IGNORECASE)
_DAYS_IN = {"hour": Decimal(1) / 24, "day": Decimal(1), "week": Decimal(7), "month": Decimal("30.4")}
# measures a window does not bound: an age is counted to the as-of date, a grown height stands
_UNTIMED_MEASURES = frozenset(("age", "height", "body height"))


def _labs_in_window(tree: Any) -> Any:
    window = _stated_lab_window(tree)
    return tree if window is None else _with_lab_window(tree, window)


def _stated_lab_window(tree: Any) -> Window | None:
    """The shortest window back from now that the tree's measurements may be held to, in
    words not understood, left to the study team or typed beside an event (a window read
    for one measurement is its own: the parser shares it where the text does, and a list
    under a heading may time one item only); None where none is shorter than a year (a
    value of last year counts then anyway, and a window of years would let older ones)."""
    found: list[tuple[Decimal, Window]] = []
    for n in walk(tree):
        if (isinstance(n, (Unparsed, Judgment)) and _window_words(n.text)) or (isinstance(n, Modifier) and is_lookback(n.text)):
            for value, unit in _DURATION_WORDS.findall(n.text):
                duration = Duration(value=Decimal(value), unit=unit.lower())
                found.append((duration.value * _DAYS_IN[duration.unit], Window(relation="within", durations=(duration,))))
    days, window = min(found, key=lambda f: f[0], default=(None, None))
    return window if days is not None and 0 < days < derive.STALE_AFTER_DAYS else None


def _with_lab_window(node: Any, window: Window) -> Any:
    """`node` with `window` on each measurement that has none (the same node where none changed)."""
    if isinstance(node, (Comparison, Range)):
        return node if node.window is not None or node.measure in _UNTIMED_MEASURES else node.model_copy(update={"window": window})
    if type(node) not in OPERAND_FIELDS:
        return node
    updates = operands_mapped(node, lambda operand: _with_lab_window(operand, window))
    return node.model_copy(update=updates) if updates else node


@lru_cache(maxsize=65536)
def _window_words(text: str) -> bool:
    """Whether words not understood may state a window; pieces repeat across the corpus."""
    return _WINDOW_WORDS.search(text) is not None


@cache
def _vocab() -> Any:
    from engine.vocab import load_vocabulary

    return load_vocabulary()


@dataclass(frozen=True)
class _Ctx:
    patient: Patient
    as_of: date
    open_world: bool
    vocab: Any
    windowed: bool = False  # some event of the tree has a time window
    # the Outcomes of this patient's leaves (`_patient_leaf`); None where the patient is a
    # variant made inside one evaluation (an exception's records set aside)
    leaves: dict[tuple[str, bool], tuple[Outcome, int]] | None = None
    # 'diagnosed within 12 months': a condition's window asks when it began, not whether it
    # went on into the window (`_diagnosed_within`)
    onset_only: bool = False


def _eval(node: Any, ctx: _Ctx, polarity: int) -> Outcome:
    handler = _HANDLERS.get(type(node))
    if handler is None:
        assert_never(node)
    return handler(node, ctx, polarity)


# One handler per node kind, dispatched here by the node's class: a `match` over sixteen
# class patterns cost about 1 us a node, 10 % of a warm screening of the corpus.
_HANDLERS: dict[type, Callable[[Any, _Ctx, int], Outcome]] = {
    Comparison: lambda node, ctx, polarity: _patient_leaf(node, ctx),
    Range: lambda node, ctx, polarity: _patient_leaf(node, ctx),
    Sex: lambda node, ctx, polarity: _patient_leaf(node, ctx),
    Condition: lambda node, ctx, polarity: _patient_leaf(node, ctx),
    Medication: lambda node, ctx, polarity: _patient_leaf(node, ctx),
    Procedure: lambda node, ctx, polarity: _patient_leaf(node, ctx),
    Judgment: lambda node, ctx, polarity: _constant(node, _judgment),
    Unparsed: lambda node, ctx, polarity: _constant(node, _unparsed),
    Following: lambda node, ctx, polarity: _constant(node, _following),
    AllOf: lambda node, ctx, polarity: _all_of(node, ctx, polarity),
    AnyOf: lambda node, ctx, polarity: _any_of(node, ctx, polarity),
    Each: lambda node, ctx, polarity: _each(node, ctx, polarity),
    Not: lambda node, ctx, polarity: _not(node, ctx, polarity),
    Conditional: lambda node, ctx, polarity: _conditional(node, ctx, polarity),
    Exception_: lambda node, ctx, polarity: _exception(node, ctx, polarity),
    Qualified: lambda node, ctx, polarity: _qualified(node, ctx, polarity),
    Permission: lambda node, ctx, polarity: _permission(node, ctx, polarity),
    Excludes: lambda node, ctx, polarity: _excludes(node, ctx, polarity),
}

# The leaves that read the patient's record, and how each is judged (`_patient_leaf`).
_RECORD_LEAVES: dict[type, Callable[[Any, _Ctx], Outcome]] = {
    Comparison: lambda node, ctx: _measure(node, ctx),
    Range: lambda node, ctx: _measure(node, ctx),
    Sex: lambda node, ctx: _sex(node, ctx),
    Condition: lambda node, ctx: _condition(node, ctx),
    Medication: lambda node, ctx: _medication(node, ctx),
    Procedure: lambda node, ctx: _procedure(node, ctx),
}


def _patient_leaf(node: Any, ctx: _Ctx) -> Outcome:
    """A leaf that reads the patient's record, worked out once per patient for all equal
    leaves: the corpus has 59,620 such leaves and 4,265 different ones ('pregnancy' in
    1,424 places), each judged again at every place before. Equal leaves differ only in
    their span, which a leaf's Outcome takes from its node and nothing else."""
    if ctx.leaves is None:
        silent = _silent_entry(node, ctx)
        return silent[0] if silent is not None else _RECORD_LEAVES[type(node)](node, ctx)
    found = _remembered_leaf(node, (_per_node(_LEAF_KEYS, node, _leaf_key), ctx.windowed), ctx)[0]
    if found.span is node.span:
        return found
    return _respanned(found, node.span)


def _remembered_leaf(node: Any, key: tuple[str, bool], ctx: _Ctx) -> tuple[Outcome, int, int | None]:
    """The Outcome of a record leaf (its span that of the first equal leaf judged), the
    number of what it says (`_verdict_number`) and of its shape (`_shape_number`), from the
    patient's memo. The key: the leaf without its span, and whether the tree has a window
    (`_combine_records`), `ctx.windowed`."""
    assert ctx.leaves is not None
    found = ctx.leaves.get(key)
    if found is None:
        if type(node) is _Aside:
            outcome = _aside(node, ctx)
            found = ctx.leaves[key] = (outcome, _verdict_number(outcome), _shape_number(outcome))
            return found
        silent = _silent_entry(node, ctx)
        if silent is not None:
            found = ctx.leaves[key] = silent
            return found
        other = ctx.leaves.get((key[0], not key[1]))
        if other is not None and _same_either_flag(node, key[1], other[0], ctx.vocab):
            found = ctx.leaves[key] = other
            return found
        outcome = _RECORD_LEAVES[type(node)](node, ctx)
        shared = _SILENT_NUMBERS.get(id(outcome))
        if shared is not None and shared[0] is outcome:  # the entry holds it: its id is not reused
            found = ctx.leaves[key] = shared
        else:
            found = ctx.leaves[key] = (outcome, _verdict_number(outcome), _shape_number(outcome))
    return found


def _same_either_flag(node: Any, windowed: bool, other: Outcome, vocab: Any) -> bool:
    """Whether the leaf judged with the window flag `windowed` says what `other`, the same
    leaf judged with the other flag, says: ten leaves of the bundled trials are asked both
    ways ('T-cell acute lymphoblastic leukemia' in a windowed criterion and in another),
    and a condition or medication that reads records costs 30-40 us.

    The flag acts only in `_combine_records`, which makes a record's TRUE UNKNOWN when it
    is set and the leaf has no window of its own; the records found do not depend on it.
    A condition or medication leaf (found as such in the vocabulary: not `_redirect`ed to
    another kind, whose statuses can lower a TRUE, `_shown_by_statuses`) combines its
    records once, or ORs such leaves (`_given_as_drugs`, a therapy's procedures), so: judged
    without the flag and not TRUE, no record's TRUE was there to lower, and with the flag
    it says the same; judged with the flag and FALSE, none was lowered (a lowered TRUE
    leaves UNKNOWN or TRUE), and without it it says the same (tests/test_speed10.py)."""
    if windowed:  # `other` judged without the flag
        if other.truth is Truth.TRUE:
            return False
    elif other.truth is not Truth.FALSE:  # `other` judged with it
        return False
    if isinstance(node, Condition):
        return node.concept not in _READ_BEYOND_RECORDS and derive.lookup(vocab, ("condition",), node.concept) is not None
    if isinstance(node, Medication):
        return derive.lookup(vocab, ("drug", "drug_class"), node.concept) is not None
    return False


def _verdict_number(outcome: Outcome) -> int:
    """One number for each different (truth, reasons, missing) a leaf has said, so that
    what the leaves of a criterion say is a short tuple of numbers. A number is never
    given to two verdicts: when the table is cleared, the next are new numbers."""
    # the Truth's value, not the Truth: an Enum hashes through Python (`Enum.__hash__`),
    # 4 % of screening a population before (speed7); the value names it as well
    return _numbered(_VERDICTS, (outcome.truth._value_, outcome.reasons, outcome.missing))


def _numbered(table: dict[Any, int], key: Any) -> int:
    """The number of `key` in `table`; where it has none, a number never given before (a
    full table is cleared, and the counter goes on)."""
    number = table.get(key)
    if number is None:
        if len(table) >= _VERDICTS_MAX:
            table.clear()
        number = table[key] = next(_VERDICT_COUNTER)
    return number


_VERDICTS: dict[tuple[str, tuple[str, ...], tuple[str, ...]], int] = {}
_VERDICTS_MAX = 500_000
_VERDICT_COUNTER = itertools.count()


def _shape_number(outcome: Outcome) -> int | None:
    """One number for each different (kind, truth, missing) a childless leaf has said: what
    it says but its reasons, which carry the patient's own values and dates. Every
    connective above a leaf reads only its truth and missing data (`evaluate_as_said`), so
    criteria whose leaves have one shape have one verdict up to those reasons. None for a
    leaf with children (none is built so today), whose reasons are not one block."""
    if outcome.children:
        return None
    return _numbered(_SHAPES, (outcome.kind, outcome.truth._value_, outcome.missing))


_SHAPES: dict[tuple[str, str, tuple[str, ...]], int] = {}


def record_leaves(tree: Any, *, windowed: bool, polarity: int | None = None) -> tuple[tuple[tuple[str, bool], Any], ...] | None:
    """The leaves of a tree that read the patient's record (measures, sex, conditions,
    medications, procedures), each with its key: the leaf without its span, and whether it
    is judged with the tree's window flag (`windowed`, `has_windowed_event(tree)`) or
    without it, as the excepted part of an exception is. An 'except' that sets records aside
    and reads them itself (`_sets_records_aside`) is one more leaf (`_Aside`) when the tree's
    `polarity` is given (what setting them aside gives depends on it), else the answer is
    None. None too for a condition judged by its onset alone. Everything else of a tree's
    Outcome follows from the tree and what these leaves say (`leaf_signature`)."""
    found: list[tuple[tuple[str, bool], Any]] = []
    stack = [(labs_in_window(tree), windowed, polarity)]
    while stack:
        node, flag, sign = stack.pop()
        if type(node) in _RECORD_LEAVES:
            found.append(((_per_node(_LEAF_KEYS, node, _leaf_key), flag), node))  # shared with `_patient_leaf`
        elif isinstance(node, Qualified) and _per_node(_DIAGNOSED_WITHIN, node, _diagnosed_within):
            return None  # its condition is judged by its onset alone, which its leaf's truth does not say
        elif isinstance(node, Exception_):
            if _sets_records_aside(_carved(node)):
                if sign is None:
                    return None
                found.append(((_aside_key(node, sign), flag), _Aside(node, sign)))
            # `_exception`: no window of main read into the exception, judged with its own polarity
            stack += [(node.exception, False, _excepted_sign(node, sign)), (node.main, flag, sign)]
        else:
            stack += [(child, flag, s) for child, s in reversed(_signed_children(node, sign))]
    return tuple(found)


def _signed_children(node: Any, sign: int | None) -> list[tuple[Any, int | None]]:
    """A connective's operands, each with the polarity `_eval` judges it with when the node
    is judged with `sign` (None: not known, and not needed): only an 'except' that sets
    records aside (`_Aside`) asks it. The same rules as the handlers: `_not` turns it,
    `_conditional` and `_alternative_case` judge the condition with +1, `_permission` its
    item with +1; an exception's parts are `_excepted_sign`'s."""
    operands = children(node)
    if sign is None:
        return [(child, None) for child in operands]
    if isinstance(node, Not):
        return [(node.item, -sign)]
    if isinstance(node, Conditional):
        return [(node.condition, 1), (node.then, sign)]
    if isinstance(node, Permission):
        return [(child, 1) for child in operands]
    if isinstance(node, Excludes):
        return [(node.item, -1)]
    return [(child, sign) for child in operands]


def _excepted_sign(node: Exception_, sign: int | None) -> int | None:
    """The polarity `_exception` judges the excepted part with: +1 for an 'unless' (an
    'unless' that carves kinds out is an 'except' where it rules out, `_carved`), the other
    polarity for an 'except'."""
    if sign is None:
        return None
    if sign < 0:
        node = _carved(node)
    return 1 if node.mode == "unless" else -sign


@dataclass(frozen=True, eq=False)
class _Aside:
    """An 'except' that sets the records it covers aside (`_except_by_records`), as a record
    leaf of its tree (`record_leaves`): what it says of a patient (the records set aside and
    main's verdict without them) is worked out once per patient and remembered in the leaf
    memo, so a criterion with one is remembered by what its leaves say, as any other is; it
    was judged in full for every patient before (a fifth of screening synthetic patients,
    speed14). `polarity`: the one `_exception` judges it with."""

    node: Exception_
    polarity: int


def _aside_key(node: Exception_, polarity: int) -> str:
    """The key of an `_Aside` in the leaf memo (no record leaf's key begins with a NUL)."""
    return _per_node(_ASIDE_KEYS, node, _aside_keys)[polarity > 0]


def _aside_keys(node: Exception_) -> tuple[str, str]:
    text = node.model_dump_json()
    return f"\x00records set aside, -1: {text}", f"\x00records set aside, +1: {text}"


_ASIDE_KEYS: dict[int, tuple[Any, tuple[str, str]]] = {}
# the kinds of the Outcome an `_Aside` says (`_aside_outcome`): nothing set aside (judged as
# any 'except' is), or records set aside (its truth and reasons are the exception's)
_NOTHING_ASIDE = "no record set aside"
_SET_ASIDE = "records set aside"


def _aside(aside: _Aside, ctx: _Ctx) -> Outcome:
    """What an `_Aside` says of the patient: `_exception`'s steps up to `_except_by_records`."""
    node, polarity = aside.node, aside.polarity
    if polarity < 0:
        node = _carved(node)
    if node.mode == "unless":  # (never read: `_exception` judges it as an 'unless')
        return _NOTHING_SET_ASIDE
    node = _per_node(_EITHER_EXCEPTED, node, _either_excepted)
    return _aside_outcome(_except_by_records(node, ctx, polarity, _eval(node.main, ctx, polarity)))


def _aside_outcome(refined: tuple[Truth, list[str]] | None) -> Outcome:
    if refined is None:
        return _NOTHING_SET_ASIDE
    return _built(_SET_ASIDE, refined[0], tuple(refined[1]), (), (), NO_SPAN, _LEAF_FIELDS)


_NOTHING_SET_ASIDE = _built(_NOTHING_ASIDE, Truth.UNKNOWN, (), (), (), NO_SPAN, _LEAF_FIELDS)


def _records_set_aside(tree: Exception_, node: Exception_, ctx: _Ctx, polarity: int, main: Outcome) -> tuple[Truth, list[str]] | None:
    """`_except_by_records(node, ctx, polarity, main)`, from the patient's leaf memo where the
    context has one (what `evaluate_as_said` was told, there): `tree` is the 'except' as the
    tree has it, before `_carved` and `_either_excepted` made `node` of it."""
    memo = ctx.leaves
    if memo is None or ctx.onset_only or not _sets_records_aside(node):
        return _except_by_records(node, ctx, polarity, main)
    key = (_aside_key(tree, polarity), ctx.windowed)
    found = memo.get(key)
    if found is None:
        outcome = _aside_outcome(_except_by_records(node, ctx, polarity, main))
        found = memo[key] = (outcome, _verdict_number(outcome), _shape_number(outcome))
    outcome = found[0]
    return None if outcome.kind == _NOTHING_ASIDE else (outcome.truth, list(outcome.reasons))


def leaf_verdicts(
    leaves: Sequence[tuple[tuple[str, bool], Any]], patient: Patient, *, as_of: date, open_world: bool = False
) -> list[tuple[Outcome, int, int | None]]:
    """What each of `leaves` (`record_leaves`) says of the patient: its Outcome, the number
    of what it says (`leaf_signature`) and of its shape (`_shape_number`), from the memo of
    the patient's leaves; judged now where not yet."""
    vocab = _vocab()
    memo = _leaf_memo(patient, as_of, open_world, vocab)
    try:  # judged already, as a rule: `leaf_signature` asked first
        return [memo[key] for key, _ in leaves]
    except KeyError:
        pass
    out = []
    for key, node in leaves:
        found = memo.get(key)
        if found is None:
            found = _remembered_leaf(node, key, _memo_ctx(patient, as_of, open_world, vocab, key[1], memo))
        out.append(found)
    return out


class _Unsaid(Exception):
    """A leaf that `evaluate_as_said` was not told what it says."""


class _Said(dict):
    """A leaf memo that knows only what it was given: a leaf not in it is an error, never
    judged against the patient."""

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            raise _Unsaid(key) from None


def evaluate_as_said(
    node: Any,
    said: dict[tuple[str, bool], Outcome],
    *,
    as_of: date,
    open_world: bool,
    polarity: int,
    windowed: bool,
    leaves_known: bool = False,
) -> Outcome | None:
    """The Outcome tree of `node` when its record leaves (keyed as `record_leaves` keys them)
    say what `said` gives, whoever the patient: the connectives read their children's truth
    and missing data, and the caller may give the leaves stand-in reasons. None when the tree
    reads a leaf `said` lacks (an 'except' that sets records aside is one, `_Aside`, keyed
    as `record_leaves` keys it when told the polarity): then only the patient can tell.
    `leaves_known`: the caller found `record_leaves(node, windowed=windowed)` not None
    (walking the tree again was 2 % of a warm screening)."""
    if not leaves_known and record_leaves(node, windowed=windowed) is None:
        return None
    node = labs_in_window(node)
    memo = _Said((key, (outcome, -1, None)) for key, outcome in said.items())
    ctx = _Ctx(patient=_nobody(), as_of=as_of, open_world=open_world, vocab=_vocab(), windowed=windowed, leaves=memo)
    try:
        return _eval(node, ctx, polarity)
    except _Unsaid:
        return None


@cache
def _nobody() -> Patient:
    """The patient of `evaluate_as_said`, whose leaves are all said: no record of it is read.
    One for all (patients are frozen); validating a new one was 6 us a template."""
    return Patient(id="")


def leaf_signature(leaves: Sequence[tuple[tuple[str, bool], Any]], patient: Patient, *, as_of: date, open_world: bool = False) -> tuple[int, ...]:
    """What each of `leaves` (`record_leaves`) says of the patient, as `evaluate` with the
    same arguments would judge it: one number per leaf, equal numbers for equal truth,
    reasons and missing data (spans aside), whoever the patient.

    >>> from engine.nodes import Sex
    >>> leaves = record_leaves(Sex(sexes=("female",)), windowed=False)
    >>> a, b, c = (leaf_signature(leaves, Patient(id=i, sex=s), as_of=date(2026, 6, 1)) for i, s in (("a", "male"), ("b", "male"), ("c", "female")))
    >>> a == b, a == c
    (True, False)
    """
    vocab = _vocab()
    memo = _leaf_memo(patient, as_of, open_world, vocab)
    try:  # most leaves were judged already, at an earlier criterion
        return tuple([memo[key][1] for key, _ in leaves])
    except KeyError:
        pass
    numbers = []
    ctx = None  # made only for a leaf not yet judged
    for key, node in leaves:
        found = memo.get(key)
        if found is None:
            if ctx is None or ctx.windowed is not key[1]:
                ctx = _memo_ctx(patient, as_of, open_world, vocab, key[1], memo)
            found = _remembered_leaf(node, key, ctx)
        numbers.append(found[1])
    return tuple(numbers)


def _memo_ctx(patient: Patient, as_of: date, open_world: bool, vocab: Any, windowed: bool, memo: dict) -> _Ctx:
    """The context a leaf of `memo` (`_leaf_memo`) is judged in, made once per patient and
    window flag, not once per criterion (1 % of screening synthetic patients, speed8): the
    memo belongs to one patient, date, world and vocabulary, and is kept alive by the
    context that holds it, so `is` tells it is the same."""
    ctx = _LAST_CTX.get(windowed)
    if ctx is None or ctx.leaves is not memo:
        ctx = _LAST_CTX[windowed] = _Ctx(patient=patient, as_of=as_of, open_world=open_world, vocab=vocab, windowed=windowed, leaves=memo)
    return ctx


_LAST_CTX: dict[bool, _Ctx] = {}


def _leaf_key(node: Any) -> str:
    """A leaf without its span, as one string (its hash kept, unlike a pydantic model's)."""
    return node.model_dump_json(exclude={"span"})


_LEAF_KEYS: dict[int, tuple[Any, str]] = {}


def _leaf_memo(patient: Patient, as_of: date, open_world: bool, vocab: Any) -> dict[tuple[str, bool], tuple[Outcome, int]]:
    """The leaf Outcomes of the patient last evaluated, for the same date, world and
    vocabulary: screening evaluates one patient against every criterion in turn. Remembered
    by identity (patients are frozen; the entry holds the patient and the vocabulary, so
    their ids are not reused while remembered)."""
    global _LAST_LEAVES
    owner, memo = _LAST_LEAVES
    if owner is None or owner[0] is not patient or owner[1] != as_of or owner[2] != open_world or owner[3] is not vocab:
        memo = {}
        _LAST_LEAVES = ((patient, as_of, open_world, vocab), memo)
    return memo


_LAST_LEAVES: tuple[tuple[Patient, date, bool, Any] | None, dict[tuple[str, bool], tuple[Outcome, int]]] = (None, {})


def _leaf(node: Any, truth: Truth, reasons: Iterable[str] = (), missing: Iterable[str] = ()) -> Outcome:
    missing = _unique(missing) if truth is Truth.UNKNOWN else ()
    return _built(node.kind, truth, tuple(reasons), missing, (), node.span, _LEAF_FIELDS)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i for i in items if i))


# --- measures ----------------------------------------------------------------------------

_SYMBOL = {">=": "\u2265", ">": ">", "<=": "\u2264", "<": "<", "=": "="}
_NEGATED = {">=": "<", ">": "\u2264", "<=": ">", "<": "\u2265", "=": "\u2260"}

_AGE = "age"
_CLEARANCE = "creatinine clearance"
_BMI = "body mass index"
_DERIVED_NAMES = {
    "age": _AGE,
    "creatinine clearance": _CLEARANCE,
    "crcl": _CLEARANCE,
    "body mass index": _BMI,
    "bmi": _BMI,
}

_AGE_UNITS = {
    "years": "years", "year": "years", "yr": "years", "yrs": "years", "y": "years", "a": "years",
    "years old": "years", "year old": "years",
    "months": "months", "month": "months", "mo": "months", "mos": "months",
    "weeks": "weeks", "week": "weeks", "wk": "weeks", "wks": "weeks",
    "days": "days", "day": "days", "d": "days",
    "hours": "hours", "hour": "hours", "h": "hours", "hr": "hours", "hrs": "hours",
}  # fmt: skip


@dataclass(frozen=True)
class _Value:
    """One value a measure node is checked against: an observation or a derived value."""

    value: Decimal | None
    unit: str | None
    label: str  # 'absolute neutrophil count 2.1 10^9/L (2026-05-20)'
    notes: tuple[str, ...] = ()  # derivation, odd data flags
    comparator: str | None = None  # '<' for '<0.1': the value is a bound
    ref_low: Decimal | None = None
    ref_high: Decimal | None = None
    ref_unit: str | None = None
    unit_ok: bool = True
    problem: str | None = None  # why there is no usable value
    age_of: Callable[[str], Derived] | None = None  # age: worked out in each threshold's unit


@dataclass(frozen=True)
class _Check:
    truth: Truth
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()


def _bounds(node: Comparison | Range) -> list[tuple[str, Threshold]]:
    if isinstance(node, Comparison):
        return [(node.op, node.threshold)]
    return [
        (">=" if node.low_inclusive else ">", node.low),
        ("<=" if node.high_inclusive else "<", node.high),
    ]


def _measure(node: Comparison | Range, ctx: _Ctx) -> Outcome:
    concept, derived, name, bounds = _measure_parts(node, ctx.vocab)
    if concept is None and derived is None:
        return _leaf(node, Truth.UNKNOWN, [f"measure {node.measure} not in the vocabulary"], [node.measure])
    values, notes, missing = _values_once(node, concept, derived, name, ctx)
    if not values:
        return _leaf(node, Truth.UNKNOWN, notes, missing)
    if len(values) == 1 and len(bounds) == 1:
        # one value against one bound (31 of the 32 measure leaves of a synthetic patient):
        # what the loop below gives for them, without its per-value check and sets
        value, ((op, threshold),) = values[0], bounds
        check = _check_bound(value, op, threshold, concept, name)
        return _leaf(node, check.truth, [*check.reasons, *value.notes, *notes], [*missing, *check.missing])
    checks = []
    for value in values:
        parts = [_check_bound(value, op, threshold, concept, name) for op, threshold in bounds]
        checks.append(
            _Check(
                all_of(p.truth for p in parts),
                tuple(r for p in parts for r in p.reasons) + value.notes,
                tuple(m for p in parts for m in p.missing),
            )
        )
    truths = {c.truth for c in checks}
    reasons = [r for c in checks for r in c.reasons]
    if len(truths) == 1:
        truth = truths.pop()
    else:
        truth = Truth.UNKNOWN
        reasons.append("the values above disagree on the verdict")
    return _leaf(node, truth, [*reasons, *notes], [*missing, *(m for c in checks for m in c.missing)])


def _measure_parts(node: Comparison | Range, vocab: Any) -> tuple[Any, str | None, str | None, list[tuple[str, Threshold]]]:
    """What a measure leaf reads of the vocabulary and of itself, whoever the patient: its
    concept, the kind of value derived for it (`_derived_kind`), the name its reasons give
    and its bounds. Worked out once per leaf and vocabulary (the entry holds both, so their
    ids are not reused while remembered): 32 measure leaves a synthetic patient looked them
    up again (speed15a)."""
    found = _MEASURE_PARTS.get(id(node))
    if found is None or found[0] is not node or found[1] is not vocab:
        concept = derive.lookup(vocab, ("measure",), node.measure)
        derived = _derived_kind(node.measure, concept)
        name = concept.name if concept is not None else derived
        if len(_MEASURE_PARTS) >= _PER_NODE_MAX:
            _MEASURE_PARTS.clear()
        found = _MEASURE_PARTS[id(node)] = (node, vocab, (concept, derived, name, _bounds(node)))
    return found[2]


_MEASURE_PARTS: dict[int, tuple[Any, Any, tuple[Any, str | None, str | None, list[tuple[str, Threshold]]]]] = {}


def _derived_kind(measure: str, concept: Any) -> str | None:
    formula = getattr(concept, "derived", None) if concept is not None else None
    return _derived_kind_of(measure, concept.name if concept is not None else None, formula if isinstance(formula, str) else None)


@lru_cache(maxsize=4096)
def _derived_kind_of(measure: str, concept_name: str | None, formula: str | None) -> str | None:
    """`_derived_kind` from what it reads of the concept, remembered: every measure leaf of
    every patient asks it (1.3 % of screening synthetic patients, speed8)."""
    names = [measure.strip().lower()]
    if concept_name is not None:
        names.append(concept_name.lower())
        if formula is not None:
            names.append(formula.strip().lower())
    for n in names:
        if n in _DERIVED_NAMES:
            return _DERIVED_NAMES[n]
        if n in ("cockcroft-gault", "cockcroft_gault"):
            return _CLEARANCE
    return None


def _values_once(
    node: Comparison | Range, concept: Any, derived: str | None, name: str, ctx: _Ctx
) -> tuple[list[_Value], list[str], list[str]]:
    """`_values`, worked out once per patient for each measure without a window: several
    leaves ask for the same values with other thresholds (age in ten places of the bundled
    trials, creatinine clearance in two), and they read only the patient, the date and the
    vocabulary, as the patient's leaf memo is kept for. Kept in that memo under a key no
    leaf has (a leaf's is a pair)."""
    if node.window is not None or ctx.leaves is None:
        return _values(node, concept, derived, name, ctx)
    key = ("values", name, derived, concept is None)
    found = ctx.leaves.get(key)
    if found is None:
        values, notes, missing = _values(node, concept, derived, name, ctx)
        found = ctx.leaves[key] = (tuple(values), tuple(notes), tuple(missing))
    return list(found[0]), list(found[1]), list(found[2])


def _values(
    node: Comparison | Range, concept: Any, derived: str | None, name: str, ctx: _Ctx
) -> tuple[list[_Value], list[str], list[str]]:
    """The values to check the node against (several when the record leaves a choice the
    verdict may depend on), notes for the reasons, and what is missing when there is none."""
    if derived == _AGE:
        return _age_values(ctx)
    notes: list[str] = []
    if concept is not None:
        observations = derive.observations_of(ctx.vocab, concept, ctx.patient)
        if node.window is not None:
            observations, usable = _measured_in(observations, node.window, ctx, name, notes)
            if not usable:
                return [], notes, [name]
        found, later, undated = derive.latest(observations, ctx.as_of)
        found += [o for o in observations if o.unreadable and o not in found]  # undated: may be the latest
        if later:
            notes.append(f"{later} {name} value(s) after {ctx.as_of.isoformat()} not used")
        if undated:
            notes.append(f"{undated} undated {name} value(s) not used")
        if found:
            values = [_observed(_per_body_surface(o, concept), name) for o in found]
            if node.window is None:
                values = [_stale(v, o, ctx.as_of, concept.name, ctx.patient) for v, o in zip(values, found)]
            return values, notes, []
    if derived == _CLEARANCE:
        return _clearance_values(ctx, notes)
    if derived == _BMI:
        bmi = derive.body_mass_index(ctx.patient, ctx.as_of, ctx.vocab)
        if bmi.value is None:
            reasons = [f"no {name} on record on or before {ctx.as_of.isoformat()}", bmi.reason, *notes]
            return [], reasons, [name, *bmi.missing]
        label = f"{name} {fmt(derive.round_to(bmi.value, 1))} kg/m2 (derived)"
        return [_Value(bmi.value, "kg/m2", label, notes=(bmi.reason,))], notes, []
    return [], [f"no {name} on record on or before {ctx.as_of.isoformat()}", *notes], [name]


def _stale(value: _Value, obs: Observation, as_of: date, measure: str, patient: Patient) -> _Value:
    if value.problem or not derive.stale(obs, as_of) or derive.stable(measure, obs, patient):
        return value
    return replace(value, problem=f"{value.label} {derive.stale_reason(measure, as_of)}")


def _measured_in(observations, window: Window, ctx: _Ctx, name: str, notes: list[str]):
    """'LVEF >= 50% within 8 weeks prior to screening': only values measured in the window
    count. Returns the observations in it and whether the window could be worked out."""
    anchor, assumption = _anchor(window, ctx)
    if assumption:
        notes.append(assumption)
    starts = [_minus(anchor, d, None) for d in window.durations] if anchor is not None else [None]
    if anchor is None or window.relation != "within" or not starts or any(s is None for s in starts):
        notes.append(f"the window of the {name} measurement could not be worked out")
        return [], False
    start = _window_start(window, starts)
    inside = [o for o in observations if o.date is not None and start <= o.date <= anchor]
    notes.append(f"only {name} values from {start.isoformat()} to {anchor.isoformat()} count")
    if not inside:
        notes.append(f"no {name} measured from {start.isoformat()} to {anchor.isoformat()}")
        return [], False
    return inside, True


_PER_BODY_SURFACE = "/1.73m2"


def _per_body_surface(obs: Observation, concept: Any) -> Observation:
    """An eGFR coded with one of the measure's own codes, each per 1.73 m2 by definition
    (LOINC 33914-3 'Glomerular filtration rate/1.73 sq M.predicted'), in the unit the code
    defines where the record writes the same quantity without the per 1.73 m2 ('mL/min', as
    Synthea does): an eGFR of 18 'mL/min' escaped 'chronic kidney disease' (GFR < 60
    mL/min/1.73m2) and the closed world answered no CKD. Any other observation as it is."""
    unit = concept.unit or ""
    if not unit.endswith(_PER_BODY_SURFACE) or not obs.unit_ok or obs.unit is None or obs.value is None:
        return obs
    own = set(concept.codes)
    if not any((derive.short_system(c.system), c.code) in own for c in obs.codings):
        return obs
    if _convert(Decimal(1), obs.unit, unit.removesuffix(_PER_BODY_SURFACE), None)[0] is None:
        return obs  # not a flow ('mL/min', 'mL/s'): left to the unit check
    read = obs.unit + _PER_BODY_SURFACE
    note = f"unit {obs.unit} read as {read}: the code is per 1.73 m2 by definition"
    return obs.model_copy(update={"unit": read, "flags": (*obs.flags, note)})


def _observed(obs: Observation, name: str) -> _Value:
    label = f"{name} {derive.obs_label(obs)}"
    if obs.value_comparator:
        label = f"{name} {obs.value_comparator}{derive.obs_label(obs)}"
    notes = tuple(f"{name} ({_date(obs.date)}): {flag}" for flag in obs.flags)
    notes += _partial_notes(obs.partial_dates)
    problem = None
    if obs.unreadable:
        problem = f"{name} ({_date(obs.date)}) could not be read from the record: {obs.unreadable}"
    elif obs.value is None:
        shown = obs.value_text or (obs.value_code.display or obs.value_code.code if obs.value_code else None)
        problem = f"{name} ({_date(obs.date)}) has no numeric value" + (f': "{shown}"' if shown else "")
    return _Value(
        value=obs.value,
        unit=obs.unit,
        label=label,
        notes=notes,
        comparator=obs.value_comparator,
        ref_low=obs.ref_low,
        ref_high=obs.ref_high,
        ref_unit=obs.ref_unit,
        unit_ok=obs.unit_ok,
        problem=problem,
    )


def _age_values(ctx: _Ctx) -> tuple[list[_Value], list[str], list[str]]:
    patient = ctx.patient
    if patient.birth_date is None:
        return [], ["no date of birth on record"], ["date of birth"]
    births = [patient.birth_date]
    partial = next((p for p in patient.partial_dates if p.field == "birth_date"), None)
    if partial is not None:
        births.append(partial.latest)  # born as late as this: the youngest the patient can be
    values = []
    as_of = ctx.as_of  # not the context: the values are kept in its leaf memo (`_values_once`), a cycle
    for born in births:
        who = patient.model_copy(update={"birth_date": born})
        ages: dict[str, Derived] = {}

        def age_in(unit: str, who: Patient = who, ages: dict[str, Derived] = ages) -> Derived:
            found = ages.get(unit)
            if found is None:
                found = ages[unit] = derive.age_of(who, as_of, unit)  # type: ignore[arg-type]
            return found

        values.append(_Value(None, None, "age", age_of=age_in))
    notes = [f"date of birth known only to the {partial.precision}"] if partial else []
    return values, notes, []


def _clearance_values(ctx: _Ctx, notes: list[str]) -> tuple[list[_Value], list[str], list[str]]:
    sexes: list[Literal["female", "male"]]
    sex = ctx.patient.sex
    if sex in ("female", "male"):
        sexes = [sex]
        sex_note: list[str] = []
    else:
        sexes = ["male", "female"]
        sex_note = [f"sex {'not recorded' if sex in (None, 'unknown') else sex}: clearance worked out for both"]
    values = []
    for s in sexes:
        crcl = derive.creatinine_clearance(ctx.patient, ctx.as_of, ctx.vocab, sex=s)
        if crcl.value is None:
            return (
                [],
                [f"no measured creatinine clearance on or before {ctx.as_of.isoformat()}", crcl.reason, *notes],
                [_CLEARANCE, *crcl.missing],
            )
        shown = f"{fmt(derive.round_to(crcl.value, 1))} mL/min"
        label = f"creatinine clearance {shown} (Cockcroft-Gault, {s})"
        values.append(_Value(crcl.value, "mL/min", label, notes=(crcl.reason,)))
    return values, [*sex_note, *notes], ["sex"] if len(sexes) > 1 else []


def _check_bound(value: _Value, op: str, threshold: Threshold, concept: Any, name: str) -> _Check:
    """One bound of a Comparison or Range against one value."""
    if value.age_of is not None:
        return _check_age(value, op, threshold)
    if value.problem:
        return _Check(Truth.UNKNOWN, (value.problem,), (name,))
    assert value.value is not None
    if threshold.relative_to is not None:
        return _check_relative(value, op, threshold, concept, name)
    scale = getattr(concept, "scale", None) if concept is not None else None
    if scale:
        return _check_scale(value, op, threshold, scale, name)
    misprint = _misprint(threshold, concept, name)
    if misprint:
        return _Check(Truth.UNKNOWN, (misprint,), ())
    target = threshold.unit
    if target is None:
        if value.unit is None or (concept is not None and concept.unit is None):
            # a measure without a unit (INR, a class): the number as recorded
            return _compare(replace(value, unit=None), value.value, op, threshold.value, "")
        return _Check(
            Truth.UNKNOWN,
            (f"threshold {fmt(threshold.value)} has no unit; {value.label} is in {value.unit}: not compared",),
        )
    if value.unit is None:
        reason = f"{value.label} has no unit: not compared with {fmt(threshold.value)} {target}"
        return _Check(Truth.UNKNOWN, (reason,), (name,))
    if not value.unit_ok:
        return _Check(Truth.UNKNOWN, (f"{value.label}: unit {value.unit!r} not understood",), (name,))
    converted, problem = _convert(value.value, value.unit, target, concept)
    if converted is None:
        return _Check(Truth.UNKNOWN, (f"{value.label}: {problem}",), (f"{name} in {target}",))
    return _compare(value, converted, op, threshold.value, target)


def _misprint(threshold: Threshold, concept: Any, name: str) -> str | None:
    """A threshold no trial could mean ('hemoglobin >= 9 g/mm3', written for 9 g/dL) is
    a misprint: compared as written it would decide against every patient, so it is not
    compared at all. The measure's `plausible` range (in its unit) says what could be meant."""
    plausible = getattr(concept, "plausible", None) if concept is not None else None
    if plausible is None or threshold.unit is None:
        return None
    amount, _ = _convert(threshold.value, threshold.unit, concept.unit, concept)
    low, high = plausible
    if amount is None or low <= amount <= high:
        return None
    return (
        f"threshold {fmt(threshold.value)} {threshold.unit} ({derive.shown(amount)} {concept.unit}) is outside "
        f"{fmt(low)}-{fmt(high)} {concept.unit}, where a {name} threshold can lie: probably a misprint in the criterion; not compared"
    )


def _convert(amount: Decimal, unit: str, target: str, concept: Any) -> tuple[Decimal | None, str]:
    if unit == target:
        return amount, ""
    molar_mass = getattr(concept, "molar_mass", None) if concept is not None else None
    try:
        return _converted(amount, unit, target, molar_mass)
    except TypeError:  # an amount that cannot be a key (a signalling NaN): not remembered
        return _convert_now(amount, unit, target, molar_mass)


@lru_cache(maxsize=65536)
def _converted(amount: Decimal, unit: str, target: str, molar_mass: Any) -> tuple[Decimal | None, str]:
    """`_convert_now`, remembered: a conversion through pint costs about 0.2 ms, and a
    population's values and units repeat (8 % of screening 300 synthetic patients). Equal
    amounts written differently (1.0, 1.00) share an entry, and their results are the
    same: `tidy` normalises them."""
    return _convert_now(amount, unit, target, molar_mass)


def _convert_now(amount: Decimal, unit: str, target: str, molar_mass: Any) -> tuple[Decimal | None, str]:
    try:
        return tidy(units.convert(amount, unit, target, molar_mass=molar_mass)), ""
    except UnitError:
        return None, f"{unit} and {target} are different quantities or not convertible: not compared"
    except (ValueError, ArithmeticError, TypeError, KeyError, AttributeError) as error:  # messy data
        return None, f"{unit} cannot be converted to {target} ({type(error).__name__}): not compared"


def _holds(x: Decimal, op: str, t: Decimal) -> bool:
    match op:
        case ">=":
            return x >= t
        case ">":
            return x > t
        case "<=":
            return x <= t
        case "<":
            return x < t
        case "=":
            return x == t
    raise ValueError(f"unknown operator {op!r}")


def _truth_of_bound(x: Decimal, comparator: str | None, op: str, t: Decimal) -> Truth:
    """Whether `v op t` holds for the true value v, recorded as `x` or, with a comparator
    ('<0.1'), only as a bound `v comparator x`: TRUE if it holds for every v allowed, FALSE
    for none, else UNKNOWN. Both sets are intervals ending at x or t, so points at, between
    and beyond x and t decide.
    """
    if comparator is None:
        return Truth.of(_holds(x, op, t))
    step = abs(x - t) / 2 or Decimal(1)
    far = abs(x) + abs(t) + 1
    points = {x, t, x - step, x + step, t - step, t + step, x - far, x + far}
    holds = {_holds(v, op, t) for v in points if _holds(v, comparator, x)}
    if holds == {True}:
        return Truth.TRUE
    return Truth.FALSE if holds == {False} else Truth.UNKNOWN


def _compare(value: _Value, x: Decimal, op: str, t: Decimal, unit: str) -> _Check:
    truth = _truth_of_bound(x, value.comparator, op, t)
    shown_unit = f" {unit}" if unit else ""
    converted = ""
    if value.unit and unit and value.unit != unit:
        sign, number = derive.shown(x).split(" ")
        converted = f" {sign} {value.comparator or ''}{number}{shown_unit}"
    return _Check(truth, (f"{value.label}{converted} {_symbol(op, truth)} {fmt(t)}{shown_unit}",))


def _symbol(op: str, truth: Truth) -> str:
    """'≥' when it holds, '<' when it does not, 'cannot tell whether ≥' otherwise."""
    if truth is Truth.TRUE:
        return _SYMBOL[op]
    if truth is Truth.FALSE:
        return _NEGATED[op]
    return f"cannot tell whether {_SYMBOL[op]}"


def _check_scale(value: _Value, op: str, threshold: Threshold, scale: Any, name: str) -> _Check:
    """Performance scales (ECOG, Karnofsky, Lansky) are compared as recorded, whatever unit
    string a source attached ('{score}', '%'): never mapped from one scale onto another."""
    low_high = _scale_range(scale)
    if threshold.unit not in (None, "%"):
        # 'at least 25 follicles (2-9 mm)': a number in a unit is of something else
        return _Check(Truth.UNKNOWN, (f"{fmt(threshold.value)} {threshold.unit} is no value of the {name} scale: not compared",), ())
    if low_high is None:
        return _compare(replace(value, unit=None), value.value, op, threshold.value, "")
    shown = f"{fmt(low_high[0])}-{fmt(low_high[1])}"
    if not (low_high[0] <= threshold.value <= low_high[1]):
        # 'PC-PTSD-5 score >= 10' on a scale of 0-5: a misprint, or another scale meant
        return _Check(Truth.UNKNOWN, (f"{fmt(threshold.value)} is outside the {name} scale {shown}: not compared",), ())
    if not (low_high[0] <= value.value <= low_high[1]):
        return _Check(Truth.UNKNOWN, (f"{value.label} is outside the {name} scale {shown}: not compared",), (name,))
    return _compare(replace(value, unit=None), value.value, op, threshold.value, "")


def _scale_range(scale: Any) -> tuple[Decimal, Decimal] | None:
    if isinstance(scale, (tuple, list)) and len(scale) == 2:
        try:
            return Decimal(str(scale[0])), Decimal(str(scale[1]))
        except ArithmeticError:
            return None
    for lo, hi in (("low", "high"), ("min", "max"), ("minimum", "maximum")):
        if hasattr(scale, lo) and hasattr(scale, hi):
            return Decimal(str(getattr(scale, lo))), Decimal(str(getattr(scale, hi)))
    return None


def _check_relative(value: _Value, op: str, threshold: Threshold, concept: Any, name: str) -> _Check:
    """'ALT <= 2.5 x ULN': a multiple of the observation's reference limit, else the default."""
    which = threshold.relative_to
    limit = value.ref_high if which == "ULN" else value.ref_low
    source: str
    if limit is not None:
        limit_unit = value.ref_unit or value.unit
        source = f"{which} {fmt(limit)}{' ' + limit_unit if limit_unit else ''}: reference range on the observation"
    else:
        default = _default_uln(concept) if which == "ULN" else None
        if default is None:
            return _Check(
                Truth.UNKNOWN,
                (f"{value.label}: no reference range on the observation and no default {which} for {name}",),
                (f"{which} of {name}",),
            )
        limit, limit_unit, where = default
        unit_text = f" {limit_unit}" if limit_unit else ""
        source = f"{which} {fmt(limit)}{unit_text}: default, no reference range on the observation ({where})"
    amount = value.value
    if limit_unit and value.unit and limit_unit != value.unit:
        if not value.unit_ok:
            return _Check(Truth.UNKNOWN, (f"{value.label}: unit {value.unit!r} not understood",), (name,))
        amount, problem = _convert(value.value, value.unit, limit_unit, concept)
        if amount is None:
            return _Check(Truth.UNKNOWN, (f"{value.label}: {problem}", source), ())
    elif limit_unit and not value.unit:
        return _Check(Truth.UNKNOWN, (f"{value.label} has no unit: not compared with the {which}", source), (name,))
    bound = tidy(threshold.value * limit)
    truth = _truth_of_bound(amount, value.comparator, op, bound)
    converted = f" {derive.shown(amount)} {limit_unit}" if value.unit != limit_unit and limit_unit else ""
    symbol = _symbol(op, truth)
    unit_text = f" {limit_unit}" if limit_unit else ""
    reason = f"{value.label}{converted} {symbol} {fmt(threshold.value)} x {which} {derive.shown(bound)}{unit_text}"
    band = getattr(concept, "uln_band", None) if value.ref_high is None and which == "ULN" else None
    if band is not None and any(_truth_of_bound(amount, value.comparator, op, tidy(threshold.value * b)) is not truth for b in band):
        # 'ALT <= 1.5 x ULN' with an ALT of 63 and no reference range: 60 at a ULN of 40,
        # 118 at 79; which laboratory's ULN is meant, the record does not say
        low, high = (fmt(tidy(threshold.value * b)) for b in band)
        spread = f"{fmt(threshold.value)} x {which} is {low}-{high}{unit_text} over the ULNs laboratories use ({fmt(band[0])}-{fmt(band[1])}{unit_text})"
        return _Check(Truth.UNKNOWN, (f"{value.label}{converted}: {spread}", source), (f"reference range of {name}",))
    return _Check(truth, (reason, source))


def _default_uln(concept: Any) -> tuple[Decimal, str, str] | None:
    uln = getattr(concept, "uln", None) if concept is not None else None
    if uln is None:
        return None
    if isinstance(uln, (tuple, list)):
        value, unit, source = (*uln, "")[:3]
    else:
        value, unit, source = getattr(uln, "value", None), getattr(uln, "unit", None), getattr(uln, "source", "")
    if value is None or unit is None:
        return None
    return Decimal(str(value)), str(unit), str(source or "vocabulary default")


def _age_unit(unit: str | None) -> str | None:
    if unit is None:
        return "years"
    key = unit.strip().lower()
    if key in _AGE_UNITS:
        return _AGE_UNITS[key]
    try:
        key = units.normalize_unit(unit).strip().lower()
    except (UnitError, ValueError, AttributeError):
        return None
    return _AGE_UNITS.get(key)


def _check_age(value: _Value, op: str, threshold: Threshold) -> _Check:
    assert value.age_of is not None
    unit = _age_unit(threshold.unit)
    if unit is None:
        return _Check(Truth.UNKNOWN, (f"age threshold in {threshold.unit!r}: not a unit of age elig knows",))
    if threshold.relative_to is not None:
        return _Check(Truth.UNKNOWN, (f"age relative to the {threshold.relative_to}: not meaningful",))
    if unit == "hours":
        return _check_age_in_hours(value, op, threshold)
    derived = value.age_of(unit)
    if derived.value is None:
        return _Check(Truth.UNKNOWN, (derived.reason,), derived.missing or ("date of birth",))
    truth = Truth.of(_holds(derived.value, op, threshold.value))
    reasons = [f"{derived.reason} {_symbol(op, truth)} {fmt(threshold.value)} {unit}"]
    if threshold.unit is None:
        reasons.append("age threshold without a unit taken as years")
    return _Check(truth, tuple(reasons))


def _check_age_in_hours(value: _Value, op: str, threshold: Threshold) -> _Check:
    """'Age less than 72 hours': a date of birth and a screening date without their hours
    put the age strictly between 24 (days - 1) and 24 (days + 1) hours; the verdict is
    given only where every age in that interval says the same."""
    assert value.age_of is not None
    derived = value.age_of("days")
    if derived.value is None:
        return _Check(Truth.UNKNOWN, (derived.reason,), derived.missing or ("date of birth",))
    low, high = max(Decimal(0), 24 * (derived.value - 1)), 24 * (derived.value + 1)
    bound = threshold.value
    if op in ("<", "<="):
        truth = Truth.TRUE if high <= bound else Truth.FALSE if low >= bound else Truth.UNKNOWN
    elif op in (">", ">="):
        truth = Truth.TRUE if low >= bound else Truth.FALSE if high <= bound else Truth.UNKNOWN
    else:
        truth = Truth.UNKNOWN
    reasons = [f"{derived.reason}: between {fmt(low)} and {fmt(high)} hours (no hour of birth on record) {_symbol(op, truth)} {fmt(bound)} hours"]
    return _Check(truth, tuple(reasons))


# --- sex ---------------------------------------------------------------------------------


def _sex(node: Sex, ctx: _Ctx) -> Outcome:
    sex = ctx.patient.sex
    admitted = " or ".join(node.sexes)
    if sex in ("female", "male"):
        truth = Truth.of(sex in node.sexes)
        verb = "is" if truth is Truth.TRUE else "is not"
        return _leaf(node, truth, [f"sex {sex} (record) {verb} {admitted}"])
    shown = "not recorded" if sex is None else f"recorded as {sex}"
    return _leaf(node, Truth.UNKNOWN, [f"sex {shown}: cannot tell whether {admitted}"], ["sex"])


# --- time windows ------------------------------------------------------------------------

_STANDS_FOR_AS_OF = {"screening", "enrollment", "consent", "randomization"}
_FUTURE_TREATMENT = {"first_dose": "first dose", "infusion": "infusion"}


@dataclass(frozen=True)
class _Span:
    """When a recorded event happened: [start, end]; `ongoing` says what follows `end`
    when there is none (TRUE: still going at the as-of date; FALSE: a single day).
    `start_late`/`end_late`: the last day a date known only to the month or year can be."""

    start: date | None
    end: date | None
    ongoing: Truth
    what: str  # 'myocardial infarction (onset 2025-01-02)'
    subject: str  # the concept's name, for what is missing
    start_late: date | None = None
    end_late: date | None = None
    # the record is of an event (`ACUTE_EVENTS`), which happens on its onset day: the record's
    # own concept, not the criterion's ('cerebrovascular disease' asked, a stroke on record)
    event: bool = False


def _span_of(record: Any, start: date | None, end: date | None, ongoing: Truth, what: str, subject: str, *, event: bool = False) -> _Span:
    late = {p.field: p.latest for p in getattr(record, "partial_dates", ())}
    return _Span(
        start,
        end,
        ongoing,
        what,
        subject,
        start_late=next((late[f] for f in ("onset", "start") if f in late), None),
        end_late=next((late[f] for f in ("abatement", "end") if f in late), None),
        event=event,
    )


def _anchor(window: Window, ctx: _Ctx) -> tuple[date | None, str | None]:
    """The anchor's date and the assumption made to get it (None: no assumption)."""
    anchor = window.anchor
    if anchor == "as_of":
        return ctx.as_of, None
    if anchor in _STANDS_FOR_AS_OF:
        return ctx.as_of, f"{anchor} taken as the as-of date {ctx.as_of.isoformat()}"
    if anchor in _FUTURE_TREATMENT:
        return ctx.as_of, (
            f"the {_FUTURE_TREATMENT[anchor]} is still to come: the window is counted back from the"
            f" as-of date {ctx.as_of.isoformat()}"
        )
    return None, f"window counted from the {anchor} date, which elig does not take from the record"


def _minus(anchor: date, duration: Duration, half_life_hours: Decimal | None) -> date | None:
    """`anchor` minus `duration`: days and weeks exact, months and years calendar (day clamped
    to the month's end), hours and half-lives rounded up to whole days. None: half-life unknown."""
    key = (anchor, duration.value, duration.unit, half_life_hours)
    try:
        return _MINUS[key]
    except KeyError:
        pass
    except TypeError:  # a value that cannot be a key (a signalling NaN): not remembered
        return _minus_now(anchor, duration, half_life_hours)
    if len(_MINUS) >= _PER_NODE_MAX:
        _MINUS.clear()
    found = _MINUS[key] = _minus_now(anchor, duration, half_life_hours)
    return found


# (anchor, duration's value and unit, half-life) -> `_minus_now`: every record of every
# windowed leaf asks it again for every patient, of a few anchors and durations (1.4 % of
# screening synthetic patients, speed8)
_MINUS: dict[tuple, date | None] = {}


def _minus_now(anchor: date, duration: Duration, half_life_hours: Decimal | None) -> date | None:
    try:
        return _minus_exact(anchor, duration, half_life_hours)
    except (OverflowError, ValueError):  # 'within 10000 years': before any date there is
        return date.min


def _minus_exact(anchor: date, duration: Duration, half_life_hours: Decimal | None) -> date | None:
    value = duration.value
    match duration.unit:
        case "day":
            return anchor - timedelta(days=math.ceil(value))
        case "week":
            return anchor - timedelta(days=math.ceil(value * 7))
        case "hour":
            return anchor - timedelta(days=math.ceil(value / 24))
        case "half_life":
            if half_life_hours is None:
                return None
            return anchor - timedelta(days=math.ceil(value * half_life_hours / 24))
        case "month" | "year":
            months = value * 12 if duration.unit == "year" else value
            whole = int(months)
            start = derive.add_months(anchor, -whole)
            fraction = months - whole
            if fraction:
                start -= timedelta(days=math.ceil(fraction * Decimal("30.4375")))
            return start
        case _:
            assert_never(duration.unit)


def _duration_text(duration: Duration) -> str:
    if duration.unit == "half_life":
        return f"{fmt(duration.value)} half-li{'fe' if duration.value == 1 else 'ves'}"
    return f"{fmt(duration.value)} {duration.unit}{'' if duration.value == 1 else 's'}"


def _in_window(
    span: _Span,
    window: Window,
    ctx: _Ctx,
    *,
    before_uses: Literal["start", "end"],
    half_life: tuple[str, Decimal | None] | None = None,
) -> tuple[Truth, list[str], list[str]]:
    """Whether an event span meets `window`: its truth, reasons and what is missing.

    within: the span [start, end] overlaps [anchor - longest duration, anchor].
    before: the event's day (`before_uses`: a condition's onset, a treatment's last day) is
    more than the longest duration before the anchor.
    """
    anchor, assumption = _anchor(window, ctx)
    notes = [assumption] if assumption else []
    if not window.durations:
        return Truth.UNKNOWN, [f"{span.what}: a window without a duration"], []
    if len(window.durations) == 1:
        durations = _duration_text(window.durations[0])
    else:
        durations = ("the shorter of " if window.shortest else "the longer of ") + " and ".join(_duration_text(d) for d in window.durations)
    if anchor is None:
        reason = f"{span.what}: {window.relation} {durations} of the {window.anchor}: cannot tell"
        return Truth.UNKNOWN, [reason, *notes], [f"{window.anchor} date"]
    starts: list[date] = []
    unknown: list[str] = []
    drug = half_life[0] if half_life else span.subject
    for duration in window.durations:
        start = _minus(anchor, duration, half_life[1] if half_life else None)
        if start is None:
            unknown.append(f"window of {_duration_text(duration)} needs the half-life of {drug}")
        else:
            starts.append(start)
    if not starts:
        return Truth.UNKNOWN, [f"{span.what}: " + "; ".join(unknown), *notes], [f"half-life of {drug}"]
    window_start = _window_start(window, starts)
    if window.relation == "within":
        label = f"within {durations} before {anchor.isoformat()} (window from {window_start.isoformat()})"
    else:
        label = f"more than {durations} before {anchor.isoformat()} (before {window_start.isoformat()})"
    truth, why = _span_over_dates(span, window, window_start, anchor, ctx, before_uses)
    missing: list[str] = []
    if unknown:
        # the true window is at least this long: 'within' can still be TRUE, 'before' still
        # FALSE; with 'whichever is shorter' at most this long: 'within' can still be FALSE,
        # 'before' still TRUE
        decided = (Truth.FALSE, Truth.TRUE) if window.shortest else (Truth.TRUE, Truth.FALSE)
        if (window.relation == "within" and truth is not decided[0]) or (
            window.relation == "before" and truth is not decided[1]
        ):
            truth = Truth.UNKNOWN
            missing.append(f"half-life of {drug}")
        notes.extend(unknown)
    elif truth is Truth.UNKNOWN:
        missing.append(f"date of {span.subject}")
    verdict = {Truth.TRUE: "", Truth.FALSE: "not ", Truth.UNKNOWN: "cannot tell whether "}[truth]
    reason = f"{span.what}: {verdict}{label}" + (f": {why}" if why else "")
    return truth, [reason, *notes], missing


def _window_start(window: Window, starts: list[date]) -> date:
    """Where the window opens, of the starts its durations give: the longest window, or with
    'whichever is shorter' the shortest."""
    return max(starts) if window.shortest else min(starts)


def _span_over_dates(
    span: _Span, window: Window, window_start: date, anchor: date, ctx: _Ctx, before_uses: Literal["start", "end"]
) -> tuple[Truth, str]:
    """`_span_truth` over every day a partial date allows: the truth is piecewise constant
    between the window's edges, so the range's ends and the edges inside it decide."""
    if span.start_late is None and span.end_late is None:
        return _span_truth(span, window, window_start, anchor, ctx, before_uses)

    def days(low: date | None, high: date | None) -> set[date | None]:
        if low is None or high is None:
            return {low}
        picks = {low, high}
        for edge in (window_start, anchor):
            for day in (edge - timedelta(days=1), edge, edge + timedelta(days=1)):
                if low <= day <= high:
                    picks.add(day)
        return picks

    results = {
        _span_truth(replace(span, start=s, end=e), window, window_start, anchor, ctx, before_uses)[0]
        for s in days(span.start, span.start_late)
        for e in days(span.end, span.end_late)
        if s is None or e is None or s <= e
    }
    if len(results) == 1:
        truth = results.pop()
        return truth, _span_truth(span, window, window_start, anchor, ctx, before_uses)[1] + (
            "; a date known only to the month or year, the same on any day of it"
        )
    return Truth.UNKNOWN, "a date known only to the month or year: the verdict depends on the exact day"


def _span_truth(
    span: _Span, window: Window, window_start: date, anchor: date, ctx: _Ctx, before_uses: Literal["start", "end"]
) -> tuple[Truth, str]:
    start, end = span.start, span.end
    if end is None:
        if span.ongoing is Truth.TRUE:
            end = ctx.as_of
        elif span.ongoing is Truth.FALSE:
            end = start
    if start is None and end is None:
        return Truth.UNKNOWN, "no date recorded"
    if window.relation == "within":
        if start is not None and start > anchor:
            return Truth.FALSE, "after it"
        if start is not None and start >= window_start:
            return Truth.TRUE, ""
        if ctx.onset_only and start is not None and (end is None or end >= window_start):
            # diagnosed before the window and still going in it: whether the criterion asks
            # for the diagnosis or for the disease in that time, the words do not settle
            return Truth.UNKNOWN, "diagnosed before it, went on into it: whether that is 'diagnosed within' it is not said"
        if end is not None:
            if span.end is None and span.event:
                # a stroke of 1978 a record still calls active (Synthea never closes them):
                # the event is its onset, before the window; whether another came within it,
                # the record does not say (read as still going, a 48-year-old stroke was
                # 'within 6 months')
                return Truth.UNKNOWN, "an event that happened before it, its record never closed: whether another came within it is not recorded"
            if end >= window_start:
                return Truth.TRUE, "began earlier, went on into it" if span.end else "began earlier, still going"
            return Truth.FALSE, f"ended {end.isoformat()}" if span.end is not None else ""
        if start is None:
            return Truth.UNKNOWN, "no start date recorded"
        return Truth.UNKNOWN, "began earlier; when it ended is not recorded"
    day = start if before_uses == "start" else end
    if day is not None:
        still = before_uses == "end" and span.end is None and span.ongoing is Truth.TRUE
        return Truth.of(day < window_start), "still going" if still else ""
    if start is not None and start >= window_start:
        return Truth.FALSE, "began inside the window"
    return Truth.UNKNOWN, "end not recorded"


# conditions that are events, which happen on their onset day and are over: a record of one
# left active says nothing of it going on (the names of rules/vocab/conditions.toml)
ACUTE_EVENTS = frozenset({
    "stroke", "ischemic stroke", "hemorrhagic stroke", "transient ischemic attack", "myocardial infarction", "cardiac arrest",
    "pulmonary embolism", "deep vein thrombosis", "venous thromboembolism", "acute coronary syndrome", "thrombosis",
    "intracranial hemorrhage", "gastrointestinal bleeding", "concussion", "traumatic injury",
})  # fmt: skip


def _is_event(vocab: Any, concept: Any) -> bool:
    """Whether a record fitting `concept` (the narrowest concept it fits) is of an event: the
    concept or one of its ancestors through strict parents is in `ACUTE_EVENTS` ('ischemic
    stroke' under 'stroke'; not a traumatic brain injury, only loosely a traumatic injury: its
    consequences last). Asked of the record's concept, never of the criterion's:
    'cerebrovascular disease within 12 months' and a stroke of 1978 on record is a question
    about that stroke (the fourteenth audit, W10). Remembered per vocabulary and concept."""
    return _per_concept(
        _IS_EVENT,
        vocab,
        concept,
        lambda: concept.kind == "condition"
        and (
            concept.name in ACUTE_EVENTS
            or any(a.name in ACUTE_EVENTS and vocab.strictly_under(concept, a) for a in vocab.ancestors(concept) if a.kind == "condition")
        ),
    )


_IS_EVENT: dict[tuple[int, str, str], tuple[Any, bool]] = {}


def _partial_notes(partials: Sequence[Any]) -> tuple[str, ...]:
    return tuple(f"{p.field} known only to the {p.precision}" for p in partials)


def _date(day: date | None) -> str:
    return day.isoformat() if day else "undated"


# --- records: conditions, medications, procedures ----------------------------------------


def _unrecorded(concept_name: str, ctx: _Ctx, qualifier: str = "", *, other: bool = False) -> tuple[Truth, str]:
    """What the record's silence means: FALSE in the closed world (and the reason says so)."""
    what = f"{'other ' if other else ''}record of {qualifier}{concept_name}"
    unidentified = _unidentified(ctx.patient)
    if unidentified:
        return Truth.UNKNOWN, f"no {what}, but a record that could not be read may be one ({unidentified[0]})"
    if ctx.open_world:
        return Truth.UNKNOWN, f"no {what} (open world: not shown is unknown)"
    concept = ctx.vocab.find(concept_name)
    if concept is not None and getattr(concept, "open_world", False):
        return Truth.UNKNOWN, f"no {what} (records do not show its absence)"
    condition = derive.lookup(ctx.vocab, ("condition",), concept_name)
    implied = _implied_by_drugs(condition, ctx) if condition is not None else None
    if implied is not None:
        return Truth.UNKNOWN, f"no {what}, but {implied}"
    return Truth.FALSE, f"no {what} (closed world)"


def _implied_by_drugs(concept: Any, ctx: _Ctx) -> str | None:
    """A medication on record given for `concept` (or a narrower or broader condition,
    `_implying_drugs`) that no condition record names: the record's silence is then not its
    absence, and the drug alone is not the condition either (metformin for PCOS, an
    antiretroviral as prophylaxis). 'Patients with diabetes' passed a patient on glipizide
    and 'Positive for HIV' one on dolutegravir (the sixteenth audit, W5). The reason, or None."""
    for drug, implied in _implying_drugs(ctx.vocab, concept):
        if derive.fits_any(ctx.vocab, implied, ctx.patient.conditions):
            continue  # the record names what the drug may be for
        matches = derive.record_matches(ctx.vocab, drug, ctx.patient.medications)
        for record, matched in zip(ctx.patient.medications, matches):
            if matched is None or record.status in _NOT_TAKEN or (record.start is not None and record.start > ctx.as_of):
                continue
            if not ctx.vocab.strictly_under(matched, drug):
                continue  # a drug of the class for some criteria only (methotrexate, a cytotoxic at cancer doses)
            name = _record_name(record, matched.name)
            return f"{name} ({drug.name}) on record, a drug for {implied.name}: the record may not name it ({drug.implies_source})"
    return None


def _implying_drugs(vocab: Any, concept: Any) -> tuple[tuple[Any, Any], ...]:
    """(drug or class, condition it implies) for each vocabulary link whose condition is
    `concept`, under it (a drug for type 2 diabetes is one for diabetes) or above it (a drug
    for diabetes may be one for type 1). Remembered per vocabulary and concept."""
    return _per_concept(_IMPLYING, vocab, concept, lambda: tuple(
        (drug, implied)
        for drug in (*vocab.concepts("drug_class"), *vocab.concepts("drug"))
        if drug.implies
        for implied in (vocab.get("condition", name) for name in drug.implies)
        if implied is concept or concept in vocab.ancestors(implied) or implied in vocab.ancestors(concept)
    ))


_IMPLYING: dict[tuple[int, str, str], tuple[Any, tuple[tuple[Any, Any], ...]]] = {}


def _unidentified(patient: Patient) -> list[str]:
    """`patient.unidentified()`, remembered for the last patient asked (records are frozen):
    every record leaf of every criterion asks it."""
    global _LAST_UNIDENTIFIED
    last, found = _LAST_UNIDENTIFIED
    if last is not patient:
        found = patient.unidentified()
        _LAST_UNIDENTIFIED = (patient, found)
    return found


_LAST_UNIDENTIFIED: tuple[Patient | None, list[str]] = (None, [])


def _not_in_vocabulary(node: Any, ctx: _Ctx) -> Outcome:
    """UNKNOWN in either world: what the vocabulary does not know cannot be shown absent."""
    reason = f"{node.concept} not in the vocabulary: cannot be shown absent"
    other = derive.lookup(ctx.vocab, ("condition", "drug", "drug_class", "procedure", "measure"), node.concept)
    if other is not None:
        kind = other.kind.replace("_", " ")
        reason = f"{node.concept} is a {kind} in the vocabulary, not a {node.kind}: cannot be shown absent"
    return _leaf(node, Truth.UNKNOWN, [reason], [node.concept])


def _redirect(node: Condition | Medication | Procedure, ctx: _Ctx) -> Outcome | None:
    """A record node whose concept the vocabulary files under another kind ('history of
    stem cell transplant' as a condition, 'prior radiotherapy' as a medication): evaluated
    against the records of that kind, when nothing but the window needs carrying over."""
    other = derive.lookup(ctx.vocab, ("condition", "drug", "drug_class", "procedure"), node.concept)
    if other is None:
        return None
    if (isinstance(node, Condition) and node.active is not None) or (
        isinstance(node, Medication) and node.dose is not None
    ):
        return None
    kind = other.kind
    target: Any
    if kind == "condition":
        target = Condition(concept=other.name, window=node.window, span=node.span)
    elif kind == "procedure":
        target = Procedure(concept=other.name, window=node.window, span=node.span)
    else:
        target = Medication(concept=other.name, window=node.window, span=node.span)
    if type(target) is type(node):
        return None
    inner = _RECORD_LEAVES[type(target)](target, ctx)  # judged here: a node made per call is remembered by no memo
    note = f"{node.concept} is a {kind.replace('_', ' ')} in the vocabulary: {kind.replace('_', ' ')} records searched"
    return inner.model_copy(update={"kind": node.kind, "reasons": (*inner.reasons, note)})


def _record_name(record: Any, concept_name: str) -> str:
    """How the record names itself: its text, a coding's display, else the concept it was
    matched to with the code ('prednisone (rxnorm 8640)')."""
    if record.text:
        return record.text
    for coding in record.codings:
        if coding.display:
            return coding.display
    if record.codings:
        c = record.codings[0]
        return f"{concept_name} ({derive.short_system(c.system)} {c.code})"
    return concept_name


def _combine_records(
    node: Any,
    found: list[tuple[Truth, list[str], list[str]]],
    concept_name: str,
    ctx: _Ctx,
    qualifier: str,
    notes: list[str],
) -> Outcome:
    """OR over the matching records, then OR with what the record's silence means."""
    record_truth = any_of(t for t, _, _ in found)
    reasons = [r for t, rs, _ in found for r in rs]
    missing = [m for t, _, ms in found if t is Truth.UNKNOWN for m in ms]
    if record_truth is Truth.TRUE and ctx.windowed and isinstance(node, _EVENTS) and node.window is None:
        # 'prior radiotherapy, chemotherapy within 4 weeks': the window written once may
        # cover every event of the criterion, so a record outside it cannot decide alone
        record_truth = Truth.UNKNOWN
        reasons.append("another item of this criterion has a time window, which may cover this one too")
        missing.append(f"date of {concept_name}")
    if record_truth is not Truth.TRUE:
        silence, why = _unrecorded(concept_name, ctx, qualifier, other=bool(found))
        reasons.append(why)
        if silence is Truth.UNKNOWN:
            missing.append(concept_name)
        record_truth = record_truth | silence
    return _leaf(node, record_truth, [*reasons, *notes], missing)


def _silence(node: Any, ctx: _Ctx, build: Callable[[], Outcome]) -> Outcome:
    """`build()`: what a record leaf says of a patient none of whose records it reads (no
    record fits its concept, nor, for a condition, a broader one): `_combine_records` with
    nothing found. That depends on the node, the world, the vocabulary and the first record
    that could not be read (`_unrecorded`), on nothing else of the patient (no date, window
    or record is read), so it is remembered across patients: most leaves say this of most
    patients. Remembered by the node's identity (the entry holds the node and the
    vocabulary, so their ids are not reused while remembered)."""
    unidentified = _unidentified(ctx.patient)
    key = (id(node), ctx.open_world, unidentified[0] if unidentified else None, id(ctx.vocab))
    hit = _SILENT.get(key)
    if hit is not None and hit[0] is node and hit[1] is ctx.vocab:
        return hit[2]
    if len(_SILENT) >= _PER_NODE_MAX:
        _SILENT.clear()
        _SILENT_NUMBERS.clear()
    outcome = build()
    _SILENT[key] = (node, ctx.vocab, outcome)
    _SILENT_NUMBERS[id(outcome)] = (outcome, _verdict_number(outcome), _shape_number(outcome))
    return outcome


_SILENT: dict[tuple, tuple[Any, Any, Outcome]] = {}
# a silent Outcome (shared by the patients of whom its leaf reads no record) -> its memo
# entry with its numbers (`_remembered_leaf`): numbered once, not once per patient. A number
# stays its verdict's after `_VERDICTS` is cleared (numbers are never given again), so an
# entry kept longer than the table only means a verdict with two numbers: a missed hit.
_SILENT_NUMBERS: dict[int, tuple[Outcome, int, int | None]] = {}


def _silent_entry(node: Any, ctx: _Ctx) -> tuple[Outcome, int, int | None] | None:
    """The memo entry of the Outcome `_silence` remembered for this leaf (with its numbers,
    `_SILENT_NUMBERS`), when the leaf reads none of the patient's records
    (`_silence_test`) and a patient before said it: decided before the judging function,
    which a silent leaf went through only to reach that memo (54 conditions and 27
    medications a synthetic patient, about 10 % of screening them, speed8). None where the
    leaf must be judged."""
    test = _SILENCE_TESTS.get(id(node))
    if test is None or test[0] is not node or test[1] is not ctx.vocab:  # the entry holds both: ids not reused
        if len(_SILENCE_TESTS) >= _PER_NODE_MAX:
            _SILENCE_TESTS.clear()
        test = _SILENCE_TESTS[id(node)] = (node, ctx.vocab, _silence_test(node, ctx.vocab))
    reads = test[2]
    if reads is None or reads(ctx.patient):
        return None
    unidentified = _unidentified(ctx.patient)
    hit = _SILENT.get((id(node), ctx.open_world, unidentified[0] if unidentified else None, id(ctx.vocab)))
    if hit is None or hit[0] is not node or hit[1] is not ctx.vocab:
        return None
    entry = _SILENT_NUMBERS.get(id(hit[2]))
    return entry if entry is not None and entry[0] is hit[2] else None


def _silence_test(node: Any, vocab: Any) -> Callable[[Patient], bool] | None:
    """For a record leaf whose judging function ends in `_silence` when none of the
    patient's records fit: a test of whether the leaf may read some of a patient's records
    (False: its Outcome is the silent one). The same conditions as `_condition`,
    `_medication` and `_procedure` on the way to `_silence`, stated once more here; a
    test may say True where the leaf turns out silent (it is judged then, as before), never
    False where it is not (tests/test_speed10.py judges every leaf of the bundled trials
    both ways). None where the leaf is never decided so: judged every time.

    Made once per leaf with every concept it asks about numbered in the index of the field
    it reads (`_fits`): what a patient is asked is then which of them its records fit,
    worked out once per patient (`derive.FitIndex.fitted`), and `derive.fits_any` of a
    concept is a look-up of its number there (tests/test_speed15a.py)."""
    if isinstance(node, Condition):
        concept = derive.lookup(vocab, ("condition",), node.concept)
        beyond = node.concept in _READ_BEYOND_RECORDS
        if concept is None or (beyond and node.concept not in _READ_OBSERVATIONS_ONLY):  # `_redirect`; see there
            return None
        own_systems, broader_ones, above, by_kind = _broader_of(vocab, concept)
        conditions, medications = _fits(vocab, "conditions"), _fits(vocab, "medications")
        own = conditions.number(concept)
        family = tuple(conditions.number(c) for c in (concept, *vocab.ancestors(concept)))  # `derive.fits_any_broader`

        def reads_conditions(patient: Patient) -> bool:
            records = patient.conditions
            fitted = conditions.fitted(records)
            if fitted.isdisjoint(family):  # `_condition_records` goes to `_silence`
                return False
            # else it reads the records that fit the concept, and those `_broader_records` keeps:
            # a record of a broader condition, not one in another branch under the same
            # ancestor (a B-cell leukemia for 'T-cell acute lymphoblastic leukemia', 79 % of
            # synthetic patients for two of its leaves); none of either is its silence too
            return own in fitted or any(_broader_matches(vocab, broader_ones, above, by_kind, r) for r in records)

        # a drug for the condition on record makes its silence unknown (`_implied_by_drugs`)
        drugs = tuple(medications.number(drug) for drug, _ in _implying_drugs(vocab, concept))

        def reads(patient: Patient) -> bool:
            return reads_conditions(patient) or (bool(drugs) and not medications.fitted(patient.medications).isdisjoint(drugs))

        if beyond:
            # what observations say of it (`_observed_condition`) leaves the records' silence
            # as it is where the patient has none of those it reads
            observed = findings.observation_test(vocab, node.concept)
            return lambda patient: reads(patient) or observed(patient)
        return reads
    if isinstance(node, Medication):
        concept = derive.lookup(vocab, ("drug", "drug_class"), node.concept)
        if concept is None or (node.dose is not None and _is_prednisone(concept)):  # `_redirect`; other corticosteroids' doses
            return None
        # the therapy's procedures are records of the drug; so are those of a procedure given
        # as drugs of the class (`_procedures_of_drug`)
        medications, procedures = _fits(vocab, "medications"), _fits(vocab, "procedures")
        own = medications.number(concept)
        named = (procedures.number(concept),) if concept.procedure_records and node.dose is None else ()
        given_in = tuple(procedures.number(p) for p, _ in _procedures_of_drug(vocab, concept)) if node.dose is None else ()
        by_procedure = named + given_in
        return lambda patient: own in medications.fitted(patient.medications) or (
            bool(by_procedure) and not procedures.fitted(patient.procedures).isdisjoint(by_procedure)
        )
    if isinstance(node, Procedure):
        concept = derive.lookup(vocab, ("procedure",), node.concept)
        if concept is None:
            return None
        own, broader = _statuses(vocab, concept)
        drugs = tuple(derive.lookup(vocab, ("drug", "drug_class"), name) for name in concept.drugs)
        if None in drugs:  # `_drug_on_record`: a drug the vocabulary does not know may be redirected
            return None
        conditions, medications, procedures = _fits(vocab, "conditions"), _fits(vocab, "medications"), _fits(vocab, "procedures")
        statuses = tuple(conditions.number(status) for status, _ in (*own, *broader))  # conditions that show it done
        # the procedure itself, and those of its drugs (`_medication` of the drugs reads them)
        done = (procedures.number(concept), *(procedures.number(p) for drug in drugs for p, _ in _procedures_of_drug(vocab, drug)))
        given = tuple(medications.number(drug) for drug in drugs)

        _, broader_ones, above, by_kind = _broader_of(vocab, concept) if concept.parents else (None, (), set(), {})

        def reads(patient: Patient) -> bool:
            return (
                not procedures.fitted(patient.procedures).isdisjoint(done)
                or (bool(statuses) and not conditions.fitted(patient.conditions).isdisjoint(statuses))
                or (bool(given) and not medications.fitted(patient.medications).isdisjoint(given))
                # a record of a broader procedure (`_broader_procedures`)
                or any(_broader_matches(vocab, broader_ones, above, by_kind, r) for r in patient.procedures)
            )

        return reads
    return None


def _fits(vocab: Any, fieldname: str) -> derive.FitIndex:
    """The index of the concepts silence tests ask about in one field of the patient's
    record (conditions, medications, procedures), one per vocabulary (the entry holds it,
    so its id is not reused while remembered)."""
    key = (id(vocab), fieldname)
    found = _FITS.get(key)
    if found is None or found.vocab is not vocab:
        found = _FITS[key] = derive.FitIndex(vocab)
    return found


_FITS: dict[tuple[int, str], derive.FitIndex] = {}


# Conditions whose judging reads more than the patient's condition records, so that neither
# their silence (`_silence_test`) nor their verdict with the other window flag
# (`_same_either_flag`) follows from the records: obesity (`_condition` reads the body mass
# index). Menopausal status is here for main, where `_condition` reads a woman's age for it
# since d10c372 (merged without it, tests/test_speed10.py fails); here it is only judged.
# The diseases of a transplanted organ and a tracheostomy read the procedures
# (`_SHOWN_BY_PROCEDURE`). Made from the
# rules of `_condition` below, after them.

# a record leaf (by identity) -> (the leaf, the vocabulary, its `_silence_test`)
_SILENCE_TESTS: dict[int, tuple[Any, Any, Callable[[Patient], bool] | None]] = {}


def _unreadable_record(what: str, problem: str, concept_name: str) -> tuple[Truth, list[str], list[str]]:
    """A matching record with a part that could not be read (its status, a date): it may or
    may not count, so UNKNOWN, never TRUE on what could be read."""
    return Truth.UNKNOWN, [f"{what}: could not be read from the record: {problem}"], [concept_name]


def _condition(node: Condition, ctx: _Ctx) -> Outcome:
    out = _condition_records(node, ctx)
    if node.concept == "obesity" and out.truth is not Truth.TRUE and node.window is None and not node.history and node.active is None:
        # obesity is a body mass index of 30 or more (WHO): a record with a BMI of 36 and no
        # obesity code passed 'Obesity' among exclusions (NCT03921853, the fourth audit)
        bmi = _eval(_OBESE_BMI, ctx, 1)
        if bmi.truth is Truth.TRUE:
            return _leaf(node, Truth.TRUE, ("obesity: a body mass index of 30 kg/m2 or more, with no diagnosis of obesity on record", *bmi.reasons))
    if (
        node.concept in _MENOPAUSAL_STATUSES
        and out.truth is not Truth.TRUE
        and ctx.patient.sex == "female"
        and node.window is None
        and not node.history
        and node.active is None
    ):
        # a woman of 60 or more is postmenopausal by every definition trials give (NCCN's:
        # age >= 60; others ask less): 'Postmenopausal women' stayed unknown for women of 84
        # whose records, as most do, say nothing of menopause (the fifth audit)
        age = _eval(_MENOPAUSAL_AGE, ctx, 1)
        if age.truth is Truth.TRUE and node.concept == "postmenopausal status":
            return _leaf(node, Truth.TRUE, ("postmenopausal: a woman aged 60 years or more (NCCN), with no menopause on record", *age.reasons))
        if age.truth is Truth.TRUE:  # premenopausal status
            return _leaf(node, Truth.FALSE, ("not premenopausal: a woman aged 60 years or more is postmenopausal (NCCN)", *age.reasons))
    if node.concept in _FEMALE_STATUSES and out.truth is not Truth.TRUE:
        if ctx.patient.sex == "male":
            # 'Women of childbearing potential must ...' asked a man's childbearing potential,
            # and 'what to collect next' listed it (and menopause) for a boy of 6
            return _leaf(node, Truth.FALSE, (f"sex male on record: {node.concept} is a status only women have",))
        if node.concept == "childbearing potential" and ctx.patient.sex == "female" and not node.history and node.window is None:
            # a woman is of childbearing potential from menarche until she is postmenopausal,
            # which every definition trials give holds at 60 (NCCN)
            age = _eval(_MENOPAUSAL_AGE, ctx, 1)
            if age.truth is Truth.TRUE:
                return _leaf(node, Truth.FALSE, ("not of childbearing potential: a woman aged 60 years or more is postmenopausal (NCCN)", *age.reasons))
    if node.concept in findings.CONCEPTS and not (node.concept in _FEMALE_STATUSES and ctx.patient.sex == "male"):
        out = _observed_condition(node, out, ctx)
    shown_by = _SHOWN_BY_PROCEDURE.get(node.concept)
    if shown_by is not None and out.truth is Truth.FALSE and node.window is None:
        # a kidney transplant recipient had, and by KDIGO still has, kidney disease, though the
        # record keeps only the transplant: 'Kidney or hepatic disease' passed one (the
        # eighth audit); whether the disease counts is the study team's to say
        procedure, why = shown_by
        done = _eval(procedure, ctx, 1)
        if done.truth is not Truth.FALSE:
            return _leaf(node, Truth.UNKNOWN, (f"{procedure.concept} on record: {why}", *done.reasons), (node.concept,))
    return out


def _observed_condition(node: Condition, out: Outcome, ctx: _Ctx) -> Outcome:
    """What the records (`out`) say of a condition, joined with what the patient's
    observations say of it (`engine.findings`): a smoking status, a positive result, a value
    past the line of a diagnosis. Kept in the place US Core keeps them, they were read as
    'no record of X (closed world)' (the fourteenth audit: an every-day smoker passed
    'Current smokers', a positive HBsAg 'HBsAg positive', a haemoglobin of 7.5 'Anaemia').

    An observation that says the condition is there makes FALSE (the closed world) or
    UNKNOWN TRUE; one that may be it makes FALSE UNKNOWN; one that says it is not there (a
    never smoker) keeps FALSE and makes a record's TRUE UNKNOWN: the two disagree."""
    if node.active is False:
        return out  # 'inactive X': what a status or a value says of it is not worked out here
    said: list[tuple[Truth, list[str]]] = []
    if node.concept == "tobacco use":
        found = _smoking(node, ctx)
        if found is not None:
            said.append(found)
    for rule in findings.RESULT_RULES:
        if rule.concept == node.concept:
            found = _positive_result(node, rule, ctx)
            if found is not None:
                said.append(found)
    if node.window is None:  # a value's date against the criterion's window is not worked out
        for value_rule in findings.VALUE_RULES:
            if value_rule.concept == node.concept:
                found = _value_past(value_rule, ctx)
                if found is not None:
                    said.append(found)
    if out.truth is Truth.TRUE and not node.history and node.window is None:
        normal = _normal_since_onset(node, ctx)
        if normal is not None:
            said.append((Truth.FALSE, normal))
    if not said:
        return out
    truth = any_of(t for t, _ in said)
    reasons = [r for _, rs in said for r in rs]
    if truth is Truth.TRUE and ctx.windowed and node.window is None:
        # as `_combine_records`: a window written once elsewhere in the criterion may cover this
        truth = Truth.UNKNOWN
        reasons.append("another item of this criterion has a time window, which may cover this one too")
    if out.truth is Truth.TRUE:
        if truth is not Truth.FALSE:
            return out
        return _leaf(node, Truth.UNKNOWN, (*out.reasons, *reasons, "the record and the observation disagree"), (node.concept,))
    if out.truth is Truth.UNKNOWN:
        return _leaf(node, Truth.TRUE, reasons) if truth is Truth.TRUE else out
    if truth is Truth.FALSE:
        return _leaf(node, Truth.FALSE, (*reasons, *out.reasons))
    return _leaf(node, truth, reasons, (node.concept,))


def _smoking(node: Condition, ctx: _Ctx) -> tuple[Truth, list[str]] | None:
    """What the patient's smoking statuses say of 'tobacco use': the latest for now, every
    one for the past. A former smoker has a history of smoking, is not a current smoker, and
    whether a bare 'smoking' or 'non-smokers' counts him the criterion does not say."""
    statuses = findings.smoking_statuses(ctx.patient, ctx.as_of)
    if not statuses:
        return None
    last, now = statuses[-1]
    shown = f"smoking status '{_value_said(last)}' ({_date(last.date)})"
    ever = [o for o, s in statuses if s in ("current", "former", "ever")]
    if ever and now == "never":
        first = ever[0]
        said = f"smoking status '{_value_said(first)}' ({_date(first.date)})"
        return Truth.UNKNOWN, [f"{said} and {shown} on record disagree"]
    if node.history or node.window is not None:
        if ever:
            if node.window is not None:
                return Truth.UNKNOWN, [f"{shown} on record: when the patient smoked is not recorded"]
            return Truth.TRUE, [f"{shown} on record: has smoked"]
        if now == "never":
            return Truth.FALSE, [f"{shown} on record"]
        return None
    fresh = (ctx.as_of - last.date).days <= findings.SMOKING_CURRENT_DAYS
    if now == "current":
        if fresh:
            return Truth.TRUE, [f"{shown} on record: a current smoker"]
        return Truth.UNKNOWN, [f"{shown} is the latest on record, more than {findings.SMOKING_CURRENT_DAYS} days before {ctx.as_of.isoformat()}: may have quit"]
    if now == "ever":
        return Truth.UNKNOWN, [f"{shown} on record: whether a current smoker is not recorded"]
    if now == "former":
        if node.active:
            return Truth.FALSE, [f"{shown} on record: not a current smoker"]
        return Truth.UNKNOWN, [f"{shown} on record: a former smoker; {_TENSE}"]
    return Truth.FALSE, [f"{shown} on record"]  # never smoked


def _value_said(obs: Observation, default: str = "") -> str | None:
    """A coded observation's value as its record words it: the text, else the code's display."""
    return obs.value_text or (obs.value_code.display if obs.value_code else default)


def _positive_result(node: Condition, rule: findings.ResultRule, ctx: _Ctx) -> tuple[Truth, list[str]] | None:
    """What positive results of the rule's test say of its condition: the diagnosis where the
    test defines it and, for now, while recent; a possibility otherwise."""
    results = findings.positive_results(ctx.patient, rule, ctx.as_of)
    if not results:
        return None
    last = results[-1]
    shown = f"{rule.test} {_value_said(last, 'positive')} ({_date(last.date)})"
    recent = rule.current_days is None or (ctx.as_of - last.date).days <= rule.current_days
    if node.window is not None:
        return Truth.UNKNOWN, [f"{shown} on record: whether within the criterion's window is not worked out"]
    if node.history:
        if rule.defines:
            return Truth.TRUE, [f"{shown} on record: {rule.source}"]
        return Truth.UNKNOWN, [f"{shown} on record: it may show {node.concept} ({rule.source})"]
    if rule.defines and recent:
        return Truth.TRUE, [f"{shown} on record: {rule.source}"]
    if rule.defines or recent:
        return Truth.UNKNOWN, [f"{shown} on record: it may show {node.concept} now ({rule.source})"]
    return None


def _value_past(rule: findings.ValueRule, ctx: _Ctx) -> tuple[Truth, list[str]] | None:
    """What the latest value of the rule's measure says of its condition (judged as a
    criterion with the rule's threshold is: a value too old to stand for today is none)."""
    if rule.is_ is not None and (rule.min_age_years == 0 or _eval(_age_at_least(rule.min_age_years), ctx, 1).truth is Truth.TRUE):
        past = _eval(rule.is_, ctx, 1)
        if past.truth is Truth.TRUE:
            return Truth.TRUE, [f"{rule.concept} by its value: {rule.source}", *past.reasons]
    past = _eval(rule.may, ctx, 1)
    if past.truth is Truth.TRUE:
        return Truth.UNKNOWN, [f"a value on record that may be {rule.concept}: {rule.source}", *past.reasons]
    return None


def _normal_since_onset(node: Condition, ctx: _Ctx) -> list[str] | None:
    """What says a condition that is the state of a value (`findings.ValueRule.value_is_state`:
    anaemia, neutropenia...) is over though its record is left open: the latest value on or
    before the as-of date is on the normal side and was measured after the onset of every
    record of the condition. Synthea never closes an 'Anemia (disorder)', and one of 2008 made
    'Anaemia' TRUE beside a haemoglobin of 13.1 g/dL measured in 2019 (the nineteenth audit,
    K4). A value too old to say what the patient has today still says the record's onset is
    not today's state: it leaves the record's TRUE UNKNOWN, never FALSE. The reasons, or None:
    no such rule, no value or one past the line, a record without an onset or with one on or
    after the value's day."""
    for rule in findings.VALUE_RULES:
        if rule.concept != node.concept or not rule.value_is_state:
            continue
        measure = derive.lookup(ctx.vocab, ("measure",), rule.may.measure)
        concept = derive.lookup(ctx.vocab, ("condition",), node.concept)
        if measure is None or concept is None:
            continue
        found, _, _ = derive.latest(derive.observations_of(ctx.vocab, measure, ctx.patient), ctx.as_of)
        checks = [_check_bound(_observed(_per_body_surface(o, measure), measure.name), rule.may.op, rule.may.threshold, measure, measure.name) for o in found]
        if not checks or any(c.truth is not Truth.FALSE for c in checks):
            continue
        records = ctx.patient.conditions
        onsets = [r.onset for r, m in zip(records, derive.record_matches(ctx.vocab, concept, records)) if m is not None]
        if not onsets or any(o is None or o >= found[0].date for o in onsets):
            continue
        return [f"{rule.concept} not shown by the latest value, measured after the onset on record ({rule.source})", *(r for c in checks for r in c.reasons)]
    return None


@cache
def _age_at_least(years: int) -> Comparison:
    return Comparison(measure="age", op=">=", threshold=Threshold(value=Decimal(years), unit="years"))


# conditions a procedure on record shows the patient may have, though no condition record
# says so, and why: an organ transplant (the disease of the organ it replaced), a tracheostomy
# done (the stoma, which may since have closed: a tracheostomy 17 days before passed
# 'Tracheostomy', the eighteenth audit, A5)
_GRAFT = "the disease of the organ it replaced is seldom recorded as such"
_SHOWN_BY_PROCEDURE = {
    "kidney disease": (Procedure(concept="kidney transplant"), _GRAFT),
    "liver disease": (Procedure(concept="liver transplant"), _GRAFT),
    "hepatic impairment": (Procedure(concept="liver transplant"), _GRAFT),
    "lung disease": (Procedure(concept="lung transplant"), _GRAFT),
    "heart disease": (Procedure(concept="heart transplant"), _GRAFT),
    "tracheostomy": (Procedure(concept="tracheostomy procedure"), "a tracheostomy made is in place until it is closed, which is seldom recorded"),
}

_MENOPAUSAL_STATUSES = frozenset({"postmenopausal status", "premenopausal status"})
# statuses only women have
_FEMALE_STATUSES = frozenset({"postmenopausal status", "premenopausal status", "perimenopausal status", "pregnancy", "lactation", "childbearing potential"})
# conditions `_condition` judges beyond their records: obesity (the body mass index), the
# statuses only women have (a man's sex, a woman's age), a transplanted organ's disease
# or a tracheostomy (its procedure), and what observations show (`_observed_condition`: smoking statuses,
# positive results, values past a diagnosis's line)
_READ_BEYOND_RECORDS = frozenset({"obesity", *_FEMALE_STATUSES, *_SHOWN_BY_PROCEDURE, *findings.CONCEPTS})
# of them, those read beyond their records only in what observations say: silent where the
# patient has none of those (`_silence_test`, `findings.observation_test`)
_READ_OBSERVATIONS_ONLY = findings.CONCEPTS - {"obesity", *_FEMALE_STATUSES, *_SHOWN_BY_PROCEDURE}

_OBESE_BMI = Comparison(measure="body mass index", op=">=", threshold=Threshold(value=Decimal(30), unit="kg/m2"))
_MENOPAUSAL_AGE = Comparison(measure="age", op=">=", threshold=Threshold(value=Decimal(60), unit="years"))


def _condition_records(node: Condition, ctx: _Ctx) -> Outcome:
    concept = derive.lookup(ctx.vocab, ("condition",), node.concept)
    if concept is None:
        return _redirect(node, ctx) or _not_in_vocabulary(node, ctx)
    qualifier = "active " if node.active else "inactive " if node.active is False else ""
    records = ctx.patient.conditions
    if not derive.fits_any_broader(ctx.vocab, concept, records):  # nothing found below, nothing from `_broader_records`
        if _implied_by_drugs(concept, ctx) is not None:  # the silence depends on the medications
            return _combine_records(node, [], concept.name, ctx, qualifier, [])
        return _silence(node, ctx, lambda: _combine_records(node, [], concept.name, ctx, qualifier, []))
    found: list[tuple[Truth, list[str], list[str]]] = []
    notes: list[str] = []
    matches = derive.record_matches(ctx.vocab, concept, records)
    for record, matched in zip(ctx.patient.conditions, matches):
        if matched is None:
            continue
        what = f"{_record_name(record, matched.name)} (onset {_date(record.onset)})"
        if record.unreadable:
            found.append(_unreadable_record(what, record.unreadable, concept.name))
            continue
        if record.onset is not None and record.onset > ctx.as_of:
            notes.append(f"{what}: after {ctx.as_of.isoformat()}, not used")
            continue
        truth, reasons, missing = Truth.TRUE, [f"{what} on record"], []
        reasons += [f"{what}: {flag}" for flag in record.flags]
        if not ctx.vocab.strictly_under(matched, concept):
            truth = Truth.UNKNOWN
            reasons.append(f"{what}: counted as {concept.name} by some criteria and not by others")
        if node.active and node.window is not None and node.window.relation == "within":
            # 'any active malignancy within 3 years': active at some time in the window, which
            # the window's own test reads from when it began and ended (its status today, a
            # cancer resolved last year, is not the question)
            pass
        elif node.active is not None:
            active, why = _condition_active(record, ctx, event=_is_event(ctx.vocab, matched), lifelong=_lifelong(ctx.vocab, matched))
            if node.active is False:
                active = ~active
            truth = truth & active
            reasons.append(f"{what}: {why}")
            if active is Truth.UNKNOWN:
                missing.append(f"clinical status of {concept.name}")
        if _present_tense(node):
            over = _over_for_present_tense(record, matched, ctx)
            if over is not None:
                truth = truth & Truth.UNKNOWN
                reasons.append(f"{what}: {over}; {_TENSE}")
        if node.window is not None and derive.past_record(record) is not None:
            # 'Personal history of ...': its onset is when the history was recorded, not
            # when the condition was (the eighteenth audit, C)
            truth = truth & Truth.UNKNOWN
            reasons.append(f"{what}: {derive.past_record(record)}; when the condition was, the record does not say")
            missing.append(f"date of {concept.name}")
        elif node.window is not None:
            end, ongoing = record.abatement, _condition_ongoing(record)
            if ongoing is not Truth.TRUE and _lifelong(ctx.vocab, matched):
                # an HIV infection 'ended' in 2015 is not outside 'within the past 5 years'
                end, ongoing = None, Truth.UNKNOWN
            span = _span_of(record, record.onset, end, ongoing, what, concept.name, event=_is_event(ctx.vocab, matched))
            w_truth, w_reasons, w_missing = _in_window(span, node.window, ctx, before_uses="start")
            w_truth = _no_later_than(record, node.window, w_truth, what, w_reasons, w_missing)
            truth = truth & w_truth
            reasons += w_reasons
            missing += w_missing
        found.append((truth, reasons, missing))
    if not any(t is Truth.TRUE for t, _, _ in found):
        found += _broader_records(concept, ctx, matches)
    return _combine_records(node, found, concept.name, ctx, qualifier, notes)


def _no_later_than(record: ConditionRecord, window: Window, truth: Truth, what: str, reasons: list[str], missing: list[str]) -> Truth:
    """The window's truth for a record whose date only bounds its condition's from above
    (`derive.later_encounter`: a fracture coded for a follow-up visit). An earlier day can
    take the event out of 'within' the window, or into 'more than ... before' it: a verdict
    that would change so is UNKNOWN; `reasons` and `missing` are added to."""
    later = derive.later_encounter(record)
    if later is None or truth is not (Truth.TRUE if window.relation == "within" else Truth.FALSE):
        return truth
    reasons.append(f"{what}: {later}")
    missing.append(f"date of the injury ({what})")
    return Truth.UNKNOWN


def _broader_records(concept: Any, ctx: _Ctx, matches: tuple[Any | None, ...]) -> list[tuple[Truth, list[str], list[str]]]:
    """Records of a broader condition that say no more than it: 'malignant neoplasm of
    breast' under 'HER2-positive breast cancer', 'leukemia' under 'T-cell acute lymphoblastic
    leukemia'. Such a record does not show the narrower condition absent (a code rarely
    carries the receptor status or the lineage), so it leaves the criterion UNKNOWN where
    silence would make it FALSE.

    Not counted: a record placed in another branch ('lung cancer', under 'solid tumor' like
    'breast cancer'), which says the patient has that; and a record coded in a system in
    which the narrower condition has codes of its own that the record's code is not (C50.9
    is not basal cell carcinoma's C44.91), unless the code is the broader condition's own
    (a record coded no further than 'malignant neoplasm of breast')."""
    out: list[tuple[Truth, list[str], list[str]]] = []
    seen = {i for i, m in enumerate(matches) if m is not None}
    own_systems, broader_ones, above, by_kind = _broader_of(ctx.vocab, concept)
    records = ctx.patient.conditions
    # (the broader concept's place among broader_ones, the record's, the concept it fits), in
    # the order of a loop over the broader concepts and, in each, over the records
    fitting: list[tuple[int, int, Any]] = []
    for i, record in enumerate(records):
        if i not in seen:
            fitting += [(b, i, matched) for b, matched in _broader_matches(ctx.vocab, broader_ones, above, by_kind, record)]
    fitting.sort(key=lambda f: (f[0], f[1]))
    for _, i, matched in fitting:
        record = records[i]
        if i in seen:
            continue
        coded = {(derive.short_system(c.system), c.code) for c in record.codings}
        if any(system in own_systems for system, _ in coded) and not coded & set(matched.codes):
            continue
        if record.onset is not None and record.onset > ctx.as_of:
            continue
        seen.add(i)
        what = f"{_record_name(record, matched.name)} (onset {_date(record.onset)})"
        out.append((Truth.UNKNOWN, [f"{what} on record: it does not say whether this is {concept.name}"], [concept.name]))
    return out


def _broader_of(vocab: Any, concept: Any) -> tuple[set[str], tuple[Any, ...], set[tuple[str, str]], dict[str, tuple]]:
    """What `_broader_records` reads of the vocabulary alone: the systems the concept's family
    has codes in, its ancestors (loose parents too: 'bladder cancer' for 'urothelial
    carcinoma') and their (kind, name); and a memo for `_broader_matches`. For an event
    (`_is_event`) only those it is strictly under: its loose parent is the disease it mostly
    comes from ('coronary artery disease' for a myocardial infarction), whose record is no
    vaguer record of the event, which is recorded as itself (a coronary artery disease of
    2006 left 'myocardial infarction within 30 days' unknown). Worked out once
    per concept (the family of a broad concept is hundreds of concepts: 2.6 % of screening
    synthetic patients, speed8); the entry holds the vocabulary, so its id is not reused
    while remembered."""

    def compute() -> tuple[set[str], tuple[Any, ...], set[tuple[str, str]], dict[str, tuple]]:
        own_systems = {system for c in derive.family(vocab, concept) for system, _ in c.codes}
        broader_ones = tuple(vocab.ancestors(concept))
        if _is_event(vocab, concept):
            broader_ones = tuple(a for a in broader_ones if vocab.strictly_under(concept, a))
        return own_systems, broader_ones, {(c.kind, c.name) for c in broader_ones}, {}

    return _per_concept(_BROADER_OF, vocab, concept, compute)


_BROADER_OF: dict[tuple[int, str, str], tuple[Any, tuple[set[str], tuple[Any, ...], set[tuple[str, str]], dict[str, tuple]]]] = {}


def _broader_matches(
    vocab: Any, broader_ones: tuple[Any, ...], above: set[tuple[str, str]], by_kind: dict[str, tuple], record: Any
) -> tuple[tuple[int, Any], ...]:
    """The broader concepts (their places among `broader_ones`) a condition record fits,
    each with the concept it fits (`derive.match_record`), that one among `above`.
    Remembered per kind of record in `by_kind`: asking `record_matches` of every broader
    concept for every patient was 2.5 % of screening synthetic patients (speed8)."""
    key = derive.kind_key(record.codings, record.text)
    found = by_kind.get(key)
    if found is None:
        found = tuple(
            (b, matched)
            for b, broader in enumerate(broader_ones)
            if (matched := derive.match_record(vocab, broader, record.codings, record.text)) is not None
            and (matched.kind, matched.name) in above
        )
        if len(by_kind) >= _PER_NODE_MAX:
            by_kind.clear()
        by_kind[key] = found
    return found


_TENSE = "the criterion does not say whether a past one counts"

# a steroid cream is a corticosteroid, but not the 'systemic steroid therapy' criteria mean
_LOCAL_ROUTE = re.compile(
    r"\b(?:topical\w*|cream|ointment|lotion|gel|foam|inhal\w*|nasal|intranasal|ophthalmic|eye drops?|otic|ear drops?|shampoo|transdermal|vaginal|rectal|enema"
    r"|cutaneous|intra-?articular|intralesional|respiratory tract)\b",
    re.IGNORECASE,
)


def _present_tense(node: Condition | Medication | Procedure) -> bool:
    """A bare 'hepatitis B' or 'steroids' (no 'history of', no window, not 'active') speaks
    of the present as likely as of the past: a record that is over cannot make it TRUE."""
    # only a Condition has `active`: getattr's default on the others went through pydantic's
    # __getattr__ and an AttributeError, 7 us a call (1.5 % of screening a population, speed7)
    return not node.history and node.window is None and (node.active if isinstance(node, Condition) else None) is None


def _medication_over(record: MedicationRecord, status: str | None, ctx: _Ctx) -> bool:
    if record.end is not None:
        return record.end < ctx.as_of
    return status in _MED_DONE


_ACTIVE_STATUSES = {"active", "recurrence", "relapse"}
_INACTIVE_STATUSES = {"inactive", "remission", "resolved"}


def _lifelong(vocab: Any, concept: Any) -> str | None:
    """Why a record fitting `concept` (the narrowest concept it fits) is of a condition that
    does not end: the concept or an ancestor is marked `lifelong` (an AIDS record is of an
    HIV infection). None where it may end."""
    for c in (concept, *vocab.ancestors(concept)):
        if c.kind == "condition" and c.lifelong:
            return f"{c.name} does not end: {c.lifelong}"
    return None


def _condition_active(record: ConditionRecord, ctx: _Ctx, *, event: bool = False, lifelong: str | None = None) -> tuple[Truth, str]:
    """Whether a condition record was active at the as-of date.

    A recurrence or relapse is active. Otherwise an abatement on or before the as-of date
    ends it and one after it means it was still going then (the record's status is as of
    its export, not of the as-of date). Without an abatement the status decides; without a
    status either, the record cannot say: UNKNOWN, not assumed active (an old diagnosis left
    open on a problem list would otherwise exclude) nor inactive (an unresolved one would pass).
    A record of an event (`event`, `_is_event`: a stroke, a cardiac arrest) left 'active'
    with no abatement says nothing of it going on: Synthea never closes them, and a cardiac
    arrest of 1996 was 'active cardiac disease' in 2026 (the fourteenth audit, W7/W8).
    A record of a condition that does not end (`lifelong`, `_lifelong`) is not over by its
    abatement or status: an HIV infection 'resolved' in 2022 passed 'known active HIV' (the
    sixteenth audit, W1); UNKNOWN, the record and the disease disagree.
    A record of a past condition (`derive.past_record`: 'Ex-smoker', 'Personal history of
    malignant neoplasm of breast', Z85-Z87) is over whatever its status: 'active' is the
    history's (the eighteenth audit, C).
    """
    past = derive.past_record(record)
    if past is not None:
        if lifelong:
            return Truth.UNKNOWN, f"{past}, but {lifelong}"
        return Truth.FALSE, f"{past}: a past condition, one that no longer exists (ICD-10-CM guidelines I.C.21.c.4)"
    status = record.clinical_status
    if status in ("recurrence", "relapse"):
        return Truth.TRUE, f"clinical status {status}"
    ended = record.abatement is not None and record.abatement <= ctx.as_of
    if lifelong and (ended or status in _INACTIVE_STATUSES):
        said = f"abated {record.abatement.isoformat()}" if ended else f"clinical status {status}"
        return Truth.UNKNOWN, f"{said}, but {lifelong}"
    if record.abatement is not None:
        if record.abatement <= ctx.as_of:
            return Truth.FALSE, f"abated {record.abatement.isoformat()}"
        return Truth.TRUE, f"abated only {record.abatement.isoformat()}, after {ctx.as_of.isoformat()}"
    if status in _ACTIVE_STATUSES:
        if event:
            return Truth.UNKNOWN, f"clinical status {status}, but an event's record left open does not say it is going on"
        return Truth.TRUE, f"clinical status {status}"
    if status in _INACTIVE_STATUSES:
        return Truth.FALSE, f"clinical status {status}"
    return Truth.UNKNOWN, "no clinical status and no abatement date: cannot tell whether active"


def _over_for_present_tense(record: ConditionRecord, matched: Any, ctx: _Ctx) -> str | None:
    """Why a record may be of a condition that is over by the as-of date, for a bare
    present-tense criterion (`_present_tense`), or None where it is going on as far as the
    record says. A record over by then ('resolved', abated); and a record of an event
    (`_is_event`) not shown to be going on: Synthea never closes a cardiac arrest, and one of
    1996 left 'active' made 'Cardiovascular disease' TRUE while the same record resolved, and
    'Active cardiac disease', were UNKNOWN (the nineteenth audit, K2). A record of another
    condition with no status and no abatement still counts, as it always has."""
    event = _is_event(ctx.vocab, matched)
    active, why = _condition_active(record, ctx, event=event, lifelong=_lifelong(ctx.vocab, matched))
    if active is Truth.FALSE:
        return f"over by {ctx.as_of.isoformat()}"
    if event and active is Truth.UNKNOWN:
        return why
    return None


def _condition_ongoing(record: ConditionRecord) -> Truth:
    if record.abatement is not None:
        return Truth.FALSE
    if record.clinical_status in _ACTIVE_STATUSES:
        return Truth.TRUE
    return Truth.UNKNOWN  # resolved without a date, or no status: when it ended is not recorded


_NOT_TAKEN = {"entered-in-error", "cancelled", "not-taken", "draft", "not-done", "unknown-error"}
_MED_ONGOING = {"active", "on-hold", "intended"}
_MED_DONE = {"completed", "stopped"}


def _medication(node: Medication, ctx: _Ctx) -> Outcome:
    concept = derive.lookup(ctx.vocab, ("drug", "drug_class"), node.concept)
    if concept is None:
        return _redirect(node, ctx) or _not_in_vocabulary(node, ctx)
    outcome = _medication_records(node, concept, ctx)
    if node.dose is not None:
        return outcome
    shown = []
    if concept.procedure_records and derive.fits_any(ctx.vocab, concept, ctx.patient.procedures):
        # 'prior CAR-T cell therapy' for a patient whose record shows the infusion as a
        # procedure: the procedure record is a record of the drug, in the same window and tense
        shown.append(_procedure_records(Procedure(concept=concept.name, window=node.window, history=node.history, span=node.span), concept, ctx))
    for procedure, strict in _procedures_of_drug(ctx.vocab, concept):
        if derive.fits_any(ctx.vocab, procedure, ctx.patient.procedures):
            shown.append(_drug_given_in(node, concept, procedure, strict, ctx))
    if not shown:
        return outcome
    truth = any_of([outcome.truth, *(o.truth for o in shown)])
    parts = [o for o in (outcome, *shown) if o.truth is truth] or [outcome, *shown]
    return _leaf(node, truth, [r for o in parts for r in o.reasons], [m for o in parts for m in o.missing])


def _drug_given_in(node: Medication, concept: Any, procedure: Any, strict: bool, ctx: _Ctx) -> Outcome:
    """'Systemic anti-cancer therapy within 3 weeks' (the class 'antineoplastic agent') for a
    patient whose record shows a chemotherapy procedure a week before: a procedure given as
    drugs of a class (`drugs` in procedures.toml) is a record of a drug of every class above
    it (`strict`), in the same window and tense; of the class itself it leaves the criterion
    unknown ('chemotherapy' is broader than its cytotoxic kind). A chemotherapy procedure
    passed 'systemic anti-cancer therapy within 3 weeks' (the fourteenth audit, W14)."""
    given = _procedure_records(Procedure(concept=procedure.name, window=node.window, history=node.history, span=node.span), procedure, ctx, with_drugs=False)
    if given.truth is not Truth.TRUE:
        return given
    if strict:
        return given.model_copy(update={"reasons": (*given.reasons, f"{procedure.name} shows {concept.name} given")})
    note = f"{procedure.name} on record: it does not say whether its drugs were {concept.name}"
    return given.model_copy(update={"truth": Truth.UNKNOWN, "reasons": (*given.reasons, note), "missing": (*given.missing, concept.name)})


def _procedures_of_drug(vocab: Any, concept: Any) -> tuple[tuple[Any, bool], ...]:
    """The procedures given as drugs of `concept` (a drug class), each with whether strictly:
    a procedure whose `drugs` name a class strictly under `concept` ('chemotherapy', given as
    cytotoxic agents, for 'antineoplastic agent'), or not: one whose drugs are `concept` itself
    ('chemotherapy' for 'cytotoxic agent'). Remembered per vocabulary and concept."""

    def compute() -> tuple[tuple[Any, bool], ...]:
        found: dict[str, tuple[Any, bool]] = {}
        for procedure in _concepts(vocab, "procedure"):
            for name in procedure.drugs:
                drug = derive.lookup(vocab, ("drug", "drug_class"), name)
                if drug is None:
                    continue
                if drug is concept:
                    found.setdefault(procedure.name, (procedure, False))
                elif concept in vocab.ancestors(drug) and vocab.strictly_under(drug, concept):
                    found[procedure.name] = (procedure, True)
        return tuple(found.values())

    return _per_concept(_PROCEDURES_OF_DRUG, vocab, concept, compute)


_PROCEDURES_OF_DRUG: dict[tuple[int, str, str], tuple[Any, tuple[tuple[Any, bool], ...]]] = {}


def _medication_records(node: Medication, concept: Any, ctx: _Ctx) -> Outcome:
    # 'prednisone 20 mg/day': a record of another corticosteroid is compared in prednisone
    # equivalents, but the criterion names prednisone, so it can make the result UNKNOWN at most
    others: tuple[Any, ...] = ()
    if node.dose is not None and _is_prednisone(concept):
        others = tuple(
            c for c in _concepts(ctx.vocab, "drug") if _equivalent_mg(c) is not None and c.name != concept.name
        )
    if not others and not derive.fits_any(ctx.vocab, concept, ctx.patient.medications):
        return _silence(node, ctx, lambda: _combine_records(node, [], concept.name, ctx, "", []))
    found: list[tuple[Truth, list[str], list[str]]] = []
    notes: list[str] = []
    for record, matched in zip(ctx.patient.medications, derive.record_matches(ctx.vocab, concept, ctx.patient.medications)):
        cap = Truth.TRUE
        if matched is None and others:
            matched = next(
                (m for o in others if (m := derive.match_record(ctx.vocab, o, record.codings, record.text))), None
            )
            cap = Truth.UNKNOWN
        if matched is None:
            continue
        what = f"{_record_name(record, matched.name)} (from {_date(record.start)}" + (
            f" to {record.end.isoformat()})" if record.end else ")"
        )
        if record.unreadable:
            found.append(_unreadable_record(what, record.unreadable, concept.name))
            continue
        status = (record.status or "").lower() or None
        if status in _NOT_TAKEN:
            notes.append(f"{what}: status {status}, not counted")
            continue
        if record.start is not None and record.start > ctx.as_of:
            notes.append(f"{what}: starts after {ctx.as_of.isoformat()}, not counted")
            continue
        truth, reasons, missing = Truth.TRUE, [f"{what} on record" + (f", status {status}" if status else "")], []
        reasons += [f"{what}: {flag}" for flag in record.flags]
        if not ctx.vocab.strictly_under(matched, concept):
            truth = Truth.UNKNOWN
            reasons.append(f"{what}: counted as {concept.name} by some criteria and not by others")
        if node.window is not None:
            if record.end is not None:
                ongoing = Truth.FALSE
            elif status in _MED_ONGOING and (past := _past_course(record, matched, status, ctx)):
                # docetaxel 'active' since 2000 failed 'chemotherapy within 14 days' in 2026
                ongoing = Truth.UNKNOWN
                reasons.append(f"{what}: {past}")
            elif status in _MED_ONGOING:
                ongoing = Truth.TRUE
            elif status in _MED_DONE:
                # over, but when is not said: any day from its start to the as-of date. As a
                # single day, prednisone 'stopped' 5 weeks ago passed 'within 14 days', and a
                # carboplatin request authored 4 weeks ago and 'completed' (a FHIR
                # MedicationRequest has only authoredOn) passed 'Chemotherapy < 21 days before
                # first dose of study drug': a course may run for months
                ongoing = Truth.UNKNOWN
                reasons.append(f"{what}: no end date, status {status}: when it stopped is not recorded")
            else:
                ongoing = Truth.UNKNOWN
            span = _span_of(record, record.start, record.end, ongoing, what, matched.name)
            hours = getattr(matched, "half_life_hours", None) or getattr(concept, "half_life_hours", None)
            half_life = (matched.name, Decimal(str(hours)) if hours is not None else None)
            w_truth, w_reasons, w_missing = _in_window(span, node.window, ctx, before_uses="end", half_life=half_life)
            truth = truth & w_truth
            reasons += w_reasons
            missing += w_missing
        if concept.kind == "drug_class" and _given_locally(record):
            truth = truth & Truth.UNKNOWN
            reasons.append(f"{what}: not given systemically; whether it counts as {concept.name} here is for the study team")
        elif concept.kind == "drug_class" and matched.mostly_local and not _systemic_route(record, matched):
            # budesonide (RxNorm 19831, no route) failed 'Systemic steroid therapy' (NCT05523947)
            truth = truth & Truth.UNKNOWN
            reasons.append(f"{what}: mostly given locally, and the record names no route by which it is systemic; whether it counts as {concept.name} here is for the study team")
        if _present_tense(node) and _medication_over(record, status, ctx):
            truth = truth & Truth.UNKNOWN
            reasons.append(f"{what}: over by {ctx.as_of.isoformat()}; {_TENSE}")
        elif _present_tense(node) and (past := _past_course(record, matched, status, ctx)):
            truth = truth & Truth.UNKNOWN
            reasons.append(f"{what}: {past}")
        if node.dose is not None:
            d_truth, d_reasons, d_missing = _dose(node.dose, record, matched, concept, what)
            truth = truth & d_truth
            reasons += d_reasons
            missing += d_missing
        if cap is Truth.UNKNOWN and truth is not Truth.FALSE:
            reasons.append(
                f"the criterion names {concept.name}; whether an equivalent dose of {matched.name}"
                " counts is for the study team"
            )
            truth = truth & cap
        found.append((truth, reasons, missing))
    return _combine_records(node, found, concept.name, ctx, "", notes)


def _past_course(record: MedicationRecord, matched: Any, status: str | None, ctx: _Ctx) -> str | None:
    """Why a record left ongoing with no end is not evidence of taking the drug now: it began
    longer ago than a course of it runs (`_course_of`). None where it may still be taken.
    Synthea leaves docetaxel 'active' from 2000 on, and a cytotoxic course does not run for
    decades: read as still going, it failed 'chemotherapy within 14 days' in 2026. Only the
    end is in doubt: the record still shows the drug given from its start."""
    if record.end is not None or record.start is None or status not in _MED_ONGOING:
        return None
    course = _course_of(ctx.vocab, matched)
    if course is None or record.start >= derive.add_months(ctx.as_of, -course[0]):
        return None
    months, holder = course
    return (
        f"{matched.name} recorded {status} since {record.start.isoformat()}; a course of {holder} runs at most"
        f" {months} months, not that long: is it still taken?"
    )


def _course_of(vocab: Any, concept: Any) -> tuple[int, str] | None:
    """The longest a course of `concept` runs, in months, and the concept the vocabulary says
    it of (`course_months`): its own, else its strict classes', when every one of them has
    one (methotrexate, a long-term immunosuppressant too and a chemotherapy only loosely, has
    none). Remembered per vocabulary and concept."""

    def compute() -> tuple[int, str] | None:
        if concept.course_months is not None:
            return concept.course_months, concept.name
        strict = [vocab.get("drug_class", p) for p in concept.parents if p not in concept.loose_parents]
        courses = [_course_of(vocab, c) if c is not None else None for c in strict]
        if not courses or None in courses:
            return None
        return max(courses)

    return _per_concept(_COURSE_OF, vocab, concept, compute)


_COURSE_OF: dict[tuple[int, str, str], tuple[Any, tuple[int, str] | None]] = {}


def _given_locally(record: MedicationRecord) -> bool:
    """Whether the record's route, text or a coding's display names a local route
    (`_LOCAL_ROUTE`). The text's answer is remembered per kind of record (`derive.kind_key`:
    its codings and text, all that search reads): the search, for every record of every class
    of drug a criterion names, was 1.4 % of screening synthetic patients (speed8)."""
    if record.route is not None and _LOCAL_ROUTE.search(record.route):
        return True  # FHIR dosage route 'Topical route': a hydrocortisone cream coded 5492
    key = derive.kind_key(record.codings, record.text)
    found = _LOCALLY.get(key)
    if found is None:
        if len(_LOCALLY) >= _PER_NODE_MAX:
            _LOCALLY.clear()
        found = _LOCALLY[key] = _LOCAL_ROUTE.search(" ".join(filter(None, (record.text, *(c.display for c in record.codings))))) is not None
    return found


_LOCALLY: dict[str, bool] = {}


def _systemic_route(record: MedicationRecord, matched: Any) -> bool:
    """Whether the record names a route by which `matched`, a drug mostly given locally, is
    systemic (its `systemic_routes`, as words of the record's route, text or a coding's
    display): 'Hydrocortisone 10 MG Oral Tablet' is a systemic corticosteroid, a hydrocortisone
    record naming no route may be a cream. Asked only of records of such drugs."""
    if not matched.systemic_routes:
        return False
    named = " ".join(filter(None, (record.route, record.text, *(c.display for c in record.codings)))).lower()
    return any(re.search(rf"\b{re.escape(route)}\b", named) for route in matched.systemic_routes)


def _concepts(vocab: Any, kind: str) -> tuple[Any, ...]:
    try:
        return tuple(vocab.concepts(kind))
    except (KeyError, LookupError, ValueError, AttributeError):
        return ()


def _equivalent_mg(concept: Any) -> Decimal | None:
    value = getattr(concept, "prednisone_equivalent_mg", None)
    return Decimal(str(value)) if value is not None else None


def _is_prednisone(concept: Any) -> bool:
    return concept.kind == "drug" and concept.name.lower() == "prednisone"


def _dose(
    dose: Comparison, record: MedicationRecord, matched: Any, concept: Any, what: str
) -> tuple[Truth, list[str], list[str]]:
    """The record's daily dose against the node's dose bound; other corticosteroids in
    prednisone equivalents when the node names prednisone or a class."""
    threshold = dose.threshold
    target = threshold.unit or "mg/day"
    missing = [f"daily dose of {matched.name}"]
    if record.daily_dose is None or not record.dose_unit:
        return Truth.UNKNOWN, [f"{what}: no daily dose recorded"], missing
    if not record.dose_unit_ok:
        return Truth.UNKNOWN, [f"{what}: dose unit {record.dose_unit!r} not understood"], missing
    written = f"{fmt(record.daily_dose)} {record.dose_unit}/day"
    equivalent = _equivalent_mg(matched)
    convert_to_prednisone = (
        equivalent is not None
        and matched.name != "prednisone"
        and (concept.kind == "drug_class" or _is_prednisone(concept))
    )
    if convert_to_prednisone:
        amount = derive.prednisone_equivalent_daily_dose(record, matched)
        if amount is None:
            return Truth.UNKNOWN, [f"{what}: {written} cannot be expressed as prednisone equivalent"], missing
        label = (
            f"{matched.name} {written} {derive.shown(amount)} mg/day prednisone equivalent"
            f" ({fmt(equivalent)} mg {matched.name} = 5 mg prednisone)"
        )
        unit = "mg/day"
    elif concept.kind == "drug_class" and matched.name == concept.name:
        why = f"{what}: the drug of the class {concept.name} is not identified, so its dose cannot be compared"
        return Truth.UNKNOWN, [why], []
    elif concept.kind == "drug_class" and equivalent is None and _class_is_corticosteroid(concept):
        return Truth.UNKNOWN, [f"{what}: no prednisone equivalence known for {matched.name}"], []
    else:
        amount = record.daily_dose
        unit = f"{record.dose_unit}/day"
        label = f"{matched.name} {written}"
    value = _Value(amount, unit, label)
    bound = Threshold(value=threshold.value, unit=target)
    check = _check_bound(value, dose.op, bound, None, f"daily dose of {matched.name}")
    return check.truth, [f"{what}: {r}" for r in check.reasons], list(check.missing)


def _class_is_corticosteroid(concept: Any) -> bool:
    name = concept.name.lower()
    return "steroid" in name or "glucocorticoid" in name


_PROC_NOT_DONE = {"not-done", "entered-in-error", "preparation", "stopped-before", "unknown-error"}


def _procedure(node: Procedure, ctx: _Ctx) -> Outcome:
    concept = derive.lookup(ctx.vocab, ("procedure",), node.concept)
    if concept is None:
        return _redirect(node, ctx) or _not_in_vocabulary(node, ctx)
    own, broader = _statuses(ctx.vocab, concept)
    statuses = [pair for pair in own if derive.fits_any(ctx.vocab, pair[0], ctx.patient.conditions)]
    # a broader status counts where a record says no more than it ('Transplanted organ
    # status' for a kidney transplant), not where it names another organ ('Liver transplant status')
    vaguer = [
        pair for pair in broader
        if derive.fits_any(ctx.vocab, pair[0], ctx.patient.conditions)
        and any(m is pair[0] for m in derive.record_matches(ctx.vocab, pair[0], ctx.patient.conditions))
    ]
    if statuses or vaguer:
        outcome = _procedure_records(node, concept, ctx)
        return _shown_by_statuses(node, concept, outcome, statuses, vaguer, ctx)
    return _procedure_records(node, concept, ctx)


def _procedure_records(node: Procedure, concept: Any, ctx: _Ctx, *, with_drugs: bool = True) -> Outcome:
    """What the patient's procedure records (and, for a therapy given as drugs, medication
    records) say of `concept`: a procedure, or a drug given in one (CAR-T cells).
    `with_drugs=False`: the procedure records alone (a chemotherapy procedure read for a
    drug class, `_procedures_of_drug`, which must not read the drugs back)."""
    drugs = concept.drugs if with_drugs else ()
    broader = _broader_procedures(concept, ctx)
    if not broader and not derive.fits_any(ctx.vocab, concept, ctx.patient.procedures) and not any(
        _drug_on_record(drug, ctx) for drug in drugs
    ):  # and `_given_as_drugs` finds none of its drugs: each Medication is a silence too

        def build() -> Outcome:
            outcome = _combine_records(node, [], concept.name, ctx, "", [])
            return _given_as_drugs(node, concept, outcome, ctx) if drugs else outcome

        return _silence(node, ctx, build)
    found: list[tuple[Truth, list[str], list[str]]] = []
    notes: list[str] = []
    for record, matched in zip(ctx.patient.procedures, derive.record_matches(ctx.vocab, concept, ctx.patient.procedures)):
        if matched is None:
            continue
        judged = _procedure_record(node, concept, record, matched, ctx, notes)
        if judged is None:
            continue
        if not ctx.vocab.strictly_under(matched, concept):
            # a resection for 'major surgery': major or not, protocols differ
            judged[0] = judged[0] & Truth.UNKNOWN
            judged[1].append(f"{_record_name(record, matched.name)}: counted as {concept.name} by some criteria and not by others")
            judged[2].append(concept.name)
        found.append(tuple(judged))
    if broader and not any(t is Truth.TRUE for t, _, _ in found):
        for record, matched in broader:
            judged = _procedure_record(node, concept, record, matched, ctx, [])
            if judged is None or judged[0] is Truth.FALSE:  # outside the window: it says nothing of it
                continue
            judged[0] = Truth.UNKNOWN
            judged[1].append(f"{_record_name(record, matched.name)}: it does not say whether this is {concept.name}")
            judged[2].append(concept.name)
            found.append(tuple(judged))
    outcome = _combine_records(node, found, concept.name, ctx, "", notes)
    return _given_as_drugs(node, concept, outcome, ctx) if drugs else outcome


def _procedure_record(node: Procedure, concept: Any, record: Any, matched: Any, ctx: _Ctx, notes: list[str]) -> list | None:
    """[truth, reasons, missing] of one procedure record that fits `concept` as `matched`
    (its window and tense read), or None where it is not counted (not done, after the as-of
    date: said in `notes`)."""
    what = f"{_record_name(record, matched.name)} ({_date(record.start)}" + (
        f" to {record.end.isoformat()})" if record.end and record.end != record.start else ")"
    )
    if record.unreadable:
        return list(_unreadable_record(what, record.unreadable, concept.name))
    status = (record.status or "").lower() or None
    if status in _PROC_NOT_DONE:
        notes.append(f"{what}: status {status}, not counted")
        return None
    if record.start is not None and record.start > ctx.as_of:
        notes.append(f"{what}: after {ctx.as_of.isoformat()}, not counted")
        return None
    truth, reasons, missing = Truth.TRUE, [f"{what} on record"], []
    reasons += [f"{what}: {flag}" for flag in record.flags]
    if _present_tense(node) and status != "in-progress":
        truth = truth & Truth.UNKNOWN
        reasons.append(f"{what}: done, not under way; {_TENSE}")
    if node.window is not None:
        ongoing = Truth.TRUE if status == "in-progress" else Truth.FALSE
        span = _span_of(record, record.start, record.end, ongoing, what, concept.name)
        w_truth, w_reasons, w_missing = _in_window(span, node.window, ctx, before_uses="end")
        truth = truth & w_truth
        reasons += w_reasons
        missing += w_missing
    return [truth, reasons, missing]


def _broader_procedures(concept: Any, ctx: _Ctx) -> list[tuple[Any, Any]]:
    """The patient's procedure records of a procedure broader than `concept` that say no
    more than it, each with the broader concept it fits: 'Surgical procedure' or a Caesarean
    section (coded as plain surgery) for 'major surgery', 'Teleradiotherapy' for 'whole brain
    radiotherapy', 'Chemotherapy' for 'cytotoxic chemotherapy'. Such a record does not show
    the narrower procedure absent, so it leaves the criterion UNKNOWN where silence made it
    FALSE (a partial colectomy or a Caesarean section 17 days before passed 'Major surgery
    within 4 weeks', the fourteenth audit, W13-W14). A record placed in another branch (a
    peritoneal dialysis for 'hemodialysis') says what it was, and is not counted."""
    if not concept.parents:
        return []
    _, broader_ones, above, by_kind = _broader_of(ctx.vocab, concept)
    out = []
    for record, matched in zip(ctx.patient.procedures, derive.record_matches(ctx.vocab, concept, ctx.patient.procedures)):
        if matched is not None:
            continue
        fits = _broader_matches(ctx.vocab, broader_ones, above, by_kind, record)
        if fits:
            out.append((record, fits[0][1]))
    return out


def _statuses(vocab: Any, concept: Any) -> tuple[tuple[tuple[Any, bool], ...], tuple[tuple[Any, bool], ...]]:
    """The conditions whose records show `concept` (or a kind of it) done, each with whether
    it holds while the procedure goes on ('dependence on renal dialysis' for dialysis) or
    follows it done (a transplanted organ status for a transplant); and those that show only
    a broader procedure (a transplanted organ status for 'kidney transplant': which organ,
    the status does not say). Remembered per vocabulary and concept."""

    def compute() -> tuple[tuple[tuple[Any, bool], ...], tuple[tuple[Any, bool], ...]]:
        def conditions(concepts) -> tuple[tuple[Any, bool], ...]:
            named = {}
            for c in concepts:
                for during, field in ((True, "status_during"), (False, "status_after")):
                    for n in getattr(c, field, ()):
                        named.setdefault(n, during)
            found = [(s, during) for s, during in ((vocab.get("condition", n), d) for n, d in named.items()) if s is not None]
            # a status under another of the list is read with it ('kidney transplant status'
            # with 'organ transplant recipient'): its records are the broader one's
            return tuple((s, d) for s, d in found if not any(o is not s and o in vocab.ancestors(s) for o, _ in found))

        own = conditions((concept, *vocab.descendants(concept)))
        broader = tuple(pair for pair in conditions(vocab.ancestors(concept)) if pair[0] not in {s for s, _ in own})
        return own, broader

    return _per_concept(_STATUSES, vocab, concept, compute)


_STATUSES: dict[tuple[int, str, str], tuple[Any, tuple]] = {}


def _shown_by_statuses(
    node: Procedure, concept: Any, outcome: Outcome, statuses: list[tuple[Any, bool]], vaguer: list[tuple[Any, bool]], ctx: _Ctx
) -> Outcome:
    """'Patients on dialysis' for a patient whose record shows dependence on renal dialysis
    and no dialysis procedure; 'prior solid organ transplant' for one with a kidney
    transplant status: a record of the status is a record of the procedure, in the
    procedure's tense ('on dialysis': the status active; a bare 'radiotherapy' is not shown
    under way by a history of irradiation). A status held while the procedure
    goes on (dialysis dependence) meets a window as a condition does; one that follows the
    procedure done (a transplanted organ status) does not date it: it was done by the
    status's onset, so a window is decided by onsets before it opens and is unknown
    otherwise. A status of a broader procedure ('hemodialysis' for a patient dependent on
    dialysis of some kind) says no more than unknown."""
    shown = []
    for status, during in (*statuses, *vaguer):
        broader = (status, during) in vaguer
        if node.window is not None and not during:
            inner = _status_in_window(node, concept, status, ctx)
        else:
            window = node.window if during else None
            inner = _condition(Condition(concept=status.name, window=window, history=node.history, span=node.span), ctx)
            if not broader:
                inner = inner.model_copy(update={"reasons": (*inner.reasons, f"{status.name} shows {concept.name}")})
            if not during and _present_tense(node) and inner.truth is Truth.TRUE:
                # 'radiotherapy' with no 'prior': a status that follows the procedure shows it
                # done, not under way, as a procedure record does
                note = f"{status.name} shows {concept.name} done, not under way; {_TENSE}"
                inner = inner.model_copy(update={"truth": Truth.UNKNOWN, "reasons": (*inner.reasons, note)})
        if broader and inner.truth is not Truth.FALSE:
            note = f"{status.name} shows a procedure broader than {concept.name}: not which one"
            inner = inner.model_copy(update={"truth": Truth.UNKNOWN, "reasons": (*inner.reasons, note)})
        shown.append(inner)
    truth = any_of([outcome.truth, *(o.truth for o in shown)])
    parts = [o for o in (outcome, *shown) if o.truth is truth] or [outcome, *shown]
    reasons = [r for o in parts for r in o.reasons]
    missing = [m for o in parts for m in o.missing]
    return _leaf(node, truth, reasons, missing)


def _status_in_window(node: Procedure, concept: Any, status: Any, ctx: _Ctx) -> Outcome:
    """A status against the procedure's window: the procedure was done by the status's onset
    (its latest day, for a partial date), so an onset before the window opens puts the
    procedure before it too: outside 'within 6 months', inside 'more than 1 year ago'."""
    window = node.window
    assert window is not None
    anchor, _ = _anchor(window, ctx)
    starts = [_minus(anchor, d, None) for d in window.durations] if anchor is not None else []
    opens = _window_start(window, starts) if starts and None not in starts else None
    onsets: list[date | None] = []
    whats: list[str] = []
    for record, matched in zip(ctx.patient.conditions, derive.record_matches(ctx.vocab, status, ctx.patient.conditions)):
        if matched is None or (record.onset is not None and record.onset > ctx.as_of):
            continue
        late = {p.field: p.latest for p in record.partial_dates}
        onsets.append(None if record.unreadable else late.get("onset", record.onset))
        whats.append(f"{_record_name(record, matched.name)} (onset {_date(record.onset)})")
    early = [o is not None and opens is not None and o < opens for o in onsets]
    truth = Truth.UNKNOWN
    if window.relation == "before" and any(early):
        truth = Truth.TRUE
    elif window.relation == "within" and early and all(early):
        truth = Truth.FALSE
    when = f"the window opens {opens.isoformat()}" if opens is not None else "the window cannot be placed"
    reasons = [f"{w}: {status.name} shows {concept.name} done by its onset, not when; {when}" for w in whats]
    return _leaf(node, truth, reasons or [f"no record of {status.name} before {ctx.as_of.isoformat()}"], [concept.name])


def _drug_on_record(name: str, ctx: _Ctx) -> bool:
    """Whether `_medication` of a drug of a therapy (no dose) may read the patient's records:
    some medication record fits it, or the vocabulary does not know it as a drug (then
    `_redirect` may read records of another kind)."""
    concept = derive.lookup(ctx.vocab, ("drug", "drug_class"), name)
    return (
        concept is None
        or derive.fits_any(ctx.vocab, concept, ctx.patient.medications)
        or any(derive.fits_any(ctx.vocab, p, ctx.patient.procedures) for p, _ in _procedures_of_drug(ctx.vocab, concept))
    )


def _given_as_drugs(node: Procedure, concept: Any, outcome: Outcome, ctx: _Ctx) -> Outcome:
    """'Prior chemotherapy' for a patient whose record shows docetaxel injections and no
    chemotherapy procedure: the drugs of the therapy count as the therapy, with the same
    window and tense."""
    drugs = [_medication(Medication(concept=d, window=node.window, history=node.history, span=node.span), ctx) for d in concept.drugs]
    truth = any_of([outcome.truth, *(o.truth for o in drugs)])
    parts = [o for o in (outcome, *drugs) if o.truth is truth] or [outcome, *drugs]
    reasons = [r for o in parts for r in o.reasons]
    missing = [m for o in parts for m in o.missing]
    return _leaf(node, truth, reasons, missing)


# --- what the study team assesses, and what was not understood ---------------------------


def _constant(node: Any, build: Callable[[Any], Outcome]) -> Outcome:
    """The Outcome of a leaf that says the same of every patient (what the study team
    assesses, what was not understood): built once per node and shared, as Outcomes are
    frozen. Remembered by the node's identity; the entry holds the node, so its id is not
    reused while remembered. A third of the leaves of the corpus are such."""
    return _per_node(_CONSTANT, node, build)


def _per_concept(memo: dict[tuple[int, str, str], tuple[Any, Any]], vocab: Any, concept: Any, compute: Callable[[], Any]) -> Any:
    """`compute()` for what depends on the vocabulary and a concept of it alone: worked out
    once per concept, remembered by the vocabulary's identity and the concept's kind and name
    (the entry holds the vocabulary, so its id is not reused while remembered)."""
    key = (id(vocab), concept.kind, concept.name)
    hit = memo.get(key)
    if hit is not None and hit[0] is vocab:
        return hit[1]
    if len(memo) >= _PER_NODE_MAX:
        memo.clear()
    value = compute()
    memo[key] = (vocab, value)
    return value


def _per_node(memo: dict[int, tuple[Any, Any]], node: Any, compute: Callable[[Any], Any]) -> Any:
    """`compute(node)` for what depends on the node alone, not on the patient: worked out
    once per node, remembered by its identity (the entry holds the node, so its id is not
    reused while remembered)."""
    hit = memo.get(id(node))
    if hit is not None and hit[0] is node:
        return hit[1]
    if len(memo) >= _PER_NODE_MAX:
        memo.clear()
    value = compute(node)
    memo[id(node)] = (node, value)
    return value


_CONSTANT: dict[int, tuple[Any, Outcome]] = {}
_PER_NODE_MAX = 200_000


def _judgment(node: Judgment) -> Outcome:
    if node.bound is not None:
        bound = node.bound
        return _leaf(node, Truth.UNKNOWN, [f"assessed by the study team ({bound.measure} {bound.op} {fmt(bound.threshold.value)} {bound.threshold.unit})"])
    return _leaf(node, Truth.UNKNOWN, [f"assessed by the study team ({node.category.replace('_', ' ')})"])


def _unparsed(node: Unparsed) -> Outcome:
    return _leaf(node, Truth.UNKNOWN, [f'not understood: "{node.text}"'])


def _following(node: Following) -> Outcome:
    return _leaf(node, Truth.UNKNOWN, [f"depends on its sub-items ({node.quantifier} of the following)"])


# --- connectives -------------------------------------------------------------------------


def _composite(node: Any, truth: Truth, children: Sequence[Outcome], reasons: Iterable[str] = ()) -> Outcome:
    """A connective's Outcome: what is missing is what its UNKNOWN children miss, and only
    while the result itself is UNKNOWN (a FALSE child of an AND needs nothing more)."""
    return _built(node.kind, truth, tuple(reasons), missing_of(truth, children), tuple(children), node.span, _ALL_FIELDS)


def missing_of(truth: Truth, children: Sequence[Any]) -> tuple[str, ...]:
    """A connective's missing data (`_composite`; engine.compiled builds its nodes so too)."""
    if truth is not Truth.UNKNOWN:
        return ()
    # most have none: 169 k of 182 k in a screening of the corpus
    parts = [c.missing for c in children if c.missing and c.truth is Truth.UNKNOWN]
    return _unique(itertools.chain.from_iterable(parts)) if parts else ()


_ALLERGY_TO_DRUG: dict[int, tuple[Any, bool]] = {}


def _unqualified(node: Any) -> Any:
    while isinstance(node, Qualified):
        node = node.item
    return node


def _allergy_or_drugs(node: AnyOf) -> bool:
    """An allergy first, then drugs as its alternatives: 'Allergy to X or NSAIDs'."""
    return _per_node(_ALLERGY_OR_DRUGS, node, _allergy_or_drugs_now)


_ALLERGY_OR_DRUGS: dict[int, tuple[Any, bool]] = {}


def _allergy_or_drugs_now(node: AnyOf) -> bool:
    """Also 'Known allergy or hypersensitivity to any of the study drugs or their excipients',
    read 'allergy or (allergy: study drugs) or «excipients»': what follows the allergy says
    what it is to, so any allergy on record is not enough."""
    first, *rest = node.items
    if not _allergic(first):
        return False
    said = [i for i in rest if not isinstance(i, Unparsed)]  # ('... or any of their excipients')
    if not all((isinstance(_unqualified(i), Medication) and _unqualified(i).window is None) or _allergic(i) for i in said):
        return False
    # an allergy to something named, not only allergies side by side ('allergy or hypersensitivity')
    return len(said) < len(rest) or any(not isinstance(i, Condition) for i in said)


def _allergy_to_drug(node: AllOf) -> bool:
    """'Known hypersensitivity to trastuzumab', read 'allergy and trastuzumab'."""
    return _per_node(_ALLERGY_TO_DRUG, node, _allergy_to_drug_now)


def _allergy_to_drug_now(node: AllOf) -> bool:
    return any(_allergic(i) for i in node.items) and any(isinstance(n, Medication) for i in node.items for n in walk(i))


def _allergic(node: Any) -> bool:
    """An allergy, or an allergy to a drug ('hypersensitivity to the components of
    paclitaxel, ..., and pertuzumab': the allergy read with the first drug, the others beside)."""
    node = _unqualified(node)
    if isinstance(node, Condition):
        return node.concept in ALLERGY_CONCEPTS
    return isinstance(node, AllOf) and _allergy_to_drug(node)


def _kinds_named_beside(node: AllOf) -> bool:
    """A condition and an 'or' of conditions, each a kind of it ('cardiovascular disease
    (heart failure, myocardial infarction or stroke)'); or a drug class and a list of drugs
    that names members of it, not all of them in the vocabulary's class ('Anthracycline
    treatment (doxorubicin, epirubicin, mitoxantrone, PLD)', NCT03591276: mitoxantrone is an
    anthracenedione; 'anti-androgen therapy (bicalutamide, abiraterone, and/or
    enzalutamide)', NCT05095207: abiraterone is no androgen receptor antagonist). Worked out
    once per node."""
    if len(node.items) != 2:
        return False
    whole = next((i for i in node.items if isinstance(i, (Condition, Medication))), None)
    kinds = next((i for i in node.items if isinstance(i, (AnyOf, Each))), None)
    if whole is None or kinds is None or not all(type(k) is type(whole) for k in kinds.items):
        return False
    names = [k.concept for k in kinds.items]
    if isinstance(whole, Medication):
        return _members_named(whole.concept, names)
    return isinstance(kinds, AnyOf) and _kinds_of(whole.concept, names)


def _members_named(whole: str, names: list[str]) -> bool:
    """Whether `whole` is a drug class and some of `names` are drugs of it, none the class."""
    vocab = _vocab()
    above = vocab.get("drug_class", whole)
    found = [vocab.find(n) for n in names]
    return above is not None and above not in found and any(f is not None and above in vocab.ancestors(f) for f in found)


def _whole_and_kinds(node: AllOf, children: list[Outcome]) -> Outcome:
    """'Cardiovascular disease (heart failure, myocardial infarction or stroke)', 'Anthracycline
    treatment (doxorubicin, epirubicin, mitoxantrone)': the kinds in brackets may be all it
    means or examples of it, and the text names them as meant. Holds where the whole and one
    of the kinds hold, fails where neither does, and is unknown between: an atrial
    fibrillation is a cardiovascular disease not among them, and mitoxantrone, named, is no
    anthracycline (read as both at once, a patient given mitoxantrone passed the exclusion)."""
    at = next(k for k, item in enumerate(node.items) if isinstance(item, (AnyOf, Each)))
    whole = children[1 - at].truth
    named = any_of(c.truth for c in children[at].children)
    if whole is named:
        return _composite(node, whole, children)
    if whole is Truth.TRUE:
        reason = "kinds of it named beside it may be all it means or examples: one not among them is unknown"
    else:
        reason = "one of the kinds named beside it holds, and the whole it is named as does not (or may not)"
    return _composite(node, Truth.UNKNOWN, children, [reason])


_NAMED_KINDS: dict[int, tuple[Any, bool]] = {}


def _all_of(node: AllOf, ctx: _Ctx, polarity: int) -> Outcome:
    return _all_of_from(node, [_eval(item, ctx, polarity) for item in _all_of_items(node)], polarity)


def _all_of_items(node: AllOf) -> tuple[Any, ...]:
    """The items of an AllOf that are judged: only the allergies of an allergy to a drug
    (`_allergy_to_drug`), else every item."""
    if _allergy_to_drug(node):
        return tuple(i for i in node.items if _allergic(i))
    return node.items


def _all_of_from(node: AllOf, children: list[Outcome], polarity: int) -> Outcome:
    """An AllOf's Outcome from those of its items `_all_of_items` names: what the plain
    evaluator and the compiled trees (engine.compiled) share."""
    if _allergy_to_drug(node):
        # which drug an allergy on record is to is not read: an allergy and a course of the
        # drug are not an allergy to it, and no allergy on record is no allergy to it
        allergy = children
        truth = all_of(c.truth for c in allergy)
        if truth is Truth.FALSE:
            return _composite(node, truth, allergy)
        reason = "an allergy to a drug: the record does not say which drug an allergy on it is to"
        return _composite(node, Truth.UNKNOWN, allergy, [reason])
    if _per_node(_NAMED_KINDS, node, _kinds_named_beside):
        return _whole_and_kinds(node, children)
    if polarity < 0 and all(isinstance(item, Conditional) for item in node.items):
        # a case split ('<= 1.5 x ULN, or <= 3 x ULN if Gilbert's') that rules patients out:
        # each case excludes where its condition holds; where every measure has cases of its
        # own ('AST and ALT <= 2.5 x ULN or <= 5 x ULN if liver metastases'), each measure's
        # split is one requirement
        groups: dict[str, list[Truth]] = {}
        for item, child in zip(node.items, children):
            key = item.then.measure if isinstance(item.then, (Comparison, Range)) else ""
            groups.setdefault(key, []).append(child.truth)
        if len(groups) > 1 and "" not in groups and all(len(v) > 1 for v in groups.values()):
            return _composite(node, all_of(any_of(v) for v in groups.values()), children)
        return _composite(node, any_of(c.truth for c in children), children)
    if polarity < 0:
        # a case split beside other requirements ('QTcF > 450 ms in males and > 470 ms in
        # females and ...'): the cases of one measure rule out together, as above, and the
        # split is one requirement among the others
        cases: dict[str, list[Truth]] = {}
        for item, child in zip(node.items, children):
            if isinstance(item, Conditional) and isinstance(item.then, (Comparison, Range)):
                cases.setdefault(item.then.measure, []).append(child.truth)
        if any(len(v) > 1 for v in cases.values()):
            truths = [
                child.truth for item, child in zip(node.items, children)
                if not (isinstance(item, Conditional) and isinstance(item.then, (Comparison, Range)) and len(cases[item.then.measure]) > 1)
            ]
            truths += [any_of(v) for v in cases.values() if len(v) > 1]
            return _composite(node, all_of(truths), children)
    every = all_of(c.truth for c in children)
    if every is Truth.UNKNOWN and polarity > 0:
        neither = _neither_case(node, children)
        if neither is not None:
            return neither
    if every is Truth.FALSE and _per_node(_MEN_AND_WOMEN, node, _men_and_women) and any_of(c.truth for c in children) is not Truth.FALSE:
        # 'Men and postmenopausal female patients' (NCT04762979): two groups, not men who
        # are postmenopausal; read as both, every woman failed it. Among exclusions, 'women
        # of child-bearing potential and men who are sexually active and not willing to use
        # ... contraception' (NCT03589339) passed every man
        reason = "men beside a status only women have ('men and postmenopausal women') name two groups of patients, either of them meant"
        return _composite(node, Truth.UNKNOWN, children, [reason])
    if (
        every is Truth.FALSE
        and _groups_of_patients(node, polarity)
        and any_of(c.truth for i, c in zip(node.items, children) if not isinstance(i, Sex)) is not Truth.FALSE
        and not any(isinstance(i, Sex) and c.truth is Truth.FALSE for i, c in zip(node.items, children))
    ):
        # 'Pregnant and lactating women' among exclusions: the women who are pregnant and
        # those who are lactating, either of them ruled out, as much as both at once; read
        # as both, a pregnant woman passed. 'Tumour types included are: urothelial
        # carcinoma, NSCLC, cervical cancer and gastric cancer': either of them taken.
        said = "ruled out" if polarity < 0 else "asked for"
        reason = f"'A and B' {said} may mean either of them: not all hold, but one may"
        return _composite(node, Truth.UNKNOWN, children, [reason])
    return _composite(node, every, children)


_MEN_AND_WOMEN: dict[int, tuple[Any, bool]] = {}


def _neither_case(node: AllOf, children: Sequence[Outcome]) -> Outcome | None:
    """'(AST <= 2.5 x ULN) if (not (liver metastases)) and (AST <= 5 x ULN) if (liver
    metastases)': where neither limit holds the patient fails whichever case is theirs, so
    a case the record cannot tell (no record of liver metastases does not show there are
    none) leaves nothing unknown. FALSE then; None where some pair of cases is not so."""
    for k, m in _per_node(_SPLITS, node, _cases_of_one_split):
        if len(children[k].children) != 2 or len(children[m].children) != 2:
            continue
        then_k, then_m = children[k].children[1], children[m].children[1]
        if then_k.truth is Truth.FALSE and then_m.truth is Truth.FALSE:
            reason = "neither case's requirement holds: not met whichever case applies"
            return _composite(node, Truth.FALSE, children, [reason])
    return None


_SPLITS: dict[int, tuple[Any, tuple[tuple[int, int], ...]]] = {}


def _cases_of_one_split(node: AllOf) -> tuple[tuple[int, int], ...]:
    """The pairs (k, m) of items '(A) if (not (G))' and '(B) if (G)', of one G."""
    cases = [(k, i) for k, i in enumerate(node.items) if isinstance(i, Conditional)]
    others = {render(i.condition.item): k for k, i in cases if isinstance(i.condition, Not)}
    return tuple((others[key], k) for k, i in cases if not isinstance(i.condition, Not) and (key := render(i.condition)) in others)


def _men_and_women(node: AllOf) -> bool:
    """A male sex and a status only women have, side by side ('Men and postmenopausal female
    patients'), the men named in words the reading keeps too ('Women of childbearing
    potential and fertile men unwilling to use effective contraception')."""
    items = [_unqualified(i) for i in node.items]
    male = any(
        (isinstance(i, Sex) and tuple(i.sexes) == ("male",)) or (isinstance(i, (Judgment, Unparsed)) and _MEN_IN_WORDS.search(i.text))
        for i in items
    )
    return male and any(isinstance(i, Condition) and i.concept in _FEMALE_STATUSES for i in items)


_MEN_IN_WORDS = re.compile(r"\b(?:men|males?|man)\b", re.IGNORECASE)


def _groups_of_patients(node: AllOf, polarity: int) -> bool:
    """Whether 'A and B' may name groups of patients, either of which is meant: every item
    a condition (none a status: 'women of childbearing potential and pregnant', the status
    says whom the rest is about), not all the same one; where they rule out, treatments
    and procedures too ('Prior radiotherapy, major surgery and immunotherapy within 4
    weeks'). Not 'chemotherapy for breast cancer': a treatment and what it was for are one
    event (nor a condition with the measure that defines it, which engine.screen reads).
    Where they are asked for, treatments are meant together ('prior trastuzumab,
    pertuzumab, and T-DM1'). Worked out once per node (`_per_node`)."""
    ruled_out, asked_for = _per_node(_GROUPS, node, _groups_now)
    return ruled_out if polarity < 0 else asked_for


_GROUPS: dict[int, tuple[Any, tuple[bool, bool]]] = {}


def _groups_now(node: AllOf) -> tuple[bool, bool]:
    """`_groups_of_patients` of `node` where it rules out and where it is asked for."""
    kinds: set[str] = set()
    names: set[str] = set()  # those said in full, for which is a kind of which
    worded: set[str] = set()  # and those with words not understood beside them
    judged = False  # a condition the investigator judges among them (`_judged_condition`)
    vocab = _vocab()
    for item in node.items:
        # '(malignancy) «microsatellite instability (MSI)»': some cancer, said in words not
        # understood, which is no kind of the others for all its concept; and 'bevacizumab,
        # anlotinib and other antiangiogenic agents' (NCT05296577): the class said with
        # 'other' is the rest of it, apart from the members named before it
        said = worded if _said_in_words(item) or _other_of_its_kind(item) else names
        item = _unqualified(item)
        if isinstance(item, Unparsed):
            if _GROUP_IN_WORDS.search(item.text):
                # 'obese and cachectic patients', 'diabetes and other metabolic disease'
                # (NCT03926650, NCT03861715): words not understood that name another group
                # of patients, or more of the kind; read as both at once, no obesity passed
                worded.add(item.text)
            continue  # 'Received radiotherapy, chemotherapy, surgery and target therapy within 4 weeks'
        if isinstance(item, Sex):
            continue  # 'women with diabetes and other metabolic disease': whom the groups are of
        if _judged_condition(item):
            # 'Uncontrolled hypertension and uncontrolled high-risk arrhythmia considered by
            # the investigator' (NCT03497702): the judgment is of a condition of its own, another
            # group; read as both at once, no hypertension passed whatever the arrhythmia.
            # Only where they rule out: asked for, a judgment beside a condition narrows it
            # ('solid tumor at high risk (deemed by treating physician ...)', NCT03694249)
            kinds.add("condition")
            worded.add(item.text)
            judged = True
            continue
        if study_teams_rule(item):
            # 'Pregnant lactating women (child-bearing women must be negative for pregnancy
            # test ...)' (NCT04302441): a rule for the study team beside the groups names no
            # group of its own; read as all three at once, a pregnant woman passed
            continue
        if isinstance(item, (Comparison, Range)) and item.measure == "age":
            # 'Pregnant women, breastfeeding and younger than 18 years' (NCT03860662): the
            # minors are a group of patients of their own; read as all three at once, a
            # pregnant adult passed (where they are asked for, an age narrows the others)
            kinds.add("age")
            worded.add("age")
            continue
        if isinstance(item, Condition):
            concept = vocab.get("condition", item.concept)
            if concept is not None and concept.open_world:
                return False, False
            kinds.add("condition")
        elif isinstance(item, (Medication, Procedure)):
            kinds.add("treatment")
        else:
            return False, False
        said.add(item.concept)
    # 'active tuberculosis (TB; Bacillus tuberculosis)': one said twice; 'Paclitaxel
    # chemotherapy', 'corticosteroids or other immunosuppressive medications': one a kind of another
    groups = len(names | worded) > 1 and _apart(tuple(sorted(names)))
    # ('Malignancy, chemotherapy and radiotherapy' among exclusions: a list of three or more
    # of both kinds is no treatment and what it was for; it passed a patient with two of them)
    events = kinds - {"age"}
    mixed = len(node.items) >= 3 and events == {"condition", "treatment"}
    return groups and (events in ({"condition"}, {"treatment"}) or mixed), groups and kinds == {"condition"} and not judged


_JUDGES_OF_CONDITIONS = frozenset({"investigator_opinion", "medical_judgment"})


def _judged_condition(item: Any) -> bool:
    """An investigator's judgment whose words name a condition ('arrhythmia considered by the
    investigator'), not one that only says who decides ('as defined by the investigator')."""
    return (
        isinstance(item, Judgment)
        and item.category in _JUDGES_OF_CONDITIONS
        and any(t.type == "CONDITION" for t in lexicon.scan(fold(item.text)))
    )


def _said_in_words(item: Any) -> bool:
    """An item with words not understood beside it ('(malignancy) «... (MSI)»')."""
    return isinstance(item, Qualified) and any(isinstance(q, Unparsed) for q in item.qualifiers)


def _other_of_its_kind(item: Any) -> bool:
    """'other antiangiogenic agents': an item qualified by the word 'other' alone."""
    return isinstance(item, Qualified) and any(isinstance(q, Modifier) and q.text.strip().lower() == "other" for q in item.qualifiers)


# words not understood, beside conditions joined by 'and', that name a group of their own
# ('other metabolic disease', not 'other clinically significant', which only says which one)
_GROUP_IN_WORDS = re.compile(
    r"^\W*other\b.*\b(?:diseases?|disorders?|conditions?|illness(?:es)?|syndromes?|factors?|problems?|abnormalit(?:y|ies))\W*$"
    r"|\b(?:patients|subjects|participants|individuals|people|persons)\W*$",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def _apart(names: tuple[str, ...]) -> bool:
    """No concept of the names is a kind of another, nor a drug one of a procedure's drugs
    ('Paclitaxel chemotherapy': chemotherapy gives cytotoxic agents)."""
    vocab = _vocab()
    concepts = [c for c in (vocab.find(n) for n in names) if c is not None]

    def under(a, b) -> bool:
        above = (a, *vocab.ancestors(a))
        return b in above or any(vocab.get("drug_class", d) in above for d in b.drugs)

    return not any(a is not b and under(a, b) for a in concepts for b in concepts)


def _any_of(node: AnyOf, ctx: _Ctx, polarity: int) -> Outcome:
    if _allergy_or_drugs(node):
        return _any_of_from(node, [_eval(i, ctx, polarity) for i in node.items])
    children = [
        _alternative_case(item, ctx, polarity) if polarity > 0 and isinstance(item, Conditional) else _eval(item, ctx, polarity)
        for item in node.items
    ]
    return _any_of_from(node, children)


def _any_of_from(node: AnyOf, children: list[Outcome]) -> Outcome:
    """An AnyOf's Outcome from its items': each judged as an alternative case where the
    node is not an allergy with drugs after it (`_allergy_or_drugs`) and the criterion
    asks for it (`_alternative_case`)."""
    if _allergy_or_drugs(node):
        # 'Allergy to Phenylephrine or NSAIDs' (NCT03864133), read 'allergy or NSAIDs': the
        # drugs are what the allergy is to, so a patient taking naproxen was excluded
        # (every item judged, for the tree of outcomes to mirror the criterion's; only the
        # allergies decide)
        truth = any_of(c.truth for i, c in zip(node.items, children) if not isinstance(_unqualified(i), (Medication, Unparsed)))
        taken = [c.children[0] for i, c in zip(node.items, children) if _own_reaction(i) and c.children]
        # ('... or experienced a prior significant adverse reaction to fluorescein', words)
        # (an intolerance in words is one a record keeps as an AllergyIntolerance, read as a condition)
        taken += [c for i, c in zip(node.items, children) if isinstance(i, Unparsed) and _REACTION_IN_WORDS.search(i.text)]
        if truth is Truth.FALSE and any(t.truth is not Truth.FALSE for t in taken):
            # 'Prior allergy or adverse reaction to methotrexate': a reaction of its own to a
            # drug on record, which records do not keep as an allergy
            return _composite(node, Truth.UNKNOWN, children, ["an adverse reaction or intolerance (to a drug on record, or in words) is not recorded as an allergy"])
        if truth is Truth.FALSE:
            return _composite(node, truth, children, ["an allergy to drugs named after it: no allergy on record"])
        reason = "an allergy to drugs named after it: the record does not say which drug an allergy on it is to"
        return _composite(node, Truth.UNKNOWN, children, [reason])
    return _composite(node, any_of(c.truth for c in children), children)


def _alternative_case(node: Conditional, ctx: _Ctx, polarity: int) -> Outcome:
    """'Bilirubin <= 1.5 x ULN, or <= 3 x ULN if Gilbert's': an alternative offered only where
    its condition holds is condition AND then. Read as a requirement ((NOT condition) OR
    then) it would be true for every patient without Gilbert's, and so would the whole 'or'."""
    return _alternative_case_from(node, _eval(node.condition, ctx, 1), _eval(node.then, ctx, polarity))


def _alternative_case_from(node: Conditional, condition: Outcome, then: Outcome) -> Outcome:
    if condition.truth is Truth.FALSE:
        reasons = ["an alternative only where its condition holds, which it does not"]
    elif condition.truth is Truth.TRUE:
        reasons = ["an alternative where its condition holds, as it does"]
    else:
        reasons = []
    return _composite(node, condition.truth & then.truth, [condition, then], reasons)


def _each(node: Each, ctx: _Ctx, polarity: int) -> Outcome:
    """A list of separate criteria: all must hold where the patient must satisfy them
    (polarity +1), and any one rules the patient out where they exclude (polarity -1).

    Where the patient must satisfy a list that may as well be alternatives ('diagnosis of
    melanoma, breast cancer, renal cell carcinoma'; 'A1c >= 5.7%, 2-hour glucose > 140, or
    FBG > 100'), it holds when all hold, fails when none does, and is unknown between."""
    return _each_from(node, [_eval(item, ctx, polarity) for item in node.items], polarity)


def _each_from(node: Each, children: list[Outcome], polarity: int) -> Outcome:
    if polarity != 1:
        if _sex_with_others(node):
            # 'For female patients, current pregnancy and/or lactation': the sex says whom
            # the exclusion is for, it does not exclude a whole sex
            reason = "an exclusion that names a sex with other items: the sex says whom it is for, so all must hold"
            return _composite(node, all_of(c.truth for c in children), children, [reason])
        return _composite(node, any_of(c.truth for c in children), children)
    every = all_of(c.truth for c in children)
    if every is Truth.FALSE and _maybe_alternatives(node):
        # (what only allows is no alternative: 'Age >= 18; both men and women are eligible')
        some = any_of(c.truth for c, item in zip(children, node.items) if not isinstance(item, Permission))
        if some is not Truth.FALSE:
            reason = "a list that may mean any one of its items, not all: not all hold, but one may"
            return _composite(node, Truth.UNKNOWN, children, [reason])
    return _composite(node, every, children)


def _sex_with_others(node: Each) -> bool:
    sexes = [i for i in node.items if isinstance(i, Sex)]
    return bool(sexes) and len(sexes) < len(node.items) and all(len(set(i.sexes)) == 1 for i in sexes)


def _maybe_alternatives(node: Each) -> bool:
    """A list of events joined by commas alone ('melanoma, breast cancer, lung cancer'), or
    one whose last item is an 'or' ('A, B, or C' where A was read apart): its items may be
    alternatives."""
    return isinstance(node.items[-1], AnyOf) or all(_event_like(i) for i in node.items)


def _event_like(node: Predicate) -> bool:
    if isinstance(node, (Condition, Medication, Procedure)):
        return True
    if isinstance(node, Qualified):
        return _event_like(node.item)
    # ('locally advanced unresectable, or metastatic melanoma': an alternative not understood beside events)
    return isinstance(node, AnyOf) and any(_event_like(i) for i in node.items) and all(_event_like(i) or isinstance(i, Unparsed) for i in node.items)


def _permission(node: Permission, ctx: _Ctx, polarity: int) -> Outcome:
    """'Prior radiotherapy allowed': asks nothing, so it never stands in the patient's way,
    TRUE where the patient must satisfy it and FALSE where it would rule out, whatever its
    item says of the patient (shown beside it)."""
    return _permission_from(node, [_eval(node.item, ctx, 1)] if node.item is not None else [], polarity)


def _permission_from(node: Permission, items: list[Outcome], polarity: int) -> Outcome:
    truth = Truth.TRUE if polarity > 0 else Truth.FALSE
    return _composite(node, truth, items, [f'"{node.words}": lets patients in and asks nothing of them'])


def _excludes(node: Excludes, ctx: _Ctx, polarity: int) -> Outcome:
    """'Pregnant or lactating women are ineligible': its item rules the patient out, judged
    as an exclusion's is; in an exclusion the line holds where the item does, and listed as
    an inclusion the patient must not have it."""
    child = _eval(node.item, ctx, -1)
    if polarity < 0:
        return _composite(node, child.truth, [child], [f'"{node.words}": those it names are ruled out'])
    return _composite(node, ~child.truth, [child], [f'"{node.words}", listed as an inclusion criterion: the patient must not be among those it names'])


def _not(node: Not, ctx: _Ctx, polarity: int) -> Outcome:
    child = _eval(node.item, ctx, -polarity)
    return _composite(node, ~child.truth, [child])


def _conditional(node: Conditional, ctx: _Ctx, polarity: int) -> Outcome:
    """'then if condition' binds only where the condition holds. Where the patient must
    satisfy it (polarity +1) it is (NOT condition) OR then: outside the condition nothing is
    required. Where it rules the patient out (-1) it is condition AND then: 'women if they
    are breast-feeding' excludes breast-feeding women, not every patient who is not one."""
    return _conditional_from(node, _eval(node.condition, ctx, 1), _eval(node.then, ctx, polarity), polarity)


def _conditional_from(node: Conditional, condition: Outcome, then: Outcome, polarity: int) -> Outcome:
    truth = (~condition.truth | then.truth) if polarity > 0 else (condition.truth & then.truth)
    if condition.truth is Truth.FALSE:
        reasons = ["does not apply: its condition does not hold"]
    elif condition.truth is Truth.TRUE:
        reasons = ["applies: its condition holds"]
    else:
        reasons = ["cannot tell whether it applies"] if truth is Truth.UNKNOWN else []
    return _composite(node, truth, [condition, then], reasons)


def _exception(node: Exception_, ctx: _Ctx, polarity: int) -> Outcome:
    """'main unless exception' and 'main with the exception of exception'.

    unless: the exception waives the restriction. In an inclusion (+1) the criterion is met
    when main holds or the exception does: main OR exception. In an exclusion (-1) it rules
    out when main holds and the exception does not: main AND NOT exception. The exception
    helps the patient either way, so it is evaluated with polarity +1.

    except: the exception is carved out of main's class ('immunosuppressants except
    prednisone <= 10 mg/day'): the predicate is 'something in main other than the
    exception'. Where the exception is FALSE that is main. Where it is TRUE or UNKNOWN, the
    main's TRUE may rest on the excepted item alone: the result is UNKNOWN ("cannot tell
    whether only the excepted X applies"), and a FALSE main stays FALSE (taking things out
    cannot add any). So: main AND (NOT exception OR UNKNOWN), in both polarities: the
    carve-out narrows the predicate whichever side of the criteria it is on, and the result
    is never more confident than main alone can justify.
    When main is monotone and the exception speaks only of records of one kind
    (conditions, medications or procedures), the records the exception covers are set aside
    and main is evaluated again without them, which tells the two apart where the record can.
    """
    tree = node
    if polarity < 0:
        node = _carved(node)
    main = _eval(node.main, ctx, polarity)
    # an exception only relaxes: a window of the main part is not read into it
    plain = replace(ctx, windowed=False)
    if node.mode == "unless":
        return _unless_from(node, main, _eval(node.exception, plain, 1), polarity)
    node = _per_node(_EITHER_EXCEPTED, node, _either_excepted)
    exception = _eval(node.exception, plain, -polarity)
    return _except_from(node, main, exception, _records_set_aside(tree, node, ctx, polarity, main))


def _unless_from(node: Exception_, main: Outcome, exception: Outcome, polarity: int) -> Outcome:
    """An 'unless''s Outcome from its parts' (the exception judged with +1, the main part's
    window not read into it)."""
    if polarity > 0:
        truth = main.truth | exception.truth
        reasons = ["'unless' in an inclusion: met when the main part or the exception holds"]
    else:
        truth = main.truth & ~exception.truth
        reasons = ["'unless' in an exclusion: applies when the main part holds and the exception does not"]
    return _composite(node, truth, [main, exception], reasons)


def _except_from(node: Exception_, main: Outcome, exception: Outcome, refined: tuple[Truth, list[str]] | None) -> Outcome:
    """An 'except''s Outcome (`node` as `_exception` makes it, carved and either excepted)
    from its parts' and what setting the records aside said (`_records_set_aside`)."""
    what = _describe(node.exception)
    if refined is not None:
        truth, reasons = refined
    else:
        truth = main.truth & (~exception.truth | Truth.UNKNOWN)
        reasons = []
        if exception.truth is Truth.FALSE:
            reasons.append(f"the excepted {what} does not apply")
    if truth is Truth.UNKNOWN and main.truth is not Truth.UNKNOWN:
        reasons.append(f"cannot tell whether only the excepted {what} applies")
    elif truth is Truth.FALSE and main.truth is Truth.TRUE:
        reasons.append(f"only the excepted {what} applies")
    return _composite(node, truth, [main, exception], reasons)


_RECORD_FIELDS = {Condition: "conditions", Medication: "medications", Procedure: "procedures"}


def _record_field(node: Any) -> str | None:
    """The one kind of record a positive tree of record leaves speaks of, else None."""
    if type(node) in _RECORD_FIELDS:
        return _RECORD_FIELDS[type(node)]
    if isinstance(node, (AllOf, AnyOf)):
        fields = {_record_field(item) for item in node.items}
        return fields.pop() if len(fields) == 1 and None not in fields else None
    return None


def _speaks_of(node: Any, fieldname: str) -> bool:
    """Whether the tree has a leaf about records of this kind."""
    if isinstance(node, (AllOf, AnyOf)):
        return any(_speaks_of(item, fieldname) for item in node.items)
    return _RECORD_FIELDS.get(type(node)) == fieldname


def _monotone(node: Any) -> bool:
    """Removing records can only lower its truth (no negation inside)."""
    if isinstance(node, (AllOf, AnyOf)):
        return all(_monotone(item) for item in node.items)
    return isinstance(node, (Comparison, Range, Sex, Condition, Medication, Procedure, Judgment, Unparsed, Following))


def _unless_carves_out(node: Exception_) -> Exception_:
    """'Active malignancy, unless basal cell carcinoma of the skin' among exclusions: an
    'unless' that names kinds of what the main part names takes them out of it, as 'except'
    does; read as waiving the whole, a breast cancer beside a basal cell carcinoma passed.
    Worked out once per node (`_per_node`)."""
    main = _unqualified(node.main)
    cases = node.exception.items if isinstance(node.exception, AnyOf) else (node.exception,)
    kinds = [_unqualified(c) for c in cases]
    if not isinstance(main, Condition) or not all(isinstance(k, Condition) for k in kinds):
        return node
    if not _kinds_of(main.concept, [k.concept for k in kinds]):
        return node
    return node.model_copy(update={"mode": "except"})


def _kinds_of(whole: str, kinds: list[str]) -> bool:
    """Whether every one of `kinds` is a kind of `whole` in the vocabulary, none `whole` itself."""
    vocab = _vocab()
    above = vocab.find(whole)
    found = [vocab.find(k) for k in kinds]
    return above is not None and all(f is not None and f is not above and above in vocab.ancestors(f) for f in found)


def _carved(node: Exception_) -> Exception_:
    """`node`, an 'unless' read as 'except' where it carves kinds out (`_unless_carves_out`),
    worked out once per node."""
    return _per_node(_CARVED_OUT, node, _unless_carves_out) if node.mode == "unless" else node


_CARVED_OUT: dict[int, tuple[Any, Exception_]] = {}


def _sets_records_aside(node: Exception_) -> bool:
    """Whether an 'except' is judged by setting the records it covers aside
    (`_except_by_records`): the exception speaks of one kind of record, and the main part
    is monotone and speaks of it too. Such an exception reads the patient's records itself."""
    if node.mode == "unless":
        return False
    fieldname = _record_field(node.exception)
    return fieldname is not None and _monotone(node.main) and _speaks_of(node.main, fieldname)


def _either_excepted(node: Exception_) -> Exception_:
    """'except basal cell carcinoma of the skin and cervical carcinoma in situ': what is
    carved out is either of them; as both at once, a patient with one lost it. Worked out
    once per node (`_per_node`), so the node is the same one for every patient."""
    if node.mode == "except" and isinstance(node.exception, AllOf) and _groups_of_patients(node.exception, 1):
        return node.model_copy(update={"exception": AnyOf(items=node.exception.items, span=node.exception.span)})
    return node


_EITHER_EXCEPTED: dict[int, tuple[Any, Exception_]] = {}


def _except_by_records(node: Exception_, ctx: _Ctx, polarity: int, main: Outcome) -> tuple[Truth, list[str]] | None:
    """`main` is `node.main` judged with every record kept: what setting no record aside gives."""
    if not _sets_records_aside(node):
        return None
    fieldname = _record_field(node.exception)
    assert fieldname is not None
    what = _describe(node.exception)
    records = getattr(ctx.patient, fieldname)
    excepted, maybe = _excepted_records(node.exception, ctx, polarity, fieldname)
    if not excepted and not maybe:
        return None

    def without(drop: tuple[Any, ...]) -> Outcome:
        kept = tuple(r for r in records if all(r is not d for d in drop))
        return _eval(node.main, replace(ctx, patient=ctx.patient.model_copy(update={fieldname: kept}), leaves=None), polarity)

    # the excepted records set aside; with none excepted (a record that only may be, as a
    # synthetic patient's corticosteroid is), every record is kept: that is `main`, judged
    # from the leaf memo, whose Outcomes are the leaves judged again (about a sixth of this
    # criterion's time, tests/test_speed10.py)
    rest = without(excepted) if excepted else main
    sure = without(excepted + maybe) if maybe else rest  # and those that may be excepted, too
    truth = sure.truth | (rest.truth & Truth.UNKNOWN)
    reasons = []
    if excepted:
        reasons.append("set aside as excepted: " + "; ".join(_record_label(r, what) for r in excepted))
    if maybe:
        reasons.append("may be excepted: " + "; ".join(_record_label(r, what) for r in maybe))
    decided = sure if truth is sure.truth else rest
    reasons += [f"without them: {r}" for r in _leaf_reasons(decided)]
    return truth, reasons


def _excepted_records(exception: Any, ctx: _Ctx, polarity: int, fieldname: str) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The patient's records of the field that the exception covers (TRUE for a patient
    with that record alone) and those it may cover (UNKNOWN), each judged in the closed
    world without the main part's window. Remembered in the patient's leaf memo: what it
    reads is the patient (which the memo fixes), the date and vocabulary (likewise), the
    exception, the polarity, the field and the onset flag (the key), never the window flag
    nor the world; NCT07339332's 'immunosuppressant except corticosteroid' is judged so in
    its item and again in the heading above it, one copy of the patient per medication
    record each time (speed14). A variant patient (`ctx.leaves` None) is judged as before."""
    memo = ctx.leaves
    key = ("excepted", id(exception), polarity, fieldname, ctx.onset_only)  # no leaf's key (a pair) nor `_values_once`'s
    if type(memo) is dict:
        hit = memo.get(key)
        if hit is not None and hit[0] is exception:  # the entry holds it: its id is not reused
            return hit[1], hit[2]
    excepted, maybe = [], []
    closed = replace(ctx, open_world=False, windowed=False, leaves=None)  # the exception: no window of main read into it
    for record in getattr(ctx.patient, fieldname):
        alone = replace(closed, patient=ctx.patient.model_copy(update={fieldname: (record,)}), leaves=None)
        truth = _eval(exception, alone, -polarity).truth
        if truth is Truth.TRUE:
            excepted.append(record)
        elif truth is Truth.UNKNOWN:
            maybe.append(record)
    found = tuple(excepted), tuple(maybe)
    if type(memo) is dict:
        memo[key] = (exception, *found)
    return found


def _record_label(record: Any, concept_name: str) -> str:
    day = getattr(record, "onset", None) or getattr(record, "start", None)
    name = _record_name(record, concept_name)
    return f"{name} ({day.isoformat()})" if day else name


def _leaf_reasons(outcome: Outcome) -> list[str]:
    return [*outcome.reasons, *(r for c in outcome.children for r in _leaf_reasons(c))]


def _describe(node: Any) -> str:
    match node:
        case Condition() | Medication() | Procedure():
            return node.concept
        case Comparison():
            unit = f" {node.threshold.unit}" if node.threshold.unit else ""
            return f"{node.measure} {node.op} {fmt(node.threshold.value)}{unit}"
        case Range():
            return node.measure
        case AnyOf() | AllOf():
            return " / ".join(_describe(i) for i in node.items)
        case Unparsed() | Judgment() | Modifier():
            return f'"{node.text}"'
    return node.kind


def _diagnosed_within(node: Qualified) -> bool:
    """'Diagnosis of type 2 diabetes in the last 12 months': a condition with a window, whose
    only words say it was diagnosed: the window is when it began (a diabetes of 2015 still
    going is not one diagnosed in the last year)."""
    return (
        isinstance(node.item, Condition)
        and node.item.window is not None
        and node.item.window.relation == "within"
        and all(isinstance(q, Modifier) and _DIAGNOSED.fullmatch(q.text.strip(" ,;:.()")) for q in node.qualifiers)
    )


_DIAGNOSED = re.compile(r"(?:(?:newly|first|initially|recently)\s+)?(?:diagnosed(?:\s+(?:with|as))?|(?:a\s+)?diagnosis(?:\s+of)?)", re.IGNORECASE)


def _qualified(node: Qualified, ctx: _Ctx, polarity: int) -> Outcome:
    """Structure with words around it. Words not understood make it UNKNOWN whatever the
    structure gives, since they could change it. Modifiers, which only narrow what they
    stand beside ('uncontrolled', 'severe', 'metastatic'), cannot make true what is false
    without them: no hypertension on record is no uncontrolled hypertension; but
    hypertension on record does not say whether it is uncontrolled."""
    if _per_node(_DIAGNOSED_WITHIN, node, _diagnosed_within):
        item = _eval(node.item, replace(ctx, onset_only=True, leaves=None), polarity)
        qualifiers = _per_node(_QUALIFIERS, node, _qualifiers)[0]
        return _composite(node, item.truth, [item, *qualifiers], ["diagnosed within the window: when the condition began, not whether it went on into it"])
    return _qualified_from(node, _eval(node.item, ctx, polarity))


def _qualified_from(node: Qualified, item: Outcome) -> Outcome:
    """A Qualified node's Outcome from its item's, where it is not a condition diagnosed
    within a window (`_diagnosed_within`)."""
    qualifiers, words, modifiers, narrowing = _per_node(_QUALIFIERS, node, _qualifiers)
    if narrowing:
        said = modifiers or words  # (words of what an allergy is to narrow it too)
        if item.truth is Truth.FALSE:
            reasons = [f"false without the words that only narrow it ({said}), so false with them"]
            return _composite(node, Truth.FALSE, [item, *qualifiers], reasons)
        reasons = [f"narrowed by {said}, which the record does not say: without that it would be {item.truth.value}"]
        return _composite(node, Truth.UNKNOWN, [item, *qualifiers], reasons)
    reasons = [f"qualified by words not understood ({words}): without them it would be {item.truth.value}"]
    return _composite(node, Truth.UNKNOWN, [item, *qualifiers], reasons)


def _qualifiers(node: Qualified) -> tuple[tuple[Outcome, ...], str, str, bool]:
    """The Outcomes of a Qualified node's words (the same for every patient), the words
    not understood and the modifiers as its reasons quote them, and whether they only
    narrow its item (`_narrowing`): worked out once per node."""
    outcomes = tuple(_constant(q, _modifier if isinstance(q, Modifier) else _unparsed) for q in node.qualifiers)
    words = "; ".join(f'"{q.text}"' for q in node.qualifiers if isinstance(q, Unparsed))
    modifiers = "; ".join(f'"{q.text}"' for q in node.qualifiers if isinstance(q, Modifier))
    return outcomes, words, modifiers, _narrowing(node)


_QUALIFIERS: dict[int, tuple[Any, tuple[tuple[Outcome, ...], str, str, bool]]] = {}
_DIAGNOSED_WITHIN: dict[int, tuple[Any, bool]] = {}


def _modifier(node: Modifier) -> Outcome:
    if is_lookback(node.text):
        # (engine.parse: a list's window that may or may not reach this event too)
        return _leaf(node, Truth.UNKNOWN, [f'whether "{node.text}" is said of it too is not known'])
    return _leaf(node, Truth.UNKNOWN, [f'the record does not say whether "{node.text}"'])


def _narrowing(node: Qualified) -> bool:
    """Every word around `node` is a modifier, and its item holds no negation, exception
    or condition under which a narrower term would mean a wider whole (engine.parse types
    modifiers only where it holds none; a tree built by hand may)."""
    return _per_node(_NARROWED, node, _narrowing_now)


_NARROWED: dict[int, tuple[Any, bool]] = {}


def _narrowing_now(node: Qualified) -> bool:
    if isinstance(node.item, Condition) and node.item.concept in ALLERGY_CONCEPTS:
        # 'Known hypersensitivity to the study drug': the words say what the allergy is to,
        # so no allergy on record is no allergy to it
        return not any(_NOT_ONLY_WHAT.search(q.text) for q in node.qualifiers)
    if not all(isinstance(q, Modifier) for q in node.qualifiers):
        return False
    return narrowable(node.item)


def _own_reaction(item: Any) -> bool:
    """A drug with words of a reaction of its own beside it ('adverse reaction to methotrexate')."""
    return isinstance(item, Qualified) and not _allergic(item) and isinstance(_unqualified(item), Medication) and any(
        _OWN_REACTION.search(q.text) for q in item.qualifiers
    )


_REACTION_WORDS = r"reaction|toxicit|adverse|side effect"
# ('Allergies to chemotherapeutic drugs ... or intolerant patients', NCT03949634: an
# intolerance is not kept as an allergy either)
_REACTION_IN_WORDS = re.compile(rf"{_REACTION_WORDS}|intolera[nb]", re.IGNORECASE)  # ('intolerable to chemotherapeutic agents' too)
_OWN_REACTION = _REACTION_IN_WORDS  # (beside a drug: 'intolerance to X' too)
_NOT_ONLY_WHAT = re.compile(r"\b(?:no|not|non|without|except|unless|other than|history|prior|previous)\b", re.IGNORECASE)
