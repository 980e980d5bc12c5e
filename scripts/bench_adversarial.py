"""Adversarial inputs against the time each stage takes: `python scripts/bench_adversarial.py`.

Each case builds an input of about N characters (1 kB, 10 kB and 100 kB by default) that is
hostile to some part of elig: 'a: a: a: ...' (a heading inside a heading), nested brackets,
long runs of 'or', 'and', 'if', operators, digits, units, one endless word, many list items,
deep indentation, dates of a thousand digits, a bundle of ten thousand observations, JSON
nested a hundred thousand deep. It is run through the stage it targets:

    parse      engine.parse(text)                       (criteria over MAX_LENGTH are
                                                         unparsed whole: the 16 kB size
                                                         is the largest the parser sees)
    split      engine.trials.split_criteria(text)       the eligibility text of a record
    evaluate   engine.evaluate(parse(text), patient)    the parsed tree against a patient
    trial      engine.trials.load_trials(file)          a trial file
    patient    engine.patients.load_patient(file)       a FHIR bundle or own-format file

and the CPU seconds of each size are printed. A case is flagged when ten times the input
takes more than 30 times as long (worse than linear, with room for noise) once the larger
run takes over 0.2 s, when one run takes over 10 s, or when the stage raises anything but
the project's own errors (engine.errors.EligError): every input must be answered, never
with a traceback. Exit status 1 when anything was flagged.

    python scripts/bench_adversarial.py                  # every case, 1k/10k/100k
    python scripts/bench_adversarial.py --only parse     # one stage
    python scripts/bench_adversarial.py --sizes 1000,20000

A benchmark, not a test: the suite asserts no times (see docs/fuzzing.md for the findings).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.errors import EligError  # noqa: E402

AS_OF = date(2026, 6, 1)
GROWTH = 30.0  # allowed time ratio for 10x the input (linear is 10)
FLOOR = 0.2  # seconds: below this a ratio is noise
CEILING = 10.0  # seconds: one run over this is flagged whatever the ratio


def _repeat(unit: str, n: int, prefix: str = "", suffix: str = "") -> str:
    body = max(0, n - len(prefix) - len(suffix))
    return prefix + unit * max(1, body // len(unit)) + suffix


# ----------------------------------------------------------------------------- criteria text

CRITERIA: dict[str, Callable[[int], str]] = {
    "a: a: a:": lambda n: _repeat("a: ", n),
    "heading: heading:": lambda n: _repeat("Renal function: ", n, suffix="creatinine <= 1.5 mg/dL"),
    "nested brackets": lambda n: "(" * (n // 2 - 5) + "ANC >= 500" + ")" * (n // 2 - 5),
    "open brackets": lambda n: "(" * n,
    "close brackets": lambda n: ")" * n,
    "or chain": lambda n: _repeat("ANC >= 500/uL or ", n, suffix="ANC >= 1000/uL"),
    "and chain": lambda n: _repeat("platelets >= 100,000/mm3 and ", n, suffix="hemoglobin >= 9 g/dL"),
    "or or or": lambda n: _repeat("or ", n),
    "ANC >= repeated": lambda n: _repeat("ANC ≥ ", n),
    "operators only": lambda n: _repeat(">= ", n),
    "digits": lambda n: _repeat("9", n, prefix="ANC >= "),
    "numbers": lambda n: _repeat("12 ", n, prefix="ANC >= "),
    "range chain": lambda n: _repeat("1-", n, prefix="ANC ", suffix="2"),
    "unit run": lambda n: _repeat("mg/", n, prefix="ANC >= 5 "),
    "long unit word": lambda n: _repeat("x", n, prefix="ANC >= 5 mg"),
    "ULN run": lambda n: _repeat("x ULN ", n, prefix="ALT <= 2.5 "),
    "within weeks": lambda n: _repeat("within 4 weeks ", n, prefix="chemotherapy "),
    "prior to": lambda n: _repeat("prior to ", n, prefix="chemotherapy within 4 weeks "),
    "if, if,": lambda n: _repeat("if ANC >= 500, ", n, suffix="hemoglobin >= 9 g/dL"),
    "unless unless": lambda n: _repeat("HIV unless ", n, suffix="hepatitis B"),
    "such as": lambda n: _repeat("chemotherapy such as ", n, suffix="cisplatin"),
    "comma list": lambda n: _repeat("hypertension, ", n, suffix="or diabetes"),
    "slash list": lambda n: _repeat("stroke/", n, suffix="TIA within 6 months"),
    "history of": lambda n: _repeat("history of ", n, suffix="stroke"),
    "no no no": lambda n: _repeat("no ", n, suffix="HIV"),
    "guillemets": lambda n: _repeat("«", n),
    "canonical literal": lambda n: _repeat("«a» and ", n, suffix="«b»"),
    "judgment": lambda n: _repeat("in the opinion of the investigator ", n),
    "long word": lambda n: "a" * n,
    "spaces": lambda n: "ANC" + " " * n + ">= 500",
    "look-alikes": lambda n: _repeat("АNС ≥ 5００/μL ", n),  # Cyrillic A and C, full-width digits
    "combining marks": lambda n: "ANC" + "\u0301" * n + " >= 500",
    "newlines": lambda n: _repeat("ANC\n>=\n500\n", n),
}

# ------------------------------------------------------------------ eligibility text of a record

SPLITS: dict[str, Callable[[int], str]] = {
    "many items": lambda n: _repeat("* ANC >= 1500/uL\n", n, prefix="Inclusion Criteria:\n"),
    "deep indentation": lambda n: "Inclusion Criteria:\n"
    + "".join(" " * min(i, 2000) + "- item:\n" for i in range(max(1, n // 1000)))
    + "".join(" " * (2 * i % 200) + "- item:\n" for i in range(n // 60)),
    "numbered nesting": lambda n: _repeat("1. a:\n   a. b:\n      i. c:\n", n, prefix="Inclusion Criteria:\n"),
    "headings only": lambda n: _repeat("Inclusion Criteria:\nExclusion Criteria:\n", n),
    "one long line": lambda n: _repeat("ANC >= 1500/uL and ", n, prefix="Inclusion Criteria:\n* "),
    "hard-wrapped": lambda n: _repeat("creatinine clearance\n", n, prefix="Inclusion Criteria:\n* "),
    "escapes": lambda n: _repeat("\\>= \\< \\* ", n, prefix="Inclusion Criteria:\n* "),
    "blank lines": lambda n: _repeat("\n", n, prefix="Inclusion Criteria:\n* a", suffix="* b"),
    "colons": lambda n: _repeat("a:", n, prefix="Inclusion Criteria:\n* "),
    "inline bullets": lambda n: _repeat(" • a", n, prefix="Inclusion Criteria:\n* "),
    "long word": lambda n: "Inclusion Criteria:\n* " + "a" * n,
}


# --------------------------------------------------------------------------------- files


def _study(criteria: str, nct: str = "NCT00000001") -> dict:
    return {
        "protocolSection": {
            "identificationModule": {"nctId": nct, "briefTitle": "bench"},
            "eligibilityModule": {"eligibilityCriteria": criteria},
        }
    }


def _bundle(resources: list[dict], birth: str = "1970-01-01") -> dict:
    patient = {"resourceType": "Patient", "id": "b1", "birthDate": birth, "gender": "male"}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in [patient, *resources]]}


def _observation(value, unit: str = "10*9/L", when: str = "2026-05-20", loinc: str = "751-8") -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": when,
        "valueQuantity": {"value": value, "unit": unit, "system": "http://unitsofmeasure.org", "code": unit},
    }


def _observations(n: int) -> list[dict]:
    return [_observation(2 + (i % 7), when=f"2026-05-{1 + i % 28:02d}") for i in range(max(1, n // 250))]


def _nested(n: int) -> str:
    return "[" * (n // 2) + "]" * (n // 2)


TRIAL_FILES: dict[str, Callable[[int], str]] = {
    "nested JSON": _nested,
    "many studies": lambda n: json.dumps({"studies": [_study("Inclusion Criteria:\n* ANC >= 1500/uL", f"NCT{i:08d}") for i in range(max(1, n // 200))]}),
    "one long criteria text": lambda n: json.dumps(_study(_repeat("* ANC >= 1500/uL\n", n, prefix="Inclusion Criteria:\n"))),
    "long NCT id": lambda n: json.dumps(_study("Inclusion Criteria:\n* a", "NCT" + "9" * n)),
    "JSON lines": lambda n: "\n".join(json.dumps(_study("Inclusion Criteria:\n* a", f"NCT{i:08d}")) for i in range(max(1, n // 200))),
    "bad JSON late": lambda n: json.dumps(_study(_repeat("* a\n", n, prefix="Inclusion Criteria:\n")))[:-2],
    "nested JSON lines": lambda n: (".jsonl", _nested(n)),
    "nested TOML": lambda n: (".toml", "id = " + _nested(n)),
    "many TOML criteria": lambda n: (
        ".toml",
        'id = "T1"\ntitle = "t"\n' + "".join(f'[[criteria]]\nsection = "inclusion"\ntext = "ANC >= {i}/uL"\n' for i in range(n // 60)),
    ),
}

PATIENT_FILES: dict[str, Callable[[int], str]] = {
    "nested JSON": _nested,
    "nested YAML": lambda n: (".yaml", _nested(n)),
    "nested in a resource": lambda n: json.dumps(_bundle([{**_observation(2), "extension": json.loads(_nested(min(n, 1800)))}])),
    "many observations": lambda n: json.dumps(_bundle(_observations(n))),
    "long unit": lambda n: json.dumps(_bundle([_observation(2, unit="mg/" * (n // 3))])),
    "long bad date": lambda n: json.dumps(_bundle([_observation(2, when="2026-" + "9" * n)])),
    "huge birth date": lambda n: json.dumps(_bundle([], birth="9" * n)),
    "huge number": lambda n: json.dumps(_bundle([_observation(int("9" * min(n, 4000)))])),
    "long decimal": lambda n: '{"id": "p", "observations": [{"name": "ANC", "value": 0.' + "1" * n + ', "unit": "10^9/L", "date": "2026-05-01"}]}',
    "many codings": lambda n: json.dumps(
        _bundle([{"resourceType": "Condition", "code": {"coding": [{"system": "http://snomed.info/sct", "code": str(i)} for i in range(n // 50)]}}])
    ),
    "long string value": lambda n: json.dumps({"id": "p" * n, "sex": "x" * n, "birth_date": "1970-01-01"}),
}


# --------------------------------------------------------------------------------- running


def _patient():
    from engine.patients import load_patient

    resources = [_observation(2.1), _observation(12, unit="g/dL", loinc="718-7")]
    resources += [{"resourceType": "Condition", "code": {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]}}]
    return load_patient(_bundle(resources))


def _timed(fn: Callable[[], object]) -> tuple[float, str | None]:
    started = time.process_time()
    crash = None
    try:
        fn()
    except EligError:
        pass  # a clear answer (exit status 2 and one line, at the command line)
    except Exception as exc:  # noqa: BLE001 - the point: anything else is a finding
        crash = f"{type(exc).__name__}: {str(exc)[:120]}"
    return time.process_time() - started, crash


def _cases(only: set[str] | None):
    from engine.evaluate import evaluate
    from engine.parse import parse
    from engine.patients import load_patient
    from engine.trials import load_trials, split_criteria

    patient = _patient()
    tmp = Path(tempfile.mkdtemp(prefix="elig-bench-"))

    def in_file(suffix: str, text: str | tuple[str, str]) -> Path:
        if isinstance(text, tuple):  # (suffix, text): a file of another kind
            suffix, text = text
        path = tmp / f"input{suffix}"
        path.write_text(text, encoding="utf-8")
        return path

    stages = {
        "parse": (CRITERIA, lambda text: lambda: parse(text)),
        "evaluate": (CRITERIA, lambda text: lambda: evaluate(parse(text), patient, as_of=AS_OF)),
        "split": (SPLITS, lambda text: lambda: split_criteria(text)),
        "trial": (TRIAL_FILES, lambda text: (lambda path: lambda: load_trials(path))(in_file(".json", text))),
        "patient": (PATIENT_FILES, lambda text: (lambda path: lambda: load_patient(path))(in_file(".json", text))),
    }
    for stage, (cases, runner) in stages.items():
        if only and stage not in only:
            continue
        for name, make in cases.items():
            yield stage, name, make, runner


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="1000,10000,100000", help="input sizes in characters, comma-separated")
    ap.add_argument("--only", action="append", choices=("parse", "evaluate", "split", "trial", "patient"))
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    from engine.parse import MAX_LENGTH, parse

    parse("ANC >= 500/uL")  # grammar, lexicon and vocabulary built before any timing
    print(f"CPU seconds per input; parse takes criteria up to MAX_LENGTH = {MAX_LENGTH:,} characters\n")
    header = f"{'stage':<9} {'case':<24}" + "".join(f"{s:>10,}" for s in sizes) + "  flags"
    print(header)
    print("-" * len(header))
    flagged = 0
    slowest: dict[str, tuple[float, str, int]] = {}
    for stage, name, make, runner in _cases(set(args.only) if args.only else None):
        times: list[float] = []
        flags: list[str] = []
        for size in sizes:
            text = make(size)
            seconds, crash = _timed(runner(text))
            times.append(seconds)
            if crash:
                flags.append(f"CRASH at {size:,}: {crash}")
            if seconds > CEILING:
                flags.append(f"over {CEILING:.0f} s at {size:,}")
            if seconds > slowest.get(stage, (0.0, "", 0))[0]:
                slowest[stage] = (seconds, name, size)
            if crash or seconds > CEILING:
                break
        for (small, t_small), (big, t_big) in zip(zip(sizes, times), zip(sizes[1:], times[1:])):
            allowed = GROWTH * (big / small) / 10
            if t_big > FLOOR and t_big > allowed * max(t_small, 1e-3):
                flags.append(f"x{t_big / max(t_small, 1e-3):.0f} from {small:,} to {big:,}")
        cells = "".join(f"{t:>10.3f}" for t in times) + " " * 10 * (len(sizes) - len(times))
        print(f"{stage:<9} {name:<24}{cells}  {'; '.join(flags)}", flush=True)
        flagged += bool(flags)
    print()
    for stage, (seconds, name, size) in slowest.items():
        print(f"slowest {stage:<9} {seconds:.3f} s  ({name}, {size:,} characters)")
    print(f"\n{flagged} case(s) flagged" if flagged else "\nnothing flagged")
    return 1 if flagged else 0


if __name__ == "__main__":
    sys.exit(main())
