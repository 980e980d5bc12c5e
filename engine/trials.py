"""Trials in: ClinicalTrials.gov API v2 records and curated rules files -> `Trial` models.

A trial is a list of `Criterion` items, each an inclusion or exclusion line as the trial wrote
it (bullet marker and numbering stripped, hard-wrapped lines joined), with nested sub-items as
`children`. The structured fields of a record (minimum/maximum age, sex) become inclusion
criteria too, with `origin="structured"` and a `canonical` restatement.

Accepted inputs (`load_trials`):

- one CT.gov API v2 study object: ``{"protocolSection": {...}}``;
- an API page: ``{"studies": [study, ...]}`` (a bare JSON array of studies is accepted too);
- JSON Lines of study objects (``.jsonl``, or a ``.json`` file holding several lines of objects);
- a curated rules file (``.toml``), format below;
- a directory: every ``*.json``, ``*.jsonl`` and ``*.toml`` in it, recursively, sorted by path
  (files and folders whose name starts with ``.`` are skipped).

Every bad input raises `engine.errors.InputError` naming the file, the place in it (line and
column, ``line N`` for JSON Lines, or a JSON path like ``studies[3].protocolSection``) and the
problem. Two trials with the same id in one load are an error naming both sources, unless the
two are identical (real exports repeat records): the first is kept.

Curated rules file (TOML)::

    id = "NCT04984356"                 # required: NCT number or any stable id
    title = "..."                      # required
    source = "ClinicalTrials.gov record NCT04984356, last update posted 2023-04-07"  # required: provenance
    minimum_age = "12 Years"           # optional, as CT.gov writes it: "<number> Years|Months|Weeks|Days|Hours|Minutes"
    maximum_age = "65 Years"           # optional
    sex = "ALL"                        # optional: ALL, FEMALE or MALE
    healthy_volunteers = false         # optional

    [[criteria]]
    section = "inclusion"              # required on top-level items: inclusion or exclusion
    text = "as published"              # required: the line as the trial wrote it
    canonical = "..."                  # optional: restatement in the criteria language (needs a note)
    note = "..."                       # optional; required with canonical, and wherever the curator
                                       # moved, split, merged or reinterpreted published text

      [[criteria.children]]            # nested sub-items, any depth; section inherited from the parent
      text = "..."

Unknown keys are errors naming the key and its place (``criteria[3].canonicl``; indices count
from 0). Structured criteria are derived from ``minimum_age``/``maximum_age``/``sex`` exactly as
for CT.gov records; the rules file does not list them again. `Trial.source` is the rules file's
path; its ``source`` key is the provenance of the curated text.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from functools import partial
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

from pydantic import BaseModel, ConfigDict

from engine.errors import InputError, OnError, attempt, decode_utf8, unreadable_json

__all__ = [
    "Criterion",
    "Trial",
    "load_trials",
    "trials_from_record",
    "split_criteria",
    "rules_dir",
]


# --------------------------------------------------------------------------------------------
# Models


class Criterion(BaseModel):
    """One eligibility item as written, with its nested sub-items."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    section: Literal["inclusion", "exclusion"]
    text: str
    children: tuple[Criterion, ...] = ()
    canonical: str | None = None
    note: str | None = None
    origin: Literal["text", "structured"] = "text"


class Trial(BaseModel):
    """A trial's identity, structured eligibility fields and criteria list."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trial_id: str
    title: str
    criteria: tuple[Criterion, ...]
    source: str
    minimum_age: str | None = None
    maximum_age: str | None = None
    sex: Literal["ALL", "FEMALE", "MALE"] | None = None
    healthy_volunteers: bool | None = None
    problem: str | None = None  # why the record cannot be screened as it stands (see screening_problem)


Criterion.model_rebuild()


def rules_dir() -> Path:
    """The bundled ``rules/`` folder (curated trials live in ``rules_dir() / "trials"``).

    Installed, the folder is the package ``engine.rules`` (``engine/rules``); in a checkout it is
    ``rules/`` beside ``engine/``.

    Returns:
        The folder's path.

    >>> (rules_dir() / "trials").is_dir()
    True
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / "rules", here.parent / "rules"):
        if candidate.is_dir():
            return candidate
    raise InputError(str(here / "rules"), None, "the bundled rules folder is missing")


# --------------------------------------------------------------------------------------------
# Loading files


_SUFFIXES = (".json", ".jsonl", ".toml")


def load_trials(path: str | Path, *, on_error: OnError | None = None) -> list[Trial]:
    """Read trials from a file or a directory.

    Args:
        path: a CT.gov study record, API page or JSON Lines file (``.json``/``.jsonl``), a curated
            rules file (``.toml``), or a directory of such files (searched recursively).

    Returns:
        The trials, in file order (files sorted by path).

        on_error: called with the InputError of each file that cannot be read, and of each
            trial whose id an earlier, different trial has, which are then skipped (the first
            of two trials with one id is kept: the ranking would not tell them apart, and which
            one is right only the user can say); without it the first such error is raised.

    Raises:
        InputError: for a missing or unreadable file, bad JSON/TOML, a record of the wrong
            shape, or two different trials with the same id.

    >>> [t.trial_id for t in load_trials(rules_dir() / "trials")]
    ['NCT04984356', 'NCT06709469', 'NCT07339332']
    """
    path = Path(path)
    if path.is_dir():
        files = sorted(
            (
                p
                for p in path.rglob("*")
                if p.is_file()
                and p.suffix.lower() in _SUFFIXES
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
            ),
            key=lambda p: p.relative_to(path).as_posix(),
        )
        if not files:
            raise InputError(str(path), None, "no *.json, *.jsonl or *.toml trial files in this directory")
    elif path.exists():
        files = [path]
    else:
        raise InputError(str(path), None, "no such file or directory")

    trials: list[Trial] = []
    seen: dict[str, Trial] = {}
    for file in files:
        for trial in attempt(partial(_load_file, file), on_error) or []:
            if trial.trial_id in seen:
                attempt(partial(check_same, trial, seen[trial.trial_id]), on_error)
            else:
                seen[trial.trial_id] = trial
                trials.append(trial)
    return trials


def check_same(trial: Trial, first: Trial) -> None:
    """A trial with the id of an earlier one is no error when it is the same trial (a page
    and its records): it is then kept once. InputError when they differ."""
    if first.model_dump(exclude={"source"}) != trial.model_dump(exclude={"source"}):
        raise InputError(
            trial.source,
            None,
            f"duplicate trial id {trial.trial_id}: also in {first.source}, with different content",
        )


def _load_file(file: Path) -> list[Trial]:
    name = str(file)
    suffix = file.suffix.lower()
    if suffix not in _SUFFIXES:
        raise InputError(name, None, "unsupported file type: expected .json, .jsonl or .toml")
    try:
        raw = file.read_bytes()
    except OSError as e:
        raise InputError(name, None, f"cannot read: {e.strerror or e}") from e
    text = decode_utf8(raw, name)
    if not text.strip():
        raise InputError(name, None, "empty file")
    if suffix == ".toml":
        return [_trial_from_rules_text(text, name)]
    if suffix == ".jsonl":
        return list(_from_json_lines(text, name))
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        if e.msg == "Extra data":  # several JSON documents: JSON Lines in a .json file
            return list(_from_json_lines(text, name))
        raise InputError(name, f"line {e.lineno}, column {e.colno}", f"invalid JSON: {e.msg}") from e
    except (RecursionError, ValueError) as e:
        raise InputError(name, None, f"invalid JSON: {unreadable_json(e)}") from None
    return list(_from_document(doc, name, "", name))


