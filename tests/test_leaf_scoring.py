"""The scoring rules of scripts/leaf_bounds.py (issue 4's bound measure): what a gold bound
of the Leaf logical forms is, when elig's bound matches it, and the errata."""

from __future__ import annotations

import importlib.util
import sys
from decimal import Decimal
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "leaf_bounds.py"
_spec = importlib.util.spec_from_file_location("leaf_bounds", SCRIPT)
leaf = sys.modules.setdefault("leaf_bounds", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(leaf)
Bound = leaf.Bound


def test_gold_bounds_of_a_form():
    form = 'num_filter(eq(op(GTEQ), val("1500"), unit("cells"), unit("mm 3")))'
    [b] = leaf.gold_bounds(form)
    assert (b.op, b.value) == (">=", Decimal("1500"))


def test_a_unitless_gold_bound_matches_a_unit_the_text_writes_after_a_number():
    text = "BMI <18.5 or ≥ 30 kg/m2"
    gold = Bound("<", Decimal("18.5"), "")
    assert Bound("<", Decimal("18.5"), leaf.unit_key("kg/m2")).matches(gold, text)
    # not a unit the text does not write, and never another number or operator
    assert not Bound("<", Decimal("18.5"), leaf.unit_key("mg/dL")).matches(gold, text)
    assert not Bound("<=", Decimal("18.5"), leaf.unit_key("kg/m2")).matches(gold, text)
    assert not Bound("<", Decimal("18.5"), leaf.unit_key("kg/m2")).matches(gold, "BMI < 18.5")


def test_units_written_after_numbers_read_whole_numbers():
    # '1.5' is one number, not '1' and a unit '.5'
    units = leaf.written_units("serum creatinine ≥1.5 and ≥1.4 mg/dL in males and females")
    assert leaf.unit_key("mg/dL") in units
    assert "5" not in units and ".5" not in units


def test_errata_replace_only_the_bounds_they_name():
    gold = [Bound(">=", Decimal("25"), "months"), Bound(">=", Decimal("7"), "days")]
    fixed = leaf.corrected("NCT03922503_8", gold)
    assert fixed == [Bound(">=", Decimal("25"), "years"), Bound(">=", Decimal("7"), "days")]
    assert leaf.corrected("NCT00000000_1", gold) == gold
    for key, fixes in leaf.ERRATA.items():
        for written, meant in fixes:
            assert written != meant and len(meant.split(" ")) in (2, 3), key
