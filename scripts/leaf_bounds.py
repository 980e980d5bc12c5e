"""How well elig reads numeric bounds, measured against hand-written logical forms:
`python scripts/leaf_bounds.py [--leaf DIR] [--show KIND] [--limit N]`.

The Leaf Clinical Trials corpus (../shared/data/leaf_clinical_trials_lct, see its SOURCE.md)
carries 2,060 single criteria with a logical form written by hand, in which every numeric
bound is a `num_filter(eq(op(GTEQ), val("1500"), unit("cells"), unit("mm 3")))` part. For
each criterion this script takes the line as the trial published it (from
`leaf_clinical_trials/`, the logical form's own sentence is re-tokenized), parses it with
`engine.parse`, and compares the bounds `engine.summary.thresholds` gives (the `thresholds`
of `elig parse --format json`) with the gold bounds, measure-agnostic: a bound matches when
its operator, number and unit are the gold ones.

- A gold `BETWEEN a b` is two bounds (`>=` a, `<=` b), as a range is in `thresholds`; written
  with its ends' operators (`GTEQ 20 BETWEEN LTEQ 40`, `2 BETWEEN LT 12`) it takes those. An
  `EQ` beside another operator ('CRAFFT = 2 or higher') is no operator of its own, and an
  `eq` nested in another ('>50 kg (110 lb)': the same bound in another unit) is not counted.
- Units compare by their canonical spelling (`engine.units.normalize_unit`) when both sides
  have one, else by their letters and digits; `x 109 / L` is 10^9/L (a lost superscript);
  `temporal_unit(YEAR)` is `years`; `REF_RANGE_NORMAL`/`HIGH` is a multiple of the ULN.
- Roman numerals are numbers ('ASA I-II'); unit words that name a scale's values
  (`unit("class")`, `unit("stage")`, `unit("score")`) are no unit; a bare volume
  (`unit("mm 3")` for '< 200/mm3') is a count per that volume.
- A normal limit without a number (`eq(op(LT), unit(REF_RANGE_LOW))`, 'below the lower
  limit of normal') is one times that limit, as elig reads it; `REF_RANGE_NORMAL` without a
  number (the annotators wrote it for either limit) is not counted, nor are gold bounds with
  a number that is not one (`val("III")`) or with `PLUS_MINUS`.
- A gold bound without a unit matches elig's with a unit the criterion writes right after a
  number ('BMI <18.5 or >= 30 kg/m2': the unit is written once for both numbers, and the
  annotators put it on the second only), and an age in years (the text wrote none either).
- `ERRATA` lists gold bounds that say otherwise than the words they annotate ('age between
  25 and 50 years old' annotated in months), each with its words. They were found by reading
  the disagreements only, so they can only raise the figure: both figures are printed, the
  forms as annotated first; `--errata` scores (and `--show`s) against the corrected forms.
- Recall: gold bounds matched / gold bounds. Precision: elig bounds matched / elig bounds,
  over the same criteria (elig bounds in criteria where the annotators wrote none count
  against it). Duplicates (double annotation) are counted once, and so is a bound elig
  repeats for each of several measures ('ALT and AST < 2.5 ULN') that the gold form puts
  once on their union.

Unmatched bounds are sorted into kinds: `missing` (elig has no bound with that number),
`op`, `unit`, `op+unit` (elig has the number with another operator and/or unit), and
`extra` (elig's bound has no gold counterpart). `--show KIND` prints examples of one kind.

Exits 0 with a message when the Leaf data is absent.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LEAF = ROOT.parent / "shared" / "data" / "leaf_clinical_trials_lct"

_OPS = {"GTEQ": ">=", "GT": ">", "LTEQ": "<=", "LT": "<", "EQ": "="}
_TIME = {"YEAR": "years", "MONTH": "months", "WEEK": "weeks", "DAY": "days", "HOUR": "hours", "MINUTE": "min", "SECOND": "s"}
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6}
# words the annotators wrote as units that name a scale's values, not a unit
_SCALE_WORDS = frozenset("class classes classification stage grade grading score points point".split())
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12}
_POWER = re.compile(r"^(?:x\s*)?10\s*(?:\^|\*)?\s*(3|6|9|12)$|^(?:x\s*)?10(9|3|6|12)$")
_ARG = re.compile(r'(op|val|unit|temporal_unit|per)\((?:"([^"]*)"|([A-Z_]+))\)')
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\(?[0-9]{1,2}[.)]|\(?[a-z][.)])\s+")


@dataclass(frozen=True)
class Bound:
    op: str
    value: Decimal
    unit: str  # a comparison key, "" when none
    age: bool = False  # elig's bound is on age: 'age >= 18' written without a unit is in years

    def matches(self, gold: Bound, text: str = "") -> bool:
        """Operator, number and unit as the gold bound. A gold bound the annotators wrote
        without a unit matches elig's in years on age (the text wrote none either), and in
        a unit the criterion writes after a number ('BMI <18.5 or >= 30 kg/m2': the unit is
        written once, for both numbers, and the annotators put it on the second only)."""
        unit_ok = self.unit == gold.unit or (
            gold.unit == "" and ((self.age and self.unit == "years") or (self.unit != "" and self.unit in written_units(text)))
        )
        return self.op == gold.op and self.value == gold.value and unit_ok

    def __str__(self) -> str:
        return f"{self.op} {self.value} {self.unit}".strip()


@dataclass
class Item:
    key: str  # NCT_line
    text: str
    gold: list[Bound]
    got: list[Bound]


# ---------------------------------------------------------------------------------------
# The gold side


def _balanced(text: str, at: int) -> str:
    """The text inside the brackets that open at `at`."""
    depth = 0
    for i in range(at, len(text)):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
            if depth == 0:
                return text[at + 1 : i]
    return text[at + 1 :]


def _number(text: str) -> Decimal | None:
    s = re.sub(r"\s+", "", text).replace(",", "")
    if s.lower() in _WORDS:
        return Decimal(_WORDS[s.lower()])
    if s.lower() in _ROMAN:
        return Decimal(_ROMAN[s.lower()])
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def unit_key(unit: str | None) -> str:
    """A unit as a comparison key: its canonical spelling when elig knows it, else its
    letters and digits, lower case ('mm 3' and 'mm3' are one)."""
    if not unit:
        return ""
    from engine.errors import UnitError
    from engine.units import normalize_unit

    squeezed = re.sub(r"\s+(?=[0-9])|(?<=[0-9.])\s+|\^\s*(?=[0-9])", "", unit.strip())
    squeezed = re.sub(r"\s*/\s*", "/", squeezed)
    # a bare volume ('mm 3') is a count per volume, as '< 200/mm3' is
    volume = re.fullmatch(r"(?:mm3|[u\u00b5\u03bc]l)", squeezed.lower())
    for candidate in (("/" + squeezed,) if volume else ()) + (squeezed, unit.strip()):
        try:
            return normalize_unit(candidate)
        except UnitError:
            continue
    return re.sub(r"[^a-z0-9%/]", "", squeezed.lower().replace("\u00b5", "u").replace("\u03bc", "u"))


_AFTER_A_NUMBER = re.compile(r"\d+(?:[.,]\d+)?\s*([^\s\d.,;:()\[\]][^\s,;:()\[\]]*(?:\s*/\s*[^\s,;:()\[\]]+)?)")


def written_units(text: str) -> frozenset[str]:
    """The comparison keys of the units the text writes right after a number."""
    return frozenset(unit_key(m.group(1)) for m in _AFTER_A_NUMBER.finditer(text)) - {""}


def gold_bounds(logical_form: str) -> list[Bound]:
    """The numeric bounds of a logical form's `num_filter(eq(...))` parts."""
    out: list[Bound] = []
    for m in re.finditer(r"num_filter\(", logical_form):
        inner = _balanced(logical_form, m.end() - 1)
        for e in re.finditer(r"\beq\(", inner):
            out.extend(_eq_bounds(_balanced(inner, e.end() - 1)))
    return out


