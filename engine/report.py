"""Screening results for people: a terminal table (rich) and a self-contained HTML page.

Both show the same things: per patient, the trials ranked best first with a status that
reads without colour (a symbol and a word), the reasons that decide each trial, and what to
collect next (engine.collect). Criteria are numbered as `elig explain` takes them: N is the
criterion's place (1-based) in its trial's list, inclusions then exclusions as the trial
lists them (the JSON `criteria` array); a sub-item of N is N.1, N.2, ...
"""

from __future__ import annotations

import html as _html
import io
from collections.abc import Iterator
from functools import lru_cache

from engine.collect import CollectItem
from engine.nodes import LEAF_KINDS, Judgment, Unparsed, walk
from engine.overview import LabValue, PatientSummary
from engine.screen import CriterionResult, PatientResult, ScreenResult, TrialResult
from engine.trials import HEALTHY_VOLUNTEERS

_MARK = {"eligible": "✔", "ineligible": "✘", "unknown": "?", "pass": "✔", "fail": "✘"}
_ASCII_MARK = {"eligible": "+", "ineligible": "x", "unknown": "?", "pass": "+", "fail": "x"}
_COLOUR = {"eligible": "green", "ineligible": "red", "unknown": "yellow", "pass": "green", "fail": "red"}
_SECTION = {"inclusion": "inc", "exclusion": "exc"}
DECIDING = 3  # reasons or missing items shown per trial in the summary table
COLLECT = 5  # items of 'collect next' shown in the terminal


def can_encode(encoding: str | None) -> bool:
    """Whether a stream in `encoding` can show the status symbols (else use ASCII ones).

    >>> can_encode("utf-8"), can_encode("ascii"), can_encode(None)
    (True, False, False)
    """
    try:
        "".join(_MARK.values()).encode(encoding or "ascii")
    except (LookupError, UnicodeEncodeError):
        return False
    return True


def status_label(status: str, *, ascii: bool = False) -> str:
    """'✔ eligible', or '+ eligible' where the symbols cannot be shown: the word is always there."""
    return f"{(_ASCII_MARK if ascii else _MARK)[status]} {status}"


def numbered(criteria: tuple[CriterionResult, ...], prefix: str = "") -> Iterator[tuple[str, int, CriterionResult]]:
    """(number, depth, criterion) of every criterion and sub-item, in order: '1', '5', '5.1'."""
    for n, c in enumerate(criteria, 1):
        number = f"{prefix}{n}"
        yield number, number.count("."), c
        yield from numbered(c.children, number + ".")


def deciding(trial: TrialResult, *, limit: int = DECIDING) -> list[str]:
    """The lines that decide a trial's status: the failing criteria's first reasons for an
    ineligible trial; how many criteria are unknown and the data they miss for an unknown one."""
    if trial.status == "eligible":
        return ["every criterion passes"]
    if trial.status == "ineligible":
        lines = [
            f"#{number} {_SECTION[c.section]}: {c.reasons[0] if c.reasons else c.text}"
            for number, depth, c in numbered(trial.criteria)
            if depth == 0 and c.status == "fail"
        ]
        return _clip(lines, limit)
    unknown = [c for c in trial.criteria if c.status == "unknown"]
    missing = list(dict.fromkeys(m for c in unknown for m in c.missing))
    study_team = sum(1 for c in unknown if not c.missing)
    lines = [_count(len(unknown), "unknown criterion", "unknown criteria")]
    if missing:
        lines.append("needs " + _series(missing, limit))
    if study_team:
        lines.append(f"{study_team} for the study team (judgment or text not understood)")
    return lines


def _clip(lines: list[str], limit: int) -> list[str]:
    return lines if len(lines) <= limit else [*lines[:limit], f"(+{len(lines) - limit} more)"]


def _series(items: list[str], limit: int) -> str:
    shown = ", ".join(items[:limit])
    return shown if len(items) <= limit else f"{shown} (+{len(items) - limit} more)"


def collect_line(item: CollectItem) -> str:
    """'LVEF: decides 2 trials, settles 3 criteria, needed by 4 trials'."""
    parts = []
    if item.decides:
        parts.append(f"decides {_count(item.decides, 'trial')}")
    if item.settles:
        parts.append(f"settles {_count(item.settles, 'criterion', 'criteria')}")
    parts.append(f"needed by {_count(item.needed_by, 'trial')}")
    return f"{item.item}: {', '.join(parts)}"


def _count(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else many or one + 's'}"


