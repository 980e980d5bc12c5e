"""The typed predicate tree: frozen pydantic models, one per predicate kind.

Nodes are data. Parsing builds them (`engine.parse`), rendering turns them back into
criteria text (`engine.render`), evaluation gives them a truth value (`engine.evaluate`).
Every node carries the `Span` of the text it came from; a node built by hand or by
rendering has the empty span (0, 0).
"""

from __future__ import annotations

import re
from decimal import Decimal
from collections.abc import Callable, Iterator
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import BaseModel, ConfigDict, Field

Op = Literal[">=", ">", "<=", "<", "="]
"""Comparison operators, in their canonical ASCII spelling."""

Anchor = Literal[
    "as_of",
    "screening",
    "enrollment",
    "consent",
    "first_dose",
    "infusion",
    "randomization",
    "diagnosis",
    "transplant",
]
"""Events a time window can be measured from. `as_of` is the screening date given to elig."""

TimeUnit = Literal["hour", "day", "week", "month", "year", "half_life"]

# the conditions that are an allergy: a list of drugs after one is what it is to
ALLERGY_CONCEPTS: frozenset[str] = frozenset({"allergy", "anaphylaxis"})

JudgmentCategory = Literal[
    "consent",
    "compliance",
    "investigator_opinion",
    "life_expectancy",
    "willingness",
    "contraception",
    "pregnancy_test",
    "tumor_assessment",
    "trial_participation",
    "organ_function",
    "specimen",
    "legal_status",
    "medical_judgment",
    "language",
    "protocol_reference",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Span(_Frozen):
    """Character offsets [start, end) into the criterion text as the user wrote it."""

    start: int = 0
    end: int = 0


NO_SPAN = Span()


class Threshold(_Frozen):
    """A bound's number and unit as written ('500 /uL', '2.5 x ULN'); never a live Quantity."""

    value: Decimal
    unit: str | None = None
    relative_to: Literal["ULN", "LLN"] | None = None


class Duration(_Frozen):
    """'6 months', '5 half-lives'."""

    value: Decimal
    unit: TimeUnit


class Window(_Frozen):
    """When an event must (not) have happened, relative to an anchor event.

    `within`: on or after anchor - longest(durations), and not after the anchor.
    `before`: more than longest(durations) before the anchor ('> 90 days prior to enrollment').
    Several durations mean 'whichever is longer', or with `shortest` 'whichever is shorter'
    (the shortest of them stands where 'longest' does above).
    """

    relation: Literal["within", "before"]
    durations: tuple[Duration, ...]
    anchor: Anchor = "as_of"
    shortest: bool = False


class Node(_Frozen):
    span: Span = NO_SPAN


class Comparison(Node):
    """'ANC >= 500 /uL': a measure against a threshold."""

    kind: Literal["comparison"] = "comparison"
    measure: str
    op: Op
    threshold: Threshold
    window: Window | None = None  # when the measurement must have been taken


class Range(Node):
    """'age between 18 and 65 years': a measure within two bounds."""

    kind: Literal["range"] = "range"
    measure: str
    low: Threshold
    high: Threshold
    low_inclusive: bool = True
    high_inclusive: bool = True
    window: Window | None = None


class Sex(Node):
    """'male or female', 'women': the sexes the criterion admits."""

    kind: Literal["sex"] = "sex"
    sexes: tuple[Literal["female", "male"], ...]


class Condition(Node):
    """'history of myocardial infarction within 6 months': a diagnosis, state or finding."""

    kind: Literal["condition"] = "condition"
    concept: str
    active: bool | None = None
    window: Window | None = None
    history: bool = False  # 'history of', 'prior', 'received': a past event counts, not only a current one


class Medication(Node):
    """'prednisone > 10 mg/day within 7 days': exposure to a drug or drug class."""

    kind: Literal["medication"] = "medication"
    concept: str
    dose: Comparison | None = None
    window: Window | None = None
    history: bool = False  # 'history of', 'prior', 'received': a past event counts, not only a current one


class Procedure(Node):
    """'major surgery within 4 weeks': a procedure or therapy that was done."""

    kind: Literal["procedure"] = "procedure"
    concept: str
    window: Window | None = None
    history: bool = False  # 'history of', 'prior', 'received': a past event counts, not only a current one


class Judgment(Node):
    """Consent, compliance, the investigator's opinion...: assessed by the study team."""

    kind: Literal["judgment"] = "judgment"
    category: JudgmentCategory
    text: str
    # 'Life expectancy < 3 months': the bound its text states, for the team to judge against;
    # read from `text` (engine.parse), so rendering the text gives it back
    bound: Comparison | None = None


class Unparsed(Node):
    """Text that did not become structure; always unknown."""

    kind: Literal["unparsed"] = "unparsed"
    text: str


class Modifier(Node):
    """A word that names a kind of what it stands beside, never more of it: 'uncontrolled'
    hypertension, 'metastatic' breast cancer, 'histologically confirmed' adenocarcinoma,
    chemotherapy 'for' metastatic disease. Understood, but records seldom say it: see
    `Qualified`."""

    kind: Literal["modifier"] = "modifier"
    text: str


# A window back from now or from the study's start, in words: 'within 6 months', 'in the
# last 5 years', '=< 3 weeks prior to registration', 'within 28 days of the first dose'. As a
# `Modifier` beside an event it says the event may have to fall in it (engine.parse, where
# a list's window may or may not reach its first events).
_SPAN_OF_TIME = r"(?:\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)[\s-]*(?:hours?|days?|weeks?|months?|years?)"
LOOKBACK = re.compile(
    rf"(?:within\s+(?:the\s+)?(?:(?:last|past|previous|preceding)\s+)?|(?:in|during)\s+(?:the\s+)?(?:last|past|previous|preceding)\s+|(?:<=?|=<|\u2264)\s*)"
    rf"{_SPAN_OF_TIME}(?:\s+(?:prior\s+to|before|of|preceding)\s+[^<>]*)?"
    rf"|{_SPAN_OF_TIME}\s+(?:prior\s+to|before|preceding)\s+[^<>]*",
    re.IGNORECASE,
)


def is_lookback(words: str) -> bool:
    """Whether words (a Modifier's, or words not understood) are a window back in time alone."""
    return LOOKBACK.fullmatch(words.strip(" ,;:.")) is not None


class Qualified(Node):
    """A structure with words around it: unknown whatever `item` gives where a word was not
    understood ('... by morphologic assessment'), since it could change it. Where every
    word is a `Modifier` (and `item` holds no negation, exception or condition), false
    where `item` is false, else unknown: no hypertension on record is no uncontrolled
    hypertension, but hypertension on record does not say whether it is uncontrolled."""

    kind: Literal["qualified"] = "qualified"
    item: Predicate
    qualifiers: tuple[Annotated[Union[Unparsed, Modifier], Field(discriminator="kind")], ...]


class Following(Node):
    """'at least one of the following': its operands are the criterion's sub-items. 'each'
    makes them separate criteria, read by the criterion's side as `Each` is ('Hepatic:' over
    its laboratory limits: all must hold in an inclusion, any one excludes in an exclusion)."""

    kind: Literal["following"] = "following"
    quantifier: Literal["any", "all", "each"]


class AllOf(Node):
    kind: Literal["all_of"] = "all_of"
    items: tuple[Predicate, ...]


class AnyOf(Node):
    kind: Literal["any_of"] = "any_of"
    items: tuple[Predicate, ...]


class Each(Node):
    """'HIV, hepatitis B; hepatitis C': a list whose items are separate criteria, joined by
    no connective. Each item must hold in an inclusion (all of them) and each excludes on
    its own in an exclusion (any of them): the evaluator reads it by the criterion's side."""

    kind: Literal["each"] = "each"
    items: tuple[Predicate, ...]


class Not(Node):
    kind: Literal["not"] = "not"
    item: Predicate


class Conditional(Node):
    """'Lansky >= 50 if age < 16 years': `then` binds only where `condition` holds."""

    kind: Literal["conditional"] = "conditional"
    condition: Predicate
    then: Predicate


class Exception_(Node):
    """'X unless E' / 'X with the exception of E': E relaxes the restriction X places.

    `unless` waives X where E holds; `except` carves E out of X ('immunosuppressants except
    prednisone 10 mg/day'), so where E holds whether X still applies cannot be told.
    """

    kind: Literal["exception"] = "exception"
    mode: Literal["unless", "except"]
    main: Predicate
    exception: Predicate


class Permission(Node):
    """'Prior radiotherapy allowed', 'Both men and women are eligible', 'None': a line that
    lets patients in and keeps no one out. It asks nothing, so it fails no patient on either
    side of the criteria (engine.evaluate): `item` is what it allows (None where it names
    nothing: 'None', 'Not specified'), `words` the words that allow it ('allowed', 'are
    permitted', 'None'). Built only where it stands alone, as a line or the last of a
    line's separate criteria (engine.parse), where asking nothing is neutral."""

    kind: Literal["permission"] = "permission"
    item: Predicate | None = None
    words: str


class Excludes(Node):
    """'Pregnant or lactating women are ineligible', 'Patients with a known LVEF < 40% will
    be excluded': a line that names whom it keeps out, on either side of the criteria. In
    an exclusion it holds where `item` does; listed as an inclusion, where `item` does not
    (engine.evaluate). `words` the words that keep them out ('will be excluded'). Built only
    for a whole line (engine.parse), where the side is the line's own."""

    kind: Literal["excludes"] = "excludes"
    item: Predicate
    words: str


Predicate = Annotated[
    Union[
        Comparison,
        Range,
        Sex,
        Condition,
        Medication,
        Procedure,
        Judgment,
        Unparsed,
        Following,
        AllOf,
        AnyOf,
        Each,
        Not,
        Conditional,
        Exception_,
        Qualified,
        Permission,
        Excludes,
    ],
    Field(discriminator="kind"),
]

LEAF_KINDS = frozenset(
    {"comparison", "range", "sex", "condition", "medication", "procedure", "judgment", "unparsed", "following", "modifier"}
)

for _model in (AllOf, AnyOf, Each, Not, Conditional, Exception_, Qualified, Permission, Excludes, Medication):
    _model.model_rebuild()


def children(node: BaseModel) -> tuple[BaseModel, ...]:
    """The predicate operands of a node, in order (empty for a leaf)."""
    operands = _OPERANDS.get(type(node))
    return operands(node) if operands is not None else ()


# How each connective holds its operands, looked up by the node's class: a `match` over
# class patterns was 12 % of compiling the corpus (1.3 M calls of `children`).
_OPERANDS: dict[type, Callable[[Any], tuple[BaseModel, ...]]] = {
    AllOf: lambda node: node.items,
    AnyOf: lambda node: node.items,
    Each: lambda node: node.items,
    Not: lambda node: (node.item,),
    Conditional: lambda node: (node.condition, node.then),
    Exception_: lambda node: (node.main, node.exception),
    Qualified: lambda node: (node.item, *node.qualifiers),
    Permission: lambda node: (node.item,) if node.item is not None else (),
    Excludes: lambda node: (node.item,),
}


def walk(node: BaseModel) -> Iterator[BaseModel]:
    """Every predicate node of the tree, parents before children."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


# The fields of each connective that hold predicates (a Medication's dose holds no words).
OPERAND_FIELDS: dict[type, tuple[str, ...]] = {
    AllOf: ("items",),
    AnyOf: ("items",),
    Each: ("items",),
    Not: ("item",),
    Conditional: ("condition", "then"),
    Exception_: ("main", "exception"),
    Qualified: ("item",),
    Permission: ("item",),
    Excludes: ("item",),
}


def operands_mapped(node: BaseModel, fn: Callable[[Any], Any]) -> dict[str, Any] | None:
    """`fn` applied to each operand of `node` (its `OPERAND_FIELDS`): the fields it
    changed, or None where it gave None for one. (A permission that names nothing has no
    operand to give `fn`.)"""
    updates: dict[str, Any] = {}
    for name in OPERAND_FIELDS[type(node)]:
        value = getattr(node, name)
        if value is None:
            continue
        if isinstance(value, tuple):
            new = tuple(fn(v) for v in value)
            if any(n is None for n in new):
                return None
            if any(a is not b for a, b in zip(new, value)):
                updates[name] = new
        else:
            new = fn(value)
            if new is None:
                return None
            if new is not value:
                updates[name] = new
    return updates


def narrowable(item: BaseModel) -> bool:
    """Whether words that only narrow ('uncontrolled', 'metastatic') can only narrow `item`:
    it holds no negation, exception, condition, 'the following' or judgment, under which a
    narrower term could mean a wider whole. Asked by engine.parse where it types modifiers
    and by engine.evaluate where it judges them."""
    return not any(isinstance(n, _WIDENS) for n in walk(item))


_WIDENS = (Not, Exception_, Conditional, Following, Judgment, Permission, Excludes)


def study_teams_rule(node: BaseModel) -> bool:
    """A judgment for the study team, or one asked of some patients ('(judgment(pregnancy_test)
    «...») if (sex female)'): no event nor group of patients of its own. Asked by engine.parse
    (what a leading 'no' does not deny) and engine.evaluate (what names no group beside groups)."""
    return isinstance(node, Judgment) or (isinstance(node, Conditional) and isinstance(node.then, Judgment))


_M = TypeVar("_M", bound=BaseModel)


def unvalidated(cls: type[_M], values: dict[str, Any], fields: frozenset[str]) -> _M:
    """`cls(**values)` without validation: every value must already be of its field's type,
    and `fields` the names pydantic would count as set. For models built by the ten
    thousand on a hot path (a screening's criterion results, a summary's lab values), where
    validation was a measurable share (speed7, speed8); equal to the validated model."""
    model = object.__new__(cls)
    object.__setattr__(model, "__dict__", values)
    object.__setattr__(model, "__pydantic_fields_set__", set(fields))
    object.__setattr__(model, "__pydantic_extra__", None)
    object.__setattr__(model, "__pydantic_private__", None)
    return model


def strip_spans(node: BaseModel) -> BaseModel:
    """The same tree with every span set to (0, 0): for comparing trees by meaning."""
    return type(node).model_validate(_strip(node.model_dump()))


def _strip(value):
    if isinstance(value, dict):
        return {k: (Span().model_dump() if k == "span" else _strip(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_strip(v) for v in value)
    return value
