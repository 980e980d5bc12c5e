"""Truth: Kleene's strong three-valued logic.

`UNKNOWN` is a value, not an error: FALSE wins AND, TRUE wins OR, NOT UNKNOWN is UNKNOWN.
A Truth cannot be used as a Python bool (`if verdict:`), so UNKNOWN can never pass by accident.

>>> Truth.TRUE & Truth.UNKNOWN
<Truth.UNKNOWN: 'unknown'>
>>> Truth.FALSE & Truth.UNKNOWN
<Truth.FALSE: 'false'>
>>> ~Truth.UNKNOWN
<Truth.UNKNOWN: 'unknown'>
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum


class Truth(Enum):
    """Kleene's strong three-valued logic, ordered FALSE < UNKNOWN < TRUE."""

    FALSE = "false"
    UNKNOWN = "unknown"
    TRUE = "true"

    def __and__(self, other: Truth) -> Truth:
        return min(self, other, key=_ORDER.index)

    def __or__(self, other: Truth) -> Truth:
        return max(self, other, key=_ORDER.index)

    def __invert__(self) -> Truth:
        return _ORDER[2 - _ORDER.index(self)]

    def __bool__(self) -> bool:  # so `if verdict:` can never pass UNKNOWN
        raise TypeError("compare with `is Truth.TRUE`")

    @classmethod
    def of(cls, value: bool) -> Truth:
        """TRUE or FALSE from a Python bool.

        >>> Truth.of(3 > 2)
        <Truth.TRUE: 'true'>
        """
        return cls.TRUE if value else cls.FALSE


_ORDER = (Truth.FALSE, Truth.UNKNOWN, Truth.TRUE)


def all_of(truths: Iterable[Truth]) -> Truth:
    """Kleene AND over any number of values; TRUE for none.

    >>> all_of([Truth.TRUE, Truth.UNKNOWN])
    <Truth.UNKNOWN: 'unknown'>
    """
    result = Truth.TRUE
    for truth in truths:
        if truth is not result:  # (x & x is x: most operands agree, and `&` is a Python call)
            result = result & truth
    return result


def any_of(truths: Iterable[Truth]) -> Truth:
    """Kleene OR over any number of values; FALSE for none.

    >>> any_of([Truth.FALSE, Truth.TRUE, Truth.UNKNOWN])
    <Truth.TRUE: 'true'>
    """
    result = Truth.FALSE
    for truth in truths:
        if truth is not result:  # (x | x is x)
            result = result | truth
    return result