def _own_args(args: str) -> str:
    """An eq's arguments without the eqs nested in it ('>50 kg (110 lb)' nests the same
    bound in another unit, which has no operator of its own)."""
    for m in reversed(list(re.finditer(r"\beq\(", args))):
        inner = _balanced(args, m.end() - 1)
        args = args[: m.start()] + args[m.end() + len(inner) + 1 :]
    return args


def _written_ops(ops: list[str], values: int) -> list[str]:
    """The operators as the bound means them: an '=' written beside another operator
    ('CRAFFT = 2 or higher', 'BMI = 18.5-29.9') is no operator of its own, a BETWEEN over one
    number ('greater or equal to 750 g') is none either, and a BETWEEN beside the operators
    of its ends ('≥20 and ≤40', '2 to <12') is those ends."""
    if len(ops) > 1:
        ops = [o for o in ops if o != "EQ"]
    if "BETWEEN" in ops and len(ops) > 1:
        ends = [o for o in ops if o != "BETWEEN"]
        if values < 2:
            return ends
        low = next((o for o in ends if o in ("GT", "GTEQ")), "GTEQ")
        high = next((o for o in ends if o in ("LT", "LTEQ")), "LTEQ")
        if len(ends) > 2 or ends != [o for o in (low, high) if o in ends]:
            return ops  # not the two ends of one range: read as written (no bound)
        return ["BETWEEN", low, high]
    return ops


