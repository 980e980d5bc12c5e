"""Patients x trials -> verdicts with reasons (CONTRACT.md `elig screen` and `screen()`).

A criterion is parsed (its curated canonical form when it has one), evaluated against the
patient, and its truth turned into the eligibility side: an inclusion that holds and an
exclusion that does not apply `pass`; an inclusion that does not hold and an exclusion that
applies `fail`. Sub-items are operands of the item that introduces them ('at least one of
the following:'), and a trial is ineligible if any criterion fails, eligible if all pass.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.evaluate import Outcome, evaluate
from engine.logic import Truth
from engine.nodes import AllOf, AnyOf, Following, Predicate, Qualified, Unparsed, walk
from engine.parse import parse
from engine.patient import Patient
from engine.render import render
from engine.trials import HEALTHY_VOLUNTEERS, Criterion, Trial

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


class ScreenResult(_Out):
    as_of: date
    open_world: bool = False
    patients: tuple[PatientResult, ...]


CriterionResult.model_rebuild()


@lru_cache(maxsize=65536)
def _parsed(text: str) -> Predicate:
    return parse(text)


def criterion_predicate(criterion: Criterion) -> Predicate:
    """The tree a criterion is judged by: the curated canonical form wins over the text."""
    return _parsed(criterion.canonical or criterion.text)


def _with_children(tree: Predicate, criterion: Criterion) -> Predicate:
    """Sub-items are the operands of 'the following' in their parent."""
    if not criterion.children:
        return tree
    kids = tuple(criterion_predicate(c) if not c.children else _with_children(criterion_predicate(c), c) for c in criterion.children)
    following = [n for n in walk(tree) if isinstance(n, Following)]
    if following:
        target = following[0]
        combined = (AnyOf if target.quantifier == "any" else AllOf)(items=kids, span=target.span) if len(kids) > 1 else kids[0]
        return _replace(tree, target, combined)
    # Without 'the following' the relation is not stated: a heading not understood
    # ('Inclusion criteria (ESRD group):') may restrict its items to a cohort. The items
    # are shown with their own verdicts but decide nothing here; a curated canonical
    # form ('all of the following:') says how they combine.
    combined = AllOf(items=(tree, *kids)) if not isinstance(tree, Unparsed) else (AllOf(items=kids) if len(kids) > 1 else kids[0])
    pieces = tuple(n for n in walk(tree) if isinstance(n, Unparsed)) or (Unparsed(text=criterion.text, span=tree.span),)
    return Qualified(item=combined, qualifiers=pieces, span=tree.span)


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


def _flatten(outcome: Outcome, field: str) -> tuple[str, ...]:
    """The reasons (or missing data) of an Outcome tree, once each, deciding ones first."""
    seen: dict[str, None] = {}
    for o in _deciding_first(outcome):
        for item in getattr(o, field):
            seen.setdefault(item, None)
    return tuple(seen)


_CONNECTIVES = frozenset({"all_of", "any_of", "each"})


def _deciding_first(outcome: Outcome):
    """Every node of an Outcome tree, parents before children, each subtree together; among
    the operands of and/or those with the connective's own truth (the FALSE one of a false
    AND, the TRUE one of a true OR, the UNKNOWN ones of an unknown either) come first, so a
    criterion's first reason is one that decides it, not a part that did not matter."""
    yield outcome
    children = outcome.children
    if outcome.kind in _CONNECTIVES:
        children = sorted(children, key=lambda c: c.truth is not outcome.truth)
    for child in children:
        yield from _deciding_first(child)


_NEGATION = re.compile(
    r"\b(?:not|no|never|without|negative|absen\w*|exclud\w*|ineligible|prohibit\w*|disallow\w*|contraindicat\w*|cannot|unless|except\w*|other than)\b",
    re.IGNORECASE,
)


def _negation_not_understood(outcome: Outcome, tree: Predicate) -> Outcome:
    """A negation among the words not understood ('Pregnant and lactating women are
    excluded from the study', listed as an inclusion) may reverse the whole criterion, and
    where it was left in the tree says nothing of its scope: the verdict stays unknown.
    Curated canonical forms place their unparsed pieces on purpose and are not capped."""
    if outcome.truth is Truth.UNKNOWN:
        return outcome
    pieces = [n.text for n in walk(tree) if isinstance(n, Unparsed) and _NEGATION.search(n.text)]
    if not pieces:
        return outcome
    reason = f'a negation was not understood ("{pieces[0]}"): it could reverse the verdict, which would otherwise be {outcome.truth.value}'
    return outcome.model_copy(update={"truth": Truth.UNKNOWN, "reasons": (reason, *outcome.reasons)})


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


