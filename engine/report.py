"""Screening results for people: a terminal table (rich) and a self-contained HTML page."""

from __future__ import annotations

import html as _html
import io

from engine.screen import CriterionResult, ScreenResult, TrialResult

_SYMBOL = {"eligible": "✔ eligible", "ineligible": "✘ ineligible", "unknown": "? unknown", "pass": "✔ pass", "fail": "✘ fail"}
_COLOUR = {"eligible": "green", "ineligible": "red", "unknown": "yellow", "pass": "green", "fail": "red"}


def _deciding(trial: TrialResult, limit: int = 3) -> str:
    """The reasons that decide a trial's status, shortest first."""
    if trial.status == "ineligible":
        failed = [c for c in trial.criteria if c.status == "fail"]
        lines = [f"{c.section[:3]}: {c.reasons[0] if c.reasons else c.text}" for c in failed]
    elif trial.status == "unknown":
        missing: dict[str, None] = {}
        for c in trial.criteria:
            if c.status == "unknown":
                for m in c.missing or ("assessed by the study team" if not c.missing else "",):
                    missing.setdefault(m, None)
        lines = [f"needs: {m}" for m in missing if m]
    else:
        lines = ["every criterion passes"]
    more = len(lines) - limit
    out = lines[:limit]
    if more > 0:
        out.append(f"(+{more} more)")
    return "\n".join(out)


def table(result: ScreenResult, *, verbose: bool = False, color: bool = False, width: int | None = None) -> str:
    """One table per patient, trials ranked best first. No colour codes unless `color`."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=color, no_color=not color, width=width or 120, highlight=False)
    console.print(f"Screening as of {result.as_of.isoformat()}" + (" (open world)" if result.open_world else ""))
    for patient in result.patients:
        t = Table(title=f"Patient {patient.patient_id}", show_lines=True, expand=True)
        t.add_column("#", justify="right", no_wrap=True)
        t.add_column("trial", no_wrap=True)
        t.add_column("status", no_wrap=True)
        t.add_column("unknown", justify="right", no_wrap=True)
        t.add_column("deciding reasons")
        for rank, trial in enumerate(patient.trials, 1):
            status = f"[{_COLOUR[trial.status]}]{_SYMBOL[trial.status]}[/]"
            t.add_row(str(rank), f"{trial.trial_id}\n{escape(trial.title[:40])}", status, str(trial.unknown), escape(_deciding(trial)))
        console.print(t)
        if verbose:
            for trial in patient.trials:
                console.print(f"\n[bold]{trial.trial_id}[/] {trial.title}")
                for n, c in enumerate(trial.criteria, 1):
                    _print_criterion(console, c, f"{n}", 0)
    return buf.getvalue()


def _print_criterion(console, c: CriterionResult, number: str, depth: int) -> None:
    from rich.markup import escape

    pad = "  " * depth
    status = f"[{_COLOUR.get(c.status, 'yellow')}]{_SYMBOL[c.status]}[/]"
    console.print(f"{pad}{number}. {c.section[:3]} {status} {escape(c.text)}")
    for r in c.reasons:
        console.print(f"{pad}     - {r}", markup=False)
    if c.missing:
        console.print(f"{pad}     missing: {', '.join(c.missing)}", markup=False)
    for k, child in enumerate(c.children, 1):
        _print_criterion(console, child, f"{number}.{k}", depth + 1)


def html(result: ScreenResult) -> str:
    """A self-contained page: no scripts or styles from elsewhere."""
    e = _html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>elig screening</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:70em}"
        ".eligible,.pass{color:#176b2c}.ineligible,.fail{color:#a4161a}.unknown{color:#8a6100}"
        "details{margin:.3em 0}summary{cursor:pointer}li{margin:.2em 0}.r{color:#444;font-size:.9em}</style></head><body>",
        f"<h1>Screening as of {e(result.as_of.isoformat())}</h1>",
    ]
    for patient in result.patients:
        parts.append(f"<h2>Patient {e(patient.patient_id)}</h2>")
        for trial in patient.trials:
            parts.append(
                f"<details><summary><b>{e(trial.trial_id)}</b> {e(trial.title)} — "
                f"<span class='{trial.status}'>{e(_SYMBOL[trial.status])}</span> ({trial.unknown} unknown)</summary><ol>"
            )
            for c in trial.criteria:
                parts.append(_html_criterion(c))
            parts.append("</ol></details>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _html_criterion(c: CriterionResult) -> str:
    e = _html.escape
    out = [f"<li><span class='{c.status}'>{e(_SYMBOL[c.status])}</span> <i>{e(c.section)}</i>: {e(c.text)}"]
    if c.reasons or c.missing:
        out.append("<ul class='r'>")
        out.extend(f"<li>{e(r)}</li>" for r in c.reasons)
        if c.missing:
            out.append(f"<li>missing: {e(', '.join(c.missing))}</li>")
        out.append("</ul>")
    if c.children:
        out.append("<ol>")
        out.extend(_html_criterion(k) for k in c.children)
        out.append("</ol>")
    out.append("</li>")
    return "".join(out)