def _eq_bounds(args: str) -> list[Bound]:
    args = _own_args(args)
    ops, values, units, relative = [], [], [], None
    limit = None  # the limit named by REF_RANGE_HIGH / REF_RANGE_LOW
    power = ""
    for name, quoted, bare in _ARG.findall(args):
        if name == "op":
            ops.append(bare)
        elif name == "val":
            p = _POWER.match(re.sub(r"\s+", "", quoted.lower()))
            if p and values:
                power = f"10^{p.group(1) or p.group(2)}"
                continue
            v = _number(quoted)
            if v is None:
                return []
            values.append(v)
        elif name == "unit" and bare:
            if bare in ("REF_RANGE_NORMAL", "REF_RANGE_HIGH"):
                relative = "x ULN"
                limit = relative if bare == "REF_RANGE_HIGH" else None
            elif bare == "REF_RANGE_LOW":
                relative = limit = "x LLN"
        elif name == "unit" and quoted.lower() in _SCALE_WORDS:
            continue
        elif name == "unit":
            p = _POWER.match(re.sub(r"\s+", "", quoted.lower()))
            if p:
                power = f"10^{p.group(1) or p.group(2)}"
            else:
                units.append(quoted)
        elif name == "temporal_unit":
            units.append(_TIME.get(bare, bare.lower()))
        elif name == "per":
            # per(DAY) is '/day'; per(SECOND) is '/s', which a plural's s stripped would lose
            units.append(quoted or re.sub(r"(?<=..)s$", "", _TIME.get(bare, bare.lower())))
    ops = _written_ops(ops, len(values))
    if len(ops) == 1 and not values and limit and ops[0] in _OPS and ops[0] != "EQ":
        return [Bound(_OPS[ops[0]], Decimal(1), limit)]  # '< LLN': one times the limit
    ends = ops[1:] if ops[:1] == ["BETWEEN"] and len(ops) == 3 else ["GTEQ", "LTEQ"]
    if ops[:1] == ["BETWEEN"]:
        ops = ops[:1]
    if len(ops) != 1 or not values:
        return []
    units = [u for k, u in enumerate(units) if k == 0 or u != units[k - 1]]  # 'years to years'
    if units and units[0].lower() in ("cells", "cell") and len(units) > 1:
        units = units[1:]
        if not power:
            units[0] = "/" + units[0]
    unit = "/".join(units)
    if power:
        unit = f"{power}/{unit}" if unit else power
    if relative:
        unit = relative
    key = unit if relative else unit_key(unit)
    op = ops[0]
    if op == "BETWEEN":
        if len(values) != 2:
            return []
        return [Bound(_OPS[ends[0]], values[0], key), Bound(_OPS[ends[1]], values[1], key)]
    if op not in _OPS:
        return []
    return [Bound(_OPS[op], v, key) for v in values]