def patient_line(patient: PatientResult) -> str:
    """'Patient p1, 53 years, male: 1 eligible, 2 unknown, 0 ineligible'."""
    facts = [f"Patient {patient.patient_id}"]
    summary = patient.summary
    if summary is not None:
        facts.append(f"{summary.age} years" if summary.age is not None else "age unknown")
        facts.append(summary.sex or "sex unknown")
        if summary.deceased:
            facts.append("deceased" + (f" {summary.deceased.isoformat()}" if summary.deceased is not True else ""))
    counts = {s: sum(1 for t in patient.trials if t.status == s) for s in ("eligible", "unknown", "ineligible")}
    return ", ".join(facts) + ": " + ", ".join(f"{n} {s}" for s, n in counts.items())


def lab_value(lab: LabValue) -> str:
    """'12.6 g/dL': the value rounded to 4 significant digits for reading (the JSON keeps it whole).

    >>> from datetime import date
    >>> lab_value(LabValue(name="glucose", value=71.75712636971397, unit="mg/dL", date=date(2026, 1, 1)))
    '71.76 mg/dL'
    """
    from decimal import Decimal

    from engine.derive import fmt, tidy

    value = fmt(tidy(Decimal(str(lab.value)), 4)) if lab.value is not None else (lab.text or "no value")
    return f"{value} {lab.unit}" if lab.unit else value


# ------------------------------------------------------------------------------- terminal


def table(result: ScreenResult, *, verbose: bool = False, color: bool = False, width: int | None = None, ascii: bool = False) -> str:
    """One table per patient, trials ranked best first; with `verbose`, every criterion.

    No colour codes unless `color`; `ascii` swaps the status symbols and box lines for ASCII
    (a stream that cannot encode them). The status word is always written.
    """
    from rich import box
    from rich.console import Console
    from rich.text import Text

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width or 120, highlight=False, emoji=False)
    style = _Style(ascii=ascii, box=box.ASCII if ascii else box.ROUNDED)
    console.print(f"Screening as of {result.as_of.isoformat()}" + (" (open world)" if result.open_world else ""), markup=False)
    for patient in result.patients:
        console.print()
        console.print(_patient_table(patient, style))
        _print_collect(console, patient.collect_next)
        if verbose:
            for trial in patient.trials:
                console.print()
                console.print(Text("\n").join(_criteria_lines(trial, patient.patient_id, style, console.width)), soft_wrap=True)
    return buf.getvalue()


class _Style:
    def __init__(self, *, ascii: bool, box) -> None:
        self.ascii = ascii
        self.box = box

    def status(self, status: str):
        from rich.text import Text

        return Text(status_label(status, ascii=self.ascii), style=f"bold {_COLOUR.get(status, 'yellow')}")


def _patient_table(patient: PatientResult, style: _Style):
    from rich.table import Table
    from rich.text import Text

    t = Table(title=Text(patient_line(patient)), title_justify="left", title_style="bold", box=style.box, show_lines=True, expand=True)
    t.add_column("#", justify="right", no_wrap=True)
    t.add_column("trial", ratio=2)
    t.add_column("status", no_wrap=True)
    t.add_column("deciding reasons", ratio=5)
    for rank, trial in enumerate(patient.trials, 1):
        t.add_row(str(rank), Text(f"{trial.trial_id}\n{_short(trial.title, 60)}"), style.status(trial.status), Text("\n".join(deciding(trial))))
    return t


def _short(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 3].rstrip() + "..."


def _print_collect(console, items: tuple[CollectItem, ...]) -> None:
    if not items:
        return
    console.print("What to collect next (for the unknown trials):", style="bold", markup=False)
    for item in items[:COLLECT]:
        console.print(f"  - {collect_line(item)}", markup=False)
    if len(items) > COLLECT:
        console.print(f"  (+{len(items) - COLLECT} more: --format json or html lists them all)", markup=False)


def _criteria_lines(trial: TrialResult, patient_id: str, style: _Style, width: int):
    """Every criterion of a trial, numbered as `elig explain` takes them, sub-items indented,
    reasons and missing data wrapped under their criterion. Lines, not a rich Table: a
    table measures every cell, which takes seconds per patient on a large library."""
    import textwrap

    from rich.text import Text

    head = Text.assemble((trial.trial_id, "bold"), "  ", style.status(trial.status), "  ")
    title = textwrap.wrap(trial.title, width=max(width - len(head), 20)) or [""]
    yield head + Text(title[0])
    yield from (Text(" " * len(head) + line) for line in title[1:])
    yield Text(f"  ({_explain_hint(trial.trial_id, patient_id)})", style="dim")
    rows = list(numbered(trial.criteria))
    n = max(len(number) for number, _, _ in rows) if rows else 1
    for number, depth, c in rows:
        head = Text.assemble(f"  {number:<{n}} {_SECTION[c.section]} ", style.status(c.status), " " * (9 - len(c.status)))
        indent = " " * (len(head) + 2 * depth)
        text = textwrap.wrap(c.text, width=max(width - len(indent), 20)) or [""]
        yield head + Text(" " * 2 * depth + text[0])
        for line in text[1:]:
            yield Text(indent + line)
        notes = [*(f"- {r}" for r in own_reasons(c)), *([f"- missing: {', '.join(c.missing)}"] if c.missing else [])]
        for note in notes:
            wrapped = textwrap.wrap(note, width=max(width, len(indent) + 24), initial_indent=indent + "  ", subsequent_indent=indent + "    ")
            for line in wrapped:
                yield Text(line, style="italic" if note.startswith("- missing: ") else "dim")


