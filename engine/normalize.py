"""Text -> text: spelling folds before tokenizing.

Every fold maps one character to one character, so offsets into the folded text are
offsets into the user's text: spans need no offset map. Multi-character spellings
(`>/=`, `greater than or equal to`) are the tokenizer's business, not folded here.
"""

from __future__ import annotations

_FOLDS: dict[str, str] = {
    # micro: Greek mu (U+03BC) and the micro sign (U+00B5) both become ASCII u, as UCUM writes it
    "\u03bc": "u",
    "\u00b5": "u",
    "\u039c": "u",
    # comparison look-alikes
    "\u2267": "\u2265",  # ≧
    "\u2266": "\u2264",  # ≦
    "\u2a7e": "\u2265",  # ⩾
    "\u2a7d": "\u2264",  # ⩽
    "\uff1e": ">",
    "\u02c3": ">",  # modifier letter right arrowhead, as in 'pH\u02c25.8'
    "\u02c2": "<",
    "\uff1c": "<",
    "\uff1d": "=",
    # dashes and minus signs
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2015": "-",
    "\u2212": "-",
    "\ufe63": "-",
    "\uff0d": "-",
    # tildes between numbers of a range ('17.1\uff5e25.8'): full-width and wave dash
    "\uff5e": "~",
    "\u301c": "~",
    # multiplication
    "\u00d7": "x",
    "\u2715": "x",
    "\u2a2f": "x",
    # superscripts: 10⁹ becomes 109, the same lost superscript old records carry
    "\u2070": "0",
    "\u00b9": "1",
    "\u00b2": "2",
    "\u00b3": "3",
    "\u2074": "4",
    "\u2075": "5",
    "\u2076": "6",
    "\u2077": "7",
    "\u2078": "8",
    "\u2079": "9",
    "\u207b": "-",
    # quotes; guillemets are reserved for unparsed text in the canonical language
    "\u2018": "'",
    "\u2019": "'",
    "\u201b": "'",
    "\u2032": "'",
    "\u201c": '"',
    "\u201d": '"',
    # full-width punctuation that trials written in CJK locales carry
    "\uff08": "(",
    "\uff09": ")",
    "\uff0c": ",",
    "\uff1b": ";",
    "\uff1a": ":",
    "\uff05": "%",
    "\u3001": ",",
    # CT.gov markdown escapes: '\<' is '<'
    "\\": " ",
}

_SPACES = "\t\n\r\f\v\u00a0\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"


def _accents() -> dict[str, str]:
    """Latin letters with diacritics -> their base letter, one character each ('é' -> 'e'),
    so 'Sézary' and 'Sjögren' meet the vocabulary's accent-free phrases."""
    import unicodedata

    out = {}
    for code in range(0x00C0, 0x0250):
        ch = chr(code)
        parts = unicodedata.normalize("NFD", ch)
        if len(parts) > 1 and parts[0].isascii() and parts[0].isalpha() and all(unicodedata.combining(c) for c in parts[1:]):
            out[ch] = parts[0]
    return out


_TABLE = str.maketrans({**_accents(), **_FOLDS, **{c: " " for c in _SPACES}})


def fold(text: str) -> str:
    """Fold look-alike characters and lower-case, keeping every offset.

    Args:
        text: a criterion as written.

    Returns:
        The folded text, exactly as long as `text`.

    >>> fold("ANC \\u2265 500/\\u00b5L")
    'anc \\u2265 500/ul'
    """
    folded = text.translate(_TABLE)
    lowered = folded.lower()
    if len(lowered) == len(folded):
        return lowered
    # a few characters change length when lower-cased (U+0130); keep those as they are
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in folded)
