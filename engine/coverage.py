"""How much of the criteria under some paths became structure (`elig coverage`)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from engine.parse import parse
from engine.summary import coverage_class, unparsed
from engine.trials import Criterion, load_trials


def _criteria(criteria) -> list[Criterion]:
    out: list[Criterion] = []
    for c in criteria:
        if c.origin == "text":
            out.append(c)
        out.extend(_criteria(c.children))
    return out


def coverage(paths: list[Path], *, progress: bool = False, pieces: bool = False) -> dict:
    """Parse every criterion of every trial under `paths`; count what became structure.

    Args:
        paths: trial files or directories (anything `load_trials` reads).
        progress: show a progress bar (on a terminal).
        pieces: also count the unparsed pieces, normalised by `piece_key`.

    Returns:
        {"trials", "criteria", "structured", "partial", "unparsed", "errors", "failures"}
        (and "pieces", a Counter, when asked): `failures` lists (trial id, text, error) for
        every crash (there should be none).

    >>> from engine.trials import rules_dir
    >>> report = coverage([rules_dir() / "trials"])
    >>> report["errors"], report["structured"] + report["partial"] + report["unparsed"] == report["criteria"]
    (0, True)
    """
    trials = [t for p in paths for t in load_trials(p)]
    counts: Counter[str] = Counter()
    found: Counter[str] = Counter()
    failures: list[tuple[str, str, str]] = []
    items = [(t.trial_id, c.text) for t in trials for c in _criteria(t.criteria)]
    for trial_id, text in _progress(items, progress, "parsing"):
        try:
            tree = parse(text)
            counts[coverage_class(tree)] += 1
        except Exception as exc:  # counted, never fatal: the report says where
            counts["errors"] += 1
            failures.append((trial_id, text, f"{type(exc).__name__}: {exc}"))
            continue
        if pieces:
            found.update(piece_key(piece) for piece in unparsed(tree))
    report = {
        "trials": len(trials),
        "criteria": len(items),
        "structured": counts["structured"],
        "partial": counts["partial"],
        "unparsed": counts["unparsed"],
        "errors": counts["errors"],
        "failures": failures,
    }
    if pieces:
        report["pieces"] = found
    return report


_DIGITS = re.compile(r"[0-9]+")
_SPACE = re.compile(r"\s+")


def piece_key(piece: str) -> str:
    """An unparsed piece, normalised for counting: lower case, each run of digits '#',
    white space single, punctuation and spaces trimmed at both ends.

    >>> piece_key("  Within 14 days of  Day 1, ")
    'within # days of day #'
    """
    key = _SPACE.sub(" ", _DIGITS.sub("#", piece.lower()))
    return key.strip(" .,;:-")


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