def _criterion(criterion: Criterion, patient: Patient, *, as_of: date, open_world: bool) -> CriterionResult:
    if criterion.origin == "structured" and criterion.text.startswith(HEALTHY_VOLUNTEERS):
        return _healthy_volunteers(criterion)
    polarity = 1 if criterion.section == "inclusion" else -1
    own = criterion_predicate(criterion)
    tree = _with_children(own, criterion)
    outcome = evaluate(tree, patient, as_of=as_of, open_world=open_world, polarity=polarity)
    if criterion.canonical is None:
        outcome = _negation_not_understood(outcome, own)
    children = tuple(_criterion(c, patient, as_of=as_of, open_world=open_world) for c in criterion.children)
    return CriterionResult(
        section=criterion.section,
        text=criterion.text,
        status=_status(outcome.truth, criterion.section),
        reasons=_flatten(outcome, "reasons"),
        missing=_flatten(outcome, "missing"),
        children=children,
        canonical=render(own),
        curated=criterion.canonical is not None,
    )


def screen_trial(patient: Patient, trial: Trial, *, as_of: date, open_world: bool = False) -> TrialResult:
    results = tuple(_criterion(c, patient, as_of=as_of, open_world=open_world) for c in trial.criteria)
    statuses = [r.status for r in results]
    if trial.problem is not None:  # no criteria, or inclusion not told from exclusion
        status: TrialStatus = "unknown"
    elif "fail" in statuses:
        status = "ineligible"
    elif all(s == "pass" for s in statuses):
        status = "eligible"
    else:
        status = "unknown"
    return TrialResult(
        trial_id=trial.trial_id,
        title=trial.title,
        status=status,
        criteria=results,
        unknown=statuses.count("unknown"),
        source=trial.source,
    )


_RANK = {"eligible": 0, "unknown": 1, "ineligible": 2}


def screen(patients: list[Patient] | Patient, trials: list[Trial], *, as_of: date | None = None, open_world: bool = False) -> ScreenResult:
    """Screen every patient against every trial.

    Args:
        patients: patient records (engine.load_patient), or one.
        trials: trials (engine.load_trials).
        as_of: the screening date for ages and time windows; default today.
        open_world: history the record does not show is unknown rather than absent.

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
    out = []
    for patient in patients:
        results = [screen_trial(patient, t, as_of=as_of, open_world=open_world) for t in trials]
        results.sort(key=lambda r: (_RANK[r.status], r.unknown if r.status == "unknown" else 0, r.trial_id))
        out.append(PatientResult(patient_id=patient.id, trials=tuple(results), source=patient.source))
    return ScreenResult(as_of=as_of, open_world=open_world, patients=tuple(out))


def bundled_trials_dir() -> Path:
    from engine.trials import rules_dir

    return rules_dir() / "trials"


def screen_files(patient_paths: list[str], trial_paths: list[str] | None, *, as_of: date, open_world: bool) -> tuple[ScreenResult | None, list[str]]:
    """The CLI's screening: load, check ids, screen, going on past bad inputs.

    Returns the result (None when no patient or no trial could be read) and one message
    per input skipped or read in part ('FILE at PLACE: problem'), in the order met.
    """
    from functools import partial

    from engine.errors import attempt
    from engine.patients import load_patients
    from engine.trials import check_same, load_trials

    problems: list[str] = []

    def skip(exc) -> None:
        problems.append(f"{exc} (skipped)")

    patients = load_patients([Path(p) for p in patient_paths], on_error=skip)
    for patient in patients:
        problems += [f"{patient.source} at {where} (read as unknown)" for where in patient.unreadable]
    trials: list[Trial] = []
    seen: dict[str, Trial] = {}
    for path in trial_paths or [str(bundled_trials_dir())]:
        for trial in attempt(partial(load_trials, path, on_error=skip), skip) or []:
            if trial.problem is not None:
                problems.append(f"{trial.source} at {trial.problem} (skipped)")
            elif trial.trial_id in seen:  # as load_trials does within one path
                attempt(partial(check_same, trial, seen[trial.trial_id]), skip)
            else:
                seen[trial.trial_id] = trial
                trials.append(trial)
    if not patients or not trials:
        return None, problems
    return screen(patients, trials, as_of=as_of, open_world=open_world), problems
