"""Every exception the package raises. One base, structured fields, message built in __str__."""

from __future__ import annotations


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
