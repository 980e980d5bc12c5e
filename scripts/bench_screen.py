"""Screening speed and memory: `python scripts/bench_screen.py [--only corpus|synth] [--cold] ...`.

Two measurements, each printed as figures (tests never assert timings):

- corpus: one patient (a Synthea bundle from ../shared/data and the bundled example
  examples/near_fit_NCT04984356.json) against every trial of ../shared/data/corpus/*.jsonl.
  The trials are loaded and compiled (parsed, or read from the on-disk cache, and prepared),
  each patient is screened once (first) and then `--repeat` times more in the same process
  (warm: cache filled, trials compiled; each time a new copy of the patient, so nothing
  remembered by its identity helps, and after the results remembered by what criteria's
  leaves say, and by their shape, were cleared and filled by the other patient only), then `--repeat` times
  with everything of its own remembered (same patient again: the floor, not a goal's
  figure): CPU and wall time, median and fastest. The peak
  memory (RSS) of the process with the whole corpus compiled is printed too. `--cold` also
  runs a new process with an empty parse cache (everything parsed) and one with the cache
  filled (trees read from disk), each loading, compiling and screening the first patient.
  `--gc-freeze` calls gc.freeze() after compiling, as a long-running screening process
  holding the corpus would: a full garbage collection otherwise walks the ~2 M objects of
  the compiled corpus (about 1 s) every other warm screening or so.
- synth: `--patients N` seeded synthetic patients (engine.synth) against the bundled trials
  (rules/trials), in one `screen()` call (`--workers` processes).

`--snapshot DIR` writes a digest of every verdict (each trial's status, and every
criterion's status, reasons and missing data, for every patient screened) to
DIR/fingerprints.json; `--check DIR` compares with it and exits 1 on any difference, naming
the first ones: an optimisation proven not to change any verdict. The parse cache is the
one in $ELIG_CACHE_DIR, else a folder of this benchmark's own in the temporary directory.

Exits 0 with a message when ../shared/data is absent (a checkout without it): the synth
part needs nothing of it and still runs.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
DEFAULT_CORPUS = SHARED / "corpus"
DEFAULT_SYNTHEA = SHARED / "synthea_fhir_r4_smart" / "bundles"
EXAMPLE = ROOT / "examples" / "near_fit_NCT04984356.json"
AS_OF = date(2026, 6, 1)
SEED = 0


def _timed(fn: Callable[[], object]) -> tuple[float, float, object]:
    """(CPU seconds of this process and its children, wall seconds, result)."""
    t0, c0 = time.perf_counter(), _cpu()
    result = fn()
    return _cpu() - c0, time.perf_counter() - t0, result


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _peak_rss_mb() -> float:
    """The process's peak resident memory: VmHWM where /proc has it (ru_maxrss outlives
    exec on Linux, so a child would report its parent's peak), else ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _rss_mb() -> float:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def _fingerprint(result) -> dict[str, dict[str, str]]:
    from engine.screen import verdict_digests

    return verdict_digests(result)


def _line(label: str, cpu: list[float], wall: list[float]) -> str:
    if len(cpu) == 1:
        return f"{label:<28} CPU {cpu[0]:7.2f} s   wall {wall[0]:7.2f} s"
    return (f"{label:<28} CPU median {statistics.median(cpu):6.2f} s, fastest {min(cpu):6.2f} s   "
            f"wall median {statistics.median(wall):6.2f} s, fastest {min(wall):6.2f} s  ({len(cpu)} runs)")


def _corpus_trials(corpus: Path):
    from engine.trials import load_trials

    return [t for f in sorted(corpus.glob("*.jsonl")) for t in load_trials(f)]


def _corpus_patients(synthea: Path):
    from engine.patients import load_patient

    bundles = sorted(synthea.glob("*.json")) if synthea.is_dir() else []
    paths = ([bundles[0]] if bundles else []) + [EXAMPLE]
    return [load_patient(p) for p in paths]


