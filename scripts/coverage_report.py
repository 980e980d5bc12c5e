"""How much of the public corpus becomes structure, and what does not:
`python scripts/coverage_report.py [--corpus DIR] [--top N] [--write docs/coverage.md]`.

Runs `engine.coverage` over every ../shared/data/corpus/*.jsonl (the held-out chia/ folder is
not read), prints the counts per file and in total, and the most frequent unparsed pieces,
normalised by `engine.coverage.piece_key` (lower case, each run of digits '#'). With
`--write FILE` the same figures go into a markdown document with the date, together with the
numeric-bound figures of scripts/leaf_bounds.py (against the Leaf hand-written logical forms).

Exits 0 with a message when the corpus folder is absent, 1 when the parser crashed on any criterion.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpus"
KEYS = ("trials", "criteria", "structured", "partial", "unparsed", "errors")


def _pct(n: int, total: int) -> str:
    return f"{100 * n / total:.1f}%" if total else "-"


def run(files: list[Path]) -> tuple[dict[str, dict], dict, Counter, list, float]:
    from engine.coverage import coverage

    per_file: dict[str, dict] = {}
    total = dict.fromkeys(KEYS, 0)
    pieces: Counter[str] = Counter()
    failures: list = []
    started = time.perf_counter()
    for f in files:
        report = coverage([f], pieces=True)
        per_file[f.name] = {k: report[k] for k in KEYS}
        for k in KEYS:
            total[k] += report[k]
        pieces.update(report["pieces"])
        failures.extend(report["failures"])
    return per_file, total, pieces, failures, time.perf_counter() - started


def text_report(per_file, total, pieces, failures, seconds, top: int) -> str:
    lines = [f"{'file':<24} " + " ".join(f"{k:>10}" for k in KEYS)]
    for name, r in [*per_file.items(), ("total", total)]:
        lines.append(f"{name:<24} " + " ".join(f"{r[k]:>10}" for k in KEYS))
    n = total["criteria"]
    lines.append("")
    lines.append(
        f"structured {_pct(total['structured'], n)}, partial {_pct(total['partial'], n)}, "
        f"unparsed {_pct(total['unparsed'], n)}, errors {total['errors']}; {seconds:.1f} s"
    )
    lines.append("")
    lines.append(f"{top} most frequent unparsed pieces ({sum(pieces.values())} pieces, {len(pieces)} distinct):")
    for piece, count in pieces.most_common(top):
        lines.append(f"{count:>7}  {piece}")
    for trial_id, text, error in failures[:20]:
        lines.append(f"ERROR {trial_id}: {error}: {text[:100]!r}")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def markdown(per_file, total, pieces, failures, seconds, top: int, corpus: Path) -> str:
    from engine.parse import grammar_version

    n = total["criteria"]
    out = [
        "# Parser coverage of the public corpus",
        "",
        f"Generated {date.today().isoformat()} by `python scripts/coverage_report.py --write docs/coverage.md` "
        f"(grammar and parser version `{grammar_version()}`), over `{corpus.relative_to(ROOT.parent) if corpus.is_relative_to(ROOT.parent) else corpus}`: "
        "ClinicalTrials.gov API v2 study records, one a line (see `shared/data/README.md`; the held-out `chia/` is not read).",
        "",
        "Every criterion written as text is counted, sub-items included; the age and sex lines made "
        "from a record's structured fields are not. *structured*: no piece of the text was left "
        "unparsed; *partial*: some was; *unparsed*: nothing was understood; *errors*: the parser "
        "crashed (must be 0). Same counts as `elig coverage PATH --format json`.",
        "",
        "| file | trials | criteria | structured | partial | unparsed | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in [*per_file.items(), ("**total**", total)]:
        out.append(f"| {name} | " + " | ".join(str(r[k]) for k in KEYS) + " |")
    out += [
        "",
        f"In all: **{_pct(total['structured'], n)} structured**, {_pct(total['partial'], n)} partial, "
        f"{_pct(total['unparsed'], n)} unparsed, {total['errors']} errors; {seconds:.1f} s on one core.",
        "",
        f"## The {top} most frequent unparsed pieces",
        "",
        f"{sum(pieces.values())} unparsed pieces, {len(pieces)} distinct after normalising "
        "(lower case, each run of digits `#`, white space single, punctuation trimmed at the ends).",
        "",
        "| # | count | piece |",
        "|---:|---:|---|",
    ]
    for rank, (piece, count) in enumerate(pieces.most_common(top), 1):
        out.append(f"| {rank} | {count} | {_cell(piece)} |")
    out += _bounds_section()
    if failures:
        out += ["", "## Errors", ""]
        out += [f"- {trial_id}: {_cell(error)}: `{_cell(text[:120])}`" for trial_id, text, error in failures]
    return "\n".join(out) + "\n"


def _bounds_section() -> list[str]:
    """The numeric-bound figures of scripts/leaf_bounds.py, as a markdown section."""
    sys.path.insert(0, str(ROOT / "scripts"))
    import leaf_bounds

    out = [
        "",
        "## Numeric bounds against the Leaf logical forms",
        "",
        "`python scripts/leaf_bounds.py` compares the bounds `elig parse --format json` gives "
        "(`thresholds`: operator, number, unit) with the `num_filter(eq(op(...), val(...), unit(...)))` "
        "parts of the hand-written logical forms in `shared/data/leaf_clinical_trials_lct/leaf_logical_forms`, "
        "measure-agnostic; `--show missing` (or `op`, `unit`, `op+unit`, `extra`) lists the mismatches. "
        "Its docstring says how gold forms are read.",
        "",
    ]
    figures = leaf_bounds.measure(leaf_bounds.DEFAULT_LEAF)
    if figures is None:
        return [*out, "The Leaf data was not beside this checkout: no figures."]
    kinds = ", ".join(f"{kind} {n}" for kind, n in figures["kinds"].most_common())
    return [
        *out,
        f"{figures['criteria']} criteria, {figures['with_gold']} with a gold numeric bound: "
        f"{figures['gold']} gold bounds, {figures['elig']} from elig, {figures['matched']} the same. "
        f"**Recall {100 * figures['recall']:.1f}%, precision {100 * figures['precision']:.1f}%**. "
        f"Mismatches: {kinds}.",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of *.jsonl study records")
    ap.add_argument("--top", type=int, default=30, help="how many unparsed pieces to list")
    ap.add_argument("--write", type=Path, metavar="FILE", help="also write the figures as markdown here")
    args = ap.parse_args(argv)

    files = sorted(args.corpus.glob("*.jsonl")) if args.corpus.is_dir() else []
    if not files:
        print(f"coverage_report: no corpus at {args.corpus} (*.jsonl): nothing to report")
        return 0
    per_file, total, pieces, failures, seconds = run(files)
    sys.stdout.write(text_report(per_file, total, pieces, failures, seconds, args.top))
    if args.write:
        from engine.cli import write_output

        args.write.parent.mkdir(parents=True, exist_ok=True)
        write_output(markdown(per_file, total, pieces, failures, seconds, args.top, args.corpus.resolve()), str(args.write))
        print(f"written: {args.write}")
    return 1 if total["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
