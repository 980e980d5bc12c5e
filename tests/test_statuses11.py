"""Statuses only women have (pregnancy, lactation, childbearing potential, the menopausal ones)
for men, and childbearing potential for women of 60 or more: decided from the record's sex and
age instead of left unknown ('what to collect next' listed a boy's childbearing potential and
menopause for 183 and 138 corpus trials). Lines that name men beside such a status stay
unknown, never a pass."""

from __future__ import annotations

import json

import pytest

import engine
from one_trial import AS_OF, criterion, screen_text

MAN = {"id": "p", "birth_date": "1970-01-01", "sex": "male"}
WOMAN_30 = {"id": "p", "birth_date": "1996-01-01", "sex": "female"}
WOMAN_65 = {"id": "p", "birth_date": "1961-01-01", "sex": "female"}


def _one(tmp_path, patient, section: str, text: str):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* Age 18 years or older\n{section} Criteria:\n* {text}")
    return criterion(result, text[:20])


@pytest.mark.parametrize(
    ("section", "text", "status"),
    [
        # NCT04064359, NCT04247633 (exclusions), NCT04348747 (inclusion)
        ("Exclusion", "Subject is a female of childbearing potential.", "pass"),
        ("Exclusion", "Pregnant women, women of childbearing potential or lactating women", "pass"),
        ("Exclusion", "Pre-menopausal status", "pass"),
        ("Inclusion", "Not a woman of childbearing potential (WOCBP)", "pass"),
        ("Inclusion", "Patients agreed to use effective contraception or not be of childbearing potential.", "pass"),
    ],
)
def test_a_man_has_none_of_the_statuses_only_women_have(tmp_path, section, text, status):
    c = _one(tmp_path, MAN, section, text)
    assert c.status == status
    assert "childbearing potential" not in c.missing


@pytest.mark.parametrize(
    "text",
    [
        # NCT01631552, NCT03589339 (exclusions): the men are a group of their own
        "Women of childbearing potential and fertile men unwilling to use effective contraception during study",
        "A pregnant or nursing female, or women of child-bearing potential and men who are sexually active and not willing/able to use medically acceptable forms of contraception",
        # read '(pregnancy and female) or (lactation and male)': the men are excluded as such
        "Women who are pregnant or lactating and men.",
    ],
)
def test_men_named_beside_a_womans_status_are_not_passed(tmp_path, text):
    assert _one(tmp_path, MAN, "Exclusion", text).status != "pass"


def test_a_woman_of_60_or_more_is_not_of_childbearing_potential(tmp_path):
    text = "Not a woman of childbearing potential (WOCBP)"
    assert _one(tmp_path, WOMAN_65, "Inclusion", text).status == "pass"
    assert _one(tmp_path, WOMAN_30, "Inclusion", text).status == "unknown"


def _trial_for(tmp_path, sex: str, criteria: str):
    record = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000002", "briefTitle": "t"},
            "eligibilityModule": {"eligibilityCriteria": criteria, "sex": sex, "minimumAge": "18 Years"},
        }
    }
    path = tmp_path / "t.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    [trial] = engine.load_trials(path)
    [result] = engine.screen([engine.load_patient(MAN)], [trial], as_of=AS_OF).patients
    return result.trials[0]


def test_postmenopausal_women_rules_a_man_out_of_a_trial_for_women(tmp_path):
    result = _trial_for(tmp_path, "FEMALE", "Inclusion Criteria:\n* Postmenopausal women\n* Breast cancer")
    assert criterion(result, "Postmenopausal").status == "fail"


def test_postmenopausal_women_beside_a_line_for_men_does_not_rule_a_man_out(tmp_path):
    # NCT03868033: 'Postmenopausal women' and 'Men >50-year-old', the record giving both sexes
    result = _trial_for(tmp_path, "ALL", "Inclusion Criteria:\n* Postmenopausal women\n* Men >50-year-old")
    assert criterion(result, "Postmenopausal").status == "unknown"
    assert result.status != "ineligible"


# What the study team judges of women of childbearing potential, and a pregnancy test, which
# the study does at screening, are asked of those women only: a man passes such a line (a
# Conditional), a woman who may be of childbearing potential stays unknown.
@pytest.mark.parametrize(
    ("section", "text"),
    [
        ("Inclusion", "Women of childbearing potential must agree to use adequate contraception (hormonal or barrier method of birth control; abstinence) prior to study entry"),
        ("Exclusion", "Women of child-bearing potential (WOCBP) who do not use adequate birth control"),
        ("Exclusion", "Females of reproductive potential unwilling to use acceptable contraception"),
        ("Inclusion", "Female patients of childbearing potential must have a negative serum pregnancy test within 72 hours prior to the first dose"),
        ("Inclusion", "Female participants must have a negative urine or serum pregnancy test within 72 h prior to first dose of trial treatment"),
        ("Inclusion", "A negative pregnancy test"),
        ("Exclusion", "Positive pregnancy test (for females)"),
        ("Exclusion", "Women with a positive pregnancy test"),
    ],
)
def test_a_line_for_women_of_childbearing_potential_does_not_apply_to_a_man(tmp_path, section, text):
    assert _one(tmp_path, MAN, section, text).status == "pass"
    assert _one(tmp_path, WOMAN_30, section, text).status == "unknown"


def test_no_pregnancy_test_is_not_read_as_not_pregnant():
    from engine import parse
    from engine.nodes import Not, walk

    tree = parse("women of childbearing potential with either a positive pregnancy test at screening or no pregnancy test")
    assert not any(isinstance(n, Not) for n in walk(tree))
