"""Patients x trials -> verdicts with reasons (CONTRACT.md `elig screen` and `screen()`).

A criterion is parsed (its curated canonical form when it has one), evaluated against the
patient, and its truth turned into the eligibility side: an inclusion that holds and an
exclusion that does not apply `pass`; an inclusion that does not hold and an exclusion that
applies `fail`. Sub-items are operands of the item that introduces them ('at least one of
the following:'), and a trial is ineligible if any criterion fails, eligible if all pass.
"""

from __future__ import annotations

import contextlib
import gc
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from engine.collect import CollectItem, collect_next
from engine.compiled import Compiled, compile_tree, forget_answers, judged_as_said
from engine.evaluate import _FEMALE_STATUSES, Outcome, _with_reasons, evaluate, evaluate_as_said, has_windowed_event, leaf_signature, leaf_verdicts, record_leaves
from engine.logic import Truth
from engine.nodes import AllOf, AnyOf, Comparison, Condition, Conditional, Each, Exception_, Excludes, Following, Judgment, Medication, Modifier, Not, Predicate, Procedure, Qualified, Range, Sex, Span, Unparsed, Window, unvalidated, walk
from engine.overview import PatientSummary, summarize
from engine.parse import MODAL_LEAD, parse
from engine.patient import Patient
from engine.progress import progress_bar
from engine.render import render
from engine.trials import HEALTHY_VOLUNTEERS, Criterion, Trial
from engine.vocab import load_vocabulary

Status = Literal["pass", "fail", "unknown"]
TrialStatus = Literal["eligible", "ineligible", "unknown"]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class CriterionResult(_Out):
    section: Literal["inclusion", "exclusion"]
    text: str
    status: Status
    reasons: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    children: tuple["CriterionResult", ...] = ()
    canonical: str
    curated: bool = False


class TrialResult(_Out):
    trial_id: str
    title: str
    status: TrialStatus
    criteria: tuple[CriterionResult, ...]
    unknown: int
    source: str | None = None


class PatientResult(_Out):
    patient_id: str
    trials: tuple[TrialResult, ...]
    source: str | None = None
    summary: PatientSummary | None = None  # age, sex, latest key labs: for the reports
    collect_next: tuple[CollectItem, ...] = ()  # missing data, most deciding first (engine.collect)


class ScreenResult(_Out):
    as_of: date
    open_world: bool = False
    patients: tuple[PatientResult, ...]


CriterionResult.model_rebuild()


@lru_cache(maxsize=65536)
def _parsed(text: str) -> Predicate:
    tree = _PRIMED.pop(text, None)
    return tree if tree is not None else parse(text)


# Trees read from the on-disk cache (engine.cache) in one go for the trials about to be
# prepared; `_parsed` takes each from here once, then remembers it itself.
_PRIMED: dict[str, Predicate] = {}


def _under_label(tree: Predicate, criterion: Criterion, label: Predicate | None) -> Predicate:
    """An item's tree under its heading's label: under 'Life expectancy:' (a legacy PDQ
    record's), 'At least 5 years' is the life expectancy, not the age a bare duration is read
    as elsewhere ('18-65 years'); read as an age it passed every adult (NCT00003140)."""
    if (
        criterion.canonical is None
        and isinstance(label, Judgment)
        and label.category == "life_expectancy"
        and label.bound is None
        and any(isinstance(n, (Comparison, Range)) and n.measure == "age" for n in walk(tree))
    ):
        return Judgment(category="life_expectancy", text=criterion.text, span=tree.span)
    return tree


def criterion_predicate(criterion: Criterion) -> Predicate:
    """The tree a criterion is judged by: the curated canonical form wins over the text."""
    return _parsed(criterion.canonical or criterion.text)


def _with_children(tree: Predicate, criterion: Criterion) -> Predicate:
    """Sub-items are the operands of 'the following' in their parent."""
    if not criterion.children:
        return tree
    kids = tuple(_under_label(criterion_predicate(c), c, tree) if not c.children else _with_children(criterion_predicate(c), c) for c in criterion.children)
    following = [n for n in walk(tree) if isinstance(n, Following)]
    if following:
        target = following[0]
        window = _heading_window(tree, target)
        if window is not None:
            # 'Any of the following within 6 months prior to enrollment:': the window reaches
            # every item that has none of its own (NCT04762979: a 2015 infarction excluded)
            target = next(n for n in walk(tree) if isinstance(n, Qualified) and n.item is following[0])
            kids = tuple(_within(kid, *window) for kid in kids)
        joined = {"any": AnyOf, "all": AllOf, "each": Each}[following[0].quantifier]
        combined = joined(items=kids, span=target.span) if len(kids) > 1 else kids[0]
        if criterion.canonical is None and _DEFINED_LIST.search(criterion.text):
            # 'Patient has active cardiac disease or a history of cardiac dysfunction including
            # any of the following:' (NCT05143229): the items say what the words mean, so the
            # words decide nothing of their own (a 2015 infarction was 'history of cardiac
            # dysfunction'); where the text does not say whether one item is enough or all are
            # needed ('including the following:'), or the words may turn them round ('No CNS
            # disease, including either of the following:'), or say when ('Cardiac disease within
            # the past 6 months, including any of the following:'), neither do they
            plain = _NEGATION.search(criterion.text) is None and not any(isinstance(n, (Not, Exception_, Conditional, Excludes)) for n in walk(tree))
            plain = plain and (window is not None or _WINDOW_WORDS.search(criterion.text) is None)
            if plain and _EXPLICIT_QUANTIFIER.search(criterion.text):
                return combined
            return Qualified(item=combined, qualifiers=(Unparsed(text=criterion.text, span=tree.span),), span=tree.span)
        return _replace(tree, target, combined)
    # Without 'the following' the relation is not stated: a heading not understood
    # ('Inclusion criteria (ESRD group):') may restrict its items to a cohort. The items
    # are shown with their own verdicts but decide nothing here; a curated canonical
    # form ('all of the following:') says how they combine.
    combined = AllOf(items=(tree, *kids)) if not isinstance(tree, Unparsed) else (AllOf(items=kids) if len(kids) > 1 else kids[0])
    # where the items define it ('Unstable cardiovascular disease is defined as:'), its
    # modifiers are words not understood too: they narrow nothing of the items, and typed as
    # modifiers they let the list decide (a blood pressure of 168 passed the exclusion)
    defines = _DEFINED_BY_ITEMS.search(criterion.text) is not None
    pieces = tuple(
        Unparsed(text=n.text, span=n.span) if defines and isinstance(n, Modifier) else n for n in walk(tree) if isinstance(n, (Unparsed, Modifier))
    ) or (Unparsed(text=criterion.text, span=tree.span),)
    return Qualified(item=combined, qualifiers=pieces, span=tree.span)


_DEFINED_BY_ITEMS = re.compile(r"\b(?:defined|definition|as follows|such as|including|includes?|e\.g|i\.e)\b", re.IGNORECASE)

