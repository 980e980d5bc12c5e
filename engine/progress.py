"""A progress bar on stderr for long runs, and nothing at all otherwise.

Only the caller knows whether stderr is a terminal (the CLI passes `enabled`); a run of
fewer than LONG_RUN steps finishes before a bar would be worth reading, so it gets none.
The bar is transient: it leaves no trace in the terminal once the run ends.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")

LONG_RUN = 20  # steps (patient x trial pairs) from which a bar is shown


class Ticker:
    """Advances a bar by one for each item an iterable yields (a no-op without a bar)."""

    def __init__(self, bar: Any = None, task: Any = None) -> None:
        self._bar = bar
        self._task = task

    def each(self, items: Iterable[T]) -> Iterator[T]:
        for item in items:
            yield item
            if self._bar is not None:
                self._bar.advance(self._task)

    def step(self, count: int) -> None:
        """Advance by `count` steps done elsewhere (in another process)."""
        if self._bar is not None:
            self._bar.advance(self._task, count)


@contextmanager
def progress_bar(label: str, total: int, *, enabled: bool, console: Any = None) -> Iterator[Ticker]:
    """A Ticker over a rich progress bar on stderr (or `console`) when `enabled` and the run
    has at least LONG_RUN steps; a Ticker that does nothing otherwise.

    >>> with progress_bar("screening", 100, enabled=False) as ticker:
    ...     list(ticker.each("abc"))
    ['a', 'b', 'c']
    """
    if not enabled or total < LONG_RUN:
        yield Ticker()
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=console or Console(stderr=True), transient=True) as bar:
        yield Ticker(bar, bar.add_task(label, total=total))
