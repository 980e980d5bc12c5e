"""Goldens for the bundled trials: what the parser makes of every criterion.

tests/golden/<trial_id>.json holds, for every criterion and sub-item of every trial in
rules/trials/*.toml (depth-first, in file order):

    {"path": "3.1", "section": ..., "text": <as published>, "canonical": render(parse(text)),
     "thresholds": [...], "unparsed": [...],
     "curated_canonical": render(parse(criterion.canonical)) or null}

`pytest --update-goldens tests/test_golden.py` rewrites them from the current parser; a
diff in review is a change in what elig understands. Re-run it after editing the rules
files, the vocabulary or the parser.

The seed-bound test checks that every numeric bound written in the published text of the
seed trials (an operator before a number, or a number before 'x ULN' / 'or greater')
reaches the thresholds of the tree the screen uses (curated canonical when there is one).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from engine.nodes import strip_spans
from engine.parse import parse
from engine.render import render
from engine.summary import thresholds, unparsed
from engine.trials import Criterion, load_trials, rules_dir

GOLDEN = Path(__file__).resolve().parent / "golden"
TRIALS = sorted(load_trials(rules_dir() / "trials"), key=lambda t: t.trial_id)


def _walk(criteria: tuple[Criterion, ...], prefix: str = ""):
    for i, c in enumerate(criteria):
        path = f"{prefix}{i}"
        yield path, c
        yield from _walk(c.children, path + ".")


def _record(path: str, c: Criterion) -> dict:
    tree = parse(c.text)
    curated = render(parse(c.canonical)) if c.canonical else None
    return {
        "path": path,
        "section": c.section,
        "text": c.text,
        "canonical": render(tree),
        "thresholds": thresholds(tree),
        "unparsed": unparsed(tree),
        "curated_canonical": curated,
    }


def _records(trial) -> list[dict]:
    return [_record(path, c) for path, c in _walk(trial.criteria)]


def _dump(records: list[dict]) -> str:
    return json.dumps(records, indent=2, ensure_ascii=False) + "\n"


@pytest.mark.parametrize("trial", TRIALS, ids=lambda t: t.trial_id)
def test_golden(trial, update_goldens):
    path = GOLDEN / f"{trial.trial_id}.json"
    records = _records(trial)
    if update_goldens:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(_dump(records), encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path.name} is missing: run pytest --update-goldens {Path(__file__).name}")
    expected = json.loads(path.read_text(encoding="utf-8"))
    # compare record by record, so a failure names the criterion
    by_text = {(r["path"], r["text"]): r for r in expected}
    for got in records:
        want = by_text.get((got["path"], got["text"]))
        assert want is not None, f"criterion {got['path']} is new or changed: {got['text'][:80]!r} (run --update-goldens)"
        assert json.loads(json.dumps(got)) == want, f"criterion {got['path']}: {got['text'][:80]!r}"
    assert len(records) == len(expected), "criteria were removed (run --update-goldens)"


def test_every_trial_has_a_golden_and_no_golden_is_stale():
    names = {p.stem for p in GOLDEN.glob("*.json")}
    assert names == {t.trial_id for t in TRIALS}


@pytest.mark.parametrize("trial", TRIALS, ids=lambda t: t.trial_id)
def test_curated_canonical_round_trips(trial):
    """A curated canonical form is criteria-language text: its tree renders to text that
    parses back to the same tree."""
    for path, c in _walk(trial.criteria):
        if c.canonical:
            tree = parse(c.canonical)
            assert strip_spans(parse(render(tree))) == strip_spans(tree), f"criterion {path}: {c.canonical!r}"


@pytest.mark.parametrize("trial", TRIALS, ids=lambda t: t.trial_id)
def test_unparsed_pieces_are_the_published_text(trial):
    for path, c in _walk(trial.criteria):
        for piece in unparsed(parse(c.text)):
            assert piece in c.text, f"criterion {path}: {piece!r}"


# ---------------------------------------------------------------------------------------
# Every numeric bound of the seed trials' published text becomes a threshold

_OPS = {
    "≥": ">=", ">=": ">=", ">/=": ">=", "=>": ">=", "≤": "<=", "<=": "<=", "</=": "<=", "=<": "<=",
    ">": ">", "<": "<",
}
_NUM = r"([0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)"
_TIME = r"\s*(?:hours?|days?|weeks?|months?|years?)\b"
# an operator, then a number that is not a duration (durations are windows, not thresholds)
_OP_NUMBER = re.compile(r"(≥|≤|>\s*/\s*=|<\s*/\s*=|>=|<=|=>|=<|>|<)\s*" + _NUM + rf"(?!{_TIME})(?![0-9.,])")
# a number, then a multiple of the normal limit or a postfix 'or greater'
_NUMBER_POST = re.compile(
    _NUM + r"\s*(?:(?:x|×|times)\s*(?:the\s+)?(?:institutional\s+)?(?:uln|upper limit of normal)|(or greater|or more|and above|or higher))",
    re.IGNORECASE,
)

_GRADE = re.compile(r"\b(?:grade|class|stage|type|level|cycle|line)\s*$", re.IGNORECASE)


def written_bounds(text: str) -> list[tuple[str | None, Decimal]]:
    """(op, value) for every bound written in the text; op None when the text gives it after."""
    out: list[tuple[str | None, Decimal]] = []
    for m in _OP_NUMBER.finditer(text):
        out.append((_OPS[re.sub(r"\s+", "", m.group(1))], Decimal(m.group(2).replace(",", ""))))
    for m in _NUMBER_POST.finditer(text):
        if _GRADE.search(text, 0, m.start()):
            continue  # 'Grade 2 or greater': a category of a condition, not a measure's bound
        value = Decimal(m.group(1).replace(",", ""))
        if not any(v == value for _op, v in out):
            out.append((">=" if m.group(2) else None, value))
    return out


def test_written_bounds_regex():
    assert written_bounds("ANC ≥ 500/μL") == [(">=", Decimal(500))]
    assert written_bounds("Platelet count ≥ 50,000/μL") == [(">=", Decimal(50000))]
    assert written_bounds("ALT ≤2× upper limit of normal (ULN)") == [("<=", Decimal(2))]
    assert written_bounds("bilirubin 3 times the upper limit of normal") == [(None, Decimal(3))]
    assert written_bounds("score of 50 or greater") == [(">=", Decimal(50))]
    assert written_bounds("within ≥14 days") == []
    assert written_bounds("Life expectancy >12 weeks") == []
    assert written_bounds("No prior history of Grade 2 or greater VOD") == []


def _seed_criteria():
    for trial in TRIALS:
        for path, c in _walk(trial.criteria):
            if c.origin != "text":
                continue
            for op, value in written_bounds(c.text):
                yield trial.trial_id, path, c, op, value


def _in_thresholds(tree, op, value) -> bool:
    for t in thresholds(tree):
        if Decimal(str(t["value"])) == value and (op is None or t["op"] == op or _strict_pair(op, t["op"])):
            return True
    return False


def _strict_pair(written: str, got: str) -> bool:
    """A curated form may restate an inclusion bound as its excluding complement
    ('LVEF >= 50%' inclusion, 'LVEF < 50%' exclusion): the number is what must survive."""
    return {written, got} in ({">=", "<"}, {"<=", ">"})


def test_every_seed_bound_becomes_a_threshold(capsys):
    missing_published = []
    missing_screened = []
    for trial_id, path, c, op, value in _seed_criteria():
        published = parse(c.text)
        if not _in_thresholds(published, op, value):
            missing_published.append((trial_id, path, op, str(value), c.text[:100]))
        screened = parse(c.canonical) if c.canonical else published
        if not _in_thresholds(screened, op, value):
            missing_screened.append((trial_id, path, op, str(value), c.text[:100]))
    with capsys.disabled():
        if missing_published:
            print("\nbounds the published text does not make structure (curated forms may):")
            for row in missing_published:
                print("  ", *row)
        if missing_screened:
            print("\nbounds neither the curated nor the published form makes structure:")
            for row in missing_screened:
                print("  ", *row)
    assert missing_screened == []