def _from_json_lines(text: str, name: str) -> Iterator[Trial]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
        except json.JSONDecodeError as e:
            raise InputError(name, f"line {number}, column {e.colno}", f"invalid JSON: {e.msg}") from e
        except (RecursionError, ValueError) as e:
            raise InputError(name, f"line {number}", f"invalid JSON: {unreadable_json(e)}") from None
        yield from _from_document(doc, name, f"line {number}", f"{name}:{number}")


def _from_document(doc: Any, name: str, where: str, source: str) -> Iterator[Trial]:
    """A parsed JSON document: one study, a page of studies, or an array of studies."""

    def at(path: str) -> str:
        return f"{where}, {path}" if where else path

    if isinstance(doc, dict) and "protocolSection" in doc:
        yield _from_record(doc, name, where, "", source)
    elif isinstance(doc, dict) and "studies" in doc:
        studies = doc["studies"]
        if not isinstance(studies, list):
            raise InputError(name, at("studies"), f"expected an array of studies, got {_kind(studies)}")
        for i, study in enumerate(studies):
            yield _from_record(study, name, where, f"studies[{i}]", f"{source}:studies[{i}]")
    elif isinstance(doc, list):
        for i, study in enumerate(doc):
            yield _from_record(study, name, where, f"[{i}]", f"{source}:[{i}]")
    else:
        raise InputError(
            name,
            where or None,
            "expected a ClinicalTrials.gov study record ({\"protocolSection\": ...}), "
            "an API page ({\"studies\": [...]}) or JSON Lines of study records, "
            f"got {_describe(doc)}",
        )


def _kind(value: Any) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
        type(None): "null",
    }.get(type(value), type(value).__name__)


def _describe(doc: Any) -> str:
    if isinstance(doc, dict):
        keys = ", ".join(list(doc)[:5])
        return f"an object with keys {keys}" if keys else "an empty object"
    return _kind(doc)


# --------------------------------------------------------------------------------------------
# CT.gov records


def trials_from_record(record: dict, source: str) -> Trial:
    """One ClinicalTrials.gov API v2 study object -> a `Trial`.

    Args:
        record: the study object (``{"protocolSection": {...}, ...}``).
        source: where it came from; used as `Trial.source` and in error messages.

    Returns:
        The trial: structured criteria (age, sex) first, then the split eligibility text.

    Raises:
        InputError: when the record lacks ``protocolSection.identificationModule.nctId`` or a
            field has the wrong type or format (the message gives its JSON path).

    >>> t = trials_from_record({"protocolSection": {
    ...     "identificationModule": {"nctId": "NCT0", "briefTitle": "T"},
    ...     "eligibilityModule": {"minimumAge": "18 Years",
    ...                           "eligibilityCriteria": "Exclusion Criteria:\\n* Pregnant"}}}, "x.json")
    >>> [(c.section, c.text) for c in t.criteria]
    [('inclusion', 'Minimum age: 18 Years'), ('exclusion', 'Pregnant')]
    """
    return _from_record(record, source, "", "", source)


def _from_record(record: Any, name: str, where: str, prefix: str, source: str) -> Trial:
    def fail(path: str, problem: str) -> InputError:
        full = ".".join(p for p in (prefix, path) if p)
        return InputError(name, ", ".join(p for p in (where, full) if p) or None, problem)

    def obj(value: Any, path: str, *, required: bool) -> dict:
        if value is None and not required:
            return {}
        if value is None:
            raise fail(path, "missing")
        if not isinstance(value, dict):
            raise fail(path, f"expected an object, got {_kind(value)}")
        return value

    def string(value: Any, path: str) -> str | None:
        if value is None:
            return None
        if not isinstance(value, str):
            raise fail(path, f"expected a string, got {_kind(value)}")
        return value

    if not isinstance(record, dict):
        raise fail("", f"expected a study object, got {_kind(record)}")
    protocol = obj(record.get("protocolSection"), "protocolSection", required=True)
    ident = obj(
        protocol.get("identificationModule"), "protocolSection.identificationModule", required=True
    )
    nct = string(ident.get("nctId"), "protocolSection.identificationModule.nctId")
    if not nct or not nct.strip():
        raise fail("protocolSection.identificationModule.nctId", "missing trial id")
    nct = nct.strip()
    title = ""
    for key in ("briefTitle", "officialTitle"):
        title = (string(ident.get(key), f"protocolSection.identificationModule.{key}") or "").strip()
        if title:
            break
    elig_path = "protocolSection.eligibilityModule"
    elig = obj(protocol.get("eligibilityModule"), elig_path, required=False)
    text = string(elig.get("eligibilityCriteria"), f"{elig_path}.eligibilityCriteria") or ""

    ages: dict[str, str | None] = {}
    for key in ("minimumAge", "maximumAge"):
        value = string(elig.get(key), f"{elig_path}.{key}")
        if value is not None and value.strip().upper() in ("", "N/A", "NA", "NONE"):
            value = None
        if value is not None:
            value = value.strip()
            if not _AGE.match(value):
                raise fail(f"{elig_path}.{key}", f"age {value!r} is not '<number> Years|Months|Weeks|Days'")
        ages[key] = value

    sex_raw = string(elig.get("sex"), f"{elig_path}.sex")
    sex = None
    if sex_raw is not None and sex_raw.strip():
        sex = {"ALL": "ALL", "BOTH": "ALL", "FEMALE": "FEMALE", "MALE": "MALE"}.get(sex_raw.strip().upper())
        if sex is None:
            raise fail(f"{elig_path}.sex", f"expected ALL, FEMALE or MALE, got {sex_raw!r}")

    healthy = elig.get("healthyVolunteers")
    if isinstance(healthy, str):
        healthy = {"yes": True, "true": True, "no": False, "false": False}.get(
            healthy.strip().lower(), healthy
        )
    if healthy is not None and not isinstance(healthy, bool):
        raise fail(f"{elig_path}.healthyVolunteers", f"expected true or false, got {healthy!r}")

    structured = _structured(ages["minimumAge"], ages["maximumAge"], sex, healthy)
    criteria = split_criteria(text)
    problem = screening_problem(text, criteria)
    return Trial(
        trial_id=nct,
        title=title or nct,
        criteria=structured + criteria,
        source=source,
        minimum_age=ages["minimumAge"],
        maximum_age=ages["maximumAge"],
        sex=sex,
        healthy_volunteers=healthy,
        problem=f"{elig_path}.eligibilityCriteria: {problem}" if problem else None,
    )


def screening_problem(text: str, criteria: tuple[Criterion, ...]) -> str | None:
    """Why a record's eligibility text cannot be screened: there is none (every patient
    would be eligible), or no heading says which items include and which exclude (a guess
    either way would turn a verdict round). None when it can be.

    >>> screening_problem("ANC >= 1500/uL", split_criteria("ANC >= 1500/uL"))
    'no "Inclusion Criteria" or "Exclusion Criteria" heading: cannot tell which criteria include and which exclude'
    """
    if not criteria:
        return "no eligibility criteria in the record"
    stated = any(c.section == "exclusion" for c in criteria) or any(
        u.heading is not None and u.heading.section is not None for u in _units(text)
    )
    if not stated:
        return 'no "Inclusion Criteria" or "Exclusion Criteria" heading: cannot tell which criteria include and which exclude'
    return None


