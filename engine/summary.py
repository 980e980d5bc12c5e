"""Flat views of a predicate tree: its thresholds and its unparsed pieces (CONTRACT.md `elig parse`)."""

from __future__ import annotations

from decimal import Decimal

from engine.nodes import Comparison, Judgment, Medication, Predicate, Range, Threshold, Unparsed, walk


def json_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number, as written: 500 stays 500, 1.5 stays 1.5.

    >>> json_number(Decimal("500")), json_number(Decimal("1.5")), json_number(Decimal("500.0"))
    (500, 1.5, 500.0)
    """
    if value == value.to_integral_value() and "." not in str(value) and "E" not in str(value).upper():
        return int(value)
    return float(value)


def _entry(measure: str, op: str, t: Threshold) -> dict:
    return {"measure": measure, "op": op, "value": json_number(t.value), "unit": t.unit, "relative_to": t.relative_to}


def thresholds(tree: Predicate) -> list[dict]:
    """Every numeric bound on a measure, flattened; a range gives two entries.

    >>> from engine.parse import parse
    >>> [(t["op"], t["value"], t["unit"]) for t in thresholds(parse("age 18 to 65 years"))]
    [('>=', 18, 'years'), ('<=', 65, 'years')]
    >>> thresholds(parse("bilirubin <= 1.5 x ULN"))[0]["relative_to"]
    'ULN'
    """
    out: list[dict] = []
    seen: set[tuple] = set()
    for node in walk(tree):
        entries = []
        if isinstance(node, Medication) and node.dose is not None:
            entries.append(_entry(node.dose.measure, node.dose.op, node.dose.threshold))
        if isinstance(node, Judgment) and node.bound is not None:
            entries.append(_entry(node.bound.measure, node.bound.op, node.bound.threshold))
        if isinstance(node, Comparison):
            entries.append(_entry(node.measure, node.op, node.threshold))
        elif isinstance(node, Range):
            entries.append(_entry(node.measure, ">=" if node.low_inclusive else ">", node.low))
            entries.append(_entry(node.measure, "<=" if node.high_inclusive else "<", node.high))
        for entry in entries:
            # a bound the tree holds twice ('INR or APTT <= 1.5 x ULN': each of them, or
            # either) is one bound of the text: the same node, from the same span
            key = (node.span.start, node.span.end, *entry.values())
            if key not in seen or node.span.end == 0:
                seen.add(key)
                out.append(entry)
    return out


def unparsed(tree: Predicate) -> list[str]:
    """The pieces of text that did not become structure, in order.

    >>> from engine.parse import parse
    >>> unparsed(parse("ANC >= 500/uL")), unparsed(parse("qwertyuiop zxcvbnm"))
    ([], ['qwertyuiop zxcvbnm'])
    """
    return [node.text for node in walk(tree) if isinstance(node, Unparsed) and node.text]


def coverage_class(tree: Predicate) -> str:
    """'structured' (no unparsed piece), 'partial' (some) or 'unparsed' (nothing understood).

    >>> from engine.parse import parse
    >>> coverage_class(parse("ANC >= 500/uL")), coverage_class(parse("qwertyuiop zxcvbnm"))
    ('structured', 'unparsed')
    """
    pieces = unparsed(tree)
    if not pieces:
        return "structured"
    if isinstance(tree, Unparsed):
        return "unparsed"
    return "partial"
