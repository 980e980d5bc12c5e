"""Text -> lark Tree -> predicate nodes.

`parse(text)` folds the text (engine.normalize), types its tokens (engine.lexicon), parses
them with the LALR grammar in grammars/criteria.lark, and builds nodes with a Transformer.
The grammar gives the logic (exceptions, or, and, brackets) and the phrases (bounds,
ranges, quantities, windows); how the elements of one sequence combine is decided here,
where the whole sequence is in view. Whatever is not understood becomes an `Unparsed`
node with the exact text, where it keeps its logical weight: a structure with words
around it that could change its meaning is `Qualified`, and so stays unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import MISSING, dataclass, fields
from decimal import Decimal
from functools import lru_cache, partial
from pathlib import Path
from types import FunctionType

from lark import Lark, Token, Tree, v_args
from lark.exceptions import UnexpectedInput, UnexpectedToken, VisitError
from lark.lexer import Lexer
from lark.visitors import Transformer_NonRecursive

from engine.errors import CriteriaError, UnitError
from engine.lexicon import HISTORY_OR_NOW, PART_NUMBER, SIMILAR_COMPOUNDS, SYSTEMIC_TREATMENT_MEANS, Tok, balance, brackets_open, tokenize
from engine.limits import MAX_BRACKETS, MAX_DEPTH, TOKEN_BUDGET, bracket_depth, clause_limit, tree_depth
from engine.nodes import (
    ALLERGY_CONCEPTS,
    OPERAND_FIELDS,
    AllOf,
    AnyOf,
    Comparison,
    Condition,
    Conditional,
    Duration,
    Each,
    Exception_,
    Excludes,
    Following,
    Judgment,
    Medication,
    Modifier,
    Node,
    Not,
    Permission,
    Predicate,
    Procedure,
    Qualified,
    Range,
    Sex,
    Span,
    Threshold,
    Unparsed,
    Window,
    children,
    is_lookback,
    narrowable,
    operands_mapped,
    study_teams_rule,
    walk,
)
from engine.normalize import fold
from engine.prefilter import needs_words

MAX_LENGTH = 20_000
"""Longest criterion text parsed; a longer one is one unparsed node (see `parse`)."""


def grammar_path() -> Path:
    here = Path(__file__).resolve().parent
    for candidate in (here / "grammars" / "criteria.lark", here.parent / "grammars" / "criteria.lark"):
        if candidate.exists():
            return candidate
    raise FileNotFoundError("grammars/criteria.lark not found beside the engine package")


class _TokenFeed(Lexer):
    """Hands lark the tokens engine.lexicon typed (the grammar declares, not defines, terminals)."""

    def __init__(self, lexer_conf):  # noqa: D107 - lark's interface
        pass

    def lex(self, data, *args):
        yield from data


@lru_cache(maxsize=1)
def parser() -> Lark:
    # spans come from the tokens engine.lexicon made, so lark need not propagate positions
    # (it costs a fifth of the parse time)
    return Lark.open(str(grammar_path()), parser="lalr", lexer=_TokenFeed, maybe_placeholders=False)


def grammar_version() -> str:
    import hashlib

    return hashlib.sha256(grammar_path().read_bytes() + Path(__file__).read_bytes()).hexdigest()[:12]


# ---------------------------------------------------------------------------------------
# Elements: what the grammar's phrases become before a sequence is assembled


def _quick_init(cls):
    """A frozen slots dataclass with an `__init__` that sets each slot through its own
    descriptor: the one `dataclass` writes calls `object.__setattr__` per field (frozen),
    which made an Atom cost 0.96 us against 0.57; parsing makes ten Atoms and four Clauses
    a criterion. The same instances (equal, same hash, still frozen): a test checks."""
    names = [f.name for f in fields(cls)]
    env = {f"_set_{n}": cls.__dict__[n].__set__ for n in names}
    params = []
    for f in fields(cls):
        if f.default is MISSING:
            params.append(f.name)
        else:
            env[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
    body = "".join(f"    _set_{n}(self, {n})\n" for n in names)
    exec(f"def __init__(self, {', '.join(params)}):\n{body}", env)  # noqa: S102 - as dataclasses itself does
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init
    return cls


@dataclass(frozen=True, slots=True)
class Qty:
    value: Decimal
    unit: str | None
    time: str | None  # TimeUnit when the unit is a duration
    relative_to: str | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Bnd:
    op: str
    qty: Qty
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Rng:
    low: Qty
    high: Qty
    low_inclusive: bool
    high_inclusive: bool
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Win:
    window: Window | None  # None: the window could not be read (an odd unit)
    start: int
    end: int


@_quick_init
@dataclass(frozen=True, slots=True)
class Atom:
    type: str
    value: object
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Grp:
    node: Predicate
    start: int
    end: int
    raw: object = None  # the Clause inside the brackets, for structures that borrow from outside
    chain: object = None  # or the _Chain of 'or' inside them ('(<= 5 x ULN if HCC or liver metastases)')


@_quick_init
@dataclass(frozen=True, slots=True)
class Clause:
    """A sequence of elements, not yet assembled: logic above it may still share its parts."""

    elements: tuple
    start: int
    end: int


_TIME_UNITS = {
    "hour": "hour", "hours": "hour", "hr": "hour", "hrs": "hour",
    "day": "day", "days": "day",
    "week": "week", "weeks": "week", "wk": "week", "wks": "week",
    "month": "month", "months": "month", "mo": "month", "mos": "month",
    "year": "year", "years": "year", "yr": "year", "yrs": "year", "y": "year",
}

# Words that carry no meaning a verdict could turn on, in the places criteria use them.
FILLER = frozenset(
    """the a an of is are be been being must should shall will would have has had having with
    in on at by for to from patients patient subjects subject participants participant people
    individuals persons those who that which whose level levels value values count counts
    concentration serum plasma blood defined as score scores status result results test tests
    measured documented evidence confirmed laboratory lab labs screening baseline adequate
    normal . - any all following: also either inclusive receiving taking
    both only there their his her they he she it its this these be documented known""".split()
) | {
    # phrases the lexicon types as one word (by their folded text): they restrict nothing
    "for any reason", "for any indication", "for any purpose",
    "use of", "the use of", "usage of", "the usage of",
    "against infectious diseases", "against infectious disease", "against infections", "against infection",
    "against infectious agents", "against infectious agent",
}


# Words between a blood pressure and its bound that say how often it was so: not understood,
# they stay beside the bound ('BP persistently > 160/100 mmHg').
_HOW_OFTEN = frozenset("persistently consistently repeatedly sustained persistent constantly".split())


# Filler words that name what a number measures: after an age word they say the number is not an age.
_MEASURE_NOUNS = frozenset("score scores level levels value values count counts result results concentration status test tests".split())


_AGE_INSIDE = re.compile(r"\b(?:of age|old)\b")
_OLDER = re.compile(r"\b(?:older|younger)\b")
_AT_ONSET = re.compile(r"diagnos|onset|\bat (?:the )?(?:time of )?(?:birth|presentation|first)")


def _measure_noun(el) -> bool:
    return isinstance(el, Atom) and el.type == "WORD" and str(el.value) in _MEASURE_NOUNS


# 'For GBM patients', 'for the patients with breast cancer': whom what follows is for
# (matched in full: 'for' and then anything, the patients' words among it)
_FOR_PATIENTS = re.compile(r"\W*(?:\d{1,2}[.)]\s*)?for\s+.+", re.IGNORECASE)

_SENTENCE_END = re.compile(r"[.;]\s+\S")
_LIST_MARK = re.compile(r"^\W*(?:\d{1,2}|[a-z])[.)]\s*", re.IGNORECASE)
# 'Adolescent participants', 'Cohort B patients', 'Arm 2 subjects': a group of the trial's patients
# a part of the study named by its kind and number: 'Phase Ib and II', 'Cohort 1', 'Part A only'
_COHORT_LABEL = re.compile(
    rf"\W*(?:phase|part|cohort|arm|substudy|sub-study)s?\s*{PART_NUMBER}"
    rf"(?:\s*(?:and|or|/|,|&)\s*(?:(?:phase|part|cohort|arm)s?\s+)?{PART_NUMBER})*(?:\s+only)?\W*",
    re.IGNORECASE,
)
_GROUP_LABEL = re.compile(r"\b(?:participants?|patients?|subjects?|cohorts?|groups?|arms?)\W*$", re.IGNORECASE)

# 'must meet (one of) the following': the verb of a list's heading, which says nothing more
_MEET = frozenset("meet meets fulfil fulfill fulfils fulfills satisfy satisfies".split())

# 'treatment with docetaxel', 'docetaxel therapy': the words say the drug was given, nothing more
_THERAPY = frozenset("treatment treatments therapy therapies".split())
# 'current use of warfarin', 'concomitant warfarin': the drug taken now, not in the past
_NOW = frozenset("current currently ongoing concurrent concurrently concomitant".split())


def _values_merged(parts: list, *, scale_only: bool = False) -> list:
    """Neighbouring operands that make one set of values ('ECOG 0 or 1') merged into one."""
    parts = list(parts)
    i = 0
    while i + 1 < len(parts):
        merged = _value_list(parts[i], parts[i + 1], scale_only=scale_only)
        if merged is None:
            i += 1
        else:
            parts[i : i + 2] = [merged]
    return parts


def _trailing_words_of_all(node: Predicate, text: str) -> Predicate:
    """'Previous irradiation and/or thrombosis in site selected for catheter insertion': words
    not understood after the last of a list of events may speak of every one of them (the
    irradiation too was in that site), so they qualify the whole 'or', not only the last
    event, and a record of an earlier event alone cannot make it true."""
    if not isinstance(node, AnyOf) or len(node.items) < 2:
        return node
    *first, last = node.items
    if isinstance(last, (Unparsed, Judgment)) and all(isinstance(n, _EVENT_NODES) for n in first):
        # 'Traumatic brain injury or significant neurologic signs (past year)' (NCT03923361):
        # a bracket at the end that says when may say it of every item, so a concussion years
        # ago does not decide it; 'a history of central nervous system disorders or
        # psychiatric disability judged by the investigator to be clinically significant':
        # the judgment may be of both. (Not words written as canonical text, '«...»' or
        # 'judgment(...) «...»', which say their scope.)
        tail = (_LAST_BRACKET if isinstance(last, Unparsed) else _JUDGING).search(last.text)
        if tail is not None and (isinstance(last, Unparsed) or tail.start() > 0) and text[last.span.start : last.span.end] == last.text:
            start = last.span.start + tail.start()
            piece = Unparsed(text=last.text[tail.start() :].strip(), span=Span(start=start, end=last.span.end))
            return Qualified(item=node, qualifiers=(piece,), span=node.span)
        return node
    if not (isinstance(last, Qualified) and isinstance(last.item, _EVENT_NODES)):
        return node
    if not all(isinstance(n, _EVENT_NODES) for n in first):
        return node
    if not all(q.span.start >= last.item.span.end for q in last.qualifiers):
        return node  # words before the last event are its own ('... or uncontrolled hypertension')
    items = (*first, last.item)
    return Qualified(item=AnyOf(items=items, span=node.span), qualifiers=last.qualifiers, span=node.span)


_EVENT_NODES = (Condition, Medication, Procedure)
_FOR = re.compile(r"\bfor\b", re.IGNORECASE)
_NOT_PURPOSE = re.compile(r"\s*(?:example|instance|at\s+least|more\s+than|less\s+than|longer|up\s+to|any\s+reason|\d)", re.IGNORECASE)


def _given_for_all(node: AnyOf, text: str) -> Predicate | None:
    """'Chemotherapy, radiotherapy, or any other cancer therapy for current diagnosis of
    breast cancer', 'No prior chemotherapy or targeted systemic therapy for ... metastatic
    TNBC' (NCT05227664): a condition after 'for' at the end of a list of treatments is what
    they were given for, all of them, not an alternative of its own. Read as one, a TNBC
    patient failed 'no prior chemotherapy or ... TNBC', and a docetaxel for prostate cancer
    excluded the patient. The list keeps the words from 'for' on as words not understood,
    so a treatment on record does not decide it."""
    items = node.items
    last = items[-1]
    conditions = [n for n in walk(last) if isinstance(n, Condition)]
    if not conditions or not any(isinstance(n, (Medication, Procedure)) for i in items[:-1] for n in walk(i)):
        return None
    before = items[0].span.end
    at = max(c.span.start for c in conditions)
    # (not a 'for' inside canonical text's '«...»', which parses back to what it says)
    found = [m for m in _FOR.finditer(text, before, at) if text.rfind("\u00ab", 0, m.start()) <= text.rfind("\u00bb", 0, m.start())] if before < at else []
    if not found:
        return None
    start = found[-1].start()
    between = text[found[-1].end() : at]
    if _NOT_PURPOSE.match(between) or len(between.split()) > 8 or re.search(r"[,;:()\[\]]", between):
        return None  # 'for example', 'for at least 6 months', or the condition far from it
    piece = Unparsed(text=text[start : node.span.end], span=Span(start=start, end=node.span.end))
    return Qualified(item=node, qualifiers=(piece,), span=node.span)


# what a treatment was given in: 'the metastatic setting', 'the adjuvant or metastatic setting'
_SETTING = r"(?:(?:metastatic|advanced|locally[- ]advanced|adjuvant|neo-?adjuvant|palliative|perioperative|early)(?:\s*(?:or|and|and/or|/)\s*)?)+\s+setting"
# a bracket at the end that says when: '(past year)', '(current)', '(lifetime)'
_LAST_BRACKET = re.compile(
    r"\s*\((?:in\s+the\s+)?(?:past|last|previous|current|currently|lifetime|ever)(?:\s+\w+){0,2}\)\s*$"
    # and a setting at the end: 'Prior chemotherapy, elacestrant, or CDK4/6i in the advanced/metastatic setting'
    rf"|\s+in\s+(?:the\s+)?{_SETTING}\W*$",
    re.IGNORECASE,
)
_JUDGING = re.compile(r"\b(?:judged|considered|deemed|as\s+(?:determined|assessed|judged)|in\s+the\s+(?:opinion|judgment|judgement))\b", re.IGNORECASE)


def _negated_alternatives(inner: Predicate, start: int, text: str) -> Predicate:
    """'No X or Y': neither. But 'No prior use of capecitabine therapy or the use of
    capecitabine treatment was effective, ...' (NCT03204734): a last alternative that names
    again what the 'no' denies and says, in a clause of its own, what became of it is
    allowed, which the 'no' does not reach (read as neither, a patient whose capecitabine
    worked failed)."""
    if not isinstance(inner, AnyOf) or not _own_clause(inner.items[-1], inner.items[:-1], text):
        return Not(item=inner, span=Span(start=start, end=inner.span.end))
    denied = inner.items[:-1]
    what = denied[0] if len(denied) == 1 else AnyOf(items=denied, span=Span(start=denied[0].span.start, end=denied[-1].span.end))
    no = Not(item=what, span=Span(start=start, end=what.span.end))
    return AnyOf(items=(no, inner.items[-1]), span=Span(start=start, end=inner.span.end))


def _own_clause(last: Predicate, before: tuple, text: str) -> bool:
    """`last` names an event of `before` again, with a verb of its own not understood ('the
    use of capecitabine treatment was effective')."""
    words = [x for x in walk(last) if isinstance(x, Unparsed)]
    return bool(_named(before) & _named([last])) and any(_OWN_VERB.search(w.text) for w in words)


# 'was effective', not 'are allowed', which says what the 'no' says of the whole list
_OWN_VERB = re.compile(r"\b(?:was|were|is|are)\s+(?!(?:not|allowed|permitted|excluded|eligible|required|acceptable)\b)\w+", re.IGNORECASE)


def _bracketed(part) -> bool:
    """An operand that is one bracketed group: '... or ((lupus crisis) «suffered»)'."""
    if not isinstance(part, Clause):
        return isinstance(part, Grp)
    sig = [e for e in part.elements if not _is_filler(e)]
    return len(sig) == 1 and isinstance(sig[0], Grp)


# 'chemotherapy for metastatic disease' (a vaccine 'against' a disease is given to those
# without it: no purpose of that kind)
_PURPOSE = frozenset({"for"})


def _between_for_and_condition(el) -> bool:
    """'for currently diagnosed breast cancer', 'for the treatment of breast cancer': words
    between 'for' and the condition a treatment was given for."""
    if not isinstance(el, Atom):
        return False
    if el.type in ("ACTIVE", "HIST"):
        return True
    return el.type in ("WORD", "PRIOR") and str(el.value) in ("diagnosed", "newly", "treatment", "of")


def _given_for(els: list, i: int, event_at: dict[int, int], used: set[int]) -> tuple[int, int] | None:
    """Where the drug or procedure and 'for' are in 'chemotherapy for <the condition at i>',
    'docetaxel therapy for any malignancy': 'for' before the condition (filler words between),
    and before it (past words the treatment took) a drug or procedure already built; else None."""
    k = i - 1
    while k >= 0 and (_is_filler(els[k]) or _between_for_and_condition(els[k])) and not (isinstance(els[k], Atom) and str(els[k].value) in _PURPOSE):
        k -= 1
    prep = els[k] if k >= 0 else None
    if not (isinstance(prep, Atom) and prep.type == "WORD" and str(prep.value) in _PURPOSE):
        return None
    j = k - 1
    while j >= 0 and j not in event_at and j in used and isinstance(els[j], Atom) and els[j].type == "WORD":
        j -= 1
    if j in event_at and isinstance(els[j], Atom) and els[j].type in ("DRUG", "PROCEDURE"):
        return j, k
    return None


# heading words that make the list after the colon alternatives, or examples
_ALTERNATIVES_HEAD = frozenset({"indication", "indications", "either"})
_EXAMPLES_HEAD = frozenset({"include", "includes", "including"})


def _says(elements: list, words: frozenset[str]) -> bool:
    """Whether one of `words` is among the elements ('Indications of ...:')."""
    return any(isinstance(e, Atom) and str(e.value) in words for e in elements)

# what joins 'adequate renal function' to the bounds that define it
_DEFINING = frozenset("defined evidenced indicated demonstrated shown follows meeting meets per".split())


def _therapy_with(els: list, j: int) -> bool:
    """'treatment with' or 'therapy with' at `j`: the words before a drug that say it was given."""
    x, after = els[j], els[j + 1] if j + 1 < len(els) else None
    return (
        isinstance(x, Atom) and x.type == "WORD" and str(x.value) in _THERAPY
        and isinstance(after, Atom) and after.type == "WORD" and str(after.value) == "with"
    )


def _opens_negated(elements, lead: tuple[str, ...] = ("NOT",)) -> bool:
    """Whether a negation opens the clause, with something after it to negate. ('Patients
    must not have CNS metastases' is not read so: with the words before 'not' gone,
    structures that only its words had kept unknown were decided, and some wrongly: 'Have
    not had their cancer get worse after taking an AI and CDK4/6 inhibitor'.)"""
    return len(elements) > 1 and isinstance(elements[0], Atom) and elements[0].type in lead


_FILLER_TYPES = frozenset(("COMMA", "SEMI", "COLON", "SLASH", "ANCHOR", "NOTE"))


def _is_filler(el) -> bool:
    if isinstance(el, Atom):
        if el.type in _FILLER_TYPES:
            return True
        if el.type == "WORD":
            return str(el.value) in FILLER
    return False


class _Every:
    """What `_kinds` answers with the guards off: it holds every kind, so every pass runs."""

    def __contains__(self, kind) -> bool:
        return True


_EVERY = _Every()
_GUARDS = True  # tests/test_parse11_speed.py turns them off to compare


def _kinds(elements) -> set | _Every:
    """The kinds of element a sequence holds: each Atom's type, and the class of anything
    else (none of them has subclasses). `_Assembler.clause` and `simple` skip a pass that
    acts only on kinds the sequence does not hold, which is what the pass would have found
    (tests/test_parse11_speed.py compares with every pass run); a pass that changes the
    elements is followed by asking again."""
    if not _GUARDS:
        return _EVERY
    return {e.type if isinstance(e, Atom) else e.__class__ for e in elements}


def _textual(node) -> bool:
    """Words not understood, or their negation ('is not in the best interest of the subject'):
    beside other such words or a judgment, one piece of text."""
    return isinstance(node, Unparsed) or (isinstance(node, Not) and isinstance(node.item, Unparsed))


# ---------------------------------------------------------------------------------------
# The transformer


class _Build(Transformer_NonRecursive):  # trees as deep as the text: no recursion
    def __init__(self, text: str, folded: str):
        super().__init__(visit_tokens=False)  # no callback is named after a token type (a test checks)
        self.text = text
        self.folded = folded

    # phrases ------------------------------------------------------------------------
    def quantity(self, items):
        number = items[0]
        unit = time = rel = None
        end = number.end_pos
        for tok in items[1:]:
            if tok.type == "UNIT":
                unit = self._unit_as_written(tok)
            elif tok.type == "TIMEUNIT":
                time = _TIME_UNITS.get(str(tok.value.text).rstrip("."), None)
                unit = tok.value.text
            elif tok.type == "HALFLIFE":
                time = "half_life"
                unit = "half-lives"
            elif tok.type == "ULN":
                rel = tok.value.value
            end = tok.end_pos
        return Qty(number.value.value, unit, time, rel, number.start_pos, end)

    def _unit_as_written(self, tok) -> str:
        """The unit of a token; read again in the text's own case where case tells units apart
        ('450 G/L' is giga-cells, 'g/L' grams: engine.lexicon reads folded, lower-case text),
        unless the whole criterion is in capitals."""
        written = self.text[tok.start_pos : tok.end_pos].strip()
        if "G" not in written or self.text.upper() == self.text:
            return tok.value.value
        from engine.units import normalize_unit

        try:
            return normalize_unit(written)
        except UnitError:  # the folded reading stands
            return tok.value.value

    def bound(self, items):
        if isinstance(items[0], Token):  # OP quantity
            op, qty = items[0].value.value, items[1]
            return Bnd(op, qty, items[0].start_pos, qty.end)
        qty, post = items
        return Bnd(post.value.value, qty, qty.start, post.end_pos)

    def range(self, items):
        if isinstance(items[0], Token):  # BETWEEN q AND q
            low, high = items[1], items[3]
            ends = items[0].value.value  # '(inclusive)'/'(exclusive)' after each end (engine.lexicon)
            low_in, high_in = ends if isinstance(ends, tuple) else (True, True)
            return Rng(_share_unit(low, high), _share_unit(high, low), low_in, high_in, items[0].start_pos, high.end)
        if isinstance(items[0], Bnd):  # bound and bound
            a, b = items[0], items[2]
            if a.op in ("<", "<="):
                a, b = b, a
            low_q = _share_unit(a.qty, b.qty)
            return Rng(low_q, b.qty, a.op == ">=", b.op == "<=", min(a.start, b.start), max(a.end, b.end))
        low, high = items[0], items[2]
        upper_in = items[1].value.value != "<"  # '2 to <12 years': engine.lexicon keeps the '<' here
        return Rng(_share_unit(low, high), high, True, upper_in, low.start, high.end)

    def durations(self, items):
        qtys = [q for q in items if isinstance(q, Qty)]
        end = items[-1].end_pos if isinstance(items[-1], Token) else qtys[-1].end
        # 'whichever is shorter' after the durations: the shortest of them
        shortest = isinstance(items[-1], Token) and items[-1].type == "LONGER" and items[-1].value.value == "shorter"
        return ("durations", qtys, qtys[0].start, end, shortest)

    def anchor(self, items):
        return ("anchor", items[1].value.value, items[0].start_pos, items[1].end_pos)

    def window(self, items):
        start = items[0].start_pos if isinstance(items[0], Token) else _start(items[0])
        end = _end(items[-1])
        anchor = "as_of"
        relation = "within"
        qtys: list[Qty] = []
        shortest = False
        for it in items:
            if isinstance(it, tuple) and it[0] == "anchor":
                anchor = it[1]
            elif isinstance(it, tuple) and it[0] == "durations":
                qtys.extend(it[1])
                shortest = it[4]
            elif isinstance(it, Qty):
                qtys.append(it)
            elif isinstance(it, Bnd):
                qtys.append(it.qty)
                if it.op in (">", ">="):
                    relation = "before"
                # '< 4 weeks prior to' is within
        durations = []
        for q in qtys:
            if q.time is None or q.relative_to:
                return Win(None, start, end)
            durations.append(Duration(value=q.value, unit=q.time))
        return Win(Window(relation=relation, durations=tuple(durations), anchor=anchor, shortest=shortest and len(durations) > 1), start, end)

    def atom(self, items):
        tok = items[0]
        value = tok.value
        return Atom(tok.type, value.value if value.type not in ("WORD",) else value.text, tok.start_pos, tok.end_pos)

    def group(self, items):
        if isinstance(items[1], _Pending):
            pending = _PendingNode(items[1].mode, items[1].exception)
            return Grp(pending, items[0].start_pos, items[2].end_pos)
        inner = items[1]
        if isinstance(inner, Clause):
            sig = [e for e in inner.elements if not _is_filler(e)]
            if len(sig) == 2 and isinstance(sig[0], Atom) and isinstance(sig[1], Atom) and sig[1].type == "ASIDE" and (sig[1].value.type, sig[1].value.value) == (sig[0].type, sig[0].value):
                sig = sig[:1]  # '(serum glutamic oxaloacetic transaminase [SGOT])': a name and its abbreviation
            if len(sig) == 1 and isinstance(sig[0], Atom) and sig[0].type in ("MEASURE", "CONDITION", "DRUG", "PROCEDURE"):
                return Atom("ASIDE", sig[0], items[0].start_pos, items[2].end_pos)
            if len(sig) == 1 and isinstance(sig[0], Atom) and sig[0].type == "SEX" and len(sig[0].value) == 1:
                # '> 450 ms (males)': a sex in brackets, read as the sex word it holds
                return Atom("SEX", sig[0].value, items[0].start_pos, items[2].end_pos)
            at = [k for k, e in enumerate(inner.elements) if not _is_filler(e) or isinstance(e, (Bnd, Rng))]
            if len(at) == 4 and (_has(inner.elements, "SEMI") or _has(inner.elements, "COMMA")):
                pairs = _sex_pairs(inner.elements, at)
                if pairs is not None:
                    # '(< 26 kg in men; < 18 kg in women)': cases for the measure before the bracket
                    return Atom("SEXCASES", tuple(pairs), items[0].start_pos, items[2].end_pos)
            if (
                (not sig and all(isinstance(e, Atom) for e in inner.elements))
                or _pointer(inner.elements)
                or _regardless(inner.elements)
                or _scale_range(inner.elements)
                or self._enumerator(inner.elements, items[0].start_pos, items[2].end_pos)
            ):
                # '(inclusive)', '(Appendix 7)', '(regardless of MSI status)': brackets around
                # words that say nothing, point elsewhere in the protocol, or widen nothing
                return Atom("NOTE", None, items[0].start_pos, items[2].end_pos)
        node = self._node(inner)
        if isinstance(inner, _Chain) and inner.op == "or":
            return Grp(node, items[0].start_pos, items[2].end_pos, None, inner)
        return Grp(node, items[0].start_pos, items[2].end_pos, inner if isinstance(inner, Clause) else None)

    def _enumerator(self, elements, start: int, end: int) -> bool:
        """'(1) Uncontrolled diabetes; (2) Uncontrolled hypertension': a small number alone in
        brackets that opens the text or an item after ';', ':', ',' or '.', and is followed by
        words, numbers an item of a list, nothing more."""
        if len(elements) != 1 or not isinstance(elements[0], Qty):
            return False
        q = elements[0]
        if q.unit is not None or q.time is not None or q.relative_to is not None or q.value != q.value.to_integral_value() or not 0 < q.value < 30:
            return False
        before, after = self.text[:start].rstrip(), self.text[end:].lstrip()
        return (not before or before[-1] in ";:,.") and after[:1].isalpha()

    # logic --------------------------------------------------------------------------
    def seq(self, items):
        return Clause(tuple(items), _start(items[0]), _end(items[-1]))

    def all_of(self, items):
        return _Chain.extend(items[0], items[2], "and")

    def any_of(self, items):
        return _Chain.extend(items[0], items[2], "or")

    def nor(self, items):
        return _Chain.extend(items[0], items[2], "nor")

    def unless(self, items):
        return self._exception(items, "unless")

    def except_(self, items):
        return self._exception(items, "except")

    def start(self, items):
        if not items:
            return None
        return self._node(items[0])

    # assembly -----------------------------------------------------------------------
    def _exception(self, items, mode):
        if len(items) == 2:  # 'unless E' with nothing before: the caller attaches it
            exc = self._node(items[1])
            return _Pending(mode, exc, items[0].start_pos, _end(items[1]))
        main = self._node(items[0])
        cut = None if _bracketed(items[2]) else _cut_at_sentence(items[2], self.text)  # (not '(X) unless (A; B)', as render writes one)
        if cut is not None:
            exc, rest = self._node(cut[0]), self._node(cut[1])
            if not _exception_goes_on(main, exc, rest, self.text):
                waived = Exception_(mode=mode, main=main, exception=exc, span=Span(start=main.span.start, end=exc.span.end))
                nodes = [waived, *(rest.items if isinstance(rest, Each) else (rest,))]
                return _combine(nodes, Span(start=main.span.start, end=rest.span.end), self.text, [False] * len(nodes))
        exc = self._node(items[2])
        if mode == "except" and _group_limit(main, exc, self.text):
            mode, exc = "unless", _held_to(exc)
            main = _group_window_on_main(main, exc, self.text)
        return Exception_(mode=mode, main=main, exception=exc, span=Span(start=main.span.start, end=exc.span.end))

    def _chain(self, chain: "_Chain") -> Predicate:
        """A whole and/or/nor chain at once ('A or B or C'), so that what the first operand
        says ('no', 'neither') or the last one holds (a bound, a window) reaches every operand:
        lark's left-recursive rules would otherwise hand it over two operands at a time."""
        regrouped = _or_of_one_function(chain)
        if isinstance(regrouped, tuple):
            head, choice = (self._node(x) for x in regrouped)
            nodes = [*(head.items if isinstance(head, Each) else (head,)), choice]
            return _combine(nodes, Span(start=head.span.start, end=choice.span.end), self.text, [False] * len(nodes))
        if regrouped is not None:
            return self._chain(regrouped)
        judged = self._judged_alternatives(chain)
        if judged is not None:
            return judged
        closed = _or_closed_by_comma_and(chain, self.text)
        if closed is not None:
            alternatives, *rest = closed.parts
            after = self._node(rest[0] if len(rest) == 1 else _Chain("and", tuple(rest), _start(rest[0]), closed.end))
            if _AS_WELL_AS.match(self.text, alternatives.end):
                # '..., as well as C': C is one more criterion, not a narrowing of the others
                # (in an exclusion either rules out)
                return _combine([self._chain(alternatives), after], Span(start=closed.start, end=closed.end), self.text, [False, False])
            if isinstance(after, (Judgment, Unparsed)):
                # ', and C' with C not known: '(A or B) and C' is unknown wherever 'A or (B and
                # C)' is, and decided only where both are. A C the record can decide ('...
                # uremia, and those on dialysis') may be one more group ruled out, and 'A or
                # (B and C)', 'A or B or C' and '(A or B) and C' part: that stays as it was
                return self._chain(closed)
        if _and_then_or(chain):
            return self._and_or_list(chain)
        apart = _groups_named_apart(chain, self.text)
        if apart is not None:
            # 'Immunocompromised patients and patients known to be HIV positive and currently
            # receiving antiretroviral therapy' (NCT05269381): the people named again after
            # 'and' open a group of their own, and either group is meant. Read as one group of
            # all three, an immunodeficiency without HIV passed the exclusion
            groups = [self._node(g[0]) if len(g) == 1 else self._chain(_Chain("and", tuple(g), _start(g[0]), _end(g[-1]))) for g in (chain.parts[:apart], chain.parts[apart:])]
            return AnyOf(items=tuple(groups), span=Span(start=groups[0].span.start, end=groups[1].span.end))
        opened = self._if_opened(chain) or self._case_sentences(chain) or self._or_to_its_stop(chain)
        if opened is not None:
            return opened
        parts = list(chain.parts)
        cause = self._cause_in_chain(chain)
        if cause is not None:
            return cause
        sentences, series = self._sentences(parts)
        if len(sentences) > 1 and self._negated_list(parts):
            sentences, series = [parts], None
        if len(sentences) > 1:
            # 'ANC >= 500 /uL; platelets >= 50000 /uL or hemoglobin >= 9 g/dL': a semicolon or
            # a full stop ends a clause, so binds looser than the connectives inside it
            nodes = [self._node(seg[0]) if len(seg) == 1 else self._chain(_Chain(chain.op, tuple(seg), _start(seg[0]), _end(seg[-1]))) for seg in sentences]
            span = Span(start=nodes[0].span.start, end=nodes[-1].span.end)
            if series is None:
                return _combine(nodes, span, self.text, [False] * len(nodes))
            # '... after the last dose of paclitaxel, docetaxel or irinotecan': the list runs
            # across a comma that also ends clauses here, so where it belongs is not known;
            # the clauses that end before it are not in doubt ('LVEF < 50%; A, B, and C')
            k = next((i for i, n in enumerate(nodes) if n.span.end > series), 0)
            head, tail = nodes[:k], nodes[k:]
            tail_span = Span(start=tail[0].span.start, end=span.end)
            combined = _combine(tail, tail_span, self.text, [False] * len(tail))
            piece = Unparsed(text=self.text[series : chain.end], span=Span(start=series, end=chain.end))
            # 'Myocardial infarction, ..., unstable angina, or arrhythmia within the last 6
            # months': a window at the end may cover the events before it, across the commas
            operands = [p for seg in sentences for p in seg]
            doubts = _windows_in_doubt(operands)
            leaves = tuple(_doubt_windows(list(_monotone_leaves(combined)), doubts, self.text))
            if len(leaves) > 1 and not isinstance(combined, Qualified):
                # however its items group, an and/or/each of them holds when all of them do
                # and fails when none does (in an exclusion list that names none of the
                # patient's conditions, nothing excludes)
                some = tuple(x for n in leaves for x in (n.items if isinstance(n, AnyOf) else (n,)))
                ambiguous = _all_or_none(piece, leaves, some, tail_span)
            else:
                ambiguous = Qualified(item=combined, qualifiers=(piece,), span=tail_span)
            if not head:
                return ambiguous if isinstance(ambiguous, AnyOf) else ambiguous.model_copy(update={"span": span})
            return _combine([*head, ambiguous], span, self.text, [False] * (len(head) + 1))
        if chain.op in ("or", "nor"):
            # 'ECOG 0 or 1': a measure followed by numbers joined by or is a set of values
            parts = _values_merged(parts)
            if len(parts) == 1:
                return self._node(parts[0])
            if chain.op == "or":
                raised = self._raised_limit(parts)
                if raised is not None:
                    return raised
            # 'no X or Y', 'neither X nor Y': the negation covers every alternative
            first = parts[0]
            lead = ("NOT", "NEITHER") if chain.op == "nor" else ("NOT",)
            negated = isinstance(first, Clause) and _opens_negated(first.elements, lead)
            own = [
                _opens_negated(piece)
                for p in parts
                if isinstance(p, Clause)
                for piece in _split(p.elements, ("COMMA",))[1 if p is first else 0 :]
            ]
            if negated and any(own):
                # 'not sterilized or not postmenopausal': each operand says its own; but in
                # 'no brain metastasis, no liver metastasis or bone metastasis' where the first
                # 'no' reaches is not known
                inner = self._alternatives(parts)
                if all(isinstance(p, Clause) and _opens_negated(p.elements) for p in parts):
                    return inner
                whole = Span(start=chain.start, end=chain.end)
                return Qualified(item=inner, qualifiers=(Unparsed(text=self.text[whole.start : whole.end], span=whole),), span=whole)
            if negated:
                neg = first.elements[0]
                parts[0] = Clause(first.elements[1:], _start(first.elements[1]), first.end)
                inner = self._alternatives(parts)
                return _negated_alternatives(inner, neg.start, self.text)
            return self._alternatives(parts)
        if chain.op == "and":
            # 'ASA physical status 1 and 2', 'ECOG 0 and 1': no patient has two values of one
            # scale, so values joined by and are the values allowed, as with or
            parts = _values_merged(parts, scale_only=True)
            if len(parts) == 1:
                return self._node(parts[0])
            none = self._none_of(parts)
            if none is not None:
                return none
        return self._join(parts, AllOf)

    def _judged_alternatives(self, chain: "_Chain") -> Predicate | None:
        """'malignancy or life-threatening illness with life expectancy of <5 years'
        (NCT03861546): the life expectancy after 'with' may be said of every alternative (a
        malignancy with a life expectancy under 5 years), as the study team judges it. Read as
        the last alternative's only, any cancer on record excluded. The whole chain one
        judgment of the life expectancy; None where the last alternative is not of that shape."""
        last = chain.parts[-1]
        if chain.op != "or" or not all(isinstance(p, Clause) for p in chain.parts) or not _WITH_LIFE_EXPECTANCY.search(self.text, last.start, last.end):
            return None
        if _sentence_break(self.text, chain.start, last.start):
            return None  # 'A. B or C with life expectancy ...': A is a sentence of its own
        node = self._node(last)
        if not (isinstance(node, Judgment) and node.category == "life_expectancy"):
            return None
        whole = Span(start=chain.start, end=node.span.end)
        return node.model_copy(update={"text": self.text[whole.start : whole.end], "span": whole})

    def _and_or_list(self, chain: "_Chain") -> Predicate:
        """'infliximab (Remicade), adalimumab (Humira), certolizumab pegol (Cimzia), and
        golimumab (Simponi), or etanercept (Enbrel)' (NCT04142931): one comma list whose
        items before ', or' are joined by ', and'. It may mean all of those items or any of
        them (an exclusion of anti-TNF drugs means any; 'fluoropyrimidine, oxaliplatin, and
        irinotecan, or intolerance' may mean all): holds when all of them hold, fails when
        none does, and is unknown between; the item after ', or' is an alternative either
        way. Read as '(A and B and C and D) or E', a patient on infliximab passed."""
        first, rest = chain.parts[0], chain.parts[1:]
        listed = self._chain(first)
        span = Span(start=listed.span.start, end=listed.span.end)
        leaves = _monotone_leaves(listed)
        if len(leaves) > 1 and not isinstance(listed, Qualified):
            said = Unparsed(text=self.text[span.start : span.end], span=span)
            listed = _all_or_none(said, leaves, leaves, span)
        return self._join([listed, *rest], AnyOf)

    def _if_opened(self, chain: "_Chain") -> Predicate | None:
        """'If Alkaline Phosphatase >= 2.5 x institutional ULN, then AST and ALT must be <=
        1.5 x institutional ULN' (NCT05076760), 'If the patient has liver metastases, ALT and
        AST < 5 x ULN' (NCT04305834): an 'If' that opens the sentence, with a comma after its
        case, is the condition of all the chain says after the comma. Split at the 'and',
        the case and the requirement were items of a list, and the requirement bound everyone."""
        first = chain.parts[0]
        if not isinstance(first, Clause) or not first.elements:
            return None
        els = list(first.elements)
        opener = 1 if _for_one_case(els) is not None else _case_opener(els, self.text)
        if opener is None:
            return None  # (asked first: most chains open no case, and every element is walked next)
        last = chain.parts[-1].elements[-1] if isinstance(chain.parts[-1], Clause) and chain.parts[-1].elements else None
        if any(_ends_sentence(e) and e is not last for p in chain.parts if isinstance(p, Clause) for e in p.elements):
            return None  # 'If A, B. C and D': the case is of its own sentence only
        comma = next((i for i, e in enumerate(els) if isinstance(e, Atom) and e.type == "COMMA"), None)
        if comma is None or comma <= opener:
            return None
        if not (_CASE_WORDS.match(self.text, first.start) or _one_group_case(els, opener, comma) or _for_one_case(els) is not None):
            return None
        if _has(els[opener:comma], "COLON"):
            return None  # 'If on tamoxifen: last menstrual period ... 14 days, ...': the case's own list
        if chain.op == "or" and sum(isinstance(e, Atom) and e.type == "COMMA" for e in els) > 1:
            return None  # 'If known hypersensitivity to either vinorelbine, capecitabine, eribulin or ...': a list the case goes on
        rest = [e for e in els[comma + 1 :]]
        if rest and isinstance(rest[0], Atom) and rest[0].type == "WORD" and rest[0].value == "then":
            rest = rest[1:]
        if not rest:
            return None
        condition = _Assembler(self.text).clause(els[opener:comma])
        if any(isinstance(n, Sex) and len(n.sexes) > 1 for n in walk(condition)):
            return None  # 'If male with a female partner(s) of child-bearing potential, ...': a partner's sex, not read
        head = Clause(tuple(rest), _start(rest[0]), first.end)
        then = self._chain(_Chain(chain.op, (head, *chain.parts[1:]), head.start, chain.end))
        return Conditional(condition=condition, then=then, span=Span(start=first.start, end=chain.end))

    def _none_of(self, parts: list) -> Predicate | None:
        """'Negative for hepatitis B, hepatitis C and HIV', 'no diabetes and hypertension': a
        negation that opens a list of conditions, treatments or procedures joined by 'and'
        covers every item (none of them), where no item has a negation of its own and the
        list is one sentence. Read as the negation of the first item and the others as
        requirements, a patient with none of them failed it."""
        first = parts[0]
        if not (isinstance(first, Clause) and _opens_negated(first.elements)) or len(first.elements) < 2:
            return None
        clauses = [p for p in parts if isinstance(p, Clause)]
        if any(_opens_negated(piece) for p in clauses for piece in _split(p.elements, ("COMMA",))[1 if p is first else 0 :]):
            return None
        last = clauses[-1].elements[-1]
        if any(isinstance(e, Atom) and e is not last and (e.type == "SEMI" or (e.type == "WORD" and e.value == ".")) for p in clauses for e in p.elements):
            return None
        neg = first.elements[0]
        inner = self._join([Clause(first.elements[1:], _start(first.elements[1]), first.end), *parts[1:]], AnyOf)
        if not _events_only(inner):
            return None
        return Not(item=inner, span=Span(start=neg.start, end=inner.span.end))

    def _alternatives(self, parts: list) -> Predicate:
        """The operands of an 'or', words left after the last event qualifying them all; a
        last operand in brackets keeps its words to itself (as canonical text writes it)."""
        k = _lead_before_adjectives(parts, self.text)
        if k is not None:
            # 'HER2 positive recurrent or metastasis breast cancer' (NCT03863223): the 'or' is
            # of the adjectives before the last operand's condition, and what comes before
            # them is asked of every alternative; read with the first alone, a breast cancer
            # with metastases passed with no word of HER2
            els = parts[0].elements
            lead = self._node(Clause(tuple(els[:k]), _start(els[0]), _end(els[k - 1])))
            rest = self._alternatives([Clause(tuple(els[k:]), _start(els[k]), parts[0].end), *parts[1:]])
            items = (*(lead.items if isinstance(lead, AllOf) else (lead,)), rest)
            return AllOf(items=items, span=Span(start=lead.span.start, end=rest.span.end))
        joined = self._join(parts, AnyOf)
        joined = joined if _bracketed(parts[-1]) else _trailing_words_of_all(joined, self.text)
        return _with_bounds_or_beside(parts, joined, self.text) or joined

    def _raised_limit(self, parts: list) -> Predicate | None:
        """'AST and ALT <= 2.5 x ULN or <= 5 x ULN if liver metastases': a bound alone after
        'or', under a condition, is another limit for the measures the operand before it
        bounds, as in brackets ('<= 1.5 x ULN (<= 3 x ULN if Gilbert's)'): each measure
        meets the first limit where the condition does not hold, the second where it does."""
        if len(parts) < 2 or not isinstance(parts[-1], Clause):
            return None
        els = list(parts[-1].elements)
        at = [k for k, e in enumerate(els) if not _is_filler(e) or isinstance(e, (Bnd, Rng))]
        if len(at) < 3 or not isinstance(els[at[0]], Bnd) or not (isinstance(els[at[1]], Atom) and els[at[1]].type == "IF"):
            return None
        alt = els[at[0]]
        if len(parts) > 2:
            # 'AST and/or ALT <= 3 x ULN or <= 5 x ULN if liver metastases': the operands
            # before the raised limit share their bound (each or either), then it is raised
            main = self._join(parts[:-1], AnyOf)
            comps = [n for n in walk(main) if isinstance(n, Comparison)]
            if not comps or not all(isinstance(n, (Comparison, AllOf, AnyOf, Unparsed)) for n in walk(main)):
                return None
        else:
            main = self._node(parts[0])
            comps = [main] if isinstance(main, Comparison) else list(main.items) if isinstance(main, AllOf) else []
        first = comps[0] if comps else None
        if not comps or not all(
            isinstance(c, Comparison) and c.window is None and c.op == first.op and c.threshold == first.threshold for c in comps
        ):
            return None
        lower = (">", ">=")
        q = alt.qty
        if (alt.op in lower) != (first.op in lower) or alt.op == "=" or q.time is not None or q.relative_to != first.threshold.relative_to:
            return None
        if q.relative_to is None and (q.unit is None or q.unit != first.threshold.unit):
            return None
        cond_els = els[at[1] + 1 :]
        condition = _Assembler(self.text).clause(cond_els)
        end = _end(els[-1])

        def split(c: Comparison) -> list:
            raised = Comparison(
                measure=c.measure, op=alt.op, threshold=Threshold(value=q.value, unit=q.unit, relative_to=q.relative_to), span=Span(start=alt.start, end=alt.end)
            )
            return [
                _for_the_others(c, condition),
                Conditional(condition=condition, then=raised, span=Span(start=alt.start, end=end)),
            ]

        if len(parts) > 2:
            def raise_each(n):
                if isinstance(n, Comparison):
                    return AllOf(items=tuple(split(n)), span=Span(start=n.span.start, end=end))
                if isinstance(n, (AllOf, AnyOf)):
                    return n.model_copy(update={"items": tuple(raise_each(i) for i in n.items)})
                return n

            raised_main = raise_each(main)
            return raised_main.model_copy(update={"span": Span(start=main.span.start, end=end)})
        items: list = [x for c in comps for x in split(c)]
        return AllOf(items=tuple(items), span=Span(start=main.span.start, end=end))

    def _negated_list(self, parts: list) -> bool:
        """'No chemotherapy, severe or chronic infection': a list cut by commas alone whose
        first operand opens with a negation, and none after it with its own. The negation
        covers every item; cut at its commas, the items after the first became requirements."""
        clauses = [p for p in parts if isinstance(p, Clause)]
        if not clauses or clauses[0] is not parts[0] or not _opens_negated(parts[0].elements):
            return False
        if any(_opens_negated(e) for p in clauses for e in _split(p.elements, ("COMMA",))[1:]):
            return False
        return not any(isinstance(e, Atom) and (e.type == "SEMI" or (e.type == "WORD" and e.value == ".")) for p in clauses for e in p.elements)

    def _cause_in_chain(self, chain: "_Chain") -> Predicate | None:
        """'Anemia due to chronic kidney disease or cancer', 'Atrial flutter secondary to
        electrolyte imbalance, thyroid disease or to a reversible cause': what follows a
        cause ('secondary to', 'due to', ...) up to the end of the chain is more causes, not
        operands of their own (as one, any cancer or thyroid disease alone excluded). What
        comes before the cause, narrowed by words elig does not read; None where no operand
        but the last opens a cause after something."""
        for j, part in enumerate(chain.parts[:-1]):
            at = _cause_at(part.elements, self.text) if isinstance(part, Clause) else None
            if at is None:
                continue
            if at == 0 or not _causes_only(part.elements[at:], chain.parts[j + 1 :]):
                return None
            head = part.elements[:at]
            start = _start(part.elements[at])
            if _sentence_break(self.text, chain.start, chain.end) or _has(head, "IF"):
                return None  # where the cause's words end is not known
            before = [*chain.parts[:j], Clause(head, _start(head[0]), _end(head[-1]))]
            item = self._node(before[0]) if len(before) == 1 else self._chain(_Chain(chain.op, tuple(before), chain.start, _end(head[-1])))
            end = start + len(self.text[start : chain.end].rstrip(" ,;:."))
            rest = Unparsed(text=self.text[start:end], span=Span(start=start, end=end))
            return _caused(item, rest, Span(start=chain.start, end=chain.end), self.text)
        return None

    def _or_to_its_stop(self, chain: "_Chain") -> Predicate | None:
        """'Total bilirubin <= 1.5 x ULN, or <= 3 x ULN if with Gilbert syndrome; AST and ALT <=
        2.5 x ULN; Serum creatinine < 1.5 x ULN' (NCT03944499): the 'or' is of its own sentence.
        Lark hands over the 'and' of the later sentences as an alternative of the 'or', and a
        bilirubin within limits passed the whole line whatever the transaminases. Where an
        alternative after the first holds a semicolon (in its first clause), the 'or' ends
        there and the rest is a sentence of its own; where the first alternative does ('...;
        urinary protein <= 1+ or 24-hour urinary protein < 1.0 g'), the 'or' begins after its
        last one. Only in a list of limits (every sentence states a bound: '...; in patients
        with Gilbert's syndrome', '...; hypothyroidism stable on ...' go on the list before);
        None otherwise."""
        if chain.op not in ("or", "nor") or len(chain.parts) < 2:
            return None
        return self._or_ends_at_stop(chain) or self._or_begins_after_stop(chain)

    def _or_ends_at_stop(self, chain: "_Chain") -> Predicate | None:
        if any(isinstance(p, Clause) and p.elements and isinstance(p.elements[-1], Atom) and p.elements[-1].type == "SEMI" for p in chain.parts[:-1]):
            return None  # 'A; or B, C; D': the 'or' opens an item of the list ('A; B; or C')
        for k in range(1, len(chain.parts)):
            part = chain.parts[k]
            first = part.parts[0] if isinstance(part, _Chain) else part
            if not isinstance(first, Clause):
                continue
            els = list(first.elements)
            stop = next((i for i in range(1, len(els) - 1) if isinstance(els[i], Atom) and els[i].type == "SEMI"), None)
            if stop is None:
                continue
            head, tail = els[:stop], els[stop + 1 :]
            alternatives = _Chain(chain.op, (*chain.parts[:k], Clause(tuple(head), _start(head[0]), _end(head[-1]))), chain.start, _end(head[-1]))
            tail_clause = Clause(tuple(tail), _start(tail[0]), first.end)
            rest = _Chain(part.op, (tail_clause, *part.parts[1:]), tail_clause.start, part.end) if isinstance(part, _Chain) else tail_clause
            if k < len(chain.parts) - 1:
                rest = _Chain(chain.op, (rest, *chain.parts[k + 1 :]), _start(rest), chain.end)
            if not (all(_holds_bound(p) for p in alternatives.parts) and _limits_only(rest, self.text)):
                return None
            return self._sentences_read([self._chain(alternatives), self._node(rest)])
        return None

    def _or_begins_after_stop(self, chain: "_Chain") -> Predicate | None:
        part = chain.parts[0]
        last = part.parts[-1] if isinstance(part, _Chain) else part
        if not isinstance(last, Clause):
            return None
        els = list(last.elements)
        stop = max((i for i in range(1, len(els) - 1) if isinstance(els[i], Atom) and els[i].type == "SEMI"), default=None)
        if stop is None:
            return None
        head, tail = els[:stop], els[stop + 1 :]
        head_clause = Clause(tuple(head), last.start, _end(head[-1]))
        before = _Chain(part.op, (*part.parts[:-1], head_clause), part.start, head_clause.end) if isinstance(part, _Chain) else head_clause
        alternatives = _Chain(chain.op, (Clause(tuple(tail), _start(tail[0]), last.end), *chain.parts[1:]), _start(tail[0]), chain.end)
        if not (all(_holds_bound(p) for p in alternatives.parts) and _limits_only(before, self.text)):
            return None
        return self._sentences_read([self._node(before), self._chain(alternatives)])

    def _sentences_read(self, read: list) -> Predicate:
        """Sentences read apart, as one list (a list read among them spliced in)."""
        nodes = [x for n in read for x in (n.items if isinstance(n, Each) else (n,))]
        return _combine(nodes, Span(start=nodes[0].span.start, end=nodes[-1].span.end), self.text, [False] * len(nodes))

    def _stops_sentence(self, els: list, i: int) -> bool:
        return _stops_sentence(self.text, els, i)

    def _case_sentences(self, chain: "_Chain") -> Predicate | None:
        """'... (or <= 5 x ULN if liver metastases are present). In the event of concomitantly
        increased ALP values > 2.5 x ULN, AST and ALT must be < 1.5 x ULN.' (NCT05714553): a
        sentence after another that opens with a case ('If', 'In the event of') and a comma is
        the condition of what its sentence says after the comma, as `_if_opened` reads a
        chain that is one sentence. Cut at that comma with the clauses around it, the
        requirement bound everyone. The chain is read sentence by sentence where one of them
        is so opened; None where none is."""
        if not _CASE_AFTER_STOP.search(self.text, chain.start, chain.end):
            return None
        sentences: list[list] = [[]]
        for p in chain.parts:
            if not isinstance(p, Clause):
                sentences[-1].append(p)
                continue
            els, start = list(p.elements), 0
            for i in range(1, len(els) - 1):
                if self._stops_sentence(els, i):
                    if els[start:i]:
                        sentences[-1].append(Clause(tuple(els[start:i]), _start(els[start]), _end(els[i - 1])))
                    sentences.append([])
                    start = i + 1
            if els[start:]:
                sentences[-1].append(Clause(tuple(els[start:]), _start(els[start]), _end(els[-1])))
        sentences = [seg for seg in sentences if seg]
        if len(sentences) < 2:
            return None
        chains = [_Chain(chain.op, tuple(seg), _start(seg[0]), _end(seg[-1])) for seg in sentences]
        opened = [self._if_opened(c) if self._says_what_then(c) else None for c in chains]
        if all(o is None for o in opened):
            return None
        read = [o if o is not None else self._node(c.parts[0]) if len(c.parts) == 1 else self._chain(c) for o, c in zip(opened, chains)]
        nodes = [x for n in read for x in (n.items if isinstance(n, Each) else (n,))]
        rules = [k for k, n in enumerate(nodes) if any(n is o for o in opened) and _group_rule(n, self.text)]
        for at in rules:
            nodes = _limits_for_the_others(nodes, at, self.text)
        return _combine(nodes, Span(start=nodes[0].span.start, end=nodes[-1].span.end), self.text, [False] * len(nodes))

    def _says_what_then(self, chain: "_Chain") -> bool:
        """The sentence opens with a case and, after the comma that ends it, says what holds
        then: a limit or words of what must, may or will be ('If patient has liver
        metastases, AST and ALT <= 5.0 x ULN', 'If not feasible, patient eligibility should be
        evaluated ...'). Not 'If they have a prior history of other neurological (...),
        psychiatric (...) or substance abuse disorders.' (NCT03391583): the comma is of the
        case's own list, and the sentence says nothing after it."""
        first = chain.parts[0]
        if not isinstance(first, Clause) or _case_opener(list(first.elements), self.text) is None:
            return False
        comma = next((e for e in first.elements if isinstance(e, Atom) and e.type == "COMMA"), None)
        return comma is not None and _CONSEQUENT.search(self.text, comma.end, chain.end) is not None

    def _sentences(self, parts: list) -> tuple[list[list], int | None]:
        """The chain's operands cut at clause boundaries inside them: a semicolon, or a full
        stop before a capital letter. A separator right before the connective ('A; B; or
        C') marks a list, and then none of its separators is a boundary. Also where a cut
        comma begins a list of terms that the chain's connective goes on ('..., docetaxel
        or irinotecan'), or None."""
        boundary = self._stops_sentence

        # (nor a comma before it, where a semicolon ends the text: 'A, B, or C;'; but a
        # semicolon inside is a boundary: 'LVEF < 50%; arrhythmia, heart failure, and valvular
        # disease' is two clauses, and read as one 'and' the exclusion excluded no one)
        semis = [e for q in parts if isinstance(q, Clause) for e in q.elements if isinstance(e, Atom) and e.type == "SEMI"]
        last = parts[-1].elements[-1] if isinstance(parts[-1], Clause) and parts[-1].elements else None
        inner_semi = any(e is not last for e in semis)
        for p in parts[:-1]:
            if isinstance(p, Clause) and p.elements and isinstance(p.elements[-1], Atom) and p.elements[-1].type in ("SEMI", "COMMA"):
                if semis and (p.elements[-1].type == "SEMI" or not inner_semi):
                    return [parts], None
        # 'female >= 18 years, ECOG 0-2 or KPS >= 60, life expectancy >= 3 months': where the
        # comma pieces are not a list of terms ('AML, MDS, or CML'), a comma ends a clause too,
        # and binds looser than the 'or' inside one; read as one chain, every requirement of
        # the criterion became an alternative to the others
        # lists that their own mechanisms read, and ', in the opinion of the investigator,'
        # which sits between commas inside one sentence
        def keeps_commas(e) -> bool:
            return isinstance(e, Atom) and (
                e.type in ("EXAMPLES", "COLON", "FOLLOWING") or (e.type == "JUDGE" and e.value == "investigator_opinion")
            )

        comma_cuts = (
            any("COMMA" in _kinds(q.elements) for q in parts if isinstance(q, Clause))  # else no comma to cut at (and not a term list)
            and not _term_list(parts)
            and not any(keeps_commas(e) for q in parts if isinstance(q, Clause) for e in q.elements)
        )
        outer = boundary
        series: list[int] = []

        def boundary(els, i) -> bool:  # noqa: F811 - widens the rule above
            if comma_cuts and _cutting_comma(els, i):
                return True
            return outer(els, i)

        segments: list[list] = [[]]
        for p in parts:
            if not isinstance(p, Clause):
                segments[-1].append(p)
                continue
            els = list(p.elements)
            # 'HDL < 50 in females, < 40 mg/dL in males' is one case split: no cut (asked once
            # per clause, not once per element: that was quadratic in a long comma list)
            cuts = [] if _sex_shape(els) is not None else [i for i in range(1, len(els) - 1) if boundary(els, i)]
            if comma_cuts and p is not parts[-1]:
                series.extend(_start(els[i - 1]) for i in cuts if _series_comma(els, i))
            start = 0
            for c in cuts:
                piece = els[start:c]
                if piece and not all(_is_filler(e) for e in piece):
                    segments[-1].append(Clause(tuple(piece), _start(piece[0]), _end(piece[-1])))
                segments.append([])
                start = c + 1
            piece = els[start:]
            if piece and not all(_is_filler(e) for e in piece):
                segments[-1].append(Clause(tuple(piece), _start(piece[0]), _end(piece[-1])))
        return [seg for seg in segments if seg], min(series, default=None)

    def _join(self, operands: list, cls) -> Predicate:
        first = operands[0]
        colon = next((i for i, e in enumerate(first.elements) if isinstance(e, Atom) and e.type == "COLON"), None) if isinstance(first, Clause) else None
        if colon is not None and 0 < colon < len(first.elements) - 1:
            # 'History of any of the following within 30 days: A, B, or C': the words before
            # the colon speak of every operand, not only the first
            head, rest = list(first.elements[:colon]), first.elements[colon + 1 :]
            node = self._join([Clause(rest, _start(rest[0]), first.end), *operands[1:]], cls)
            return self._heading(head, node, cls)
        k = next((i for i, x in enumerate(operands) if isinstance(x, Clause) and _has(x.elements, "EXAMPLES")), None)
        if k is not None:
            return self._examples_chain(operands, k, cls)
        parts = _merge_sex_cases([p for x in operands for p in _flatten(x, cls, self.text)], self.text)
        if cls is AnyOf:
            parts = _borrow_measure(parts)
        bounded = _share_bound(parts, last_only=cls is AnyOf)
        shared = [i for i, (a, b) in enumerate(zip(parts, bounded)) if a is not b]
        # 'AST, or ALT < 2.5 x ULN, < 5 x ULN in patients with liver metastases': a measure
        # named alone that took no bound leaves the 'or' unable to say which bound is whose
        unbounded = cls is AnyOf and any(_measure_alone(a) and a is b for a, b in zip(parts, bounded)) and any(
            isinstance(x, Clause) and any(isinstance(e, (Bnd, Rng)) for e in x.elements) for x in parts
        )
        parts = _share_window(bounded)
        nodes = [self._node(p) for p in parts]
        doubts = _windows_in_doubt(parts)
        if cls is AnyOf and shared:
            nodes = self._ambiguous_bound(nodes, [*shared, len(nodes) - 1])
        # 'uncontrolled hypertension, diabetes or stroke', 'recovered from the effects of
        # chemotherapy and radiotherapy': the words before the first event may speak of each
        nodes = _distribute_prefix(nodes, self.text)
        if cls is AnyOf:
            nodes = _reaction_after_drugs(_distribute_requirement(_distribute_population(_group_reaches_back(nodes, self.text), self.text)))
            nodes = [_comma_left_out(n, self.text) for n in nodes]
        if len(nodes) > 1 and isinstance(nodes[0], Judgment) and all(
            isinstance(n, (Condition, Medication, Procedure, Unparsed, Qualified, Judgment)) for n in nodes[1:]
        ) and "\u00ab" not in self.text[nodes[0].span.start : nodes[-1].span.end]:
            # 'Ability to undergo diagnostic tests and surgical interventions': the study
            # team's judgment speaks of the events after it, which are not requirements of their own
            start, end = nodes[0].span.start, nodes[-1].span.end
            return Judgment(category=nodes[0].category, text=self.text[start:end], span=Span(start=start, end=end))
        plain = [_plain_event(p) for p in parts]
        if _adjective_of_the_rest(nodes):
            # 'Untreated or symptomatic CNS metastases', 'Histologically or cytologically
            # confirmed SCLC': a word that only narrows is no alternative of its own; the
            # operands after it carry it
            nodes, plain = nodes[1:], plain[1:]
        if cls is AnyOf:
            nodes = _distribute_setting(nodes, plain, self.text)  # (not 'neoadjuvant chemotherapy and surgery')
        nodes = _distribute_history(nodes, plain)
        flat: list = []
        for n in nodes:
            if isinstance(n, cls):
                flat.extend(n.items)
            else:
                flat.append(n)
        if cls is AllOf:
            flat = _lone_sex_cases(_merge_sexes(flat), self.text)
        else:
            # 'QTcF > 450 ms in men ..., or QTcF > 470 ms in women, ...': a case for one sex
            # holds for every patient of the other, so alone it would carry the whole 'or'
            flat = _lone_sex_cases(flat, self.text, any_condition=True)
        if doubts:
            flat = [x for n in _doubt_windows(flat, doubts, self.text) for x in (n.items if isinstance(n, cls) else (n,))]
        merged = _merge_text(flat, self.text, cls)
        result = merged[0] if len(merged) == 1 else cls(items=tuple(merged), span=Span(start=merged[0].span.start, end=merged[-1].span.end))
        if unbounded:
            # it can fail (no alternative holds), never pass
            whole = result.span
            return AllOf(items=(Unparsed(text=self.text[whole.start : whole.end], span=whole), result), span=whole)
        return result

    def _examples_chain(self, operands: list, k: int, cls) -> Predicate:
        """'prohibited medications or treatments, eg, steroids, or anti-neoplastic agents',
        'infection including A and B': what follows the examples marker are examples of
        what precedes it, to the end of the chain; they are alternatives to it, and each
        carries what the head says of it (engine.parse.with_examples)."""
        part = operands[k]
        at = next(i for i, e in enumerate(part.elements) if isinstance(e, Atom) and e.type == "EXAMPLES")
        before, after = list(part.elements[:at]), list(part.elements[at + 1 :])
        head_parts = list(operands[:k])
        if before and not all(_is_filler(e) for e in before):
            head_parts.append(Clause(tuple(before), _start(before[0]), _end(before[-1])))
        example_parts: list = []
        for x in ([Clause(tuple(after), _start(after[0]), _end(after[-1]))] if after else []) + list(operands[k + 1 :]):
            if isinstance(x, Clause):
                pieces = [p for p in _split(list(x.elements), ("COMMA", "SEMI")) if not all(_is_filler(e) for e in p)]
                example_parts += [Clause(tuple(p), _start(p[0]), _end(p[-1])) for p in pieces]
            else:
                example_parts.append(x)
        # 'Prior systemic anticancer therapy including investigational agents within 4
        # weeks': a window at the end may cover the head and the examples before it
        parts = head_parts[-1:] + example_parts if len(head_parts) == 1 else example_parts
        doubts = _windows_in_doubt(parts)
        head = None
        if len(head_parts) > 1:
            head = self._join(head_parts, cls)
        elif head_parts:
            head = self._node(head_parts[0])
        examples = [self._node(p) for p in example_parts]
        return _doubt_windows_in(with_examples(head, examples, self.text), doubts, self.text)

    def _heading(self, head: list, node: Predicate, cls) -> Predicate:
        """A list's heading: plain words ('Liver function:', 'any of the following cardiac
        criteria:') say nothing a verdict turns on; a window ('within 30 days prior to
        screening:') reaches every event of the list; anything else qualifies the list."""
        following = [e for e in head if isinstance(e, Atom) and e.type == "FOLLOWING"]
        explicit = [e for e in following if not self.text[e.start : e.end].lower().startswith("the ")]
        if explicit and (explicit[0].value != "any") != (cls is AllOf):
            return self._qualify(node, head)
        if any(isinstance(e, Atom) and e.type == "HIST" for e in head):
            # 'History of any of the following: A, B': each event counts when it is over
            items = node.items if isinstance(node, cls) else (node,)
            marked = tuple(
                n.model_copy(update={"history": True}) if isinstance(n, (Condition, Medication, Procedure)) and getattr(n, "active", None) is None else n
                for n in items
            )
            node = cls(items=marked, span=node.span) if isinstance(node, cls) else marked[0]
        sig = [e for e in head if not _is_filler(e) and not (isinstance(e, Atom) and e.type in ("FOLLOWING", "HIST"))]
        if _is_heading(sig) or not sig:
            return node
        windows = [e for e in sig if isinstance(e, Win)]
        if len(sig) == 1 and windows and windows[0].window is not None:
            items = node.items if isinstance(node, cls) else (node,)
            if all(isinstance(n, (Condition, Medication, Procedure)) and n.window is None for n in items):
                items = tuple(n.model_copy(update={"window": windows[0].window}) for n in items)
                return cls(items=items, span=node.span) if len(items) > 1 else items[0]
        return self._qualify(node, head)

    def _qualify(self, node: Predicate, head: list) -> Predicate:
        """`node` with the words before it as a qualifier; text not understood is one piece."""
        start = _start(head[0])
        span = Span(start=start, end=node.span.end)
        if isinstance(node, Unparsed):
            return Unparsed(text=self.text[start : node.span.end], span=span)
        if isinstance(node, Judgment):
            return Judgment(category=node.category, text=self.text[start : node.span.end], span=span)
        return Qualified(item=node, qualifiers=(_Assembler(self.text).unparsed(head),), span=span)

    def _ambiguous_bound(self, nodes: list, shared: list[int]) -> list:
        """'INR or APTT <= 1.5 x ULN' says either 'each of them' or 'one of them': it holds
        when all of them do, fails when none does, and stays unknown when they disagree (the
        whole phrase, kept as unparsed text, is what makes it unknown)."""
        group = [nodes[i] for i in shared]
        start, end = group[0].span.start, group[-1].span.end
        raised = _raised_for_each(group)
        # an operand may itself be several measures bounded alike ('AST/ALT and/or bilirubin')
        if all(isinstance(n, (Comparison, Range)) or _bounded_alike(n) for n in group):
            node = each_or_either(group, self.text, start, end)
        elif raised is not None:
            # each measure's pair of cases, or one of them (the pairs spliced as canonical
            # text parses them back where all are meant)
            whole = Span(start=start, end=end)
            every = tuple(i for n in raised for i in n.items)
            node = _all_or_none(Unparsed(text=self.text[start:end], span=whole), every, tuple(raised), whole)
        elif not any(isinstance(n, Unparsed) for n in group):
            return nodes  # 'Lansky (age < 16) or Karnofsky (age >= 16) >= 50': alternatives as written
        else:
            # an operand that did not take the shared bound must not leave the others to
            # decide alone: the group can fail (none holds), never pass
            whole = Span(start=start, end=end)
            node = AllOf(items=(Unparsed(text=self.text[start:end], span=whole), AnyOf(items=tuple(group), span=whole)), span=whole)
        out = [n for i, n in enumerate(nodes) if i not in shared]
        out.insert(shared[0], node)
        return out

    def _node(self, x) -> Predicate:
        if isinstance(x, _Chain):
            return self._chain(x)
        if isinstance(x, Clause):
            return _Assembler(self.text).clause(list(x.elements))
        if isinstance(x, _Pending):
            return Unparsed(text=self.text[x.start : x.end], span=Span(start=x.start, end=x.end))
        return x


@dataclass(frozen=True, slots=True)
class _Pending:
    """'(unless E)' inside brackets: E waits for the structure before the brackets."""

    mode: str
    exception: Predicate
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class _Chain:
    """Operands joined by one connective, not yet assembled (see `_Build._chain`)."""

    op: str  # and, or, nor
    parts: tuple
    start: int
    end: int

    @staticmethod
    def extend(left, right, op: str) -> "_Chain":
        parts = left.parts if isinstance(left, _Chain) and left.op == op else (left,)
        return _Chain(op, (*parts, right), _start(left), _end(right))


# measures that are ways of measuring one function: an 'or' between two of them is the
# choice of measure, not of requirement ('creatinine <= 1.5 x ULN or creatinine clearance >= 60 mL/min')
_ONE_FUNCTION = (
    frozenset(("serum creatinine", "creatinine clearance", "estimated glomerular filtration rate")),
    frozenset(("total bilirubin", "direct bilirubin")),
    frozenset(("alanine aminotransferase", "aspartate aminotransferase")),
)


def _or_of_one_function(chain: _Chain) -> _Chain | tuple | None:
    """'ALT <= 2.5 x ULN and creatinine <= 1.5 x ULN or creatinine clearance >= 60 mL/min',
    'ANC >= 1500/uL, platelets >= 100,000/uL, bilirubin <= 1.5 x ULN and creatinine <= 1.5
    mg/dL or creatinine clearance >= 60 mL/min' (NCT05402722): the 'or' of two measures of one
    function binds tighter than the list's 'and'. Read as the top connective, a clearance of
    100 passed the whole list with no ANC or ALT on record. The chain regrouped; or, where
    the 'or' is of the last sentence of a list, the sentences before and the choice (a pair)."""
    first = chain.parts[0]
    if chain.op != "or" or not (isinstance(first, _Chain) and first.op == "and"):
        return None
    last = first.parts[-1]
    if len(first.parts) > 1 and _measure_alone(first.parts[-2]):
        return None  # 'BUN and Cr <= 1 x ULN or creatinine clearance >= 50 mL/min': BUN takes Cr's bound
    before: tuple = ()
    if isinstance(last, Clause):
        # '...; • AKP <= 2.5 ULN; • Renal function: serum creatinine <= 1.5 ULN or creatinine
        # clearance >= 60 mL/min' (NCT05402722): the 'or' is of the last sentence's measure
        stop = max((k for k, e in enumerate(last.elements[:-1]) if _ends_sentence(e)), default=None)
        if stop is not None:
            head, tail = last.elements[: stop + 1], last.elements[stop + 1 :]
            head = head[:-1]  # (its semicolon, which ends the list's last sentence)
            before, last = (Clause(head, last.start, _end(head[-1])),), Clause(tail, _start(tail[0]), last.end)
    family = next((f for f in _ONE_FUNCTION if _bounded_measure(last) in f), None)
    if family is None or not all(_bounded_measure(p) in family for p in chain.parts[1:]):
        return None
    if any(_has(p.elements, "IF") or "CONDITION" in _kinds(p.elements) for p in chain.parts[1:]):
        return None  # '... < 2.5 x ULN. AST and/or ALT may be up to 5 x ULN if liver metastases': a group's limit
    choice = _Chain("or", (last, *chain.parts[1:]), _start(last), chain.end)
    if before:
        # the sentences before are a list of their own ('A; B;' then the choice): as operands
        # of the 'and', their semicolons would mark one 'and' list
        head = before[0] if len(first.parts) == 1 else _Chain("and", (*first.parts[:-1], before[0]), first.start, before[0].end)
        return head, choice
    return _Chain("and", (*first.parts[:-1], choice), first.start, chain.end)


# measures of one thing: a case on one of them may set aside a limit on another ('ECOG
# performance status of 0 or 1. If ECOG performance status is an inappropriate performance
# measurement ..., then Karnofsky performance status must be >= 70', NCT04622774)
_KINDRED = (*_ONE_FUNCTION, frozenset(("ecog performance status", "karnofsky performance status", "lansky performance status")))


# Measures a group's limit on one of them puts in place of a limit on another: 'Total
# bilirubin <= 1.5 mg/dL. For patients with Gilbert syndrome, direct bilirubin < ULN', 'ECOG
# performance status of 0 or 1. For GBM patients: Karnofsky Performance Status >= 50%' (not any
# two measures whose names end alike: neutrophil and platelet counts, the twentieth audit's F3d)
_ONE_LIMIT = (
    frozenset(("total bilirubin", "direct bilirubin")),
    frozenset(("ecog performance status", "karnofsky performance status", "lansky performance status")),
)


def _sets_aside(first: Predicate, bounded: frozenset[str], condition: Predicate, text: str) -> bool:
    """Whether a group's limit (on the measures `bounded`, for the group `condition`: 'If
    liver metastases are present, AST < 5 x ULN') is the limit another item set (`first`,
    'AST <= 2.5 x ULN') for that group, so that the other one is everyone else's: a limit
    of the group's measures (or of their kin in `_ONE_LIMIT`), any limit beside a group's
    bound whose measure was not read, or a limit of a kindred measure (`_KINDRED`) where the
    case names the first measure ('if serum creatinine is > 1.5 x ULN, creatinine clearance
    must be >= 50 mL/min'; 'If ECOG performance status is an inappropriate ..., then
    Karnofsky ...'). A case that
    names another thing ('If age > 70, creatinine clearance >= 50 mL/min') may add a limit
    to the first, not replace it."""
    if not _measurement(_unqualified(first)):
        return False
    if not bounded:
        return True  # a bound whose measure was not read ('<= 2.0 x ULN'): its neighbours'
    measures = _measures_of(first)
    # every measure the first limit bounds is one the group's limit bounds, or one of it: not
    # 'AST and ALT <= 2.5 x ULN, total bilirubin <= 1.5 x ULN' for a Gilbert's bilirubin limit
    # (the twentieth audit, F3: that set aside the transaminases too)
    if all(m in bounded or any(m in f and f & bounded for f in _ONE_LIMIT) for m in measures):
        return True
    if not all(m in bounded or any(m in f and f & bounded for f in _KINDRED) for m in measures):
        return False
    words = text[condition.span.start : condition.span.end].lower()
    return bool(_measures_of(condition) & measures) or any(m in words for m in measures)


def _measures_of(node: Predicate) -> frozenset[str]:
    """The measures the comparisons and ranges of a tree bound."""
    return frozenset(n.measure for n in walk(node) if isinstance(n, (Comparison, Range)))


def _unqualified(node: Predicate) -> Predicate:
    """The limits without the words not understood beside them ('(ALT <= 2.5 x ULN) «each»'):
    whether a limit is one a group's case sets aside does not turn on them (they stay on the
    limit, and keep it as unknown as they did)."""
    if isinstance(node, Qualified):
        return _unqualified(node.item)
    if isinstance(node, (AllOf, AnyOf)):
        return node.model_copy(update={"items": tuple(_unqualified(i) for i in node.items)})
    return node


def _limits_for_the_others(nodes: list, at: int, text: str) -> list:
    """'AST/ALT <= 3 x ULN. If patient has liver metastases, AST and ALT <= 5.0 x ULN': the
    item that sets a group's limit sets it where another item set one (`_sets_aside`), so
    those limits are everyone else's ('(AST <= 3 x ULN) if (not (liver metastases))'), as
    'AST <= 3 x ULN (or <= 5 x ULN with liver metastases)' reads. Read for everyone, a
    patient with liver metastases and an AST of 4 x ULN failed the line. Where the group's
    limit is the stricter one, reading it so changes nothing. A group's bound whose measure
    was not read ('(<= 5 x ULN if liver metastases)') is of the limits right before it (or,
    with none, right after it) only, not of every limit of the list."""
    rule = nodes[at]
    bounded = _measures_of(_group_rule_then(rule))
    condition = _group_rule_condition(rule)
    reach = range(len(nodes)) if bounded else _limits_written_before(nodes, rule.span.start)
    out = list(nodes)
    for k in reach:
        if k == at:
            continue
        if _sets_aside(nodes[k], bounded, condition, text):
            out[k] = _for_the_others(nodes[k], condition)
        elif isinstance(nodes[k], AllOf) and _measurement(_unqualified(nodes[k])):
            # 'AST and ALT <= 2.5 x ULN, total bilirubin <= 1.5 x ULN': the limits of the
            # group's measures only
            items = tuple(_for_the_others(i, condition) if _sets_aside(i, bounded, condition, text) else i for i in nodes[k].items)
            if any(a is not b for a, b in zip(items, nodes[k].items)):
                out[k] = nodes[k].model_copy(update={"items": items})
    return out


def _for_the_others(limit: Predicate, condition: Predicate) -> Predicate:
    """'(limit) if (not (G))': the limit of everyone not of the group."""
    return Conditional(condition=Not(item=condition, span=condition.span), then=limit, span=limit.span)


def _holds_bound(part) -> bool:
    """A clause (or chain) that states a bound ('<= 3x ULN', 'AST and ALT <= 2.5x ULN')."""
    if isinstance(part, _Chain):
        return any(_holds_bound(p) for p in part.parts)
    return isinstance(part, Clause) and any(isinstance(e, (Bnd, Rng)) for e in part.elements)


def _limits_only(part, text: str) -> bool:
    """Every sentence of the part (cut at its semicolons) states a bound: a list of limits
    ('AST and ALT <= 2.5x ULN; Serum creatinine < 1.5x ULN')."""
    start, end = _start(part), _end(part)
    return all(_BOUND_WRITTEN.search(piece) for piece in text[start:end].split(";") if piece.strip(" .;"))


# a bound as written: a comparison sign or its words, then a number
_BOUND_WRITTEN = re.compile(r"(?:[<>≤≥]|=<|>=|less than|greater than|more than|at least|no more than)\s*=?\s*\d", re.IGNORECASE)


def _limits_written_before(nodes: list, at: int) -> list[int]:
    """The places of the plain limits written right before text offset `at`, nearest first,
    of one measure or of measures of one thing (`_KINDRED`): 'Tbili < 1.5 x ULN and AST/ALT <
    2.5 x ULN and < 5 x ULN for subjects with documented liver metastasis' sets aside AST and
    ALT, not the bilirubin before them, nor a limit written after the group's bound."""
    def limit(n):  # a plain limit, or one already set aside for a group ('(B) if (not (G))')
        if isinstance(n, Conditional) and isinstance(n.condition, Not):
            n = n.then
        return _measurement(_unqualified(n))

    before = sorted((k for k, n in enumerate(nodes) if n.span.end <= at and limit(n)), key=lambda k: -nodes[k].span.end)
    run: list[int] = []
    family: frozenset[str] | None = None
    for k in before:
        measures = _measures_of(nodes[k])
        kin = frozenset().union(measures, *(f for f in _KINDRED if f & measures))
        if family is not None and not measures <= family:
            break
        family = kin if family is None else family
        run.append(k)
    return run


def _group_rule_then(rule: Predicate) -> Predicate:
    """What a group's limit asks: the Conditional's then, or the thens of an all-of of
    Conditionals of one condition ('(ALT <= 5 x ULN) if (G) and (AST <= 5 x ULN) if (G)')."""
    if isinstance(rule, Conditional):
        return rule.then
    return AllOf(items=tuple(i.then for i in rule.items), span=rule.span)


def _group_rule_condition(rule: Predicate) -> Predicate:
    return rule.condition if isinstance(rule, Conditional) else rule.items[0].condition


def _group_rule(node: Predicate, text: str) -> bool:
    """A group's limit: 'B if G' with B limits (or a bound whose measure was not read) and G
    not itself a negation, or an all-of of such of one G (the same words of the text)."""
    if isinstance(node, Conditional):
        return not isinstance(node.condition, Not) and _measurement(_unqualified(node.then)) and not _canonical_case(node, text)
    if isinstance(node, AllOf) and len(node.items) > 1 and all(isinstance(i, Conditional) for i in node.items):
        first = node.items[0].condition
        said = text[first.span.start : first.span.end]
        return all(text[i.condition.span.start : i.condition.span.end] == said for i in node.items) and all(
            _group_rule(i, text) for i in node.items
        )
    return False


# '(B) if (G)': the limit and its case each in brackets, as canonical text writes a case
_CANONICAL_IF = re.compile(r"\s*if\s*\(")


def _canonical_case(node: Conditional, text: str) -> bool:
    """A case as canonical text writes it ('A and ((B) if (G))'): the text says what it is the
    case of, so it sets no limit beside it aside. Read again as a group's limit, the canonical
    text of 'A, and for G also B' came back as 'A if not G' and did not round-trip (found by
    tests/test_properties.py). Text people write brackets the bound with its case ('(<= 5 x
    ULN if liver metastases)'), not the bound alone."""
    then = node.then.span
    return text.startswith("(", then.start) and text[then.end - 1 : then.end] == ")" and _CANONICAL_IF.match(text, then.end) is not None


def _group_limits_set_aside(node: Predicate, text: str) -> Predicate:
    """Every list of the tree (an all-of or a list of items) that holds a group's limit
    beside plain limits it sets aside (`_limits_for_the_others`): 'AST <= 2.5 x ULN; ALT <=
    2.5 x ULN; ALT and AST <= 5 x ULN if liver metastases', 'AST(SGOT)/ALT(SGPT) <= 2.5 x ULN
    (<= 5 x ULN if liver metastases)' (200 corpus lines bound AST or ALT with liver
    metastases; 20 of them failed a patient with liver metastases and transaminases of 4 x
    ULN)."""
    if type(node) not in OPERAND_FIELDS:
        return node
    mapped = operands_mapped(node, lambda x: _group_limits_set_aside(x, text))
    if mapped:
        node = node.model_copy(update=mapped)
    if not isinstance(node, (AllOf, Each)) or len(node.items) < 2:
        return node
    items = list(node.items)
    for at in range(len(items)):
        group = _bound_of_a_group(items[at])
        if group is not items[at]:
            # (read as the group's limit only where it sets a limit beside it aside)
            tried = _limits_for_the_others([*items[:at], group, *items[at + 1 :]], at, text)
            if any(a is not b for k, (a, b) in enumerate(zip(tried, items)) if k != at):
                items = tried
        elif _group_rule(items[at], text):
            items = _limits_for_the_others(items, at, text)
    if all(a is b for a, b in zip(items, node.items)):
        return node
    return node.model_copy(update={"items": tuple(items)})


def _bound_of_a_group(node: Predicate) -> Predicate:
    """'AST and ALT <= 2.5 x ULN and <= 5 x ULN with hepatic metastasis': a group with a bound
    beside it whose measure was not read ('(liver metastases) «<= 5 x ULN»') is that group's
    limit ('(«<= 5 x ULN») if (liver metastases)'), not a requirement to have the group."""
    if not (isinstance(node, Qualified) and isinstance(node.item, Condition) and len(node.qualifiers) == 1):
        return node
    words = node.qualifiers[0]
    if not (isinstance(words, Unparsed) and _measurement(words)):
        return node
    return Conditional(condition=node.item, then=words, span=node.span)


def _lead_before_adjectives(parts: list, text: str) -> int | None:
    """Where the words that only narrow ('recurrent', 'locally advanced') begin at the end of
    the first operand of 'HER2 positive recurrent or metastasis breast cancer': a tumour's
    receptor statuses alone before them (no other words: not 'Non-HCC patients: acute or
    chronic hepatitis B', nor 'HIV positive test result or ... immunodeficiency'), and a
    condition last in the last operand for them to narrow; or None."""
    if len(parts) < 2 or not all(isinstance(p, Clause) for p in parts):
        return None
    els = parts[0].elements
    k = len(els)
    while k > 0 and isinstance(els[k - 1], Atom) and els[k - 1].type == "WORD" and not _is_filler(els[k - 1]):
        k -= 1
    if k == len(els) or k == 0 or not _NARROWING.fullmatch(text[_start(els[k]) : _end(els[-1])]):
        return None
    lead = els[:k]
    if not all(isinstance(e, Atom) and e.type == "CONDITION" and _RECEPTOR_STATUS.search(str(e.value)) for e in lead):
        return None
    last = [e for e in parts[-1].elements if not _is_filler(e)]
    if not last or not (isinstance(last[-1], Atom) and last[-1].type == "CONDITION"):
        return None
    return k


def _with_bounds_or_beside(parts: list, joined: Predicate, text: str) -> Predicate | None:
    """'current use of anticoagulants with an International Normalized Ratio > 1.7 or
    prothrombin time>15 sec' (NCT03925298, the tPA contraindication): the bounds after 'with'
    may all be of the event ('anticoagulant and (INR > 1.7 or PT > 15 s)') or the later ones
    alternatives of their own ('(INR > 1.7 and anticoagulant) or PT > 15 s'). Holds where the
    narrower reading holds, fails where the wider one fails, unknown between: read as the
    wider one alone, a PT of 16 s with no anticoagulant excluded. None for other shapes."""
    first = parts[0] if parts else None
    if not isinstance(joined, AnyOf) or len(joined.items) != len(parts) or not isinstance(first, Clause):
        return None
    els = list(first.elements)
    w = next((k for k, e in enumerate(els) if isinstance(e, Atom) and e.type == "WORD" and e.value == "with"), None)
    events = ("CONDITION", "DRUG", "PROCEDURE")
    if w is None or not any(isinstance(e, Atom) and e.type in events for e in els[:w]):
        return None
    after = Clause(tuple(els[w + 1 :]), _start(els[w + 1]), first.end) if w + 1 < len(els) else None
    if after is None or _bounded_measure(after) is None or any(isinstance(e, Atom) and e.type in events for e in els[w + 1 :]):
        return None
    if not all(_bounded_measure(p) is not None and not (_kinds(p.elements) & set(events)) for p in parts[1:]):
        return None
    head, rest = joined.items[0], joined.items[1:]
    if not (isinstance(head, AllOf) and len(head.items) == 2 and all(isinstance(r, (Comparison, Range)) for r in rest)):
        return None
    event = next((i for i in head.items if isinstance(i, (Condition, Medication, Procedure))), None)
    bound = next((i for i in head.items if isinstance(i, (Comparison, Range))), None)
    if event is None or bound is None:
        return None
    span = joined.span
    bounds = AnyOf(items=(bound, *rest), span=Span(start=bound.span.start, end=span.end))
    said = Unparsed(text=text[span.start : span.end], span=span)
    return _all_or_none(said, (event, bounds), joined.items, span)


def _groups_named_apart(chain: _Chain, text: str) -> int | None:
    """'X patients and patients Y ...': an operand after the word 'and' that opens with the
    people the operand before it ends with names a group of its own; its place, or None."""
    if chain.op != "and":
        return None
    for k in range(1, len(chain.parts)):
        before, here = chain.parts[k - 1], chain.parts[k]
        if not (isinstance(before, Clause) and isinstance(here, Clause) and before.elements and here.elements):
            continue
        if _people_word(before.elements[-1]) and _people_word(here.elements[0]) and text[before.end : here.start].strip().lower() == "and":
            return k
    return None


def _people_word(e) -> bool:
    return isinstance(e, Atom) and e.type == "WORD" and str(e.value) in ("patients", "subjects", "participants", "individuals", "persons")


# a life expectancy said after the last of some alternatives, of which it may be said of all
_WITH_LIFE_EXPECTANCY = re.compile(r"\bwith (?:an? )?(?:life expectancy|life-expectancy|expected survival)", re.I)

# the connective after the comma that closes alternatives, where it adds a criterion of its own
_AS_WELL_AS = re.compile(r"[\s,]*as well as\b", re.I)


def _or_closed_by_comma_and(chain: _Chain, text: str) -> _Chain | None:
    """'pregnancy or lactation, as well as childbearing age patients who refuse to take
    appropriate contraceptive measures' (NCT04182568), 'ECOG score is 0 or 1, and the expected
    survival is not less than 3 months': the comma before the last 'and' (or 'as well as')
    closes the alternatives before it, so the 'and' joins all of them to what follows.
    Lark binds the 'and' tighter, and read as 'A or (B and C)' a woman neither pregnant nor
    breastfeeding passed the exclusion whatever the study team says of her contraception.
    The chain regrouped as '(A or B) and C'; None where it is not of that shape (the
    operands one sentence with no comma but that one, no case or list of the following
    among them)."""
    if chain.op != "or" or len(chain.parts) < 2:
        return None
    last = chain.parts[-1]
    if not (isinstance(last, _Chain) and last.op == "and" and isinstance(last.parts[0], Clause)):
        return None
    closing = last.parts[0]
    if not (closing.elements and isinstance(closing.elements[-1], Atom) and closing.elements[-1].type == "COMMA"):
        return None
    if not all(isinstance(p, Clause) and p.elements for p in (*chain.parts[:-1], *last.parts)):
        return None
    if _opens_negated(chain.parts[0].elements, ("NOT", "NEITHER")):
        return None  # 'No prior capecitabine or capecitabine was effective, and ...': the 'and' is the second alternative's
    inner = [e for p in (*chain.parts[:-1], *last.parts) for e in p.elements]
    if inner and _ends_sentence(inner[-1]):
        inner = inner[:-1]  # the stop that closes the whole line
    if not inner or _sentence_break(text, chain.start, _end(inner[-1])):
        return None
    if any(_ends_sentence(e) or (isinstance(e, Atom) and e.type in ("IF", "COLON", "FOLLOWING", "UNLESS", "EXCEPT")) for e in inner):
        return None
    if sum(isinstance(e, Atom) and e.type == "COMMA" for e in inner) > 1:
        return None  # 'A or B, C, and D': a comma list whose last item is D (see `_and_or_list`)
    alternatives = _Chain("or", (*chain.parts[:-1], closing), chain.start, closing.end)
    return _Chain("and", (alternatives, *last.parts[1:]), chain.start, chain.end)


def _and_then_or(chain: _Chain) -> bool:
    """'A, B, C, and D, or E': an 'or' after an 'and' whose operands each end with a comma,
    the first a comma list itself (see `_Build._and_or_list`); no sentence ends inside."""
    first = chain.parts[0]
    if chain.op != "or" or len(chain.parts) != 2 or not (isinstance(first, _Chain) and first.op == "and"):
        return False
    clauses = [*first.parts, chain.parts[1]]
    if not all(isinstance(p, Clause) and p.elements for p in clauses):
        return False
    if not all(isinstance(p.elements[-1], Atom) and p.elements[-1].type == "COMMA" for p in first.parts):
        return False
    inner = [e for p in clauses for e in p.elements[:-1]]
    # (not where examples, a heading or a list of the following run across the connectives)
    return _has(first.parts[0].elements[:-1], "COMMA") and not any(
        _ends_sentence(e) or (isinstance(e, Atom) and e.type in ("EXAMPLES", "COLON", "FOLLOWING")) for e in inner
    )


def _comma_left_out(node: Predicate, text: str) -> Predicate:
    """'History of angina pectoris, coronary artery bypass graft (CABG) symptomatic
    pericarditis, or myocardial infarction within 6 months' (NCT05570253): among alternatives,
    two events side by side, the first name closed by its bracketed abbreviation and a word
    before the second ('symptomatic'), are two alternatives whose comma was left out
    (NCT03285412 writes the same list with it). Read as both at once, a bypass graft without
    pericarditis passed."""
    inner = node.item if isinstance(node, Qualified) else node
    if not (isinstance(inner, AllOf) and len(inner.items) == 2 and all(isinstance(i, (Condition, Procedure, Medication)) for i in inner.items)):
        return node
    first, second = inner.items
    between = _ABBREVIATION_THEN.match(text, first.span.end, second.span.start)
    if between is None or between.end() != second.span.start or first.concept == second.concept:
        return node
    either = AnyOf(items=inner.items, span=inner.span)
    return node.model_copy(update={"item": either}) if isinstance(node, Qualified) else either


# a bracketed abbreviation right after a name, and a word that narrows the next name (not
# 'Epstein-Barr virus (EBV) infection', where the name goes on after its abbreviation)
_ABBREVIATION_THEN = re.compile(r"\s*\([A-Za-z0-9\-]{2,10}\)\s+[a-z]+\s+")


def _group_reaches_back(nodes: list, text: str) -> list:
    """'Total serum bilirubin < ULN; or total bilirubin <= 3.0 x ULN or direct bilirubin <=
    1.5 x ULN in patients with well documented Gilbert's Syndrome' (NCT05664893): the group
    named after the last alternative is that of the alternatives of the same function before
    it, back to the first operand (the limit for everyone). Read for the last alone, 3 x ULN
    was open to everyone and a bilirubin of 1.8 x ULN without Gilbert's passed."""
    last = nodes[-1] if len(nodes) > 2 else None
    rule = last.item if isinstance(last, Qualified) else last
    if not (isinstance(rule, Conditional) and isinstance(rule.then, Comparison)):
        return nodes
    if not _PEOPLE_AFTER.match(text, rule.then.span.end):
        return nodes  # '(B) if (G)', as canonical text writes one alternative's condition
    family = next((f for f in _ONE_FUNCTION if rule.then.measure in f), frozenset((rule.then.measure,)))
    k = len(nodes) - 1
    while k > 1 and isinstance(nodes[k - 1], Comparison) and nodes[k - 1].window is None and nodes[k - 1].measure in family:
        k -= 1
    if k == len(nodes) - 1:
        return nodes
    span = Span(start=nodes[k].span.start, end=rule.then.span.end)
    then = AnyOf(items=(*nodes[k:-1], rule.then), span=span)
    rule = rule.model_copy(update={"then": then, "span": Span(start=span.start, end=rule.span.end)})
    if isinstance(last, Qualified):
        rule = last.model_copy(update={"item": rule, "span": Span(start=span.start, end=last.span.end)})
    return [*nodes[:k], rule]


# words that open a case as 'If' does: 'In the event of concomitantly increased ALP values
# > 2.5 x ULN, AST and ALT must be < 1.5 x ULN' (NCT05714553)
_CASE_OPENERS = (("in", "the", "event", "of"), ("in", "case", "of"), ("for", "those", "with"), ("in", "those", "with"), ("in", "patients", "with"))


def _one_group_case(els: list, opener: int, comma: int) -> bool:
    """'For participants with hepatic metastases, ALT and AST <= 5 x ULN', 'For those with
    liver metastasis, ...': a case of people that is one condition and nothing more before its
    comma opens a case as 'If' does (not 'For patients who have received previous TKI
    treatment, chemotherapy, antibody, or ADC, the interval ...', whose case is a list)."""
    case = els[opener:comma]  # ('for subjects with known Gilbert syndrome': filler words before it)
    return bool(case) and isinstance(case[-1], Atom) and case[-1].type == "CONDITION" and all(_is_filler(e) for e in case[:-1])


def _for_one_case(els: list) -> int | None:
    """'For female patients, current pregnancy and/or lactation' (NCT03561740), 'For
    fulvestrant, highly effective contraception should be used ...' (NCT05554354): 'For' and
    one thing (a sex, a condition, a drug, a procedure or an age bound, with words that only say whom)
    before the first comma is the case of what follows the comma, as 'For patients with X,'
    is (`_one_group_case`). Read as an item of the list, 'fulvestrant' excluded a patient on
    the study's own drug. The comma's place, or None."""
    if len(els) < 3 or not (isinstance(els[0], Atom) and els[0].type == "WORD" and els[0].value == "for"):
        return None
    comma = next((i for i, e in enumerate(els) if isinstance(e, Atom) and e.type == "COMMA"), None)
    if comma is None or comma == len(els) - 1:
        return None
    things = [e for e in els[1:comma] if not _is_filler(e)]
    if len(things) == 1 and isinstance(things[0], Atom) and things[0].type in _CASE_THINGS:
        return comma
    # 'For adolescents under 18 years of age, able to provide informed assent ...'
    # (NCT03630471): an age bound is one thing too; read as a requirement, a patient of 19
    # failed the assent the adolescents give
    bounds = [e for e in things if isinstance(e, (Bnd, Rng))]
    ages = [e for e in things if isinstance(e, Atom) and e.type == "AGE"]
    return comma if len(bounds) == 1 and ages and len(bounds) + len(ages) == len(things) else None


_CASE_THINGS = frozenset(("SEX", "CONDITION", "DRUG", "PROCEDURE"))


# ('For patients who have received previous TKI treatment, chemotherapy, antibody, or ADC, the
# interval ...' lists its case up to the 'or': only 'If' and these open a case of one piece)
_CASE_WORDS = re.compile(
    r"if\b|in\s+(?:the\s+event|case|(?:the\s+)?absence)\s+of\b|(?:in|for)\s+(?:patients|participants|subjects|those)\s+without\b", re.IGNORECASE
)
# what a sentence opened by a case says holds then: a limit, or what must, may or will be
_CONSEQUENT = re.compile(
    r"[<>≤≥=]|\b(?:must|should|shall|will|can|may|has\s+to|have\s+to|needs?|required|allowed|permitted|eligible|"
    r"ineligible|acceptable|excluded|at\s+least|no\s+more\s+than|(?:less|greater|more|higher|lower)\s+than|within)\b",
    re.IGNORECASE,
)
# a sentence that opens with a case, after a full stop or semicolon ('... present). In the event of')
_CASE_AFTER_STOP = re.compile(
    r"[.;]\s*(?:if\b|in\s+(?:the\s+event|case)\s+of\b|(?:for|in)\s+(?:patients|participants|subjects|those)\s+with\b)", re.IGNORECASE
)


def _case_opener(els: list, text: str = "") -> int | None:
    """Where the case after an opening 'If' ('In the event of', 'In case of') begins, or None.
    'In (the) absence of liver metastases, ALT and AST < 2.5 x ULN', 'In patients without
    Gilbert's syndrome, ...' (given the text): the case is the absence, from its 'absence of'
    or 'without' on."""
    if els and isinstance(els[0], Atom) and els[0].type == "IF":
        return 1
    words = [str(e.value).lower() if isinstance(e, Atom) and e.type == "WORD" else None for e in els[:4]]
    if text and words[:1] in (["in"], ["for"]):
        # 'In patients without Gilbert's syndrome, total bilirubin <= 1.5 x ULN': the absence too
        at = 2 if words[1:2] in (["the"], ["patients"], ["participants"], ["subjects"], ["those"]) else 1
        e = els[at] if len(els) > at + 1 else None
        if isinstance(e, Atom) and e.type == "NOT" and text[e.start : e.end].lower().startswith(("absence", "without")):
            return at
    return next((len(o) for o in _CASE_OPENERS if tuple(words[: len(o)]) == o), None)


def _group_limit(main: Predicate, exc: Predicate, text: str) -> bool:
    """'Bilirubin <= 1.5 ULN (except in participants with documented Gilbert's disease, who
    must have a total bilirubin <= 3.0 mg/dL)', '(with the exception of < 3 mg/dL for
    patients with Gilbert's disease)', '(except for patients with known Gilbert's syndrome
    and serum bilirubin level <= 3 x ULN)': a limit with a group held to another one. The
    group's limit is no part of the main limit that is taken out ('except' of a class):
    the patient meets the main limit, or is of the group and meets the group's. Not where
    the exception is in brackets of its own, as canonical text writes 'except ((B) if (G))'."""
    if text[: exc.span.start].rstrip().endswith("(") or text.startswith("(", exc.span.start):
        return False
    measured = (Comparison, Range)
    if not (isinstance(main, measured) or (isinstance(main, AllOf) and all(isinstance(i, measured) for i in main.items))):
        return False
    inner = exc.item if isinstance(exc, Qualified) else exc
    if isinstance(inner, Conditional):
        return True
    # 'G, L' reads as a list of two ('except for patients with Gilbert's syndrome, who must
    # have L'), 'G and L' as an all-of: either way the group and its limit
    return isinstance(inner, (AllOf, Each)) and any(isinstance(i, measured) for i in walk(inner)) and any(
        not isinstance(i, measured) for i in inner.items
    )


def _held_to(exc: Predicate) -> Predicate:
    """The group's limit as what the patient must be and meet: 'B if G' as 'G and B' (where
    the patient is not of the group, the group's limit lets no one in)."""
    inner = exc.item if isinstance(exc, Qualified) else exc
    if isinstance(inner, Conditional):
        parts = (inner.condition, inner.then)
    elif isinstance(inner, Each):
        parts = inner.items  # 'G, who must have L': both, not either
    else:
        return exc
    # (an all-of among them one list with the rest, as canonical text reads it back)
    items = tuple(x for part in parts for x in (part.items if isinstance(part, AllOf) else (part,)))
    held = AllOf(items=items, span=inner.span)
    return exc.model_copy(update={"item": held}) if isinstance(exc, Qualified) else held


def _group_window_on_main(main: Predicate, exc: Predicate, text: str) -> Predicate:
    """'Total bilirubin =< 1.5 x ULN, except patients with Gilbert's syndrome in whom total
    bilirubin must be < 3.0 mg/dL (within 4 weeks of initiating study treatment)': a window
    written last, after the group's limit, times the line, not the group's limit alone. The
    main limit takes it where it has none of its own (a value older than the window then
    leaves it unknown instead of passing it). Only where the window's words end the text: a
    window inside the group's clause with more words after it may be the group's own."""
    measured = (Comparison, Range)
    timed = [n for n in walk(exc) if isinstance(n, measured) and n.window is not None]
    windows = {n.window for n in timed}
    if len(windows) != 1 or text[max(n.span.end for n in timed) :].strip(" .;)") != "":
        return main
    window = windows.pop()
    if isinstance(main, measured):
        return main if main.window is not None else main.model_copy(update={"window": window})
    items = tuple(i if i.window is not None else i.model_copy(update={"window": window}) for i in main.items)
    return main.model_copy(update={"items": items})


# the people a limit written after the alternatives is for: 'in patients with', 'for subjects with'
_PEOPLE_AFTER = re.compile(r"\s*(?:in|for)\s+(?:patients|participants|subjects|those|people)\b", re.IGNORECASE)


def _bounded_measure(part) -> str | None:
    """The measure a clause bounds ('creatinine clearance >= 60 mL/min', 'measured or
    calculated creatinine clearance > 60 mL/min'), or names alone to take a later bound
    ('ALT' in 'ALT or AST < 2.5 x ULN'); None for anything else."""
    if not isinstance(part, Clause) or not (any(isinstance(e, (Bnd, Rng)) for e in part.elements) or _measure_alone(part)):
        return None
    if any(isinstance(e, Atom) and (e.type == "SEMI" or (e.type == "WORD" and e.value == ".")) for e in part.elements):
        return None  # a clause that ends a sentence ('< 2.5 x ULN. AST'): the 'or' is of the next one
    measures = {str(e.value) for e in part.elements if isinstance(e, Atom) and e.type == "MEASURE"}
    return measures.pop() if len(measures) == 1 else None


def _start(x) -> int:
    if type(x) in _POSITIONED:  # the commonest, asked first (no Token, tuple or span among them)
        return x.start
    if isinstance(x, Token):
        return x.start_pos
    if isinstance(x, tuple):
        return x[2]
    if hasattr(x, "span"):
        return x.span.start
    return x.start


def _end(x) -> int:
    if type(x) in _POSITIONED:
        return x.end
    if isinstance(x, Token):
        return x.end_pos
    if isinstance(x, tuple):
        return x[3]
    if hasattr(x, "span"):
        return x.span.end
    return x.end


_POSITIONED = frozenset((Qty, Bnd, Rng, Win, Atom, Grp, Clause, _Pending, _Chain))  # dataclasses with start and end


def _share_unit(q: Qty, other: Qty) -> Qty:
    """'between 7.0 and 10.5 %': the unit written once serves both numbers."""
    if q.unit is None and q.relative_to is None and (other.unit is not None or other.relative_to is not None):
        return Qty(q.value, other.unit, other.time, other.relative_to, q.start, q.end)
    return q


def _flatten(x, cls, text: str) -> list:
    """Operands of an and/or chain, so 'A, B, or C' gives three operands."""
    if isinstance(x, cls):
        return list(x.items)
    if isinstance(x, Clause):
        # a comma list on the left of the final connective: 'A, B, or C'
        pieces = [p for p in _split(list(x.elements), ("COMMA", "SEMI")) if not all(_is_filler(e) for e in p)]
        if len(pieces) > 1 and _sex_shape(x.elements) is not None:
            return [x]  # 'HDL < 50 in females, < 40 mg/dL in males': one bound for each sex, one operand
        if len(pieces) > 1 and not _has(x.elements, "EXAMPLES"):
            if cls is AnyOf and any(isinstance(_Assembler(text).clause(p), Unparsed) for p in pieces):
                # 'T-LBL, as defined by WHO classification, or ...': a piece not understood may
                # qualify its neighbour rather than be an alternative to it, and an alternative
                # would let the neighbour alone decide: the pieces stay together, qualified
                return [x]
            return [Clause(tuple(p), _start(p[0]), _end(p[-1])) for p in pieces]
    return [x]


def _term_list(parts: list) -> bool:
    """Whether the comma pieces of a chain's operands are terms of one list ('AML, MDS, or
    CML', 'hypertension, diabetes or stroke'): each a single event or measure with at most a
    word or two around it, no bound, window, bracket or examples."""
    pieces = []
    for n, p in enumerate(parts):
        if not isinstance(p, Clause):
            continue
        els = list(p.elements)
        if n == 0:  # a heading before a colon speaks of the list, it is not one of its terms
            colon = max((i for i, e in enumerate(els) if isinstance(e, Atom) and e.type == "COLON"), default=-1)
            els = els[colon + 1 :]
        cut = _split(els, ("COMMA",))
        if len(cut) > 1:
            pieces.extend(cut)
    for piece in pieces:
        sig = [e for e in piece if not _is_filler(e)]
        if not sig:
            continue
        if len(sig) == 1 and isinstance(sig[0], Qty) and sig[0].unit is None:
            continue  # a value of a list of values: 'ECOG 0, 1 or 2'
        if all(isinstance(e, Atom) and e.type == "WORD" and _ETC.fullmatch(str(e.value)) for e in sig):
            continue  # 'pneumonia, tuberculosis, etc.': the list is open, still a list
        if len(sig) > 4:
            return False
        if any(
            not isinstance(e, (Atom, Qty)) or (isinstance(e, Qty) and e.unit is not None) or getattr(e, "type", None) in ("EXAMPLES", "JUDGE", "IF", "UNLESS", "EXCEPT", "FOLLOWING")
            for e in sig
        ):
            return False
        if not any(getattr(e, "type", None) in ("CONDITION", "DRUG", "PROCEDURE", "MEASURE") for e in sig) and not (
            isinstance(sig[-1], Qty) and sig[-1].unit is None
        ):
            return False
        if sum(getattr(e, "type", None) == "WORD" for e in sig) > 2:
            return False
    return True


def _merge_sexes(nodes: list) -> list:
    """'gender includes female and male', 'male and female patients': sexes joined by 'and'
    name the sexes taken, never a patient of both. They become one Sex node (qualified by
    whatever words qualified any of them), where the first stood."""
    def sex_of(n):
        return n.item if isinstance(n, Qualified) and isinstance(n.item, Sex) else n if isinstance(n, Sex) else None

    at = [i for i, n in enumerate(nodes) if sex_of(n) is not None]
    named = tuple(dict.fromkeys(x for i in at for x in sex_of(nodes[i]).sexes))
    if len(named) < 2:
        return nodes
    span = Span(start=min(nodes[i].span.start for i in at), end=max(nodes[i].span.end for i in at))
    merged: Predicate = Sex(sexes=named, span=span)
    qualifiers = tuple(q for i in at if isinstance(nodes[i], Qualified) for q in nodes[i].qualifiers)
    if qualifiers:
        merged = Qualified(item=merged, qualifiers=qualifiers, span=span)
    return [merged if i == at[0] else n for i, n in enumerate(nodes) if i == at[0] or i not in at]


def _slash_alternatives(els: list, events: list[int], event_at: dict[int, int], found: list) -> list:
    """'stroke/TIA', 'gamma knife/whole brain radiation', 'HIV/AIDS': events with only a slash
    between them are alternatives, one AnyOf where the first stood, never all required. What
    was said of one of them ('history of', 'within 6 months') is said of all: 'history of
    stroke/TIA within 6 months' is no stroke of any date."""
    groups: list[list[int]] = []
    for a, b in zip(events, events[1:]):
        if b == a + 2 and isinstance(els[a + 1], Atom) and els[a + 1].type == "SLASH":
            if groups and groups[-1][-1] == a:
                groups[-1].append(b)
            else:
                groups.append([a, b])
    if not groups:
        return found
    found = list(found)
    drop: set[int] = set()
    for group in groups:
        members = [found[event_at[i]] for i in group]
        if any(isinstance(m, Condition) and _RECEPTOR_STATUS.search(m.concept) for m in members):
            continue  # 'HR+/HER2-': a tumour's statuses written together are all of them
        windows = {m.window for m in members if m.window is not None}
        if len(windows) > 1:
            continue  # each says its own window: leave them as they were read
        shared = {"window": next(iter(windows), None), "history": any(m.history for m in members)}
        items = tuple(m.model_copy(update=shared) for m in members)
        found[event_at[group[0]]] = AnyOf(items=items, span=Span(start=items[0].span.start, end=items[-1].span.end))
        drop.update(event_at[i] for i in group[1:])
    return [f for k, f in enumerate(found) if k not in drop]


# tumour receptor statuses (rules/vocab/conditions.toml): 'HR+/HER2- breast cancer' is HR-positive
# and HER2-negative, not either
_RECEPTOR_STATUS = re.compile(r"\b(?:her2|receptor)-|triple-negative")

_TERMS = ("CONDITION", "DRUG", "PROCEDURE")


def _series_comma(els: list, i: int) -> bool:
    """A comma after a term, after which only short pieces naming a term each follow to the
    end of the operand: 'paclitaxel, docetaxel' before 'or irinotecan'; 'cutaneous melanoma,
    RCC, TNBC, MSS colorectal cancer, MSI-H solid tumors (NOS)' before 'or ovarian cancer'."""
    def term(e) -> bool:
        return isinstance(e, Atom) and e.type in _TERMS

    if els[i].type != "COMMA" or not term(els[i - 1]):
        return False
    pieces = [[e for e in piece if not _is_filler(e)] for piece in _split(els[i + 1 :], ("COMMA",))]
    return all(0 < len(piece) <= 4 and any(term(e) for e in piece) for piece in pieces)


_BECAUSE_OPEN = re.compile(r"[(\[]\s*(?:because|due to the need|in order to|so that)\b", re.IGNORECASE)
_EXAMPLES_OPEN = re.compile(
    r"[(\[]\s*(?:such as|including(?:,? but not limited to)?|e\.\s?g\.?|eg|for example|for instance|like)\b", re.IGNORECASE
)


def _cutting_comma(els: list, i: int) -> bool:
    """Element i is a comma that can end a clause: not inside a list of examples, nor
    between values of one measure (`_values_on`)."""
    e = els[i]
    return isinstance(e, Atom) and e.type == "COMMA" and not _inside_examples(els, i) and not _values_on(els, i)


def _values_on(els: list, i: int) -> bool:
    """'ECOG performance status = 0, 1 (Karnofsky >= 60%)': a comma between a value and a
    bare number after it lists values, it ends no clause (cut there, ECOG 1 failed '= 0')."""
    before, after = els[i - 1], els[i + 1] if i + 1 < len(els) else None
    plain = lambda q: isinstance(q, Qty) and q.unit is None and q.time is None and q.relative_to is None  # noqa: E731
    return isinstance(before, Bnd) and before.op == "=" and plain(before.qty) and plain(after)


def _inside_examples(els: list, i: int) -> bool:
    """A comma after 'such as', 'including' separates examples, not clauses."""
    return any(isinstance(e, Atom) and e.type == "EXAMPLES" for e in els[:i])


def _has(elements, token_type: str) -> bool:
    return any(isinstance(e, Atom) and e.type == token_type for e in elements)


def _split(elements: list, seps: tuple[str, ...]) -> list[list]:
    pieces: list[list] = [[]]
    for e in elements:
        if isinstance(e, Atom) and e.type in seps:
            pieces.append([])
        else:
            pieces[-1].append(e)
    return [p for p in pieces if p]


def _value_list(left, right, *, scale_only: bool = False):
    """'ECOG 0 or 1': a measure followed by numbers joined by or is a set of values. With
    `scale_only`, only a measure with a `scale` (a bounded score) has one."""
    if not (isinstance(left, Clause) and isinstance(right, Clause)) or Qty not in _kinds(right.elements):
        return None  # (the numbers after the measure open `right`)
    le = [e for e in left.elements if not _is_filler(e)]
    re_ = [e for e in right.elements if not _is_filler(e)]
    if len(le) < 2 or not re_:
        return None
    if not (isinstance(re_[0], Qty) and _plain(re_[0])):
        return None
    # the numbers (or a set already read) after the measure: 'ECOG 0, 1 or 2'
    k = len(le)
    while k > 0 and isinstance(le[k - 1], Qty) and _plain(le[k - 1]):
        k -= 1
    if k == len(le) and isinstance(le[-1], Rng) and _plain(le[-1].low) and _plain(le[-1].high):
        k -= 1
    run = le[k:]
    if not run or k == 0 or not (isinstance(le[k - 1], Atom) and le[k - 1].type == "MEASURE"):
        return None
    if scale_only and not _scale_measure(str(le[k - 1].value)):
        return None
    low = run[0].low if isinstance(run[0], Rng) else run[0]
    high = re_[0]
    values = [run[0].high.value if isinstance(run[0], Rng) else run[0].value] + [e.value for e in run[1:]] + [high.value]
    if any(v != v.to_integral_value() for v in values) or any(b - a != 1 for a, b in zip(values, values[1:])):
        return None
    rng = Rng(low, high, True, True, low.start, high.end)
    i = left.elements.index(run[0])
    j = right.elements.index(re_[0])
    return Clause(left.elements[:i] + (rng,) + right.elements[j + 1 :], left.start, right.end)


def _case_written_first(raw: list) -> list:
    """'(in the case of liver metastases <= 5 x ULN)', '(for liver metastasis <= 5 x ULN)': a
    bracket's case written before its bound, as '(<= 5 x ULN if liver metastases)' (the
    bound first, then the case) for `_alternative_limit`; anything else as it is. Only a
    case opened by 'if'-words or 'for', of words with no bound of their own."""
    if len(raw) < 3 or not isinstance(raw[-1], Bnd) or not isinstance(raw[0], Atom):
        return raw
    opener, case = raw[0], raw[1:-1]
    if not (opener.type == "IF" or (opener.type == "WORD" and opener.value == "for")):
        return raw
    if any(isinstance(e, (Bnd, Rng, Grp)) or (isinstance(e, Atom) and e.type in ("IF", "COMMA", "SEMI", "OR", "AND")) for e in case):
        return raw
    if not any(isinstance(e, Atom) and e.type == "CONDITION" for e in case):
        return raw
    return [raw[-1], Atom("IF", None, opener.start, opener.end), *case]


# an operator and a number not read as any measure's bound: '«<= 5 x ULN»', '«or ≤ 5.0 x ULN»'
# words that open a case: '(<= 5 x ULN if ...)', '(... for patients with ...)', '(in the case of ...)'
_CASE_IN_BRACKET = re.compile(r"\b(?:if|for|in|when|where|unless|except|patients?)\b", re.IGNORECASE)
_BARE_BOUND = re.compile(r"\(?\s*(?:or\s+)?(?:[<>\u2264\u2265]=?|=<|=>)\s*\d", re.IGNORECASE)


def _unread_limit(els: list, k: int, text: str) -> int | None:
    """The index of the bracket just after a bound (at `k`, past fillers) that holds a bound
    read as no measure's: another limit of the same measure for some patients, which
    `_alternative_limit` could not read; None if there is none."""
    while k < len(els) and _is_filler(els[k]):
        k += 1
    if k >= len(els) or not isinstance(els[k], Grp) or not _CASE_IN_BRACKET.search(text, els[k].start, els[k].end):
        return None
    nodes = list(walk(els[k].node))
    if not any(isinstance(n, Unparsed) and _BARE_BOUND.match(n.text) for n in nodes):
        return None
    if not any(isinstance(n, (AnyOf, AllOf, Each)) for n in nodes) and sum(isinstance(n, Conditional) for n in nodes) <= 1:
        return None  # '(<= 3 ULN for Gilbert's syndrome)': one case, whose limit `_limits_for_the_others` sets aside
    return k


# a list: items joined by commas or 'and'
_LISTED = re.compile(r",|\band\b", re.IGNORECASE)


def _kinds_in_brackets(elements: list, text: str) -> list:
    """'cardiovascular disease (ischemic heart disease, peripheral artery disease, and
    stroke)' (NCT03863210): a list of conditions in brackets just after a condition names its
    kinds, any of which is it, not requirements to have them all. Read as 'and', a patient
    with ischemic heart disease alone passed the exclusion. The bracket's all-of becomes an
    any-of, which the evaluator reads as a whole beside its kinds where they are kinds of it."""
    out = list(elements)
    for i in range(1, len(out)):
        grp, term = out[i], out[i - 1]
        abbreviation = isinstance(term, Grp) and isinstance(term.node, Unparsed) and re.fullmatch(r"[A-Z][A-Za-z0-9-]{1,7}", term.node.text)
        if (abbreviation or isinstance(term, Atom) and term.type == "ASIDE") and i >= 2:
            term = out[i - 2]  # 'cardiovascular disease (CVD) (...)': past the abbreviation
        if not (isinstance(grp, Grp) and isinstance(term, Atom) and term.type == "CONDITION" and isinstance(grp.node, AllOf)):
            continue
        if not _LISTED.search(text, grp.start, grp.end):
            continue  # '(including leptomeningeal metastases from solid tumors)': one thing, no list
        if len(grp.node.items) >= 2 and all(type(x) is Condition and x.window is None for x in grp.node.items):
            kinds = AnyOf(items=grp.node.items, span=grp.node.span)
            out[i] = Grp(kinds, grp.start, grp.end, grp.raw, grp.chain)
    return out


def _in_main_unit(bound, main):
    """A bracket's bare bound in the unit of the main limit beside it ('AST and ALT <= 2.5
    ULN (or <= 5 if hepatic metastases are present)'); any other bound as it is."""
    if isinstance(bound, Bnd) and isinstance(main, Bnd) and _plain(bound.qty):
        return Bnd(bound.op, _share_unit(bound.qty, main.qty), bound.start, bound.end)
    return bound


def _plain(q: Qty) -> bool:
    """A bare number: no unit, no time unit, no normal limit."""
    return q.unit is None and q.relative_to is None and q.time is None


def _measure_alone(p) -> bool:
    """An operand that names measures and says nothing of them ('AST' in 'AST or ALT <= 2.5
    x ULN'): it waits for a bound from another operand."""
    if not isinstance(p, Clause) or "MEASURE" not in _kinds(p.elements):
        return False
    # 'Liver function: ALT and AST <= 2 x ULN': a heading before the measures is not one
    sig = [e for e in _after_heading(list(p.elements)) if not _is_filler(e)]
    return bool(sig) and isinstance(sig[0], Atom) and sig[0].type == "MEASURE" and all(
        (isinstance(e, Atom) and e.type in ("MEASURE", "SLASH", "ASIDE")) or isinstance(e, Grp) for e in sig
    )


def _share_bound(parts: list, last_only: bool = False) -> list:
    """'AST and ALT <= 3 x ULN', 'AST/ALT <= 2.5 x ULN': each measure bounded, never only the
    last. A measure named alone takes the bound of the nearest operand after it that bounds
    a measure, and all that operand says after its bound: in 'ALT and AST <= 2.5 x ULN,
    bilirubin <= 1.5 x ULN' ALT's bound is 2.5 x ULN, not bilirubin's, and in 'ALT and AST
    <= 2.5 x ULN (<= 5 x ULN if liver metastases)' ALT's limit is raised too. With
    `last_only` ('INR or APTT <= 1.5 x ULN'), only the last operand's bound is shared, alone."""
    def bound_of(p) -> tuple | None:
        """The bound and all after it ('<= 2.5 x ULN (<= 5 x ULN if liver metastases)',
        '<= 5.0 x ULN for liver metastases', a window): what is said of the bound is said of
        every measure it is shared with."""
        if not isinstance(p, Clause):
            return None
        sig = [e for e in p.elements if not _is_filler(e)]
        if len(sig) < 2 or not (isinstance(sig[0], Atom) and sig[0].type == "MEASURE"):
            return None
        bound = next((e for e in sig[1:] if isinstance(e, (Bnd, Rng))), None)
        if bound is None:
            return None
        at = next(k for k, e in enumerate(p.elements) if e is bound)
        return tuple(p.elements[at:])

    out = list(parts)
    for k in range(len(parts) - 1):
        if not _measure_alone(parts[k]):
            continue
        src = k + 1
        while src < len(parts) and bound_of(parts[src]) is None:
            src += 1  # measures named alone, and words ('INR or PT or aPTT > 1.5 x ULN')
        if src >= len(parts) or (last_only and src != len(parts) - 1):
            continue
        tail = bound_of(parts[src])
        if tail is not None:
            if last_only:
                tail = tail[:1]  # 'INR or APTT <= 1.5 x ULN': each_or_either weighs the bound alone
            p = parts[k]
            els = list(p.elements)
            while els and isinstance(els[-1], Atom) and els[-1].type == "COMMA":
                els.pop()  # 'AST, or ALT < 2.5 x ULN': the bound follows the measure, not its comma
            out[k] = Clause(tuple(els) + tail, p.start, p.end)
    return out


def _raised_for_each(group: list) -> list | None:
    """'AST/SGOT or ALT/SGPT >2.5 x ULN (>5 x ULN in patients with liver metastases)'
    (NCT01917279): the group's limit in brackets after a bound that 'or' shares is every
    measure's, as after 'and' (`_share_bound` hands an 'or' its bound alone). The measures
    named alone, each bounded as the last one is where its case does not hold, get the last
    one's cases; None where the last operand is no such pair of cases. Read with the raised
    limit on the last measure only, a patient with liver metastases and an AST of 3 x ULN
    was excluded."""
    last = group[-1]
    if not (isinstance(last, AllOf) and all(isinstance(i, Conditional) and isinstance(i.then, Comparison) for i in last.items)):
        return None
    if len({i.then.measure for i in last.items}) != 1:
        return None
    plain = next((i.then for i in last.items if isinstance(i.condition, Not)), None)
    if plain is None or not all(isinstance(n, Comparison) and (n.op, n.threshold, n.window) == (plain.op, plain.threshold, plain.window) for n in group[:-1]):
        return None

    def cases_of(n: Comparison) -> AllOf:
        items = tuple(i.model_copy(update={"then": i.then.model_copy(update={"measure": n.measure, "span": n.span}), "span": n.span}) for i in last.items)
        return AllOf(items=items, span=n.span)

    return [*(cases_of(n) for n in group[:-1]), last]


def _bounded_alike(node) -> bool:
    """'AST/ALT <= 2.5 x ULN': an AllOf of comparisons with one operator and threshold."""
    if not isinstance(node, AllOf) or not all(isinstance(i, Comparison) and i.window is None for i in node.items):
        return False
    first = node.items[0]
    return all(i.op == first.op and i.threshold == first.threshold for i in node.items)


def each_or_either(group: list, text: str, start: int, end: int) -> Predicate:
    """Bounds a text joins so that it may mean each of them or one of them: holds when all
    hold, fails when none does, unknown when they disagree (the text, kept as unparsed,
    is what makes it unknown)."""
    whole = Span(start=start, end=end)
    return _all_or_none(Unparsed(text=text[start:end], span=whole), tuple(group), tuple(group), whole)


def _all_or_none(said: Unparsed, every: tuple, some: tuple, span: Span) -> Predicate:
    """'All of `every`, or else `said` and any of `some`': true when all hold, false when
    none does, and unknown between, the words `said` being what is not known (`some` is
    `every` grouped as the canonical text parses it back)."""
    return AnyOf(items=(AllOf(items=every, span=span), AllOf(items=(said, AnyOf(items=some, span=span)), span=span)), span=span)


_POINTER_WORDS = frozenset("see refer to appendix section table attachment annex protocol in the for details list of and".split())


def _pointer(elements) -> bool:
    """'(see Appendix A)', '(Appendix 7)', '(refer to section 5.2)': a pointer to another part of the protocol."""
    words = [str(e.value) for e in elements if isinstance(e, Atom) and e.type == "WORD"]
    plain = all((isinstance(e, Atom) and e.type == "WORD") or (isinstance(e, Qty) and e.unit is None) for e in elements)
    named = any(w in ("appendix", "section", "table", "attachment", "annex") for w in words)
    return plain and named and all(w in _POINTER_WORDS or len(w) == 1 or w.replace(".", "").isdigit() for w in words)


def _scale_range(elements) -> bool:
    """'(range 0-42)' after a score: the scale's range, not a bound the patient must meet."""
    first = elements[0] if elements else None
    return len(elements) == 2 and isinstance(first, Atom) and str(first.value) == "range" and isinstance(elements[1], Rng)


def _regardless(elements) -> bool:
    """'(regardless of MSI status)', '(irrespective of dose)': says the criterion holds whatever that is."""
    first = elements[0] if elements else None
    return isinstance(first, Atom) and first.type == "WORD" and str(first.value) in ("regardless", "irrespective") and len(elements) > 1


def _borrow_measure(parts: list) -> list:
    """'age < 18 or > 60', 'diastolic blood pressure < 40 mmHg or > 100 mmHg': a bound alone
    (maybe with its window) after 'or' bounds the measure the operand before it bounds (an
    unwritten, empty mention of it is put before the bound)."""
    out = list(parts)
    for k in range(1, len(out)):
        here, before = out[k], out[k - 1]
        if not (isinstance(here, Clause) and isinstance(before, Clause)):
            continue
        sig = [e for e in here.elements if not _is_filler(e)]
        prev = [e for e in _after_heading(list(before.elements)) if not _is_filler(e)]
        if len(sig) == 2 and (isinstance(sig[1], Win) or _bracketed_window(sig[1]) is not None):
            sig = sig[:1]  # 'Hemoglobin >= 9 g/dL or >= 5.6 mmol/L (within 14 days of registration)': the window, shared later
        if len(sig) != 1 or not isinstance(sig[0], Bnd) or len(prev) != 2:
            continue
        measure, bound = prev
        if isinstance(measure, Atom) and measure.type in ("MEASURE", "AGE") and isinstance(bound, (Bnd, Rng)):
            mention = Atom(measure.type, measure.value, sig[0].start, sig[0].start)
            out[k] = Clause((mention, *here.elements), here.start, here.end)
            later = sig[0].qty
            if isinstance(bound, Bnd) and _plain(bound.qty) and later.unit is not None and later.time is None and later.relative_to is None:
                # 'BMI < 18.5 or >= 30 kg/m2': the unit written once, after the last bound, is both bounds'
                shared = Bnd(bound.op, _share_unit(bound.qty, later), bound.start, bound.end)
                out[k - 1] = Clause(tuple(shared if e is bound else e for e in before.elements), before.start, before.end)
    return out


def _named_bound(head: list, rest: list) -> bool:
    """A measure alone before a colon and a bound alone after it."""
    named = [e for e in head if not _is_filler(e)]
    bounded = [e for e in rest if not _is_filler(e)]
    return (
        len(named) == 1 and isinstance(named[0], Atom) and named[0].type in ("MEASURE", "AGE")
        and len(bounded) == 1 and isinstance(bounded[0], (Bnd, Rng))
    )


# Headings that name whom the list is for ('Part 1F: prostate cancer', 'Cohort B:', 'For
# pediatric patients:') restrict it to a group the record cannot place the patient in.
_COHORT_WORDS = frozenset(
    "part parts cohort cohorts arm arms phase group groups population populations only for "
    "expansion escalation substudy sub-study step stage period patients participants subjects "
    "children adults adult pediatric paediatric adolescents infants men women".split()
)


def _is_heading(head: list) -> bool:
    """'Renal function' before a colon: a few plain words or measure names, nothing to judge."""
    return (
        bool(head)
        and len(head) <= 6
        and all(isinstance(e, Atom) and (e.type in ("WORD", "MEASURE") or (e.type == "JUDGE" and e.value in _NARROW_JUDGMENTS)) for e in head)
        and not any(e.type == "WORD" and (str(e.value).lower() in _COHORT_WORDS or _NUMBERED_PART.fullmatch(str(e.value))) for e in head)
    )


# 'Cohort2', 'Part1a', 'Arm3': a part of the study written as one word (NCT04175847's 'Cohort2：
# advanced ovarian carcinoma', read as a topic, asked ovarian cancer of every patient)
_NUMBERED_PART = re.compile(r"(?:parts?|cohorts?|arms?|phases?|groups?)\d{1,2}[a-z]?", re.IGNORECASE)


def _after_heading(elements: list) -> list:
    """The elements after a heading and its colon ('Renal function: ...'), or all of them."""
    colon = next((i for i, e in enumerate(elements) if isinstance(e, Atom) and e.type == "COLON"), None)
    if colon is not None and _is_heading(elements[:colon]) and elements[colon + 1 :]:
        return elements[colon + 1 :]
    return elements


_EVENTS = ("CONDITION", "DRUG", "PROCEDURE")


def _share_window(parts: list) -> list:
    """'myocardial infarction or stroke within 6 months': the window covers each event."""
    if len(parts) < 2 or not isinstance(parts[-1], Clause):
        return parts
    last = parts[-1].elements
    win = next((e for e in last if isinstance(e, Win)), None)
    if win is None and last and _measured(last[:-1]) and _bracketed_window(last[-1]) is not None:
        win = Win(_bracketed_window(last[-1]), last[-1].start, last[-1].end)  # '... > 30 mL/min (obtained within 4 weeks)'
    if win is None or win.window is None:
        return parts
    # only an event's window is shared with events, and a measurement's with measurements:
    # 'HIV and ANC >= 500 /uL within 7 days' times the count; 'Creatinine <= 2.0 mg/dL or
    # creatinine clearance > 30 mL/min (within 4 weeks)' times both (read for the last only,
    # a creatinine of last year passed)
    head = next((e for e in last if not _is_filler(e) and not (isinstance(e, Atom) and e.type in ("HIST", "ACTIVE"))), None)
    if _measured(last) or _measured(last[:-1]) and _bracketed_window(last[-1]) is not None:
        return [
            _with_window(p, win) if isinstance(p, Clause) and _measured(p.elements) and not _has_window(p.elements) else p
            for p in parts[:-1]
        ] + [parts[-1]]
    if not (isinstance(head, Atom) and head.type in _EVENTS):
        return parts
    if any(isinstance(e, Atom) and e.type == "WORD" and e.value in _RELATIVE and head.end <= e.start < win.start for e in last):
        # 'History of uveitis, or an active autoimmune disease that has required systemic
        # treatment in the past 2 years' (NCT05107674): a window inside the last event's
        # relative clause is the clause's; shared, a uveitis of 2010 passed
        return parts
    # the events before it, back to an operand with a window of its own ('chemotherapy or
    # targeted therapy within 2 weeks or radiotherapy within 4 weeks': 4 weeks is not
    # chemotherapy's)
    out = list(parts)
    for i in range(len(parts) - 2, -1, -1):
        p = parts[i]
        if not isinstance(p, Clause) or _has_window(p.elements):
            break
        sig = [e for e in p.elements if not _is_filler(e) and not (isinstance(e, Atom) and e.type in ("HIST", "ACTIVE"))]
        if sig and all(isinstance(e, Atom) and e.type in _EVENTS for e in sig):
            out[i] = _with_window(p, win)
    return out


_RELATIVE = frozenset(("that", "which", "who"))

# words that make a window the time of a beginning, an end or a change, not of taking a drug
# or having a condition ('initiated ... <1 month prior', 'completed ... within 6 months')
_OTHER_TIME = re.compile(r"initiat|start|began|begun|commenc|chang|discontinu|stop|complet|finish|last|end", re.IGNORECASE)


def _said_of_another_time(part: Clause) -> bool:
    return any(isinstance(e, Atom) and e.type == "WORD" and _OTHER_TIME.match(str(e.value)) for e in part.elements)


_THERAPY_WORD = re.compile(r"therap|agent|drug|inhibitor|treatment|chemo|radiat|antibod", re.IGNORECASE)
_PLACE_WORDS = frozenset(("in", "on", "around", "into", "at", "to", "of"))


def _names_another_therapy(sig: list) -> bool:
    """Words not understood before a window that name one more therapy of a list ('other
    anti-cancer therapy <21 days', 'non-hormonal targeted therapy within 28 days') and no
    place or object ('intra-articular injection in the affected knee in the previous 6
    months' says where the surgery before it was, too)."""
    words = [str(e.value).lower() for e in sig if isinstance(e, Atom) and e.type == "WORD"]
    return any(_THERAPY_WORD.search(w) for w in words) and not _PLACE_WORDS.intersection(words)


def _kinds_of(part: Clause) -> set:
    return {e.type for e in part.elements if isinstance(e, Atom) and e.type in _EVENTS}


def _with_window(part: Clause, win: Win) -> Clause:
    """An operand with a window shared from a later one ('unstable angina, or ...': the comma
    and the 'or' are not the window's, or the window would be read as a piece of its own)."""
    elements = list(part.elements)
    while elements and _is_filler(elements[-1]):
        elements.pop()
    return Clause((*elements, win), part.start, part.end)


def _doubt_windows(nodes: list, doubts: list, text: str) -> list:
    """The operands an earlier operand's window may cover (`_windows_in_doubt`), each made
    an event that holds where it fell in the window, fails where there is none, and is
    unknown between ('radiotherapy, chemotherapy, endocrine therapy within 4 weeks',
    'minor surgery or needle biopsies within 7 days': whether the window covers the first
    events too is not known; the window's words beside them, as words that only narrow
    them, say so: engine.nodes.is_lookback). Applied to the operands as the other passes left
    them, found by where they stand in the text."""
    if not doubts:
        return nodes
    out = []
    for n in nodes:
        found = next((w for start, end, w in doubts if start <= n.span.start and n.span.end <= end), None)
        events = [x for x in walk(n) if isinstance(x, (Condition, Medication, Procedure))] if found is not None else []
        # (an event with a window of its own, or one already in doubt, is not)
        bare = (
            events
            and all(x.window is None for x in events)
            and narrowable(n)  # (a condition's or an exception's scope is not the window's)
            and not any(isinstance(x, Modifier) and is_lookback(x.text) for x in walk(n))
        )
        out.append(_in_doubt(n, *found, text) if bare else n)
    return out


def _doubt_windows_in(node: Predicate, doubts: list, text: str) -> Predicate:
    """`_doubt_windows` on the operands of an 'or' (or on a lone node)."""
    if not doubts:
        return node
    if isinstance(node, AnyOf):
        items = []
        for n in _doubt_windows(list(node.items), doubts, text):
            items.extend(n.items if isinstance(n, AnyOf) else (n,))
        return AnyOf(items=tuple(items), span=node.span)
    return _doubt_windows([node], doubts, text)[0]


def _in_doubt(node: Predicate, win: Win, timed: bool, text: str) -> Predicate:
    """'(X within W) or (history of X «W»)': X in the window, or X ever with the window's
    words beside it (ever: the words narrow an event ever had, not one going on now, and
    'receiving steroids' over the last 7 days is more than receiving them today). Without
    the first where the window's own words may say more of X than when (`timed` false)."""
    said, span = text[win.start : win.end], Span(start=win.start, end=win.end)
    ever = _as_ever(node)
    item = ever.item if isinstance(ever, Qualified) else ever
    words = Modifier(text=said, span=span) if _looks_back(item, said) else Unparsed(text=said, span=span)
    if isinstance(ever, Qualified):
        doubtful = Qualified(item=ever.item, qualifiers=(*ever.qualifiers, words), span=node.span)
    else:
        doubtful = Qualified(item=ever, qualifiers=(words,), span=node.span)
    within = _within(node, win.window) if timed else None
    return doubtful if within is None else AnyOf(items=(within, doubtful), span=node.span)


def _as_ever(node: Predicate) -> Predicate:
    """An event as had at any time: 'active malignancy' -> 'history of malignancy', a drug
    taken now -> 'history of' it (words around it kept)."""
    if isinstance(node, Condition) and node.active:
        return node.model_copy(update={"active": None, "history": True})
    if isinstance(node, Medication) and not node.history:
        return node.model_copy(update={"history": True})
    if isinstance(node, Qualified):
        return Qualified(item=_as_ever(node.item), qualifiers=node.qualifiers, span=node.span)
    if isinstance(node, (AllOf, AnyOf)):
        return type(node)(items=tuple(_as_ever(i) for i in node.items), span=node.span)
    return node


def _looks_back(item: Predicate, words: str) -> bool:
    """Words of a window back in time beside events that have none: they only narrow them
    (an event within 6 months is an event), so no event on record is none within them."""
    if not is_lookback(words) or _COUNTED_ELSEWHERE.search(words):
        return False  # (the words first: most qualifiers are no window, and walking is dear)
    events = [n for n in walk(item) if isinstance(n, (Condition, Medication, Procedure))]
    return bool(events) and all(n.window is None and _had_ever(n) for n in events) and narrowable(item)


def _had_ever(event: Condition | Medication | Procedure) -> bool:
    """An event read as had at any time, which a window can only narrow: not one going on
    now ('Any active malignancy <= 2 years' is more than an active one today)."""
    if isinstance(event, Condition):
        return not event.active
    if isinstance(event, Medication):
        return event.history
    return True


_COUNTED_ELSEWHERE = re.compile(r"\b(?:after|following|since|from)\b", re.IGNORECASE)


def _within(node: Predicate, window: Window) -> Predicate | None:
    """An event (maybe with words that qualify it) within `window`; None for anything else."""
    if isinstance(node, (Condition, Medication, Procedure)):
        return node.model_copy(update={"window": window}) if node.window is None else None
    if isinstance(node, Qualified):
        inner = _within(node.item, window)
        return None if inner is None else Qualified(item=inner, qualifiers=node.qualifiers, span=node.span)
    return None


def _windows_in_doubt(parts: list) -> list[tuple[int, int, tuple[Win, bool]]]:
    """The operands a later operand's window may cover too, each as (start, end, (the
    window, whether an event in it is certain: `_in_doubt`)): an event with no window,
    followed (past operands with no window) by an operand with one. `_share_window` has
    already shared the windows that are not in doubt, so what is left is where it could not
    tell ('Prior minor surgery or needle biopsies within 7 days': 'needle' is no event word)."""
    if not any(isinstance(e, Win) for p in parts[1:] if isinstance(p, Clause) for e in p.elements):
        return []  # no window after the first operand (most lists)
    out: list = []
    pending: list[int] = []
    for i, p in enumerate(parts):
        if not isinstance(p, Clause):
            pending = []
            continue
        sig = [e for e in p.elements if not _is_filler(e)]
        kinds = _kinds_of(p)
        win = next((e for e in sig if isinstance(e, Win)), None)
        if any(isinstance(e, (Bnd, Rng)) for e in sig) or _has_window(p.elements) and (win is None or win.window is None):
            pending = []
        elif win is not None and win.window is not None and (win.window.relation != "within" or _counted_from_else(sig, win)):
            # 'stable for at least 2 weeks prior to enrollment', 'within 5 months after the
            # final dose': no window back from now that an event before it could share
            pending = []
        elif win is not None and win.window is not None:
            # an event's window, or words not understood with one ('targeted small
            # molecule therapy within 2 weeks'); a treatment's window is not a diagnosis's
            # ('a diagnosis of immunodeficiency or ... immunosuppressive therapy within 7 days')
            if any(_said_of_another_time(parts[j]) for j in [*pending, i]):
                pending = []  # 'Bisphosphonates ... initiated, or dose changed <1 month prior': when they began
                continue
            for j in pending:
                if not (kinds and "CONDITION" not in kinds and _kinds_of(parts[j]) == {"CONDITION"}):
                    # (words not understood with the window may say more of the events
                    # than when: 'surgical intervention or intra-articular injection in
                    # the affected knee in the previous 6 months'; then an event in the
                    # window is no more certain than one outside it)
                    out.append((parts[j].start, parts[j].end, (win, bool(kinds) or _names_another_therapy(sig))))
            pending = []
        elif kinds:
            pending.append(i)
    return out


_COUNTED_FROM = frozenset(("after", "following", "post", "since", "from", "of"))


def _counted_from_else(sig: list, win: Win) -> bool:
    """A window whose words go on to count from something it did not read ('within 5 months
    after the final dose', 'within 6 months of discontinuing the drug')."""
    at = sig.index(win)
    nxt = sig[at + 1] if at + 1 < len(sig) else None
    return isinstance(nxt, Atom) and nxt.type == "WORD" and str(nxt.value).lower() in _COUNTED_FROM


def _has_window(elements) -> bool:
    return any(isinstance(e, Win) or _bracketed_window(e) is not None for e in elements)


def _measured(elements) -> bool:
    """A measure and its bound alone, with no window of its own ('ANC >= 1500/uL',
    'creatinine clearance > 30 mL/min within 4 weeks' has one)."""
    sig = [e for e in elements if not _is_filler(e)]
    return (
        len(sig) >= 2
        and isinstance(sig[0], Atom)
        and sig[0].type == "MEASURE"
        and sum(isinstance(e, (Bnd, Rng)) for e in sig) == 1
        and all(isinstance(e, (Bnd, Rng, Win)) or (isinstance(e, Atom) and e.type == "MEASURE") for e in sig)
    )


def _merge_text(nodes: list, text: str, cls) -> list:
    """Neighbouring unparsed pieces (or judgments) read better as one piece of text."""
    out: list = []
    for n in nodes:
        prev = out[-1] if out else None
        if prev is not None and any(c in text[prev.span.start : n.span.end] for c in "()[]\u00ab\u00bb"):
            out.append(n)  # pieces from different brackets, or quoted apart, stay apart
        elif _textual(n) and _textual(prev):
            out[-1] = Unparsed(text=text[prev.span.start : n.span.end], span=Span(start=prev.span.start, end=n.span.end))
        elif isinstance(n, Judgment) and (isinstance(prev, Judgment) or _textual(prev)) or _textual(n) and isinstance(prev, Judgment):
            category = prev.category if isinstance(prev, Judgment) else n.category
            out[-1] = Judgment(category=category, text=text[prev.span.start : n.span.end], span=Span(start=prev.span.start, end=n.span.end))
        else:
            out.append(n)
    return out


# ---------------------------------------------------------------------------------------
# One sequence: which structure its elements make


# 'For A or B: ...' on one line: whom the rest is asked of (one alone is `_Assembler.clause`'s)
# a label at the head of a line ('Cohort 3B:', 'Part 2A:') and any label after a stop in it
_HEAD_LABEL = re.compile(r"\s*([^:;.]{1,40}?)\s*:\s*(?=\S)")
_LATER_LABEL = re.compile(r"(?:^|[;.(]\s*)([^:;.()]{1,40}?)\s*:")
_FULL_STOP = re.compile(r"\.\s+[A-Z]")


def _label_of_its_list(text: str) -> re.Match[str] | None:
    """The match of a part of the study's label (`_COHORT_LABEL`) at the head of a ';' list
    that is all that part's: one sentence, no other part named before a colon in it ('Part 1:
    ECOG 0-2; Part 2: ECOG 0-1' has a label for each item). Read as a colon's head, the label
    was the first item's only and the items after it were asked of everyone. None otherwise."""
    head = _HEAD_LABEL.match(text)
    if head is None or not _COHORT_LABEL.fullmatch(head.group(1)):
        return None
    rest = text[head.end() :]
    if ";" not in rest.rstrip(" ;.") or _FULL_STOP.search(rest):
        return None
    if any(_COHORT_LABEL.fullmatch(m.group(1)) for m in _LATER_LABEL.finditer(rest)):
        return None
    return head


_FOR_WHOM = re.compile(r"\s*(?:\d{1,2}[.)]\s*)?(for\s+[^:;.]*?\b(?:or|and|and/or)\b[^:;.]*?)\s*:\s*(\S)", re.IGNORECASE)
# a line about women of childbearing potential that speaks of men too
_MEN_OR_PARTNERS = re.compile(r"\b(?:men|males?|man|boys?|partners?|sperm|father(?:ing)?|sexually active)\b", re.IGNORECASE)
_JUDGMENT_RANK = ("consent", "life_expectancy", "contraception", "pregnancy_test", "investigator_opinion", "willingness", "tumor_assessment", "trial_participation", "organ_function", "specimen", "legal_status", "medical_judgment", "language", "protocol_reference", "compliance")
# Judgments named by a phrase inside a clause that may say more: 'breast cancer with
# measurable disease', 'patients enrolled in the study must have ANC >= 1500'. They take the
# clause only when nothing else in it is understood; beside a condition, drug, procedure,
# measure or bound they stay words not understood, so the rest still counts.
_NARROW_JUDGMENTS = frozenset(
    {"tumor_assessment", "trial_participation", "organ_function", "specimen", "legal_status", "medical_judgment", "language", "protocol_reference"}
)
_UNDERSTOOD = ("CONDITION", "DRUG", "PROCEDURE", "MEASURE", "SEX", "AGE")
_JUDGMENT_CATEGORIES = frozenset(Judgment.model_fields["category"].annotation.__args__)


class _Assembler:
    def __init__(self, text: str):
        self.text = text

    def _span_text(self, start: int, end: int) -> str:
        return self.text[start:end]

    def unparsed(self, elements) -> Unparsed:
        elements = _trim(elements) or elements
        start, end = _start(elements[0]), _end(elements[-1])
        return Unparsed(text=self._span_text(start, end), span=Span(start=start, end=end))

    def literal(self, e: Atom) -> Unparsed:
        """«text» in canonical form: the text between the guillemets, as written."""
        return Unparsed(text=self.text[e.start + 1 : e.end - 1], span=Span(start=e.start, end=e.end))

    def qualifiers(self, els: list, indices: list[int]) -> tuple[Unparsed, ...]:
        out: list[Unparsed] = []
        run: list = []
        last = -1
        for i in indices:
            e = els[i]
            if isinstance(e, Atom) and e.type == "UNPARSED_LIT":
                if run:
                    out.append(self.unparsed(run))
                    run = []
                out.append(self.literal(e))
                continue
            if run and last != i - 1:  # not els.index(run[-1]): quadratic in a long list
                out.append(self.unparsed(run))
                run = []
            run.append(e)
            last = i
        if run:
            out.append(self.unparsed(run))
        return tuple(out)

    def _defined_function(self, elements: list) -> Predicate | None:
        """'Adequate renal function defined as creatinine <= 1.5 x ULN', 'Adequate bone marrow
        function (ANC >= 1.5 x 10^9/L, platelets >= 100 x 10^9/L)': the organ function is
        what the bounds after it define, so it is those bounds. Only when it comes first, what
        joins it to them says so (or says nothing), and every leaf after it is a bound on a
        laboratory measure: with anything else there ('adequate organ reserve, age > 20', 'such
        as creatinine ...') the words stay as words not understood."""
        sig = [i for i, e in enumerate(elements) if not _is_filler(e)]
        if not sig or not (isinstance(elements[sig[0]], Atom) and elements[sig[0]].type == "JUDGE" and elements[sig[0]].value == "organ_function"):
            return None
        if self.text[elements[sig[0]].start : elements[sig[0]].end].lower().startswith(("inadequate", "insufficient")):
            return None  # 'inadequate ... (ANC >= 1500 required)': which side the bounds give is not sure
        rest = elements[sig[0] + 1 :]
        while rest and (_is_filler(rest[0]) or (isinstance(rest[0], Atom) and rest[0].type == "WORD" and str(rest[0].value) in _DEFINING)):
            rest = rest[1:]
        if not rest or any(isinstance(e, Atom) and e.type in ("JUDGE", "EXAMPLES") for e in rest):
            return None
        node = self.clause(rest)
        leaves = [n for n in walk(node) if not isinstance(n, (AllOf, AnyOf, Each))]
        if leaves and all(isinstance(n, (Comparison, Range)) and n.measure not in ("age", "daily dose", "prednisone equivalent daily dose") for n in leaves):
            return node
        return None

    def _bounds_beside_judgment(self, elements: list) -> Predicate | None:
        """'ECOG score <= 2, expected survival >= 3 months', 'Female, age >= 18 years and <= 70
        years, signed informed consent', 'Hemoglobin >= 8 g/dL; Patients must be able to meet
        the criteria without receipt of transfusion ...': pieces cut at commas and sentence
        stops, the study team's judgment one of them, the others bounds the record can check
        (a measure, an age, a sex). Read as one judgment, the whole line was the team's to
        judge and a patient of 80, or with ECOG 3, was not ruled out. Each piece is a criterion
        of its own (all of them in an inclusion, any of them in an exclusion). None where any
        other piece is more than such bounds: its words may belong to the judgment ('Subject
        with a significant medical condition, currently uncontrolled, which, in the
        investigator's opinion, ...')."""
        cuts = [i for i in range(1, len(elements) - 1) if _stops_sentence(self.text, elements, i) or _cutting_comma(elements, i)]
        if not cuts:
            return None
        pieces, start = [], 0
        for c in [*cuts, len(elements)]:
            piece = elements[start:c]
            start = c + 1
            if piece and not all(_is_filler(e) for e in piece):
                pieces.append(piece)
        judged = ["JUDGE" in _kinds(piece) for piece in pieces]
        if len(pieces) < 2 or all(judged):
            return None
        if any(_RELAXES.search(self.text, _start(p[0]), _end(p[-1])) for p, judge in zip(pieces, judged) if judge):
            return None  # 'Hemoglobin > 8 g/dL. Patients may receive transfusions to achieve this level at the discretion of the investigator'
        if any(_CASE_LEAD.match(self.text, _start(p[0])) for p, judge in zip(pieces, judged) if not judge):
            return None  # 'For adolescents over 18 years of age, able to provide informed consent': a case, not a bound
        nodes = []
        for piece, judge in zip(pieces, judged):
            node = self.clause(piece)
            if not judge and not all(isinstance(n, (AllOf, AnyOf, Comparison, Range, Sex)) for n in walk(node)):
                return None
            nodes.append(node)
        return Each(items=tuple(nodes), span=Span(start=_start(elements[0]), end=_end(elements[-1])))

    @clause_limit
    def clause(self, elements: list) -> Predicate:
        elements = _trim(elements) or elements
        kinds = _kinds(elements)
        start, end = _start(elements[0]), _end(elements[-1])
        span = Span(start=start, end=end)
        # canonical literals: «text», judgment(category) «text»
        sig = [e for e in elements if not _is_filler(e)] if "JUDGMENT_LIT" in kinds or "UNPARSED_LIT" in kinds else ()
        if len(sig) == 1 and isinstance(sig[0], Atom) and sig[0].type in ("JUDGMENT_LIT", "UNPARSED_LIT"):
            return self._literal(sig[0], elements, span)
        # the study team's to judge: consent, compliance, opinion, life expectancy
        judged = [e.value for e in elements if isinstance(e, Atom) and e.type == "JUDGE"] if "JUDGE" in kinds else []
        if judged:
            for_them = self._asked_of_women_who_can_bear_children(elements, span)
            if for_them is not None:
                return for_them
        if judged and set(judged) <= _NARROW_JUDGMENTS and any(
            (isinstance(e, Atom) and e.type in _UNDERSTOOD) or isinstance(e, (Bnd, Rng)) or (isinstance(e, Grp) and not isinstance(e.node, (Unparsed, Judgment)))
            for e in elements
        ):
            defined = self._defined_function(elements)
            if defined is not None:
                return defined
            elements = [Atom("WORD", self.text[e.start : e.end].lower(), e.start, e.end) if isinstance(e, Atom) and e.type == "JUDGE" else e for e in elements]
            kinds = _kinds(elements)
            judged = []
        if judged:
            apart = self._bounds_beside_judgment(elements)
            if apart is not None:
                return apart
            # the most specific word names it: 'able to provide written informed consent' is consent
            category = min(judged, key=_JUDGMENT_RANK.index)
            judgment = Judgment(category=category, text=self._span_text(start, end), span=span)
            if category == "pregnancy_test":
                # 'Positive pregnancy test', 'A negative pregnancy test': asked of women, it
                # neither rules a man out nor is required of him
                return Conditional(condition=Sex(sexes=("female",), span=span), then=judgment, span=span)
            return judgment
        # a pending exception in brackets binds to what precedes it
        for i, e in enumerate(elements if Grp in kinds else ()):
            if isinstance(e, Grp) and isinstance(e.node, _PendingNode) and i > 0:
                main = self.clause(elements[:i])
                mode, excepted = e.node.mode, e.node.exception
                if mode == "except" and _group_limit(main, excepted, self.text):
                    mode, excepted = "unless", _held_to(excepted)
                exc = Exception_(mode=mode, main=main, exception=excepted, span=Span(start=start, end=e.end))
                rest = elements[i + 1 :]
                if rest and not all(_is_filler(r) for r in rest):
                    return Qualified(item=exc, qualifiers=(self.unparsed(rest),), span=span)
                return exc
        # a heading before a colon: 'Renal function: creatinine clearance >= 50 mL/min'
        colon = next((i for i, e in enumerate(elements) if isinstance(e, Atom) and e.type == "COLON"), None) if "COLON" in kinds else None
        if colon is not None:
            head, rest = elements[:colon], elements[colon + 1 :]
            cond = self._condition_before_colon(head)
            if cond is not None and all(_is_filler(e) for e in rest):
                # 'For the patients with breast cancer:': the heading of the items for them,
                # which asks nothing itself (engine.parse types it so)
                return self.unparsed(elements)
            if cond is not None:
                # 'For patients with glioblastoma: Karnofsky >= 50%', 'For GBM patients: ...':
                # what follows the colon is asked of those patients only
                return Conditional(condition=cond, then=self.clause(rest), span=span)
            following = next((e for e in head if isinstance(e, Atom) and e.type == "FOLLOWING"), None)
            if following is not None and not rest:
                return self._following(head, following, span)
            if _named_bound(head, rest):
                # 'BMI: 18~30 kg/m2', 'Age: 18 to 70': the colon stands between a measure and its bound
                return self.clause([*head, *rest])
            if rest and _is_heading(head):
                node = self.clause(rest)
                if _says(head, _EXAMPLES_HEAD):
                    # 'Such methods include: combined hormonal contraception; IUD': examples of
                    # what the heading names, not requirements, and not all of them either
                    items = node.items if isinstance(node, (Each, AllOf, AnyOf)) else (node,)
                    return Qualified(item=AnyOf(items=items, span=node.span) if len(items) > 1 else items[0], qualifiers=(self.unparsed(head),), span=span)
                if isinstance(node, (Each, AllOf)) and _says(head, _ALTERNATIVES_HEAD):
                    # 'Indications of breast reconstruction: breast cancer, DCIS, ...': any one
                    return AnyOf(items=node.items, span=node.span)
                return node
        case_comma = _for_one_case(elements)
        if case_comma is not None:
            # 'For female patients, current pregnancy' (`_for_one_case`)
            return self._case_of_its_sentence(elements, case_comma, span)
        # 'if X, Y' and 'Y if X'
        if_at = next((i for i, e in enumerate(elements) if isinstance(e, Atom) and e.type == "IF"), None) if "IF" in kinds else None
        stop = _limits_then_a_case(elements, if_at, self.text) if if_at is not None and if_at > 1 and not _ends_sentence(elements[if_at - 1]) else None
        if if_at is not None and if_at > 1 and (stop is not None or _ends_sentence(elements[if_at - 1]) or self._opens_sentence(elements, if_at)):
            # 'Total bilirubin <= 1.5 mg/dL. For patients with Gilbert syndrome, the direct
            # bilirubin should be < ULN': the 'for' opens a sentence of its own, whose case
            # is what follows it, not the sentence before (read so, any bilirubin passed
            # without Gilbert syndrome); so too where the case closes its sentence ('Serum
            # bilirubin <= 1.5 x ULN. The maximum allowable bilirubin is <= 2.5 x ULN for
            # patients with Gilbert's disease')
            if stop is not None:
                cut, case_at = stop, stop + 1
            else:
                cut, case_at = (if_at - 1 if _ends_sentence(elements[if_at - 1]) else if_at), if_at
            before, after = self.clause(elements[:cut]), self.clause(elements[case_at:])
            if not isinstance(after, Conditional):
                # ('In case of known Gilbert's syndrome <= 3 x ULN is allowed'): a case not
                # read; as a requirement of its own, everyone without it failed
                if isinstance(before, Unparsed):
                    return self.unparsed(elements)
                return Qualified(item=before, qualifiers=(self.unparsed(elements[case_at:]),), span=span)
            # 'AST/ALT <= 2.5 x ULN. If liver metastases are present, AST/ALT < 5 x ULN': the
            # second limit is the first one's for those patients, as in brackets (of the first
            # sentence's limits, those of the measures the group's limit bounds)
            aside = _limits_for_the_others([before, after], 1, self.text) if _group_rule(after, self.text) else [before, after]
            if aside[0] is not before:
                first = aside[0].items if isinstance(aside[0], AllOf) else (aside[0],)
                return AllOf(items=(*first, aside[1]), span=span)
            return _combine([before, after], span, self.text, [False, False])
        if if_at is not None:
            if if_at == 0:
                comma = next((i for i, e in enumerate(elements) if isinstance(e, Atom) and e.type == "COMMA"), None)
                if comma is not None and 1 < comma < len(elements) - 1:
                    return self._case_of_its_sentence(elements, comma, span)
            elif if_at < len(elements) - 1:
                stop = next((i for i in range(if_at + 1, len(elements) - 1) if _ends_sentence(elements[i])), None)
                if stop is not None and _holds_bound(Clause(tuple(elements[stop + 1 :]), _start(elements[stop + 1]), _end(elements[-1]))):
                    # 'Baseline QTc > 480 if QRS width normal; QTc > 510 if QRS > 120': the case
                    # ends at its semicolon, and the limit after it is a sentence of its own (read
                    # into the case, the second limit was a condition of the first)
                    sentences = [self.clause(elements[:stop]), self.clause(elements[stop + 1 :])]
                    return _combine(sentences, span, self.text, [False, False])
                then = self.clause(elements[:if_at])
                cond = self.clause(elements[if_at + 1 :])
                # (not '(A; B) if (G)', as canonical text writes a case of the whole list)
                listed = None if _bracketed(Clause(tuple(elements[:if_at]), start, start)) else self._case_of_the_last_limit(then, cond, span)
                if listed is not None:
                    return listed
                return Conditional(condition=cond, then=then, span=span)
        # 'X such as A, B': examples are instances of X, so alternatives to it
        ex = next((i for i, e in enumerate(elements) if isinstance(e, Atom) and e.type == "EXAMPLES"), None) if "EXAMPLES" in kinds else None
        if ex is not None:
            head, tail = elements[:ex], elements[ex + 1 :]
            pieces = [p for p in _split(tail, ("COMMA", "SEMI")) if not all(_is_filler(e) for e in p)]
            has_head = bool(head) and not all(_is_filler(e) for e in head)
            parts = [Clause(tuple(p), _start(p[0]), _end(p[-1])) for p in ([head] if has_head else []) + pieces]
            doubts = _windows_in_doubt(parts)
            head_node = self.clause(head) if has_head else None
            examples = [self.clause(p) for p in pieces]
            if head_node is None and not examples:
                return self.unparsed(elements)
            return _doubt_windows_in(with_examples(head_node, examples, self.text), doubts, self.text)
        cases = self._sex_cases(elements, span)
        if cases is not None:
            return cases
        # comma-separated parts: each assembled, the unparsed ones qualify the rest
        if "COMMA" not in kinds and "SEMI" not in kinds:
            return self.simple(elements)  # one piece: what the rest of this method comes to
        pieces = _split(elements, ("COMMA", "SEMI"))
        for k in range(len(pieces) - 1, 0, -1):
            if pieces[k] and pieces[k - 1] and _values_on([pieces[k - 1][-1], None, pieces[k][0]], 1):
                pieces[k - 1 : k + 1] = [[*pieces[k - 1], *pieces[k]]]  # 'ECOG = 0, 1': one list of values
        negated_each = any(
            isinstance(q[0], Atom) and q[0].type == "NOT" for q in ([e for e in p if not _is_filler(e)] for p in pieces[1:]) if q
        )
        if len(pieces) > 1 and isinstance(elements[0], Atom) and elements[0].type == "NOT" and len(pieces[0]) > 1 and not negated_each:
            # 'No history of myocardial infarction, unstable angina within 6 months': the
            # negation covers every item of the list, not only the first (but in 'no brain
            # metastasis, no liver metastasis' each item says its own)
            inner = self.clause(elements[1:])
            return Not(item=inner, span=span)
        if len(pieces) > 1:
            pieces = [p for p in pieces if not all(_is_filler(e) for e in p)]
            cause = self._cause_list(pieces, span)
            if cause is not None:
                return cause
            nodes = [self._piece(p) for p in pieces]
            plain = [_plain_event(Clause(tuple(p), _start(p[0]), _end(p[-1]))) for p in pieces]
            for k in range(len(pieces) - 1, 0, -1):
                if _describes_the_piece_before(pieces[k]) and not plain[k] and not isinstance(nodes[k], Unparsed) and not isinstance(nodes[k - 1], Unparsed):
                    # 'History of cardiac disease, with NYHA Class II or greater', 'Diabetes,
                    # with HbA1c > 8%': what the piece before has, not an item of its own (as an
                    # item, any cardiac disease excluded)
                    nodes[k - 1] = AllOf(items=(nodes[k - 1], nodes[k]), span=Span(start=nodes[k - 1].span.start, end=nodes[k].span.end))
                    del nodes[k], plain[k]
            if len(nodes) == 1:
                return nodes[0]
            return _combine(nodes, span, self.text, plain)
        return self.simple(elements)

    def _case_of_the_last_limit(self, then: Predicate, cond: Predicate, span: Span) -> Predicate | None:
        """'Total serum bilirubin <= 1.5 x ULN, total serum bilirubin <= 3 x ULN in patients
        with Gilbert syndrome' (NCT05438810, NCT05439499): in a list of limits (commas or
        semicolons between them), a case written after the last one is that limit's, where it sets aside a limit of the same measures
        before it (`_limits_for_the_others`) as the same limits joined by 'or' read. Read as
        the case of the whole list, any bilirubin passed without Gilbert's syndrome. None
        where the list sets nothing aside."""
        if isinstance(then, Qualified) and len(then.qualifiers) == 1 and _measurement(then.qualifiers[0]):
            # 'AST(SGOT)/ALT(SGPT) <=3 X institutional ULN; <= 5.0 x ULN in patients with liver
            # metastases': the case's bound, whose measure was not read, was left beside the
            # limits as words not understood
            then = Each(items=(then.item, then.qualifiers[0]), span=then.span)
        if not isinstance(then, Each) or len(then.items) < 2:
            return None  # (not 'total bilirubin <= 3 x ULN with direct bilirubin <= ULN in ...')
        last = then.items[-1]
        rule = Conditional(condition=cond, then=last, span=Span(start=last.span.start, end=span.end))
        if not _group_rule(rule, self.text):
            return None
        aside = _limits_for_the_others([*then.items[:-1], rule], len(then.items) - 1, self.text)
        if all(a is b for a, b in zip(aside, then.items[:-1])):
            return None
        return then.model_copy(update={"items": tuple(aside), "span": span})

    def _case_of_its_sentence(self, elements: list, comma: int, span: Span) -> Predicate:
        """'For patients with Gilbert syndrome, the direct bilirubin should be within the
        institutional normal range. Serum alkaline phosphatase should be <= 1.5x Institutional
        ULN.' (NCT04893109): a case that opens its sentence ('If', 'For patients with', 'For'
        and one thing), up to its comma, is the case of that sentence only; limits in the
        sentences after its full stop are everyone's, as `_Build._if_opened` reads a chain.
        Read into the case, an alkaline phosphatase of 3 x ULN passed without Gilbert's."""
        condition = self.clause(elements[1:comma])
        stop = _stop_before_limits(elements, comma + 1, self.text)
        if stop is None:
            return Conditional(condition=condition, then=self.clause(elements[comma + 1 :]), span=span)
        case = Conditional(condition=condition, then=self.clause(elements[comma + 1 : stop]), span=Span(start=span.start, end=_end(elements[stop - 1])))
        return _combine([case, self.clause(elements[stop + 1 :])], span, self.text, [False, False])

    def _opens_sentence(self, elements: list, if_at: int) -> bool:
        """'ECOG score <= 3 If enrolled with primary CNS tumor to be assessed by RANO,
        Karnofsky Performance Score (KPS) >= 50%' (NCT02576431): a capital 'If' after a
        bound, with a comma after its case, opens a sentence whose stop was left out. Read
        as 'ECOG <= 3 if (KPS >= 50 ...)', the case and the requirement were swapped."""
        e = elements[if_at]
        comma = next((i for i in range(if_at + 2, len(elements) - 1) if isinstance(elements[i], Atom) and elements[i].type == "COMMA"), None)
        return self.text.startswith("If", e.start) and comma is not None and isinstance(elements[if_at - 1], (Bnd, Rng))

    def _cause_list(self, pieces: list[list], span: Span) -> Predicate | None:
        """'Hypothyroidism secondary to surgery, radiation, or medication': the pieces after
        a cause are more causes, not items of their own. The thing caused, narrowed by words
        elig does not read; None where no piece but the last opens a cause after something."""
        for k, piece in enumerate(pieces[:-1]):
            at = _cause_at(piece, self.text)
            if at is None:
                continue
            if at == 0 or _sentence_break(self.text, _start(pieces[0][0]), _end(pieces[-1][-1])) or _has(piece[:at], "IF"):
                return None
            if not _causes_only(piece[at:], pieces[k + 1 :]):
                return None
            rest = [e for p in pieces[k:] for e in p][at:]
            caused = _caused(self.clause(piece[:at]), self.unparsed(rest), Span(start=_start(piece[0]), end=span.end), self.text)
            if k == 0:
                return caused
            return _combine([*(self._piece(p) for p in pieces[:k]), caused], span, self.text, [False] * (k + 1))
        return None

    def _asked_of_women_who_can_bear_children(self, elements: list, span: Span) -> Predicate | None:
        """'Women of childbearing potential must agree to use adequate contraception',
        'Females of reproductive potential unwilling to use acceptable contraception', 'Female
        patients of childbearing potential must have a negative serum pregnancy test': what the
        study team judges is asked of those women only, a Conditional (where it is asked for,
        nothing outside them; where it rules out, they and it). Read whole, a judgment, a man
        or a woman of 70 was unknown on it. Not where the line speaks of men or partners too
        ('... and fertile men unwilling to use effective contraception')."""
        sig = [i for i, e in enumerate(elements) if not _is_filler(e)]
        first = elements[sig[0]]
        if not isinstance(first, Atom) or _MEN_OR_PARTNERS.search(self.text, span.start, span.end):
            return None
        k = sig[0] + 1
        while k < len(elements) and (_is_filler(elements[k]) or (isinstance(elements[k], Atom) and (elements[k].type == "ASIDE" or str(elements[k].value) in _PEOPLE))):
            k += 1  # '(WOCBP)', 'Female participants'
        rest = elements[k:]
        judged = {e.value for e in rest if isinstance(e, Atom) and e.type == "JUDGE"}
        if not judged or any(isinstance(e, Atom) and e.type == "COLON" for e in rest):
            return None
        where = Span(start=first.start, end=first.end)
        then = self.clause(rest)
        if isinstance(then, Conditional) and isinstance(then.condition, Sex) and isinstance(then.then, Judgment):
            then = then.then  # a pregnancy test asked of women (`clause`): these women say whom
        if first.type == "CONDITION" and first.value == "childbearing potential":
            return Conditional(condition=Condition(concept="childbearing potential", span=where), then=then, span=span)
        if (
            first.type == "SEX"
            and tuple(first.value) == ("female",)
            and judged <= {"pregnancy_test", "contraception"}
        ):
            # 'Female participants must have a negative urine or serum pregnancy test within 72 h
            # prior to first dose', 'Women with a positive pregnancy test': whom the test is
            # asked of, not a requirement to be a woman
            return Conditional(condition=Sex(sexes=("female",), span=where), then=then, span=span)
        return None

    def _condition_before_colon(self, head: list) -> Predicate | None:
        """The patients a colon's head names, 'for patients with X' or 'for X patients', as
        a condition; None for any other head."""
        sig = [e for e in head if not _is_filler(e)]
        if not sig:
            return None
        words = self.text[_start(head[0]) : _end(head[-1])].lower()
        if _SENTENCE_END.search(_LIST_MARK.sub("", words)):
            # 'ECOG 0 to 1. For MCL patients: ECOG 0 to 2': a sentence before the colon is no
            # part of whom the rest is for
            return None
        if isinstance(sig[0], Atom) and sig[0].type == "IF" and len(sig) > 1:
            return self.clause(head[head.index(sig[0]) + 1 :])
        events = all(isinstance(e, Atom) and e.type in ("CONDITION", "SEX") for e in sig)
        if _FOR_PATIENTS.fullmatch(words) and events:
            return self.clause(head)
        if _COHORT_LABEL.fullmatch(words):
            # 'PHASE IB AND II: ...', 'Cohort 1:', 'Part 2 only:' (NCT05319873): the lines are
            # for the patients of that part of the study, which the record does not say
            return self.unparsed(head)
        if _GROUP_LABEL.search(words):
            # 'Adolescent participants: Age 13-17 years' (NCT03929263, whose other cohort is
            # the adolescents' mothers): whether the patient is of that group is not known
            return self.clause(head) if events else self.unparsed(head)
        return None

    def _sex_cases(self, elements: list, span: Span) -> Predicate | None:
        """'hemoglobin >= 12 g/dL for women, >= 13 g/dL for men', 'HDL < 50 in females; < 40
        mg/dL in males', 'hemoglobin: women >= 12, men >= 13 g/dL': a measure with one bound
        for each sex is a case split, each bound binding only patients of its sex (never a
        requirement to be of both sexes). A unit written once serves both bounds. Only the
        whole sequence in exactly this shape (`_sex_shape`); anything else is read as before."""
        shape = _sex_shape(elements)
        if shape is None:
            return None
        measure, pairs, extra = shape
        cases = self._cases_node(measure, pairs)
        if cases is None:
            return None
        if extra:
            return Qualified(item=cases, qualifiers=self.qualifiers(elements, extra), span=span)
        return cases.model_copy(update={"span": span})

    def _cases_node(self, measure: Atom, pairs: list) -> Predicate | None:
        """AllOf(Conditional(sex, measure bound)) for each (bound, sex) case."""
        b1, b2 = pairs[0][0], pairs[1][0]
        if isinstance(b1, Bnd) and isinstance(b2, Bnd):
            b1, b2 = (
                Bnd(b1.op, _share_unit(b1.qty, b2.qty), b1.start, b1.end),
                Bnd(b2.op, _share_unit(b2.qty, b1.qty), b2.start, b2.end),
            )
        items = []
        for k, (bound, sex) in enumerate(((b1, pairs[0][1]), (b2, pairs[1][1]))):
            start = measure.start if k == 0 else min(bound.start, sex.start)
            end = max(bound.end, sex.end)
            node = self._compare(measure.value, bound, None, Span(start=start, end=end))
            if node is None:
                return None
            condition = Sex(sexes=sex.value, span=Span(start=sex.start, end=sex.end))
            items.append(Conditional(condition=condition, then=node, span=Span(start=start, end=end)))
        return AllOf(items=tuple(items), span=Span(start=items[0].span.start, end=items[-1].span.end))

    def _literal(self, e: Atom, elements: list, span: Span) -> Predicate:
        if e.type == "UNPARSED_LIT":
            return self.literal(e)
        category, a, b = e.value
        if category not in _JUDGMENT_CATEGORIES:
            return self.unparsed(elements)
        return Judgment(category=category, text=self.text[a:b], span=span)

    def _piece(self, elements: list) -> Predicate:
        """One piece of a comma list: a literal as such, anything else as a sequence."""
        sig = [e for e in elements if not _is_filler(e)]
        if len(sig) == 1 and isinstance(sig[0], Atom) and sig[0].type in ("JUDGMENT_LIT", "UNPARSED_LIT"):
            return self._literal(sig[0], elements, Span(start=_start(elements[0]), end=_end(elements[-1])))
        return self.simple(elements)

    def _defined_negation(self, elements, span: Span) -> Predicate | None:
        """'Non-obese (BMI < 30)': the bound in brackets after a term made with 'non' defines
        the new word, not the term, so it is required beside the term's absence. Read as 'not
        (BMI < 30 and obesity)', a patient with a BMI of 35 and no diagnosis of obesity passed.
        (After 'no' the bracket defines the term: 'No hypertension (BP > 150/90)'.)"""
        if not (isinstance(elements[0], Atom) and self.text[elements[0].start : elements[0].end].lower() == "non"):
            return None
        sig = [e for e in elements[1:] if not _is_filler(e) and not (isinstance(e, Atom) and e.type == "WORD" and str(e.value) == "-")]
        if len(sig) != 2 or not isinstance(sig[1], Grp) or not isinstance(sig[1].node, (Comparison, Range)):
            return None
        term = self.simple([sig[0]])
        if not isinstance(term, Condition):
            return None
        absent = Not(item=term, span=Span(start=span.start, end=term.span.end))
        return AllOf(items=(sig[1].node, absent), span=span)

    def _following(self, head, following, span) -> Predicate:
        node = Following(quantifier=following.value, span=span)
        rest = [e for e in head if e is not following and not _is_filler(e)]
        if all(isinstance(e, Atom) and e.type == "WORD" and str(e.value) in _MEET for e in rest):
            rest = []  # 'Patients must meet one of the following criteria:' says only that
        elif rest and _start(rest[0]) > following.start and _TOPIC.fullmatch(self.text[_start(rest[0]) : _end(rest[-1])]):
            rest = []  # 'Any of the following cardiac criteria:': the topic of the items
        if rest:
            return Qualified(item=node, qualifiers=(self.unparsed(rest),), span=span)
        return node

    def simple(self, elements: list) -> Predicate:
        """A sequence without commas: structures found in it, the rest its qualifiers."""
        start, end = _start(elements[0]), _end(elements[-1])
        span = Span(start=start, end=end)
        if _opens_negated(elements):
            defined = self._defined_negation(elements, span)
            if defined is not None:
                return defined
            inner = self.simple(elements[1:])
            return Not(item=inner, span=span)
        kinds = _kinds(elements)
        following = next((e for e in elements if isinstance(e, Atom) and e.type == "FOLLOWING"), None) if "FOLLOWING" in kinds else None
        if following is not None:
            return self._following(elements, following, span)
        used: set[int] = set()
        found: list[Predicate] = []
        examples: list[Predicate] = []
        els = _kinds_in_brackets(elements, self.text) if "CONDITION" in kinds else elements

        def take(*idx):
            used.update(idx)

        # groups are structures of their own
        for i, e in enumerate(els if Grp in kinds else ()):
            if isinstance(e, Grp):
                if isinstance(e.node, (_PendingNode, Unparsed)):
                    continue
                if _bracketed_duration(e, self.text) and not _names_people(els, i):
                    continue  # 'Chronic (more than three months) colonization': how long, not how old
                if _loose_bound(e) or (_OR_BOUND_OPEN.match(self.text, e.start) and not isinstance(e.node, Conditional)):
                    # '(5x for liver metastasis)', '(or <= 5.0 x ULN if liver or bone metastasis)':
                    # it speaks of a bound outside, so qualifies it (read as a structure beside
                    # it, a patient within the limit it gives failed the main one)
                    continue
                if _BECAUSE_OPEN.match(self.text, e.start):
                    take(i)  # '[because of need to co-operate ... after surgery]': why, not whom
                    continue
                if (e.raw is not None and e.raw.elements and isinstance(e.raw.elements[0], Atom) and e.raw.elements[0].type == "EXAMPLES") or (
                    e.raw is None and _EXAMPLES_OPEN.match(self.text, e.start)
                ):
                    # '(such as pneumonia or sepsis)': examples, an 'or' among them or not
                    examples.append(e.node)
                    take(i)
                    continue
                found.append(e.node)
                take(i)
        # asides: '(ANC)' after 'absolute neutrophil count' says nothing new
        els = list(els)
        for i, e in enumerate(els if "ASIDE" in kinds else ()):
            if isinstance(e, Atom) and e.type == "ASIDE":
                inner = e.value
                prev = els[i - 1] if i > 0 else None
                if isinstance(prev, Atom) and prev.type == "ASIDE" and (i - 1) in used:
                    prev = prev.value  # 'aspartate aminotransferase (AST) (SGOT)': asides in a row
                if isinstance(prev, Atom) and prev.type == inner.type and prev.value == inner.value:
                    take(i)
                else:
                    els[i] = Atom(inner.type, inner.value, e.start, e.end)
        if "ASIDE" in kinds:
            kinds = _kinds(els)
        for i in range(len(els) if "SLASH" in kinds else 0):  # a pair needs its slash
            pair = self._pressure_pair(els, i, used)
            if pair is not None:
                found.append(pair[0])
                take(*pair[1])
        # measures and their bounds: 'AST/ALT <= 2.5 x ULN', 'Lansky (age < 16) >= 50'
        bounded: dict[int, Predicate] = {}  # where a measure's bound (or its window) ends: the comparison
        measured = "MEASURE" in kinds or "AGE" in kinds
        i = 0 if measured else len(els)
        while i < len(els):
            e = els[i]
            if i in used or not (isinstance(e, Atom) and e.type in ("MEASURE", "AGE")):
                i += 1
                continue
            measures = [i]
            cases: list[int] = []
            j = i + 1
            skipped: list[int] = []
            while j < len(els):
                x = els[j]
                if isinstance(x, Atom) and x.type == "SLASH" and j + 1 < len(els) and isinstance(els[j + 1], Atom) and els[j + 1].type == e.type:
                    if all(els[m].value != els[j + 1].value for m in measures):
                        measures.append(j + 1)  # 'AST/SGOT': two names of one measure bound once
                    j += 2
                elif j in used or (_is_filler(x) and not isinstance(x, (Bnd, Rng)) and not (e.type == "AGE" and _measure_noun(x))):
                    j += 1
                elif isinstance(x, Grp) and not isinstance(x.node, (_PendingNode, Unparsed)) and any(f is x.node for f in found):
                    cases.append(j)
                    j += 1
                elif e.type == "MEASURE" and _bracketed_bound(x) is not None and not (
                    isinstance(_bracketed_bound(x), Rng) and _whole_scale(e.value, _bracketed_bound(x))
                ):
                    # 'Framingham risk score (10 % or above)': the bound in brackets after its measure
                    els[j] = _bracketed_bound(x)
                    break
                elif e.type == "MEASURE" and len(skipped) < 6 and (
                    (isinstance(x, Atom) and x.type in ("WORD", "NOT", "ACTIVE")) or (isinstance(x, Grp) and isinstance(x.node, Unparsed))
                ):
                    # 'creatinine clearance rate (Cockcroft-Gault) calculated without hydration
                    # assistance >= 50 mL/min': words between a measure and its bound are not
                    # taken, so they qualify the comparison (and keep it unknown)
                    skipped.append(j)
                    j += 1
                else:
                    break
            if j < len(els) and isinstance(els[j], Atom) and els[j].type == "SEXCASES" and len(measures) == 1 and not cases and e.type == "MEASURE":
                node = self._cases_node(e, list(els[j].value))
                if node is not None:
                    found.append(node)
                    take(*(k for k in range(i, j + 1) if k not in skipped))
                    i = j + 1
                    continue
            if j < len(els) and isinstance(els[j], (Bnd, Rng)):
                if j + 1 < len(els) and j + 1 not in used and _opposite(els[j], els[j + 1]):
                    # 'BMI > 18 < 28': two bounds of opposite sense, one after the other, are a range
                    els[j] = _bounds_range(els[j], els[j + 1])
                    take(j + 1)
                bound = els[j]
                win_at = j + 1 if j + 1 < len(els) and isinstance(els[j + 1], Win) and els[j + 1].window else None
                window = els[win_at].window if win_at is not None else None
                if win_at is None and j + 1 < len(els) and j + 1 not in used and _bracketed_window(els[j + 1]) is not None:
                    # 'ANC >= 1500/mm^3 (obtained =< 14 days prior to registration)'
                    win_at, window = j + 1, _bracketed_window(els[j + 1])
                last_end = _end(els[win_at] if win_at is not None else bound)
                made = [
                    self._compare("age" if els[m].type == "AGE" else els[m].value, bound, window, Span(start=els[m].start, end=last_end))
                    for m in measures
                ]
                alt_at = self._alternative_limit(els, (win_at or j) + 1, e, bound) if len(measures) == 1 and not cases else None
                if alt_at is not None and made[0] is not None:
                    grp, alt = alt_at
                    # (a bracket not read on its own, '(for liver metastasis <= 5 x ULN)', was not found)
                    found = [f for f in found if f is not els[grp].node]
                    main = made[0]
                    made = [AllOf(items=(_for_the_others(main, alt.condition), alt), span=Span(start=e.start, end=els[grp].end))]
                    take(grp)
                elif len(measures) == 1 and not cases and made[0] is not None:
                    other = _unread_limit(els, (win_at or j) + 1, self.text)
                    if other is not None:
                        # '<= 2.5 x ULN (<= 5.0 x ULN if bone or liver metastases present)': a
                        # limit of its own for some, not read; the main limit alone failed a
                        # patient with liver metastases at 4 x ULN, so it is not known
                        found = [f for f in found if f is not els[other].node]
                        words = self.text[els[other].start : els[other].end]
                        grp_span = Span(start=els[other].start, end=els[other].end)
                        made = [Qualified(item=made[0], qualifiers=(Unparsed(text=words, span=grp_span),), span=Span(start=e.start, end=els[other].end))]
                        take(other)
                if all(x is not None for x in made):
                    for case in cases:
                        found.remove(els[case].node)
                    if cases:
                        conds = tuple(els[c].node for c in cases)
                        made = [AllOf(items=(*conds, x), span=Span(start=e.start, end=last_end)) for x in made]
                    if len(made) > 1 and _alternative_scales([els[m].value for m in measures if els[m].type == "MEASURE"]):
                        # 'ECOG/Karnofsky performance status 0 or 1': one status, on either scale
                        made = [AnyOf(items=tuple(made), span=Span(start=e.start, end=last_end))]
                    elif len(made) > 1 and isinstance(bound, Bnd) and bound.op in (">", ">="):
                        # 'ALT/AST > 2 x ULN' (an exclusion): either of them high, or each; the
                        # text does not say, so each_or_either keeps the difference unknown
                        made = [each_or_either(made, self.text, e.start, last_end)]
                    found.extend(made)
                    if len(made) == 1 and isinstance(made[0], (Comparison, Range)) and made[0].measure != "age":
                        bounded[win_at if win_at is not None else j] = made[0]
                    take(*(k for k in range(i, j + 1) if k not in skipped))
                    if win_at is not None:
                        take(win_at)
                    i = (win_at or j) + 1
                    continue
            i += 1
        if measured:  # it may have made bounds and ranges of brackets and pairs of bounds
            kinds = _kinds(els)
        bounds = Bnd in kinds or Rng in kinds
        # the bound before its measure: '5% or more blasts in bone marrow', '> 10% blasts'
        for j in range(len(els) - 1 if bounds and "MEASURE" in kinds else 0):
            # '26 to 34 weeks of gestational age': 'of' between them; '>= 5 on the pain
            # numeric rating scale': 'on (the|a)' before a scale
            k = j + 1
            while k < len(els) - 1 and k - j <= 2 and isinstance(els[k], Atom) and els[k].type == "WORD" and els[k].value in ("of", "on", "the", "a"):
                k += 1
            scale_range = None
            if k > j + 1 and k + 1 < len(els) and isinstance(els[k], Rng) and isinstance(els[k + 1], Atom) and els[k + 1].type == "MEASURE" and _whole_scale(els[k + 1].value, els[k]):
                # '> 3 on a 0-10 pain intensity numeric scale': the scale's own range names it
                scale_range, k = k, k + 1
            b, m = els[j], els[k]
            if j in used or k in used or not (isinstance(b, (Bnd, Rng)) and isinstance(m, Atom) and m.type == "MEASURE"):
                continue
            if isinstance(b, Rng) and _whole_scale(m.value, b):
                continue  # 'on a 0-10 pain intensity numeric scale': the scale's range, not a bound
            between = [str(els[x].value) for x in range(j + 1, scale_range or k)]
            if between and not (between == ["of"] and _in_own_unit(m.value, b)) and not (between[0] == "on" and _on_scale(m.value, b)):
                continue  # '>= 50% of platelet count' is a share of it, not its value
            if k + 1 < len(els) and isinstance(els[k + 1], (Bnd, Rng, Qty)):
                continue  # the measure has a bound of its own after it
            if _unit_fits(m.value, b) is False:
                continue  # '>= 9.0 g/dL Absolute neutrophil count': the bound of a measure before it
            node = self._compare(m.value, b, None, Span(start=b.start, end=m.end))
            if node is not None:
                found.append(node)
                take(*range(j, k + 1))
        # ages written without the word: '18 years and older', 'aged 12 to 30'
        for i, e in enumerate(els if bounds else ()):
            if i in used or not isinstance(e, (Bnd, Rng)):
                continue
            q = e.qty if isinstance(e, Bnd) else e.high
            if q.time in ("year", "month") and not q.relative_to:
                # '18 years of age or older': the age words inside the bound (engine.lexicon drops them)
                age_words = any(isinstance(x, Atom) and x.type in ("AGE", "SEX") for x in els) or _AGE_INSIDE.search(self.text[e.start : e.end].lower()) is not None
                events = any(isinstance(x, Atom) and x.type in ("CONDITION", "DRUG", "PROCEDURE", "MEASURE") for x in els)
                if (not events and (age_words or all(j == i or _is_filler(x) for j, x in enumerate(els)))) or self._leading_age(els, i) or self._age_range(els, i):
                    node = self._compare("age", e, None, Span(start=e.start, end=e.end))
                    if node is not None:
                        found.append(node)
                        take(i)
                        take(*[j for j, x in enumerate(els) if isinstance(x, Atom) and x.type == "AGE"])
            elif isinstance(e, Bnd) and _plain(q) and _OLDER.search(self.text[e.start : e.end].lower()):
                # '55 and older', 'Men and women 18 and older': only an age is older or younger
                events = any(isinstance(x, Atom) and x.type in ("CONDITION", "DRUG", "PROCEDURE", "MEASURE") for x in els)
                if not events and all(j == i or _is_filler(x) or (isinstance(x, Atom) and x.type in ("AGE", "SEX")) for j, x in enumerate(els)):
                    node = self._compare("age", e, None, Span(start=e.start, end=e.end), default_unit="years")
                    if node is not None:
                        found.append(node)
                        take(i)
                        take(*[j for j, x in enumerate(els) if isinstance(x, Atom) and x.type == "AGE"])
        # ages as bare numbers after the word: 'aged 12 to 30', 'age 18 or older'
        for i, e in enumerate(els if "AGE" in kinds else ()):
            if i in used or not (isinstance(e, Atom) and e.type == "AGE"):
                continue
            nxt = next((j for j in range(i + 1, len(els)) if not _is_filler(els[j])), None)
            if nxt is not None and any(_measure_noun(x) for x in els[i + 1 : nxt]):
                pass  # 'Child score more than 6': the number is a score's, not an age
            elif nxt is not None and nxt not in used and isinstance(els[nxt], (Bnd, Rng)):
                b = els[nxt]
                q = b.qty if isinstance(b, Bnd) else b.high
                if q.unit is None or q.time in ("year", "month"):
                    node = self._compare("age", b, None, Span(start=e.start, end=b.end), default_unit="years")
                    if node is not None:
                        found.append(node)
                        take(i, nxt)
            elif self.text[e.start : e.end].lower() in ("age", "aged", "ages"):
                take(i)  # the word 'age' alone adds nothing
        # with an age bound found, words naming age groups ('adults age > 16') are said
        if any(isinstance(f, (Comparison, Range)) and f.measure == "age" for f in found):
            take(*[i for i, e in enumerate(els) if isinstance(e, Atom) and e.type == "AGE"])
        # events: conditions, drugs, procedures, with their windows
        events = [i for i, e in enumerate(els) if i not in used and isinstance(e, Atom) and e.type in ("CONDITION", "DRUG", "PROCEDURE")]
        event_at: dict[int, int] = {}  # where each event's node is in `found`
        purposes: list[tuple[Predicate, Condition, Atom]] = []  # 'chemotherapy for metastatic disease'
        for n_ev, i in enumerate(events):
            e = els[i]
            event_at[i] = len(found)
            nxt_event = events[n_ev + 1] if n_ev + 1 < len(events) else len(els)
            window = None
            dose = None
            equiv = False
            active = None
            history = False
            take(i)
            for j in range(i + 1, nxt_event):
                x = els[j]
                if j in used:
                    continue
                if isinstance(x, Win) and x.window is not None and window is None:
                    window = x.window
                    take(j)
                elif e.type == "DRUG" and isinstance(x, Bnd) and dose is None and x.qty.unit and x.qty.time is None:
                    if _dose_of_next(els, j) and not equiv:
                        continue  # 'regimen with <= 10 mg/day of prednisone': the next drug's dose
                    dose = x
                    take(j)
                elif e.type == "DRUG" and dose is None and j == i + 1 and _bracketed_dose(x) is not None:
                    dose = _bracketed_dose(x)  # 'aspirin (> 325 mg/day)'
                    take(j)
                elif isinstance(x, Atom) and x.type == "EQUIV" and e.type == "DRUG":
                    equiv = True
                    take(j)
                elif e.type == "DRUG" and j == i + 1 and isinstance(x, Atom) and x.type == "WORD" and str(x.value) in _THERAPY:
                    take(j)  # 'docetaxel therapy', 'CDK4/6 inhibitor treatment': the drug given
                elif isinstance(x, Grp) and isinstance(x.node, Unparsed) and e.type == "DRUG" and "equivalent" in x.node.text.lower():
                    pass
            if e.type == "DRUG" and dose is None and _dose_of_next(els, i - 2) and i - 2 not in used:
                dose = els[i - 2]  # '<= 10 mg/day of prednisone': the dose before 'of' and its drug
                take(i - 2, i - 1)
            # words before the event that say history or activity
            present = uncontrolled = False
            for j in range(i - 1, -1, -1):
                x = els[j]
                if j in used or not isinstance(x, Atom):
                    hist = None if j in used or not isinstance(x, Grp) else _history_before_narrowing(els, j, used, self.text, e.start)
                    if hist is not None:
                        history = True  # 'history of (non-infectious) pneumonitis'
                        take(hist)
                    break
                if x.type == "HIST":
                    history = True  # 'history of', 'prior', 'received': a past event counts
                    take(j)
                elif e.type == "DRUG" and _therapy_with(els, j):
                    take(j)  # 'treatment with docetaxel': the drug given, in its tense
                elif e.type == "DRUG" and self.text[x.start : x.end].lower() in _NOW:
                    present = True  # 'current use of warfarin': not a past use
                    take(j)
                elif x.type == "ACTIVE" and e.type == "CONDITION" and self.text[x.start : x.end].lower() in ("active", "current", "currently", "ongoing"):
                    active = True
                    take(j)
                elif x.type == "ACTIVE" and e.type == "CONDITION" and self.text[x.start : x.end].lower() == "uncontrolled":
                    # left in place: it narrows the condition too; not beside an 'or' ('Severe
                    # or uncontrolled infection': a severe one need not be going on)
                    uncontrolled = _AFTER_AN_OR.search(self.text, 0, x.start) is None
                elif _is_filler(x):
                    continue
                else:
                    hist = _history_before_narrowing(els, j, used, self.text, e.start)
                    if hist is not None:
                        history = True  # 'History of other malignancy': the words are left to narrow it
                        take(hist)
                    break
            if present:
                history = False
            if uncontrolled and not history:
                # 'Uncontrolled infection': one going on now; an infection that abated in 2011
                # is not uncontrolled (read as any infection, a past one was unknown)
                active = True
            # a window before the event: 'within 4 weeks, major surgery'
            if window is None:
                for j in range(i - 1, -1, -1):
                    x = els[j]
                    if isinstance(x, Win) and j not in used and x.window is not None:
                        window = x.window
                        take(j)
                        break
                    if not (_is_filler(x) or (isinstance(x, Atom) and x.type in ("HIST", "ACTIVE"))):
                        break
            ev_span = Span(start=e.start, end=e.end)
            prep = els[i - 1] if i > 0 else None
            limited = bounded.get(i - 2) if isinstance(prep, Atom) and prep.type == "WORD" and str(prep.value) in ("for", "in") else None
            if e.type == "CONDITION" and limited is not None and any(f is limited for f in found):
                # 'AST and ALT <= 5.0 x ULN for liver metastases': the bound holds for patients
                # with the condition, as 'for patients with' says; it does not require it
                at = next(k for k, f in enumerate(found) if f is limited)
                condition = Condition(concept=e.value, active=active, window=window, history=history, span=ev_span)
                found[at] = Conditional(condition=condition, then=limited, span=Span(start=limited.span.start, end=e.end))
                take(i - 1)
                event_at[i] = at
            elif e.type == "CONDITION" and (given := _given_for(els, i, event_at, used)) is not None:
                # 'Prior chemotherapy for metastatic disease': joined to its treatment below
                condition = Condition(concept=e.value, active=active, window=window, history=history, span=ev_span)
                purposes.append((found[event_at[given[0]]], condition, els[given[1]]))
                found.append(condition)
                take(given[1])
            elif e.type == "CONDITION":
                found.append(Condition(concept=e.value, active=active, window=window, history=history, span=ev_span))
            elif e.type == "PROCEDURE":
                found.append(Procedure(concept=e.value, window=window, history=history, span=ev_span))
            else:
                concept = e.value
                dose_node = None
                if dose is not None:
                    measure = "prednisone equivalent daily dose" if equiv else "daily dose"
                    if equiv:
                        concept = "corticosteroid"
                    dose_node = Comparison(measure=measure, op=dose.op, threshold=Threshold(value=dose.qty.value, unit=dose.qty.unit), span=Span(start=dose.start, end=dose.end))
                elif equiv:
                    concept = "corticosteroid"
                found.append(Medication(concept=concept, dose=dose_node, window=window, history=history, span=ev_span))
        found = _slash_alternatives(els, events, event_at, found)
        for treated, condition, word in purposes:
            # what the treatment was given for, which no record links to it: without the
            # treatment or the condition it is false; with both, for the study team ('for' is a
            # narrowing word in engine.evaluate)
            at = next((k for k, f in enumerate(found) if f is treated), None)
            if at is None or not any(f is condition for f in found):
                continue
            span = Span(start=treated.span.start, end=condition.span.end)
            qualifier = Unparsed(text=self.text[word.start : word.end], span=Span(start=word.start, end=word.end))
            found[at] = Qualified(item=AllOf(items=(treated, condition), span=span), qualifiers=(qualifier,), span=span)
            found = [f for f in found if f is not condition]
        # sex: 'Male/Female', 'male and female patients' name the sexes taken, never a
        # patient of both
        sexes = [i for i, e in enumerate(els) if i not in used and isinstance(e, Atom) and e.type == "SEX"]
        for i in list(sexes):
            # 'hemoglobin >= 12 g/dL for women': a bound stated for one sex binds patients of
            # that sex only; it does not ask every patient to be of it
            prep = els[i - 1] if i > 0 else None
            node = bounded.get(i - 2) if isinstance(prep, Atom) and str(prep.value) in ("for", "in", "among") else None
            if node is None and self.text[els[i].start : els[i].start + 1] in "([":
                node = bounded.get(i - 1)  # '> 450 ms (males)'
            if node is None or len(els[i].value) != 1:
                continue
            at = next(k for k, f in enumerate(found) if f is node)
            sex = Sex(sexes=els[i].value, span=Span(start=els[i].start, end=els[i].end))
            found[at] = Conditional(condition=sex, then=node, span=Span(start=node.span.start, end=els[i].end))
            take(i - 1, i)
            sexes.remove(i)
        if sexes:
            named = tuple(dict.fromkeys(x for i in sexes for x in els[i].value))
            found.append(Sex(sexes=named, span=Span(start=els[sexes[0]].start, end=els[sexes[-1]].end)))
            for i in sexes:
                take(i)
        # history words with nothing to attach to, and activity words, are not filler
        leftovers = [i for i, e in enumerate(els) if i not in used and not _is_filler(e)]
        if not found and examples:
            return with_examples(None, examples, self.text) if not leftovers else Qualified(
                item=with_examples(None, examples, self.text), qualifiers=self.qualifiers(els, leftovers), span=span
            )
        if not found:
            sig = [e for e in els if not _is_filler(e)]
            if len(sig) == 1 and isinstance(sig[0], Grp) and not isinstance(sig[0].node, _PendingNode) and not _loose_bound(sig[0]):
                return sig[0].node
            return self.unparsed(elements)
        # a conjunction found inside brackets joins this one: no AllOf directly in an AllOf
        found = [x for f in found for x in (f.items if isinstance(f, AllOf) else (f,))]
        found = _lone_sex_cases(found, self.text)
        node = found[0] if len(found) == 1 else AllOf(items=tuple(found), span=span)
        if examples:
            node = with_examples(node, examples, self.text)
        if leftovers:
            return Qualified(item=node, qualifiers=self.qualifiers(els, leftovers), span=span)
        if len(found) == 1 and node.span != span:
            node = node.model_copy(update={"span": span})
        return node

    def _pressure_pair(self, els: list, i: int, used: set) -> tuple[Predicate, list[int]] | None:
        """'BP > 140/90 mmHg', 'blood pressure 160/110 mmHg or more': a systolic and a
        diastolic bound in one. Whether both must pass it or either ('> 140/90' as
        hypertension is either) the text does not say: each_or_either keeps the difference
        unknown. Returns the node and the indices it used."""
        e = els[i]
        if i in used or not (isinstance(e, Atom) and e.type == "WORD" and str(e.value) in ("bp", "pressure")):
            return None
        if e.value == "pressure" and not (i > 0 and isinstance(els[i - 1], Atom) and els[i - 1].value == "blood"):
            return None
        j = i + 1
        kept = []  # 'BP persistently > 160/100 mmHg': words that say how often, left to qualify it
        while j < len(els) and (
            (_is_filler(els[j]) and not isinstance(els[j], (Bnd, Rng)) and not (isinstance(els[j], Atom) and els[j].type == "SLASH"))
            or (isinstance(els[j], Atom) and els[j].type == "WORD" and str(els[j].value) in _HOW_OFTEN)
        ):
            if not _is_filler(els[j]):
                kept.append(j)
            j += 1
        if j + 2 >= len(els) or not (isinstance(els[j + 1], Atom) and els[j + 1].type == "SLASH"):
            return None
        first, second = els[j], els[j + 2]
        if isinstance(first, Bnd) and isinstance(second, Qty):  # '> 140/90 mmHg'
            op, high, low = first.op, first.qty, second
        elif isinstance(first, Qty) and isinstance(second, Bnd) and second.qty.start == second.start:  # '160/110 mmHg or more'
            op, high, low = second.op, first, second.qty
        else:
            return None
        if high.unit is not None or low.unit != "mmHg" or high.relative_to or low.relative_to:
            return None
        start = els[i - 1].start if e.value == "pressure" else e.start
        end = _end(second)
        bounds = [
            Comparison(measure=name, op=op, threshold=Threshold(value=q.value, unit="mmHg"), span=Span(start=start, end=end))
            for name, q in (("systolic blood pressure", high), ("diastolic blood pressure", low))
        ]
        return each_or_either(bounds, self.text, start, end), [k for k in range(i - (e.value == "pressure"), j + 3) if k not in kept]

    def _leading_age(self, els: list, i: int) -> bool:
        """'Patients over 18 years of age undergoing gastric resection': a bound in years
        marked as an age ('of age', 'old'), with nothing but filler, age and sex words before
        it, is the patient's age even with events after it; not where the text speaks of an
        age at onset or diagnosis ('diagnosed at < 12 years of age', 'before age 30 at onset')."""
        e = els[i]
        marked = _AGE_INSIDE.search(self.text[e.start : e.end].lower()) is not None or (
            i + 1 < len(els) and isinstance(els[i + 1], Atom) and els[i + 1].type == "AGE"
        )
        leading = all(_is_filler(x) or (isinstance(x, Atom) and x.type in ("AGE", "SEX")) or _person_word(x) for x in els[:i])
        return marked and leading and _AT_ONSET.search(self.text.lower()) is None

    def _age_range(self, els: list, i: int) -> bool:
        """'psoriasis between 18 and 75 years of age': a range in years marked as an age is
        the patient's, wherever it stands, as people are described by an age range; not where
        the text speaks of an age at onset or diagnosis (then no bound on age at all)."""
        e = els[i]
        marked = _AGE_INSIDE.search(self.text[e.start : e.end].lower()) is not None or (
            i + 1 < len(els) and isinstance(els[i + 1], Atom) and els[i + 1].type == "AGE"
        )
        return isinstance(e, Rng) and marked and _AT_ONSET.search(self.text.lower()) is None

    def _alternative_limit(self, els, k, measure_atom, main=None):
        """'total bilirubin <= 1.5 x ULN (<= 3 x ULN if Gilbert's syndrome)': the bracket
        gives the same measure another limit under a condition, in the main limit's unit
        where it names none ('AST and ALT <= 2.5 ULN (or <= 5 if hepatic metastases are
        present)'). Returns (index, Conditional)."""
        while k < len(els) and _is_filler(els[k]):
            k += 1
        if k >= len(els) or not isinstance(els[k], Grp):
            return None
        if els[k].chain is not None:
            alt = self._either_case(measure_atom, els[k].chain, main)
            return None if alt is None else (k, alt)
        if els[k].raw is None:
            return None
        raw = list(els[k].raw.elements)
        # '(or =< 2.0 x ULN in patients with documented Gilbert's Syndrome)', '(or total serum
        # bilirubin <= 3 x ULN for patients with Gilbert's disease)': the 'or' and the measure
        # said again open the same other limit (read as one more requirement, a patient with
        # Gilbert's within it failed)
        alternative = bool(raw) and isinstance(raw[0], Atom) and raw[0].type == "WORD" and raw[0].value == "or"
        if alternative:
            raw = raw[1:]
            if raw and isinstance(raw[0], Atom) and raw[0].type == "MEASURE" and raw[0].value == measure_atom.value:
                raw = raw[1:]
        raw = _case_written_first(raw)
        if not raw or not (alternative or any(isinstance(x, Atom) and x.type == "IF" for x in raw)) or not isinstance(raw[0], (Bnd, Rng)):
            return None
        raw[0] = _in_main_unit(raw[0], main)
        alt = self.clause([measure_atom, *raw])
        if (
            isinstance(alt, Conditional) and isinstance(alt.then, (Comparison, Range)) and alt.then.measure == measure_atom.value
            # '(or <= 5.0 x ULN if liver metastases, <= 7.0 x ULN if bone metastasis)': a
            # condition of its own read into the condition is not the group's
            and not any(isinstance(n, Conditional) for n in walk(alt.condition))
        ):
            return k, alt
        return None

    def _either_case(self, measure_atom, chain: "_Chain", main) -> Conditional | None:
        """'(<= 5 x ULN for patients with hepatocellular carcinoma or liver metastasis)': the
        'or' after the bracket's 'if' joins the case's alternatives, one case. Read as the
        bracket's top connective, it split the bracket ('(<= 5 x ULN if HCC) or liver
        metastasis'), and a patient with liver metastases within 5 x ULN failed the main limit.
        Only where the bracket opens with one bound and its 'if', and every alternative is
        events (conditions, treatments, procedures)."""
        first = chain.parts[0]
        if not isinstance(first, Clause) or len(first.elements) < 3 or not isinstance(first.elements[0], (Bnd, Rng)):
            return None
        if not (isinstance(first.elements[1], Atom) and first.elements[1].type == "IF"):
            return None
        then = self.clause([measure_atom, _in_main_unit(first.elements[0], main)])
        if not all(isinstance(p, Clause) for p in chain.parts[1:]):
            return None
        alternatives = [self.clause(list(first.elements[2:])), *(self.clause(list(p.elements)) for p in chain.parts[1:])]
        case = AnyOf(items=tuple(alternatives), span=Span(start=alternatives[0].span.start, end=alternatives[-1].span.end))
        if not isinstance(then, (Comparison, Range)) or not _events_only(case):
            return None
        if any(isinstance(n, (Conditional, Unparsed)) for n in walk(case)):
            return None
        alt = Conditional(condition=case, then=then, span=Span(start=then.span.start, end=case.span.end))
        return alt if alt.then.measure == measure_atom.value else None

    def _compare(self, measure, b, window, span, default_unit=None):
        qtys = (b.qty,) if isinstance(b, Bnd) else (b.low, b.high)
        if measure == "age" and any(q.time is not None and _age_unit(q) is None for q in qtys):
            return None  # 'age less than 72 hours': no age in hours, and never 72 years
        if isinstance(b, Bnd):
            q = b.qty
            unit = q.unit if q.time is None else _age_unit(q)
            if measure == "age" and default_unit is None:
                default_unit = "years"
            if unit is None and default_unit and q.relative_to is None:
                unit = default_unit
            if measure == "age" and q.time not in ("year", "month", "week", "day", "hour") and unit != default_unit:
                return None
            if q.time is not None and measure != "age" and not _timed(measure, q):
                return None
            if unit is None and q.relative_to is None and _rate_measure(measure):
                return None  # 'exercise ... 5 or more days a week': a bare number is times, minutes, not hours a week
            return Comparison(measure=measure, op=b.op, threshold=Threshold(value=q.value, unit=unit, relative_to=q.relative_to), window=window, span=span)
        lo, hi = b.low, b.high
        if measure == "age" and default_unit is None:
            default_unit = "years"
        lo_unit = lo.unit if lo.time is None else _age_unit(lo)
        hi_unit = hi.unit if hi.time is None else _age_unit(hi)
        if default_unit:
            lo_unit = lo_unit or default_unit
            hi_unit = hi_unit or default_unit
        if (lo.time is not None or hi.time is not None) and measure != "age" and not (_timed(measure, lo) and _timed(measure, hi)):
            return None
        if measure == "age" and (lo_unit is None or hi_unit is None):
            return None
        if ((lo_unit is None and lo.relative_to is None) or (hi_unit is None and hi.relative_to is None)) and _rate_measure(measure):
            return None
        if lo_unit == hi_unit and lo.relative_to == hi.relative_to and (lo.value > hi.value or (lo.value == hi.value and not (b.low_inclusive and b.high_inclusive))):
            # 'Age < 18 years and > 65 years' (an exclusion): no value is both, so as written it
            # excluded no one; 'or' is likelier meant, which the text does not say
            return None
        return Range(
            measure=measure,
            low=Threshold(value=lo.value, unit=lo_unit, relative_to=lo.relative_to),
            high=Threshold(value=hi.value, unit=hi_unit, relative_to=hi.relative_to),
            low_inclusive=b.low_inclusive,
            high_inclusive=b.high_inclusive,
            window=window,
            span=span,
        )


def _monotone_leaves(node: Predicate) -> tuple:
    """The operands under a nest of and / or / each, in order: any grouping of them lies
    between all of them and any of them."""
    if isinstance(node, (AllOf, AnyOf, Each)):
        return tuple(x for item in node.items for x in _monotone_leaves(item))
    return (node,)


# 'A, B, C, etc.': the list is open, so it is no longer filler ('lupus, psoriasis, etc.'
# read as its items alone let a patient with another autoimmune disease pass an exclusion)
_ETC = re.compile(r"\W*etc\W*", re.IGNORECASE)


def with_examples(head: Predicate | None, examples: list, text: str) -> Predicate:
    """'X such as A, B': the examples are instances of X, so alternatives to it. An example
    stands for X only with what X says of it: an active condition's examples are active,
    a window reaches them, and words of X not understood ('prohibited medications such as
    steroids') qualify each of them, so a past steroid course does not stand for a
    prohibited medication."""
    flat: list = []
    for n in examples:
        flat.extend(n.items if isinstance(n, AnyOf) else (n,))
    flat = _distribute_prefix(flat, text)
    if head is not None:
        # 'autoimmune disease such as lupus, psoriasis, etc.': what 'etc.' leaves open, the head names
        flat = [_as_example(head, n, text) for n in flat if not (isinstance(n, Unparsed) and _ETC.fullmatch(n.text))] or flat
        items = [*(head.items if isinstance(head, AnyOf) else (head,)), *flat]
    else:
        items = flat
    if len(items) == 1:
        return items[0]
    return AnyOf(items=tuple(items), span=Span(start=min(i.span.start for i in items), end=max(i.span.end for i in items)))


def _as_example(head: Predicate, ex: Predicate, text: str) -> Predicate:
    events = (Condition, Medication, Procedure)
    if isinstance(ex, (Unparsed, Judgment)):
        return ex
    if isinstance(ex, Qualified):
        # the example's own words and the head's, around one item
        inner = _as_example(head, ex.item, text)
        if isinstance(inner, Qualified) and inner.item is not ex.item:
            return Qualified(item=inner.item, qualifiers=(*ex.qualifiers, *inner.qualifiers), span=ex.span)
        return Qualified(item=inner, qualifiers=ex.qualifiers, span=ex.span)
    if isinstance(head, Qualified) and isinstance(head.item, events):
        inner = _as_example(head.item, ex, text)
        return Qualified(item=inner, qualifiers=head.qualifiers, span=ex.span)
    if isinstance(head, events):
        if not isinstance(ex, events):
            return ex
        update: dict = {}
        if head.window is not None and ex.window is None:
            update["window"] = head.window
        if isinstance(head, Condition) and head.active and isinstance(ex, Condition) and ex.active is None:
            update["active"] = True
        if head.history and not ex.history:
            update["history"] = True
        instance = ex.model_copy(update=update) if update else ex
        if _not_narrower(ex, head):
            # 'any anti-HER2 therapy, including an antibody drug conjugate' (NCT03734029): an
            # example is an instance of its head, here an anti-HER2 one; alone, any
            # antibody-drug conjugate (sacituzumab govitecan) excluded
            words = Unparsed(text=text[head.span.start : head.span.end], span=head.span)
            return Qualified(item=instance, qualifiers=(words,), span=ex.span)
        return instance
    if isinstance(head, (Comparison, Range, Sex)):
        return ex
    # a head not understood, or logic: the example alone cannot stand for it
    words = head.qualifiers if isinstance(head, Qualified) else (Unparsed(text=text[head.span.start : head.span.end], span=head.span),)
    return Qualified(item=ex, qualifiers=words, span=ex.span)


_VOCAB_KINDS = {Condition: ("condition",), Medication: ("drug", "drug_class"), Procedure: ("procedure",)}


def _not_narrower(ex: Predicate, head: Predicate) -> bool:
    """Both events known to the vocabulary, of one kind, and `ex` a class of its own (with
    members or subtypes) neither `head` nor under it. (A single drug or disease not under
    the head is taken at the text's word: 'immunosuppressive medications including
    cyclophosphamide'.)"""
    from engine.vocab import load_vocabulary

    if type(ex) is not type(head):
        return False
    vocab = load_vocabulary()
    kinds = _VOCAB_KINDS[type(ex)]
    a = next((c for k in kinds if (c := vocab.get(k, ex.concept)) is not None), None)
    b = next((c for k in kinds if (c := vocab.get(k, head.concept)) is not None), None)
    if a is None or b is None or a == b or not vocab.descendants(a):
        return False
    return b not in vocab.ancestors(a)


def _sex_pairs(elements, at: list[int]) -> list | None:
    """The two (bound, sex) cases at the indices `at` (four of them), each bound before or
    (both) after its sex, for the two sexes; or None."""
    pairs = []
    for a, b in ((at[0], at[1]), (at[2], at[3])):
        x, y = elements[a], elements[b]
        bound, sex = (x, y) if isinstance(x, (Bnd, Rng)) else (y, x)
        if not (isinstance(bound, (Bnd, Rng)) and isinstance(sex, Atom) and sex.type == "SEX" and len(sex.value) == 1):
            return None
        pairs.append((bound, sex))
    if pairs[0][1].value == pairs[1][1].value or (pairs[0][0] is elements[at[0]]) != (pairs[1][0] is elements[at[2]]):
        return None
    if not _sex_between(elements, at[0], at[1]):
        return None
    return pairs


def _sex_shape(elements) -> tuple[Atom, list, list[int]] | None:
    """A measure and one bound for each of the two sexes at the end of a sequence, the
    cases apart by a comma or a semicolon, each bound before or (both) after its sex:
    'QTcF > 450 ms for males, > 470 ms for females'. Words before the measure or between it
    and its bounds ('Has a QTc prolongation to') are allowed, structure is not. Returns
    the measure, [(bound, sex)] and the indices of those words, or None."""
    if not any(isinstance(e, Atom) and e.type in ("COMMA", "SEMI") for e in elements):
        return None  # asked first: it rules out most sequences, at a third of the cost of `at`
    if "SEX" not in _kinds(elements):
        return None  # each case names its sex (`_sex_pairs`)
    at = [k for k, e in enumerate(elements) if not _is_filler(e) or isinstance(e, (Bnd, Rng))]
    if len(at) < 5:
        return None
    pairs = _sex_pairs(elements, at[-4:])
    if pairs is None:
        return None
    def named(e) -> bool:  # a measure, or one named in brackets ('The QT interval (QTcF)')
        return isinstance(e, Atom) and (e.type == "MEASURE" or (e.type == "ASIDE" and e.value.type == "MEASURE"))

    m = next((k for k in reversed(at[:-4]) if named(elements[k])), None)
    if m is None:
        return None
    measure = elements[m] if elements[m].type == "MEASURE" else Atom("MEASURE", elements[m].value.value, elements[m].start, elements[m].end)

    def aside(e) -> bool:  # 'Corrected QT Interval (QTc)': the measure named again
        return isinstance(e, Atom) and e.type == "ASIDE" and (e.value.type, e.value.value) == (measure.type, measure.value)

    extra = [k for k in at[:-4] if k != m and not aside(elements[k])]
    words = all(
        (isinstance(elements[k], Atom) and elements[k].type in ("WORD", "ASIDE", "MEASURE")) or (isinstance(elements[k], Grp) and isinstance(elements[k].node, Unparsed))
        for k in extra
    )
    if not words or len(extra) > 6:
        return None
    return measure, pairs, extra


def _lone_sex_cases(items: list, text: str, any_condition: bool = False) -> list:
    """A bound for one sex ('QTc > 470 ms for females') joined by 'and' or 'or' to other
    operands: whether those others bind the other sex, or everyone, the text leaves open
    (in an exclusion, 'X for women and Y' may rule out men by Y alone or never; in an
    inclusion, 'X for men or ...' would let every woman through), so the case stays, kept
    unknown by its own words. Bounds for both sexes of one measure are a case split and
    stand. With `any_condition` (an 'or'), so does a bound under any condition ('bilirubin
    <= 3 x ULN for Gilbert's syndrome'): it holds for every patient without the condition."""
    def sex_case(n) -> bool:
        return isinstance(n, Conditional) and (any_condition or isinstance(n.condition, Sex)) and isinstance(n.then, (Comparison, Range))

    if len(items) < 2:
        return items
    measures = [n.then.measure for n in items if sex_case(n)]
    out = []
    for n in items:
        if sex_case(n) and measures.count(n.then.measure) == 1:
            start, end = n.then.span.end, n.span.end
            while start < end and text[start] in " )":
                start += 1
            if end <= start or re.match(r"if\b", text[start:end], re.IGNORECASE):
                # 'Y if X', '(Y) if (X)' (the canonical form), 'if X, Y': a condition written
                # as one is read as written
                out.append(n)
                continue
            words = Unparsed(text=text[start:end], span=Span(start=start, end=end))
            n = Qualified(item=n, qualifiers=(words,), span=n.span)
        out.append(n)
    return out


def _respectively(parts: list, text: str) -> tuple[Clause, int] | None:
    """'serum creatinine >= 1.5 and >= 1.4 mg/dL in males and females respectively': one
    bound for each sex, in the order the sexes are named, over two operands of 'and' (the
    sexes read as one 'males and females') or three. Returns the one sequence
    'creatinine >= 1.5 males, >= 1.4 mg/dL females' says, for `_sex_shape`, and how many
    operands it replaces; None when the operands are not exactly that."""
    if len(parts) < 2 or not all(isinstance(p, Clause) for p in parts[:3]) or "SEX" not in _kinds(parts[1].elements):
        return None  # (the second operand names the sexes, or the first of them)
    sigs = [[e for e in p.elements if not _is_filler(e) or isinstance(e, (Bnd, Rng))] for p in parts[:3]]

    def sex(e, n: int) -> bool:
        return isinstance(e, Atom) and e.type == "SEX" and len(e.value) == n

    def respectively(e) -> bool:
        return isinstance(e, Atom) and e.type == "WORD" and str(e.value) == "respectively"

    if not (sigs[0] and isinstance(sigs[0][-1], Bnd)):
        return None
    middle = sigs[1]
    if len(middle) == 3 and isinstance(middle[0], Bnd) and sex(middle[1], 2) and respectively(middle[2]):
        both = middle[1]
        # the sexes in the order the text names them ('males and females'), not the atom's
        words = text[both.start : both.end].lower()
        female = re.search(r"\b(?:females?|wom[ae]n|girls?)\b", words)
        male = re.search(r"\b(?:males?|m[ae]n|boys?)\b", words)
        if female is None or male is None:
            return None
        order = ("female", "male") if female.start() < male.start() else ("male", "female")
        first = Atom("SEX", (order[0],), both.start, both.end)
        second = Atom("SEX", (order[1],), both.start, both.end)
        used = 2
    elif len(parts) > 2 and len(middle) == 2 and isinstance(middle[0], Bnd) and sex(middle[1], 1):
        last = sigs[2]
        if not (len(last) == 2 and sex(last[0], 1) and respectively(last[1])):
            return None
        first, second, used = middle[1], last[0], 3
    else:
        return None
    b2 = middle[0]
    elements = (*parts[0].elements, first, Atom("COMMA", None, b2.start, b2.start), b2, second)
    return Clause(elements, parts[0].start, parts[used - 1].end), used


def _sex_between(elements, a: int, b: int) -> bool:
    """Only the cases' own words between the first case's bound and sex ('for', 'in')."""
    return all(_is_filler(e) for e in elements[a + 1 : b])


def _merge_sex_cases(parts: list, text: str) -> list:
    """'QTc > 450 ms in males and > 470 ms in females', '<= 450 ms in males or <= 470 ms in
    females': a bound for the other sex after the connective is the second case of the
    measure before it, whichever connective joins them (see `_Assembler._sex_cases`)."""
    out = list(parts)
    k = 0
    while k + 1 < len(out):
        a, b = out[k], out[k + 1]
        merged = _respectively(out[k : k + 3], text)
        if merged is not None and _sex_shape(list(merged[0].elements)) is not None:
            out[k : k + merged[1]] = [merged[0]]
            continue
        if isinstance(a, Clause) and isinstance(b, Clause) and "SEX" in _kinds(b.elements):  # (b's bound is for a sex)
            tail = [e for e in b.elements if not _is_filler(e) or isinstance(e, (Bnd, Rng))]
            if len(tail) == 2:
                joined = (*a.elements, Atom("COMMA", None, b.start, b.start), *b.elements)
                if _sex_shape(list(joined)) is not None:
                    out[k : k + 2] = [Clause(joined, a.start, b.end)]
                    continue
        k += 1
    return out


def _opposite(a, b) -> bool:
    """Two bounds, a lower and an upper one, in either order."""
    if not (isinstance(a, Bnd) and isinstance(b, Bnd)):
        return False
    lower = {">", ">="}
    if (a.op in lower) == (b.op in lower) or "=" in (a.op, b.op):
        return False
    # a number against the normal limit and one in a unit are not one range
    return _plain(a.qty) or _plain(b.qty) or (a.qty.relative_to is None) == (b.qty.relative_to is None)


def _bounds_range(a: Bnd, b: Bnd) -> Rng:
    """The range two bounds of opposite sense make, a unit written once serving both."""
    if a.op in ("<", "<="):
        a, b = b, a
    return Rng(_share_unit(a.qty, b.qty), _share_unit(b.qty, a.qty), a.op == ">=", b.op == "<=", min(a.start, b.start), max(a.end, b.end))


# Words for people that a bracketed age may follow: 'Patients (18 years or older)'.
_PEOPLE = frozenset(
    "patients patient subjects subject participants participant people individuals persons volunteers those "
    "infants neonates newborns babies boys girls men women males females".split()
)


# Words that say which people, in their care or their age group: 'Inpatient >= 18 y.o. who
# are scheduled ...'. Before an age they leave it the patient's own (and, not understood,
# they qualify what is read).
_PERSON_WORDS = _PEOPLE | frozenset("inpatient inpatients outpatient outpatients volunteer adult adults child children".split())


def _person_word(x) -> bool:
    return isinstance(x, Atom) and x.type == "WORD" and str(x.value).lower() in _PERSON_WORDS


_OBTAINED = frozenset("obtained measured performed done collected drawn taken assessed".split())


def _dose_of_next(els: list, j: int) -> bool:
    """A dose at `j` written before 'of' and a drug: '<= 10 mg/day of prednisone'."""
    if j < 0 or j + 2 >= len(els):
        return False
    b, of, drug = els[j], els[j + 1], els[j + 2]
    return (
        isinstance(b, Bnd) and b.qty.unit is not None and b.qty.time is None and b.qty.relative_to is None
        and isinstance(of, Atom) and of.type == "WORD" and of.value == "of"
        and isinstance(drug, Atom) and drug.type == "DRUG"
    )


def _bracketed_bound(x) -> Bnd | Rng | None:
    """A bracket holding only a bound, with no time unit: '(10 % or above)', '(>= 30 kg/m2)'."""
    if not (isinstance(x, Grp) and isinstance(x.node, Unparsed) and x.raw is not None):
        return None
    sig = [e for e in x.raw.elements if not _is_filler(e) or isinstance(e, (Bnd, Rng))]
    if len(sig) != 1 or not isinstance(sig[0], (Bnd, Rng)):
        return None
    qtys = (sig[0].qty,) if isinstance(sig[0], Bnd) else (sig[0].low, sig[0].high)
    return sig[0] if all(q.time is None for q in qtys) else None


def _bracketed_dose(x) -> Bnd | None:
    """'aspirin (> 325 mg/day)': a bracket holding only a dose bound."""
    if not (isinstance(x, Grp) and isinstance(x.node, Unparsed) and x.raw is not None):
        return None
    sig = [e for e in x.raw.elements if not _is_filler(e) or isinstance(e, Bnd)]
    if len(sig) == 1 and isinstance(sig[0], Bnd) and sig[0].qty.unit is not None and sig[0].qty.time is None and sig[0].qty.relative_to is None:
        return sig[0]
    return None


def _bracketed_window(x) -> Window | None:
    """'(obtained =< 14 days prior to registration)', '(within 28 days before enrollment)':
    a bracket that says only when a measurement was taken."""
    if not (isinstance(x, Grp) and isinstance(x.node, Unparsed) and x.raw is not None):
        return None
    sig = [e for e in x.raw.elements if not _is_filler(e) and not (isinstance(e, Atom) and e.type == "WORD" and str(e.value) in _OBTAINED)]
    if len(sig) == 1 and isinstance(sig[0], Win) and sig[0].window is not None:
        return sig[0].window
    return None


# a bracket that opens with another limit: '(or <= 5.0 x ULN if liver or bone metastasis)'
_OR_BOUND_OPEN = re.compile(r"[(\[]\s*or\s*(?:[<>\u2264\u2265=]|less|greater|more|up to|\d)", re.IGNORECASE)


def _loose_bound(grp: Grp) -> bool:
    """A bracket whose bound was not understood ('(or <= 5x with liver metastases)', '(5x for
    liver metastasis)'): it speaks of a bound, most likely one outside it, so the whole
    bracket is words that qualify its neighbours, not a structure of its own beside them."""
    if not (isinstance(grp.node, Qualified) and grp.raw is not None):
        return False
    bounds = [e for e in grp.raw.elements if isinstance(e, (Bnd, Rng, Qty))]
    if any(q.span.start <= _start(b) and _end(b) <= q.span.end for b in bounds for q in grp.node.qualifiers):
        return True
    # a multiple run into a word ('5xfor'): a bound not even read as one (canonical text
    # quotes its pieces, «...», and those stay as they are)
    if _has(grp.raw.elements, "UNPARSED_LIT"):
        return False
    return any(re.search(r"[0-9]\s*[x\u00d7]", q.text) for q in grp.node.qualifiers)


def _bracketed_duration(grp: Grp, text: str) -> bool:
    """A bracket holding a duration bound alone, read as an age ('(> 3 months)'), with no
    word in it saying it is one ('(>= 18 years of age)' does)."""
    if not (isinstance(grp.node, (Comparison, Range)) and grp.node.measure == "age" and grp.raw is not None):
        return False
    sig = [x for x in grp.raw.elements if not _is_filler(x)]
    people = any(isinstance(x, Atom) and x.type == "WORD" and str(x.value).lower() in _PEOPLE for x in grp.raw.elements)
    return len(sig) == 1 and isinstance(sig[0], (Bnd, Rng)) and not people and _AGE_INSIDE.search(text[grp.start : grp.end].lower()) is None


def _names_people(els: list, i: int) -> bool:
    """Whether the bracket at `i` opens the sequence or follows a word for people, so that a
    duration in it is their age ('Adults (>= 18 years)'), not how long the word before it
    lasts ('Chronic (more than three months) ESBL colonization')."""
    if i == 0:
        return True
    prev = els[i - 1]
    # after a measure it says for whom the measure's bound is ('Karnofsky (>= 16 years) >= 50')
    return isinstance(prev, Atom) and (prev.type in ("AGE", "SEX", "MEASURE") or (prev.type == "WORD" and str(prev.value).lower() in _PEOPLE))


def _alternative_scales(names: list[str]) -> bool:
    """'ECOG/Karnofsky': two different rating scales joined by a slash name one status scored
    on either scale, not two statuses that must both hold (as 'AST/ALT' are two measures)."""
    from engine.vocab import load_vocabulary

    vocab = load_vocabulary()
    if len(set(names)) < 2:
        return False
    for name in names:
        concept = vocab.get("measure", name)
        if concept is None or concept.scale is None:
            return False
    return True


def _in_own_unit(measure: str, b) -> bool:
    """Whether a bound is in a unit of the measure's own kind ('34 weeks' of gestational age)."""
    return _unit_fits(measure, b, molar=False) is True


def _unit_fits(measure: str, b, *, molar: bool = True) -> bool | None:
    """Whether a bound's unit is one the measure can be given in (a molar one for a mass one
    through the measure's molar mass, unless `molar` is False); None when the measure or the
    bound has no unit or the bound is against a normal limit. False: '9.0 g/dL' is never a
    neutrophil count."""
    from engine.units import comparable
    from engine.vocab import load_vocabulary

    concept = load_vocabulary().get("measure", measure)
    q = b.qty if isinstance(b, Bnd) else b.high
    unit = _age_unit(q) if q.time else q.unit
    if concept is None or concept.unit is None or unit is None or q.relative_to is not None:
        return None
    try:
        return comparable(unit, concept.unit, molar_mass=concept.molar_mass if molar else None)
    except UnitError:
        return False


def _whole_scale(measure: str, r: Rng) -> bool:
    """A range of plain numbers from one end of a measure's scale to the other ('0-10')."""
    from engine.vocab import load_vocabulary

    concept = load_vocabulary().get("measure", measure)
    if concept is None or concept.scale is None or not (_plain(r.low) and _plain(r.high)):
        return False
    return (r.low.value, r.high.value) == (Decimal(concept.scale[0]), Decimal(concept.scale[1]))


@lru_cache(maxsize=512)
def _scale_measure(measure: str) -> bool:
    """A measure with a `scale` in rules/vocab/measures.toml: a bounded score ('ECOG', 'ASA')."""
    from engine.vocab import load_vocabulary

    concept = load_vocabulary().get("measure", measure)
    return concept is not None and concept.scale is not None


def _on_scale(measure: str, b) -> bool:
    """'>= 5 on the pain numeric rating scale': a plain number on a bounded score."""
    from engine.vocab import load_vocabulary

    concept = load_vocabulary().get("measure", measure)
    qtys = (b.qty,) if isinstance(b, Bnd) else (b.low, b.high)
    return concept is not None and concept.scale is not None and all(_plain(q) for q in qtys)


@lru_cache(maxsize=512)
def _time_measure(measure: str) -> bool:
    """A measure counted in time ('gestational age' in weeks)."""
    from engine.vocab import load_vocabulary

    concept = load_vocabulary().get("measure", measure)
    return concept is not None and concept.unit in ("weeks", "days")


def _rate_measure(measure: str) -> bool:
    """A habit counted per day or week (drinks a day, hours of exercise a week): a number
    without its unit ('3 times a week', '30 minutes') is never its value."""
    from engine.vocab import load_vocabulary

    concept = load_vocabulary().get("measure", measure)
    return concept is not None and concept.unit in ("drinks/day", "hours/week", "days/week")


def _timed(measure: str, q: Qty) -> bool:
    """'> 37 weeks gestation': a duration is the value of a measure counted in time."""
    return q.time in ("week", "day") and q.relative_to is None and _time_measure(measure)


def _age_unit(q: Qty) -> str | None:
    return {"year": "years", "month": "months", "week": "weeks", "day": "days", "hour": "hours"}.get(q.time or "")


def _trim(elements: list) -> list:
    """Punctuation at either end of a sequence belongs to neither side."""
    a, b = 0, len(elements)
    while a < b and _is_punct(elements[a]):
        a += 1
    while b > a and _is_punct(elements[b - 1]):
        b -= 1
    return elements[a:b]


def _is_punct(e) -> bool:
    return isinstance(e, Atom) and (e.type in ("COMMA", "SEMI", "COLON", "SLASH") or (e.type == "WORD" and e.value in (".", "-", "'")))


# words of a judgment's sentence that may let through what a bound beside it holds back
_RELAXES = re.compile(r"\b(?:may|can|could|allowed|permitted|eligible|except|unless|if|only|however|but|waived?|exceptions?)\b", re.IGNORECASE)


# a piece that opens so says whom the rest is for
_CASE_LEAD = re.compile(r"\W*(?:for|if|in|when|where|among|once|after|before|unless|while)\b", re.IGNORECASE)


def _stops_sentence(text: str, els: list, i: int) -> bool:
    """Element i of a clause ends a sentence: a semicolon, or a full stop before a capital
    letter that ends no abbreviation."""
    e = els[i]
    if not isinstance(e, Atom):
        return False
    if e.type == "SEMI":
        return True
    if e.type == "WORD" and e.value == "." and i + 1 < len(els):
        nxt = text[_start(els[i + 1]) : _start(els[i + 1]) + 1]
        prev = els[i - 1] if i > 0 else None
        abbreviation = isinstance(prev, Atom) and prev.type == "WORD" and str(prev.value) in ("etc", "e.g", "i.e", "vs", "approx", "no")
        return nxt.isupper() and not abbreviation
    return False


def _combine(nodes: list, span: Span, text: str, plain: list[bool]) -> Predicate:
    kept = [(n, f) for n, f in zip(nodes, plain) if not isinstance(n, Unparsed)]
    structured = _distribute_history(_distribute_population(_distribute_prefix([n for n, _f in kept], text), text), [f for _n, f in kept])
    loose = tuple(n for n in nodes if isinstance(n, Unparsed))
    if not structured:
        return Unparsed(text="", span=span) if not loose else _join_unparsed(loose, span, text)
    if len(structured) > 1 and _allergy_then_drugs(structured):
        # 'Known hypersensitivity to TQB3909, LHRH agonists (e.g., goserelin), or any
        # excipients' (NCT05775575): the drugs after the allergy are what it is to, as in the
        # same list without its example; as a clause of their own, a man on leuprolide was
        # excluded for taking it
        items = [structured[0], *(i for n in structured[1:] for i in (n.items if isinstance(n, AnyOf) else (n,)))]
        structured = [AnyOf(items=tuple(items), span=Span(start=items[0].span.start, end=items[-1].span.end))]
    node = structured[0] if len(structured) == 1 else Each(items=tuple(structured), span=span)
    if loose:
        return Qualified(item=node, qualifiers=loose, span=span)
    return node


def _allergy_then_drugs(nodes: list) -> bool:
    """An allergy first, then drugs alone (an 'or' of them, words not understood among them)."""
    first = nodes[0].item if isinstance(nodes[0], Qualified) else nodes[0]
    if not (isinstance(first, Condition) and first.concept in ALLERGY_CONCEPTS):
        return False
    rest = [i for n in nodes[1:] for i in (n.items if isinstance(n, AnyOf) else (n,))]
    return any(isinstance(i, Medication) for i in rest) and all(isinstance(i, (Medication, Unparsed)) for i in rest)


def _join_unparsed(loose, span, text: str):
    """Pieces not understood, one piece: the text they span, as written (so a substring of
    the input). Pieces quoted apart in canonical text («a»; «b») stay apart."""
    if len(loose) == 1:
        return loose[0]
    start, end = loose[0].span.start, loose[-1].span.end
    whole = text[start:end]
    if "\u00ab" in whole or "\u00bb" in whole:
        return Each(items=tuple(loose), span=span)
    return Unparsed(text=whole, span=Span(start=start, end=end))


def _plain_event(part) -> bool:
    """An operand written as an event's words, not in brackets, that says no tense of its own:
    'stroke', 'HIV' (not 'currently taking warfarin', 'active HIV')."""
    return (
        isinstance(part, Clause)
        and not any(isinstance(e, Grp) for e in part.elements)
        and any(isinstance(e, Atom) and e.type in ("CONDITION", "DRUG", "PROCEDURE") for e in part.elements)
        and not any(isinstance(e, Atom) and (e.type == "ACTIVE" or str(e.value) in _OWN_TENSE) for e in part.elements)
    )


# words by which an operand says its own tense ('received chemotherapy or currently taking
# warfarin'): the history words of the first operand do not reach it
_OWN_TENSE = _NOW | {"taking", "receiving", "on"}


def _distribute_history(nodes: list, plain: list[bool]) -> list:
    """'history of myocardial infarction, stroke, or heart failure': the history words
    before the first event speak of each bare event written after it (an event in
    brackets, '(stroke)', stands apart: that is how render writes one without them)."""
    events = (Condition, Medication, Procedure)
    first = nodes[0].item if nodes and isinstance(nodes[0], Qualified) else (nodes[0] if nodes else None)
    if len(nodes) < 2 or not isinstance(first, events) or not first.history:
        return nodes

    def bare(n) -> bool:
        return isinstance(n, events) and not n.history and getattr(n, "active", None) is None

    # 'Known active hepatitis B or C': 'active' with the history words reaches the next
    # condition too (as 'history of hepatitis C' a resolved one would count)
    said = {"history": True}
    if isinstance(first, Condition) and first.active:
        said_condition = {"history": True, "active": True}
    else:
        said_condition = said
    out = [nodes[0]]
    for n, is_plain in zip(nodes[1:], plain[1:]):
        if not is_plain:
            pass
        elif bare(n):
            n = n.model_copy(update=said_condition if isinstance(n, Condition) else said)
        elif isinstance(n, Qualified) and bare(n.item):
            n = n.model_copy(update={"item": n.item.model_copy(update=said_condition if isinstance(n.item, Condition) else said)})
        out.append(n)
    return out


# a setting word that opens a treatment's name in the vocabulary ('neoadjuvant chemotherapy')
_SETTING_WORD = re.compile(r"\b(neo-?adjuvant|adjuvant)\b", re.IGNORECASE)


def _distribute_setting(nodes: list, plain: list[bool], text: str) -> list:
    """'History of Neoadjuvant chemotherapy or radiotherapy' (NCT03925103): the setting word
    that the first treatment's name took in ('neoadjuvant chemotherapy' is one concept) may
    speak of the bare treatments after it too; each carries it as a word that only narrows
    (false without the treatment, unknown with one). Read without it, any radiotherapy ever
    excluded from a trial of lobectomy."""
    treatments = (Medication, Procedure)
    first = nodes[0].item if nodes and isinstance(nodes[0], Qualified) else (nodes[0] if nodes else None)
    if len(nodes) < 2 or not isinstance(first, treatments):
        return nodes
    word = _SETTING_WORD.search(text, first.span.start, first.span.end)
    if word is None or not first.concept.startswith(word.group(1).lower().replace("-", "")):
        return nodes
    said = (Unparsed(text=word.group(1), span=Span(start=word.start(1), end=word.end(1))),)
    out = [nodes[0]]
    for n, is_plain in zip(nodes[1:], plain[1:]):
        item = n.item if isinstance(n, Qualified) else n
        own = _SETTING_WORD.search(text, n.span.start, n.span.end)  # 'or adjuvant radiotherapy'
        out.append(_qualify(n, said, treatments) if is_plain and isinstance(item, treatments) and not own else n)
    return out


# the patient the words are of, which says nothing of the events after them ('The patient has
# severe lung or heart disease': 'severe lung', as short as in 'Severe lung or heart disease')
_SUBJECT_LEAD = re.compile(
    r"^\s*(?:(?:the\s+)?(?:patients?|subjects?|participants?|individuals?)\s+(?:with|who\s+(?:have|has)|has|have|having)|with|has|have|having)\s+",
    re.IGNORECASE,
)


def _short_words(text: str) -> bool:
    """At most three words, the patient they are of aside, that may be an adjective of what
    follows ('The patient has severe lung'; not 'Subjects with a history', which says when)."""
    rest = _SUBJECT_LEAD.sub("", text)
    if rest != text and _WHEN_WORDS.match(rest):
        rest = text
    return len(rest.split()) <= 3


_WHEN_WORDS = re.compile(r"(?:an?\s+)?(?:history|evidence|diagnosis|known|prior|previous|documented|current)\b", re.IGNORECASE)


def _distribute_prefix(nodes: list, text: str) -> list:
    """'uncontrolled hypertension, diabetes, or stroke': words before the first event that
    were not understood may speak of every event of the list; each event keeps them, so
    none decides alone what the words could change."""
    events = (Condition, Medication, Procedure)
    if not nodes:
        return nodes
    first_literal = isinstance(nodes[0], Unparsed) and text[nodes[0].span.start : nodes[0].span.start + 1] == "\u00ab"
    if len(nodes) >= 2 and isinstance(nodes[0], Unparsed) and not first_literal and (_short_words(nodes[0].text) or _ENDS_NARROWING.search(nodes[0].text)):
        # 'Serious cardiac or cardiovascular disease': a short first operand not understood
        # may be an adjective of the alternatives after it as much as an alternative itself;
        # so may one that ends in such a word after a lead-in ('Have a known history of
        # uncontrolled or symptomatic angina, arrhythmias, or CHF', NCT02394496: alone, any
        # arrhythmia excluded)
        return [nodes[0], *(_qualify(n, (nodes[0],), events) for n in nodes[1:])]
    if len(nodes) < 2 or not isinstance(nodes[0], Qualified):
        return nodes
    first = nodes[0]
    # the words before the first operand's first structure ('histological confirmation of
    # relapse after HSCT of T-ALL or T-LBL'); words after it speak of it alone
    leaves = [n.span.start for n in walk(first.item) if not children(n) and not isinstance(n, (Unparsed, Judgment))]
    if not leaves:
        return nodes
    prefix = tuple(q for q in first.qualifiers if q.span.end <= min(leaves))
    if not prefix:
        return nodes
    return [first, *(_qualify(n, prefix, events) for n in nodes[1:])]


# 'Women with breast cancer or any patient with diabetes': an operand of people of its own
_OTHER_PEOPLE = re.compile(r"\b(?:patients?|subjects?|participants?|individuals?|persons?|people|those|anyone)\b", re.IGNORECASE)
_SEX_WORD = re.compile(r"\b(?:wom[ae]n|m[ae]n|males?|females?|boys?|girls?|mothers?|fathers?)\b", re.IGNORECASE)
_WOMEN_WORD = re.compile(r"\s*(?:women|woman|females?|patients?|subjects?|participants?)\b", re.IGNORECASE)
# after the people an 'or' list is of: 'women with X or Y', 'men who have X or Y'
_WHO_HAVE = re.compile(r"\s*(?:with|who\s+(?:have|has|had)|having)\b", re.IGNORECASE)


_REQUIRES = re.compile(r"(?:that\s+|which\s+)?(?:requir|need)\w*(?:\s+\w+)?", re.IGNORECASE)


# 'X or Y had serious adverse reactions': the operand that ends in the reaction the drugs
# before it had (not 'who have not recovered from adverse events', an alternative of its own)
_REACTION_WORDS = re.compile(
    r"\b(?:had|has|have|with|experienced|developed)\s+(?:an?\s+)?(?:serious\s+|severe\s+)?"
    r"(?:adverse\s+(?:drug\s+)?(?:reactions?|events?|effects?)|side\s+effects?|intoleran\w+|hypersensitivit\w+)\W*$",
    re.IGNORECASE,
)


def _reaction_after_drugs(nodes: list) -> list:
    """'For docetaxel or fluorouracil or Twain 80 had serious adverse reactions' (NCT02947061):
    the drugs before the words of a reaction are what the reaction was to; alone, a patient
    on docetaxel was excluded. Each carries those words, which keep it from deciding."""
    k = next((i for i, n in enumerate(nodes) if i > 0 and isinstance(n, Unparsed) and _REACTION_WORDS.search(n.text)), None)
    if k is None:
        return nodes
    drugs = (Medication,)
    out = [
        _qualify(n, (nodes[k],), drugs) if isinstance(n, Medication) or (isinstance(n, Qualified) and isinstance(n.item, Medication)) else n
        for n in nodes[:k]
    ]
    return [*out, *nodes[k:]]


def _distribute_requirement(nodes: list) -> list:
    """'Active autoimmune disease requiring systemic steroids or immunosuppressive agents',
    '... or a syndrome that requires systemic steroids or immunosuppressive agents': the
    alternatives after the one that says what something requires are more of what it
    requires. Alone, any immunosuppressant excluded (a transplant patient on tacrolimus with
    no autoimmune disease); each carries what requires it, and the words that say so."""
    for j, first in enumerate(nodes[:-1]):
        if not isinstance(first, Qualified):
            continue
        events = [n for n in walk(first.item) if isinstance(n, (Condition, Medication, Procedure))]
        req = next((q for q in first.qualifiers if isinstance(q, Unparsed) and _REQUIRES.fullmatch(q.text.strip())), None)
        if req is None or not any(n.span.start > req.span.end for n in events):
            continue
        subject = tuple(n for n in events if n.span.end <= req.span.start)
        required = {type(n) for n in events if n.span.start > req.span.end}
        words = tuple(q for q in first.qualifiers if q.span.start <= req.span.start)
        out = list(nodes[: j + 1])
        for n in nodes[j + 1 :]:
            if type(n) not in required:
                out.append(n)  # 'infection requiring IV antibiotics or HIV': an alternative
                continue
            item = AllOf(items=(*subject, n), span=n.span) if subject else n
            out.append(Qualified(item=item, qualifiers=words, span=n.span))
        return out
    return nodes


def _distribute_population(nodes: list, text: str) -> list:
    """'men with diabetes, hypertension or stroke', 'pregnant women with diabetes or
    hypertension': the people the list opens with have each of its events; read with the
    first alone, a woman with hypertension was excluded as one of those men (NCT03861715)."""
    if len(nodes) < 2:
        return nodes
    first = nodes[0]
    leaves = sorted((n for n in walk(first) if not children(n)), key=lambda n: n.span.start)
    people = []
    for n in leaves:
        if isinstance(n, Sex) or (isinstance(n, Condition) and n.concept == "pregnancy" and not people):
            people.append(n)
            if isinstance(n, Sex):
                break
            continue
        break
    if not people or people[0].span.start > first.span.start:
        return nodes
    after = people[-1].span.end
    if not isinstance(people[-1], Sex):
        # 'pregnant women with': the women are the pregnancy's words
        women = _WOMEN_WORD.match(text, after)
        after = women.end() if women is not None else after
    if not _WHO_HAVE.match(text, after):
        return nodes
    out = [first]
    events = (Condition, Medication, Procedure)
    for n in nodes[1:]:
        event = isinstance(n, events) or (isinstance(n, Qualified) and isinstance(n.item, events))
        if event and not _SEX_WORD.search(text, n.span.start, n.span.end) and not _OTHER_PEOPLE.search(text, first.span.end, n.span.end):
            out.append(AllOf(items=(*people, n), span=n.span))
        else:
            out.append(n)  # 'Men with X or women with Y': an operand of its own people
    return out


def _adjective_of_the_rest(nodes: list) -> bool:
    """The first operand is words that only narrow ('untreated', 'histologically'), and
    every operand after it is an event that carries them (`_distribute_prefix`)."""
    first = nodes[0] if len(nodes) >= 2 else None
    if not isinstance(first, Unparsed) or not _NARROWING.fullmatch(first.text.strip(" ,;:.()[]")):
        return False
    return all(
        isinstance(n, Qualified) and isinstance(n.item, (Condition, Medication, Procedure)) and any(q.text == first.text for q in n.qualifiers)
        for n in nodes[1:]
    )


def _qualify(n, prefix: tuple, events: tuple):
    """An event with the words before it that may speak of it (once: canonical text that
    already carries them parses back to the same tree)."""
    if isinstance(n, events):
        return Qualified(item=n, qualifiers=prefix, span=n.span)
    if isinstance(n, Qualified) and isinstance(n.item, events):
        have = {q.text for q in n.qualifiers}
        extra = tuple(q for q in prefix if q.text not in have)
        return Qualified(item=n.item, qualifiers=(*extra, *n.qualifiers), span=n.span) if extra else n
    return n


class _PendingNode:
    """Marker kept inside a Grp for '(unless E)'; never leaves this module."""

    def __init__(self, mode, exception):
        self.mode = mode
        self.exception = exception


# ---------------------------------------------------------------------------------------
# The entry point


def parse(text: str) -> Predicate:
    """Parse one criterion into its predicate tree.

    Args:
        text: the criterion as written.

    Returns:
        The tree; what was not understood is held in `Unparsed` nodes.

    Raises:
        CriteriaError: `text` is not a string, or is empty.

    >>> parse("ANC >= 500/uL").kind
    'comparison'
    """
    if not isinstance(text, str):
        raise CriteriaError(f"a criterion must be text, not {type(text).__name__}")
    if not text.strip():
        raise CriteriaError("empty criterion", text=text, position=0)
    if len(text) > MAX_LENGTH:
        return _whole(text)
    nothing = _ASKS_NOTHING.fullmatch(text)
    if nothing is not None:
        # 'None', 'Not specified' (35 corpus lines): no criterion, so none to fail; read as
        # words not understood it was unknown for every patient
        return Permission(words=nothing.group(1), span=Span(start=nothing.start(1), end=nothing.end(1)))
    end = _before_closing_connectives(text)
    if end < len(text) and re.search(r"\w", text[:end]):
        # 'Age >= 60 years, or', 'Unstable angina within 12 months before study entry; and':
        # the connective joins the next line, which the record gives as a criterion of its
        # own; how the lines join is engine.screen's (a line that ends in a connective
        # decides nothing alone, `_cut_off`; inclusion lines joined by an 'or' are
        # alternatives, `_alternative_lines`). Read with it, the line was words not understood.
        return parse(text[:end])
    folded = fold(text)
    note = _trailing_narrowing(folded)
    if note is not None:
        # 'Active autoimmune disease that has required systemic treatment in the past 2 years
        # (...). Replacement therapy (e.g., thyroxine, insulin, ...) is not considered a form
        # of systemic treatment.' (44 corpus lines): the note says what does not count, so
        # it only narrows; read as more alternatives, no patient passed. Likewise '...
        # disorders that would interfere with cooperation with the requirements of the trial'
        main = parse(text[: note.start()])
        if not narrowable(main) or not any(isinstance(n, (Condition, Medication, Procedure, Comparison, Range)) for n in walk(main)):
            note = None  # nothing it could narrow: read as a whole, as before
    if note is not None:
        words = Unparsed(text=text[note.start() : note.end()].strip(" ."), span=Span(start=note.start(), end=note.end()))
        return _with_modifiers(Qualified(item=main, qualifiers=(words,), span=Span(start=main.span.start, end=note.end())))
    wait = _WASHOUT_TIME.match(folded)
    if wait is not None and not _FOLLOWING_WORD.search(folded, 0, wait.start(1)):  # (not '... met the following requirements: ≥ 6 months ...')
        washout = _washout(parse(text[: wait.start(1)]), text, wait)
        if washout is not None:
            return washout
    whom = _FOR_WHOM.match(folded)
    if whom is not None:
        # 'For a male or a woman of child-bearing potential (WOCBP): Must agree to use
        # contraception ...' (NCT05383196): the people before the colon are whom the rest binds;
        # the 'or' between them was read with the rest's, and being a man met it
        head = parse(text[: whom.end(1)])
        if not isinstance(head, Unparsed) and any(isinstance(n, Unparsed) for n in walk(head)):
            # ('For premenopausal or perimenopausal women and for men', read '... or
            # («perimenopausal» and sex male)'): whom it is for, not understood in full, is
            # not known of anyone
            words = Unparsed(text=text[head.span.start : head.span.end], span=head.span)
            head = Qualified(item=head, qualifiers=(words,), span=head.span)
        rest = parse(" " * whom.start(2) + text[whom.start(2) :])
        return Conditional(condition=head, then=rest, span=Span(start=head.span.start, end=rest.span.end))
    label = _label_of_its_list(text)
    if label is not None:
        # 'Cohort 3B: EGFR wild-type NSCLC: Patients have received ...; Prior neoadjuvant ...
        # therapy is counted as a line' (NCT05504213): the label is every item's, not the first's
        head = Unparsed(text=text[label.start(1) : label.end(1)], span=Span(start=label.start(1), end=label.end(1)))
        rest = parse(" " * label.end() + text[label.end() :])
        return Conditional(condition=head, then=rest, span=Span(start=head.span.start, end=rest.span.end))
    if _FIRST_ITEM.match(folded):
        folded = _items_run_together(folded)
    lead = _ITEM_NUMBER_ON_A_WORD.match(folded)
    if lead is not None:
        folded = " " * lead.end() + folded[lead.end() :]
    if "with" in folded and _COMMA_WITH.search(folded):
        # 'Prior history of cardiac disease, with NYHA Class II or greater, or congestive
        # heart failure' (NCT00159094): the comma before 'with' and a class or grade goes on to
        # say which cardiac disease is meant; cut there, any cardiac disease excluded alone
        folded = _COMMA_WITH.sub(" ", folded)
    toks = tokenize(folded)
    if not toks or bracket_depth(t.type for t in toks) > MAX_BRACKETS:
        return _whole(text)
    try:
        node = _tree(text, folded, toks)
    except RecursionError:  # a last guard: engine.limits bounds every nesting known
        return _whole(text)
    if node is None or tree_depth(node) > MAX_DEPTH:
        return _whole(text)
    if _WITH_OR_WITHOUT.search(folded):
        node = _drop_optional(node, text)
    if isinstance(node, Unparsed) or (
        _HEADING_END.search(text) and (_DEFINES.search(text) or isinstance(node, (Sex, Condition)) and (isinstance(node, Sex) or _COHORT_HEAD.search(text)))
    ):
        # 'a. For Women:', 'For the patients with breast cancer:', 'Breast cancer patients:':
        # the heading of the items for some patients, which asks nothing itself
        node = _heading_of_items(node if isinstance(node, Unparsed) else Unparsed(text=text.strip(), span=node.span), text)
    if _FOR.search(text):
        node = _given_for_lists(node, text)
    absorption = _ABSORPTION_OF.search(folded)
    if absorption is not None:
        node = _objects_of_absorption(node, text, absorption)
    if "immunosupp" in folded.lower():
        node = _steroids_by_their_dose(node)
    if "requir" in folded:
        node = _requirement_words(node, text)
    node = _lone_event_words(_with_modifiers(node))
    if " or " in folded:
        node = _words_before_an_or(node)
        if isinstance(node, AnyOf):
            node = _conditions_run_on(_age_of_both_sexes(node, text), text)
        if isinstance(node, AnyOf):
            node = _treatments_of_the_patients(node, text)
        if isinstance(node, AnyOf):
            node = _or_of_the_last_sentence(node, text)
    if "not" in folded:
        node = _modal_negation(node, text)
    if isinstance(node, Not):
        node = _asked_after_a_no(node, text)
    if isinstance(node, Exception_) and node.mode == "unless":
        node = _unless_of_the_last(node)
    if isinstance(node, AllOf) and _AND_PEOPLE_WITH.search(text):
        # 'Diabetic nephropathy ... undergoing hemodialysis and subjects with chronic kidney
        # disease of other causes undergoing hemodialysis' (NCT03921216): two groups of
        # patients, either of which is meant; as both at once, every patient of one failed
        node = each_or_either(list(node.items), text, node.span.start, node.span.end)
    found = _ALLERGY_TO.search(text)
    if found is not None:
        node = _allergies_to(node, Unparsed(text=found.group(0), span=Span(start=found.start(), end=found.end())))
        if isinstance(node, AnyOf):
            node = _excipients_of_the_allergy(node)
    if "and/or" in folded and isinstance(node, AnyOf):
        node = _and_or_bounds(node, text)
    if _AGE_AT_EVENT.search(folded):
        node = _age_at_an_event(node, text)
    if any(isinstance(n, Conditional) or (isinstance(n, Qualified) and isinstance(n.item, Condition)) for n in walk(node)):
        node = _group_limits_set_aside(node, text)
    if isinstance(node, Exception_) and node.mode == "except" and isinstance(node.main, Not) and not text.lstrip().startswith("("):
        # 'No diagnosis of malignancy (except non-melanoma skin cancer)': no malignancy other
        # than the excepted one; as '(no malignancy) except ...', the excepted cancer failed it
        # (not where the brackets say so, as canonical text does: '(not (X)) except (Y)')
        node = Not(item=node.model_copy(update={"main": node.main.item}), span=node.span)
    if _LIFE_EXPECTANCY.search(folded):
        node = _judgment_bounds(node, "life_expectancy", _life_expectancy_bound)
    if _COMPLIANCE_BOUND.search(folded):
        node = _judgment_bounds(node, "compliance", _compliance_bound)
    said = _CONSISTENT_WITH.search(folded)
    if said is not None and isinstance(node, (AnyOf, AllOf, Each)):
        node = _subject_said_of(node, Unparsed(text=text[said.start() : said.end()], span=Span(start=said.start(), end=said.end())))
    count = _SOME_OF_THE_FOLLOWING.search(folded)
    if count is not None:
        node = _some_of_the_following(node, text, folded, count)
    if "contra" in folded:
        node = _contraindication_whole(node, text)
    if " or " in folded or "/" in folded:
        node = _history_or_now_reaches(node, text, folded)
    node = _willing_whole(node, text)
    if "contracep" in folded:
        node = _promise_lasts(node, text)
    if _ALLOWING_WORD.search(folded):
        node = _permissions(node, text)
    if _EXCLUDING_WORD.search(folded):
        node = _excluded_by_words(node, text)
    return _recovery_judged(node)


# How long a promise of contraception lasts, said after it: 'for 3 months after the last
# dose', 'during the study and for 8 weeks after the end of treatment', 'up to 180 days after
# last dose', 'for the duration of study participation': a time to come, nothing of the
# patient now; a word that names something else (a drug, a test, a condition) is no such time
_PROMISED_TIME = re.compile(
    r"\W*(?:(?:and|or|as\s+well\s+as)\W+)*"
    r"(?:(?:during|throughout|for|until|up\s+to|through|at\s+least|≥|>=|a\s+period\s+of|the|entire|course|duration|of|this|"
    r"study|trial|treatment|therapy|participation|period|and|after|following|post|the\s+last|last|dose|doses|use|day|administration|"
    r"infusion|completion|end|receiving|product|drugs?|intervention|medication|study\s+drug\(s\)|\d+|one|two|three|four|five|six|"
    r"seven|eight|nine|ten|twelve|days?|weeks?|months?|years?|\(\d+\s+days\)|[,()-])\s*)+",
    re.IGNORECASE,
)
_ONLY_A_LINK = re.compile(r"[\s,;]*(?:(?:and|or|as\s+well\s+as)[\s,;]*)?", re.IGNORECASE)
_TIME_TO_COME = re.compile(r"\b(?:after|following|post|during|throughout|duration|until|through)\b", re.IGNORECASE)


def _promise_lasts(node: Predicate, text: str) -> Predicate:
    """'WOCBP must agree to use effective contraception during the study and for 3 months
    after the last dose.' (NCT04768426): the time after the judgment is how long the promise
    lasts, part of what the study team asks, not a criterion of its own (left words beside
    the judgment, it kept the line unknown for a man, whom it does not bind)."""
    if isinstance(node, (AllOf, Each)):
        items = list(node.items)
        merged: list = []
        for item in items:
            last = merged[-1] if merged else None
            promise = _contraception_of(last) if last is not None else None
            if promise is not None and isinstance(item, Unparsed) and _time_to_come(item, promise, text):
                merged[-1] = _promise_until(last, item.span.end, text)
            else:
                merged.append(_promise_lasts(item, text))
        if len(merged) == 1:
            return merged[0]
        if len(merged) < len(items) or any(a is not b for a, b in zip(merged, items)):
            return node.model_copy(update={"items": tuple(merged)})
        return node
    if isinstance(node, Qualified) and _contraception_of(node.item) is not None:
        promise = _contraception_of(node.item)
        if all(isinstance(q, Unparsed) and _time_to_come(q, promise, text) for q in node.qualifiers):
            return _promise_until(node.item, max(q.span.end for q in node.qualifiers), text)
    return node


def _contraception_of(node: Predicate) -> Judgment | None:
    """The contraception judgment a node is, or binds some patients to ('(judgment) if
    (childbearing potential)')."""
    if isinstance(node, Conditional):
        node = node.then
    return node if isinstance(node, Judgment) and node.category == "contraception" else None


def _time_to_come(words: Unparsed, promise: Judgment, text: str) -> bool:
    """Words after the judgment, nothing else between them, that are a time to come alone."""
    between = text[promise.span.end : words.span.start]
    return (
        words.span.start >= promise.span.end
        and _ONLY_A_LINK.fullmatch(between) is not None
        and _PROMISED_TIME.fullmatch(words.text) is not None
        and _TIME_TO_COME.search(words.text) is not None
    )


def _promise_until(node: Predicate, end: int, text: str) -> Predicate:
    """The judgment (in its condition, where it has one) with its text run on to `end`."""
    promise = _contraception_of(node)
    assert promise is not None
    longer = promise.model_copy(update={"text": text[promise.span.start : end].strip(), "span": Span(start=promise.span.start, end=end)})
    if isinstance(node, Conditional):
        return node.model_copy(update={"then": longer, "span": Span(start=node.span.start, end=max(node.span.end, end))})
    return longer


_HISTORY_OR_NOW = re.compile(rf"\b(?:{HISTORY_OR_NOW})\b", re.IGNORECASE)
_A_CANCER = re.compile(r"malignan|cancer|carcinoma|tumou?r|neoplas|lymphoma|leuka?emia|melanoma|sarcoma|myeloma|glioma|blastoma", re.IGNORECASE)
_LATER_PERMISSION = re.compile(r"[;.]\s.*\b(?:are|is|be)\s+(?:also\s+)?(?:eligible|allowed|permitted|acceptable)\b", re.IGNORECASE | re.DOTALL)


def _history_or_now_reaches(node: Predicate, text: str, folded: str) -> Predicate:
    """'Current or past infection with HIV, HBV, or HCV' (NCT03927846 shape): the words say
    past or present of every event after them in the sentence, but the tree gave the history
    to the first alone, and 'hepatitis b' read as one going on now passed a resolved one. Each
    event after the words that the history did not reach keeps them as words not understood,
    so it decides nothing alone (as the words did before they were read). Not in canonical
    text, whose literals already say so; not in what an exception carves out. Where a later
    sentence lets some patients in ('...; subjects with vitiligo, psoriasis ... are eligible',
    NCT04761744), which the tree reads as a criterion of its own, the words keep every
    event after them from deciding alone, as before they were read. So they do beside a
    cancer: 'Previous or concurrent cancer within 3 years' (NCT05699811) in a breast cancer
    trial means another cancer, and read as any, it failed the trial's own patients."""
    if "\u00ab" in text:
        return node
    said = [m for m in _HISTORY_OR_NOW.finditer(folded)]
    if not said:
        return node
    let_in = _LATER_PERMISSION.search(text) is not None

    def words_before(event: Predicate) -> Unparsed | None:
        for m in said:
            # (an event's span holds the history words read into it)
            if m.end() <= event.span.end and not _SENTENCES.search(text, m.end(), max(m.end(), event.span.start)):
                return Unparsed(text=text[m.start() : m.end()], span=Span(start=m.start(), end=m.end()))
        return None

    def reach(n: Predicate) -> Predicate:
        if isinstance(n, (Condition, Medication, Procedure)):
            words = None if n.history and not let_in and not _A_CANCER.search(n.concept) else words_before(n)
            return n if words is None else Qualified(item=n, qualifiers=(words,), span=n.span)
        if isinstance(n, Exception_):
            main = reach(n.main)
            return n if main is n.main else n.model_copy(update={"main": main})
        if isinstance(n, Qualified):
            item = reach(n.item)
            if item is n.item:
                return n
            if isinstance(item, Qualified) and item.item is n.item:
                return n.model_copy(update={"qualifiers": (*item.qualifiers, *n.qualifiers)})
            return n.model_copy(update={"item": item})
        if type(n) not in OPERAND_FIELDS:
            return n
        updates = operands_mapped(n, reach)
        return n.model_copy(update=updates) if updates else n

    return reach(node)


# 'Contraindications to anastrozole or tamoxifen', 'Any contraindication to MRI (pacemaker,
# ...)', 'No contraindications to treatment with temozolomide': whether something is
# contraindicated is the clinician's call, which no record holds. Read word by word, the drugs
# named became exposures ('(tamoxifen) «Contraindications»').
_CONTRAINDICATION = re.compile(
    r"\W*(?:\d{1,2}[.)]\s*)?(?:(?:(?:patients?|subjects?|participants?)\s+(?:with|who\s+(?:have|has))|any|known|has|have|with|presence\s+of)\s+)*"
    r"(?:(?P<no>no|without|absence\s+of)\s+)?(?:an?\s+|any\s+)?(?:known\s+|absolute\s+|relative\s+|medical\s+)?(?P<word>contra-?indications?)\b",
    re.IGNORECASE,
)
# (with an allergy named the line keeps its structure: 'Contraindication or allergy to
# ibuprofen' is true of an allergy to ibuprofen on record)
_ALLERGY_NAMED = re.compile(r"allerg|hypersensitiv|intoleran|anaphyla", re.IGNORECASE)


def _contraindication_whole(node: Predicate, text: str) -> Predicate:
    """The whole criterion one judgment of the clinician's where it opens with a
    contraindication and is one sentence naming no allergy; 'No contraindication to X' its
    negation."""
    found = _CONTRAINDICATION.match(text)
    if isinstance(node, (Judgment, Not)) and isinstance(getattr(node, "item", node), Judgment) or found is None:
        return node
    if _SENTENCES.search(text.rstrip(), found.end()) or _ALLERGY_NAMED.search(text) or ":" in text[found.end() :]:
        # (after a colon the line lists what counts: 'Contraindications to TMS: history of
        # seizure/epilepsy, pacemaker, ...'; an epilepsy on record is one)
        return node
    start = found.start("word") if found.group("no") else len(text) - len(text.lstrip())
    end = len(text.rstrip())
    judgment = Judgment(category="medical_judgment", text=text[start:end], span=Span(start=start, end=end))
    if found.group("no"):
        return Not(item=judgment, span=Span(start=len(text) - len(text.lstrip()), end=end))
    return judgment


_STEROIDS = frozenset({"corticosteroid", "prednisone", "prednisolone", "methylprednisolone", "dexamethasone", "hydrocortisone"})


def _steroids_by_their_dose(node: Predicate) -> Predicate:
    """'patients on immunosuppressive drugs, intake of prednisolone (or equivalent) > 10 mg for
    at least 3 weeks' (NCT03920527): where the criterion says how much of a corticosteroid
    counts, its immunosuppressants are the others (corticosteroids are immunosuppressants in
    the vocabulary): an undosed prednisolone excluded as an immunosuppressive drug."""
    meds = [n for n in walk(node) if isinstance(n, Medication)]
    dosed = next((n for n in meds if n.concept in _STEROIDS and n.dose is not None), None)
    imm = [n for n in meds if n.concept == "immunosuppressant" and n.dose is None]
    if dosed is None or not imm:
        return node
    if any(isinstance(n, Exception_) for n in walk(node)):
        return node  # what is excepted already is said
    for n in walk(node):
        if isinstance(n, AllOf) and any(m is dosed for m in walk(n)) and any(m is i for i in imm for m in walk(n)):
            # 'a stable immunosuppressive regimen with <= 10 mg/day of prednisone': the dose
            # is of the regimen itself
            return node
    steroids = Medication(concept="corticosteroid", span=dosed.span)

    def apart(n: Predicate) -> Predicate:
        if isinstance(n, Medication) and n.concept == "immunosuppressant" and n.dose is None:
            return Exception_(mode="except", main=n, exception=steroids, span=Span(start=n.span.start, end=max(n.span.end, dosed.span.end)))
        if type(n) not in OPERAND_FIELDS:
            return n
        updates = operands_mapped(n, apart)
        return n.model_copy(update=updates) if updates else n

    return apart(node)


# 'Cardiac dysfunction or disease are consistent with one of the following conditions such as
# arrhythmia ..., or congestive heart failure ...' (NCT04488107): the subject is meant only
# as what the words after it say; alone, any heart disease excluded
_CONSISTENT_WITH = re.compile(r"\b(?:is|are)\s+consistent\s+with\b", re.IGNORECASE)


def _subject_said_of(node: Predicate, said: Unparsed) -> Predicate:
    """The operands before `said` qualified by it: what they are is what follows."""
    items = tuple(
        Qualified(item=n, qualifiers=(said,), span=n.span) if n.span.end <= said.span.start and isinstance(n, (Condition, Medication, Procedure)) else n
        for n in node.items
    )
    return node.model_copy(update={"items": items})


# 'Nursing home residents with >= 2 of the following risk factors for atrial fibrillation: age
# >= 75 years; female sex; obstructive sleep apnea; ...', 'at least three out of the following
# six conditions:', 'two or more of the following:'. Read as the list it heads, every item was
# required: a woman of 86 with no sleep apnea failed it, though age and sex are two.
_SOME_OF_THE_FOLLOWING = re.compile(
    r"(?:\bat\s+least|\u2265|>=|\ba\s+minimum\s+of)\s*(?:two|three|four|five|six|[2-9])\s+(?:out\s+)?of\s+(?:the\s+)?(?:\w+\s+)?following\b"
    r"|\b(?:two|three|four|five|six|[2-9])\s+or\s+more\s+(?:out\s+)?of\s+(?:the\s+)?following\b",
    re.IGNORECASE,
)
# words of such a heading that ask nothing of the patient
_SOME_HEADING_WORDS = frozenset(
    """patients patient participants participant subjects subject must should have has having meet meets met be
    with who the of following criteria conditions features factors items risk out one two three four five six seven
    eight nine ten""".split()
)


def _some_of_the_following(node: Predicate, text: str, folded: str, count: re.Match) -> Predicate:
    """'at least 2 of the following: A; B; C' with its items on the same line: it holds
    when all of them do and fails when none does (the count is at least one); between, the
    count decides, which the tree does not keep: unknown. Words of the heading that may ask
    more ('Nursing home residents with', 'To be considered high risk,', a window) qualify it."""
    sep = _ITEMS_AFTER.search(folded, count.end())
    colon = sep.end() - 1 if sep is not None else -1
    if colon < 0 or not folded[colon + 1 :].strip(" .;-*\u2022") or folded.count("(", 0, count.start()) != folded.count(")", 0, count.start()):
        return node  # a heading whose items come on their own lines, or a count inside brackets
    items_node = parse(" " * (colon + 1) + text[colon + 1 :])
    # items split by ';' or joined by 'and' (an 'or' at the top is more likely inside the
    # last item: '(4) diffuse abnormalities on CXR or a CT scan')
    items = list(items_node.items) if isinstance(items_node, (Each, AllOf)) else [items_node]
    start, end = count.start(), len(text.rstrip())
    whole = Span(start=start, end=end)
    said = Unparsed(text=text[count.start() : count.end()], span=Span(start=count.start(), end=count.end()))
    if len(items) < 2:
        result: Predicate = Qualified(item=items_node, qualifiers=(said,), span=whole)
    else:
        # an item that is itself all or any of several is flattened into the like list: the
        # same truth, and the tree the canonical text parses back to
        every = tuple(x for n in items for x in (n.items if isinstance(n, AllOf) else (n,)))
        some = tuple(x for n in items for x in (n.items if isinstance(n, AnyOf) else (n,)))
        result = _all_or_none(said, every, some, whole)
    head = [(m.start(), m.end()) for m in re.finditer(r"[^\W_]+", folded[:colon]) if not count.start() <= m.start() < count.end()]
    asked = [(a, b) for a, b in head if folded[a:b].lower() not in _SOME_HEADING_WORDS]
    pieces = []
    for side in ([w for w in asked if w[0] < count.start()], [w for w in asked if w[0] >= count.end()]):
        if side:
            a, b = side[0][0], side[-1][1]
            pieces.append(Unparsed(text=text[a:b], span=Span(start=a, end=b)))
    if pieces:
        whole = Span(start=min(pieces[0].span.start, start), end=end)
        result = Qualified(item=result, qualifiers=tuple(pieces), span=whole)
    return result


# where the items of 'at least 2 of the following' begin: after its colon, or a dash between
# spaces ('... associated with her DCIS - high-grade, palpable mass, ...')
_ITEMS_AFTER = re.compile(r"[:\uff1a]|\s-(?=\s)")


_ENDS_IN_ADJECTIVE = re.compile(
    r"\b(?:(?!(?:hospital|trial|approval|removal|interval|signal|total|animal|arrival|individual|proposal|denial|referral)\b)[a-z]+(?:al|ic|ive|ous|able|ible|ced|lled)"
    r"|pulmonary|coronary|primary|urinary|biliary|respiratory|inflammatory|refractory|sensory|circulatory|hereditary)$",
    re.IGNORECASE,
)


_AND_PEOPLE_WITH = re.compile(r"\b(?:and|&)\s+(?:those|subjects|patients|participants|individuals|people)\s+(?:with|who|having)\b", re.IGNORECASE)

# what an allergy is to: 'allergic reactions to GnRH, GnRH agonist/analogs', 'study drug allergy'
_ALLERGY_TO = re.compile(
    r"\b(?:allerg\w*|hypersensitiv\w*|reactions?|responses?|intoleran\w*)(?:[^;.]{0,60}?\s)?(?:to|against)\s+[^;.]+"
    r"|\b(?:study|trial|investigational)\s+(?:drugs?|treatments?|products?|agents?|medications?)\s+(?:allerg\w*|hypersensitiv\w*)",
    re.IGNORECASE,
)


def _allergies_to(node: Predicate, what: Unparsed) -> Predicate:
    """'Known hypersensitivity, idiosyncratic, or allergic reactions to GnRH ...', 'known to
    study drug allergy': an allergy left bare in a criterion that says what it is to is an
    allergy to that (read bare, a shellfish allergy excluded); the words of what it is to
    qualify it (engine.evaluate: no allergy on record is none to it)."""
    if isinstance(node, Condition) and node.concept == "allergy":
        return Qualified(item=node, qualifiers=(what,), span=Span(start=min(node.span.start, what.span.start), end=max(node.span.end, what.span.end)))
    if type(node) not in OPERAND_FIELDS or isinstance(node, Qualified):
        return node
    if isinstance(node, AllOf) and any(isinstance(n, Medication) for n in walk(node)):
        return node  # 'allergy and pembrolizumab': already an allergy to a drug
    updates = operands_mapped(node, lambda n: _allergies_to(n, what))
    return node.model_copy(update=updates) if updates else node


def _excipients_of_the_allergy(node: AnyOf) -> Predicate:
    """'Hypersensitivity to pembrolizumab or any of its excipients', '... to any of the study
    treatments or excipients': the excipients are what the allergy is to as well, the
    alternative an allergy to them (engine.evaluate: no allergy on record is none to them).
    Only where every other alternative is an allergy: 'hypersensitivity to abemaciclib,
    letrozole, ... or any of their excipients' leaves its drugs and excipients as they were."""
    loose = [i for i in node.items if isinstance(i, Unparsed) and _STUDY_PRODUCT.fullmatch(i.text.strip(" ,;:."))]
    rest = [i for i in node.items if not any(i is x for x in loose)]
    if not loose or not rest or not all(_allergy_reading(i) for i in rest):
        return node
    allergy = next(n for n in walk(rest[0]) if isinstance(n, Condition) and n.concept in ALLERGY_CONCEPTS)
    items = tuple(
        Qualified(item=allergy.model_copy(update={"span": i.span}), qualifiers=(Modifier(text=i.text, span=i.span),), span=i.span)
        if any(i is x for x in loose)
        else i
        for i in node.items
    )
    return node.model_copy(update={"items": items})


def _allergy_reading(node: Predicate) -> bool:
    """An allergy, to a drug or to words that only say what it is to ('(allergy and
    pembrolizumab) «severe»', '(allergy) «the study drug»')."""
    if isinstance(node, Qualified) and all(isinstance(q, Modifier) for q in node.qualifiers):
        node = node.item
    if isinstance(node, AllOf) and node.items and all(isinstance(i, Medication) for i in node.items[1:]):
        node = node.items[0]
    return isinstance(node, Condition) and node.concept in ALLERGY_CONCEPTS


def _cut_at_sentence(raw, text: str) -> tuple | None:
    """'Bilirubin ≥ 1.5 × ULN unless conjugated bilirubin ≤ ULN; alkaline phosphatase >5x ULN;
    ALT/AST >2x ULN.' (NCT03328026): an exception ends at the semicolon or the full stop that
    ends its sentence, and what follows is a criterion of its own. The words of an exception
    (a sequence, or a chain of them) cut at the first such end with words on both sides, or
    None. Read as one exception, a normal bilirubin passed an alkaline phosphatase of 8 x ULN."""
    if isinstance(raw, Clause):
        els = raw.elements
        i = next((i for i, e in enumerate(els) if _full_stop(e, text) and not all(_is_filler(x) for x in els[:i]) and not all(_is_filler(x) for x in els[i + 1 :])), None)
        if i is None:
            return None
        return Clause(els[:i], _start(els[0]), _end(els[i - 1])), Clause(els[i + 1 :], _start(els[i + 1]), _end(els[-1]))
    if isinstance(raw, _Chain):
        for j, part in enumerate(raw.parts):
            cut = _cut_at_sentence(part, text)
            if cut is not None:
                return _chained(raw.op, [*raw.parts[:j], cut[0]]), _chained(raw.op, [cut[1], *raw.parts[j + 1 :]])
    return None


def _stop_before_limits(els: list, start: int, text: str) -> int | None:
    """The first full stop from `start` on that ends a sentence (before a capital letter or a
    bracket) and after which every sentence states a limit ('... normal range. Serum alkaline
    phosphatase should be <= 1.5x ULN'), or None."""
    stop = next((i for i in range(start + 1, len(els) - 1) if _stops_a_sentence(els[i], text)), None)
    return stop if stop is not None and _limits_in_each_sentence(els[stop + 1 :], text) else None


def _limits_then_a_case(els: list, if_at: int, text: str) -> int | None:
    """'Serum bilirubin <= 1.5 x ULN. The maximum allowable bilirubin is <= 2.5 x ULN for
    patients with Gilbert's disease': the last full stop before a case that closes its
    sentence, where every sentence before that stop states a limit; the case is of its own
    sentence, and those limits are everyone's (read into the case, any bilirubin passed
    without Gilbert's). None where no such stop is."""
    stop = next((i for i in range(if_at - 2, 0, -1) if _stops_a_sentence(els[i], text)), None)
    return stop if stop is not None and _limits_in_each_sentence(els[:stop], text) else None


def _stops_a_sentence(e, text: str) -> bool:
    """A full stop before a capital letter or a bracket (not a semicolon, which may go on
    with a list of the case's own)."""
    return isinstance(e, Atom) and e.type == "WORD" and _full_stop(e, text)


def _limits_in_each_sentence(els: list, text: str) -> bool:
    """Every sentence of the elements, cut at their full stops and semicolons, states a bound."""
    pieces: list[list] = [[]]
    for e in els:
        if (isinstance(e, Atom) and e.type == "SEMI") or _stops_a_sentence(e, text):
            pieces.append([])
        else:
            pieces[-1].append(e)
    sentences = [Clause(tuple(p), _start(p[0]), _end(p[-1])) for p in pieces if p and not all(_is_filler(e) for e in p)]
    return bool(sentences) and all(_holds_bound(c) and _limits_only(c, text) for c in sentences)


def _full_stop(e, text: str) -> bool:
    """A semicolon, or a full stop before a capital letter or a bracket."""
    return isinstance(e, Atom) and (e.type == "SEMI" or (e.type == "WORD" and e.value == "." and _SENTENCES.match(text, e.start) is not None))


def _chained(op: str, parts: list):
    return parts[0] if len(parts) == 1 else _Chain(op, tuple(parts), _start(parts[0]), _end(parts[-1]))


def _exception_goes_on(main: Predicate, exc: Predicate, rest: Predicate, text: str) -> bool:
    """The exception runs on past its sentence: after a lead-in ('except for the following:
    (1) ...; (2) ...'), or where what follows speaks again of what it names ('... except in
    patients with Gilbert's disease. Patients with Gilbert's syndrome with a total bilirubin
    ≤2.0 times ULN ... are permitted')."""
    return _LEAD_IN.search(text, main.span.end, exc.span.end) is not None or bool(_named([exc]) & _named([rest]))


_FOLLOWING_WORD = re.compile(r"\bfollowing\b", re.IGNORECASE)
_LEAD_IN = re.compile(r":|\bfollowing\b", re.IGNORECASE)


def _named(nodes) -> set[str]:
    """The events and measures that nodes name."""
    return {n.concept if isinstance(n, (Condition, Medication, Procedure)) else n.measure for x in nodes for n in walk(x) if isinstance(n, (Condition, Medication, Procedure, Comparison, Range))}


def _unless_of_the_last(node: Exception_) -> Predicate:
    """'Leukocytes >= 3000/uL, ..., total bilirubin within normal limits, unless patient has
    Gilbert disease, for which bilirubin must be <= 2.0 x ULN, AST/ALT <= 1.5 x ULN,
    creatinine < 1.5 x ULN' (NCT01042379): the 'unless' speaks of the last item of the list
    before it and reaches as far as the limit it gives that item; the items after are the
    list's again. Read as one exception of the whole list, a Gilbert patient passed every
    count and an AST of 10 x ULN passed through the exception."""
    main, exc = node.main, node.exception
    if not isinstance(main, (Each, AllOf)) or not isinstance(exc, (Each, AllOf)) or len(exc.items) < 3:
        return node
    last = main.items[-1]
    measured = _measures_of(last)
    if not measured:
        return node
    k = next((i for i, e in enumerate(exc.items) if isinstance(e, (Comparison, Range)) and e.measure in measured), None)
    if k is None or k == len(exc.items) - 1:
        return node
    kept, rest = exc.items[: k + 1], exc.items[k + 1 :]
    case = AllOf(items=kept, span=Span(start=kept[0].span.start, end=kept[-1].span.end)) if len(kept) > 1 else kept[0]
    waived = Exception_(mode="unless", main=last, exception=case, span=Span(start=last.span.start, end=case.span.end))
    return type(main)(items=(*main.items[:-1], waived, *rest), span=node.span)


def _and_or_bounds(node: AnyOf, text: str) -> Predicate:
    """'AST and/or ALT <= 3.0 x ULN (<= 5.0 x ULN if liver metastases)': bounds on measures
    joined by 'and/or' may mean each or either, as without the bracket (`each_or_either`);
    read as 'or', a normal AST passed an ALT of 10 x ULN."""
    items = node.items
    if len(items) < 2 or not all(_bounds_only(i) for i in items):
        return node
    measures = {n.measure for i in items for n in walk(i) if isinstance(n, (Comparison, Range))}
    if len(measures) < 2 or "and/or" not in text[node.span.start : node.span.end].lower():
        return node
    # one bound shared ('AST and/or ALT <= 3 x ULN'), not bounds of their own ('SBP < 90
    # mmHg and/or DBP < 50 mmHg', either of which)
    firsts = [next((n for n in walk(i) if isinstance(n, Comparison)), None) for i in items]
    if any(f is None or (f.op, f.threshold) != (firsts[0].op, firsts[0].threshold) for f in firsts):
        return node
    whole = node.span
    each = tuple(x for i in items for x in (i.items if isinstance(i, AllOf) else (i,)))  # as canonical text reads back
    either = AllOf(items=(Unparsed(text=text[whole.start : whole.end], span=whole), node), span=whole)
    return AnyOf(items=(AllOf(items=each, span=whole), either), span=whole)


def _bounds_only(node: Predicate) -> bool:
    """Bounds on measures other than age, or cases of them ('<= 3 x ULN if not X')."""
    if isinstance(node, (Comparison, Range)):
        return node.measure != "age"
    if isinstance(node, Conditional):
        return _bounds_only(node.then)
    if isinstance(node, AllOf):
        return all(_bounds_only(i) for i in node.items)
    return isinstance(node, Qualified) and _bounds_only(node.item)


# 'diagnosed with breast cancer at age 40 or younger', 'aged 18 or older when first treated'
_AGE_AT_EVENT = re.compile(
    r"(?:diagnos\w*|onset|treated|first)\b.*\bat (?:the )?age\b|\bat (?:the )?age\b.*\b(?:diagnos\w*|onset)|\bwhen (?:first )?(?:diagnosed|treated)\b"
    r"|\b(?:years?|old)\b.{0,20}\bat (?:the time of )?(?:diagnosis|onset)\b",
    re.IGNORECASE,
)


def _age_at_an_event(node: Predicate, text: str) -> Predicate:
    """An age the text gives at a diagnosis or a first treatment is not the patient's age
    now (a woman diagnosed at 35 who is 46 failed 'diagnosed with breast cancer at age 40 or
    younger'): each bound on age becomes its words, not understood."""
    if isinstance(node, (Comparison, Range)) and node.measure == "age":
        return Unparsed(text=text[node.span.start : node.span.end], span=node.span)
    if type(node) not in OPERAND_FIELDS:
        return node
    updates = operands_mapped(node, lambda n: _age_at_an_event(n, text))
    return node.model_copy(update=updates) if updates else node


def _conditions_run_on(node: Predicate, text: str) -> Predicate:
    """'Bilirubin <= 2 x ULN, or <= 3 x ULN for subjects with Gilbert's disease or liver
    metastases': the conditions after a case's 'for' or 'if' run on to the end of the 'or'
    (read as alternatives of their own, liver metastases alone passed whatever the
    bilirubin)."""
    if not isinstance(node, AnyOf):
        return node
    items = list(node.items)
    for k, item in enumerate(items[:-1]):
        rest = items[k + 1 :]
        if not isinstance(item, Conditional):
            continue
        joints = [text[a.span.end : b.span.start] for a, b in zip((item.condition, *rest), rest)]
        # (not after a comma: 'Anticoagulation therapy if atrial fibrillation, or history of
        # stroke' names a stroke as an alternative of its own)
        if any("," in j or ";" in j for j in joints):
            continue
        if _events_only(item.condition) and all(isinstance(r, Condition) for r in rest):
            cases = item.condition.items if isinstance(item.condition, AnyOf) else (item.condition,)
            span = Span(start=item.condition.span.start, end=rest[-1].span.end)
            condition = AnyOf(items=(*cases, *rest), span=span)
            widened = Conditional(condition=condition, then=item.then, span=Span(start=item.span.start, end=span.end))
            if k == 0:
                return widened
            return AnyOf(items=(*items[:k], widened), span=node.span)
    return node


def _treatments_of_the_patients(node: AnyOf, text: str) -> Predicate:
    """'Patients with gastric cancer must have received radiotherapy, surgery, or
    chemotherapy' (NCT05020119): the treatments are alternatives for the patients with the
    condition, not the condition with the first of them an alternative to the others (read
    '(gastric cancer and radiotherapy) or surgery or chemotherapy', any chemotherapy passed).
    Where the 'or' joins treatments only, by commas and 'or', the condition binds them all."""
    first, rest = node.items[0], node.items[1:]
    treated = (Medication, Procedure)
    if not (isinstance(first, AllOf) and all(isinstance(r, treated) for r in rest)):
        return node
    k = next((i for i, item in enumerate(first.items) if not isinstance(item, Condition)), len(first.items))
    whose, named = first.items[:k], first.items[k:]
    if not (whose and named and all(isinstance(t, treated) for t in named)):
        return node
    listed = (*named, *rest)
    joints = [text[a.span.end : b.span.start] for a, b in zip(listed, listed[1:])]
    if not all(_TREATMENTS_JOINT.fullmatch(j) for j in joints):
        return node
    treatments = AnyOf(items=(*named, *rest), span=Span(start=named[0].span.start, end=rest[-1].span.end))
    return AllOf(items=(*whose, treatments), span=node.span)


def _or_of_the_last_sentence(node: AnyOf, text: str) -> Predicate:
    """'INR < 1.5 x ULN and aPTT < 1.5 x ULN. Patients requiring formal anticoagulation should
    receive either low-molecular weight heparin or a direct oral anticoagulant' (NCT04920708): the 'or' is of the last sentence, not between all the sentences before it
    and its last alternative (read so, a patient on a direct oral anticoagulant passed
    whatever the INR)."""
    first, rest = node.items[0], node.items[1:]
    if not (isinstance(first, Each) and len(first.items) > 1):
        return node
    *before, last = first.items
    stop = re.search(r"[.;]", text[before[-1].span.end : last.span.start])
    if not stop:
        return node
    joint = re.search(r"\bor\b", text[last.span.end : rest[0].span.start], re.IGNORECASE)
    if joint and brackets_open(text, before[-1].span.end + stop.start()) > brackets_open(text, last.span.end + joint.start()):
        return node  # '(A; B) or C': brackets put the sentences together before the 'or' (canonical text)
    if any(re.search(r"[.;]", text[a.span.end : b.span.start]) for a, b in zip((first, *rest), rest)):
        return node
    if any(isinstance(b, Unparsed) for b in before):
        return node  # words not understood among the sentences: where the 'or' reaches is not sure
    items = tuple(i for n in (last, *rest) for i in (n.items if isinstance(n, AnyOf) else (n,)))
    alternatives = AnyOf(items=items, span=Span(start=last.span.start, end=rest[-1].span.end))
    return Each(items=(*before, alternatives), span=node.span)


# between treatments listed as alternatives: 'radiotherapy, surgery, or received chemotherapies'
_TREATMENTS_JOINT = re.compile(r"\s*,?\s*(?:or\s+(?:received\s+)?)?", re.IGNORECASE)


def _age_of_both_sexes(node: AnyOf, text: str) -> Predicate:
    """'Women (regardless of menopausal status) or men >= 18 years of age': the age is asked
    of both sexes, not of men alone (a girl of 12 passed). Sexes side by side, one of them
    with an age and the others without, are read as that age and either sex; words beside
    them qualify the whole. Ages that differ between the sexes are a case split, left as
    they are."""
    sexes: list[str] = []
    ages: list[Predicate] = []
    words: list[Unparsed | Modifier] = []
    unaged: list[str] = []
    bare = 0
    for item in node.items:
        if isinstance(item, Qualified):
            words.extend(item.qualifiers)
            item = item.item
        parts = item.items if isinstance(item, AllOf) else (item,)
        here = [p for p in parts if isinstance(p, (Comparison, Range)) and p.measure == "age"]
        if not all(isinstance(p, Sex) or p in here for p in parts) or not any(isinstance(p, Sex) for p in parts):
            return node
        sexes.extend(x for p in parts if isinstance(p, Sex) for x in p.sexes)
        ages.extend(here)
        bare += not here
        if not here:
            unaged.extend(x for p in parts if isinstance(p, Sex) for x in p.sexes)
    if not ages or not bare or any(a.model_dump(exclude={"span"}) != ages[0].model_dump(exclude={"span"}) for a in ages):
        return node
    both = Sex(sexes=tuple(sorted(set(sexes))), span=node.span)
    whole = AllOf(items=(ages[0], both), span=node.span)
    # whether the age is asked of the other sex too ('Men, or women aged 60 years or
    # older') the words do not settle: a patient of that sex outside it is unknown
    said = Unparsed(text=text[node.span.start : node.span.end], span=node.span)
    other = AllOf(items=(said, Sex(sexes=tuple(sorted(set(unaged))), span=node.span)), span=node.span)
    either = AnyOf(items=(whole, other), span=node.span)
    return Qualified(item=either, qualifiers=tuple(words), span=node.span) if words else either


def _words_before_an_or(node: Predicate) -> Predicate:
    """'Prior therapy for advanced or metastatic disease', 'active CNS tumors or metastases':
    metastases named bare after words not understood take those words ('for ... metastatic
    disease', 'CNS ... metastases'); as an alternative of their own, any metastasis failed
    an exclusion and any metastatic patient an inclusion's 'no'."""
    if type(node) not in OPERAND_FIELDS:
        return node
    updates = operands_mapped(node, _words_before_an_or)
    assert updates is not None
    if isinstance(node, AnyOf):
        items = list(updates.get("items", node.items))
        for i in range(1, len(items)):
            if not isinstance(items[i], Condition):
                continue
            before, metastases = items[i - 1], items[i].concept == "metastatic disease"
            if metastases and isinstance(before, AllOf) and before.items[-1].span.end == before.span.end:
                # 'Subjects with previously treated advanced RCC ... for inoperable locally
                # advanced or metastatic disease' (NCT03845166): the words end the last of a
                # conjunction; as an alternative of its own, any metastasis passed the cohort
                before = before.items[-1]
            if metastases and isinstance(before, Qualified) and isinstance(before.qualifiers[-1], (Unparsed, Modifier)) and before.qualifiers[-1].span.end == before.span.end:
                before = before.qualifiers[-1]  # 'chemotherapy for locally advanced unresectable or metastatic disease'
            if not isinstance(before, (Unparsed, Modifier)):
                continue
            if metastases or (_ENDS_IN_ADJECTIVE.search(before.text) and len(before.text.split()) > 1):
                # ('Any concurrent uncontrolled medical or psychiatric disorder': the words
                # before end in an adjective, so what comes before it speaks of the disorder
                # too; 'fungal or viral infection' is a viral infection as it stands)
                items[i] = Qualified(item=items[i], qualifiers=(before,), span=items[i].span)
        if any(a is not b for a, b in zip(items, node.items)):
            updates["items"] = tuple(items)
    return node.model_copy(update=updates) if updates else node


# what a condition does to a drug the patient is to be given: 'a condition that would
# interfere with enteric absorption of TY-302 and/or Tamoxifen'
_ABSORPTION_OF = re.compile(r"\b(?:absorption|metabolism|bioavailability|pharmacokinetics)\s+of\b", re.IGNORECASE)


def _objects_of_absorption(node: Predicate, text: str, found: re.Match) -> Predicate:
    """'Presence of a condition that would interfere with enteric absorption of TY-302 and/or
    Tamoxifen.' (NCT04433494): the drugs named after 'absorption of', to the end of its
    sentence, are what the condition would act on, not drugs the patient takes; each carries
    those words. Read as '... or tamoxifen', a woman on tamoxifen was excluded from a
    tamoxifen trial."""
    brk = _SENTENCES.search(text, found.end())
    end = brk.start() if brk is not None else len(text)
    words = Unparsed(text=text[found.start() : found.end()], span=Span(start=found.start(), end=found.end()))

    def carry(n: Predicate) -> Predicate:
        if isinstance(n, Medication) and found.end() <= n.span.start < end:
            return Qualified(item=n, qualifiers=(words,), span=n.span)
        if isinstance(n, Qualified) and isinstance(n.item, Medication):
            return n  # words of its own already keep it from deciding
        if type(n) not in OPERAND_FIELDS:
            return n
        updates = operands_mapped(n, carry)
        return n.model_copy(update=updates) if updates else n

    return carry(node)


def _given_for_lists(node: Predicate, text: str) -> Predicate:
    """Every 'or' of treatments that ends 'for' a condition, read so (`_given_for_all`)."""
    if type(node) not in OPERAND_FIELDS:
        return node
    updates = operands_mapped(node, lambda v: _given_for_lists(v, text))
    assert updates is not None
    node = node.model_copy(update=updates) if updates else node
    if isinstance(node, AnyOf):
        return _given_for_all(node, text) or node
    return node


# 'Willingness and ability to provide blood samples at baseline, after 2 treatment cycles and
# at surgery' (NCT04733118): a sentence that opens with what the patient is willing or able
# to do is that, all of it
_WILLING_LEAD = re.compile(r"\W*(?:\d{1,2}[.)]\s*)?(?:willing(?:ness)?|able and willing|ability|agrees?|agreement)\b", re.IGNORECASE)
_SENTENCES = re.compile(r"[;]|\.\s+[A-Z(]")


def _willing_whole(node: Predicate, text: str) -> Predicate:
    """The whole criterion one judgment, where it opens with one of willingness or ability
    and is one sentence: its commas cut no requirements from it (read so, 'at surgery'
    required a surgery on record)."""
    if isinstance(node, Judgment) or not _WILLING_LEAD.match(text) or _SENTENCES.search(text.strip()):
        return node
    first = next((n for n in walk(node) if isinstance(n, Judgment)), None)
    if first is None or first.category not in ("compliance", "willingness") or first.span.start > len(text) - len(text.lstrip()) + 20:
        return node
    start = len(text) - len(text.lstrip())
    return Judgment(category=first.category, text=text.strip(), span=Span(start=start, end=len(text.rstrip())))


_AFTER_AN_OR = re.compile(r"(?:\bor|,|/)\s*$", re.IGNORECASE)

# 'Life expectancy of at least 3 months', 'expected survival < 5 years', 'life expectancy
# shorter than 6 months': the bound a life-expectancy judgment states, kept beside its text
# (what the team judges is theirs; the bound is what the text asks of it)
_LIFE_EXPECTANCY = re.compile(r"life.expectancy|survival|expected to live", re.IGNORECASE)
_LIFE_FILLER = frozenset(
    "of is was be must should will to for at the an a estimated expected anticipated predicted time period duration patient determined judged by".split()
)
_LIFE_JUDGES = frozenset({"life_expectancy", "investigator_opinion", "medical_judgment"})  # 'judged by the investigator'
_WORD_OPS = {("shorter", "than"): "<", ("longer", "than"): ">"}
_OR_AFTER = {"longer": ">=", "greater": ">=", "more": ">=", "less": "<=", "shorter": "<="}  # '3 months or longer'
_LIFE_UNITS = {"hour": "hours", "day": "days", "week": "weeks", "month": "months", "year": "years"}
_BOUND_OPS = frozenset({">=", ">", "<=", "<"})


def _judgment_bounds(node: Predicate, category: str, read: Callable[[str, int], Comparison | None]) -> Predicate:
    """Each judgment of the category in the tree with the bound its own text states, as
    `read` finds it in the judgment's text (at the judgment's offset)."""
    if isinstance(node, Judgment):
        if node.category != category or node.bound is not None:
            return node
        bound = read(node.text, node.span.start)
        return node if bound is None else node.model_copy(update={"bound": bound})
    if type(node) not in OPERAND_FIELDS:
        return node
    updates = operands_mapped(node, lambda n: _judgment_bounds(n, category, read))
    return node.model_copy(update=updates) if updates else node


def _life_expectancy_bound(text: str, offset: int) -> Comparison | None:
    """'(Minimum) life expectancy (...) of at least 3 months' -> life expectancy >= 3
    months: one bound, right after the words (an aside in brackets, filler words and 'by the
    investigator' between), in a unit of time; None for a range ('3-6 months'), a second
    bound ('> 3 and < 12 months'), or any other word between."""
    toks = tokenize(fold(text))
    at = next((i for i, t in enumerate(toks) if t.type == "JUDGE" and t.value == "life_expectancy"), None)
    if at is None:
        return None

    def op_at(k: int) -> str | None:
        t = toks[k] if k < len(toks) else None
        return t.value if t is not None and t.type in ("OP", "WORD") and t.value in _BOUND_OPS else None

    def skip_brackets(k: int) -> int:
        depth = 0
        while k < len(toks):
            depth += {"LPAR": 1, "RPAR": -1}.get(toks[k].type, 0)
            k += 1
            if depth == 0:
                break
        return k

    i = at + 1
    if i < len(toks) and toks[i].type == "LPAR":
        i = skip_brackets(i)
    while i < len(toks) and (
        (toks[i].type == "WORD" and toks[i].value is None and toks[i].text.lower() in _LIFE_FILLER)
        or (toks[i].type == "JUDGE" and toks[i].value in _LIFE_JUDGES)
    ):
        i += 1
    op = op_at(i)
    if op is not None:
        i += 1
        if i + 2 < len(toks) and toks[i].type == "LPAR" and op_at(i + 1) == op and toks[i + 2].type == "RPAR":
            i += 3  # 'greater than or equal to (>=) 12 weeks'
    elif i + 1 < len(toks) and (toks[i].text.lower(), toks[i + 1].text.lower()) in _WORD_OPS:
        op, i = _WORD_OPS[toks[i].text.lower(), toks[i + 1].text.lower()], i + 2
    if i + 1 >= len(toks) or toks[i].type != "NUMBER" or toks[i + 1].type != "TIMEUNIT":
        return None
    number, unit = toks[i], toks[i + 1]
    after, end = toks[i + 2 :], unit.end
    if op is None and after[:1] and after[0].type == "POSTOP":
        op, end, after = after[0].value, after[0].end, after[1:]
    elif op is None and len(after) >= 2 and after[0].type == "OR" and after[1].text.lower() in _OR_AFTER:
        op, end, after = _OR_AFTER[after[1].text.lower()], after[1].end, after[2:]
    elif op is None and at > 0 and toks[at - 1].text.lower() == "minimum":
        op = ">="  # 'minimum life expectancy of 12 weeks'
    if op not in _BOUND_OPS or any(t.type in ("OP", "POSTOP", "RANGE_SEP", "RANGE_AND") for t in after[:2]):
        return None
    time = _TIME_UNITS.get(unit.text.lower().rstrip("."))
    if time not in _LIFE_UNITS:
        return None
    return Comparison(
        measure="life expectancy",
        op=op,
        threshold=Threshold(value=number.value, unit=_LIFE_UNITS[time]),
        span=Span(start=offset + toks[at].start, end=offset + end),
    )


# '>=80% diary compliance during the baseline period', 'Adherence rate of less than 80%':
# the share of doses or entries a compliance judgment's text asks for, kept beside its text
# as a life expectancy's bound is (the team judges compliance; the bound is what the text
# asks of it). Only the words compliance and adherence: 'willing', 'able to' are the same
# judgment, but a percentage beside them is of something else.
_COMPLIANCE_BOUND = re.compile(r"(?:complian|adheren)\w*", re.IGNORECASE)
_COMPLIANCE_WORD = re.compile(r"complian|adheren")
_COMPLIANCE_BEFORE = frozenset("diary medication drug treatment study dosing dose pill overall".split())
_COMPLIANCE_AFTER = frozenset("rate of is was be must should a an".split())


def _compliance_bound(text: str, offset: int) -> Comparison | None:
    """'>=80% diary compliance', 'compliance >= 80%', 'adherence rate of less than 80%' ->
    compliance >= 80 %: one bound in per cent right before the word (a kind of compliance
    between them) or right after it (filler words between); None for any other word between,
    a unit other than %, a range or second bound right after, or a compliance negated."""
    toks = tokenize(fold(text))
    at = next((i for i, t in enumerate(toks) if t.type == "JUDGE" and _COMPLIANCE_WORD.match(t.text)), None)
    if at is None or any(t.type == "NOT" for t in toks[max(0, at - 2) : at]):
        return None  # 'non-compliance > 20%' bounds the doses missed

    def bound_at(k: int) -> tuple[str, Tok, int] | None:
        """The operator and number of a bound in % that starts at k, and the index after it."""
        if not (0 <= k and k + 2 < len(toks) and toks[k].type == "OP" and toks[k].value in _BOUND_OPS):
            return None
        if toks[k + 1].type != "NUMBER" or toks[k + 2].type != "UNIT" or toks[k + 2].value != "%":
            return None
        if k + 3 < len(toks) and toks[k + 3].type in ("OP", "POSTOP", "RANGE_SEP", "RANGE_AND", "DASH"):
            return None
        return toks[k].value, toks[k + 1], k + 3

    before = at
    while before > 0 and at - before < 2 and toks[before - 1].type == "WORD" and toks[before - 1].text in _COMPLIANCE_BEFORE:
        before -= 1
    found = bound_at(before - 3)
    if found is not None and (before == 3 or toks[before - 4].type not in ("OP", "NUMBER", "RANGE_SEP", "DASH", "UNIT")):
        start = toks[before - 3].start  # (not the second bound of a range: '70-80% compliance')
    else:
        after = at + 1
        while after < len(toks) and toks[after].type == "WORD" and toks[after].text in _COMPLIANCE_AFTER:
            after += 1
        found, start = bound_at(after), toks[at].start
    if found is None:
        return None
    op, number, end = found
    return Comparison(
        measure="compliance",
        op=op,
        threshold=Threshold(value=number.value, unit="%"),
        span=Span(start=offset + start, end=offset + toks[end - 1].end),
    )


# Words that name a kind of what they stand beside, never more of it: 'uncontrolled
# hypertension' is hypertension, 'metastatic breast cancer' is breast cancer.
_GRADE_FLOOR = (
    r"(?:(?:nci[- ])?ctcae\s+)?(?:(?:>|>=|=>|\u2265)\s*grade\s*[1-5]|grade\s*(?:>|>=|=>|\u2265)\s*[1-5]"
    r"|grade\s*[1-5](?:\s*(?:or|and/or)\s*(?:higher|greater|above|more|worse)|\s*(?:-|\u2013|to|or|and/or|/)\s*[2-5])?)"
)
_TREATMENT_NEEDED = (
    r"(?:(?:systemic|intravenous|iv|oral|inhaled|chronic|high[- ]dose)\s+)*"
    r"(?:(?:cortico)?steroids?|glucocorticoids?|antibiotics?|antivirals?|antifungals?|insulin|dialysis|hemodialysis|"
    r"renal\s+replacement\s+therapy|anticoagulants?|anticoagulation|bisphosphonates?|immunosuppressants?|"
    r"immunosuppressive\s+(?:drugs?|agents?|medications?)|(?:supplemental\s+)?oxygen)"
    r"(?:\s+(?:therapy|treatments?|medications?))?"
)
_REQUIRED_TREATMENT = (
    r"(?:(?:that|which)\s+)?(?:(?:has|have)\s+)?requir(?:ing|es|ed)\s+(?:(?:treatment|therapy)\s+with\s+|(?:the\s+)?use\s+of\s+)?"
    rf"{_TREATMENT_NEEDED}(?:\s+(?:or|and/or)\s+{_TREATMENT_NEEDED})*"
)
_NARROWING_WORD = (
    r"(?:uncontrolled|poorly[- ]controlled|inadequately[- ]controlled|unstable|severe|serious|significant|"
    r"clinically[- ](?:significant|relevant|important|active|evident|apparent)|symptomatic|acute|chronic|"
    r"progressive|progressing|advanced|locally[- ]advanced|metastatic|unresectable|inoperable|recurrent|"
    r"relapsed|refractory|untreated|non-?infectious|known|documented|confirmed|histologically|cytologically|pathologically|"
    r"histological(?:ly)?[- ]confirmed|biopsy[- ]proven|proven|major|decompensated|life[- ]threatening|"
    r"ongoing|persistent|intercurrent|underlying|pre-?existing|newly[- ]diagnosed|invasive|extensive|"
    r"disseminated|other|another|concurrent|concomitant|current|active|bilateral|unilateral|distant|"
    r"actively[- ]progressing|positive|unresolved|clinical|(?:any\s+)?other\s+forms?|(?:(?:is|are)\s+)?present|"  # 'positive pregnancy test' is a pregnancy; never 'negative'
    # 'stable brain metastases', 'a stable dose of steroids': some of them, those that keep
    # still (never 'unstable', above, nor 'not stable', whose 'not' is no word of the piece)
    r"(?:(?:clinically|neurologically|radiologically|radiographically)[- ])?stable(?:\s+(?:doses?|regimens?))?|"
    # 'adequately treated basal cell skin cancer', 'surgically cured carcinoma in situ': the
    # ones treated, which the record seldom says (never 'inadequately', 'not', 'un-treated';
    # nor 'treated' alone, which may say who gets what: 'active autoimmune disease for patients
    # treated by avelumab', read '(active autoimmune disease and avelumab)', would have let a
    # patient with the disease past the exclusion)
    r"(?:adequately|appropriately|successfully|curatively|definitively|completely|surgically)\s+(?:treated|resected|excised|cured)|"
    # NCI's 'Uncontrolled intercurrent illness including, but not limited to, ongoing or active
    # infection, symptomatic congestive heart failure, ...': the judgment's words beside each
    # example it names, which is one of them where it is uncontrolled (engine.parse `_as_example`)
    r"(?:(?:patients?|subjects?|participants?)\s+(?:with|who\s+have|has|have)\s+)?(?:any\s+)?uncontrolled\s+intercurrent\s+illness(?:es)?|"
    # what a treatment was given in: 'prior therapy with palbociclib in the metastatic setting'
    rf"neo-?adjuvant|adjuvant|(?:in\s+(?:the\s+)?)?{_SETTING}|"
    # a grade at or above one ('peripheral neuropathy > grade 1', 'grade 2 or higher', 'grade
    # 3-4'): only some of the condition; never a grade at most ('<= grade 1', 'grade 0-1'),
    # which a patient without it meets
    rf"{_GRADE_FLOOR}|"
    # 'stage IV breast cancer', 'stage II or III'
    r"stage\s+(?:[0-4]|iv|i{1,3})[a-c]?(?:\s*(?:or|to|-|/|,)\s*(?:stage\s+)?(?:[0-4]|iv|i{1,3})[a-c]?)*|"
    # 'active infection requiring systemic therapy', 'that has required systemic treatment'
    r"(?:(?:that|which)\s+)?(?:(?:has|have)\s+)?requir(?:ing|es|ed)\s+(?:(?:systemic|active|ongoing|medical|concurrent|"
    r"current|intravenous|iv|oral|immediate|urgent|specific)\s+)*(?:therapy|treatment|intervention|medication|antibiotics|"
    r"hospitali[sz]ation)|"
    r"for|"  # what a treatment was given for: 'chemotherapy «for» metastatic disease' (`_given_for`)
    # the test that shows it: 'Known history of HIV (HIV 1/2 antibodies)' (KEYNOTE, 25 corpus lines)
    r"hiv[- ]?1/2\s+antibod(?:y|ies)|"
    # KEYNOTE's 'Hepatitis B (defined as Hepatitis B surface antigen [HBsAg] reactive) or ...
    # Hepatitis C virus (defined as HCV RNA [qualitative] is detected)': the test that defines it
    r"surface\s+antigen\s+hbsag\s+(?:reactive|positive)|rna\s+qualitative|(?:is\s+)?detected|"
    # 'allergic reactions attributed to compounds of similar chemical or biologic composition to X'
    rf"{SIMILAR_COMPOUNDS}|{SYSTEMIC_TREATMENT_MEANS}|"
    # 'symptomatic brain metastases requiring steroids', 'infection requiring IV antibiotics':
    # the treatment a condition needs, which the record does not link to it (`_requirement_words`)
    rf"{_REQUIRED_TREATMENT})"
)
_NARROWING = re.compile(rf"{_NARROWING_WORD}(?:(?:\s*,\s*|\s+|\s+(?:and|or|and/or)\s+){_NARROWING_WORD})*", re.IGNORECASE)
# ('Have a known history of uncontrolled': a lead-in, then a word that only narrows)
_ENDS_NARROWING = re.compile(rf"\b{_NARROWING_WORD}\W*$", re.IGNORECASE)



def _with_modifiers(node: Predicate) -> Predicate:
    """The tree with each word left around a structure that only narrows it ('uncontrolled',
    'metastatic', 'histologically confirmed') typed a `Modifier`: understood, and judged as
    what it is (engine.evaluate). The last step of parsing, so that parsing a canonical
    rendering, where a modifier is written as words, gives the same tree."""
    if type(node) not in OPERAND_FIELDS:
        return node
    updates = operands_mapped(node, _with_modifiers)
    assert updates is not None  # _with_modifiers gives a node for every node
    if "items" in updates and isinstance(node, (AllOf, AnyOf)):
        # a word that said the name again taken off '(A and B) «(PT)»' inside 'and': one
        # 'and', as the canonical rendering reads back
        flat: list = []
        for was, now in zip(node.items, updates["items"]):
            flat.extend(now.items if isinstance(was, Qualified) and type(now) is type(node) else (now,))
        updates["items"] = tuple(flat)
    if isinstance(node, Qualified):
        item = updates.get("item", node.item)
        if isinstance(item, (Condition, Medication, Procedure)) and getattr(item, "active", None) is None and any(_history_word(q) for q in node.qualifiers):
            # 'cancer history', 'Organ transplant history,': a past event counts, as after 'history of'
            item = updates["item"] = item.model_copy(update={"history": True})
            node = node.model_copy(update={"qualifiers": tuple(q for q in node.qualifiers if not _history_word(q))})
        kept = tuple(q for q in node.qualifiers if not _restates(q, item))
        if not kept:
            return item
        if len(kept) < len(node.qualifiers):
            node = node.model_copy(update={"qualifiers": kept})
    if isinstance(node, Qualified) and any(isinstance(q, Modifier) for q in node.qualifiers):
        # a window's words typed beside an event that a later pass put under an exception
        # ('immunosuppressant except corticosteroid'): words again, as they read back
        item = updates.get("item", node.item)
        typed = tuple(
            Unparsed(text=q.text, span=q.span) if isinstance(q, Modifier) and is_lookback(q.text) and not _looks_back(item, q.text) else q
            for q in node.qualifiers
        )
        if any(a is not b for a, b in zip(typed, node.qualifiers)):
            node = node.model_copy(update={"qualifiers": typed})
    if isinstance(node, Qualified) and narrowable(updates.get("item", node.item)):
        item = updates.get("item", node.item)
        # (the words asked first: `_as_ever` builds nodes, and most words are no window)
        if any(isinstance(q, Unparsed) and is_lookback(q.text) and not _looks_back(item, q.text) and _looks_back(_as_ever(item), q.text) for q in node.qualifiers):
            # 'Any active malignancy <= 2 years', 'checkpoint inhibitor therapy, within 21
            # days': a window beside an event going on now says it was had within it, so
            # the window narrows the event had at any time (not the one going on now)
            item = updates["item"] = _as_ever(item)
        # ('diagnosed with a malignancy within 5 years': when it was diagnosed, engine.evaluate)
        dated = isinstance(item, Condition) and item.window is not None
        allergy = isinstance(item, Condition) and item.concept in ALLERGY_CONCEPTS
        typed = tuple(
            Modifier(text=q.text, span=q.span)
            if isinstance(q, Unparsed)
            and (
                _only_narrows(q.text)
                or dated and _LONE_EVENT_WORD.fullmatch(q.text.strip(" ,;:.()[]"))
                or _looks_back(item, q.text)
                or allergy and _STUDY_PRODUCT.fullmatch(q.text.strip(" ,;:.()[]"))
            )
            else q
            for q in node.qualifiers
        )
        if any(a is not b for a, b in zip(typed, node.qualifiers)):
            updates["qualifiers"] = typed
    return node.model_copy(update=updates) if updates else node


# What an allergy is to, where it is the study's own treatment ('Known hypersensitivity to any
# of the study drugs', '... to any formulation component of the study drug'): the record never
# says, so no allergy on record is none to it (engine.evaluate reads an allergy's words so)
_STUDY_PRODUCT = re.compile(
    r"(?:(?:to\s+)?any\s+(?:of\s+)?)?(?:the\s+)?(?:(?:study|trial|investigational)\s+(?:drugs?|medications?|treatments?|products?|agents?|interventions?)"
    r"(?:\s+(?:components?|excipients?|ingredients?))?|(?:formulation\s+)?components?|excipients?|ingredients?"
    # ('pembrolizumab or any of its excipients', '... or their components')
    r"|(?:its|their)\s+(?:excipients?|components?|ingredients?)|(?:excipients?|components?)\s+of\s+the\s+product)",
    re.IGNORECASE,
)


# Words that say an event is there ('Presence of malignancy', 'diagnosed as dementia'): they
# narrow one event, but before a list they may be what makes it a list of alternatives
# ('diagnosed as ovarian cancer, NSCLC, breast cancer, etc.'), so they are typed only where
# the whole criterion is that one event.
_LONE_EVENT_WORD = re.compile(
    r"(?:has\s+|have\s+|with\s+|the\s+)?(?:presence|diagnosed(?:\s+(?:as|with))?|(?:a\s+)?diagnosis)(?:\s+of)?",
    re.IGNORECASE,
)


def _lone_event_words(node: Predicate) -> Predicate:
    """'Presence of malignancy': the criterion is one event with words that only say it is
    there; they become modifiers, judged as the others are (engine.evaluate)."""
    if not isinstance(node, Qualified) or not isinstance(node.item, (Condition, Medication, Procedure)):
        return node
    typed = tuple(
        Modifier(text=q.text, span=q.span) if isinstance(q, Unparsed) and _LONE_EVENT_WORD.fullmatch(q.text.strip(" ,;:.()[]")) else q
        for q in node.qualifiers
    )
    if all(a is b for a, b in zip(typed, node.qualifiers)):
        return node
    return node.model_copy(update={"qualifiers": typed})


# What may stand before the 'not' of 'Patients must not have X', 'Has not undergone X',
# 'Are not between 18 and 50 years of age': whom it speaks of and a modal or auxiliary verb,
# nothing else ('Female subjects of childbearing potential must not be pregnant' says whom
# more narrowly, and stays as it is).
MODAL_LEAD = (
    r"(?:(?:all\s+|the\s+)?(?:patients?|participants?|subjects?|women|men|females?|males?|individuals?)\s+(?:who\s+)?)?"
    r"(?:must|should|shall|may|can|will|do|does|did|is|are|was|were|has|have|had)\s+"
)
_MODAL_BEFORE_NOT = re.compile(rf"\W*{MODAL_LEAD}", re.IGNORECASE)
_NOT_PIECE = re.compile(r"(?:(must|may|should|shall|can|will|do|does|did)\s+)?not")


def _asked_after_a_no(node: Not, text: str) -> Predicate:
    """'10. No serious cardiac dysfunction, left ventricular ejection fraction >= 50%'
    (NCT05470348), 'Not pregnant or breast feeding, and on appropriate birth control if of
    child-bearing potential' (NCT03270007): a limit of a measure, or a rule for the study team,
    after a comma that ends the events a leading 'no' denies is asked, not denied. Inside the
    'no', an LVEF of 40 % passed, and so did a woman who may bear children, whatever the
    contraception."""
    item = node.item
    if _BRACKETED_NOT.match(text, node.span.start):
        return node  # 'not (A; B)', as canonical text writes what the 'not' takes in
    if isinstance(item, Each) and len(item.items) > 1:
        items = list(item.items)
        k = len(items)
        while k > 1 and _asked_beside_events(items[k - 1]):
            k -= 1
        if k == len(items) or any(_asked_beside_events(i) for i in items[:k]):
            return node
        denied = items[0] if k == 1 else Each(items=tuple(items[:k]), span=Span(start=items[0].span.start, end=items[k - 1].span.end))
        no = Not(item=denied, span=Span(start=node.span.start, end=denied.span.end))
        return Each(items=(no, *items[k:]), span=node.span)
    if isinstance(item, AnyOf) and isinstance(item.items[-1], AllOf):
        last = item.items[-1]
        asked, events = last.items[-1], [*item.items[:-1], *last.items[:-1]]
        comma = text.find(",", events[-1].span.end, asked.span.start) >= 0
        if not comma or not _asked_beside_events(asked) or any(_asked_beside_events(e) for e in events):
            return node
        denied = AnyOf(items=tuple(events), span=Span(start=events[0].span.start, end=events[-1].span.end))
        return AllOf(items=(Not(item=denied, span=Span(start=node.span.start, end=denied.span.end)), asked), span=node.span)
    return node


_BRACKETED_NOT = re.compile(r"\s*not\s*\(", re.IGNORECASE)


def _asked_beside_events(node: Predicate) -> bool:
    """A limit of a measure other than age, or a rule for the study team: what a list of
    events under a 'no' does not deny."""
    if isinstance(node, (Comparison, Range)):
        return node.measure != "age"
    return study_teams_rule(node)


def _modal_negation(node: Predicate, text: str) -> Predicate:
    """'Must not be pregnant or breastfeeding': the 'not' after a modal, left as a word
    beside what it negates (engine.parse reads a negation only where it opens a clause), is
    that negation, where the rest was understood in full and is one thing or alternatives:
    not (pregnancy or lactation). A list read as all of its items ('must not have A, B and
    C') or anything not understood keeps the word: the negation of a misread list would be
    decided and wrong."""
    nots = {(n.span.start, n.span.end, m.group(1)) for n in walk(node) if isinstance(n, Unparsed) and (m := _NOT_PIECE.fullmatch(n.text.strip(" ,;:.").lower()))}
    if len(nots) != 1:
        return node
    [(start, end, modal)] = nots
    if not _MODAL_BEFORE_NOT.fullmatch(text[:start] + (f"{modal} " if modal else "")):
        return node  # 'may not' left as one piece: its modal is part of the lead
    rest = _without_word(node, (start, end))
    if rest is None or any(isinstance(n, (Unparsed, AllOf, Each, Not, Conditional, Exception_, Following, Judgment)) for n in walk(rest)):
        return node
    # one thing, or alternatives of one kind with one window: 'not (hysterectomy or
    # oophorectomy)'; not 'chemotherapy, antibody therapy or investigational therapy <= 4
    # weeks prior', where the window reached only the last two, nor 'chemotherapy for
    # locally advanced or metastatic disease', where the disease became an alternative
    leaves = [n for n in walk(rest) if not isinstance(n, (AnyOf, Qualified, Modifier))]
    if len({type(n) for n in leaves}) != 1 or len({getattr(n, "window", None) for n in leaves}) != 1:
        return node
    if any(n.span.start < end for n in walk(rest) if isinstance(n, (Condition, Medication, Procedure, Comparison, Range, Sex))):
        return node  # something it would negate stands before it
    return Not(item=rest, span=Span(start=start, end=node.span.end))


def _without_word(node: Predicate, span: tuple[int, int]) -> Predicate | None:
    """`node` without the words at `span` among its qualifiers."""
    if isinstance(node, Unparsed):
        return None if (node.span.start, node.span.end) == span else node
    if type(node) not in OPERAND_FIELDS:
        return node
    updates = operands_mapped(node, lambda v: _without_word(v, span))
    if updates is None:
        return node  # an operand that is the word alone: not a qualifier
    if isinstance(node, Qualified):
        kept = tuple(q for q in node.qualifiers if not (isinstance(q, Unparsed) and (q.span.start, q.span.end) == span))
        item = updates.get("item", node.item)
        if not kept:
            return item
        updates["qualifiers"] = kept
    return node.model_copy(update=updates) if updates else node


def _requirement_words(node: Predicate, text: str) -> Predicate:
    """'Known symptomatic brain metastases requiring steroids', 'Active infection requiring
    IV antibiotics', 'history of pneumonitis that required steroids': the treatment was read
    as a second event beside the condition, the verb between them not understood. The
    treatment says which of the condition is meant, so the words from the verb through the
    treatment only narrow the condition (a `Modifier` once typed): without the condition it
    is false; with it, whether it needed the treatment is the study team's to say (a
    treatment missing from the record would have made it false)."""
    starts = frozenset(n.span.start for n in walk(node) if isinstance(n, (Medication, Procedure)))
    return _requirements_in(node, text, starts)


def _requirements_in(node: Predicate, text: str, starts: frozenset[int]) -> Predicate:
    if isinstance(node, Qualified):
        rewritten = _required_treatment(node, text, starts)
        if rewritten is not None:
            return rewritten
    updates = operands_mapped(node, lambda n: _requirements_in(n, text, starts)) if type(node) in OPERAND_FIELDS else None
    return node.model_copy(update=updates) if updates else node


def _required_treatment(node: Qualified, text: str, later: frozenset[int]) -> Qualified | None:
    """The Qualified node of `_requirement_words` with the condition alone as its item and
    the requirement's words as one piece, or None where it is not that shape, or where
    another treatment follows in a list ('requiring IV antibiotics, antivirals, or
    antifungals': the list was split from its verb, which the words would not say).
    `later`: where each drug or procedure of the criterion starts."""
    item = node.item
    if not isinstance(item, AllOf) or len(item.items) != 2:
        return None
    condition, treatment = item.items
    if not _conditions_only(condition) or not _treatments_only(treatment):
        return None
    verbs = [q for q in node.qualifiers if isinstance(q, Unparsed) and condition.span.end <= q.span.start and q.span.end <= treatment.span.start]
    if len(verbs) != 1:
        return None
    verb = verbs[0]
    span = Span(start=verb.span.start, end=treatment.span.end)
    words = text[span.start : span.end]
    if (
        _REQUIRED.fullmatch(words) is None
        or _MORE_TREATMENTS.match(text, treatment.span.end) is not None
        or any(_MORE_AFTER.fullmatch(text, treatment.span.end, start) for start in later)
    ):
        return None
    qualifiers = tuple(Unparsed(text=words, span=span) if q is verb else q for q in node.qualifiers)
    return Qualified(item=condition, qualifiers=qualifiers, span=node.span)


_REQUIRED = re.compile(_REQUIRED_TREATMENT, re.IGNORECASE)
_MORE_AFTER = re.compile(r"[\s,/]*(?:(?:or|and|and/or)\s+)?", re.IGNORECASE)
# ('requiring systemic antibiotic, antiviral or antifungal therapy': more of what is required,
# though not read as drugs)
_MORE_TREATMENTS = re.compile(
    r"\s*(?:,|/|\bor\b|\band/or\b|\band\b)\s*(?:or\s+|and\s+)?(?:[\w-]+\s+)?"
    r"(?:anti\w+|(?:cortico)?steroids?|therap\w*|treatments?|medications?|control|monitoring|hospitali[sz]ation|insulin|dialysis|oxygen|transfusions?)\b",
    re.IGNORECASE,
)


def _conditions_only(node: Predicate) -> bool:
    """Conditions, or alternatives of them, with nothing that turns them round."""
    if isinstance(node, Condition):
        return True
    return isinstance(node, AnyOf) and all(isinstance(n, Condition) for n in node.items)


def _treatments_only(node: Predicate) -> bool:
    """Drugs or procedures without a window or dose of their own (which the words would lose),
    or alternatives of them."""
    if isinstance(node, (Medication, Procedure)):
        return node.window is None and getattr(node, "dose", None) is None
    return isinstance(node, AnyOf) and all(_treatments_only(n) for n in node.items)


def _history_before_narrowing(els: list, j: int, used: set[int], text: str, event: int) -> int | None:
    """Where 'history of' (or 'prior', 'known': a HIST word) stands just before words that
    only narrow the event after them ('History of other malignancy', 'history of clinically
    significant cardiovascular disease'), the index of that HIST word: the event is had at
    any time, and the words stay beside it as modifiers. Read with the words in between not
    understood, 'history of' was lost with them (23 corpus lines of 'History of other',
    'History of severe', 'History of symptomatic' ...). Not where a slash joins the words to
    the event ('prior adjuvant/neoadjuvant chemotherapy': alternatives, not a narrowing)."""
    if "/" in text[els[j].start : event]:
        return None
    for k in range(j - 1, max(j - 6, -1), -1):
        x = els[k]
        if k in used or not isinstance(x, Atom):
            return None
        if x.type == "HIST":
            words = re.sub(r"\s*[()\[\]]\s*", " ", text[x.end : els[j].end]).strip(" ,")
            return k if _NARROWING.fullmatch(words) is not None else None
    return None


def _only_narrows(words: str) -> bool:
    """Whether the words are narrowing words alone, an aside in brackets among them ('Stage
    IV (metastatic)'), a cause ('due to chronic kidney disease or cancer'), or a note of
    what does not count ('Replacement therapy ... is not considered a form of systemic
    treatment')."""
    return (
        _NARROWING.fullmatch(re.sub(r"\s*[()\[\]]\s*", " ", words).strip(" ,;:.")) is not None
        or _CAUSE_ONLY.fullmatch(words) is not None
        or _REPLACEMENT_NOTE.fullmatch(words.strip()) is not None
        or _INTERFERES.fullmatch(words.strip()) is not None
    )


# 'Endocrine therapy or, small-molecule targeted therapy: >2 weeks.': therapies, a colon, and
# a time alone (no anchor after it), the first colon of the line, with no sentence or words
# quoted as not understood before it
_WASHOUT_TIME = re.compile(
    r"[^:;.«»]*[^\s:;.«»](\s*:\s*(?:(?:[<>≥]=?|=>|at\s+least|more\s+than|greater\s+than)\s*)?\d+(?:\.\d+)?\s*(?:weeks?|days?|months?|hours?|wks?)\b"
    r"(?!\s*(?:before|prior|after|since|from|of|preceding)\b).*)",
    re.IGNORECASE | re.DOTALL,
)


def _washout(head: Predicate, text: str, wait: re.Match) -> Predicate | None:
    """'Endocrine therapy or, small-molecule targeted therapy: >2 weeks.' (NCT04300556, under
    'Participants must undergo a washout period ... as follows:'): the time after the colon
    is how long before the study each therapy named before it must have ended, or, under
    another lead-in, how recent one must be to exclude; the line alone does not say which.
    Read as 'endocrine therapy or «>2 weeks»', a patient on endocrine therapy met the washout.
    The therapies, with the time as words not understood; None where the words before the
    colon name no event, or a measure ('Life expectancy: ≥ 12 weeks')."""
    nodes = list(walk(head))
    if not any(isinstance(n, (Condition, Medication, Procedure)) for n in nodes) or any(
        isinstance(n, (Comparison, Range, Sex)) or getattr(n, "window", None) is not None for n in nodes
    ):
        return None
    start = wait.start(1) + len(wait.group(1)) - len(wait.group(1).lstrip(" :"))
    end = start + len(text[start:].rstrip(" ,;."))
    words = Unparsed(text=text[start:end], span=Span(start=start, end=end))
    span = Span(start=head.span.start, end=end)
    if isinstance(head, Qualified):
        return Qualified(item=head.item, qualifiers=(*head.qualifiers, words), span=span)
    return Qualified(item=head, qualifiers=(words,), span=span)


def _trailing_narrowing(folded: str) -> re.Match | None:
    """A last sentence or clause that only narrows what comes before it (`_REPLACEMENT_NOTE`,
    `_INTERFERES`), with something before it."""
    for pattern, word in ((_REPLACEMENT_NOTE, "eplacement"), (_INTERFERES, "would")):
        if word in folded:
            found = pattern.search(folded)
            if found is not None and folded[: found.start()].strip(" ,;.:"):
                return found
    return None


# '... psychiatric or substance abuse disorders that would interfere with cooperation with
# the requirements of the trial': which of them count, decided by the study team; a
# patient with none of them has none that would
_INTERFERES = re.compile(
    r"(?<![^\s,])(?:that|which)\s+(?:would|could|might|may|will)\s+(?:interfere\s+with|limit|compromise|preclude|prevent|impair)\s+"
    r"(?:the\s+)?(?:(?:patient|subject|participant)(?:'s|s')?\s+)?(?:cooperation|compliance|participation|ability\s+to\s+(?:comply|cooperate|participate))\b"
    r"[^.;()]{0,120}?\.?\s*$",
    re.IGNORECASE,
)


# what a line on autoimmune disease adds of the treatment it asks about: replacement therapy
# does not count (a sentence of its own, last, saying nothing else)
_REPLACEMENT_NOTE = re.compile(
    r"(?<![^\s.;(])(?:(?:physiologic(?:al)?\s+)?replacement\s+therap(?:y|ies)\b[^.;]{0,200}?(?:\([^()]{0,200}\)[^.;]{0,40}?)?"
    r"\b(?:is|are)\s+not\s+considered\s+(?:a\s+form\s+of\s+)?systemic\s+treatment)(?:\s+and\s+(?:is|are)\s+(?:allowed|permitted))?\s*\.?\s*$",
    re.IGNORECASE,
)


# the words that open a cause ('secondary to electrolyte imbalance', 'due to CKD'): `_CAUSE`, `_CAUSE_ONLY`
_CAUSE_WORDS = (
    r"(?:secondary to|due to|caused by|related to|attributable to|resulting from|as a result of"
    # 'osteonecrosis of the jaw from previous or concurrent treatment with bisphosphonates or
    # denosumab' (NCT05563220): read as alternatives, a patient on alendronate was excluded
    r"|(?<!recovered )(?<!relapsed )(?<!reactions )(?<!reaction )(?<!progressed )from\s+(?:(?:previous|prior|past|current|concurrent|ongoing)\s+(?:or\s+)?)*(?:treatment|therapy|use|exposure)\s+(?:with|of|to))"
)

# A cause that says nothing else: 'due to X, Y or Z' names the kinds of the thing caused it
# admits, so no such thing on record is none of them. Not where words in it may start a new
# requirement ('... due to malignancy, or requirement for oxygen therapy', '... or history of
# CNS disorders'), nor where it says what is allowed or not.
_CAUSE_ONLY = re.compile(
    rf"{_CAUSE_WORDS}\s+\w"
    r"(?!.*\b(?:history|requir\w*|need\w*|patients?|participants?|subjects?|use|used|using|receiv\w*|treated|treatment|"
    r"therapy|must|may|should|will|who|which|that|allowed|permitted|eligible|excluded|except\w*|unless|not|no|without|with|"
    r"any|other|include\w*|including|e\.?g|i\.?e|such|if|when|after|before|within|prior|during)\b)"
    # (nor where an item of its own follows a comma: '... due to atrial fibrillation, pregnant
    # or breastfeeding women')
    r"(?!.*,\s*(?:pregnan\w*|breast-?feeding|lactat\w*|nursing|women|men|females?|males?)\b)[^;:()\[\]<>=≤≥]*",
    re.IGNORECASE,
)


def _restates(word: Predicate, item: Predicate) -> bool:
    """A word left beside a bound that only says again what the bound says: 'performance' of
    'ECOG (Eastern Cooperative Oncology Group) performance status 0-2' (the measure's own
    name, cut by its brackets), 'Between' of 'Between the ages of 18-55 years' (a range)."""
    if isinstance(word, Unparsed) and word.text.strip(" ,;:.()[]").lower() in _CONDITION_NOUNS:
        # 'psychiatric or substance abuse disorders': the noun the conditions share says
        # nothing more of them
        leaves = [n for n in walk(item) if not children(n)]
        return bool(leaves) and all(isinstance(n, Condition) for n in leaves) and isinstance(item, (Condition, AnyOf, AllOf))
    if isinstance(word, Unparsed) and word.text.lstrip().startswith("("):
        # 'prothrombin time (PT) <= 1.5 x ULN': a bracketed abbreviation of a measure's name
        # beside it says the name again ('PT' alone is not read: it may be the patient)
        letters = word.text.strip(" ,;:.()[]").lower()
        if len(letters) >= 2 and letters.isalpha() and any(letters == _initials(n.measure) for n in walk(item) if isinstance(n, (Comparison, Range))):
            return True
    if isinstance(word, Unparsed) and isinstance(item, Sex) and word.text.strip(" ,;:.()[]").lower() in ("sex", "gender"):
        return True  # 'Female sex', 'Male or female sex.', 'Female gender;': the sex named as one
    if isinstance(word, Unparsed) and isinstance(item, Medication) and word.text.strip(" ,;:.").lower() in ("use", "usage"):
        return True  # 'Chronic opioid use', 'Pregabalin use within 2 weeks': the drug taken
    if not isinstance(word, Unparsed) or not isinstance(item, (Comparison, Range)):
        return False
    said = word.text.strip(" ,;:.()[]").lower()
    if said in _WORDS_OF_A_BOUND:
        # 'The ECOG score is between 0 to 2 points', 'With an age range between 18 and 37
        # years', 'AST <= 2.5 times the ULN range', 'calculated GFR >= 30 mL/min'
        if said == "range":
            return isinstance(item, Range) or item.threshold.relative_to is not None
        if said in ("points", "point"):
            return (item.low if isinstance(item, Range) else item.threshold).unit is None  # a score's scale, no unit of its own
        return True
    return said in item.measure.split() or (said == "between" and isinstance(item, Range))


def _history_word(word: Predicate) -> bool:
    return isinstance(word, Unparsed) and word.text.strip(" ,;:.").lower() == "history"


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.split(r"[\s-]+", name) if w)


_CONDITION_NOUNS = frozenset("disease diseases disorder disorders illness illnesses".split())
# words beside a bound that say nothing of it: its scale's unit, that it is a range, how it is worked out
_WORDS_OF_A_BOUND = frozenset("points point range calculated".split())


_HEADING_END = re.compile(r"\s*[:\uff1a]\s*$")
# an 'or' or 'and' that ends a line, the next line its other side
_DANGLING_CONNECTIVE = re.compile(r"[\s,;]+(?:and\s*/\s*or|or|and)\s*[,;.]?\s*$", re.IGNORECASE)


def _before_closing_connectives(text: str) -> int:
    """Where the text ends without the connectives that close it ('..., or', '... and or'),
    each looked for in the last few characters only: a text of 'or ' 3,333 times is cut in
    one pass, neither recursion nor a scan of the whole text per connective."""
    end = len(text)
    while True:
        found = _DANGLING_CONNECTIVE.search(text, max(0, end - 24), end)
        if found is None:
            return end
        end = found.start()
# 'Premenopausal status is defined as either:' (NCT04563507): a line that defines a term asks
# nothing; read as 'premenopausal status', it ruled out the women of 60 the trial takes
_DEFINES = re.compile(r"^[^.;:]{0,80}\b(?:(?:is|are)\s+defined\s+(?:as|by)|definition\s+of)\b[^.;:]{0,40}[:\uff1a]\s*$", re.IGNORECASE)
_COHORT_HEAD = re.compile(r"^\W*(?:\d{1,2}[.)]\s*)?(?:[a-z][.)]\s*)?for\b|\b(?:patients|participants|subjects|cohorts?)\W*$", re.IGNORECASE)


def _heading_of_items(node: Unparsed, text: str) -> Predicate:
    """'Renal:', 'Part A:', 'Expansion phase Arm A participants:': a line not understood that
    ends with a colon heads the items after it. It is 'all of the following', qualified by
    the heading's words, which are not understood (a cohort, a topic): the items decide
    nothing through it, exactly as under a heading left unparsed (engine.screen), but the
    tree says what the line is."""
    end = _HEADING_END.search(text)
    if end is None and text.strip(" .-*\u2022").lower() in _HEADING_WORDS:
        end = re.search(r"[\s.]*$", text)  # 'Hepatic', 'Key' (of 'Key Inclusion Criteria'): a heading without its colon
    if end is None or end.start() == 0 or len(text) > 200:
        return node
    words = text[: end.start()]
    start = len(words) - len(words.lstrip())
    if not words.strip(" -*\u2022"):
        return node
    if _TOPIC.fullmatch(words.strip(" -*\u2022")):
        # 'Hepatic:', 'Performance status:': the topic of the items names what they measure
        # and changes no verdict of theirs; each item is a criterion of its own
        return Following(quantifier="each", span=Span(start=start, end=len(text.rstrip())))
    heading = Unparsed(text=words.strip(), span=Span(start=start, end=end.start()))
    following = Following(quantifier="all", span=Span(start=end.start(), end=len(text.rstrip())))
    return Qualified(item=following, qualifiers=(heading,), span=Span(start=start, end=len(text.rstrip())))


# The topic of a list of items: an organ system and its function or laboratory values, or
# a legacy record's label ('Performance status:', 'Menopausal status:', 'Other:'), after an
# item's number. Not 'History of:' (it makes a past event count), not a cohort or a part of
# the study ('For NSCLC participants:', 'Cohort 1:'), not what is left of a section's title
# ('Key', 'Additional'), which heads no items of its own.
_TOPIC = re.compile(
    r"(?:\(?(?:\d{1,2}|[a-z]|[ivx]{1,4})[.)]\s*)?"
    r"(?:(?:hepatic|renal|liver|kidney|cardiac|cardiovascular|pulmonary|coagulation|bone\s+marrow|ha?ematologic(?:al)?|ha?ematology|ha?ematopoietic|laboratory)"
    r"(?:\s+(?:function|system|values|tests|criteria|requirements|parameters))?"
    r"|performance\s+status|(?:menopausal|hormone\s+receptor|reproductive)\s+status|other|age|sex)",
    re.IGNORECASE,
)

# Lines that are only the name of a group of items: an organ system's laboratory values, or
# what is left of a section's title ('Key' of 'Key Inclusion Criteria').
_HEADING_WORDS = frozenset(
    """key main additional general other hepatic renal hematologic hematological haematological
    hematology haematology coagulation cardiac pulmonary liver kidney laboratory""".split()
) | {"hepatic function", "renal function", "hematologic function", "bone marrow function", "liver function", "kidney function", "organ function", "laboratory values"}


# 'a taxane with or without carboplatin': what may or may not be there asks nothing. Read
# word by word it is 'taxane or (not carboplatin)', true of nearly everyone.
_WITH_OR_WITHOUT = re.compile(r"\bwith\s+or\s+without\b", re.IGNORECASE)

# '1.Age >= 80 years 2.Brain metastasis 3.With other malignancies' (NCT03869294): a numbered
# list the record ran into one line. Read as one clause, its items were one conjunction (an
# exclusion of the three at once let an 85-year-old without metastases pass); they are
# separate criteria, as the items of a list are.
_FIRST_ITEM = re.compile(r"\s*1\.\s*(?=[^\d\s.])")


_COMMA_WITH = re.compile(r",(?=\s+with\s+(?:an?\s+)?(?:NYHA|New\s+York\s+Heart\s+Association|CTCAE|grade|class)\b)", re.IGNORECASE)

# '5.Residual limb length greater than 6.5 inches': an item's number run into its first word
# (scanned as the word '.Residual', it left the line not understood)
_ITEM_NUMBER_ON_A_WORD = re.compile(r"\s*\d{1,2}\.(?=[^\W\d_])")


def _items_run_together(folded: str) -> str:
    """The text with the numbers of items 1, 2, 3... run into one line made separators
    (';', or blanks after a ';'), the same length: 2 and on, in order, each after a
    blank or ';' and before what is no number. Unchanged unless item 2 is found."""
    marks = [_FIRST_ITEM.match(folded)]
    k = 2
    while True:
        found = re.compile(rf"(?<=[\s;]){k}\.\s*(?=[^\d\s.])").search(folded, marks[-1].end())
        if found is None:
            break
        marks.append(found)
        k += 1
    if len(marks) < 2:
        return folded
    out = list(folded)
    for i, m in enumerate(marks):
        number = m.group().strip()
        start = m.start() + m.group().index(number)
        before = folded[:start].rstrip()
        blank = i == 0 or before.endswith(";")
        out[start : start + len(number)] = " " * len(number) if blank else ";" + " " * (len(number) - 1)
    return "".join(out)


_OPTIONAL_BEFORE = re.compile(r"\bwith\s+or\s+(?:without\s+)?$", re.IGNORECASE)


def _drop_optional(node: Predicate, text: str) -> Predicate:
    """The tree without the negated alternatives that 'with or without' introduced. Where
    such a negation is no alternative to drop ('trastuzumab, with or without pertuzumab, or
    ado-trastuzumab emtansine': its 'without' took the rest of the list), it is words not
    understood: read as a negation, it ruled out every patient without pertuzumab."""
    if _optional(node, text):
        return Unparsed(text=text[node.span.start : node.span.end], span=node.span)
    update = {}
    for name, value in node:
        if isinstance(value, tuple) and value and all(isinstance(v, Node) for v in value):
            if isinstance(node, (AnyOf, AllOf, Each)):
                # beside the rest, 'with or without X' asks nothing: in a list of requirements
                # only where X is one thing ('surgery, with or without chemotherapy'), not a
                # list it took in ('trastuzumab, with or without pertuzumab, or T-DM1')
                kept = tuple(i for i in value if not (_optional(i, text) and (isinstance(node, AnyOf) or _one_thing(i.item))))
                if len(kept) == 1:
                    return _drop_optional(kept[0], text)
                value = kept or value
            items = tuple(_drop_optional(v, text) for v in value)
            if items != getattr(node, name):
                update[name] = items
        elif isinstance(value, Node):
            new = _drop_optional(value, text)
            if new is not value:
                update[name] = new
    return node.model_copy(update=update) if update else node


# what causes the thing before it: its object may run on over the commas after it
_CAUSE = re.compile(rf"{_CAUSE_WORDS}\b", re.IGNORECASE)


def _measurement(node: Predicate) -> bool:
    """Bounds on measures alone ('AST <= 2.5 x ULN and ALT <= 2.5 x ULN'), or a bound whose
    measure was not read ('<= 2.0 x ULN')."""
    if isinstance(node, (AllOf, AnyOf)):
        return all(_measurement(i) for i in node.items)
    if isinstance(node, Unparsed):
        return _BOUND_ALONE.fullmatch(node.text.strip(" .;,")) is not None
    return isinstance(node, (Comparison, Range)) and node.measure != "age"


_BOUND_ALONE = re.compile(r"(?:[<>≤≥]=?|=<|>=)\s*\d+(?:\.\d+)?\s*(?:[x×*]\s*(?:ULN|UNL|upper limit of normal)|\S+)?", re.IGNORECASE)


def _ends_sentence(e) -> bool:
    """A semicolon or a full stop: what comes after it is a sentence of its own."""
    return isinstance(e, Atom) and (e.type == "SEMI" or (e.type == "WORD" and e.value == "."))


def _caused(item: Predicate, cause: Unparsed, span: Span, text: str) -> Predicate:
    """What a cause narrows: the thing caused, inside a negation ('No anemia due to CKD or
    cancer' is no anemia of those causes: an anemia of another cause does not fail it)."""
    if isinstance(item, Not):
        return Not(item=_caused(item.item, cause, Span(start=item.item.span.start, end=span.end), text), span=Span(start=item.span.start, end=span.end))
    if isinstance(item, (Unparsed, Judgment)):
        # words not understood, or a judgment, go on through the cause
        whole = Span(start=item.span.start, end=cause.span.end)
        return item.model_copy(update={"text": text[whole.start : whole.end], "span": whole})
    return Qualified(item=item, qualifiers=(cause,), span=span)


def _sentence_break(text: str, start: int, end: int) -> bool:
    """A semicolon, or a full stop before a capital letter or a bracket, between start and
    end (`_SENTENCES`, as `_willing_whole` reads sentences)."""
    return _SENTENCES.search(text, start, end) is not None


def _causes_only(tail, later) -> bool:
    """What follows a cause names no measure, sex or age ('Anemia due to chronic kidney
    disease, or hemoglobin < 10 g/dL', '... due to atrial fibrillation, pregnant or
    breastfeeding women'): those are requirements of their own, not more causes."""
    els = [*tail, *(e for p in later for e in (p.elements if isinstance(p, Clause) else p if isinstance(p, list) else (p,)))]
    return not any(isinstance(e, Atom) and e.type in ("SEX", "AGE", "MEASURE") for e in els)


def _cause_at(elements, text: str) -> int | None:
    """The index of the word that opens a cause ('secondary to', 'due to') among a
    sequence's own elements (not inside brackets), or None."""
    for i, e in enumerate(elements):
        if isinstance(e, Atom) and e.type == "WORD" and _CAUSE.match(text, e.start):
            return i
    return None


def _describes_the_piece_before(piece: list) -> bool:
    """A comma piece that opens with 'with' or 'defined': a clause of the piece before."""
    return (
        # ('Impaired renal function, defined as eGFR < 30': the definition, read as screen does)
        bool(piece) and isinstance(piece[0], Atom) and piece[0].type == "WORD" and str(piece[0].value) in ("with", "defined")
        # ('..., with the following exceptions:' introduces what is let through, not what it has)
        and not any(isinstance(e, Atom) and e.type == "FOLLOWING" for e in piece)
    )


def _events_only(node: Predicate) -> bool:
    """Conditions, treatments and procedures, in lists and with words beside them."""
    if isinstance(node, (Condition, Medication, Procedure)):
        return True
    if isinstance(node, Qualified):
        return _events_only(node.item)
    return isinstance(node, (AnyOf, AllOf, Each)) and all(_events_only(i) for i in node.items)


def _optional(node: Predicate, text: str) -> bool:
    return isinstance(node, Not) and _OPTIONAL_BEFORE.search(text[: node.span.start]) is not None


def _one_thing(node: Predicate) -> bool:
    return not any(isinstance(n, (AnyOf, AllOf, Each)) for n in walk(node))


def _tree(text: str, folded: str, toks: list[Tok]) -> Predicate | None:
    budget = TOKEN_BUDGET  # each retry parses every token again: past the budget, unparsed
    first = True
    for _attempt in range(len(toks) + 1):
        budget -= len(toks)
        if budget < 0:
            return None
        tokens = [_lark_token(t) for t in toks]
        try:
            if first:  # most criteria parse at the first attempt: built as they are parsed
                node = _lalr(tokens, _Build(text, folded))
                if node is not _REPLAY:
                    return node
            tree = _lalr(tokens)
            break
        except UnexpectedInput as exc:
            first = False  # a retry is parsed first and built once it parses, as it was before
            # a token the context typing let through: read it as a word and try again
            bad = getattr(exc, "token", None)
            idx = next((i for i, t in enumerate(toks) if bad is not None and t.start == getattr(bad, "start_pos", -1) and t.type != "WORD"), None)
            if idx is None:
                idx = next((i for i, t in enumerate(toks) if t.type != "WORD" and t.type not in ("LPAR", "RPAR")), None)
            if idx is None:
                return None
            toks[idx].type = "WORD"
            balance(toks)
    else:
        return None
    try:
        return _Build(text, folded).transform(tree)
    except VisitError as exc:
        raise exc.orig_exc from None


def _whole(text: str) -> Unparsed:
    start = len(text) - len(text.lstrip())
    return Unparsed(text=text.strip(), span=Span(start=start, end=start + len(text.strip())))


def _lark_token(t: Tok) -> Token:
    # what Token(t.type, t, start_pos=t.start, end_pos=t.end) makes, but a str of the token's
    # text: Token() takes str(t), the dataclass repr, which cost 5 % of parsing. Nothing
    # compares or hashes these tokens as strings (the grammar's names are their types).
    tok = str.__new__(Token, t.text or "")
    tok.type, tok.value, tok.start_pos, tok.end_pos = t.type, t, t.start, t.end
    tok.line = tok.column = tok.end_line = tok.end_column = None
    return tok


@lru_cache(maxsize=1)
def _lalr_tables() -> tuple[list[dict], int, int]:
    """lark's LALR(1) tables of `parser()` for `_lalr`: per state (a list index), per token
    type or rule name, either the next state (an int: a shift, or the goto after a rule) or
    a `_reduction` (a tuple); and the start and end states."""
    from lark.parsers.lalr_analysis import Shift

    inner = parser().parser.parser.parser  # Lark -> ParsingFrontend -> LALR_Parser -> _Parser
    table, callbacks = inner.parse_table, inner.callbacks
    states: list[dict] = [{} for _ in range(max(table.states) + 1)]
    for state, actions in table.states.items():
        states[state] = {str(name): arg if action is Shift else _reduction(arg, callbacks[arg]) for name, (action, arg) in actions.items()}
    return states, table.start_states["start"], table.end_states["start"]


def _reduction(rule, callback) -> tuple[int, str, object, object, str | None]:
    """(length of the rule, its name, lark's callback that builds its tree or None where that
    hands its one child back unchanged, the `_Build` function to call with the children
    where lark's callback is only `Tree(method, children)` (else None), the name of the tree
    it builds: the `_Build` method's)."""
    only = rule.expansion[0] if len(rule.expansion) == 1 else None
    if rule.options.expand1 and not rule.alias and only is not None and not only.is_term and not only.name.startswith("_"):
        callback = None  # '?element: atom': lark's ChildFilter keeps the child, ExpandSingleChild returns it
    # the name lark's ParseTreeBuilder.create_callback gives the tree (and looks a transformer's method up by)
    method = str(rule.alias or rule.options.template_source or rule.origin.name)
    method = None if method.startswith("_") else method
    fn = None
    if (
        method is not None
        and isinstance(callback, partial) and callback.func is Tree and callback.args == (method,) and not callback.keywords
        and isinstance(_Build.__dict__.get(method), FunctionType)
    ):
        fn = _Build.__dict__[method]  # `getattr(build, method)(Tree(method, children).children)` without the Tree
    return len(rule.expansion), str(rule.origin.name), callback, fn, method


def _lalr(tokens: list[Token], build: _Build | None = None):
    """`parser().parse(tokens)`: the same tables and tree callbacks, so the same tree, in a
    loop without lark's per-token method calls and lookups by `Token` keys (a third of its
    time). A token the tables have no action for raises lark's `UnexpectedToken` for it, with
    the token and the types expected there, as lark does (without lark's parser state); at
    the end of the input lark itself is asked, so the error is lark's own.

    With `build`, each tree is handed to its `_Build` method as soon as it is reduced, which
    is `build.transform(tree)` without a second walk (LALR reduces in the order the
    transformer visits, children first, left to right). Should a method raise, `_REPLAY`:
    the caller parses and transforms as before, so the same exception (or retry) follows."""
    states, state, end = _lalr_tables()
    stack, values = [state], []  # `state` is stack[-1] throughout
    for tok in (*tokens, _END):
        kind = tok.type
        while True:
            action = states[state].get(kind)
            if action is None and tok is not _END:
                raise UnexpectedToken(tok, {s for s in states[state] if s.isupper()})
            if action is None or (action.__class__ is int and tok is _END):  # lark raises, with its end token (it has the last one's position)
                tree = parser().parse(tokens)
                return tree if build is None else _REPLAY
            if action.__class__ is int:  # shift
                state = action
                stack.append(state)
                values.append(tok)
                break
            size, name, callback, fn, method = action
            if callback is None:  # '?element: atom': the child is the value, where it is
                stack.pop()
                state = states[stack[-1]][name]
                stack.append(state)
                if state == end and tok is _END:
                    return values[-1]
                continue
            if size:
                children = values[-size:]
                del stack[-size:]
                del values[-size:]
            else:
                children = []
            if build is None or method is None:
                value = callback(children)
            elif fn is not None:
                try:
                    value = fn(build, children)
                except Exception:
                    return _REPLAY
            else:
                value = callback(children)
                if type(value) is Tree:  # no method for lark's own '__seq_plus' lists
                    try:
                        value = getattr(build, method)(value.children)
                    except Exception:
                        return _REPLAY
            values.append(value)
            state = states[stack[-1]][name]
            stack.append(state)
            if state == end and tok is _END:  # the start rule is complete
                return value
    raise AssertionError("unreachable: the end of input reduces to the start rule or fails")


_REPLAY = object()
_END = Token("$END", "")

# The questions `parse` asks of every criterion, most of which find nothing: each first asks
# whether the words a match must contain are in the text (engine.prefilter; 40 -> 14 us a
# criterion over the corpus, tests/test_parse11_speed.py checks the answers are the same)
_AGE_AT_EVENT, _SOME_OF_THE_FOLLOWING, _ALLERGY_TO, _LIFE_EXPECTANCY, _COMPLIANCE_BOUND, _CONSISTENT_WITH, _FOR, _WITH_OR_WITHOUT, _AND_PEOPLE_WITH, _HEADING_END = map(
    needs_words,
    (_AGE_AT_EVENT, _SOME_OF_THE_FOLLOWING, _ALLERGY_TO, _LIFE_EXPECTANCY, _COMPLIANCE_BOUND, _CONSISTENT_WITH, _FOR, _WITH_OR_WITHOUT, _AND_PEOPLE_WITH, _HEADING_END),
)


# 'Prior radiotherapy allowed', 'Prior treatment with CDK4/6 inhibitors is permitted', 'both
# male and female are eligible': the words that let in what they follow, closing its sentence
_EXCLUDING_WORD = re.compile(r"excluded|eligible", re.IGNORECASE)
# the words that keep out those a line names ('will be excluded', 'are not eligible for
# enrollment', 'are ineligible'); never 'not excluded'
_EXCLUDING = re.compile(
    r"(?:(?:will|shall|should|must|would|are|is|also|be)\s+)*(?:excluded|not\s+eligible|ineligible)"
    r"(?:\s+(?:from|for)\s+(?:the\s+|this\s+)?(?:study|trial|enrol{1,2}ment|participation|inclusion|entry))?",
    re.IGNORECASE,
)
_ALLOWING_WORD = re.compile(r"\b(?:allowed|permitted|acceptable|eligible)\b", re.IGNORECASE)
_ALLOWING = re.compile(r"(?:(?:is|are|will|would|also|still|be)\s+)*(?:allowed|permitted|acceptable)", re.IGNORECASE)
_BOTH_ELIGIBLE = re.compile(r"(?:(?:is|are|will|would|also|be)\s+)*eligible", re.IGNORECASE)
# words that turn a permission into a refusal or a requirement ('No prior chemotherapy
# allowed', 'Only one prior line permitted', 'allowed if completed > 4 weeks before',
# 'Eligible for taxane therapy'), some of which the grammar passes over as filler
_NOT_ONLY_ALLOWING = re.compile(
    r"(?<![\w-])(?:no|not|non|never|none|nor|neither|without|only|if|unless|provided|providing|as\s+long|must|should|shall|"
    r"need|needs|required|except|excluding|but|however|when|after|once|until|within|before|prior\s+to|eligible|ineligible|"
    r"maximum|max|up\s+to|at\s+most|limited)(?![\w-])|[<>\u2264\u2265=]",
    re.IGNORECASE,
)
_CLOSING = re.compile(r"[\s.,;:)\]]*")
# a line that says there is no criterion (in guillemets as canonical text writes it)
_ASKS_NOTHING = re.compile(
    r"[\s*\u2022-]*(?:\d{1,2}[.)]\s*)?\u00ab?(none|nil|not\s+specified|not\s+applicable|n/a|no\s+(?:inclusion|exclusion)\s+criteria)\u00bb?[\s.;:]*", re.IGNORECASE
)


def _permissions(node: Predicate, text: str) -> Predicate:
    """'Prior radiotherapy allowed', 'Concurrent bisphosphonates allowed', 'Patients must be
    age >= 18 years; both male and female are eligible': a line, or one of a line's separate
    criteria, that only lets patients in is a `Permission`, which asks nothing. Read as the
    event beside words not understood it was unknown for every patient; read as the event
    itself it would have failed every patient who never had it. Not where the line refuses
    ('No prior chemotherapy allowed'), limits ('Only one prior regimen allowed'), sets a
    condition ('allowed if completed > 4 weeks before', 'permitted 3 weeks prior to
    enrollment') or is a requirement in other words ('Eligible for taxane therapy', 'Female
    aged 18 to 75 years old are eligible'): those stay as they were read. Nor beside a sex
    among separate criteria, where an exclusion reads the sex as whom the rest is for, nor
    after criteria that name events, of which it may be an exception."""
    if isinstance(node, Each):
        if any(isinstance(i, Sex) for i in node.items):
            return node
        last = _permission(node.items[-1], text, node.items[-2].span.end)
        if last is node.items[-1] or not (isinstance(last.item, Sex) or _no_events(node.items[:-1])):
            # ('History of bleeding diathesis ... or treatment with anticoagulants. Low molecular
            # weight heparin (LMWH), low dose aspirin or clopidogrel are permitted'): what it
            # allows may be excepted from the events before it, and as words not understood it
            # kept them from deciding (engine.screen); read apart, the anticoagulant excluded a
            # patient on the heparin it allows
            return node
        return node.model_copy(update={"items": (*node.items[:-1], last)})
    return _permission(node, text, 0)


def _excluded_by_words(node: Predicate, text: str) -> Predicate:
    """'Pregnant or lactating women are ineligible.', 'Patients with a known LVEF < 40% will
    be excluded': a line whose one piece not understood is the words that keep those it
    names out, closing it, is an `Excludes` of what it names (engine.evaluate reads it by
    the line's side: listed as an inclusion, the patient must not be among them). Read as
    what it names beside words not understood, it was unknown for every patient. Not where
    a sentence comes between ('Tumor has a known KRAS-activating mutation; Patients with
    KRAS G12C mutations are excluded.'), whose words keep out the last sentence's only."""
    pieces = [n for n in walk(node) if isinstance(n, Unparsed)]
    if len(pieces) != 1:
        return node
    [words] = pieces
    # (the words with what the grammar passed over after them: '... are not eligible for enrollment')
    if not _EXCLUDING.fullmatch(text[words.span.start :].strip(" ,;:.)]\u00ab\u00bb")):
        return node
    item = _without_word(node, (words.span.start, words.span.end))
    if item is None or item is node or _SENTENCES.search(text, item.span.start, words.span.start) or _joined_to_the_last(item):
        return node
    return Excludes(item=item, words=words.text, span=node.span)


def _joined_to_the_last(node: Predicate) -> bool:
    """An 'or' whose last term alone was read with something joined to it ('concurrent
    paclitaxel and/or concurrent topotecan with radiation therapy', NCT00803062: 'paclitaxel
    or (topotecan and radiotherapy)'), which may be joined to every term: the words that
    kept it unknown stay words."""
    return any(
        isinstance(n, AnyOf) and isinstance(n.items[-1], AllOf) and not all(isinstance(i, AllOf) for i in n.items)
        for n in walk(node)
    )


def _no_events(items) -> bool:
    """Whether none of `items` names a condition, a drug or a procedure."""
    return not any(isinstance(n, _EVENT_NODES) for item in items for n in walk(item))


def _permission(node: Predicate, text: str, start: int) -> Predicate:
    """`node`, written from `start` to the end of the line, as a `Permission` where its one
    piece not understood is the words that allow it, closing the line, and what it allows is
    events or both sexes, read in full, with nothing written before the words that refuses,
    limits or sets a condition; else `node` as it is."""
    pieces = [n for n in walk(node) if isinstance(n, Unparsed)]
    if len(pieces) != 1:
        return node
    [words] = pieces
    if not _CLOSING.fullmatch(text, words.span.end):
        return node
    item = _without_word(node, (words.span.start, words.span.end))
    if item is None or item is node or _SENTENCES.search(text, item.span.start, words.span.start):
        return node
    if _NOT_ONLY_ALLOWING.search(text, start, words.span.start):
        return node
    said = words.text.strip(" ,;:.")
    both_sexes = isinstance(item, Sex) and len(item.sexes) == 2
    if not (_ALLOWING.fullmatch(said) or both_sexes and _BOTH_ELIGIBLE.fullmatch(said)):
        return node
    if not (both_sexes or all(_allowable(n) for n in walk(item))):
        return node
    return Permission(item=item, words=words.text, span=node.span)


def _allowable(node: Predicate) -> bool:
    """Whether `node` may be part of what a permission allows: an event with no window or
    dose (which would be a condition on it), a word that only narrows, or 'or'. (Not 'and',
    which joins sentences the tree read as one: 'Participant is immunocompromised.
    Participants with splenectomy are allowed.', whose canonical text has no sentences.)"""
    if isinstance(node, (Condition, Procedure)):
        return node.window is None
    if isinstance(node, Medication):
        return node.window is None and node.dose is None
    if isinstance(node, Modifier):
        return not is_lookback(node.text)
    return isinstance(node, (AnyOf, Qualified))


# 'Has not recovered (i.e., <= Grade 1 or at baseline) from AEs due to a previously
# administered agent', 'Recovery from the effects of prior therapy': a line that asks
# whether the patient recovered from a treatment's or a surgery's effects, which records do
# not grade
_RECOVERY = re.compile(
    r"\W*(?:(?:pre-?)?registration:\s*|note:\s*)?(?:(?:the\s+)?(?:patients?|participants?|subjects?)\s+)?(?:(?:who|that)\s+)?"
    r"(?:(?:has|have|had|must|should|will)\s+)*(?:(?:also|not|yet|been|be)\s+)*(?:(?:fully|adequately|completely|sufficiently)\s+)?"
    r"(?:recovered|recovery|non-?recovery|incomplete\s+recovery)\b",
    re.IGNORECASE,
)


def _recovery_judged(node: Predicate) -> Predicate:
    """A line not understood that asks whether the patient recovered from a treatment's or
    a surgery's effects ('Has not recovered (i.e., <= Grade 1 or at baseline) from AEs due
    to a previously administered agent') is the study team's medical judgment: understood,
    and unknown as it was (records hold no grading of recovery). Only the whole line: a
    piece beside other criteria that holds a negation ('... or who have not recovered from
    side effects of such therapy') keeps them from deciding alone (engine.screen), which
    they must where the text's window was misread ('history of chemotherapy' for '...
    chemotherapy ... <= 4 weeks prior to starting study drug', NCT05253053)."""
    if isinstance(node, Unparsed) and _RECOVERY.match(node.text):
        return Judgment(category="medical_judgment", text=node.text, span=node.span)
    return node


# More questions asked of every criterion, or of every criterion with an 'or', since the
# block above (branch parse16): `parse` searches for a washout's colon, an absorption, a
# permitting word, and `_history_or_now_reaches` for every 'past or current', most finding
# nothing; `_trailing_narrowing` for a note that would interfere. The same guard: an
# answer only where the words a match needs are in the text (tests/test_parse16_speed.py).
_WASHOUT_TIME, _ABSORPTION_OF, _ALLOWING_WORD, _HISTORY_OR_NOW, _INTERFERES = map(
    needs_words, (_WASHOUT_TIME, _ABSORPTION_OF, _ALLOWING_WORD, _HISTORY_OR_NOW, _INTERFERES)
)

# Pure questions of a word or two beside a tree, asked again of the same words across
# criteria ('uncontrolled', 'within 6 months'): remembered
_only_narrows = lru_cache(maxsize=4096)(_only_narrows)
is_lookback = lru_cache(maxsize=4096)(is_lookback)
