"""How much of the criteria under some paths became structure (`elig coverage`)."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

from engine.errors import OnError, attempt
from engine.parse import parse
from engine.summary import coverage_class, unparsed
from engine.trials import Criterion, Trial, load_trials


def _criteria(criteria) -> list[Criterion]:
    out: list[Criterion] = []
    for c in criteria:
        if c.origin == "text":
            out.append(c)
        out.extend(_criteria(c.children))
    return out


def text_criteria(trials: list[Trial]) -> list[Criterion]:
    """Every criterion of the trials written as text, sub-items included (not the structured
    age, sex and healthy-volunteer lines): what `coverage` and the benchmarks parse."""
    return [c for t in trials for c in _criteria(t.criteria)]


def coverage(
    paths: list[Path], *, progress: bool = False, pieces: bool = False, workers: int | None = None, on_error: OnError | None = None
) -> dict:
    """Parse every criterion of every trial under `paths`; count what became structure.

    Args:
        paths: trial files or directories (anything `load_trials` reads).
        progress: show a progress bar (on a terminal).
        pieces: also count the unparsed pieces, normalised by `piece_key`.
        workers: processes to parse in (default: one per core; 1 parses in this process).
        on_error: called with the InputError of each path or file that cannot be read (and of
            each second trial with an id already read), which is then left out and the rest
            counted; without it the first such error is raised.

    Returns:
        {"trials", "criteria", "structured", "partial", "unparsed", "errors", "failures"}
        (and "pieces", a Counter, when asked): `failures` lists (trial id, text, error) for
        every crash (there should be none).

    >>> from engine.trials import rules_dir
    >>> report = coverage([rules_dir() / "trials"])
    >>> report["errors"], report["structured"] + report["partial"] + report["unparsed"] == report["criteria"]
    (0, True)
    """
    trials = [t for p in paths for t in attempt(partial(load_trials, p, on_error=on_error), on_error) or []]
    counts: Counter[str] = Counter()
    found: Counter[str] = Counter()
    failures: list[tuple[str, str, str]] = []
    items = [(t.trial_id, c.text) for t in trials for c in _criteria(t.criteria)]
    for (trial_id, text), (kind, error, keys) in zip(items, _parsed(items, pieces, workers or os.cpu_count() or 1, progress)):
        counts[kind] += 1
        if error is not None:
            failures.append((trial_id, text, error))
        found.update(keys)
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


_CHUNK = 64  # criteria a worker parses per task: small enough to balance, large enough to pay
_PARALLEL_FROM = 8  # chunks; fewer are parsed faster than worker processes start


def _parsed(items: list[tuple[str, str]], pieces: bool, workers: int, progress: bool) -> Iterator[tuple[str, str | None, list[str]]]:
    """(coverage class or 'errors', error or None, unparsed piece keys) per item, in order,
    parsed in `workers` processes when there is enough to share."""
    texts = [text for _id, text in items]
    chunks = [texts[i : i + _CHUNK] for i in range(0, len(texts), _CHUNK)]
    if workers <= 1 or len(chunks) < _PARALLEL_FROM:
        for chunk in _progress(map(_parse_chunk, chunks, [pieces] * len(chunks)), progress, "parsing", len(chunks)):
            yield from chunk
        return
    with ProcessPoolExecutor(min(workers, len(chunks))) as pool:
        results = pool.map(_parse_chunk, chunks, [pieces] * len(chunks))  # submitted before a bar's thread starts
        for chunk in _progress(results, progress, "parsing", len(chunks)):
            yield from chunk


def _parse_chunk(texts: list[str], pieces: bool) -> list[tuple[str, str | None, list[str]]]:
    out: list[tuple[str, str | None, list[str]]] = []
    for text in texts:
        try:
            tree = parse(text)
        except Exception as exc:  # counted, never fatal: the report says where
            out.append(("errors", f"{type(exc).__name__}: {exc}", []))
            continue
        out.append((coverage_class(tree), None, [piece_key(p) for p in unparsed(tree)] if pieces else []))
    return out


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


def _progress(items: Iterable, enabled: bool, label: str, total: int) -> Iterator:
    if not enabled:
        yield from items
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task(label, total=total)
        for item in items:
            yield item
            bar.advance(task)
