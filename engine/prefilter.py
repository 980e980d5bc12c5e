"""Regexes that first ask whether the words they need are in the text at all.

`needs_words(pattern)` works out, from the parsed pattern, words of which any match must
contain one (for `parse._AGE_AT_EVENT` 'diagnos', 'onset', 'treated', 'first' ...), and returns
an object whose `search`, `match` and `fullmatch` answer None at once (and `finditer`
nothing) for a text that holds none of them; anything else is the pattern's own answer. Python's regex engine tries
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


def _conjunction(items, ignorecase: bool) -> list[frozenset[str]]:
    """Sets of strings, each of which has a member in every match of the sequence `items`
    (lowercased under IGNORECASE); [] where nothing can be said."""
    out: list[frozenset[str]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            out.append(frozenset(("".join(run),)))
            run.clear()

    for op, av in items:
        if op is c.LITERAL and (av < 128 or _never_ascii(chr(av), ignorecase)):
            ch = chr(av)
            run.append(ch.lower() if ignorecase else ch)
            continue
        close_run()
        words = None
        if op is c.SUBPATTERN:
            _group, add_flags, del_flags, sub = av
            if not add_flags and not del_flags:
                out.extend(_conjunction(sub, ignorecase))
        elif op is c.BRANCH:
            alternatives = [_best(_conjunction(sub, ignorecase)) for sub in av[1]]
            if all(alternatives):
                words = frozenset().union(*alternatives)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _high, sub = av
            if low >= 1:
                out.extend(_conjunction(sub, ignorecase))
        elif op is c.ATOMIC_GROUP:
            out.extend(_conjunction(av, ignorecase))
        elif op is c.IN:
            chars = [chr(x) for o, x in av if o is c.LITERAL and (x < 128 or _never_ascii(chr(x), ignorecase))]
            if len(chars) == len(av):  # a class of literal characters only, not negated
                words = frozenset(ch.lower() if ignorecase else ch for ch in chars)
        # anything else (classes, anchors, look-arounds, back references) says nothing
        if words:
            out.append(words)
    close_run()
    return out


def _never_ascii(ch: str, ignorecase: bool) -> bool:
    """Whether no ASCII character matches `ch` in a pattern (so an ASCII text holds no match
    of a run with it: '\u2265' yes; under IGNORECASE the long s, which matches 's', no)."""
    flags = re.IGNORECASE if ignorecase else 0
    return not any(re.fullmatch(re.escape(ch), chr(a), flags) for a in range(128))


def _best(sets: list[frozenset[str]]) -> frozenset[str] | None:
    return max(sets, key=_score, default=None)


def _score(words: frozenset[str]) -> tuple[int, int]:
    return min(len(w) for w in words), -len(words)


def _needs(parsed, ignorecase: bool) -> tuple[tuple[tuple[str, ...], ...], ...] | None:
    """For each alternative of the whole pattern (one, unless it is an alternation), the
    sets of strings each of which has a member in the text where that alternative matches:
    the three most telling, most telling first. None where some alternative has none."""
    items = list(parsed)
    while len(items) == 1 and items[0][0] is c.SUBPATTERN and not items[0][1][1] and not items[0][1][2]:
        items = list(items[0][1][3])  # '(?:a|b)' around the whole pattern
    branch = [x for x in items if x[0] is not c.AT]  # anchors ('\b', '^') need no text
    subs = branch[0][1][1] if len(branch) == 1 and branch[0][0] is c.BRANCH else [items]
    out = []
    for sub in subs:
        sets = sorted(set(_conjunction(sub, ignorecase)), key=lambda words: (_score(words), sorted(words)), reverse=True)[:3]
        if not sets:
            return None
        out.append(tuple(tuple(sorted(words)) for words in sets))
    return tuple(out)


class _Guarded:
    """A compiled pattern that answers None at once where its `needs` rule every match out."""

    __slots__ = ("compiled", "needs", "_lower", "_plain")

    def __init__(self, pattern: re.Pattern, needs: tuple):
        self.compiled = pattern
        self.needs = needs
        self._lower = bool(pattern.flags & re.IGNORECASE)
        self._plain = pattern.search, pattern.match, pattern.fullmatch

    def _absent(self, text) -> bool:
        if not (isinstance(text, str) and text.isascii()):
            return False
        if self._lower:
            text = _lowered(text)
        for sets in self.needs:  # an alternative of the pattern
            for words in sets:
                for w in words:
                    if w in text:
                        break
                else:
                    break  # none of these words: this alternative cannot match
            else:
                return False  # this alternative may match
        return True

    def search(self, text, *args, **kwargs):
        return None if self._absent(text) else self._plain[0](text, *args, **kwargs)

    def match(self, text, *args, **kwargs):
        return None if self._absent(text) else self._plain[1](text, *args, **kwargs)

    def fullmatch(self, text, *args, **kwargs):
        return None if self._absent(text) else self._plain[2](text, *args, **kwargs)

    def finditer(self, text, *args, **kwargs):
        return iter(()) if self._absent(text) else self.compiled.finditer(text, *args, **kwargs)

    def lacks(self, text) -> bool:
        """Whether no match can lie anywhere in `text`, nor so in any piece of it (a
        piece holds no word the whole lacks): a loop that would ask the pattern of pieces
        of `text` one by one may be skipped."""
        return self._absent(text)

    def __getattr__(self, name):  # sub, findall, pattern's attributes: the pattern's own
        return getattr(self.compiled, name)

    def __repr__(self) -> str:
        return f"needs_words({self.compiled!r}: {self.needs})"


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
    needs = _needs(_parser.parse(pattern.pattern, pattern.flags), bool(pattern.flags & re.IGNORECASE))
    if needs is None:
        return pattern
    return _Guarded(pattern, needs)