_AGE = re.compile(r"^(\d+(?:\.\d+)?)\s+(years?|months?|weeks?|days?|hours?|minutes?)$", re.I)


HEALTHY_VOLUNTEERS = "Accepts healthy volunteers"
"""Text of the structured criterion for the healthyVolunteers field (engine.screen decides it)."""


def _structured(minimum: str | None, maximum: str | None, sex: str | None, healthy: bool | None) -> tuple[Criterion, ...]:
    out = []
    for label, op, value in (("Minimum age", ">=", minimum), ("Maximum age", "<=", maximum)):
        if value is None:
            continue
        m = _AGE.match(value)
        assert m is not None
        out.append(
            Criterion(
                section="inclusion",
                text=f"{label}: {value}",
                canonical=f"age {op} {m.group(1)} {m.group(2).lower()}",
                origin="structured",
            )
        )
    if sex in ("FEMALE", "MALE"):
        word = sex.lower()
        out.append(
            Criterion(section="inclusion", text=f"Sex: {word}", canonical=f"sex {word}", origin="structured")
        )
    if healthy is not None:
        answer = "Yes" if healthy else "No"
        out.append(Criterion(section="inclusion", text=f"{HEALTHY_VOLUNTEERS}: {answer}", origin="structured"))
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Curated rules files


_TOP_KEYS = {
    "id": str,
    "title": str,
    "source": str,
    "minimum_age": str,
    "maximum_age": str,
    "sex": str,
    "healthy_volunteers": bool,
    "criteria": list,
}
_CRITERION_KEYS = {"section": str, "text": str, "canonical": str, "note": str, "children": list}
_TOML_ERROR_PLACE = re.compile(r"\s*\(at (line \d+, column \d+|end of document)\)$")


def _trial_from_rules_text(text: str, name: str) -> Trial:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        m = _TOML_ERROR_PLACE.search(message)
        where = m.group(1) if m else None
        raise InputError(name, where, f"invalid TOML: {_TOML_ERROR_PLACE.sub('', message)}") from e
    except RecursionError:
        raise InputError(name, None, "invalid TOML: arrays or tables nested too deeply to read") from None
    return _trial_from_rules(doc, name)


def _check_keys(table: dict, allowed: dict[str, type], place: str, name: str) -> None:
    for key, value in table.items():
        where = f"{place}.{key}" if place else key
        if key not in allowed:
            near = difflib.get_close_matches(key, list(allowed), n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            raise InputError(name, where, f"unknown key {key!r}{hint}; allowed: {', '.join(allowed)}")
        expected = allowed[key]
        if not isinstance(value, expected) or (expected is not bool and isinstance(value, bool)):
            wanted = {str: "a string", bool: "true or false", list: "an array of tables"}[expected]
            raise InputError(name, where, f"expected {wanted}, got {_kind(value)}")


def _trial_from_rules(doc: dict, name: str) -> Trial:
    _check_keys(doc, _TOP_KEYS, "", name)
    for key in ("id", "title", "source"):
        if not str(doc.get(key, "")).strip():
            raise InputError(name, key, f"missing {key!r}")
    ages = {}
    for key in ("minimum_age", "maximum_age"):
        value = doc.get(key)
        if value is not None:
            value = value.strip()
            if not _AGE.match(value):
                raise InputError(name, key, f"age {value!r} is not '<number> Years|Months|Weeks|Days'")
        ages[key] = value
    sex = doc.get("sex")
    if sex is not None and sex not in ("ALL", "FEMALE", "MALE"):
        raise InputError(name, "sex", f"expected ALL, FEMALE or MALE, got {sex!r}")
    criteria = tuple(
        _criterion_from_rules(item, f"criteria[{i}]", None, name)
        for i, item in enumerate(doc.get("criteria", []))
    )
    return Trial(
        trial_id=doc["id"].strip(),
        title=doc["title"].strip(),
        criteria=_structured(ages["minimum_age"], ages["maximum_age"], sex, doc.get("healthy_volunteers")) + criteria,
        source=name,
        minimum_age=ages["minimum_age"],
        maximum_age=ages["maximum_age"],
        sex=sex,
        healthy_volunteers=doc.get("healthy_volunteers"),
    )


def _criterion_from_rules(item: Any, place: str, inherited: str | None, name: str) -> Criterion:
    if not isinstance(item, dict):
        raise InputError(name, place, f"expected a table, got {_kind(item)}")
    _check_keys(item, _CRITERION_KEYS, place, name)
    section = item.get("section", inherited)
    if section is None:
        raise InputError(name, place, "missing 'section' (inclusion or exclusion)")
    if section not in ("inclusion", "exclusion"):
        raise InputError(name, f"{place}.section", f"expected inclusion or exclusion, got {section!r}")
    if inherited is not None and section != inherited:
        raise InputError(name, f"{place}.section", f"a child of an {inherited} item cannot be {section}")
    text = item.get("text", "").strip()
    if not text:
        raise InputError(name, place, "missing 'text'")
    if item.get("canonical") is not None and not item.get("note", "").strip():
        raise InputError(name, place, "a 'canonical' restatement needs a 'note' saying why")
    children = tuple(
        _criterion_from_rules(child, f"{place}.children[{j}]", section, name)
        for j, child in enumerate(item.get("children", []))
    )
    return Criterion(
        section=section,
        text=text,
        children=children,
        canonical=item.get("canonical"),
        note=item.get("note"),
    )


# --------------------------------------------------------------------------------------------
# Splitting eligibility text


def split_criteria(text: str) -> tuple[Criterion, ...]:
    """Split a CT.gov ``eligibilityCriteria`` text into criteria.

    Handles the spellings real records use: section headings ("Inclusion Criteria:", "Key
    Exclusion Criteria", "Non-inclusion criteria", "Patients will be excluded from study entry
    if:"), the legacy sub-headings ("DISEASE CHARACTERISTICS:", "PATIENT CHARACTERISTICS:",
    "PRIOR CONCURRENT THERAPY:"), bullets (``*``, ``-``, ``•``, ``1.``, ``1)``, ``(1)``, ``a.``,
    ``i.``), nesting by indentation or by a change of marker after an item ending with ":" or
    "the following", hard-wrapped lines, and CT.gov markdown escapes (``\\<`` -> ``<``).

    Text before any heading is inclusion. Every line that is not a heading ends up in some
    criterion. A heading that names a subgroup ("Inclusion Criteria for Cohort 2:") is kept as
    a criterion whose children are the items under it, so that the items are not applied to
    everyone.

    Args:
        text: the eligibility text as the record has it.

    Returns:
        The top-level criteria, in order.

    >>> [(c.section, c.text, [k.text for k in c.children]) for c in split_criteria(
    ...     "Inclusion Criteria:\\n\\n* Adequate organ function:\\n  1. ANC \\\\>= 1500/uL\\n"
    ...     "Exclusion Criteria:\\n\\n* Pregnant")]
    [('inclusion', 'Adequate organ function:', ['ANC >= 1500/uL']), ('exclusion', 'Pregnant', [])]
    """
    units = _units(text)
    return _tree(units)


# ---- line level ------------------------------------------------------------------------------

_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>=~^|])")

