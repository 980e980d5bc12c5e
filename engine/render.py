"""Nodes -> canonical criterion text.

The canonical form is criteria-language text that `engine.parse.parse` reads back into
the same tree (spans aside): names are the vocabulary's canonical names, operators ASCII,
units in their canonical spelling, compound operands in brackets. Text that was not
understood is kept between guillemets, `«like this»`, and judgments as
`judgment(consent) «...»`; curated rule files use this form.
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_never

from engine.nodes import (
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
    Predicate,
    Procedure,
    Qualified,
    Range,
    Sex,
    Threshold,
    Unparsed,
    Window,
)

_ANCHORS = {
    "as_of": "",
    "screening": "screening",
    "enrollment": "enrollment",
    "consent": "informed consent",
    "first_dose": "first dose",
    "infusion": "infusion",
    "randomization": "randomization",
    "diagnosis": "diagnosis",
    "transplant": "transplant",
}

_TIME = {"hour": "hours", "day": "days", "week": "weeks", "month": "months", "year": "years", "half_life": "half-lives"}


def number(value: Decimal) -> str:
    """A Decimal as written: no exponent, trailing zeros kept as the source had them."""
    text = format(value, "f")
    return text


def threshold(t: Threshold) -> str:
    out = number(t.value)
    if t.unit:
        out += f" {t.unit}"
    if t.relative_to:
        out += f" x {t.relative_to}"
    return out


def duration(d: Duration) -> str:
    return f"{number(d.value)} {_TIME[d.unit]}"


def window(w: Window) -> str:
    spans = " or ".join(duration(d) for d in w.durations)
    if len(w.durations) > 1:
        spans += ", whichever is shorter" if w.shortest else ", whichever is longer"
    anchor = _ANCHORS[w.anchor]
    if w.relation == "within":
        out = f"within {spans}"
        if anchor:
            out += f" before {anchor}"
        return out
    # 'before': more than the duration before the anchor; the anchor must be named
    return f"> {spans} before {anchor or 'screening'}"


def render(node: Predicate) -> str:
    """The canonical text of a tree.

    Args:
        node: a predicate tree.

    Returns:
        Criteria-language text that parses back to the same tree (spans aside).

    >>> from engine.parse import parse
    >>> render(parse("ANC >= 500/uL"))
    'absolute neutrophil count >= 500 /uL'
    """
    match node:
        case Comparison():
            out = f"{node.measure} {node.op} {threshold(node.threshold)}"
            if node.window:
                out += f" {window(node.window)}"
            return out
        case Range():
            low_op = ">=" if node.low_inclusive else ">"
            high_op = "<=" if node.high_inclusive else "<"
            out = f"{node.measure} {low_op} {threshold(node.low)} and {high_op} {threshold(node.high)}"
            if node.window:
                out += f" {window(node.window)}"
            return out
        case Sex():
            return f"sex {node.sexes[0]}" if len(node.sexes) == 1 else "male or female"
        case Condition():
            out = _history(node) + ("active " if node.active else "") + node.concept
            if node.window:
                out += f" {window(node.window)}"
            return out
        case Medication():
            if node.dose is not None and node.dose.measure == "prednisone equivalent daily dose":
                out = f"prednisone or equivalent {node.dose.op} {threshold(node.dose.threshold)}"
            elif node.dose is not None:
                out = f"{node.concept} {node.dose.op} {threshold(node.dose.threshold)}"
            else:
                out = node.concept
            out = _history(node) + out
            if node.window:
                out += f" {window(node.window)}"
            return out
        case Procedure():
            out = _history(node) + node.concept
            if node.window:
                out += f" {window(node.window)}"
            return out
        case Judgment():
            return f"judgment({node.category}) «{_quote(node.text)}»"
        case Unparsed() | Modifier():  # engine.parse types a modifier by its words
            return f"«{_quote(node.text)}»"
        case Following():
            return {"any": "at least one of the following:", "all": "all of the following:", "each": "each of the following:"}[node.quantifier]
        case AllOf():
            return " and ".join(_operands(node.items))
        case AnyOf():
            return " or ".join(_operands(node.items))
        case Each():
            return "; ".join(_operands(node.items))
        case Not():
            return f"not ({render(node.item)})"
        case Conditional():
            return f"({render(node.then)}) if ({render(node.condition)})"
        case Exception_():
            word = "unless" if node.mode == "unless" else "except"
            return f"({render(node.main)}) {word} ({render(node.exception)})"
        case Qualified():
            return f"({render(node.item)}) " + " ".join(render(q) for q in node.qualifiers)
        case Permission():  # its words as they were read, and engine.parse reads them again
            words = f"«{_quote(node.words)}»"
            return words if node.item is None else f"({render(node.item)}) {words}"
        case Excludes():  # its words as they were read, and engine.parse reads them again
            return f"({render(node.item)}) «{_quote(node.words)}»"
        case _:
            assert_never(node)


def _history(node: Condition | Medication | Procedure) -> str:
    """'history of ': the event counts when it is over, not only while it lasts."""
    return "history of " if node.history else ""


def _operands(items: tuple[Predicate, ...]) -> list[str]:
    """Operands of 'and'/'or'. A window written after an event may reach every bare event
    before it ('myocardial infarction or stroke within 6 months'; engine.parse shares it,
    or leaves it in doubt past other operands), so an event without a window is bracketed
    when an event with one comes after it."""
    last = items[-1]
    timed_after = [False] * len(items)
    for i in range(len(items) - 2, -1, -1):
        later = items[i + 1]
        timed_after[i] = timed_after[i + 1] or (isinstance(later, (Condition, Medication, Procedure)) and later.window is not None)
    # (and a measurement's, every measurement's: 'creatinine <= 2 mg/dL or creatinine
    # clearance > 30 mL/min within 4 weeks')
    timed = isinstance(last, (Comparison, Range)) and last.window is not None
    first = items[0].item if isinstance(items[0], Qualified) else items[0]
    history = isinstance(first, (Condition, Medication, Procedure)) and first.history
    out = []
    for i, item in enumerate(items):
        text = _operand(item)
        event = item.item if isinstance(item, Qualified) else item
        if i < len(items) - 1 and (timed_after[i] and _bare_event(item) or timed and isinstance(item, (Comparison, Range)) and item.window is None and item.measure != "age"):
            text = f"({text})"
        elif i > 0 and history and text[:1] != "(" and _no_history(event):
            # 'history of A or B' reads as history of both: B without it is bracketed
            text = f"({text})"
        out.append(text)
    return out


def _no_history(node: Predicate) -> bool:
    return isinstance(node, (Condition, Medication, Procedure)) and not node.history and getattr(node, "active", None) is None


def _bare_event(node: Predicate) -> bool:
    if isinstance(node, Medication):
        return node.window is None and node.dose is None
    return isinstance(node, (Condition, Procedure)) and node.window is None


def _operand(node: Predicate) -> str:
    text = render(node)
    simple = isinstance(node, (Comparison, Sex, Condition, Medication, Procedure, Judgment, Unparsed)) and not (
        isinstance(node, Sex) and len(node.sexes) > 1
    )
    return text if simple else f"({text})"


def _quote(text: str) -> str:
    """Guillemets delimit unparsed text; any inside it are folded to plain quotes."""
    return text.replace("«", '"').replace("»", '"')
