"""`elig explain`: one criterion's tree, node by node, with each node's truth and reasons.

For the person who doubts a result: the verdict of a criterion in `elig screen` comes from an
Outcome tree that mirrors the predicate tree (engine.evaluate); this shows that tree. Criteria
are numbered as in `elig screen --verbose`: N is the criterion's place (1-based) in its trial's
list (inclusions then exclusions, as the trial lists them; the JSON `criteria` array), and
N.K is the K-th sub-item of N.

Each node shows the truth of its *predicate* (true / false / unknown). The criterion's status
is from the eligibility side: an inclusion passes when its predicate is true, an exclusion
when it is false.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.errors import InputError
from engine.evaluate import Outcome
from engine.logic import Truth
from engine.nodes import children
from engine.patient import Patient
from engine.render import render
from engine.report import numbered, status_label
from engine.screen import criterion_outcome, screen_trial
from engine.trials import HEALTHY_VOLUNTEERS, Criterion, Trial

_TRUTH_MARK = {Truth.TRUE: "✔", Truth.FALSE: "✘", Truth.UNKNOWN: "?"}
_ASCII_TRUTH_MARK = {Truth.TRUE: "+", Truth.FALSE: "x", Truth.UNKNOWN: "?"}
_CONNECTIVE = {
    "all_of": "all of",
    "any_of": "any of",
    "each": "each of (separate criteria)",
    "not": "not",
    "conditional": "if (condition, then)",
    "exception": "with an exception (main, exception)",
    "qualified": "qualified by words not understood (structure, words)",
    "permission": "allowed, asking nothing (what it allows)",
    "excludes": "ruled out (whom it names)",
}
_LABEL_WIDTH = 110


def find_criterion(trial: Trial, number: str) -> Criterion:
    """The criterion numbered `number` ('3', '5.2') in `trial`; InputError naming the trial
    and the numbers it has when there is none."""
    criteria, found, prefix = trial.criteria, None, ""
    for part in number.split("."):
        index = int(part) - 1 if part.isdigit() else -1
        if not 0 <= index < len(criteria):
            have = _numbers(prefix[:-1], len(criteria))
            raise InputError(trial.trial_id, None, f"no criterion {number!r}: {have} (elig screen --verbose shows the numbers)")
        found, criteria, prefix = criteria[index], criteria[index].children, f"{prefix}{part}."
    return found


def _numbers(parent: str, n: int) -> str:
    """What numbers there are under `parent` ('' for the trial's own criteria)."""
    if not parent:
        return f"criteria are numbered 1 to {n}"
    return f"criterion {parent} has no sub-items" if n == 0 else f"criterion {parent} has sub-items {parent}.1 to {parent}.{n}"


def find_trial(trials: list[Trial], trial_id: str, where: str) -> Trial:
    """The trial with id `trial_id` (case does not matter); InputError otherwise."""
    for trial in trials:
        if trial.trial_id.lower() == trial_id.lower():
            return trial
    known = ", ".join(t.trial_id for t in trials[:5]) + (", ..." if len(trials) > 5 else "")
    raise InputError(where, None, f"no trial {trial_id!r} (there: {known})")


def explain(trial: Trial, number: str, patient: Patient, *, as_of: date, open_world: bool = False) -> dict:
    """The criterion `number` of `trial` for `patient`: its text, status and Outcome tree.

    Returns a dict (the JSON of `elig explain --format json`): trial_id, criterion, section,
    text, canonical, status (as in `elig screen`) and tree, nested nodes of {kind, label,
    truth, reasons, missing, children}.

    >>> from engine.patients import load_patient
    >>> trial = Trial(trial_id="T1", title="t", source="-", criteria=(Criterion(section="inclusion", text="ANC >= 500/uL"),))
    >>> patient = load_patient({"id": "p", "observations": [{"loinc": "751-8", "value": 800, "unit": "/uL", "date": "2026-05-20"}]})
    >>> out = explain(trial, "1", patient, as_of=date(2026, 6, 1))
    >>> out["status"], out["tree"]["label"], out["tree"]["truth"]
    ('pass', 'absolute neutrophil count >= 500 /uL', 'true')
    """
    criterion = find_criterion(trial, number)
    result = next(c for n, _, c in numbered(screen_trial(patient, trial, as_of=as_of, open_world=open_world).criteria) if n == number)
    out = {
        "trial_id": trial.trial_id,
        "criterion": number,
        "section": criterion.section,
        "text": criterion.text,
        "canonical": result.canonical,
        "status": result.status,
        "reasons": list(result.reasons),
        "tree": None,
    }
    if criterion.origin == "structured" and criterion.text.startswith(HEALTHY_VOLUNTEERS):
        return out  # a record field judged without a tree
    _, tree, outcome = criterion_outcome(criterion, patient, as_of=as_of, open_world=open_world)
    out["tree"] = _node(outcome, tree)
    return out


def _node(outcome: Outcome, node: Any) -> dict:
    """An Outcome node beside the predicate node it is the truth of (they mirror each other)."""
    return {
        "kind": outcome.kind,
        "label": _label(outcome.kind, node),
        "truth": outcome.truth.value,
        "reasons": list(outcome.reasons),
        "missing": list(outcome.missing),
        "children": [_node(o, n) for o, n in zip(outcome.children, children(node), strict=True)],
    }


def _label(kind: str, node: Any) -> str:
    text = render(node)
    if kind in _CONNECTIVE:
        text = f"{_CONNECTIVE[kind]}: {text}"
    return text if len(text) <= _LABEL_WIDTH else text[: _LABEL_WIDTH - 3].rstrip() + "..."


def explain_text(report: dict, patient_id: str, *, as_of: date, ascii: bool = False) -> str:
    """The report of `explain` for people: a header, then the tree, indented."""
    lines = [
        f"{report['trial_id']} criterion {report['criterion']} ({report['section']}), patient {patient_id}, as of {as_of.isoformat()}",
        f"  {report['text']}",
        f"  read as: {report['canonical']}",
        f"  status: {status_label(report['status'], ascii=ascii)}"
        + (" (an inclusion passes when its predicate is true)" if report["section"] == "inclusion" else " (an exclusion passes when its predicate is false)"),
        "",
    ]
    if report["tree"] is None:
        lines += [f"  - {r}" for r in report["reasons"]]
    else:
        lines.append("Each node: the truth of its predicate for this patient, then its reasons and missing data.")
        _tree_lines(report["tree"], 0, lines, _ASCII_TRUTH_MARK if ascii else _TRUTH_MARK)
    return "\n".join(lines) + "\n"


def _tree_lines(node: dict, depth: int, lines: list[str], marks: dict[Truth, str]) -> None:
    pad = "    " * depth
    truth = Truth(node["truth"])
    lines.append(f"{pad}{marks[truth]} {truth.value:<7} {node['label']}")
    lines.extend(f"{pad}            - {r}" for r in node["reasons"])
    if node["missing"]:
        lines.append(f"{pad}            missing: {', '.join(node['missing'])}")
    for child in node["children"]:
        _tree_lines(child, depth + 1, lines, marks)
