"""Regexes that first ask whether the words they need are in the text at all.

`needs_words(pattern)` works out, from the parsed pattern, words of which any match must
contain one (for `parse._AGE_AT_EVENT` 'diagnos', 'onset', 'treated', 'first' ...), and returns
an object whose `search`, `match` and `fullmatch` answer None at once for a text that
holds none of them; anything else is the pattern's own answer. Python's regex engine tries
every position of the text for an alternation of words under IGNORECASE, and `parse.parse`
asks a dozen such questions of every criterion (about 35 us of ~420, branch parse11), most
of which find nothing.

Never a different answer: the words are read off the pattern, not written beside it; only
runs of ASCII literal characters count (IGNORECASE lets 's' match 'ſ' and 'k' the Kelvin
sign, which `str.lower` does not undo), and only for an ASCII text is the answer taken from
the words, so lowering the text finds every case the pattern matches. A pattern of which
no words can be said is returned as it is.
"""

from __future__ import annotations

import re
from re import _constants as c, _parser


def _required(items, ignorecase: bool) -> frozenset[str] | None:
    """Strings one of which every match of the sequence `items` contains (lowercased under
    IGNORECASE), or None where nothing can be said."""
    best: frozenset[str] | None = None
    run: list[str] = []

    def consider(words: frozenset[str] | None) -> None:
        nonlocal best
        if words and (best is None or _score(words) > _score(best)):
            best = words

    def close_run() -> None:
        if run:
            consider(frozenset(("".join(run),)))
            run.clear()

    for op, av in items:
        if op is c.LITERAL and av < 128:
            ch = chr(av)
            run.append(ch.lower() if ignorecase else ch)
            continue
        close_run()
        if op is c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if not add_flags and not del_flags:
                consider(_required(sub, ignorecase))
        elif op is c.BRANCH:
            alternatives = [_required(sub, ignorecase) for sub in av[1]]
            if all(alternatives):
                consider(frozenset().union(*alternatives))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _high, sub = av
            if low >= 1:
                consider(_required(sub, ignorecase))
        elif op is c.ATOMIC_GROUP:
            consider(_required(av, ignorecase))
        elif op is c.IN:
            chars = [chr(x) for o, x in av if o is c.LITERAL and x < 128]
            if len(chars) == len(av):  # a class of ASCII characters only, not negated
                consider(frozenset(ch.lower() if ignorecase else ch for ch in chars))
        # anything else (classes, anchors, look-arounds, back references) says nothing
    close_run()
    return best


def _score(words: frozenset[str]) -> tuple[int, int]:
    return min(len(w) for w in words), -len(words)


class _Guarded:
    """A compiled pattern that answers None at once where none of `words` is in the text."""

    __slots__ = ("compiled", "words", "_lower", "_plain")

    def __init__(self, pattern: re.Pattern, words: frozenset[str]):
        self.compiled = pattern
        self.words = tuple(sorted(words))
        self._lower = bool(pattern.flags & re.IGNORECASE)
        self._plain = pattern.search, pattern.match, pattern.fullmatch

    def _absent(self, text) -> bool:
        if not (isinstance(text, str) and text.isascii()):
            return False
        if self._lower:
            text = _lowered(text)
        for w in self.words:
            if w in text:
                return False
        return True

    def search(self, text, *args, **kwargs):
        return None if self._absent(text) else self._plain[0](text, *args, **kwargs)

    def match(self, text, *args, **kwargs):
        return None if self._absent(text) else self._plain[1](text, *args, **kwargs)

    def fullmatch(self, text, *args, **kwargs):
        return None if self._absent(text) else self._plain[2](text, *args, **kwargs)

    def __getattr__(self, name):  # sub, finditer, pattern's attributes: the pattern's own
        return getattr(self.compiled, name)

    def __repr__(self) -> str:
        return f"needs_words({self.compiled!r}: {self.words})"


_last: tuple = (None, None)  # the text last lowered and its lowered form (one tuple: thread-safe)


def _lowered(text: str) -> str:
    global _last
    last = _last
    if last[0] is text:  # parse asks a dozen of these of one text
        return last[1]
    lowered = text.lower()
    _last = (text, lowered)
    return lowered


def needs_words(pattern: re.Pattern):
    """`pattern`, asking first for the words any match must contain (see the module's doc);
    the pattern itself where no such words can be read from it."""
    if not isinstance(pattern.pattern, str):
        return pattern
    words = _required(_parser.parse(pattern.pattern, pattern.flags), bool(pattern.flags & re.IGNORECASE))
    if not words:
        return pattern
    return _Guarded(pattern, words)