def _explain_hint(trial_id: str, patient_id: str) -> str:
    return f"elig explain {trial_id} N --patient {patient_id} shows criterion N node by node"


def own_reasons(c: CriterionResult) -> list[str]:
    """A criterion's reasons less those its sub-items show under themselves."""
    below = {r for _, _, child in numbered(c.children) for r in child.reasons}
    return [r for r in c.reasons if r not in below]


# ------------------------------------------------------------------------------- HTML


def html(result: ScreenResult) -> str:
    """A self-contained page: inline styles, no scripts, fonts or anything from elsewhere.

    Each trial is a <details> element that opens to its criteria; every text is escaped.
    """
    e = _html.escape
    world = "open world: history the record does not show is unknown" if result.open_world else "closed world: history the record does not show did not happen"
    parts = [
        "<!doctype html>\n<html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>elig screening as of {e(result.as_of.isoformat())}</title><style>{_CSS}</style></head><body>",
        f"<header><h1>Trial screening</h1><p class='sub'>as of <b>{e(result.as_of.isoformat())}</b> &middot; {e(world)}</p>",
        _LEGEND,
        "</header><main>",
    ]
    if len(result.patients) > 1:
        links = "".join(f"<li><a href='#patient-{e(p.patient_id)}'>{e(patient_line(p))}</a></li>" for p in result.patients)
        parts.append(f"<nav><h3>Patients ({len(result.patients)})</h3><ul>{links}</ul></nav>")
    for patient in result.patients:
        parts.append(_html_patient(patient))
    parts.append("</main></body></html>\n")
    return "".join(parts)