_BULLET = re.compile(
    r"""^(?P<marker>
        [*•·▪●○◦►▸➢✓⁃∙]                  # symbol bullets, with or without a space
      | [-–—](?=\s|[A-Za-z(\[]|$)        # dash bullets (not '-5', '--')
      | \+(?=\s)
      | \(\s*\d{1,2}\s*\)
      | \[\d{1,2}\]
      | \d{1,2}[.)](?=\s|[A-Za-z(\[]|$)  # '1.', '1)', '1.Text' (not '1.5')
      | \((?:[ivxlc]{1,6}|[IVXLC]{1,6})\)
      | (?:[ivxlc]{1,6}|[IVXLC]{1,6})[.)](?=\s|$)
      | \([A-Za-z]\)
      | [A-Za-z][.)](?=\s|$)
    )\s*(?P<text>.*)$""",
    re.X,
)

_INNER_BULLET = re.compile(r"([•·▪●○◦►▸➢✓⁃∙o-])\s+(?=\S)")

_LEGACY_HEADING = re.compile(
    r"^(?:disease characteristics|patient characteristics|prior concurrent therapy"
    r"|prior/concurrent therapy|protocol entry criteria"
    r"|(?:(?:key|main|general|study|selection)\s+)?(?:eligibility(?:\s+criteria)?|criteria)"
    r"|(?:key|main)\s+eligibility\s+criteria)\s*[:：.]?$",
    re.I,
)

_PRIOR_THERAPY = re.compile(r"prior\s*(?:/|and)?\s*concurrent\s+therapy", re.I)
# the kinds of therapy the legacy (PDQ) records list under 'PRIOR CONCURRENT THERAPY:', each a
# line of its own above what the trial says of it (with a colon, it heads its items already)
_PDQ_THERAPY_LABEL = re.compile(
    r"(?:biologic(?:al)?\s+therapy|immunotherapy|chemotherapy|endocrine\s+therapy|hormonal\s+therapy|radiotherapy|radiation\s+therapy|surgery|other)\s*\.?$",
    re.I,
)

_SECTION_KW = (
    r"non[-\s]?inclusions?|inclusions?|exclusions?|excusion|exlusion|exclussion|inclusi[oó]n|exclusi[oó]n"
    r"|including|excluding|inclusionary|exclusionary"
)
_HEADING = re.compile(
    rf"""^(?P<pre>(?:[^\s:：]+\s+){{0,5}}?)
    (?P<kw>{_SECTION_KW})
    (?:\s*(?:/|and|&|or)\s*(?P<kw2>{_SECTION_KW}))?
    (?P<crit>\s+(?:criteria|criterion|criterias|conditions?|requirements?))?
    (?P<post>[^:：]{{0,80}})
    \s*(?P<colon>[:：])?\s*(?P<rest>.*)$""",
    re.X | re.I,
)
_STOP_PRE = {
    "all", "any", "no", "not", "none", "the", "meet", "meets", "met", "meeting", "fulfil", "fulfils",
    "fulfill", "fulfills", "fulfilling", "satisfy", "satisfies", "see", "per", "must", "will", "and",
    "or", "with", "has", "have", "had", "is", "are", "be", "been", "these", "those", "above", "below",
    "listed", "following", "who", "which", "that", "if", "unless", "to", "of", "in", "on", "an", "a",
    "without", "after", "before", "from", "by", "at", "as", "each", "every", "other", "same",
}
_STOP_POST = {
    "is", "are", "was", "were", "be", "been", "will", "may", "must", "can", "could", "should",
    "apply", "applies", "applied", "defined", "remain", "remains", "met", "listed", "above", "below",
    "not", "has", "have", "described", "outlined", "specified", "detailed", "see",
}
_GENERIC = {
    "key", "main", "principal", "general", "major", "critical", "important", "additional", "other",
    "study", "trial", "patient", "patients", "patient's", "patients'", "subject", "subjects",
    "subject's", "participant", "participants", "participant's", "selection", "eligibility", "all",
    "for", "the", "of", "-", "–", "—", "*", "criteria", "criterion", "list", "medical", "health",
    "summary", "fully", "strictly",
}
_CONNECTOR_END = re.compile(
    r"(?:,|\(|-|/|\b(?:and|or|of|the|a|an|with|to|for|in|on|at|by|than|from|as|not|nor|no|"
    r"including|such|e\.g\.|i\.e\.|is|are|be|per|who|which|that|if|within|without|its|their|his|her))$",
    re.I,
)
_OPENS = re.compile(
    r"(?:[:：]|\b(?:the\s+following(?:\s+\w+){0,3}|as\s+follows|any\s+of|one\s+of|either|below|include|including)"
    r"\s*[.;,]?)\s*$",
    re.I,
)
_OR_LABEL = re.compile(r"\b(?:following|one of|any of|either|or|below)\b", re.I)
_PREAMBLE_WORDS = set(
    """
    patient patients subject subjects participant participants individual individuals person persons
    people candidate candidates volunteer volunteers anyone any one an a the we those who that he she
    they them meet meets meeting met fulfil fulfils fulfill fulfills fulfilling fulfilled satisfy
    satisfies satisfying have has had present presenting screened apply applies applied is are was
    were be been will shall may must should can cannot need needs to not no none nor also only
    following below listed criteria criterion conditions condition characteristics reasons
    requirements exclusion exclusions inclusion excluded exclude exclusionary ineligible eligible
    eligibility included include enrolled enroll enrol enrolment enrollment entry participate
    participating participation allowed permitted study trial research protocol clinical this
    present from in into for of if or and all each every more at with under case order selected
    considered enter entering take taking part time screening baseline either
    """.split()
)
_PREAMBLE_ROLE = {
    "meet", "meets", "meeting", "met", "fulfil", "fulfils", "fulfill", "fulfills", "fulfilled",
    "satisfy", "satisfies", "excluded", "exclude", "exclusion", "exclusionary", "ineligible",
    "eligible", "included", "inclusion", "enrolled", "enroll", "enrol", "entry", "participate",
}
_PREAMBLE_NEGATIVE = {
    "excluded", "exclude", "exclusion", "exclusions", "exclusionary", "ineligible", "none", "not",
    "cannot", "nor",
}
_PREAMBLE_END = re.compile(r"(?:[:：]|\bif|\bfollowing|\bcriteria|\bbelow|\bthey)\s*[:：.]?\s*$", re.I)


@dataclass
class _Heading:
    section: Literal["inclusion", "exclusion"] | None  # None: does not switch section
    group: str | None  # the heading (to its colon) when it names a subgroup: kept as a criterion
    rest: str  # text after the heading's colon on the same line
    line: str = ""  # the whole heading line, bullet removed


def _words(s: str) -> list[str]:
    return re.findall(r"[\w'’-]+|[-–—*]", s.lower())


