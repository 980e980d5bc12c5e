"""Write rules/unit_dimensions.json: `python scripts/unit_dimensions.py [--corpus DIR] [--check]`.

pint's dimensions of every canonical unit spelling parsing can ask `units.comparable` about
without building the registry (engine.units, 'Dimensions without the registry'): the
canonical spellings, the units of the vocabulary's measures, the age units, and the units
written in the corpus when it is beside the checkout. With a digest of engine/units.py,
rules/units.txt and pint's version, so a change to any of them leaves the file unread (pint
answers, as before) until this script is run again. `--check` exits 1 where the file is not
what this tree would write.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "corpus"


def spellings(corpus: Path | None) -> set[str]:
    from engine.units import CANONICAL_UNITS
    from engine.vocab import load_vocabulary

    out = set(CANONICAL_UNITS) | {"years", "months", "weeks", "days", "hours"}
    out |= {c.unit for c in load_vocabulary().concepts("measure") if c.unit}
    files = sorted(corpus.glob("*.jsonl")) if corpus is not None and corpus.is_dir() else []
    if files:
        from engine.coverage import text_criteria
        from engine.lexicon import tokenize
        from engine.normalize import fold
        from engine.trials import load_trials

        texts = {c.text for f in files for t in load_trials(f) for c in text_criteria([t])}
        out |= {str(t.value) for text in texts for t in tokenize(fold(text)) if t.type == "UNIT"}
    return out


def table(corpus: Path | None) -> dict:
    from engine.units import _dimensions_digest, dimensions_of

    dims = {}
    for unit in sorted(spellings(corpus)):
        d = dimensions_of(unit)
        if d is not None:
            dims[unit] = d
    return {"digest": _dimensions_digest(), "dimensions": dims}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from engine.units import _DIMENSIONS, _definitions_file

    path = _definitions_file().with_name(_DIMENSIONS)
    data = table(args.corpus)
    rows = ",\n".join(f"  {json.dumps(u, ensure_ascii=False)}: {json.dumps(d, sort_keys=True)}" for u, d in data["dimensions"].items())
    text = f'{{\n "digest": "{data["digest"]}",\n "dimensions": {{\n{rows}\n }}\n}}\n'  # a spelling a line
    if args.check:
        current = path.read_text(encoding="utf-8") if path.is_file() else ""
        if json.loads(current or "{}").get("digest") != json.loads(text)["digest"]:
            print(f"{path}: stale, run scripts/unit_dimensions.py")
            return 1
        print(f"{path}: current")
        return 0
    path.write_text(text, encoding="utf-8")
    print(f"{path}: {len(json.loads(text)['dimensions'])} spellings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
