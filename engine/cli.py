"""The `elig` command: parse, screen, coverage, explain (see ../shared/CONTRACT.md).

argparse, not a framework: it starts in a few milliseconds. Every bad input ends with
exit status 2 and one line on stderr naming the file, the place and the problem; output
files are written to a temporary file and renamed, so none is ever half-written.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from engine.errors import EligError, InputError, decode_utf8

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERNAL = 3  # a bug: nothing is written to --output


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # usage errors: exit 2 with one line, as bad input
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def _build() -> argparse.ArgumentParser:
    p = _Parser(prog="elig", description="Clinical-trial eligibility: parse criteria, screen patients against trials.")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    pp = sub.add_parser("parse", help="parse criteria into predicate trees")
    pp.add_argument("text", nargs="*", help="criteria; none: one a line from stdin")
    pp.add_argument("--format", choices=("text", "json"), default="text")

    ps = sub.add_parser("screen", help="screen patients against trials")
    ps.add_argument("patients", nargs="+", metavar="PATIENT", help="FHIR R4 bundle, own-format patient file, or a directory of them")
    ps.add_argument("--trials", action="append", metavar="PATH", help="trial files or directories (default: the bundled library)")
    ps.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD", help="screening date (default: today)")
    ps.add_argument("--open-world", action="store_true", help="history the record does not show is unknown, not absent")
    ps.add_argument("--format", choices=("table", "json", "html"), default="table")
    ps.add_argument("--output", metavar="FILE", help="write here instead of stdout")
    ps.add_argument("--verbose", "-v", action="store_true", help="table: show every criterion, numbered as elig explain takes them")
    ps.add_argument(
        "--workers", type=_positive, default=None, metavar="N",
        help="processes to screen the patients in (default 1) and to parse uncached criteria in (default: all cores); the result is the same",
    )

    pe = sub.add_parser("explain", help="one criterion's tree, each node's verdict and reasons, for one patient")
    pe.add_argument("trial", metavar="TRIAL", help="a trial id among the trials given (default: the bundled library)")
    pe.add_argument("number", metavar="CRITERION", help="its number as elig screen --verbose shows it: N (1-based, inclusions then exclusions), N.K for a sub-item")
    pe.add_argument("--patient", required=True, metavar="PATIENT", help="one patient file")
    pe.add_argument("--trials", action="append", metavar="PATH", help="trial files or directories (default: the bundled library)")
    pe.add_argument("--as-of", type=_date, default=None, metavar="YYYY-MM-DD", help="screening date (default: today)")
    pe.add_argument("--open-world", action="store_true", help="history the record does not show is unknown, not absent")
    pe.add_argument("--format", choices=("text", "json"), default="text")

    pc = sub.add_parser("coverage", help="how much of the criteria under PATH became structure")
    pc.add_argument("paths", nargs="+", metavar="PATH")
    pc.add_argument("--format", choices=("text", "json"), default="text")
    return p


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"not a number of processes (1 or more): {text!r}")
    return number


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    _utf8_stdout()
    args = _build().parse_args(argv)
    try:
        if args.command == "parse":
            return _parse(args)
        if args.command == "screen":
            return _screen(args)
        if args.command == "coverage":
            return _coverage(args)
        if args.command == "explain":
            return _explain(args)
    except EligError as exc:
        print(f"elig: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # `elig ... | head`
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:  # Ctrl-C: one line, not a traceback; --output is left as it was
        print("elig: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug of elig's, not bad input: one line, the traceback on request
        if os.environ.get("ELIG_DEBUG"):
            raise
        print(f"elig: internal error ({type(exc).__name__}: {str(exc)[:200]}); this is a bug in elig: "
              "ELIG_DEBUG=1 shows the traceback", file=sys.stderr)
        return EXIT_INTERNAL
    return EXIT_BAD_INPUT


_STDOUT_ENCODING: str | None = None  # before _utf8_stdout: can the terminal show '✔'?


def _utf8_stdout() -> None:
    """JSON, tables and reasons carry '≥', 'µ', 'é': write them as UTF-8 (RFC 8259 for JSON)
    even where the locale says otherwise (a pipe on Windows, LANG=C on old systems), rather
    than stop half-way with an encoding error."""
    global _STDOUT_ENCODING
    _STDOUT_ENCODING = getattr(sys.stdout, "encoding", None)
    encoding = (_STDOUT_ENCODING or "").lower().replace("-", "").replace("_", "")
    if encoding not in ("utf8", "utf8sig") and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(encoding="utf-8")


# ---------------------------------------------------------------------------------------


def parse_record(text: str) -> dict:
    """One line of `elig parse --format json`.

    >>> record = parse_record("ANC >= 500/uL")
    >>> sorted(record)
    ['canonical', 'predicate', 'text', 'thresholds', 'unparsed']
    >>> record["thresholds"]
    [{'measure': 'absolute neutrophil count', 'op': '>=', 'value': 500, 'unit': '/uL', 'relative_to': None}]
    """
    from engine.parse import parse
    from engine.render import render
    from engine.summary import thresholds, unparsed

    tree = parse(text)
    return {
        "text": text,
        "predicate": tree.model_dump(mode="json"),
        "canonical": render(tree),
        "thresholds": thresholds(tree),
        "unparsed": unparsed(tree),
    }


def _parse(args) -> int:
    texts = _arguments(args.text) if args.text else _stdin_lines()
    out = sys.stdout
    for text in texts:
        if not text.strip():
            continue
        record = parse_record(text)
        if args.format == "json":
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write(f"{text}\n  canonical: {record['canonical']}\n")
            for t in record["thresholds"]:
                rel = f" x {t['relative_to']}" if t["relative_to"] else ""
                unit = f" {t['unit']}" if t["unit"] else ""
                out.write(f"  threshold: {t['measure']} {t['op']} {t['value']}{unit}{rel}\n")
            for piece in record["unparsed"]:
                out.write(f"  unparsed:  {piece}\n")
    return EXIT_OK


def _arguments(texts: list[str]) -> list[str]:
    """The criteria given as arguments; bytes that were not UTF-8 (kept by Python as lone
    surrogates) are an InputError naming the argument, not text to parse."""
    for number, text in enumerate(texts, start=1):
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise InputError(f"argument {number}", f"character {exc.start + 1}", "not UTF-8 text") from None
    return texts


def _stdin_lines() -> Iterator[str]:
    """Criteria from stdin, one a line, read as UTF-8 whatever the locale says, a line at a
    time (so `elig parse` works in a pipe); a byte that is not UTF-8 is an InputError with
    its line and column."""
    binary = getattr(sys.stdin, "buffer", None)
    if binary is None:  # already text (a StringIO in place of stdin)
        yield from (line.rstrip("\r\n") for line in sys.stdin)
        return
    for number, raw in enumerate(binary, start=1):
        yield decode_utf8(raw, "<stdin>", first_line=number).rstrip("\r\n")


def _coverage(args) -> int:
    """A bad trial file is one line on stderr, as it is met; the others are counted, and the
    exit status is 2 when anything was skipped (no report at all when nothing could be read)."""
    from engine.coverage import coverage

    skipped: list[InputError] = []

    def skip(exc: InputError) -> None:
        skipped.append(exc)
        print(f"elig: {exc} (skipped)", file=sys.stderr, flush=True)

    started = time.perf_counter()
    report = coverage([Path(p) for p in args.paths], progress=sys.stderr.isatty(), on_error=skip)
    report["seconds"] = round(time.perf_counter() - started, 3)
    report["skipped"] = len(skipped)
    if skipped and not report["trials"]:
        return EXIT_BAD_INPUT
    if args.format == "json":
        keys = ("trials", "criteria", "structured", "partial", "unparsed", "errors", "skipped", "seconds")
        print(json.dumps({k: report[k] for k in keys}))
    else:
        n = max(report["criteria"], 1)
        print(f"trials      {report['trials']}")
        print(f"criteria    {report['criteria']}")
        for key in ("structured", "partial", "unparsed", "errors"):
            print(f"{key:<11} {report[key]} ({100 * report[key] / n:.1f}%)")
        if skipped:
            print(f"skipped     {len(skipped)} (bad inputs, named on stderr)")
        print(f"seconds     {report['seconds']}")
    return EXIT_BAD_INPUT if skipped else EXIT_OK


def _screen(args) -> int:
    from engine.screen import screen_files

    as_of = args.as_of or date.today()
    result, problems = screen_files(
        args.patients, args.trials, as_of=as_of, open_world=args.open_world, progress=sys.stderr.isatty(), workers=args.workers
    )
    for message in problems:  # one line each; the run goes on with the rest
        print(f"elig: {message}", file=sys.stderr)
    if result is None:  # every patient, or every trial, was bad: no result document at all
        return EXIT_BAD_INPUT
    if args.format == "json":
        text = json.dumps(result.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n"
    elif args.format == "html":
        from engine.report import html

        text = html(result)
    else:
        from engine.report import can_encode, table

        terminal = args.output is None and sys.stdout.isatty()
        text = table(
            result,
            verbose=args.verbose,
            color=terminal and not os.environ.get("NO_COLOR"),
            width=shutil.get_terminal_size().columns if terminal else None,
            ascii=args.output is None and not can_encode(_STDOUT_ENCODING),
        )
    write_output(text, args.output)
    return EXIT_BAD_INPUT if problems else EXIT_OK


def _explain(args) -> int:
    from engine.explain import explain, explain_text, find_trial
    from engine.patients import load_patients
    from engine.report import can_encode
    from engine.screen import bundled_trials_dir, load_trial_files

    as_of = args.as_of or date.today()
    patients = load_patients([Path(args.patient)])
    if len(patients) != 1:
        raise InputError(args.patient, None, f"holds {len(patients)} patients; explain takes one")
    trials = load_trial_files(args.trials)
    where = ", ".join(args.trials) if args.trials else str(bundled_trials_dir())
    trial = find_trial(trials, args.trial, where)
    report = explain(trial, args.number, patients[0], as_of=as_of, open_world=args.open_world)
    if args.format == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    else:
        text = explain_text(report, patients[0].id, as_of=as_of, ascii=not can_encode(_STDOUT_ENCODING))
    sys.stdout.write(text)
    return EXIT_OK


def write_output(text: str, path: str | None) -> None:
    """Write all of `text` or nothing: a temporary file beside the target, then a rename.

    The file gets the mode the target had, or the usual one for a new file (0666 less the
    umask), not the temporary file's 0600. Any failure leaves the target as it was, removes
    the temporary file and is an InputError naming the target.
    """
    if path is None:
        sys.stdout.write(text)
        return
    target = Path(path)
    if target.is_dir():
        raise InputError(str(target), None, "cannot write: is a directory")
    try:
        mode = target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise InputError(str(target), None, f"cannot write: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InputError(str(target), None, f"cannot write: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
