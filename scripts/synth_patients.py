"""Write synthetic FHIR R4 patient bundles: `python scripts/synth_patients.py OUT_DIR [--count N] [--seed S]`.

One `synth-<seed>-<index>.json` per patient (engine.synth: seeded, reproducible), each written
to a temporary file and renamed, so a folder never holds half a bundle. `elig screen OUT_DIR`
screens them all.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", type=Path, help="folder to write the bundles in (made if missing)")
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 6, 1), help="dates are drawn back from this day")
    args = ap.parse_args(argv)
    from engine.synth import patient_bundle

    args.out.mkdir(parents=True, exist_ok=True)
    for index in range(args.count):
        target = args.out / f"synth-{args.seed}-{index:06d}.json"
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(patient_bundle(args.seed, index, as_of=args.as_of), indent=1), encoding="utf-8")
        tmp.replace(target)
    print(f"{args.count} bundles (seed {args.seed}) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
