"""Screen patients against the whole public corpus and print the verdict counts:
`python scripts/corpus_verdicts.py PATIENT... [--corpus DIR] [--as-of YYYY-MM-DD] [--show ineligible|eligible]
[--limit N] [--seed S]`.

Issue 4 asks that screening a realistic patient (a Synthea bundle from
../shared/data/synthea_fhir_r4_smart) against every corpus trial works, with its counts printed, and
that ineligible verdicts are checked by hand. `--show ineligible` prints, for a random sample of
`--limit` ineligible trials (seeded, so a spot-check can be repeated), each failing criterion with
its text, its canonical reading and the reasons: what a reviewer needs to say right or wrong.

Trials that appear in several corpus files are screened once (first file wins). Exits 0 with a
message when the corpus folder is absent.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpus"


def corpus_trials(folder: Path) -> list:
    """Every trial of every `*.jsonl` in `folder`, each id once."""
    from engine import load_trials

    seen: set[str] = set()
    trials = []
    for f in sorted(folder.glob("*.jsonl")):
        for trial in load_trials(f):
            if trial.trial_id not in seen:
                seen.add(trial.trial_id)
                trials.append(trial)
    return trials


def _failing(criteria, depth: int = 0):
    """The failing criteria, children included, with their depth for indentation."""
    for c in criteria:
        if c.status == "fail":
            yield depth, c
            yield from _failing(c.children, depth + 1)


def show(trial, status: str) -> None:
    print(f"\n== {trial.trial_id} [{trial.status}] {trial.title[:100]}")
    wanted = "fail" if status == "ineligible" else "pass"
    for depth, c in (_failing(trial.criteria) if wanted == "fail" else ((0, c) for c in trial.criteria)):
        pad = "   " * depth
        print(f"  {pad}{c.section[:4]} {c.status}: {c.text[:300]}")
        canonical = getattr(c, "canonical", None)
        if canonical:
            print(f"  {pad}  as read: {canonical[:300]}")
        for reason in c.reasons[:4]:
            print(f"  {pad}  - {reason[:200]}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("patients", nargs="+")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--as-of", type=date.fromisoformat, default=date.today())
    ap.add_argument("--show", choices=("ineligible", "eligible"))
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if not args.corpus.is_dir():
        print(f"no corpus at {args.corpus}; nothing to screen")
        return 0

    import engine

    started = time.perf_counter()
    trials = corpus_trials(args.corpus)
    print(f"{len(trials)} trials loaded in {time.perf_counter() - started:.1f} s")
    for path in args.patients:
        patient = engine.load_patient(path)
        started = time.perf_counter()
        result = engine.screen([patient], trials, as_of=args.as_of)
        seconds = time.perf_counter() - started
        verdicts = result.patients[0].trials
        counts = Counter(t.status for t in verdicts)
        print(
            f"{Path(path).name}: eligible {counts['eligible']}, unknown {counts['unknown']}, "
            f"ineligible {counts['ineligible']} ({seconds:.1f} s)"
        )
        if args.show:
            picked = [t for t in verdicts if t.status == args.show]
            random.Random(args.seed).shuffle(picked)
            for trial in picked[: args.limit]:
                show(trial, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
