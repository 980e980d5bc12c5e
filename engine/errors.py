"""Every exception the package raises. One base, structured fields, message built in __str__."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class EligError(Exception):
    """Base of every error elig raises on purpose."""


class CriteriaError(EligError):
    """A criterion text elig cannot take at all (not a syntax it fails to understand:
    that becomes an unparsed node). `position` is a character offset into `text`."""

    def __init__(self, message: str, *, text: str = "", position: int | None = None):
        super().__init__(message)
        self.message = message
        self.text = text
        self.position = position

    def __str__(self) -> str:
        if self.position is None or not self.text:
            return self.message
        start = max(0, self.position - 30)
        snippet = self.text[start : self.position + 30].replace("\n", " ")
        caret = " " * (self.position - start) + "^"
        return f"{self.message} at character {self.position}:\n  {snippet}\n  {caret}"


class UnitError(EligError, ValueError):
    """A unit elig does not know, or two quantities that cannot be compared."""


class InputError(EligError):
    """A bad input file: names the file, the place in it (JSON path or line) and the problem."""

    def __init__(self, source: str, where: str | None, problem: str):
        super().__init__(problem)
        self.source = source
        self.where = where
        self.problem = problem

    def __str__(self) -> str:
        place = f" at {self.where}" if self.where else ""
        return f"{self.source}{place}: {self.problem}"


OnError = Callable[[InputError], None]


def attempt(read: Callable[[], T], on_error: OnError | None) -> T | None:
    """`read()`, where one bad input must not stop the others: its InputError goes to
    `on_error` and None is returned; without `on_error` the error is raised.

    >>> skipped = []
    >>> attempt(lambda: 1 / 1, skipped.append), skipped
    (1.0, [])
    """
    try:
        return read()
    except InputError as exc:
        if on_error is None:
            raise
        on_error(exc)
        return None


def shown(value: object, limit: int = 40) -> str:
    """A value as a message quotes it: cut to `limit` characters, so that a bad value of a
    megabyte gives a line, not a megabyte.

    >>> shown("2026-" + "9" * 100)
    '2026-99999999999999999999999999999999...'
    """
    text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def unreadable_json(exc: RecursionError | ValueError) -> str:
    """What Python's json module cannot read in valid JSON, in words (after JSONDecodeError):
    nesting deeper than the interpreter's stack, or an integer longer than its digit limit.

    >>> unreadable_json(RecursionError())
    'arrays or objects nested too deeply to read'
    """
    if isinstance(exc, RecursionError):
        return "arrays or objects nested too deeply to read"
    return f"a number too long to read (over {sys.get_int_max_str_digits():,} digits)"


def decode_utf8(data: bytes, source: str, *, first_line: int = 1) -> str:
    """A file's bytes as text (a UTF-8 byte-order mark dropped); InputError with the line
    and column of the first byte that is not UTF-8 (lines counted from `first_line`).

    >>> decode_utf8(b"ok\\n\\xe9", "f.json")
    Traceback (most recent call last):
    ...
    engine.errors.InputError: f.json at line 2, column 1: not UTF-8 text (byte 0xE9); save the file as UTF-8
    """
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + first_line
        line_start = data.rfind(b"\n", 0, exc.start) + 1
        column = len(data[line_start : exc.start].decode("utf-8", errors="replace")) + 1
        raise InputError(
            source, f"line {line}, column {column}", f"not UTF-8 text (byte 0x{data[exc.start]:02X}); save the file as UTF-8"
        ) from None