def _heading(s: str) -> _Heading | None:
    """A physical line (bullet already removed) that is a section heading, or None."""
    if not s or len(s) > 160:
        return None
    core = s.strip().rstrip("*").strip()
    if _LEGACY_HEADING.match(core):
        return _Heading(None, None, "", core)
    m = _HEADING.match(core)
    if not m:
        return None
    pre, kw, kw2, crit, post = m["pre"], m["kw"].lower(), m["kw2"], m["crit"], m["post"]
    colon, rest = m["colon"], m["rest"].strip()
    pre_words = _words(pre)
    if any(w in _STOP_PRE for w in pre_words):
        return None
    if kw in ("including", "excluding", "inclusionary", "exclusionary") and not crit:
        return None
    post_clean = re.sub(r"\([^)]*\)?", " ", post).strip()
    post_words = _words(post_clean)
    if post_clean and not colon and rest == "":
        # "Inclusion criteria for Cohort 1", "Exclusion Criteria - Part B": a qualifier, no sentence.
        if any(w in _STOP_POST for w in post_words) or len(post_words) > 8:
            return None
        if not re.match(r"^(?:[-–—*]|for\b|specific|applicable|in\b|at\b|\w+\s*$)", post_clean, re.I) and not crit:
            return None
    if post_clean and colon and any(w in _STOP_POST for w in post_words) and len(post_words) > 6:
        return None
    if not crit and not colon and (post_clean or pre_words):
        # a bare "Inclusion"/"Exclusion" word needs to stand alone or end with a colon
        if post_clean or len(pre_words) > 2:
            return None
    if not colon and rest:
        return None
    if kw2:
        section = None  # "Inclusion/Exclusion Criteria": a combined heading
    elif kw.startswith("non") or kw.startswith("ex"):
        section = "exclusion"
    else:
        section = "inclusion"
    qualifier = [
        w
        for w in pre_words + _words(post)
        if re.search(r"\w", w)
        and w not in _GENERIC
        and (w not in _PREAMBLE_WORDS or _SUBGROUP_WORD.fullmatch(w))
    ]
    group = None
    if qualifier and not _names_everyone(pre + post):
        group = core[: m.start("rest")].strip() if rest else core
        group = group.rstrip(":：").strip() + ":" if colon else group
    return _Heading(section, group, rest, core)


_EVERY = {"all", "both", "every", "each"}
_EVERYONE_WORDS = _EVERY | {"across", "apply", "applies", "applicable", "includes", "study-wide", "overall"}


def _names_everyone(qualifier: str) -> bool:
    """A heading's qualifier that names every group of the study ('for both phases', '(all
    modules)', 'Study-Wide Eligibility (Across All Study Parts)', NCT04862663, NCT05714553,
    NCT04521413): read as a subgroup, it left its items deciding nothing, though they are asked
    of everyone. Only its quantifier, the names of kinds of group and the words headings are
    made of; 'for phase II only (all phase II subjects)' names one phase."""
    words = [w for w in _words(qualifier) if re.search(r"\w", w)]
    return any(w in _EVERY for w in words) and all(
        w in _EVERYONE_WORDS or w in _GENERIC or w in _PREAMBLE_WORDS or _SUBGROUP_WORD.fullmatch(w) for w in words
    )


def _preamble(text: str, section: str) -> Literal["inclusion", "exclusion"] | None:
    """A sentence that only introduces a section ("Patients will be excluded from study entry if:").

    Every word must be one of the generic words such sentences are made of; a sentence with any
    specific content ("... with a history of malignancy are ineligible except:") is a criterion.
    """
    if len(text) > 200 or not _PREAMBLE_END.search(text[-40:]):
        return None
    words = re.findall(r"[a-z]+", text.lower())
    if len(words) < 4 or not all(w in _PREAMBLE_WORDS for w in words):
        return None
    if not any(w in _PREAMBLE_ROLE for w in words):
        return None
    if any(w in _PREAMBLE_NEGATIVE for w in words):
        return "exclusion"
    if any(w in ("one", "any", "either") for w in words):
        return None  # "must meet one of the following": a choice between the items, not a heading
    if section == "exclusion" and "inclusion" not in words:
        return None
    return "inclusion"


def _qualifier(rest: str) -> bool:
    """Text after a heading's colon that names a subgroup ("Cohort 1a and 1b", "Adolescents")."""
    words = rest.split()
    if not words or len(words) > 10 or re.search(r"[<>=≤≥]|[.;]$", rest):
        return False
    if any(w.lower() in _STOP_POST for w in _words(rest)):
        return False
    if re.search(_SUBGROUP, rest, re.I):
        return True
    return all(w[0].isupper() or w[0].isdigit() or not w[0].isalpha() for w in words)


_SUBGROUP_WORD = re.compile(r"(?:cohort|arm|group|part|phase|stage|module|population)s?", re.I)
_SUBGROUP = (
    r"\b(?:cohorts?|arms?|groups?|parts?|phases?|stages?|modules?|populations?|patients|participants"
    r"|subjects|adolescents|adults|children|parents|caregivers|controls|volunteers|mothers|infants"
    r"|partners|staff|providers|residents|families)\b"
)


@dataclass
class _Unit:
    indent: int
    style: str  # marker style, or "plain" for a line without one
    marker: str
    lines: list[str]
    last_raw: str  # last physical line, for wrap decisions
    text_col: int = 0  # column where the text starts
    heading: _Heading | None = None


def _style(marker: str) -> str:
    m = marker.strip()
    if m in "*•·▪●○◦►▸➢✓⁃∙+":
        return {"*": "star", "+": "plus"}.get(m, "dot")
    if m in "-–—":
        return "dash"
    if re.fullmatch(r"\(\s*\d+\s*\)", m):
        return "(num)"
    if re.fullmatch(r"\[\d+\]", m):
        return "[num]"
    if re.fullmatch(r"\d+\.", m):
        return "num."
    if re.fullmatch(r"\d+\)", m):
        return "num)"
    inner = m.strip("().")
    wrap = "(x)" if m.startswith("(") else m[-1]
    if re.fullmatch(r"[ivxlc]+", inner):
        return f"roman{wrap}"
    if re.fullmatch(r"[IVXLC]+", inner):
        return f"ROMAN{wrap}"
    if inner.islower():
        return f"alpha{wrap}"
    return f"ALPHA{wrap}"


def _clean(s: str) -> str:
    return _ESCAPE.sub(r"\1", s.strip())


