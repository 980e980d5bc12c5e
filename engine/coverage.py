"""How much of the criteria under some paths became structure (`elig coverage`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from engine.parse import parse
from engine.summary import coverage_class
from engine.trials import Criterion, load_trials


def _criteria(criteria) -> list[Criterion]:
    out: list[Criterion] = []
    for c in criteria:
        if c.origin == "text":
            out.append(c)
        out.extend(_criteria(c.children))
    return out


def coverage(paths: list[Path], *, progress: bool = False) -> dict:
    """Parse every criterion of every trial under `paths`; count what became structure.

    Returns:
        {"trials", "criteria", "structured", "partial", "unparsed", "errors", "failures"}:
        `failures` lists (trial id, text, error) for every crash (there should be none).
    """
    trials = [t for p in paths for t in load_trials(p)]
    counts: Counter[str] = Counter()
    failures: list[tuple[str, str, str]] = []
    items = [(t.trial_id, c.text) for t in trials for c in _criteria(t.criteria)]
    for trial_id, text in _progress(items, progress, "parsing"):
        try:
            counts[coverage_class(parse(text))] += 1
        except Exception as exc:  # counted, never fatal: the report says where
            counts["errors"] += 1
            failures.append((trial_id, text, f"{type(exc).__name__}: {exc}"))
    return {
        "trials": len(trials),
        "criteria": len(items),
        "structured": counts["structured"],
        "partial": counts["partial"],
        "unparsed": counts["unparsed"],
        "errors": counts["errors"],
        "failures": failures,
    }


def _progress(items, enabled: bool, label: str):
    if not enabled:
        yield from items
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=len(items))
        for item in items:
            yield item
            bar.advance(task)