def bench_corpus(args) -> dict:
    from engine import screen
    from engine.screen import prepare_trials

    cpu, wall, trials = _timed(lambda: _corpus_trials(args.corpus))
    criteria = sum(1 for t in trials for _ in _walk(t.criteria))
    print(f"corpus          {args.corpus}: {len(trials)} trials, {criteria} criteria with sub-items")
    print(_line("load trials", [cpu], [wall]))
    cpu, wall, _ = _timed(lambda: prepare_trials(trials))
    print(_line("compile (parse/cache)", [cpu], [wall]))
    if args.gc_freeze:
        # the compiled corpus (some 2 M objects) out of the collector's sight: a full
        # collection walks all of them, about 1 s, every other warm screening or so
        cpu, wall, _ = _timed(lambda: (gc.collect(), gc.freeze()))
        print(_line("gc.collect + gc.freeze", [cpu], [wall]))
    print(f"{'memory, corpus compiled':<28} peak RSS {_peak_rss_mb():.0f} MB, RSS now {_rss_mb():.0f} MB")
    patients = _corpus_patients(args.synthea)
    fingerprints = {}
    for patient in patients:
        name = Path(patient.source or patient.id).name[:40]
        print(f"patient         {name} ({len(patient.observations)} observations, {len(patient.conditions)} conditions, "
              f"{len(patient.medications)} medications, {len(patient.procedures)} procedures)")
        _forget_shapes()  # first: nothing remembered of any patient
        cpu, wall, result = _timed(lambda: screen([patient], trials, as_of=AS_OF))
        print(_line("  first screen", [cpu], [wall]))
        others = [p for p in patients if p is not patient]

        def after_others() -> None:
            # the results remembered by what a criterion's leaves say (engine.screen._ALIKE),
            # by their shape (_SHAPED), and the answers of compiled trees' connectives from
            # the other patients only: this patient's own would make it look fast
            _forget_shapes()
            screen([p.model_copy(deep=True) for p in others], trials, as_of=AS_OF)

        _rescreen("  warm screen", patient, trials, result, args.repeat if others else 0, before=after_others)
        _rescreen("  same patient again", patient, trials, result, args.repeat)
        counts = {s: sum(1 for t in result.patients[0].trials if t.status == s) for s in ("eligible", "unknown", "ineligible")}
        print(f"  verdicts      {counts}")
        fingerprints.update(_fingerprint(result))
    print(f"{'memory, after screening':<28} peak RSS {_peak_rss_mb():.0f} MB")
    return fingerprints


def _forget_shapes() -> None:
    """`engine.screen.forget_shapes`, or what it does where a tree has none (a base a
    change is measured against)."""
    import importlib

    screening = importlib.import_module("engine.screen")  # (the module: `engine.screen` is also the function)
    if hasattr(screening, "forget_shapes"):
        screening.forget_shapes()
    else:
        screening._ALIKE.clear()
        screening._SHAPED.clear()


def _rescreen(label: str, patient, trials, result, repeat: int, *, before: Callable[[], None] | None = None) -> None:
    """Time `repeat` screenings of a new copy of `patient` (what was worked out for one Patient
    object, remembered by its records' identity, must not make the next look fast), each after
    `before`; print the figures, and check each result is `result`."""
    from engine import screen

    cpus, walls = [], []
    for _ in range(repeat):
        if before is not None:
            before()
        fresh = patient.model_copy(deep=True)
        cpu, wall, again = _timed(lambda: screen([fresh], trials, as_of=AS_OF))
        cpus.append(cpu)
        walls.append(wall)
        assert again == result, "a repeated screening gave another result"
    if cpus:
        print(_line(label, cpus, walls))


def _walk(criteria):
    for c in criteria:
        yield c
        yield from _walk(c.children)


def bench_cold(args) -> None:
    """A new process per measurement: with an empty parse cache, then with it filled."""
    with tempfile.TemporaryDirectory(prefix="elig-bench-cold-") as folder:
        for label in ("cold, empty cache", "new process, cache filled"):
            env = {**os.environ, "ELIG_CACHE_DIR": folder}
            cmd = [sys.executable, __file__, "--only", "corpus", "--repeat", "0", "--corpus", str(args.corpus),
                   "--synthea", str(args.synthea), "--first-only"]
            t0 = time.perf_counter()
            done = subprocess.run(cmd, env=env, capture_output=True, text=True)
            wall = time.perf_counter() - t0
            print(f"--- {label}: whole process {wall:.1f} s wall")
            out = done.stdout if done.returncode == 0 else done.stdout + done.stderr
            print("\n".join("    " + line for line in out.splitlines() if line.strip()))


def bench_synth(args) -> dict:
    from engine import screen
    from engine.patients import load_patient
    from engine.screen import bundled_trials_dir, load_trial_files, prepare_trials
    from engine.synth import population

    trials = load_trial_files([str(bundled_trials_dir())])
    prepare_trials(trials)
    cpu, wall, bundles = _timed(lambda: population(SEED, args.patients, as_of=AS_OF))
    print(f"synth           {args.patients} patients (seed {SEED}) x {len(trials)} bundled trials")
    print(_line("make bundles", [cpu], [wall]))
    cpu, wall, patients = _timed(lambda: [load_patient(b, source=f"synth-{i}") for i, b in enumerate(bundles)])
    print(_line("load patients", [cpu], [wall]))
    with _collections_timed() as collected:
        cpu, wall, result = _timed(lambda: screen(patients, trials, as_of=AS_OF, **_workers(args)))
    print(_line(f"screen ({args.workers or 1} process(es))", [cpu], [wall]))
    print(f"  per patient   {1000 * cpu / max(1, len(patients)):.2f} ms CPU, {1000 * wall / max(1, len(patients)):.2f} ms wall")
    print(f"  collector     {collected['seconds']:.2f} s CPU in this process, {collected['full']} full collections of {collected['runs']}")
    return _fingerprint(result)