def _units(text: str) -> list[_Unit]:
    """Physical lines -> logical units (an item with its wrapped lines, or a heading)."""
    raw_lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    width = max((len(line.rstrip()) for line in raw_lines), default=0)
    wrapped = 60 <= width <= 100  # legacy exports hard-wrap at ~77-90 columns
    raw_lines = _merge_open_headings(_merge_cut_headings(_merge_split_headings(raw_lines)))
    units: list[_Unit] = []
    pending: tuple[int, str] | None = None  # a lone bullet marker waiting for its text
    after_blank = True

    prior_therapy = False  # after a legacy 'PRIOR CONCURRENT THERAPY:' heading
    for raw in raw_lines:
        line = raw.expandtabs(4).rstrip()
        body = line.lstrip()
        indent = len(line) - len(body)
        m = _BULLET.match(body)
        content = m["text"] if m else body
        if not re.search(r"[^\W_]", content):
            if m and not content.strip():
                pending = (indent, m["marker"])  # a lone marker: its text is on the next line
            else:
                after_blank = True  # blank, or punctuation only ("* :", "---")
            continue
        prev = units[-1] if units else None
        continues = (
            m is None
            and pending is None
            and not after_blank
            and prev is not None
            and (prev.heading is None or prev.heading.rest)
            and _continues(prev, body, indent, wrapped, width)
        )
        if not (continues and body[0].islower()):
            heading = _heading(content)
            if heading is None and prior_therapy and _PDQ_THERAPY_LABEL.match(content.strip()):
                # 'PRIOR CONCURRENT THERAPY: / Chemotherapy / - See Disease Characteristics': the
                # name of a kind of therapy heads the lines after it; read as a criterion,
                # 'Chemotherapy' passed a patient on docetaxel in a trial asking 'Chemonaive'
                heading = _Heading(None, None, "", content.strip())
            if heading is not None:
                prior_therapy = prior_therapy or _PRIOR_THERAPY.match(heading.line) is not None
                pending = None
                after_blank = False
                units.append(_Unit(indent, "heading", "", [], line, heading=heading))
                if heading.rest:
                    units[-1].lines.append(heading.rest)
                continue
        if continues:
            assert prev is not None
            prev.lines.append(body)
            prev.last_raw = line
        elif m is not None:
            marker, col = m["marker"], indent + m.start("text")
            inner = _INNER_BULLET.match(content)
            if inner:  # "* • Serum creatinine": a nested bullet flattened onto its parent's marker
                marker, indent, content = inner[1], indent + 2, content[inner.end() :]
            units.append(_Unit(indent, _style(marker), marker, [content], line, col))
        elif pending is not None:
            p_indent, p_marker = pending
            units.append(_Unit(p_indent, _style(p_marker), p_marker, [body], line, indent))
        else:
            units.append(_Unit(indent, "plain", "", [body], line, indent))
        pending = None
        after_blank = False
    parts = [part for unit in units for numbered in _split_inline_numbers(unit) for part in _split_trailing_cohort(numbered)]
    return _merge_alternatives([_another_groups_inclusion(part) for part in parts])


_LONE_OR = re.compile(r"\W*or\W*", re.I)
_ENDS_WITH_OR = re.compile(r"\bOR\s*[:：]?$")


def _merge_alternatives(units: list[_Unit]) -> list[_Unit]:
    """'A OR' then 'B' (or 'A', 'OR', 'B'): one criterion, so the alternatives are not both required."""
    out: list[_Unit] = []
    i = 0
    while i < len(units):
        unit = units[i]
        prev = out[-1] if out else None
        nxt = units[i + 1] if i + 1 < len(units) else None
        text = " ".join(unit.lines)
        if (
            _LONE_OR.fullmatch(text)
            and unit.heading is None
            and prev is not None
            and prev.heading is None
            and nxt is not None
            and nxt.heading is None
        ):
            prev.lines += [text.strip(), *nxt.lines]
            prev.last_raw = nxt.last_raw
            i += 2
            continue
        if (
            prev is not None
            and prev.heading is None
            and unit.heading is None
            and unit.style == prev.style
            and unit.indent == prev.indent
            and _ENDS_WITH_OR.search(" ".join(prev.lines))
        ):
            prev.lines += unit.lines
            prev.last_raw = unit.last_raw
            i += 1
            continue
        out.append(unit)
        i += 1
    return out


def _split_inline_numbers(unit: _Unit) -> list[_Unit]:
    """'10. ALT < 1.1 x ULN 11. Serum creatinine ... 12. ...' (a legacy export joined the items),
    '1.Age ≥80 years 2.Brain metastasis 3.With other malignancies': split where the numbering
    continues in sequence inside the text, twice or more."""
    m = re.fullmatch(r"\(?(\d{1,2})([.)])", unit.marker.strip())
    if not m or unit.heading is not None:
        return [unit]
    number, sep = int(m[1]), m[2]
    text = " ".join(unit.lines)
    cuts: list[tuple[int, int, str]] = []
    pos = 0
    while True:
        n = number + 1
        form = rf"(?:{n}{re.escape(sep)}|\({n}\))" if sep == ")" else rf"{n}\."
        # '2. Brain', or run into its word as the first marker may be: '1.Age ... 2.Brain'
        found = re.compile(rf"(?<=[\s.;,:?!]){form}(?:\s+(?=[A-Za-z(\[])|(?=[A-Z][a-z]))").search(text, pos)
        if not found:
            break
        number = n
        cuts.append((found.start(), found.end(), found.group().strip()))
        pos = found.end()
    if len(cuts) < 2:
        return [unit]
    parts = []
    start, marker = 0, unit.marker
    for cut_start, cut_end, next_marker in cuts:
        parts.append((marker, text[start:cut_start].strip()))
        start, marker = cut_end, next_marker
    parts.append((marker, text[start:].strip()))
    return [
        _Unit(unit.indent, unit.style, marker, [piece], unit.last_raw, unit.text_col)
        for marker, piece in parts
        if piece
    ]


# '... as judged by the investigator. 3. For the patients with breast cancer:' (NCT04946864): the
# heading of a cohort's items run into the end of the line before them
_TRAILING_COHORT = re.compile(
    r"(?<=[.;])\s+(?P<head>(?:(?:\d{1,2}|[ivx]{1,4}|[a-z])[.)]\s*)?For\s+(?:the\s+|all\s+)?"
    r"(?:patients?|participants?|subjects?|women|men|females?|males?|those|cohorts?)\b[^.:;：]{0,80}[:：])\s*$",
    re.I,
)


def _split_trailing_cohort(unit: _Unit) -> list[_Unit]:
    """A line that ends with the heading of the items after it ('... 3. For the patients with
    breast cancer:'): read as one criterion, the heading asked every patient for breast cancer.
    The heading becomes an item of its own, after the line, where it heads those items as a
    line of its own does."""
    if unit.heading is not None:
        return [unit]
    text = " ".join(unit.lines)
    found = _TRAILING_COHORT.search(text)
    if found is None or len(text[: found.start()].split()) < 3:
        return [unit]
    before = _Unit(unit.indent, unit.style, unit.marker, [text[: found.start()].strip()], unit.last_raw, unit.text_col)
    return [before, _Unit(unit.indent, unit.style, unit.marker, [found["head"]], unit.last_raw, unit.text_col)]


# 'Criteria for the Ribociclib and Radiotherapy concomitant phase inclusion criteria' (NCT05664893),
# 'Eligibility criteria for the secondary randomisation to stop or continue cotrimoxazole
# prophylaxis randomisation Inclusion criteria' (NCT02028676), 'Poorly controlled seizures Unblinded
# Phase Crossover inclusion criteria - Participants who were randomized to the control arm ... must
# meet the following criteria to be eligible to crossover to the experimental arm.' (NCT02614794),
# 'Part A1: Monotherapy Dose Escalation inclusion criteria' (NCT04521413)
_GROUP_INCLUSION = re.compile(
    r"\b(?:phases?|crossover|cross-over|randomi[sz]ations?|cohorts?|arms?|parts?|stages?|extension|escalation|expansion|backfills?|period|sub-?study)"
    r"(?:\s+[^\s:：.;]+){0,2}?\s+inclusion\s+criteria\b\s*(?P<after>.*)$",
    re.I,
)
_GROUP_INCLUSION_AFTER = re.compile(r"^(?:[:：]?|[-–—:：]\s.*\bfollowing\b.*)$", re.I)
_NOT_A_HEADING = {
    "not", "no", "meet", "meets", "met", "meeting", "fulfil", "fulfils", "fulfill", "fulfills", "fulfilled",
    "satisfy", "satisfies", "satisfied", "see", "per", "all", "any", "listed", "above", "below", "except",
}


