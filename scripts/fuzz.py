"""Fuzz the criteria language and the patient and trial loaders: `python scripts/fuzz.py`.

    python scripts/fuzz.py --minutes 5 --seed 1            # every target, 5 minutes in all
    python scripts/fuzz.py --target parse --minutes 10     # one target
    python scripts/fuzz.py --replay fuzz-findings/parse-1a2b3c4d.json

Hypothesis draws the inputs (no shrinking: each input is kept as drawn), in batches, each
batch seeded from --seed, until the time is up:

    parse    criteria-like text from the language's own pieces (vocabulary measures and
             synonyms, operators in every spelling, numbers with commas and powers, units,
             'within 4 weeks prior to', 'or', 'and/or', 'unless', brackets, guillemets,
             judgments) and Unicode look-alikes (Cyrillic letters, full-width digits,
             zero-width and no-break spaces, combining marks); one text in twenty is a
             piece repeated up to 2,000 times. Each text goes through the
             whole pipeline: parse, render, parse the canonical text again, evaluate both
             trees against a synthetic patient in the closed and the open world.
    fhir     FHIR bundles (examples/*.json, and when ../shared/data is there the Synthea
             bundles, cut to their first 60 resources) with a few values replaced, keys
             deleted, entries doubled, or the file's bytes cut or flipped; each read with
             engine.load_patient and screened against the bundled trials.
    trials   ClinicalTrials.gov records (a built-in one, and when ../shared/data is there
             the first records of the corpus) mutated the same way, read with load_trials
             and every criterion parsed.

A finding is an exception that is not the project's own clear error (engine.errors.EligError),
a canonical text that does not parse back to the same verdicts, or one input taking more
than --slow seconds. Each distinct finding (by kind and the line that raised) is saved with
the input that shows it to --out (default ./fuzz-findings/), and listed at the end. Exit
status 1 when there are findings. docs/fuzzing.md says what the runs so far found.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import json
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared" / "data"

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from engine.errors import EligError  # noqa: E402

AS_OF = date(2026, 6, 1)

# ------------------------------------------------------------------------------ criteria text

OPERATORS = [">=", "<=", ">", "<", "=", "≥", "≤", "=>", "=<", ">/=", "</=", "≧", "≦", "⩾", "⩽", "greater than", "less than", "at least", "no more than", "of at least", "or greater", "or more", "or less", "and above", "up to", "over", "under", "≥ ", "=="]
CONNECTIVES = ["and", "or", "and/or", "nor", "neither", "either", "unless", "except", "with the exception of", "if", "not", "no", "without", "but", ",", ";", ":", "/", "-", "–", "(", ")", "[", "]", "«", "»", ".", "...", "e.g.", "such as", "including", "i.e.", "whichever is longer", "respectively", "per", "x", "×", "*"]
TIME = ["within", "prior to", "before", "after", "days", "weeks", "months", "years", "hours", "half-lives", "day 1", "screening", "enrollment", "randomization", "first dose", "informed consent", "of study treatment", "ago", "in the past", "history of", "active", "uncontrolled", "current", "prior"]
NUMBERS = ["0", "1", "1.5", "2.5", "3", "10", "18", "65", "100", "1,500", "100,000", "1.000", "10^9", "10⁹", "x 10^9/L", "1e3", "½", "-1", "0.0", "99999999999999999999", "1.2.3", "12-", "3-5", "5 to 10", "between 2 and 3", "1/2", "50%"]
UNITS = ["/uL", "/μL", "/µL", "/mm3", "/mm³", "cells/mm3", "g/dL", "g/L", "mg/dL", "mmol/L", "µmol/L", "umol/L", "mL/min", "mL/min/1.73 m2", "mL/min/1.73m²", "%", "mmHg", "kg/m2", "kg", "mg", "mg/day", "mg/m2", "IU/L", "U/L", "x ULN", "× ULN", "ULN", "LLN", "times the upper limit of normal", "cm", "bpm", "ms", "furlongs", "10*9/L", "G/L", "K/uL"]
JUDGED = ["in the opinion of the investigator", "able to provide informed consent", "willing to comply", "life expectancy", "adequate contraception", "judgment(consent)", "judgment(compliance)", "«", "»", "«not understood»"]
LOOK_ALIKES = ["А", "В", "С", "Е", "О", "Р", "ａ", "Ａ", "０", "１", "５", "\u00a0", "\u200b", "\u200e", "\u202e", "\ufeff", "\u0301", "\u2009", "\u2028", "\t", "\n", "\r", "＞", "＜", "＝", "ℓ", "µ", "μ", "ﬁ", "\\", "\\>", "\\<", "&gt;", "&lt;", "\x00", "\ud800"]


def _vocabulary_words() -> list[str]:
    from engine.vocab import load_vocabulary

    vocab = load_vocabulary()
    words: list[str] = []
    for kind in ("measure", "condition", "drug", "drug_class", "procedure"):
        for concept in vocab.concepts(kind):
            words.append(concept.name)
            words.extend(concept.synonyms[:3])
    return sorted(set(words))


def criteria_text(words: list[str]) -> st.SearchStrategy[str]:
    piece = st.one_of(
        st.sampled_from(words),
        st.sampled_from(OPERATORS),
        st.sampled_from(CONNECTIVES),
        st.sampled_from(TIME),
        st.sampled_from(NUMBERS),
        st.integers(0, 10**6).map(str),
        st.sampled_from(UNITS),
        st.sampled_from(JUDGED),
        st.sampled_from(LOOK_ALIKES),
        st.text(max_size=4),
    )
    sep = st.sampled_from(["", " ", " ", " ", "  ", "\u00a0"])
    text = st.lists(st.tuples(piece, sep), min_size=1, max_size=40).map(lambda ps: "".join(p + s for p, s in ps))
    # one text in twenty repeated up to 2,000 times: sizes where nesting and retries hurt
    repeated = st.tuples(text, st.integers(2, 2000)).map(lambda tk: (tk[0] + " ") * tk[1])
    return st.one_of(text, text, text, text, text, text, text, text, text, text, text, text, text, text, text, text, text, text, text, repeated)


# --------------------------------------------------------------------------- JSON mutation

ODD_VALUES = [None, True, False, 0, -1, -5, 1e308, 10**30, "", " ", "abc", "2026-13-45", "2030-01-01", "1900", "2026-02-30T25:61:00Z", "NaN", "Infinity", "-0", "x" * 300, "é\u0301", "\u202e", [], {}, [None], {"": ""}, [[[[[]]]]], {"value": "abc"}, {"coding": {"code": "1"}}]


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


@st.composite
def mutated(draw, documents: list[Any]) -> tuple[str, Any]:
    """('json', a document with a few mutations) or ('bytes', its text cut or flipped)."""
    doc = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 4))):
        paths = _paths(doc)
        path = paths[draw(st.integers(0, len(paths) - 1))]
        if not path:
            continue
        parent, key = _get(doc, path[:-1]), path[-1]
        action = draw(st.sampled_from(["replace", "replace", "delete", "double", "stringify", "nest"]))
        if action == "replace":
            parent[key] = copy.deepcopy(draw(st.sampled_from(ODD_VALUES)))
        elif action == "delete":
            del parent[key]
        elif action == "double" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(parent[key]))
        elif action == "stringify":
            parent[key] = json.dumps(parent[key])[:50] if draw(st.booleans()) else str(parent[key])
        elif action == "nest":
            parent[key] = [parent[key]] if draw(st.booleans()) else {"value": parent[key]}
    if draw(st.integers(0, 4)) == 0:
        data = bytearray(json.dumps(doc).encode())
        if data and draw(st.booleans()):
            del data[draw(st.integers(0, len(data) - 1)) :]
        for _ in range(draw(st.integers(0, 3))):
            if data:
                data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        return "bytes", bytes(data)
    return "json", doc


# ------------------------------------------------------------------------------- targets


class Fuzzer:
    def __init__(self, out: Path, slow: float):
        self.out = out
        self.slow = slow
        self.tried: Counter[str] = Counter()
        self.read: Counter[str] = Counter()  # inputs that went the whole way, not stopped by an EligError
        self.findings: dict[str, tuple[str, str, Path]] = {}  # key -> (target, summary, file)
        self.tmp = Path(tempfile.mkdtemp(prefix="elig-fuzz-"))

    def record(self, target: str, summary: str, key: str, reproducer: Any) -> None:
        key = f"{target}:{key}"
        if key in self.findings:
            return
        self.out.mkdir(parents=True, exist_ok=True)
        name = f"{target}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"
        if isinstance(reproducer, bytes):
            path = self.out / f"{name}.bin"
            path.write_bytes(reproducer)
        else:
            path = self.out / f"{name}.json"
            path.write_text(json.dumps({"target": target, "finding": summary, "input": reproducer}, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        self.findings[key] = (target, summary, path)
        print(f"  finding [{target}] {summary}\n    saved: {path}", flush=True)

    def guard(self, target: str, reproducer: Any, fn) -> Any:
        """Run fn(); record anything but an EligError, and any run slower than --slow."""
        self.tried[target] += 1
        started = time.process_time()
        try:
            result = fn()
            self.read[target] += 1
            return result
        except EligError:
            return None
        except Exception as exc:  # noqa: BLE001 - the point of fuzzing
            frame = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{Path(frame.filename).name}:{frame.lineno}"
            self.record(target, f"{type(exc).__name__} at {where}: {str(exc)[:160]}", f"{type(exc).__name__}@{where}", reproducer)
            return None
        finally:
            seconds = time.process_time() - started
            if seconds > self.slow:
                self.record(target, f"slow: {seconds:.1f} s CPU", f"slow-{len(str(reproducer)) // 1000}k", reproducer)


def parse_target(fz: Fuzzer, text: str, patient) -> None:
    from engine.evaluate import evaluate
    from engine.parse import parse
    from engine.render import render

    def pipeline():
        tree = parse(text)
        canonical = render(tree)
        again = parse(canonical)
        for world in (False, True):
            first = evaluate(tree, patient, as_of=AS_OF, open_world=world).truth
            second = evaluate(again, patient, as_of=AS_OF, open_world=world).truth
            if first is not second:
                fz.record("parse", f"verdict changed by render + re-parse: {first.value} -> {second.value}", f"verdict:{first.value}->{second.value}", {"text": text, "canonical": canonical})

    fz.guard("parse", {"text": text}, pipeline)


def _as_file(fz: Fuzzer, kind: str, value: Any, suffix: str) -> Path:
    path = fz.tmp / f"input{suffix}"
    path.write_bytes(value if kind == "bytes" else json.dumps(value).encode())
    return path


def fhir_target(fz: Fuzzer, kind: str, value: Any, trials) -> None:
    from engine.patients import load_patient
    from engine.screen import screen

    def run():
        patient = load_patient(_as_file(fz, kind, value, ".json"))
        screen([patient], trials, as_of=AS_OF)

    fz.guard("fhir", value, run)


def trials_target(fz: Fuzzer, kind: str, value: Any) -> None:
    from engine.coverage import text_criteria
    from engine.parse import parse
    from engine.trials import load_trials

    def run():
        for criterion in text_criteria(load_trials(_as_file(fz, kind, value, ".json"))):
            parse(criterion.text)

    fz.guard("trials", value, run)


# ------------------------------------------------------------------------------- inputs


def bundles() -> list[dict]:
    docs = [json.loads(p.read_text(encoding="utf-8")) for p in sorted((ROOT / "examples").glob("*.json"))]
    synthea = SHARED / "synthea_fhir_r4_smart" / "bundles"
    for path in sorted(synthea.glob("*.json"))[:6] if synthea.is_dir() else []:
        doc = json.loads(path.read_text(encoding="utf-8"))
        doc["entry"] = doc.get("entry", [])[:60]
        docs.append(doc)
    return [d for d in docs if d.get("resourceType") == "Bundle"]


def studies() -> list[dict]:
    crit = "Inclusion Criteria:\n\n* ANC >= 1500/uL\n* Age >= 18 years\n  * sub-item: platelets >= 100,000/mm3\n\nExclusion Criteria:\n\n* Pregnant"
    docs = [{"protocolSection": {"identificationModule": {"nctId": "NCT00000001", "briefTitle": "t"}, "eligibilityModule": {"eligibilityCriteria": crit, "sex": "ALL", "minimumAge": "18 Years"}}}]
    corpus = SHARED / "corpus" / "oncology_990.jsonl"
    if corpus.is_file():
        with corpus.open(encoding="utf-8") as f:
            docs += [json.loads(next(f)) for _ in range(8)]
    return docs


def replay(path: Path) -> int:
    """Run one saved input again and print what it does now."""
    if path.suffix == ".bin":
        target, kind, value = path.name.split("-")[0], "bytes", path.read_bytes()
    else:
        saved = json.loads(path.read_text(encoding="utf-8"))
        target, kind, value = saved["target"], "json", saved["input"]
    fz = Fuzzer(Path(tempfile.mkdtemp(prefix="elig-replay-")), slow=10.0)
    _run_one(fz, target, kind, value)
    print("still a finding" if fz.findings else "no finding now")
    return 1 if fz.findings else 0


def _run_one(fz: Fuzzer, target: str, kind: str, value: Any) -> None:
    if target == "parse":
        parse_target(fz, value["text"] if isinstance(value, dict) else value, _patient())
    elif target == "fhir":
        fhir_target(fz, kind, value, _trials())
    else:
        trials_target(fz, kind, value)


_CACHE: dict[str, Any] = {}


def _patient():
    if "patient" not in _CACHE:
        from engine.patients import load_patient
        from engine.synth import patient_bundle

        _CACHE["patient"] = load_patient(patient_bundle(0, 3, as_of=AS_OF))
    return _CACHE["patient"]


def _trials():
    if "trials" not in _CACHE:
        from engine.screen import load_trial_files

        _CACHE["trials"] = load_trial_files(None)
    return _CACHE["trials"]


# --------------------------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=5.0, help="time for the whole run, shared by the targets (default 5)")
    ap.add_argument("--seed", type=int, default=0, help="the run's seed: the same seed draws the same inputs")
    ap.add_argument("--target", action="append", choices=("parse", "fhir", "trials"), help="default: all three")
    ap.add_argument("--out", type=Path, default=Path("fuzz-findings"), help="where findings are saved")
    ap.add_argument("--slow", type=float, default=5.0, help="CPU seconds past which one input is a finding")
    ap.add_argument("--replay", type=Path, help="run one saved finding again")
    args = ap.parse_args(argv)
    if args.replay:
        return replay(args.replay)
    targets = args.target or ["parse", "fhir", "trials"]
    fz = Fuzzer(args.out, args.slow)
    share = args.minutes * 60 / len(targets)
    started_all = time.monotonic()
    for n, target in enumerate(targets):
        if target == "parse":
            strategy, run = criteria_text(_vocabulary_words()), (lambda fz_, text: parse_target(fz_, text, _patient()))
        elif target == "fhir":
            strategy, run = mutated(bundles()), (lambda fz_, kv: fhir_target(fz_, *kv, _trials()))
        else:
            strategy, run = mutated(studies()), (lambda fz_, kv: trials_target(fz_, *kv))
        deadline = started_all + share * (n + 1)
        batch = 0
        print(f"{target}: fuzzing for {share / 60:.1f} min (seed {args.seed})", flush=True)
        while time.monotonic() < deadline:
            rng = random.Random(f"{args.seed}:{target}:{batch}")

            @seed(rng.getrandbits(64))
            @settings(max_examples=200, deadline=None, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck))
            @given(strategy)
            def one(value):
                if time.monotonic() < deadline:
                    run(fz, value)

            one()
            batch += 1
    print()
    for target in targets:
        print(f"{target:<7} {fz.tried[target]:>8,} inputs, {fz.read[target]:>8,} read the whole way (the rest: one clear error)")
    print(f"\n{len(fz.findings)} finding(s)" + (f", saved in {args.out}/" if fz.findings else ""))
    for target, summary, path in fz.findings.values():
        print(f"  [{target}] {summary}  ({path.name})")
    return 1 if fz.findings else 0


if __name__ == "__main__":
    sys.exit(main())