_CSS = """
:root{--ok:#13795b;--ok-bg:#e3f4ec;--no:#b42318;--no-bg:#fdecea;--un:#8a5a00;--un-bg:#fff4d6;
--ink:#1d2433;--mute:#5b6474;--line:#d9dee7;--card:#fff;--page:#f4f6f9;--accent:#2f5bd3}
*{box-sizing:border-box}
body{margin:0;background:var(--page);color:var(--ink);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{background:#1f2a44;color:#fff;padding:1.1rem 2rem}
header h1{margin:0;font-size:1.4rem}header p{margin:.2rem 0 0;color:#cfd6e6}
main{max-width:72rem;margin:0 auto;padding:1rem 2rem 3rem}
.legend{display:flex;gap:1rem;flex-wrap:wrap;margin-top:.6rem;font-size:.85rem;color:#cfd6e6}
.legend span{background:#fff;border-radius:3px;padding:0 .3rem;color:var(--ink)}
nav ul{margin:.2rem 0;padding-left:1.2rem}nav a{color:var(--accent);text-decoration:none}nav a:hover{text-decoration:underline}
section.patient{background:var(--card);border:1px solid var(--line);border-radius:10px;margin:1.4rem 0;padding:1.2rem 1.4rem;box-shadow:0 1px 3px rgba(0,0,0,.05)}
section.patient>h2{margin:0 0 .4rem;font-size:1.25rem}
.facts{display:flex;gap:.5rem 1.4rem;flex-wrap:wrap;margin:.2rem 0 .8rem;color:var(--mute)}
.facts b{color:var(--ink)}
.labs{display:grid;grid-template-columns:repeat(auto-fill,minmax(15rem,1fr));gap:.3rem .8rem;margin:.4rem 0 1rem;padding:0;list-style:none;font-size:.88rem}
.labs li{border-left:3px solid var(--line);padding-left:.5rem}.labs .ln{color:var(--mute)}.labs b{white-space:nowrap}
.labs time{color:var(--mute);font-size:.78rem;white-space:nowrap}
h3{font-size:1rem;margin:1rem 0 .4rem}
.collect{margin:.2rem 0 1rem;padding-left:1.2rem}.collect li{margin:.15rem 0}.collect .n{color:var(--mute);font-size:.88rem}
.badge{display:inline-block;min-width:6.8rem;text-align:center;border-radius:999px;padding:.05rem .6rem;font-weight:600;font-size:.85rem;white-space:nowrap}
.eligible,.pass{color:var(--ok);background:var(--ok-bg)}.ineligible,.fail{color:var(--no);background:var(--no-bg)}.unknown{color:var(--un);background:var(--un-bg)}
details.trial{border:1px solid var(--line);border-radius:8px;margin:.5rem 0;background:#fff}
details.trial>summary{cursor:pointer;list-style:none;display:grid;grid-template-columns:2rem 8rem 1fr;gap:.2rem .8rem;padding:.6rem .9rem;align-items:start}
details.trial>summary::-webkit-details-marker{display:none}
details.trial>summary:hover{background:#f7f9fc}details.trial[open]>summary{border-bottom:1px solid var(--line);background:#f7f9fc}
.rank{color:var(--mute);font-weight:600}.rank::before{content:"\\25B8 ";color:var(--accent)}details[open] .rank::before{content:"\\25BE "}
.tid{font-weight:700}.title{color:var(--mute)}
.why{grid-column:3;margin:.2rem 0 0;padding-left:1.1rem;font-size:.88rem}
.criteria{padding:.4rem .9rem .8rem}.criteria h4{margin:.8rem 0 .3rem;font-size:.8rem;text-transform:uppercase;letter-spacing:.05em;color:var(--mute)}
ol.crit{list-style:none;margin:0;padding:0}ol.crit ol.crit{margin-left:1.6rem;border-left:2px solid var(--line);padding-left:.6rem}
li.c{display:grid;grid-template-columns:3rem 6.8rem 1fr;gap:.1rem .6rem;padding:.45rem 0;border-top:1px solid #eef1f5}
li.c>.num{color:var(--mute);font-variant-numeric:tabular-nums;text-align:right}
li.c>.body{min-width:0}li.c>ol.crit{grid-column:1/-1}
.hint{margin:.3rem 0 0;font-size:.8rem;color:var(--mute)}.hint code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
.text{margin:0}.read{margin:.15rem 0 0;font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--mute)}
mark.ok{background:#dff3e8;color:inherit;border-bottom:2px solid #62b68d;padding:0 1px}
mark.no{background:#fbe3e1;color:inherit;border-bottom:2px dashed #d1635a;padding:0 1px}
mark.judge{background:#e6ecfb;color:inherit;border-bottom:2px dotted #6b86d6;padding:0 1px}
ul.reasons{margin:.25rem 0 0;padding-left:1.1rem;font-size:.88rem;color:#38404f}
.missing{margin:.2rem 0 0;font-size:.88rem;color:var(--un)}.missing b{font-weight:600}
@media print{details.trial{break-inside:avoid}}
"""

_LEGEND = (
    "<div class='legend'>Criterion text: <span><mark class='ok'>understood</mark></span>"
    "<span><mark class='judge'>for the study team</mark></span><span><mark class='no'>not understood</mark></span></div>"
)


def _html_patient(patient: PatientResult) -> str:
    e = _html.escape
    parts = [f"<section class='patient' id='patient-{e(patient.patient_id)}'><h2>Patient {e(patient.patient_id)}</h2>"]
    parts.append(_html_summary(patient.summary))
    parts.append(_html_collect(patient.collect_next))
    parts.append(f"<h3>Trials, best first ({len(patient.trials)})</h3>")
    for rank, trial in enumerate(patient.trials, 1):
        parts.append(_html_trial(rank, trial, patient.patient_id))
    parts.append("</section>")
    return "".join(parts)


def _html_summary(summary: PatientSummary | None) -> str:
    if summary is None:
        return ""
    e = _html.escape
    age = f"{summary.age} years" if summary.age is not None else "unknown"
    born = f" (born {summary.birth_date.isoformat()})" if summary.birth_date else ""
    died = ""
    if summary.deceased:
        died = "<span>Deceased <b>" + e(summary.deceased.isoformat() if summary.deceased is not True else "yes") + "</b></span>"
    parts = [f"<div class='facts'><span>Age <b>{e(age)}</b>{e(born)}</span><span>Sex <b>{e(summary.sex or 'unknown')}</b></span>{died}</div>"]
    if summary.labs:
        parts.append("<h3>Latest measurements</h3><ul class='labs'>")
        parts.extend(
            f"<li><span class='ln'>{e(lab.name)}</span> <b>{e(lab_value(lab))}</b> <time>{e(lab.date.isoformat())}</time></li>"
            for lab in summary.labs
        )
        parts.append("</ul>")
    return "".join(parts)


