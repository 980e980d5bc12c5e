"""Every corpus criterion with its canonical rendering and a digest of its tree, one JSON
object a line: `python scripts/parse_snapshot.py OUT [--corpus DIR] [--compare OLD]`.

A change meant to make parsing faster must not change what anything parses to: write a
snapshot before the change, one after, and compare them (`--compare` prints the texts whose
tree or rendering changed and exits 1 when there are any). Parses in parallel over all cores
and never reads or writes the parse cache.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpus"


def _texts(corpus: Path) -> list[str]:
    from engine.coverage import text_criteria
    from engine.trials import load_trials

    trials = [t for f in sorted(corpus.glob("*.jsonl")) for t in load_trials(f)]
    return sorted({c.text for c in text_criteria(trials)})


def _snapshot(texts: list[str]) -> list[str]:
    from engine.parse import parse
    from engine.render import render

    lines = []
    for text in texts:
        try:
            tree = parse(text)
            row = {"text": text, "canonical": render(tree), "tree": hashlib.sha1(tree.model_dump_json().encode()).hexdigest()}
        except Exception as exc:  # recorded: a crash before or after is a difference too
            row = {"text": text, "error": f"{type(exc).__name__}: {exc}"}
        lines.append(json.dumps(row, ensure_ascii=False))
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="snapshot file to write (JSON Lines)")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--compare", type=Path, help="an earlier snapshot to compare with")
    args = ap.parse_args(argv)
    os.environ["ELIG_CACHE_DIR"] = "off"
    if not args.corpus.is_dir():
        print(f"parse_snapshot: no corpus at {args.corpus}: nothing to do")
        return 0
    texts = _texts(args.corpus)
    workers = os.cpu_count() or 1
    chunks = [texts[i::workers * 8] for i in range(workers * 8)]
    with ProcessPoolExecutor(workers) as pool:
        rows = sorted(line for part in pool.map(_snapshot, chunks) for line in part)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tmp.replace(args.out)
    print(f"{len(rows)} criteria -> {args.out}")
    if args.compare is None:
        return 0
    old = {json.loads(line)["text"]: line for line in args.compare.read_text(encoding="utf-8").splitlines()}
    new = {json.loads(line)["text"]: line for line in rows}
    changed = sorted(t for t in old.keys() | new.keys() if old.get(t) != new.get(t))
    for text in changed[:20]:
        print(f"changed: {text[:120]!r}\n  before {old.get(text, '-')[:300]}\n  after  {new.get(text, '-')[:300]}")
    print(f"{len(changed)} of {len(new)} criteria changed")
    return 1 if changed else 0


if __name__ == "__main__":
    sys.exit(main())