@contextlib.contextmanager
def _collections_timed():
    """The CPU time this process spends in the cyclic garbage collector meanwhile, and how
    many collections (and full ones) it made, from `gc.callbacks`."""
    found = {"seconds": 0.0, "runs": 0, "full": 0}
    started = [0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.process_time()
            return
        found["seconds"] += time.process_time() - started[0]
        found["runs"] += 1
        found["full"] += info.get("generation") == 2

    gc.callbacks.append(callback)
    try:
        yield found
    finally:
        gc.callbacks.remove(callback)


def _workers(args) -> dict:
    import inspect

    from engine.screen import screen

    if args.workers and "workers" in inspect.signature(screen).parameters:
        return {"workers": args.workers}
    return {}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", choices=("corpus", "synth"), help="one of the two measurements")
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="folder of *.jsonl study records")
    ap.add_argument("--synthea", type=Path, default=DEFAULT_SYNTHEA, help="folder of Synthea bundles (the first is used)")
    ap.add_argument("--repeat", type=int, default=5, help="warm screenings of each patient after the first")
    ap.add_argument("--patients", type=int, default=1000, help="synthetic patients for the synth measurement")
    ap.add_argument("--workers", type=int, default=None, help="processes for the synth measurement")
    ap.add_argument("--cold", action="store_true", help="also time new processes: empty cache, then filled")
    ap.add_argument("--gc-freeze", action="store_true", help="gc.freeze() after compiling the corpus, as a long-running process would")
    ap.add_argument("--first-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--snapshot", type=Path, metavar="DIR", help="write the verdict fingerprints to DIR")
    ap.add_argument("--check", type=Path, metavar="DIR", help="compare the verdict fingerprints with DIR's")
    args = ap.parse_args(argv)
    os.environ.setdefault("ELIG_CACHE_DIR", str(Path(tempfile.gettempdir()) / "elig-bench-cache"))

    print(f"process         Python {sys.version.split()[0]}, {os.cpu_count()} CPUs, cache {os.environ['ELIG_CACHE_DIR']}")
    cpu, wall, _ = _timed(lambda: __import__("engine"))
    print(_line("import engine", [cpu], [wall]))
    prints: dict[str, dict] = {}
    has_corpus = args.corpus.is_dir() and any(args.corpus.glob("*.jsonl"))
    if args.only in (None, "corpus"):
        if not has_corpus:
            print(f"bench_screen: no corpus at {args.corpus} (*.jsonl): corpus part not measured")
        else:
            prints["corpus"] = bench_corpus(args)
            if args.cold:
                bench_cold(args)
    if args.only in (None, "synth") and not args.first_only:
        prints["synth"] = bench_synth(args)
    return _snapshot_or_check(args, prints)


def _snapshot_or_check(args, prints: dict) -> int:
    if args.snapshot:
        args.snapshot.mkdir(parents=True, exist_ok=True)
        target = args.snapshot / "fingerprints.json"
        old = json.loads(target.read_text()) if target.exists() else {}
        old.update(prints)
        target.write_text(json.dumps(old, indent=0, sort_keys=True))
        print(f"snapshot        {sum(len(v) for p in prints.values() for v in p.values())} fingerprints -> {target}")
    if args.check:
        saved = json.loads((args.check / "fingerprints.json").read_text())
        differ = []
        compared = 0
        for part, got in prints.items():
            if part not in saved:
                print(f"check           no {part} fingerprints in {args.check}")
                continue
            want = saved[part]
            # the patients screened both times (--patients may be fewer or more than in the snapshot)
            unsaved = [pid for pid in got if pid not in want]
            if unsaved:
                print(f"check           {len(unsaved)} {part} patients not in {args.check}: not compared")
            for pid in sorted(set(got) & set(want)):
                a, b = want[pid], got[pid]
                differ += [(part, pid, tid) for tid in sorted(set(a) | set(b)) if a.get(tid) != b.get(tid)]
                compared += len(b)
        print(f"check           {compared} fingerprints compared with {args.check}: {len(differ)} differ")
        for part, pid, tid in differ[:10]:
            print(f"  differs       {part} {pid} {tid or '(summary, order, collect next)'}")
        return 1 if differ else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