def _html_collect(items: tuple[CollectItem, ...]) -> str:
    if not items:
        return ""
    e = _html.escape
    rows = "".join(
        f"<li><b>{e(i.item)}</b> <span class='n'>{e(collect_line(i).split(': ', 1)[1])} ({e(', '.join(i.trials))})</span></li>" for i in items
    )
    return f"<h3>What to collect next</h3><ol class='collect'>{rows}</ol>"


def _html_trial(rank: int, trial: TrialResult, patient_id: str) -> str:
    e = _html.escape
    why = "".join(f"<li>{e(line)}</li>" for line in deciding(trial))
    parts = [
        f"<details class='trial' id='trial-{e(trial.trial_id)}' data-status='{trial.status}'><summary>",
        f"<span class='rank'>{rank}</span><span class='badge {trial.status}'>{e(status_label(trial.status))}</span>",
        f"<span><span class='tid'>{e(trial.trial_id)}</span> <span class='title'>{e(trial.title)}</span></span>",
        f"<ul class='why'>{why}</ul></summary><div class='criteria'>",
        f"<p class='hint'><code>{e(_explain_hint(trial.trial_id, patient_id))}</code></p>",
    ]
    for section in ("inclusion", "exclusion"):
        rows = [(str(n), c) for n, c in enumerate(trial.criteria, 1) if c.section == section]
        if rows:
            parts.append(f"<h4>{section} criteria</h4><ol class='crit'>")
            parts.extend(_html_criterion(number, c) for number, c in rows)
            parts.append("</ol>")
    parts.append("</div></details>")
    return "".join(parts)


def _html_criterion(number: str, c: CriterionResult) -> str:
    e = _html.escape
    body = []
    if c.curated:
        body.append(f"<p class='text'>{e(c.text)}</p><p class='read'>read as: {_highlighted(c.canonical)}</p>")
    elif c.text.startswith(HEALTHY_VOLUNTEERS):  # a record field, judged without parsing
        body.append(f"<p class='text'>{e(c.text)}</p>")
    else:
        body.append(f"<p class='text'>{_highlighted(c.text)}</p>")
    reasons = own_reasons(c)
    if reasons:
        body.append("<ul class='reasons'>" + "".join(f"<li>{e(r)}</li>" for r in reasons) + "</ul>")
    if c.missing:
        body.append(f"<p class='missing'><b>Missing:</b> {e(', '.join(c.missing))}</p>")
    kids = ""
    if c.children:
        kids = "<ol class='crit'>" + "".join(_html_criterion(f"{number}.{k}", child) for k, child in enumerate(c.children, 1)) + "</ol>"
    return (
        f"<li class='c' data-status='{c.status}'><span class='num'>{e(number)}</span>"
        f"<span><span class='badge {c.status}'>{e(status_label(c.status))}</span></span>"
        f"<div class='body'>{''.join(body)}</div>{kids}</li>"
    )


_MARK_CLASS = {"understood": "ok", "judgment": "judge", "unparsed": "no"}


def _highlighted(text: str) -> str:
    """The text, escaped, with what the parser understood, left to the study team, or did not
    understand marked: the spans of the leaves of its parse tree."""
    e = _html.escape
    return "".join(e(piece) if kind is None else f"<mark class='{_MARK_CLASS[kind]}'>{e(piece)}</mark>" for piece, kind in segments(text))


@lru_cache(maxsize=4096)
def segments(text: str) -> tuple[tuple[str, str | None], ...]:
    """The text cut where its parse tree's leaves start and end, each piece marked
    'understood', 'judgment', 'unparsed' or None (connecting words, punctuation).

    >>> segments("ANC >= 1500/uL unless due to marrow involvement")
    (('ANC >= 1500/uL', 'understood'), (' unless ', None), ('due to marrow involvement', 'unparsed'))
    """
    from engine.parse import parse

    marks: list[str | None] = [None] * len(text)
    rank = {None: 0, "understood": 1, "judgment": 2, "unparsed": 3}
    for node in walk(parse(text)):
        if node.kind not in LEAF_KINDS:
            continue
        kind = "unparsed" if isinstance(node, Unparsed) else "judgment" if isinstance(node, Judgment) else "understood"
        for i in range(max(node.span.start, 0), min(node.span.end, len(text))):
            if rank[kind] > rank[marks[i]]:
                marks[i] = kind
    out: list[tuple[str, str | None]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text) or marks[i] != marks[start]:
            out.append((text[start:i], marks[start]))
            start = i
    return tuple(out)