# ---------------------------------------------------------------------------------------
# The criteria


# Gold bounds that say otherwise than the criterion they annotate, each with its words:
# (what the form has, what the text says). Found by reading the disagreements only (where
# elig and the form agree nothing was read), so they can only raise the figures; both are
# printed.
ERRATA: dict[str, list[tuple[str, str]]] = {
    "NCT03922503_8": [(">= 25 months", ">= 25 years"), ("<= 50 months", "<= 50 years")],  # 'age between 25 and 50 years old'
    "NCT03864432_2": [("<= 90 kg", "< 90 kg")],  # 'and 90kg (exclusive)'
    "NCT03928392_6": [(">= 95 years", "> 95 years")],  # 'older than 95 years of age'
    "NCT03926156_6": [("> 18 years", ">= 18 years")],  # 'aged ≥ 18 year - old'
    "NCT03925909_8": [(">= 10 hours/week", "> 10 hours/week")],  # 'more than 10 hours per week'
    "NCT03929263_9": [("> 18.0", ">= 18.0")],  # 'BMI ≥ 18.0'
    "NCT03863405_15": [(">= 1.5 mg/dL", ">= 1.4 mg/dL")],  # '≥1.5 and ≥1.4 mg/dL in males and females respectively'
}


def corrected(key: str, gold: list[Bound]) -> list[Bound]:
    """The gold bounds of a criterion with its errata applied."""
    fixes = dict(ERRATA.get(key, ()))
    out = []
    for b in gold:
        fix = fixes.get(str(b))
        if fix is None:
            out.append(b)
            continue
        op, value, *unit = fix.split(" ", 2)
        out.append(Bound(op, Decimal(value), unit[0] if unit else ""))
    return out