# a line whose words the items after it define: 'Patient has active cardiac disease ...
# including any of the following:', 'Adequate organ function defined as:', 'such as:' (not
# 'including but not limited to:', whose words say more than its items)
_DEFINED_LIST = re.compile(
    r"\b(?:including|includes?|defined\s+(?:as|by)|such\s+as|as\s+follows|e\.g\.?|i\.e\.?)"
    r"(?:,?\s+(?:at\s+least\s+)?(?:any|one|all|either)(?:\s+or\s+more)?\s+of)?"
    r"(?:\s+(?:the\s+)?following(?:\s+[\w-]+){0,2})?\s*[:：]\s*$",
    re.IGNORECASE,
)
_EXPLICIT_QUANTIFIER = re.compile(r"\b(?:any|one|all|either)(?:\s+or\s+more)?\s+of\s+the\s+following\b", re.IGNORECASE)
# 'any of the following within 6 months prior to enrollment:', '... in the past 12 months:'
_WINDOW_WORDS = re.compile(
    r"\b(?:within|in\s+the\s+(?:past|last|previous|preceding)|during\s+the\s+(?:past|last|previous|preceding)|for\s+the\s+(?:past|last))\b"
    r"[^:：]*?\b(?:days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)


def _window_words(tree: Predicate, following: Following) -> str | None:
    """The words of a time window that the parser left around 'the following' ('Any of the
    following within 6 months prior to enrollment:'), when they say nothing else."""
    for node in walk(tree):
        if isinstance(node, Qualified) and node.item is following and all(isinstance(q, Unparsed) for q in node.qualifiers):
            words = " ".join(q.text for q in node.qualifiers).strip(" ,;:")
            return words if _WINDOW_WORDS.match(words) else None
    return None


def _heading_window(tree: Predicate, following: Following) -> tuple[Window, str] | None:
    """The time window of a list's heading and its words (`_window_words`), the window read
    as the parser reads it after an event ('stroke within 6 months prior to enrollment')."""
    words = _window_words(tree, following)
    if words is None:
        return None
    probe = _parsed(f"stroke {words}")
    if isinstance(probe, Condition) and probe.window is not None:
        return probe.window, words
    return None


def _within(tree: Predicate, window: Window, words: str) -> Predicate:
    """An item of a list whose heading gives a time window: its events without a window of
    their own get the heading's ('myocardial infarction' under 'within 6 months'); an item
    with a window of its own keeps it; an item with a measurement ('LVEF < 50%') is qualified
    by the heading's words, not understood, since the parser shares a heading's window with
    events only."""
    nodes = list(walk(tree))
    doses = {id(n.dose) for n in nodes if isinstance(n, Medication) and n.dose is not None}
    events = [n for n in nodes if isinstance(n, (Condition, Medication, Procedure))]
    measures = [n for n in nodes if isinstance(n, (Comparison, Range)) and id(n) not in doses and n.measure != "age"]
    if any(n.window is not None for n in events) or any(getattr(n, "window", None) is not None for n in measures):
        return tree
    if measures:
        return Qualified(item=tree, qualifiers=(Unparsed(text=words, span=tree.span),), span=tree.span)
    for event in events:
        tree = _replace(tree, event, event.model_copy(update={"window": window}))
    return tree


def _replace(tree, target, new):
    if tree is target:
        return new
    if isinstance(tree, Qualified) and tree.item is target:
        # the words around 'the following' qualify the whole list
        return tree.model_copy(update={"item": new})
    updates = {}
    for name, value in tree:
        if isinstance(value, tuple) and value and isinstance(value[0], BaseModel) and hasattr(value[0], "kind"):
            replaced = tuple(_replace(v, target, new) for v in value)
            if replaced != value:
                updates[name] = replaced
        elif isinstance(value, BaseModel) and hasattr(value, "kind"):
            replaced = _replace(value, target, new)
            if replaced is not value:
                updates[name] = replaced
    return tree.model_copy(update=updates) if updates else tree


def _status(truth: Truth, section: str) -> Status:
    if truth is Truth.UNKNOWN:
        return "unknown"
    holds = truth is Truth.TRUE
    if section == "exclusion":
        holds = not holds
    return "pass" if holds else "fail"


_CONNECTIVES = frozenset({"all_of", "any_of", "each"})


def _flatten_deciding(outcome: Outcome, reasons: dict[str, None], missing: dict[str, None]) -> None:
    """The reasons and the missing data of an Outcome tree's nodes, once each, added to
    `reasons` and `missing` (dicts used as ordered sets) in the order of its nodes with
    the deciding ones first: parents before children, each subtree together; among the
    operands of and/or those with the connective's own truth (the FALSE one of a false AND,
    the TRUE one of a true OR, the UNKNOWN ones of an unknown either) come first, so a
    criterion's first reason is one that decides it, not a part that did not matter. An
    exception's own reasons ('the excepted X does not apply') qualify its main part and
    follow it, so the event comes before what it is excepted from; a conditional's ('applies:
    its condition holds') follow the part that decides it: its condition where that does
    not hold, else what it requires.

    One recursive walk that adds as it goes: nested generators passed every node up through
    each level above it (7 % of a warm screening), and a list of the nodes walked twice
    after (once per field) was 5 % (speed7)."""
    children = outcome.children
    if not children:
        for item in outcome.reasons:
            reasons[item] = None  # a repeat keeps its first place
        for item in outcome.missing:
            missing[item] = None
        return
    if len(children) == 2 and (outcome.kind == "exception" or outcome.kind == "conditional"):
        first, second = children
        if outcome.kind == "conditional" and first.truth is not Truth.FALSE:
            first, second = second, first
        _flatten_deciding(first, reasons, missing)
        for item in outcome.reasons:
            reasons[item] = None
        for item in outcome.missing:
            missing[item] = None
        _flatten_deciding(second, reasons, missing)
        return
    for item in outcome.reasons:
        reasons[item] = None
    for item in outcome.missing:
        missing[item] = None
    if outcome.kind in _CONNECTIVES:
        truth = outcome.truth
        for child in children:
            if child.truth is truth:
                _flatten_deciding(child, reasons, missing)
        for child in children:
            if child.truth is not truth:
                _flatten_deciding(child, reasons, missing)
        return
    for child in children:
        _flatten_deciding(child, reasons, missing)


_NEGATION = re.compile(
    r"\b(?:not|no|never|without|negative|absen\w*|exclud\w*|ineligible|prohibit\w*|disallow\w*|contraindicat\w*|cannot|unless|except\w*|other than)\b",
    re.IGNORECASE,
)


# 'For patients who have received chemotherapy in the past 6 months, a CD4 count < 250
# cells/mcl during chemotherapy is permitted': what a permission allows is no requirement.
_PERMISSION = re.compile(r"\b(?:permit\w*|allow\w*|acceptable|eligible|may)\b", re.IGNORECASE)

# 'HER2-negative breast cancer includes hormone receptor-positive breast cancer and TNBC': a
# definition, or a list that names the kinds the trial takes ('tumor types include melanoma
# and NSCLC', any one of them), is no requirement that the patient have every term it names.
_DEFINITION = re.compile(r"\b(?:include|includes|consists? of|comprises?|refers? to)\b", re.IGNORECASE)


# 'autoimmune disease or syndrome that currently requires systemic steroids': a clause that
# restricts what comes before it may restrict the whole list, not only the last term it was
# left beside.
_FOR_THEIR = r"for\s+(?:their|his|her|its|the patient'?s)"
_RESTRICTIVE = re.compile(rf"\b(?:that|which|whose|requir(?:e|es|ed|ing)|{_FOR_THEIR})\b", re.IGNORECASE)
# 'for their' just before a piece (engine.parse drops the two words as filler)
_FOR_WHOSE = re.compile(rf"\b{_FOR_THEIR}\s*$", re.IGNORECASE)


@lru_cache(maxsize=65536)
def _reversal_cues(piece: str) -> tuple[bool, bool, bool]:
    """Whether words not understood hold a negation, a permission, a definition. Pieces
    repeat (102 k in the corpus, 47 k different): their regexes were a fifth of compiling."""
    return bool(_NEGATION.search(piece)), bool(_PERMISSION.search(piece)), bool(_DEFINITION.search(piece))


def _reversal_piece(tree: Predicate, text: str = "") -> tuple[str, str, str] | None:
    """The first piece not understood that holds a negation, else a permission, else a
    definition, else a restrictive clause left on a later term of a list: (what it is, the
    piece, what it could do to the verdict), or None. `text`: the criterion the tree is of."""
    # (a waiver not understood, '(main) unless («Patients with treated brain metastases are
    # eligible»)', has its scope: it can only relax the main part, never reverse it)
    waivers = {id(n.exception) for n in walk(tree) if isinstance(n, Exception_) and n.mode == "unless" and isinstance(n.exception, Unparsed)}
    pieces = [n.text for n in walk(tree) if isinstance(n, Unparsed) and id(n) not in waivers]
    for cue, (what, effect) in enumerate(
        (
            ("a negation", "reverse the verdict"),
            ("a permission", "make a requirement an allowance"),
            ("a definition or a list of kinds", "turn a list of alternatives into requirements"),
        )
    ):
        found = next((piece for piece in pieces if _reversal_cues(piece)[cue]), None)
        if found is not None:
            return what, found, effect
    found = next(_restrictive_after_a_list(tree, text), None)
    if found is not None:
        return "a restrictive clause", found, "restrict the earlier terms of the list as well"
    found = _words_leading_a_list(tree)
    if found is not None:
        return "the words that open a list of alternatives", found, "ask something of every alternative"
    return None


def _words_leading_a_list(tree: Predicate) -> str | None:
    """'has experienced treatment failure while receiving or after completing anthracycline-
    and/or taxane-based chemotherapy': words not understood that open the criterion and were
    read as one alternative of an 'or' may govern all of them."""
    for node in walk(tree):
        if isinstance(node, AnyOf) and len(node.items) >= 2:
            first = node.items[0]
            if isinstance(first, Unparsed) and first.span.start <= 3 and _LEADS_INTO.search(first.text):
                return first.text
    return None


# '... while receiving', '... after completing': the words end where their object, the list,
# begins. (Words that end in a noun are an alternative of their own: 'Previous history of
# cardiovascular or cerebrovascular events'.)
_LEADS_INTO = re.compile(r"\b(?:while|after|during|upon|following|despite|before)\s+(?:\w+\s+)?\w+ing\W*$", re.IGNORECASE)


def _restrictive_after_a_list(tree: Predicate, text: str = ""):
    """Restrictive clauses not understood left on a term which is not the first of its list:
    where they were left says nothing of how far back they reach."""
    for node in walk(tree):
        if not isinstance(node, (AllOf, AnyOf, Each)):
            continue
        for item in node.items[1:]:
            if item.span.start == node.items[0].span.start:
                continue  # the first term again (engine.parse: with and without a window it may not have)
            if isinstance(item, Unparsed) and isinstance(node, AnyOf) and _RESTRICTIVE.search(item.text):
                # ('brain metastases or other CNS metastases that are either symptomatic or
                # untreated that require concurrent treatment': the clause, read as an
                # alternative of its own, may restrict every term before it)
                yield item.text
            while isinstance(item, Qualified):
                for piece in item.qualifiers:
                    if (
                        _RESTRICTIVE.search(piece.text)
                        or piece.text.strip().lower() in ("for", "after", "before", "following")
                        or _FOR_WHOSE.search(text, 0, piece.span.start)
                    ):
                        # ('after' alone, of 'chemotherapy, radiation therapy or targeted
                        # therapy after surgery': when, of all of them or of the last)
                        # 'for' alone marks what a treatment was given for (engine.parse):
                        # 'radiotherapy, chemotherapy ... for currently diagnosed breast cancer';
                        # so does 'for their' before words not understood ('prior systemic
                        # chemotherapy or other targeted or biological antineoplastic therapy
                        # treatment for their advanced metastatic HNSCC', NCT03564691)
                        yield piece.text
                item = item.item


# 'No leptomeningeal disease', 'No evidence of dementia', 'no food allergies' listed as
# exclusions: read as written they exclude every patient without the disease.
# So do 'Patients must not have clinically significant cardiac disease', 'Has not undergone X'.
_NO_FIRST = re.compile(rf"^\W*(?:\d{{1,2}}[.)]\s*)?(?:no\b(?!\s+longer)|{MODAL_LEAD}not\b)", re.IGNORECASE)


# a sentence of an exclusion that asks something of the patient: 'Patients should have a
# LVEF >= 50%', 'Subjects must be willing ...' (not 'must not have', which is read as a negation)
_REQUIREMENT_VOICE = re.compile(
    r"(?:^|[.;:]\s+|\)\s+)(?:all\s+)?(?:patients?|subjects?|participants?)\s+(?:should|must|need\s+to|have\s+to|are\s+required\s+to)\s+(?!not\b)(?:have|be|show|demonstrate)\b[^.;]*",
    re.IGNORECASE,
)


def _inclusion_voice(tree: Predicate, criterion: Criterion) -> tuple[str, str, str] | None:
    """An exclusion that opens with 'No' and was read as a negation is written as a
    requirement: it means to exclude those with what it names, and taken as written it
    excludes those without. The text does not settle which, so the verdict is left unknown."""
    if criterion.section != "exclusion":
        return None
    said = _REQUIREMENT_VOICE.search(criterion.text)
    if said is not None:
        # 'Patients with significant cardiac or pulmonary disease, or active CNS disease or
        # infection. Patients should have a LVEF >= 50%.' (NCT05605509): the sentence says what
        # the trial asks; read as one more reason to exclude, an LVEF of 64 % excluded
        return "the sense of a sentence written as a requirement in an exclusion", said.group(0).strip(" .;:)")[:80], "exclude the patients it means to keep"
    if not _NO_FIRST.match(criterion.text):
        return None
    items = tree.items if isinstance(tree, (AllOf, Each)) else (tree,)
    if not any(isinstance(i, Not) for i in items):
        return None
    return "the sense of an exclusion written as a requirement", criterion.text.strip()[:80], "exclude the patients it means to keep"


def _unknown_because(outcome: Outcome, reason: str) -> Outcome:
    """A cap: the outcome made unknown, the reason first among its own."""
    return outcome.model_copy(update={"truth": Truth.UNKNOWN, "reasons": (reason, *outcome.reasons)})


def _result_unknown_because(result: CriterionResult, reason: str) -> CriterionResult:
    """A cap that depends on the trial, on a criterion's result: unknown, the reason first."""
    return result.model_copy(update={"status": "unknown", "reasons": (reason, *result.reasons)})


def _reversal_not_understood(outcome: Outcome, reversal: tuple[str, str, str] | None) -> Outcome:
    """A negation or a permission among the words not understood ('Pregnant and lactating
    women are excluded from the study', listed as an inclusion; '... are permitted') may
    reverse the whole criterion or turn a requirement into an allowance, and where it was
    left in the tree says nothing of its scope: the verdict stays unknown. Curated canonical
    forms place their unparsed pieces on purpose and are not capped."""
    if outcome.truth is Truth.UNKNOWN or reversal is None:
        return outcome
    what, piece, effect = reversal
    reason = f'{what} was not understood ("{piece}"): it could {effect}, which would otherwise be {outcome.truth.value}'
    return _unknown_because(outcome, reason)


def _healthy_volunteers(criterion: Criterion) -> CriterionResult:
    """The record's healthyVolunteers field, an inclusion criterion as CONTRACT.md asks. It
    restricts no patient by itself: whether the trial takes healthy volunteers or not, the
    patient's disease is what its other criteria ask about."""
    accepts = criterion.text.endswith("Yes")
    reason = (
        "the trial accepts healthy volunteers as well as patients"
        if accepts
        else "the trial does not take healthy volunteers; which patients it takes, its other criteria say"
    )
    return CriterionResult(section=criterion.section, text=criterion.text, status="pass", reasons=(reason,), canonical=criterion.text)


# Words for the patients a criterion speaks of.
_WHO = r"(?:patients?|participants?|subjects?|individuals?|persons?|people|those|women|men|children)"
# 'Patients with HIV must have CD4 count >= 200/uL': a requirement of those with X only.
_SUBJECT_WITH = re.compile(
    rf"^\W*(?:(?:all|any)\s+)?(?:{_WHO}|females?|males?)"
    r"\s+(?:with|who\s+(?:have|has|had|are|is|were)|having)\b.*?(?:\b(?:must|should|shall|needs?\s+to|ha(?:ve|s)\s+to|(?:is|are)\s+required)\b|:\s*\S)",
    re.IGNORECASE | re.DOTALL,
)


# 'Previous anti-HER2 therapy and TKI therapy were required for HER2+ patients'
_SUBJECT_FOR = re.compile(
    r"\b(?:required|mandatory|needed|necessary)\s+(?:for|in)\s+(?:\S+\s+){0,3}?(?:patients?|participants?|subjects?|women|men|those)\b",
    re.IGNORECASE,
)
_MODAL = re.compile(r"\b(?:must|should|shall|needs?\s+to|ha(?:ve|s)\s+to|(?:is|are|were)\s+required)\b", re.IGNORECASE)
_EVENT_NODES = (Condition, Medication, Procedure)
# 'patients with Psoriasis and Patients with A topic dermatitis': two groups, either of which
# the trial takes (or excludes), not one group with both
_GROUPS = re.compile(rf"\b{_WHO}\s+(?:with|who)\b.*?\band\s+(?:all\s+|any\s+)?{_WHO}\s+(?:with|who)\b", re.IGNORECASE | re.DOTALL)


def _subject_as_requirement(tree: Predicate, criterion: Criterion) -> str | None:
    """Why an inclusion's reading may have taken whom it speaks of for what it requires:
    'Patients with HIV must have CD4 >= 200' holds for a patient without HIV, and 'Male
    individuals and female individuals of childbearing potential ... must agree to use
    contraception' asks nothing of sex. None when the reading shows a condition, or the
    criterion has neither shape."""
    if _GROUPS.search(criterion.text) and any(isinstance(n, (AllOf, Each)) for n in walk(tree)):
        return "it names groups of patients ('patients with X and patients with Y'), which may be alternatives"
    if criterion.section != "inclusion":
        return None
    if isinstance(tree, Excludes):
        return None  # 'Subjects with CNS metastasis should be excluded': whom it names is whom it keeps out, as read
    nodes = list(walk(tree))
    if any(isinstance(n, Conditional) for n in nodes):
        return None
    if _SUBJECT_WITH.search(criterion.text) or _SUBJECT_FOR.search(criterion.text):
        return "it speaks of some patients only ('patients with … must …'), which the reading does not show"
    modal = _MODAL.search(criterion.text)
    if modal is not None and any(isinstance(n, _EVENT_NODES) and n.span.end <= modal.start() for n in nodes):
        return "what comes before its 'must' may say whom it is for ('Breast cancer … must have failed …')"
    if modal is not None and _sex_as_subject(nodes, modal.start()):
        return "it asks something of one sex only ('Female patients must be postmenopausal'), which the reading does not show"
    if _sex_besides_both(nodes):
        return "it takes both sexes, so the sex it also names may say whom a part is for ('Women and Men (Women premenopausal)')"
    if any(isinstance(n, Judgment) and n.category == "contraception" for n in nodes):
        return "it is a contraception requirement: the sexes and methods it names say whom it is for and what counts, not whom the trial takes"
    return None


def _sex_as_subject(nodes: list, modal: int) -> bool:
    """A sex named before the 'must' and a requirement after it: 'Female patients must be
    postmenopausal' asks nothing of men, in a trial that takes both."""
    before = any(isinstance(n, Sex) and n.span.end <= modal for n in nodes)
    after = any(not isinstance(n, (Sex, AllOf, AnyOf, Each)) and n.span.start >= modal for n in nodes)
    return before and after


def _sex_besides_both(nodes: list) -> bool:
    """'Women and Men (Women premenopausal)': a reading that takes either sex and also
    requires one."""
    sexes = [n for n in nodes if isinstance(n, Sex)]
    return any(len(set(n.sexes)) == 2 for n in sexes) and any(len(set(n.sexes)) == 1 for n in sexes)


def _subject_read_as_requirement(outcome: Outcome, why: str | None) -> Outcome:
    """Such a reading cannot rule out: a false one becomes unknown, with the reason."""
    if why is None or outcome.truth is not Truth.FALSE:
        return outcome
    reason = f"read as a requirement, but {why}: it would otherwise be false"
    return _unknown_because(outcome, reason)


@dataclass(frozen=True, slots=True)
class _Prepared:
    """What screening needs of a criterion that is the same for every patient, worked out
    once per trial: its own tree, the tree with the sub-items, canonical text, whether it
    has a time window, and what caps its verdict (a negation or permission not understood,
    a subject read as a requirement)."""

    criterion: Criterion
    own: Predicate | None  # None: the healthy-volunteers line, which is not parsed
    tree: Predicate | None
    canonical: str
    windowed: bool
    reversal: tuple[str, str, str] | None
    subject: str | None
    cut: str | None  # how the text ends when it is cut off ('...', 'or'): what is missing could change the verdict
    children: tuple[_Prepared, ...]
    defined: tuple[Span, ...] = ()  # 'Anemia (hemoglobin < 10 g/dL)': a diagnosis and, in brackets, its definition
    list_kind: str | None = None  # what a heading makes of the items after it (`_flat_list_kind`)
    leaves: tuple[tuple[tuple[str, bool], Predicate], ...] | None = None  # the tree's record leaves (`record_leaves`): what its verdict depends on
    alone: str | None = None  # the condition an inclusion names alone, nothing more (`_named_alone`)
    defines: bool = False  # a line whose words the items after it define, without sub-items (`_DEFINED_LIST`)
    timed: str | None = None  # what of its verdict a time window could change (`_timed`)
    sexes: frozenset[str] = frozenset()  # the sexes an inclusion names, sub-items with it (`_sexes_named`)
    # a lead-in that asks for its items' absence (`_ABSENCE_HEADING`, `_children`): asked of
    # the text once here, and only of a line with items; searched at every judgment it was
    # about a tenth of a warm screening of the corpus (speed13)
    absent_items: bool = False
    topic: bool = False  # a topic heading over its sub-items ('Hepatic:', `_topic_heading`)


# 'Female subject or male partner sterilization or', 'HER2 to CEP17 < 2.0 ...; or', 'Persons
# with': an item that ends in a word that needs more after it is a fragment, or one
# alternative of a list the split into items tore apart.
_DANGLING = re.compile(
    r"(?:\.\.\.|…|\b(?:or|and|and/or|nor|but|with|without|of|the|an|by|to|for|than|who|which|that|either|other|such as|e\.g|i\.e|including|excluding))[\s,;.]*$",
    re.IGNORECASE,
)


def _cut_off(criterion: Criterion) -> str | None:
    """How the criterion's text ends when it is cut off and nothing under it goes on."""
    if criterion.children:
        return None
    found = _DANGLING.search(criterion.text)
    return found.group(0).strip(" ,;") if found else None


def _prepare(criterion: Criterion, label: Predicate | None = None) -> _Prepared:
    own = None if criterion.origin == "structured" else _under_label(criterion_predicate(criterion), criterion, label)
    children = tuple(_prepare(c, own) for c in criterion.children)
    if criterion.origin == "structured" and criterion.text.startswith(HEALTHY_VOLUNTEERS):
        return _Prepared(criterion, None, None, criterion.text, False, None, None, None, children, list_kind=_flat_list_kind(criterion))
    if own is None:
        own = criterion_predicate(criterion)
    tree = _with_children(own, criterion)
    curated = criterion.canonical is not None
    reversal = None if curated else _reversal_piece(own, criterion.text) or _inclusion_voice(own, criterion)
    subject = None if curated else _subject_as_requirement(own, criterion)
    cut = None if curated else _cut_off(criterion)
    defined = () if curated else _defined_in_brackets(own, criterion.text)
    windowed = has_windowed_event(tree)
    return _Prepared(
        criterion, own, tree, render(own), windowed, reversal, subject, cut, children, defined, _flat_list_kind(criterion),
        record_leaves(tree, windowed=windowed, polarity=_polarity(criterion)), _named_alone(criterion, own),
        defines=not curated and not criterion.children and _DEFINED_LIST.search(criterion.text) is not None,
        timed=_timed(own),
        sexes=_sexes_named(own, criterion).union(*(c.sexes for c in children)),
        absent_items=bool(children) and _ABSENCE_HEADING.search(criterion.text) is not None,
        topic=not curated and _topic_heading(own, criterion),
    )


def _polarity(criterion: Criterion) -> int:
    """The side a criterion's tree is judged from: +1 for an inclusion, -1 for an exclusion."""
    return 1 if criterion.section == "inclusion" else -1


def _topic_heading(own: Predicate, criterion: Criterion) -> bool:
    """'Hepatic:', 'Performance status:' over sub-items (engine.parse reads the topic as
    'each of the following:'), not a line that says 'each of the following' itself."""
    return bool(criterion.children) and isinstance(own, Following) and own.quantifier == "each" and "following" not in criterion.text.lower()


def _timed(tree: Predicate) -> str | None:
    """What a time window the line does not state could change of its verdict: None when its
    events and measurements have windows of their own, or it has none; 'events' when it asks
    only about events (a window makes them rarer: it can turn a true event false, not a false
    one true); else 'any'."""
    nodes = list(walk(tree))
    doses = {id(n.dose) for n in nodes if isinstance(n, Medication) and n.dose is not None}
    events = [n for n in nodes if isinstance(n, (Condition, Medication, Procedure)) and n.window is None]
    measures = [n for n in nodes if isinstance(n, (Comparison, Range)) and id(n) not in doses and n.measure != "age" and getattr(n, "window", None) is None]
    if not events and not measures:
        return None
    if measures or any(isinstance(n, (Not, Exception_, Conditional, Excludes)) for n in nodes):
        return "any"
    return "events"


def _timed_of(criterion: Criterion) -> str | None:
    if criterion.origin == "structured":
        return None
    return _timed(criterion_predicate(criterion))


def _named_alone(criterion: Criterion, own: Predicate) -> str | None:
    """The condition an inclusion line names and nothing else ('Melanoma', 'Non-small cell
    lung cancer (NSCLC)', 'Histologically confirmed breast cancer'), without sub-items."""
    if criterion.section != "inclusion" or criterion.children:
        return None
    if isinstance(own, Qualified) and all(isinstance(q, Modifier) for q in own.qualifiers):
        own = own.item
    if isinstance(own, Exception_) and own.mode == "except":
        # 'Transitional cell carcinoma other than that of the renal pelvis, ureter, or bladder'
        # (NCT04449549): one tumour of a list, with a part of it set aside
        return _named_alone(criterion, own.main)
    if isinstance(own, (AllOf, AnyOf)) and own.items:
        # 'Gastric cancer and GEJ carcinoma' (NCT04665921): one line for a cohort of two
        # kinds, named by the first
        names = [_named_alone(criterion, item) for item in own.items if not isinstance(item, Unparsed)]
        return names[0] if names and all(names) else None  # ('GEJ carcinoma' not understood beside it)
    if not isinstance(own, Condition) or own.window is not None:
        return None
    concept = load_vocabulary().get("condition", own.concept)
    # a status ('HER2 positive', 'metastatic disease') says more of the disease, no alternative to it
    return own.concept if concept is not None and not concept.open_world else None


@lru_cache(maxsize=4096)
def _some_apart(names: tuple[str, ...]) -> bool:
    """Whether two of the conditions are neither the same nor one a kind of the other: the
    same for every patient a trial is screened for, so worked out once per list."""
    vocab = load_vocabulary()
    concepts = [c for c in (vocab.get("condition", n) for n in dict.fromkeys(names)) if c is not None]
    return any(
        not vocab.strictly_under(a, b) and not vocab.strictly_under(b, a)
        for k, a in enumerate(concepts)
        for b in concepts[k + 1 :]
    )


def _cap_named_alone(prepared: list[_Prepared], results: list[CriterionResult]) -> list[CriterionResult]:
    """'Non-small cell lung cancer (NSCLC)', 'Merkel cell carcinoma', 'Melanoma', each an
    inclusion line of its own (NCT05076760: the headings of each tumour type's criteria,
    which the record does not nest), may be alternatives as much as requirements. Where
    the patient has none of them, both readings fail; where some but not all, a line the
    patient lacks cannot rule out by itself."""
    alone = [(i, p.alone) for i, p in enumerate(prepared) if p.alone is not None]
    if len({concept for _, concept in alone}) < 2 or all(results[i].status == "fail" for i, _ in alone):
        return results
    if not _some_apart(tuple(concept for _, concept in alone)):
        return results  # 'Breast cancer', 'Invasive ductal carcinoma': one the kind of the other, both asked
    names = ", ".join(f'"{prepared[i].criterion.text.strip()[:40]}"' for i, _ in alone[:4]) + (", ..." if len(alone) > 4 else "")
    reason = f"one of several conditions named alone on lines of their own ({names}): they may be alternatives or the headings of cohorts, so one the patient lacks cannot rule out by itself"
    return _cap_alternatives(tuple(i for i, _ in alone), results, reason)


# 'Thrombocytopenia (<100,000 platelets/microL)', 'Anemia (hemoglobin < 10 g/dL)': the bound
# in brackets says what the diagnosis means. A record may show the diagnosis without the
# value or the value without the diagnosis, and which of them the trial goes by is not said.
# '(' and 'defined as' of 'Anemia (hemoglobin < 10 g/dL)'; ':' and 'defined as' of 'Renal
# impairment: eGFR < 60', 'renal insufficiency defined as eGFR < 50'
_OPEN_DEFINITION = re.compile(
    r"\s*[(\[]\s*(?:defined\s+as\s*|i\.\s?e\.?,?\s*)?|\s*:\s*|\s*,?\s*(?:(?:is|are|as)\s+)?defined\s+(?:as|by)\s*(?:an?\s+)?", re.IGNORECASE
)
_BOUNDS = (Comparison, Range)
_DEFINED_AS = re.compile(r"defined\s+(?:as|by)\b", re.IGNORECASE)


def _defined_in_brackets(tree: Predicate, text: str) -> tuple[Span, ...]:
    """The spans of the 'diagnosis and its bound' pairs of a tree: an AllOf of a condition
    and bounds, the bounds in brackets right after the condition ('liver failure (AST and
    ALT > 250 U/L)': the bounds of a definition may be several)."""
    found = []
    for node in walk(tree):
        if not isinstance(node, AllOf) or len(node.items) < 2:
            continue
        conditions = [i for i in node.items if isinstance(i, Condition)]
        bounds = [i for i in node.items if _bound_like(i)]
        # (words not understood among the bounds: 'bilirubin > 2.0 mg/dL and/or > 2 fold
        # increase of transaminases')
        if len(conditions) != 1 or not bounds or len(bounds) + sum(isinstance(i, Unparsed) for i in node.items) != len(node.items) - 1:
            continue
        condition = conditions[0]
        start = min(n.span.start for bound in bounds for n in walk(bound) if isinstance(n, _BOUNDS))
        # where the bracket opens: the first bound's own span, which takes in words not
        # understood before its first bound ('coagulopathy (PT, INR > 1.5; PTT > 1.5)',
        # 'Renal insufficiency (BUN > 30 mg/dlan/or serum creatinine > 1.9 mg/dl)', NCT01204801)
        opens = min(bound.span.start for bound in bounds)
        if condition.span.end <= start and (
            _OPEN_DEFINITION.fullmatch(text, condition.span.end, start)
            or (condition.span.end <= opens < start and _OPEN_DEFINITION.fullmatch(text, condition.span.end, opens))
            # 'Impaired renal function, defined as eGFR < 30': the words in the bound's own span
            or (text[condition.span.end : start].strip() == "," and _DEFINED_AS.match(text, start))
        ):
            found.append(node.span)
    return tuple(found)


def _bound_like(node: Predicate) -> bool:
    leaves = [n for n in walk(node) if not isinstance(n, (AllOf, AnyOf, Each, Qualified, Unparsed, Modifier))]
    return bool(leaves) and all(isinstance(n, _BOUNDS) and getattr(n, "measure", "") != "age" for n in leaves)


def _defined_not_both(outcome: Outcome, spans: tuple[Span, ...]) -> bool:
    """A diagnosis and its bracketed definition read together are false, but the definition
    is met (or not known) and only the diagnosis is not on record: the definition may be
    what the trial goes by. (A definition not met decides: that is what the words mean.)"""
    stack = [outcome]
    while stack:
        o = stack.pop()
        if o.kind == "all_of" and o.span in spans and o.truth is Truth.FALSE and any(c.kind != "condition" and c.truth is not Truth.FALSE for c in o.children):
            return True
        stack.extend(o.children)
    return False


def _prepared(trial: Trial) -> tuple[_Prepared, ...]:
    """The prepared criteria of a trial, remembered by the trial object's identity (the
    entry holds the trial, so its id is not reused while remembered)."""
    return _trial_entry(trial)[1]


def _trial_entry(trial: Trial) -> tuple[Trial, tuple[_Prepared, ...], tuple[tuple[tuple[int, ...], str], ...]]:
    """The trial, its prepared criteria and the groups of its lines that are alternatives
    (`_alternative_lines`), worked out once per trial, not per patient."""
    hit = _PREPARED.get(id(trial))
    if hit is not None and hit[0] is trial:
        return hit
    if len(_PREPARED) >= _PREPARED_MAX:
        _PREPARED.clear()
        _SAME.clear()
    prepared = tuple(_same(c) for c in trial.criteria)
    entry = _PREPARED[id(trial)] = (trial, prepared, _alternative_lines(prepared))
    return entry


def _same(criterion: Criterion) -> _Prepared:
    """One prepared criterion for all equal criteria (same section, text, sub-items, curated
    form, origin and note: one in eleven of the corpus, 'Pregnancy' in 42 trials), so that
    screening one patient judges it once (`screen_trial`'s memo)."""
    prepared = _SAME.get(criterion)
    if prepared is None:
        prepared = _SAME[criterion] = _prepare(criterion)
    return prepared


_PREPARED: dict[int, tuple[Trial, tuple[_Prepared, ...], tuple[tuple[tuple[int, ...], str], ...]]] = {}
_PREPARED_MAX = 20_000
_SAME: dict[Criterion, _Prepared] = {}


def prepare_trials(trials: list[Trial], *, progress: bool = False, workers: int | None = None) -> None:
    """Parse (or read from the on-disk cache, in one go) every criterion of the trials not
    yet prepared, so that screening them parses nothing. What the cache lacks is parsed in
    `workers` processes (default: one per core when there is much to parse), with a
    progress bar when `progress`."""
    from engine.cache import parse_many

    new = [t for t in trials if _PREPARED.get(id(t), (None,))[0] is not t]
    texts = [c.canonical or c.text for t in new for c in _all_criteria(t.criteria)]
    _PRIMED.update(parse_many(texts, workers=workers, progress=progress))
    try:
        for trial in new:
            _prepared(trial)
    finally:
        _PRIMED.clear()


def _all_criteria(criteria: tuple[Criterion, ...]):
    for c in criteria:
        yield c
        yield from _all_criteria(c.children)


def _judge(prepared: _Prepared, patient: Patient, *, as_of: date, open_world: bool) -> Outcome:
    """The Outcome tree of a prepared criterion for one patient, capped where its reading
    cannot be trusted: each cap puts its reason first among the root's reasons."""
    return _capped(prepared, _raw(prepared, patient, as_of=as_of, open_world=open_world))


def _raw(prepared: _Prepared, patient: Patient, *, as_of: date, open_world: bool) -> Outcome:
    """The Outcome tree of a prepared criterion for one patient, before the caps."""
    assert prepared.tree is not None
    polarity = _polarity(prepared.criterion)
    return evaluate(prepared.tree, patient, as_of=as_of, open_world=open_world, polarity=polarity, windowed=prepared.windowed)


def _caps_of(raw: Outcome, capped: Outcome) -> tuple[str, ...]:
    """The reasons the caps put before the root's own: the cap that decided comes first in
    the criterion's reasons, before the parts of the tree that would have decided without it."""
    return capped.reasons[: len(capped.reasons) - len(raw.reasons)]


def _capped(prepared: _Prepared, outcome: Outcome) -> Outcome:
    outcome = _reversal_not_understood(outcome, prepared.reversal)
    outcome = _subject_read_as_requirement(outcome, prepared.subject)
    if prepared.defined and outcome.truth is not Truth.UNKNOWN and _defined_not_both(outcome, prepared.defined):
        reason = (
            "a diagnosis with its definition in brackets or after it ('Anemia (hemoglobin < 10 g/dL)', 'Renal impairment: eGFR < 60'): the definition is met or "
            f"not known, only the diagnosis is not on record; it would otherwise be {outcome.truth.value}"
        )
        outcome = _unknown_because(outcome, reason)
    if prepared.defines and outcome.truth is not Truth.UNKNOWN:
        reason = (
            "its words are defined by the items after it ('including any of the following:', 'defined as:'), which decide, "
            f"not the words alone; it would otherwise be {outcome.truth.value}"
        )
        outcome = _unknown_because(outcome, reason)
    if prepared.topic and outcome.truth is (Truth.FALSE if prepared.criterion.section == "inclusion" else Truth.TRUE):
        # NCT02562118: under 'Renal:' the record nests 'Creatinine <= 1.5x ULN' and then the
        # two ways to be post-menopausal ('Age >= 60 years and ...', 'Age < 60 years and
        # ...'), lines of another list; read as its items, every woman failed one of them
        reason = (
            "an item under a topic heading, which the record may have nested lines of another list under: "
            "the items can pass it, but no item rules the patient out through it; it would otherwise be fail"
        )
        outcome = _unknown_because(outcome, reason)
    if prepared.cut and outcome.truth is not Truth.UNKNOWN:
        reason = f"the text is cut off ('{prepared.cut}'): what follows could change the verdict, which would otherwise be {outcome.truth.value}"
        outcome = _unknown_because(outcome, reason)
    return outcome


def criterion_outcome(criterion: Criterion, patient: Patient, *, as_of: date, open_world: bool) -> tuple[Predicate, Predicate, Outcome]:
    """A criterion's own tree, the tree it is judged by (its sub-items joined in) and the
    Outcome tree of that: what `elig explain` shows node by node."""
    prepared = _prepare(criterion)
    assert prepared.own is not None and prepared.tree is not None
    return prepared.own, prepared.tree, _judge(prepared, patient, as_of=as_of, open_world=open_world)


def _criterion(prepared: _Prepared, patient: Patient, *, as_of: date, open_world: bool) -> CriterionResult:
    if prepared.tree is None:
        return _healthy_volunteers(prepared.criterion)
    key = _alike_key(prepared, patient, as_of, open_world)
    if key is None:
        return _criterion_now(prepared, patient, as_of=as_of, open_world=open_world)
    hit = _ALIKE.get(key)
    if hit is not None and hit[0] is prepared:  # the entry holds it: its id is not reused
        return hit[1]
    result = _criterion_by_shape(prepared, patient, as_of=as_of, open_world=open_world)
    if len(_ALIKE) >= _ALIKE_MAX:
        _ALIKE.clear()
    _ALIKE[key] = (prepared, result)
    return result


def _alike_key(prepared: _Prepared, patient: Patient, as_of: date, open_world: bool) -> tuple | None:
    """What a prepared criterion's result depends on for one patient: what each of its
    record leaves says (truth, reasons, missing data), and the same of its sub-items (each
    judged with its own window flag); None when the tree reads records elsewhere (a
    condition judged by its onset alone, 'diagnosed within', `record_leaves`; an 'except'
    that sets records aside is a leaf of its own). Patients whose leaves say the same
    get the same result: as_of and open_world reach a result only through its leaves."""
    if prepared.leaves is None:
        return None
    verdicts = leaf_signature(prepared.leaves, patient, as_of=as_of, open_world=open_world)
    children = []
    for child in prepared.children:
        if child.tree is None:
            children.append(None)
            continue
        key = _alike_key(child, patient, as_of, open_world)
        if key is None:
            return None
        children.append(key)
    return (id(prepared), verdicts, tuple(children))


# A prepared criterion and what its record leaves say -> its result: the same for every
# patient of whom the leaves say the same (most criteria ask about conditions a patient
# does not have). Holds each prepared criterion, so its id is not reused while remembered.
_ALIKE: dict[tuple, tuple[_Prepared, CriterionResult]] = {}
_ALIKE_MAX = 200_000


def _criterion_now(prepared: _Prepared, patient: Patient, *, as_of: date, open_world: bool) -> CriterionResult:
    assert prepared.tree is not None
    verdict = _verdict(prepared, _raw(prepared, patient, as_of=as_of, open_world=open_world))
    return _result(prepared, *verdict, _children(prepared, patient, as_of, open_world))


def _verdict(prepared: _Prepared, raw: Outcome) -> tuple[Status, tuple[str, ...], tuple[str, ...]]:
    """A criterion's status, reasons and missing data from its Outcome tree before the caps."""
    outcome = _capped(prepared, raw)
    reasons = dict.fromkeys(_caps_of(raw, outcome))  # the caps first
    missing: dict[str, None] = {}
    _flatten_deciding(outcome, reasons, missing)
    return _status(outcome.truth, prepared.criterion.section), tuple(reasons), tuple(missing)


def _children(prepared: _Prepared, patient: Patient, as_of: date, open_world: bool) -> tuple[CriterionResult, ...]:
    """The sub-items' results, each judged by its own text. Under a lead-in that asks for
    their absence ('should report the absence of:' / 'anemia,', NCT03923608) an item's own
    verdict says the opposite of the line: anaemia on record passed 'anemia,' (the sixteenth
    audit, W4); neither its pass nor its fail holds (the parent reads them negated)."""
    if not prepared.children:
        return ()
    children = tuple(_criterion(c, patient, as_of=as_of, open_world=open_world) for c in prepared.children)
    if not prepared.absent_items:
        return children
    reason = f'an item of the list under "{prepared.criterion.text.strip()[:80]}", {_ABSENT_ITEM}'
    return tuple(_result_unknown_because(c, reason) if c.status != "unknown" else c for c in children)


def _result(
    prepared: _Prepared, status: Status, reasons: tuple[str, ...], missing: tuple[str, ...], children: tuple[CriterionResult, ...]
) -> CriterionResult:
    """A criterion's result, built without validation: every part is already of its field's
    type (the criterion's own section, text and canonical text, tuples of strings and of
    results), and validating 11 k of them was 3 % of a warm screening of the corpus
    (speed7). It equals `CriterionResult(...)` with the same fields, fields set included
    (tests/test_speed7_outcomes.py)."""
    criterion = prepared.criterion
    return unvalidated(CriterionResult, {
        "section": criterion.section,
        "text": criterion.text,
        "status": status,
        "reasons": reasons,
        "missing": missing,
        "children": children,
        "canonical": prepared.canonical,
        "curated": criterion.canonical is not None,
    }, _RESULT_FIELDS)


_RESULT_FIELDS = frozenset(CriterionResult.model_fields)


def _criterion_by_shape(prepared: _Prepared, patient: Patient, *, as_of: date, open_world: bool) -> CriterionResult:
    """`_criterion_now`, from the verdict remembered for the shape of what its record leaves
    say (truth and missing data, `_shape_number`), with this patient's reasons put in.

    A criterion with a measure says something new of nearly every patient (its reason
    carries the patient's value and date), so `_ALIKE` misses it; but its status, missing
    data and every reason that is not a leaf's own follow from the leaves' truths and
    missing data alone: the connectives and caps read nothing else (`evaluate_as_said`).
    The verdict is worked out once per shape with a stand-in reason per leaf (`_leaf_token`),
    and each stand-in is replaced by the leaf's reasons here, repeats dropped as
    `_flatten_deciding` drops them (a repeat's first occurrence came before it, so dropping it
    before or after the replacement gives the same list)."""
    assert prepared.leaves is not None
    entries = leaf_verdicts(prepared.leaves, patient, as_of=as_of, open_world=open_world)
    shapes = tuple(e[2] for e in entries)
    key = (id(prepared), shapes)
    hit = _SHAPED.get(key)
    if hit is not None and hit[0] is prepared:  # the entry holds it: its id is not reused
        shaped = hit[1]
    else:
        # made at the first sighting, in place of judging in full: the template costs about
        # what a full judgment does (the same tree walked, with stand-in leaves), so a first
        # screening pays no more, and the next patient whose leaves have this shape (the
        # second of a warm screening: 3 k criteria of the corpus) finds it made (speed15b)
        shaped = None if None in shapes else _shaped_verdict(prepared, entries, as_of, open_world)
        if len(_SHAPED) >= _ALIKE_MAX:
            _SHAPED.clear()
        _SHAPED[key] = (prepared, shaped)
    if shaped is None:
        return _criterion_now(prepared, patient, as_of=as_of, open_world=open_world)
    status, template, missing = shaped
    reasons: list[str] = []
    for part in template:
        if type(part) is int:
            reasons += entries[part][0].reasons
        else:
            reasons.append(part)
    return _result(prepared, status, tuple(dict.fromkeys(reasons)), missing, _children(prepared, patient, as_of, open_world))


def _shaped_verdict(
    prepared: _Prepared, entries: list, as_of: date, open_world: bool
) -> tuple[Status, tuple[str | int, ...], tuple[str, ...]] | None:
    """A criterion's verdict with each leaf's reasons standing as the leaf's number among
    `prepared.leaves` (the first of equal leaves): status, reasons (strings and numbers),
    missing data. None when the tree cannot be judged so (`evaluate_as_said`), or a reason
    holds a stand-in other than whole."""
    assert prepared.tree is not None and prepared.leaves is not None
    said: dict[tuple[str, bool], Outcome] = {}
    for i, ((key, _node), entry) in enumerate(zip(prepared.leaves, entries)):
        if key not in said:
            said[key] = _stand_in(entry, i)
    compiled = _compiled(prepared)
    if compiled is not None:
        raw = judged_as_said(compiled, said)
    else:
        polarity = _polarity(prepared.criterion)
        raw = evaluate_as_said(
            prepared.tree, said, as_of=as_of, open_world=open_world, polarity=polarity, windowed=prepared.windowed, leaves_known=True
        )
    if raw is None:
        return None
    status, reasons, missing = _verdict(prepared, raw)
    template: list[str | int] = []
    for reason in reasons:
        i = _TOKEN_LEAF.get(reason)  # (only this tree's stand-ins are in its reasons)
        if i is not None:
            template.append(i)
        elif _TOKEN_MARK in reason:  # a stand-in quoted inside another reason: not this way
            return None
        else:
            template.append(reason)
    return status, tuple(template), missing


def _compiled(prepared: _Prepared) -> Compiled | None:
    """The prepared criterion's tree compiled (`engine.compiled`), once, at its second
    template: a template walked the tree node by node before, about 30 us of its 40, for
    each of the 8.5 k criteria whose leaves had a shape new to them in a warm screening of
    the corpus. Not at the first: compiling costs about one walk, and a process that
    screens one patient makes one template per criterion (compiled at the first, its first
    screening of the corpus took a third longer). None where it is not compiled (yet): the
    plain evaluator judges it then."""
    hit = _COMPILED.get(id(prepared))
    if hit is None or hit[0] is not prepared:  # (the entry holds it: its id is not reused)
        compiled = _ONE_TEMPLATE
    elif hit[1] is _ONE_TEMPLATE:
        assert prepared.tree is not None
        polarity = _polarity(prepared.criterion)
        compiled = compile_tree(prepared.tree, polarity=polarity, windowed=prepared.windowed)
    else:
        return hit[1]
    if len(_COMPILED) >= _ALIKE_MAX:
        _COMPILED.clear()
    _COMPILED[id(prepared)] = (prepared, compiled)
    return None if compiled is _ONE_TEMPLATE else compiled


_ONE_TEMPLATE = object()  # a criterion with one template made: not compiled yet


def forget_shapes() -> None:
    """Forget every result remembered by what a criterion's leaves say (`_ALIKE`), by their
    shape (`_SHAPED`), and what the compiled trees' connectives were answered: what
    `scripts/bench_screen.py` does before timing a patient (their compiled closures are
    kept, as a process that screens many patients keeps them)."""
    _ALIKE.clear()
    _SHAPED.clear()
    for _prepared_criterion, compiled in _COMPILED.values():
        if compiled is not None and compiled is not _ONE_TEMPLATE:
            forget_answers(compiled)


_COMPILED: dict[int, tuple[_Prepared, Any]] = {}  # (prepared criterion, its compiled tree, None or _ONE_TEMPLATE)


_TOKEN_MARK = "\x00"


def _leaf_token(i: int) -> str:
    """The stand-in reason of leaf `i`: no reason of a record or criterion holds a NUL."""
    return f"{_TOKEN_MARK}leaf {i}{_TOKEN_MARK}"


def _stand_in(entry: tuple[Outcome, int, int], i: int) -> Outcome:
    """Leaf `i`'s Outcome with its stand-in reason, `entry` being what the leaf says
    (`leaf_verdicts`): one for every leaf of a shape at place `i`, made once. A stand-in
    gives the connectives what they read of a leaf, its kind, truth, missing data and
    children (none: a leaf with a shape has none), all that its shape number stands for; its
    span, from the first leaf met, no verdict reads. Made per template they were a tenth of
    its cost, now that templates are made at a shape's first sighting (speed15b)."""
    key = (entry[2], i)
    found = _STAND_INS.get(key)
    if found is None:
        if len(_STAND_INS) >= _ALIKE_MAX:
            _STAND_INS.clear()
        token = _leaf_token(i)
        _TOKEN_LEAF[token] = i
        found = _STAND_INS[key] = _with_reasons(entry[0], (token,))
    return found


_STAND_INS: dict[tuple[int, int], Outcome] = {}
_TOKEN_LEAF: dict[str, int] = {}  # a stand-in reason -> its leaf's place (`_leaf_token`)


# (prepared criterion, the shapes of its leaves) -> its verdict with stand-ins for the
# leaves' reasons (`_criterion_by_shape`), or None where it cannot be made so
_SHAPED: dict[tuple, tuple[_Prepared, object]] = {}


def _judged(prepared: _Prepared, patient: Patient, as_of: date, open_world: bool, judged: dict | None) -> CriterionResult:
    if judged is None:
        return _criterion(prepared, patient, as_of=as_of, open_world=open_world)
    hit = judged.get(id(prepared))
    if hit is not None and hit[0] is prepared:  # the entry holds it: its id is not reused
        return hit[1]
    result = _criterion(prepared, patient, as_of=as_of, open_world=open_world)
    judged[id(prepared)] = (prepared, result)
    return result


# A heading that introduces a list in which one item (or a few) is enough: 'One of the
# following tumor types:', 'at least two of the following', 'either'. Under an exclusion,
# 'all of the following' / 'both' asks for several items together.
_ANY_LIST = re.compile(
    r"\b(?:(?:at least|any|only|exactly)\s+)?(?:one|two|three|\d+)\s+(?:or more\s+)?of\b|\bany of\b|\beither\b|\bat least one\b",
    re.IGNORECASE,
)
_ALL_LIST = re.compile(r"\b(?:all|both|two|three|\d+)\s+(?:or more\s+)?of\b|\bboth\b", re.IGNORECASE)
_LIST_HEADING = re.compile(r"(?::|\bfollowing\W*|\bas follows\W*)$", re.IGNORECASE)
_FOLLOWING_INSIDE = re.compile(r"\bthe following\b", re.IGNORECASE)
# 'Postmenopausal ... is defined as:', 'Women are considered non-childbearing if they:',
# 'Regardless of prior HRT or hysterectomy:': the items are ways to meet one definition
_DEFINITION_HEADING = re.compile(r"\b(?:(?:is|are)\s+defined|definitions?|considered|regardless)\b", re.IGNORECASE)


# 'Part A Arm 1 Monotherapy Dose Escalation:', 'Cohort 2:', '3. For the patients with breast
# cancer:' (NCT04946864): the items are for one group
_COHORT_HEADING = re.compile(
    r"^\W*(?:part|cohort|arm|phase|group|stratum|dose[- ](?:escalation|expansion))\b|\b(?:including|such as|e\.g\.?)\W*:?$"
    r"|^\W*(?:(?:\d{1,2}|[ivx]{1,4}|[a-z])[.)]\s*)?for\s+(?:the\s+|all\s+)?(?:patients?|participants?|subjects?|women|men|females?|males?|those|cohorts?)\b",
    re.IGNORECASE,
)
# 'Patients with any cardiac history of the following ... are excluded from the study:'
# under inclusion: the items are exclusions, so neither their pass nor their fail holds
_EXCEPTED_HEADING = re.compile(
    r"\b(?:except(?:\s+for)?|other\s+than|excluding|apart\s+from|with\s+the\s+(?:following\s+)?exceptions?(?:\s+of)?|exceptions?(?:\s+are|\s+to\s+this\s+criterion)?)"
    r"(?:\s+(?:any\s+of\s+)?(?:the\s+)?(?:following|below)?(?:\s+[\w-]+){0,2})?\s*:\s*$",
    re.IGNORECASE,
)
_REVERSED_HEADING = re.compile(r"\b(?:exclud\w*|not (?:be )?eligible|ineligible|not allowed|not permitted)\b", re.IGNORECASE)
# a lead-in that asks for its items' absence: 'should report the absence of:' (NCT03923608),
# 'No CNS disease, including either of the following:' (NCT00066846), 'None of the
# following:', 'Patients must be free of the following:', 'Must not have any of the
# following:': an item holds where the patient has what the line asks him not to have
_ABSENCE_HEADING = re.compile(
    r"^\W*(?:no|none|without|never)\b[^.;]*$|\b(?:absence\s+of|free\s+(?:of|from)|none\s+of|without\s+any\s+of|(?:must|should|may|will|shall|do|does)\s+not\s+have)"
    r"(?:\s+[\w-]+){0,4}?(?:\s+(?:the\s+)?following)?\W*$",
    re.IGNORECASE,
)


# a line that says whom what it asks is for, and leaves them to the lines after it: '...
# tested in patients with:', '... for patients who have:'
_CONDITIONS_OF = re.compile(
    r"\b(?:in|for|among)\s+(?:patients?|participants?|subjects?|those|women|men|individuals?)\s+(?:with|who\s+(?:have|has|had|are|is))\s*[:：]?\s*$",
    re.IGNORECASE,
)
# a line that ends where its object should be: 'Persons with', 'Patients who have had'
_OBJECT_AFTER = re.compile(r"\b(?:with|who\s+(?:have|has|had)(?:\s+had)?|having|of|including|such\s+as)\s*$", re.IGNORECASE)


def _flat_list_kind(criterion: Criterion) -> str | None:
    """What a heading whose items the record gives as its siblings rather than its children
    (registry text often loses the indentation) makes of them: 'reversed' when they are of
    the other section, 'absent' when the heading asks for their absence ('No CNS disease,
    including either of the following:'), 'partial' when one item alone does not decide,
    else None."""
    text = criterion.text.strip()
    if criterion.children:
        return None
    if _CONDITIONS_OF.search(text):
        # 'Documented LVEF <= 45% tested in patients with:' then 'Age >= 60 years old'
        # (NCT05020119): the lines after it say whom it is for, and ask nothing alone
        return "conditions"
    if criterion.section == "inclusion" and _OBJECT_AFTER.search(text):
        # 'Persons with' / '- stroke' / '- multiple sclerosis': a sentence its items finish
        return "partial"
    if not _LIST_HEADING.search(text):
        # 'Part 2 Dose Expansion: the following tumor types are tentatively planned ...',
        # 'Must have one of the following cancers, for which the patient has ...'
        cue = _ANY_LIST if criterion.section == "inclusion" else _ALL_LIST
        if _FOLLOWING_INSIDE.search(text) and (_COHORT_HEADING.search(text) or cue.search(text)):
            return "partial"
        return None
    if criterion.section == "inclusion" and _REVERSED_HEADING.search(text):
        return "reversed"
    if criterion.section == "inclusion" and _ABSENCE_HEADING.search(text):
        # 'No CNS disease, including either of the following:' then 'Primary brain tumor' as a
        # line of its own (NCT00066846): a glioblastoma passed the item
        return "absent"
    if criterion.section == "exclusion" and _EXCEPTED_HEADING.search(text):
        # 'Prior malignancy except for any of the following:' then 'Carcinoma in situ or
        # non-melanoma skin cancer' as a line of its own (NCT01945775): the items may be
        # what the exclusion lets through, and read as exclusions a carcinoma in situ
        # excluded; where the list ends is not said, so no item after it rules out alone
        return "excepted"
    if _window_heading(criterion):
        # 'Any of the following within 6 months prior to enrollment:' then 'Myocardial
        # infarction' (NCT04762979): the window is the items', which the record does not nest
        return "windowed"
    cue = _ANY_LIST if criterion.section == "inclusion" else _ALL_LIST
    if criterion.section == "inclusion" and _DEFINITION_HEADING.search(text):
        return "partial"
    return "partial" if cue.search(text) or _COHORT_HEADING.search(text) else None


def _window_heading(criterion: Criterion) -> bool:
    """Whether the line's time window is its list's: it follows 'the following' ('Any of the
    following within 6 months prior to enrollment:', 'received any of the following agents
    within 7 days prior to registration:'), not what the line itself names ('Prior use of
    immunosuppressive medication within 28 days, with the exceptions for the following:')."""
    return _WINDOWED_LIST.search(criterion.text) is not None


_WINDOWED_LIST = re.compile(r"\bfollowing\b(?:\s+[\w/()-]+){0,3}?\s+" + _WINDOW_WORDS.pattern, re.IGNORECASE)


def _cap_flat_lists(
    criteria: tuple[Criterion, ...],
    results: list[CriterionResult],
    kinds: list[str | None] | None = None,
    timed: list[str | None] | None = None,
) -> list[CriterionResult]:
    """After a heading such as 'One of the following solid tumors:' with no sub-items, the
    items that follow it in its section may be its alternatives ('Endometrial cancer',
    'Gastric cancer', ...), or be for one cohort only, and where that list ends the record
    does not say. None of them can rule the patient out alone: a fail becomes unknown,
    with the heading named. After a heading that says its items exclude, listed under
    inclusion, no verdict of theirs holds: pass and fail both become unknown.

    `kinds`: each criterion's `_flat_list_kind`, when the caller worked them out once for
    every patient (its regexes were 7 % of a warm screening when run per patient).

    After a line whose items are conditions of it ('... tested in patients with:'), no verdict
    of theirs holds alone. After a heading with a time window ('Any of the following within 6
    months prior to enrollment:'), an item's fail cannot rule out, nor its pass hold, where the
    window could change it (`_timed`, each criterion's when the caller worked them out)."""
    if kinds is None:
        kinds = [_flat_list_kind(c) for c in criteria]
    if kinds.count(None) == len(kinds):  # no heading opens a list (most trials): nothing to cap
        return list(results)
    heading: dict[str, tuple[str, str]] = {}
    capped = []
    for i, (criterion, result, kind) in enumerate(zip(criteria, results, kinds)):
        opened = heading.get(criterion.section)
        if opened is not None and opened[1] == "windowed" and result.status != "unknown":
            when = timed[i] if timed is not None else _timed_of(criterion) if result.status == "pass" else None
            # no item of a list that the record does not nest rules out alone (as after
            # 'partial'); a pass stands where the window cannot change it: none to change, or
            # an exclusion's event the patient never had, absent in any window
            if result.status == "fail" or when == "any" or (when == "events" and criterion.section == "inclusion"):
                reason = f'may be one item of the list under "{opened[0]}", whose time window it does not state and which could change its verdict'
                result = _result_unknown_because(result, reason)
        elif opened is not None and (result.status == "fail" or (opened[1] in ("reversed", "conditions", "absent") and result.status == "pass")):
            if opened[1] == "absent":
                why = _ABSENT_ITEM
            elif opened[1] == "conditions":
                why = "whose items say whom it is for: it asks nothing by itself"
            elif opened[1] == "excepted":
                why = "whose items may be what the exclusion lets through, so it cannot rule the patient out by itself"
            elif opened[1] == "reversed":
                why = "whose items exclude though listed as inclusion criteria, so its verdict cannot be read either way"
            else:
                why = "which the record does not nest, so it cannot rule the patient out by itself"
            reason = f'may be one item of the list under "{opened[0]}", {why}'
            result = _result_unknown_because(result, reason)
        if kind is not None and (opened is None or opened[1] not in ("reversed", "absent")):
            heading[criterion.section] = (criterion.text.strip(), kind)
        capped.append(result)
    return capped


_ABSENT_ITEM = "which asks for its items' absence, so an item's own verdict cannot be read either way"


# 'age >= 60, or' / 'patient has had a hysterectomy.': a line ending in 'or' joins the next
_TRAILING_OR = re.compile(r"\b(?:or|and/or)\W*$", re.IGNORECASE)


def _or_joined(lines: tuple[tuple[str, str], ...]) -> tuple[tuple[int, ...], ...]:
    """The runs of inclusion lines joined by an 'or' that ends a line."""
    runs: list[tuple[int, ...]] = []
    run: list[int] = []
    for i, (section, text) in enumerate(lines):
        if run and (section != "inclusion" or lines[run[-1]][0] != section):
            run = []
        if section != "inclusion":
            continue
        if run or _TRAILING_OR.search(text):
            run.append(i)
        if run and not _TRAILING_OR.search(text):
            if len(run) > 1:
                runs.append(tuple(run))
            run = []
    return tuple(runs)


def _alternative_lines(prepared: tuple[_Prepared, ...]) -> tuple[tuple[tuple[int, ...], str], ...]:
    """The groups of a trial's lines that are alternatives though written as lines of their
    own: inclusion lines joined by an 'or' that ends a line (NCT04565054: 'age >= 60, or'
    then 'patient has had a hysterectomy.'), and inclusion lines whose ages no patient has
    together (`_age_alternatives`); each with the reason a line of it gets where it cannot
    rule out alone."""
    runs = _or_joined(tuple((p.criterion.section, p.criterion.text) for p in prepared))
    ages = _age_alternatives(tuple(_age_interval(p) for p in prepared))
    return (*((run, _TRAILING_OR_REASON) for run in runs), *(((ages, _AGES_REASON),) if ages else ()))


_TRAILING_OR_REASON = "one of the lines joined by an 'or' at the end of a line: another of them may hold, so this one cannot rule the patient out by itself"
_AGES_REASON = "one of several inclusion lines whose ages no patient has together: they are alternatives, so this one cannot rule the patient out by itself"


def _cap_alternatives(lines: tuple[int, ...], results: list[CriterionResult], reason: str) -> list[CriterionResult]:
    """Lines that may be alternatives: where one of them does not fail, a line of them that
    fails cannot rule the patient out by itself (where all fail, every reading fails)."""
    if not lines or all(results[i].status == "fail" for i in lines):
        return results
    results = list(results)
    for i in lines:
        if results[i].status == "fail":
            results[i] = _result_unknown_because(results[i], reason)
    return results


_YEARS = {"years": 1.0, "year": 1.0, "months": 1 / 12, "month": 1 / 12, "weeks": 7 / 365.25, "week": 7 / 365.25, "days": 1 / 365.25, "day": 1 / 365.25}
_Interval = tuple[float, bool, float, bool]  # low, low inclusive, high, high inclusive (years)


def _age_interval(prepared: _Prepared) -> _Interval | None:
    """The ages an inclusion line asks for as one of its requirements ('Age >= 55 years and
    amenorrhea'), or None."""
    own = prepared.own
    if prepared.criterion.section != "inclusion" or own is None or prepared.criterion.origin == "structured":
        return None
    items = own.items if isinstance(own, AllOf) else (own,)
    for item in items:
        if isinstance(item, Comparison) and item.measure == "age" and item.threshold.unit in _YEARS and item.threshold.relative_to is None:
            v = float(item.threshold.value) * _YEARS[item.threshold.unit]
            if item.op in (">", ">="):
                return (v, item.op == ">=", float("inf"), False)
            if item.op in ("<", "<="):
                return (float("-inf"), False, v, item.op == "<=")
        if isinstance(item, Range) and item.measure == "age" and item.low.unit in _YEARS and item.high.unit in _YEARS:
            return (float(item.low.value) * _YEARS[item.low.unit], item.low_inclusive, float(item.high.value) * _YEARS[item.high.unit], item.high_inclusive)
    return None


def _disjoint(a: _Interval, b: _Interval) -> bool:
    def below(x: _Interval, y: _Interval) -> bool:
        return x[2] < y[0] or (x[2] == y[0] and not (x[3] and y[1]))

    return below(a, b) or below(b, a)


def _age_alternatives(intervals: tuple[_Interval | None, ...]) -> tuple[int, ...]:
    """The inclusion lines whose ages no patient can have together with another's
    (NCT02214004: 'Age >= 55 years and amenorrhea' and 'Age < 55 years and amenorrhea for
    >= 12 months with FSH > 30', two definitions of postmenopause as lines of their own,
    which every patient failed one of)."""
    found = set()
    for i, a in enumerate(intervals):
        for j in range(i + 1, len(intervals)):
            b = intervals[j]
            if a is not None and b is not None and _disjoint(a, b):
                found.update((i, j))
    return tuple(sorted(found))


# 'Men with female partners of childbearing potential': the status is the partner's. 'Men
# who are sexually active with WOCBP will be instructed to adhere to contraception'
# (NCT03546686, a trial for women): contraception lines, and 'Male participants must not
# donate sperm' (NCT04553770), name both sexes as boilerplate.
_NOT_WHOM = re.compile(r"\bpartners?\b|contracept|birth control|sexually active|\bsperm\b|\bova\b", re.IGNORECASE)


def _sexes_named(own: Predicate | None, criterion: Criterion) -> frozenset[str]:
    """The sexes an inclusion line names for the patient: those of its Sex nodes, and women
    where it names a status only women have ('Postmenopausal women' is read as the status
    alone, `_FEMALE_STATUSES`); none where it speaks of a partner or of contraception."""
    if own is None or criterion.section != "inclusion" or _NOT_WHOM.search(criterion.text):
        return frozenset()
    named: set[str] = set()
    # ('QTcF < 450 ms if male, < 470 ms if female', a creatinine clearance's 'x 0.85 if
    # female': a case split, written into trials for one sex as much as for both)
    cases = {id(m) for n in walk(own) if isinstance(n, Conditional) for m in walk(n.condition)}
    for n in walk(own):
        if isinstance(n, Sex) and id(n) not in cases:
            named.update(n.sexes)
        elif isinstance(n, Condition) and n.concept in _FEMALE_STATUSES:
            named.add("female")
    return frozenset(named)


def _takes_both_sexes(trial: Trial, prepared: tuple[_Prepared, ...]) -> str | None:
    """Why the trial takes both sexes, or None: its record says so, or, where the record gives
    no sex (every trial of the corpus's leaf and oncology_990 files), its inclusion lines name
    both between them ('Postmenopausal women', 'Men >50-year-old', NCT03868033)."""
    if trial.sex == "ALL":
        return "the trial takes both sexes"
    if trial.sex is None and frozenset().union(*(p.sexes for p in prepared)) >= {"female", "male"}:
        return "the record gives no sex, but its inclusion lines name both"
    return None


def _other_sex(prepared: _Prepared, result: CriterionResult, patient: Patient, both: str) -> CriterionResult:
    """In a trial that takes both sexes (`both` says why it is known), an inclusion that
    names the other sex ('women age >= 65 years' beside 'men age >= 55 years', NCT01174550),
    or for a man a status only women have ('Postmenopausal women' beside 'Men >50-year-old',
    NCT03868033), says whom it is for, or is one of several alternatives: it cannot rule the
    patient out."""
    if result.status != "fail" or prepared.own is None or prepared.criterion.section != "inclusion" or patient.sex not in ("female", "male"):
        return result
    if not _names_other_sex(prepared.own, patient.sex):
        return result
    reason = f"{both}, and this criterion names the other one: it may say whom it is for, or be one of several alternatives"
    return _result_unknown_because(result, reason)


def _names_other_sex(own: Predicate, sex: str) -> bool:
    """Whether an inclusion's own tree names the sex other than `sex` ('female' or 'male'),
    or, for a man, a status only women have (`_other_sex`): worked out once per tree and
    sex, not at every failing inclusion of every patient (a walk of the tree, 2 % of
    screening synthetic patients, speed14). Remembered by the tree's identity (the entry
    holds the tree, so its id is not reused while remembered)."""
    key = (id(own), sex)
    hit = _OTHER_SEX.get(key)
    if hit is not None and hit[0] is own:
        return hit[1]
    if len(_OTHER_SEX) >= _ALIKE_MAX:
        _OTHER_SEX.clear()
    named = any(
        (isinstance(n, Sex) and sex not in n.sexes) or (sex == "male" and isinstance(n, Condition) and n.concept in _FEMALE_STATUSES)
        for n in walk(own)
    )
    _OTHER_SEX[key] = (own, named)
    return named


_OTHER_SEX: dict[tuple[int, str], tuple[Predicate, bool]] = {}


ALIVE = "(the patient is alive on the screening date)"


def _alive(patient: Patient, as_of: date) -> tuple[CriterionResult, ...]:
    """A record that says the patient died on or before the screening date rules out every
    trial; a death date given to the year or month that may fall after it leaves every
    trial unknown. Shown as one more inclusion criterion, at the end, only then.

    Worked out once per patient and date, not per trial (a result validated per trial was
    1 % of a warm screening of the corpus for a patient who died, speed15b): remembered by
    the patient's identity (patients and results are frozen; the entry holds the patient,
    so its id is not reused while remembered)."""
    last = _LAST_ALIVE[0]
    if last is not None and last[0] is patient and last[1] == as_of:
        return last[2]
    found = tuple(_alive_now(patient, as_of))
    _LAST_ALIVE[0] = (patient, as_of, found)
    return found


_LAST_ALIVE: list[tuple[Patient, date, tuple[CriterionResult, ...]] | None] = [None]


def _alive_now(patient: Patient, as_of: date) -> list[CriterionResult]:
    died = patient.deceased
    if died is None or died is False:
        return []
    if died is True:
        status, reason = "fail", "deceased per the record (no date)"
    else:
        latest = next((p.latest for p in patient.partial_dates if p.field == "deceased"), died)
        if died > as_of:
            return []
        if latest > as_of:
            status, reason = "unknown", f"deceased between {died.isoformat()} and {latest.isoformat()} per the record: perhaps after {as_of.isoformat()}"
        else:
            status, reason = "fail", f"deceased {died.isoformat()} per the record, on or before {as_of.isoformat()}"
    return [CriterionResult(section="inclusion", text=ALIVE, status=status, reasons=(reason,), canonical=ALIVE)]


NO_INCLUSION = "(the record gives no inclusion criteria)"


def _no_inclusion(trial: Trial) -> list[CriterionResult]:
    """A record whose inclusion criteria are empty ('Inclusion Criteria: -') or missing says
    nothing of whom the trial is for (its disease above all): such a trial cannot be
    eligible. Shown as one more inclusion criterion, unknown, at the end."""
    if any(c.section == "inclusion" and c.origin == "text" for c in trial.criteria):
        return []
    reason = "the record lists no inclusion criteria of its own, so whom the trial is for is not known"
    return [CriterionResult(section="inclusion", text=NO_INCLUSION, status="unknown", reasons=(reason,), canonical=NO_INCLUSION)]


def _cap_unsectioned(trial: Trial, results: list[CriterionResult]) -> list[CriterionResult]:
    """A record whose text says not which criteria include and which exclude (`trial.problem`)
    gives no verdict of a text criterion that could be read either way: each is unknown, the
    problem named. The registry's own fields (age limits, sex) and the record's date of death
    say what they say whatever the text's headings: their fail makes the trial ineligible, as
    any criterion's fail does."""
    reason = f"the record cannot be screened as written ({trial.problem}), so this criterion may include or exclude"
    return [
        _result_unknown_because(r, reason) if c.origin == "text" and r.status != "unknown" else r
        for c, r in zip(trial.criteria, results)
    ]


def screen_trial(patient: Patient, trial: Trial, *, as_of: date, open_world: bool = False, judged: dict | None = None) -> TrialResult:
    """One patient against one trial. `judged`, kept by the caller for one patient, as_of
    and open_world, remembers the result of each prepared criterion, so a criterion that
    several trials share is judged once; what depends on the trial (the flat-list, other-sex
    and no-inclusion caps) is applied afterwards, on each trial's own list."""
    _, prepared, alternatives = _trial_entry(trial)
    results = _cap_flat_lists(
        trial.criteria, [_judged(c, patient, as_of, open_world, judged) for c in prepared], [c.list_kind for c in prepared], [c.timed for c in prepared]
    )
    results = _cap_named_alone(prepared, results)
    for lines, reason in alternatives:
        results = _cap_alternatives(lines, results, reason)
    both = _takes_both_sexes(trial, prepared)
    if both is not None:
        results = [_other_sex(p, r, patient, both) for p, r in zip(prepared, results)]
    if trial.problem is not None:
        results = _cap_unsectioned(trial, results)
    results += _no_inclusion(trial)
    results += _alive(patient, as_of)
    statuses = [r.status for r in results]
    status: TrialStatus
    if "fail" in statuses:
        status = "ineligible"
    elif all(s == "pass" for s in statuses) and trial.problem is None:
        status = "eligible"
    else:
        status = "unknown"
    return TrialResult(
        trial_id=trial.trial_id,
        title=trial.title,
        status=status,
        criteria=tuple(results),
        unknown=statuses.count("unknown"),
        source=trial.source,
    )


_RANK = {"eligible": 0, "unknown": 1, "ineligible": 2}


def screen(
    patients: list[Patient] | Patient,
    trials: list[Trial],
    *,
    as_of: date | None = None,
    open_world: bool = False,
    progress: bool = False,
    workers: int | None = None,
) -> ScreenResult:
    """Screen every patient against every trial.

    Args:
        patients: patient records (engine.load_patient), or one.
        trials: trials (engine.load_trials).
        as_of: the screening date for ages and time windows; default today.
        open_world: history the record does not show is unknown rather than absent.
        progress: a progress bar on stderr for a long run (the CLI asks on a terminal).
        workers: processes to screen the patients in (default and 1: this process), and
            to parse the criteria the parse cache lacks in (default: one per core when
            there are many). The result is the same, in the same order, whatever the number.

    Returns:
        A ScreenResult; `model_dump(mode="json")` is the JSON of `elig screen --format json`.
        Per patient, trials are ranked best first: eligible, then unknown with the fewest
        unknown criteria, then ineligible.

    >>> from engine.patients import load_patient
    >>> from engine.trials import Criterion, Trial
    >>> trial = Trial(trial_id="T1", title="t", source="-", criteria=(Criterion(section="inclusion", text="ANC >= 500/uL"),))
    >>> patient = load_patient({"id": "p", "observations": [{"loinc": "751-8", "value": 800, "unit": "/uL", "date": "2026-05-20"}]})
    >>> result = screen([patient], [trial], as_of=date(2026, 6, 1))
    >>> result.patients[0].trials[0].status, result.patients[0].trials[0].criteria[0].reasons
    ('eligible', ('absolute neutrophil count 800 /uL (2026-05-20) ≥ 500 /uL',))
    """
    if isinstance(patients, Patient):
        patients = [patients]
    as_of = as_of or date.today()
    prepare_trials(trials, progress=progress, workers=workers)
    chunks = _chunks(len(patients), workers or 1)
    population = len(patients) >= _POPULATION
    with _fewer_collections() if population else contextlib.nullcontext(), progress_bar("screening", len(patients) * len(trials), enabled=progress) as advance:
        if len(chunks) < 2:
            out = [_screen_patient(patient, trials, advance.each(trials), as_of=as_of, open_world=open_world) for patient in patients]
        else:
            out = _screen_in_processes(patients, trials, chunks, workers or 1, advance, as_of=as_of, open_world=open_world)
    return ScreenResult(as_of=as_of, open_world=open_world, patients=tuple(out))


def _screen_patient(patient: Patient, trials: list[Trial], each, *, as_of: date, open_world: bool) -> PatientResult:
    judged: dict = {}  # for this patient, as_of and open_world only
    results = [screen_trial(patient, t, as_of=as_of, open_world=open_world, judged=judged) for t in each]
    results.sort(key=lambda r: (_RANK[r.status], r.unknown if r.status == "unknown" else 0, r.trial_id))
    return PatientResult(
        patient_id=patient.id,
        trials=tuple(results),
        source=patient.source,
        summary=summarize(patient, as_of),
        collect_next=collect_next(results),
    )


@contextlib.contextmanager
def _fewer_collections():
    """The cyclic collector's young threshold raised to `_YOUNG`, and no full collection,
    while screening; the thresholds put back after. Screening allocates many small objects
    that live on (results, memos) and makes no cyclic garbage (docs/performance.md, speed6):
    the default threshold of 700 ran a young collection every few criteria, and each full
    collection walked every patient and result so far (about 1.3 s at 10,000 synthetic
    patients): together about 11 % of screening them (speed8). Cyclic garbage, were there
    any, is still found by the young and middle collections, or by the next full one after.
    A caller's higher thresholds, or a collector disabled by a threshold of 0, are left as
    they are; thresholds the caller changed meanwhile are not undone. Only for a population
    (`_POPULATION` patients or more): one patient against the corpus, warm, measured 3 %
    slower so (0.91-0.94 s against 0.88-0.92 s, alternating in one process)."""
    old = gc.get_threshold()
    if old[0] == 0:
        yield
        return
    raised = (max(old[0], _YOUNG), old[1], max(old[2], _NO_FULL))
    gc.set_threshold(*raised)
    try:
        yield
    finally:
        if gc.get_threshold() == raised:
            gc.set_threshold(*old)


_YOUNG = 10_000
_POPULATION = 100
_NO_FULL = 1_000_000  # middle collections before a full one: none in a screening


_PER_WORKER = 8  # chunks of patients per process: small enough to balance, large enough to pay


def _chunks(patients: int, workers: int) -> list[range]:
    """Consecutive runs of patient numbers, several per process; one run (no processes)
    when there is one process or one patient."""
    if workers <= 1 or patients < 2:
        return [range(patients)]
    size = max(1, -(-patients // (workers * _PER_WORKER)))
    return [range(i, min(i + size, patients)) for i in range(0, patients, size)]


def _screen_in_processes(patients, trials, chunks, workers, advance, *, as_of: date, open_world: bool) -> list[PatientResult]:
    """The patients screened in a pool of processes, a run of them per task, and the results
    put back in the patients' order. Each process is given the patients and the trials once
    (a forked one inherits them, trials already prepared; a spawned one prepares them from
    the parse cache)."""
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(min(workers, len(chunks)), initializer=_worker_start, initargs=(patients, trials, as_of, open_world)) as pool:
        futures = [pool.submit(_worker_screen, chunk.start, chunk.stop) for chunk in chunks]  # before a bar's thread starts
        out: list[PatientResult] = []
        for future in futures:
            results = future.result()
            advance.step(len(results) * len(trials))
            out += results
    return out


_WORKER: dict[str, object] = {}


def _worker_start(patients: list[Patient], trials: list[Trial], as_of: date, open_world: bool) -> None:
    from engine import cache

    cache._STORES.clear()  # a forked process opens its own database connection if it needs one
    prepare_trials(trials, workers=1)  # forked: nothing to do; spawned: read from the cache
    _WORKER.update(patients=patients, trials=trials, as_of=as_of, open_world=open_world)


def _worker_screen(start: int, stop: int) -> list[PatientResult]:
    patients, trials = _WORKER["patients"], _WORKER["trials"]
    as_of, open_world = _WORKER["as_of"], _WORKER["open_world"]
    return [_screen_patient(p, trials, trials, as_of=as_of, open_world=open_world) for p in patients[start:stop]]  # type: ignore[index, arg-type]


def verdict_digests(result: ScreenResult) -> dict[str, dict[str, str]]:
    """A short digest of every verdict in a screening, to show that a change of code (a
    cache, a faster walk, processes) changed none: patient id -> trial id -> digest of the
    trial's status and every criterion's status, reasons, missing data and sub-items (not
    the trial file's path), and under the key '' the patient's summary, the trials' order
    and what to collect next.

    >>> from engine.trials import Criterion, Trial
    >>> trial = Trial(trial_id="T1", title="t", source="-", criteria=(Criterion(section="inclusion", text="age >= 18 years"),))
    >>> digests = verdict_digests(screen([Patient(id="p")], [trial], as_of=date(2026, 6, 1)))
    >>> sorted(digests["p"]), len(digests["p"]["T1"])
    (['', 'T1'], 24)
    """
    import hashlib
    import json

    def digest(value: object) -> str:
        return hashlib.blake2b(json.dumps(value, sort_keys=True).encode(), digest_size=12).hexdigest()

    out: dict[str, dict[str, str]] = {}
    for patient in result.patients:
        entry = {trial.trial_id: digest(trial.model_dump(mode="json", exclude={"source"})) for trial in patient.trials}
        entry[""] = digest(
            {
                "summary": patient.summary.model_dump(mode="json") if patient.summary else None,
                "collect_next": [c.model_dump(mode="json") for c in patient.collect_next],
                "order": [t.trial_id for t in patient.trials],
            }
        )
        out[patient.patient_id] = entry
    return out


def bundled_trials_dir() -> Path:
    from engine.trials import rules_dir

    return rules_dir() / "trials"


def screen_files(
    patient_paths: list[str],
    trial_paths: list[str] | None,
    *,
    as_of: date,
    open_world: bool,
    progress: bool = False,
    workers: int | None = None,
) -> tuple[ScreenResult | None, list[str]]:
    """The CLI's screening: load, check ids, screen, going on past bad inputs.

    Returns the result (None when no patient or no trial could be read) and one message
    per input skipped or read in part ('FILE at PLACE: problem'), in the order met.
    """
    from engine.patients import load_patients

    problems: list[str] = []

    def skip(exc) -> None:
        problems.append(f"{exc} (skipped)")

    patients = load_patients([Path(p) for p in patient_paths], on_error=skip)
    for patient in patients:
        problems += [f"{patient.source} at {where} (read as unknown)" for where in patient.unreadable]
    trials = load_trial_files(trial_paths, on_error=skip, problems=problems)
    if not patients or not trials:
        return None, problems
    return screen(patients, trials, as_of=as_of, open_world=open_world, progress=progress, workers=workers), problems


def load_trial_files(trial_paths: list[str] | None, *, on_error=None, problems: list[str] | None = None) -> list[Trial]:
    """The trials under the paths (default: the bundled library), each id once.

    Without `on_error`, the first bad input raises InputError (one id with different
    content included); with it, each goes to `on_error` and the rest are read, and trials
    read without usable criteria are noted in `problems` and left out.
    """
    from functools import partial

    from engine.errors import attempt
    from engine.trials import check_same, load_trials

    trials: list[Trial] = []
    seen: dict[str, Trial] = {}
    for path in trial_paths or [str(bundled_trials_dir())]:
        for trial in attempt(partial(load_trials, path, on_error=on_error), on_error) or []:
            if trial.problem is not None and problems is not None:
                problems.append(f"{trial.source} at {trial.problem} (skipped)")
            elif trial.trial_id in seen:  # as load_trials does within one path
                attempt(partial(check_same, trial, seen[trial.trial_id]), on_error)
            else:
                seen[trial.trial_id] = trial
                trials.append(trial)
    return trials
