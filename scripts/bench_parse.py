"""Parse speed over the public corpus: `python scripts/bench_parse.py [--corpus DIR] [--limit N]`.

Loads every trial of ../shared/data/corpus/*.jsonl with `engine.trials.load_trials`, takes
every criterion written as text (sub-items included; the structured age and sex lines are
not), and parses each distinct text once, cold: the first parse of that text in this fresh
process, pinned to one core where the system allows it. Prints the time to import `engine`
and to parse the first criterion (the grammar, lexicon and vocabulary are built then), the
criteria per second (by the wall clock and by this process's CPU time), p50/p99 per criterion, and the five slowest texts.

With `--stages`, the same texts are then parsed again, warm (every regex compiled, the
unit registry built), one stage at a time, best of three by CPU time and without a
profiler (which inflates the many small calls): folding, tokenizing, the LALR loop alone,
the loop with the tree built, the checks and passes after it. Where the time of a parse
goes, for the next change to aim at.

Exits 0 with a message when the corpus folder is absent (a checkout without ../shared/data).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpus"


def _one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        try:
            cpu = min(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {cpu})
            return f"pinned to CPU {cpu}"
        except OSError:
            pass
    return "not pinned (one thread)"


def _texts(trials) -> list[str]:
    from engine.coverage import text_criteria

    return [c.text for c in text_criteria(trials)]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def _percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    k = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[k]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of *.jsonl study records")
    ap.add_argument("--limit", type=int, default=None, help="parse only the first N distinct texts")
    ap.add_argument("--stages", action="store_true", help="then time each stage of parsing, warm")
    args = ap.parse_args(argv)

    corpus: Path = args.corpus
    files = sorted(corpus.glob("*.jsonl")) if corpus.is_dir() else []
    if not files:
        print(f"bench_parse: no corpus at {corpus} (*.jsonl): nothing to measure")
        return 0

    pinned = _one_core()
    t0 = time.perf_counter()
    import engine  # noqa: F401  (the import is what is timed)
    from engine.parse import parse
    from engine.trials import load_trials

    import_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    trials = [t for f in files for t in load_trials(f)]
    load_s = time.perf_counter() - t0
    texts = _texts(trials)
    distinct = list(dict.fromkeys(texts))
    if args.limit is not None:
        distinct = distinct[: args.limit]

    first_text = distinct[0]
    t0 = time.perf_counter()
    parse(first_text)
    first_s = time.perf_counter() - t0

    times: list[tuple[float, str]] = []
    errors = 0
    t_all, cpu_all = time.perf_counter(), time.process_time()
    for text in distinct[1:]:
        t0 = time.perf_counter()
        try:
            parse(text)
        except Exception:  # counted: elig coverage reports them too
            errors += 1
        times.append((time.perf_counter() - t0, text))
    total_s = time.perf_counter() - t_all
    cpu_s = time.process_time() - cpu_all

    per = sorted(s for s, _ in times)
    rate = len(times) / total_s if total_s else float("inf")
    print(f"corpus          {corpus} ({', '.join(f.name for f in files)})")
    print(f"trials          {len(trials)} (loaded in {load_s:.2f} s)")
    print(f"criteria        {len(texts)} as text, {len(set(texts))} distinct; {len(distinct)} parsed")
    print(f"process         Python {sys.version.split()[0]}, {pinned}")
    print(f"import engine   {_ms(import_s)}")
    print(f"first parse     {_ms(first_s)}  ({first_text[:60]!r})")
    print(f"cold parse      {rate:.0f} criteria/s over {len(times)} texts in {total_s:.2f} s")
    # on a machine shared with other jobs the wall clock counts their time too
    print(f"cold parse, CPU {len(times) / cpu_s if cpu_s else float('inf'):.0f} criteria/s ({cpu_s:.2f} s of CPU time)")
    print(f"per criterion   p50 {_ms(_percentile(per, 0.50))}, p99 {_ms(_percentile(per, 0.99))}, "
          f"mean {_ms(statistics.fmean(per) if per else 0.0)}, max {_ms(per[-1] if per else 0.0)}")
    print(f"errors          {errors}")
    print("slowest 5:")
    for seconds, text in sorted(times, reverse=True)[:5]:
        shown = text if len(text) <= 110 else text[:107] + "..."
        print(f"  {_ms(seconds):>10}  {len(text):>5} chars  {shown}")
    if args.stages:
        _stages(distinct)
    return 0


def _stages(texts: list[str]) -> None:
    """CPU time a criterion of each stage of `engine.parse.parse`, warm, best of three."""
    from engine.lexicon import Tok, tokenize
    from engine.limits import tree_depth
    from engine.normalize import fold
    from engine.parse import parse

    P = sys.modules["engine.parse"]  # the module, not the function

    def best(fn, items) -> float:
        runs = []
        for _ in range(3):
            cpu = time.process_time()
            for x in items:
                try:
                    fn(x)
                except Exception:  # counted in the cold pass
                    pass
            runs.append(time.process_time() - cpu)
        return min(runs) / max(1, len(items))

    texts = [t for t in texts if t.strip()]
    folded = [fold(t) for t in texts]
    toks = [tokenize(f) for f in folded]
    tokens = [[P._lark_token(t) for t in ts] for ts in toks]

    def tree(i: int):  # on copies: a retry retypes the tokens it is given
        return P._tree(texts[i], folded[i], [Tok(t.type, t.start, t.end, t.value, t.text, t.alt) for t in toks[i]])

    built = []
    for i in range(len(texts)):
        try:
            node = tree(i)
        except Exception:  # counted in the cold pass
            node = None
        if node is not None:
            built.append(node)
    whole = best(parse, texts)
    rows = [
        ("fold", best(fold, texts)),
        ("tokenize", best(tokenize, folded)),
        ("LALR loop alone", best(P._lalr, tokens)),
        ("LALR loop + building", best(tree, range(len(texts)))),
        ("tree_depth", best(tree_depth, built)),
        ("_with_modifiers", best(P._with_modifiers, built)),
    ]
    print(f"stages, warm        {len(texts)} texts, CPU, best of 3; parse {whole * 1e6:.1f} us a criterion")
    for name, seconds in rows:
        print(f"  {name:22s} {seconds * 1e6:7.1f} us  {100 * seconds / whole:5.1f} %")


if __name__ == "__main__":
    sys.exit(main())