def _another_groups_inclusion(unit: _Unit) -> _Unit:
    """A line, too long or too wordy for `_heading`, that heads the inclusion criteria of another
    phase, arm or randomisation (`_GROUP_INCLUSION`): read as an item, it left the items under
    it in the exclusion block, and 'Aged at least 3 years' (the secondary randomisation's)
    excluded every child of 3 or more from a trial taking them from 3 months. It heads a
    subgroup of inclusion criteria, as 'Crossover inclusion criteria:' does: its items are not
    applied to everyone. Not a line that speaks of meeting such criteria ('Patients who do not
    meet the Part A inclusion criteria')."""
    if unit.heading is not None:
        return unit
    text = _clean(" ".join(unit.lines))
    found = _GROUP_INCLUSION.search(text)
    if found is None or not _GROUP_INCLUSION_AFTER.match(found["after"]):
        return unit
    if any(w in _NOT_A_HEADING for w in _words(text[: found.start()])):
        return unit
    heading = _Heading("inclusion", text, "", text)
    return _Unit(unit.indent, "heading", "", [], unit.last_raw, unit.text_col, heading)


_HEADING_START = re.compile(rf"^\W*(?:[^\s:：]+\s+){{0,4}}?(?:{_SECTION_KW})\b", re.I)


# '... provided all inclusion/' + 'Exclusion Criteria:' + '* are met.': the registry broke the
# words 'inclusion/exclusion criteria' at the slash and made their second half a heading
_SPLIT_BEFORE = re.compile(r"\b(?:inclusion|exclusion)\s*(?:/|\band\b|\bor\b|&)\s*$", re.I)
_SPLIT_HEADING = re.compile(r"^(?:non[-\s]?inclusion|inclusion|exclusion)\s+criteria\s*[:：]?\s*$", re.I)
_SENTENCE_GOES_ON = re.compile(r"^[a-z(]")