def _squash(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _source_line(leaf: Path, nct: str, line: int, sentence: str, cache: dict) -> str:
    """The criterion as the trial published it; the logical form's re-tokenized sentence
    when the published line cannot be found."""
    if nct not in cache:
        found = next(iter(sorted((leaf / "leaf_clinical_trials").glob(f"*/{nct}.txt"))), None)
        cache[nct] = found.read_text(encoding="utf-8").splitlines() if found else []
    lines = cache[nct]
    want = _squash(sentence)
    for candidate in [line, line - 1, line + 1, *range(len(lines))]:
        if 0 <= candidate < len(lines) and _squash(lines[candidate]) == want:
            return lines[candidate]
    return re.sub(r"\s+([,.;:)\]/])|([(\[/])\s+", r"\1\2", sentence)


def items(leaf: Path) -> list[tuple[str, str, list[Bound]]]:
    """(key, criterion text without its bullet, gold bounds) for each annotated criterion."""
    out = []
    seen: set[str] = set()
    cache: dict = {}
    for f in sorted((leaf / "leaf_logical_forms").rglob("*.lf.txt")):
        key = f.name.removesuffix(".lf.txt")
        if key in seen:
            continue
        seen.add(key)
        blocks = f.read_text(encoding="utf-8").split("\n\n")
        if len(blocks) < 4:
            continue
        sentence = blocks[1].strip().strip("'")
        nct, _, line = key.rpartition("_")
        text = _source_line(leaf, nct, int(line), sentence, cache)
        text = _BULLET.sub("", text).strip()
        if text:
            out.append((key, text, gold_bounds("\n\n".join(blocks[3:]))))
    return out


def elig_bounds(text: str) -> list[Bound]:
    from engine.parse import parse
    from engine.summary import thresholds

    out = []
    for t in thresholds(parse(text)):
        unit = f"x {t['relative_to']}" if t["relative_to"] else unit_key(t["unit"])
        out.append(Bound(t["op"], Decimal(str(t["value"])), unit, age=t["measure"] == "age"))
    return out


# ---------------------------------------------------------------------------------------
# Scoring


def score(entries: list[Item]) -> tuple[Counter, Counter, list[tuple[str, Item, str]]]:
    totals: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    examples: list[tuple[str, Item, str]] = []
    for item in entries:
        got = list(item.got)
        unmatched_gold = []
        hits = []
        for b in item.gold:
            hit = next((g for g in got if g.matches(b, item.text)), None)
            if hit is not None:
                got.remove(hit)
                hits.append(hit)
                totals["matched"] += 1
            else:
                unmatched_gold.append(b)
        # one bound on several measures ('ALT and AST < 2.5 ULN') is one gold bound on their
        # union and one elig bound for each measure: the repeats are that one bound again
        repeats = [g for g in got if g in hits and not any(g.value == b.value for b in unmatched_gold)]
        for g in repeats:
            got.remove(g)
        totals["gold"] += len(item.gold)
        totals["elig"] += len(item.got) - len(repeats)
        for b in unmatched_gold:
            same = [g for g in got if g.value == b.value]
            if not same:
                kind = "missing"
            elif any(g.unit == b.unit or (b.unit == "" and g.age) for g in same):
                kind = "op"
            elif any(g.op == b.op for g in same):
                kind = "unit"
            else:
                kind = "op+unit"
            if same:
                got.remove(same[0])
            kinds[kind] += 1
            examples.append((kind, item, f"gold {b}" + (f", elig {same[0]}" if same else "")))
        for g in got:
            kinds["extra"] += 1
            examples.append(("extra", item, f"elig {g}"))
    return totals, kinds, examples


def measure(leaf: Path, errata: bool = False) -> dict | None:
    """The figures of a run over the Leaf logical forms (None when they are absent):
    criteria, with_gold, gold, elig, matched, recall, precision (fractions), kinds (a Counter)
    and examples (kind, Item, what)."""
    if not (leaf / "leaf_logical_forms").is_dir():
        return None
    entries = [Item(key, text, gold, elig_bounds(text)) for key, text, gold in items(leaf)]
    if errata:
        entries = [Item(e.key, e.text, corrected(e.key, e.gold), e.got) for e in entries]
    totals, kinds, examples = score(entries)
    return {
        "criteria": len(entries),
        "with_gold": sum(1 for e in entries if e.gold),
        "gold": totals["gold"],
        "elig": totals["elig"],
        "matched": totals["matched"],
        "recall": totals["matched"] / totals["gold"] if totals["gold"] else 0.0,
        "precision": totals["matched"] / totals["elig"] if totals["elig"] else 0.0,
        "kinds": kinds,
        "examples": examples,
    }


def _pct(a: int, b: int) -> str:
    return f"{100 * a / b:.1f}%" if b else "-"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--leaf", type=Path, default=DEFAULT_LEAF, help="the leaf_clinical_trials_lct folder")
    ap.add_argument("--show", metavar="KIND", help="print examples of one mismatch kind (missing, op, unit, op+unit, extra)")
    ap.add_argument("--limit", type=int, default=40, help="how many examples --show prints")
    ap.add_argument("--errata", action="store_true", help="score against the forms with ERRATA applied (--show too)")
    args = ap.parse_args(argv)
    figures = measure(args.leaf, errata=args.errata)
    if figures is None:
        print(f"leaf_bounds: no logical forms under {args.leaf}: nothing to measure")
        return 0
    print(f"{figures['criteria']} criteria, {figures['with_gold']} with a gold numeric bound")
    print(f"gold bounds {figures['gold']}, elig bounds {figures['elig']}, matched {figures['matched']}")
    print(f"recall {_pct(figures['matched'], figures['gold'])}  precision {_pct(figures['matched'], figures['elig'])}"
          + (f" (with the {sum(map(len, ERRATA.values()))} errata)" if args.errata else " (the forms as annotated)"))
    if not args.errata:
        fixed = measure(args.leaf, errata=True)
        print(f"with the {sum(map(len, ERRATA.values()))} errata of the forms (--errata): "
              f"recall {_pct(fixed['matched'], fixed['gold'])}  precision {_pct(fixed['matched'], fixed['elig'])}")
    print("mismatches: " + ", ".join(f"{k} {n}" for k, n in figures["kinds"].most_common()))
    if args.show:
        shown = [x for x in figures["examples"] if x[0] == args.show][: args.limit]
        for _kind, item, what in shown:
            print(f"- {item.key}: {what}\n    {item.text[:200]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
