"""Lines that head the items after them, quoted from the public corpus (../shared/data/corpus):
'Renal:', 'Part A:', 'Expansion phase Arm A participants:'. Such a line is 'all of the
following', qualified by its words (a cohort, a topic), which are not understood: the items
decide nothing through it, as before, but the tree says what the line is."""

from __future__ import annotations

from datetime import date

import pytest

from engine.nodes import Following, Qualified, strip_spans
from engine.parse import parse
from engine.patient import Patient
from engine.render import render
from engine.screen import screen_trial
from engine.summary import unparsed
from engine.trials import Criterion, Trial


# (a topic, 'Renal:', 'Hepatic function：', is 'each of the following:' now: tests/test_cover16.py)
@pytest.mark.parametrize("text", ["Part A:", "Expansion phase Arm A participants:", "Inclusion criteria for cohort 2:", "Cohort 1\uff1a"])
def test_a_heading_is_the_following_items_qualified_by_its_words(text):
    tree = parse(text)
    assert isinstance(tree, Qualified) and isinstance(tree.item, Following), render(tree)
    assert unparsed(tree) == [text.rstrip(":\uff1a ")]
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


@pytest.mark.parametrize("text", ["Renal insufficiency", "ANC \u2265 1500/\u00b5L:"])
def test_other_lines_are_not_headings(text):
    tree = parse(text)
    assert not (isinstance(tree, Qualified) and isinstance(tree.item, Following))


def test_a_cohort_heading_lets_its_items_decide_nothing():
    # 'Part A: ANC >= 1500/uL' as a parent and its item: a patient failing the item is not
    # thereby ineligible, since the item may bind Part A only
    item = Criterion(section="inclusion", text="ANC \u2265 1500/\u00b5L")
    trial = Trial(trial_id="NCT0", title="t", source="test", criteria=(Criterion(section="inclusion", text="Part A:", children=(item,)),))
    from engine.patient import Coding, Observation

    low = Observation(codings=(Coding(system="http://loinc.org", code="751-8"),), value=0.8, unit="10*9/L", date=date(2026, 5, 20))
    result = screen_trial(Patient(id="p", observations=(low,)), trial, as_of=date(2026, 6, 1))
    assert result.criteria[0].status == "unknown"
    assert result.criteria[0].children[0].status == "fail"


@pytest.mark.parametrize("text", ["Key", "Hepatic", "Renal function.", "Hematological"])
def test_a_line_that_only_names_a_group_is_a_heading(text):
    # 'Key' is what is left of 'Key Inclusion Criteria'; 'Hepatic' heads the liver tests (a
    # topic: 'each of the following:', tests/test_cover16.py)
    tree = parse(text)
    assert isinstance(tree, Following) or isinstance(tree, Qualified) and isinstance(tree.item, Following)
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_a_word_that_names_a_condition_is_no_heading():
    assert render(parse("hepatitis")) == "hepatitis"