def _merge_split_headings(lines: list[str]) -> list[str]:
    """A line that ends 'inclusion/' (or 'inclusion and') before an 'Exclusion Criteria:'
    heading (NCT05275777: 'There is no upper limit on the number of prior treatments provided
    all inclusion/', 'Exclusion Criteria:', '* are met.'): the heading is the rest of the line's
    words, not a section of its own, and every inclusion line after it was made an exclusion.
    The heading is joined to the line, and so is the next line where it goes on with the
    sentence (a lower-case word or a bracket); else the joined line ends with the heading's
    colon ('Key inclusion/Exclusion Criteria:', a combined heading, NCT03315364)."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        j = _next_filled(lines, i + 1)
        if j is not None and _SPLIT_BEFORE.search(line) and _SPLIT_HEADING.match(_bullet_text(lines[j])):
            heading = _bullet_text(lines[j])
            joined = line.rstrip() + ("" if line.rstrip().endswith("/") else " ") + heading
            k = _next_filled(lines, j + 1)
            if k is not None and _SENTENCE_GOES_ON.match(_bullet_text(lines[k])):
                out.append(joined.rstrip(" :：") + " " + _bullet_text(lines[k]))
                i = k + 1
            else:
                out.append(joined)
                i = j + 1
            continue
        out.append(line)
        i += 1
    return out


# 'Key Inclusion Criteria: ... * Key' + 'Exclusion Criteria:' + '* :' (NCT02097810): the registry
# cut the words before 'Exclusion Criteria' off its heading and left them as the last inclusion
# item, and the words after it as the first exclusion item ('* are:', '* (Phase 1 and Phase
# 2):', '* for both phases:', '* : Study-Wide Eligibility (Across All Study Parts)'); it cut
# the words after a heading alone too ('Exclusion Criteria:' + '* for Trial Registration:',
# '* (all modules):', '* - All Participants:')
_CUT_WORD = re.compile(r"^[A-Za-z]+$")
_HEADING_ADJECTIVE = {"key", "main", "major", "principal", "general", "critical", "important", "additional", "other"}
_EXCLUSION_HEADING = re.compile(r"^(?:non[-\s]?inclusion|exclusion)\s+criteria\s*[:：]?\s*$", re.I)
_CUT_REST = re.compile(r"^(?:[:：].*|\([^()]*\)\s*[:：]?|[a-z][^:：]{0,80}[:：])$")
_HEADING_REST = re.compile(r"^(?:\([^()]*\)\s*[:：]?|for\s[^:：]{1,80}[:：])$")


def _merge_cut_headings(lines: list[str]) -> list[str]:
    """The words of a heading the registry cut off it, put back (`_heading` then reads them).

    A lone word before a bare 'Exclusion Criteria:' heading (NCT02097810: 'Key', 'Exclusion
    Criteria:', '* :'): read as an inclusion criterion, 'Key' was never understood, and no
    patient could be eligible. It is the heading's when it is one of the adjectives headings
    are made of ('Key', 'Main', 'Major') or the text heads its inclusion criteria with the same
    word ('Procurement inclusion criteria:', NCT03635632); a word that makes no heading with
    it ('The', NCT05203601) is dropped. The first line after a bare heading is the heading's
    rest when it is a bracket or a 'for ...:' phrase, or names every group of the study
    (`_names_everyone`), or, after such a word, any colon or lower-case phrase ending with one
    ('are:'): read as a label, '(all patients):' made every exclusion its sub-item, and the
    sub-items of a label not understood decide nothing."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = _next_filled(lines, i + 1)
        word = _bullet_text(lines[i])
        cut = j is not None and _cut_word(word, _bullet_text(lines[j]), lines)
        if cut:
            assert j is not None
            out.append("")  # a blank line, as the registry left one: 'key Exclusion Criteria:' wraps nothing
            at, heading = j, f"{word} {_bullet_text(lines[j])}"
        elif _SPLIT_HEADING.match(word):
            at, heading = i, word
        else:
            out.append(lines[i])
            i += 1
            continue
        i = at + 1
        k = _next_filled(lines, i)
        rest = _bullet_text(lines[k]) if k is not None else ""
        if k is not None and rest and (_heading_rest(rest) or (cut and _CUT_REST.match(rest))):
            whole = heading.rstrip(" :：") + ("" if rest[0] in ":：" else " ") + rest
            if _heading(whole) is not None:
                heading, i = whole, k + 1
        if not cut and heading == word:
            out.append(lines[at])  # a heading as it stands
        else:
            out.append(heading if _heading(heading) is not None else _bullet_text(lines[at]))
    return out


def _cut_word(word: str, heading: str, lines: list[str]) -> bool:
    """Is `word`, the line before the bare exclusion heading `heading`, the heading's first word?"""
    if not _CUT_WORD.match(word) or not _EXCLUSION_HEADING.match(heading):
        return False
    return word.lower() in _HEADING_ADJECTIVE or re.search(rf"\b{word}\s+inclusion\s+criteria\b", "\n".join(lines), re.I) is not None


def _heading_rest(text: str) -> bool:
    """The first line after a bare heading that is the rest of it (see `_merge_cut_headings`)."""
    if not text or len(text) > 80:
        return False
    if _HEADING_REST.match(text):
        return True
    return len(text.split()) <= 6 and _names_everyone(text)


def _next_filled(lines: list[str], start: int) -> int | None:
    return next((k for k in range(start, len(lines)) if lines[k].strip()), None)


def _bullet_text(line: str) -> str:
    body = line.strip()
    m = _BULLET.match(body)
    return (m["text"] if m else body).strip()


def _merge_open_headings(lines: list[str]) -> list[str]:
    """'Inclusion Criteria (Only patients who ... eligible to' + 'participate in the trial):'."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        while (
            line.count("(") > line.count(")")
            and len(line) < 200
            and _HEADING_START.match(line)
            and i + 1 < len(lines)
            and lines[i + 1].strip()
            and not _BULLET.match(lines[i + 1].strip())
        ):
            i += 1
            line = f"{line.rstrip()} {lines[i].strip()}"
        out.append(line)
        i += 1
    return out


def _continues(prev: _Unit, body: str, indent: int, wrapped: bool, width: int) -> bool:
    """Is this unmarked line (right after `prev`, no blank between) a hard-wrapped continuation?"""
    last = prev.last_raw.rstrip()
    near_wrap = wrapped and len(last) >= width - 25
    open_end = bool(_CONNECTOR_END.search(last))
    if near_wrap or open_end:
        return True
    first = body[0]
    is_item = prev.style not in ("plain", "heading")
    if last.endswith((":", "：")):
        return False  # an introduced sub-item or paragraph
    if first.islower() or not first.isalpha():
        # lowercase start: a wrapped item; two short plain lines are separate items
        return is_item or len(last) >= 60
    # an uppercase start after a complete short line: a new item or label
    if body.endswith((":", "：")):
        return False
    if is_item and indent >= prev.text_col > 0:
        return True  # aligned under the item's text
    if last.endswith((".", ";", "!", "?")) or not is_item:
        return False
    return is_item and len(last) >= 60


# ---- tree level ------------------------------------------------------------------------------


@dataclass
class _Node:
    section: Literal["inclusion", "exclusion"]
    text: str
    indent: int
    style: str
    marker: str
    label: bool = False  # a short "Hepatic:" topic line whose same-style followers nest under it
    children: list[_Node] = field(default_factory=list)


def _is_label(text: str) -> bool:
    return (
        text.endswith((":", "："))
        and len(text) <= 50
        and len(text.split()) <= 6
        and not _OR_LABEL.search(text)
    )


def _tree(units: list[_Unit]) -> tuple[Criterion, ...]:
    top: list[_Node] = []
    stack: list[_Node] = []  # open items, outermost first; a subgroup heading may sit at the bottom
    section: Literal["inclusion", "exclusion"] = "inclusion"

    def attach(node: _Node) -> None:
        (stack[-1].children if stack else top).append(node)
        stack.append(node)

    for unit in units:
        if unit.heading is not None:
            h = unit.heading
            section = h.section or section
            stack.clear()
            rest = _clean(" ".join(unit.lines))
            rest = rest if re.search(r"\w", rest) else ""
            if rest and _qualifier(rest) and _names_everyone(rest):
                continue  # 'Key inclusion criteria: Study-Wide Eligibility (Across All Study Parts):'
            if rest and _qualifier(rest):
                # "Inclusion Criteria: Cohort 1a and 1b": the whole line heads a subgroup
                attach(_Node(section, _clean(" ".join([h.line, *unit.lines[1:]])), -10, "group", ""))
                continue
            if h.group:
                attach(_Node(section, _clean(h.group), -10, "group", ""))
            if rest:
                attach(_Node(section, rest, unit.indent, "plain", "", _is_label(rest)))
            continue
        text = _clean(" ".join(unit.lines))
        top_level = not stack or (stack[0].style != "group" and unit.indent <= stack[0].indent)
        if len(stack) == 1 and stack[0].style == "group" and _preamble(text, section) == section:
            # 'Exclusion Criteria for Treatment Phase:' + 'Subjects meeting any of the criteria
            # below may not participate in the study:' (NCT05467891): the group's own preamble
            continue
        switch = _preamble(text, section) if unit.style == "plain" or top_level else None
        if switch is not None:
            section = switch
            stack.clear()
            continue
        node = _Node(section, text, unit.indent, unit.style, unit.marker, _is_label(text))
        _place(node, stack)
        attach(node)
    return tuple(_freeze(n) for n in top)


def _place(node: _Node, stack: list[_Node]) -> None:
    """Pop `stack` until its top is `node`'s parent (or empty: a top-level item)."""
    while stack:
        top = stack[-1]
        if top.style == "group":
            return
        _disambiguate(node, top, stack)
        deeper = node.indent > top.indent + 1
        if deeper and (top.style != "plain" or _OPENS.search(top.text)):
            return
        if node.indent < top.indent - 1 and not (node.style == "plain" and top.style != "plain"):
            stack.pop()
            continue
        if node.style == top.style:
            if _first_marker(node.marker) and not _first_marker(top.marker) and _OPENS.search(top.text):
                return  # "9. ... any of the following questions:" then "1. ...": a restarted, nested list
            if top.label and not node.label and node.indent == top.indent:
                return  # "Hepatic:" then "Bilirubin < 2 mg/dL", same bullet: legacy topic label
            stack.pop()
            if _follows(top.marker, node.marker):
                return  # "2." after "1.": the next sibling
            if stack and stack[-1].style == node.style and abs(stack[-1].indent - node.indent) <= 1:
                continue  # the label heading this run: decide again against it
            return
        if _OPENS.search(top.text):
            return
        if any(a.style == node.style and abs(a.indent - node.indent) <= 1 for a in stack[:-1]):
            stack.pop()
            continue
        if node.style == "plain" and top.style != "plain" and node.indent > top.indent:
            return  # a paragraph indented under its item
        stack.pop()
        return


def _follows(before: str, after: str) -> bool:
    a, b = before.strip("().[] ").rstrip(".)"), after.strip("().[] ").rstrip(".)")
    if a.isdigit() and b.isdigit():
        return int(b) == int(a) + 1
    return len(a) == len(b) == 1 and a.isalpha() and ord(b) == ord(a) + 1


def _first_marker(marker: str) -> bool:
    return marker.strip("().[] ").rstrip(".)") in ("1", "a", "A", "i", "I")


def _disambiguate(node: _Node, top: _Node, stack: list[_Node]) -> None:
    """'i.' after 'h.' is a letter, not a Roman numeral."""
    if not node.style.startswith(("roman", "ROMAN")) or len(node.marker.strip("().")) != 1:
        return
    letter = node.marker.strip("().")
    alpha = node.style.replace("roman", "alpha").replace("ROMAN", "ALPHA")
    for a in reversed(stack):
        if a.style == alpha and a.marker.strip("().") == chr(ord(letter) - 1):
            node.style = alpha
            return


def _freeze(node: _Node) -> Criterion:
    return Criterion(
        section=node.section,
        text=node.text,
        children=tuple(_freeze(c) for c in node.children),
    )
