"""Screening semantics: hand-built patients x the hand-written trials in tests/fixtures/screen/.

From CONTRACT.md and DOMAIN.md: a criterion `pass`es when it does not stand in the way and
`fail`s when it rules the patient out; a trial is ineligible if any criterion fails, eligible
if all pass; sub-items under 'the following' are the operands of their parent; a heading that
is not understood lets its items decide nothing; a curated canonical form wins over the text;
a comma list of separate items must all hold in an inclusion and excludes on any one.
"""

from __future__ import annotations

import json
import random
from datetime import date
from pathlib import Path

import pytest

import engine
from engine.nodes import Each
from engine.screen import CriterionResult, ScreenResult, TrialResult, criterion_predicate, screen_trial

FIXTURES = Path(__file__).parent / "fixtures" / "screen"
AS_OF = date(2026, 6, 1)


# ---------------------------------------------------------------- patients, own format


def anc(value, unit="/uL", day="2026-05-20"):
    return {"name": "absolute neutrophil count", "loinc": "751-8", "value": value, "unit": unit, "date": day}


def hemoglobin(value):
    return {"name": "hemoglobin", "loinc": "718-7", "value": value, "unit": "g/dL", "date": "2026-05-20"}


def platelets(value):
    return {"name": "platelet count", "loinc": "777-3", "value": value, "unit": "10*9/L", "date": "2026-05-20"}


def creatinine(value):
    return {"name": "creatinine", "loinc": "2160-0", "value": value, "unit": "mg/dL", "date": "2026-05-20"}


MI = {"name": "acute myocardial infarction", "icd10cm": "I21.9", "status": "active", "onset": "2026-05-01"}
HIV = {"name": "HIV infection", "icd10cm": "B20", "status": "active", "onset": "2015-01-01"}
HEP_B = {"name": "chronic hepatitis B", "icd10cm": "B18.1", "status": "active", "onset": "2015-01-01"}
HEP_C = {"name": "chronic hepatitis C", "icd10cm": "B18.2", "status": "active", "onset": "2015-01-01"}

HEALTHY_LABS = [anc(2000), hemoglobin(12), platelets(150), creatinine(0.8)]


def patient(*, observations=(), conditions=(), pid="p", birth_date="1980-01-01", sex="female"):
    return engine.load_patient(
        {"id": pid, "birth_date": birth_date, "sex": sex, "observations": list(observations), "conditions": list(conditions)}
    )


def trial(name: str):
    [t] = engine.load_trials(FIXTURES / name)
    return t


def screen_one(p, name: str, *, open_world: bool = False) -> TrialResult:
    result = engine.screen([p], [trial(name)], as_of=AS_OF, open_world=open_world)
    [pr] = result.patients
    [tr] = pr.trials
    return tr


def criterion(result: TrialResult, text: str) -> CriterionResult:
    [c] = [c for c in result.criteria if c.text == text]
    return c


# ---------------------------------------------------------------- inclusion: pass, fail, unknown


@pytest.mark.parametrize(
    ("observations", "status"),
    [
        ([anc(2000)], "pass"),
        ([anc(1500)], "pass"),  # the bound itself: >=
        ([anc(1499)], "fail"),
        ([anc(1.5, "10*9/L")], "pass"),  # 1.5 x 10^9/L = 1500 /uL, exactly, no float drift
        ([anc(1.49, "10*9/L")], "fail"),
        ([], "unknown"),  # measurements are open world
        ([anc(1000, day="2026-05-01"), anc(2000, day="2026-05-25")], "pass"),  # the latest counts
        ([anc(2000, day="2026-05-01"), anc(1000, day="2026-05-25")], "fail"),
        ([anc(2000, day="2026-06-15")], "unknown"),  # after the as-of date: not seen
    ],
)
def test_inclusion_on_a_measure(observations, status):
    c = criterion(screen_one(patient(observations=observations), "basic.toml"), "ANC >= 1500/uL")
    assert c.section == "inclusion"
    assert c.status == status, c.reasons
    if status == "unknown":
        assert "absolute neutrophil count" in c.missing
    else:
        assert c.reasons and c.missing == ()


def test_a_passing_measure_names_value_date_and_threshold():
    c = criterion(screen_one(patient(observations=[anc(2000)]), "basic.toml"), "ANC >= 1500/uL")
    assert any("2000" in r and "2026-05-20" in r and "1500" in r for r in c.reasons), c.reasons


# ---------------------------------------------------------------- exclusion


def test_exclusion_that_applies_fails_the_trial():
    result = screen_one(patient(observations=HEALTHY_LABS, conditions=[MI]), "basic.toml")
    mi = criterion(result, "History of myocardial infarction")
    assert (mi.section, mi.status) == ("exclusion", "fail")
    assert result.status == "ineligible"


def test_exclusion_that_does_not_apply_passes_in_the_closed_world():
    result = screen_one(patient(observations=HEALTHY_LABS), "basic.toml")
    mi = criterion(result, "History of myocardial infarction")
    assert mi.status == "pass"
    assert any("no record of myocardial infarction" in r and "closed world" in r for r in mi.reasons), mi.reasons


def test_open_world_leaves_an_unrecorded_history_unknown():
    result = screen_one(patient(observations=HEALTHY_LABS), "basic.toml", open_world=True)
    mi = criterion(result, "History of myocardial infarction")
    assert mi.status == "unknown"
    assert result.status == "unknown"
    # a recorded history decides in either world
    result = screen_one(patient(observations=HEALTHY_LABS, conditions=[MI]), "basic.toml", open_world=True)
    assert criterion(result, "History of myocardial infarction").status == "fail"


# ---------------------------------------------------------------- trial status


def test_every_criterion_passes_eligible():
    result = screen_one(patient(observations=HEALTHY_LABS), "basic.toml")
    assert [c.status for c in result.criteria] == ["pass"] * len(result.criteria), [(c.text, c.reasons) for c in result.criteria]
    assert (result.status, result.unknown) == ("eligible", 0)


def test_one_unknown_and_no_failure_is_unknown():
    labs = [anc(2000), platelets(150), creatinine(0.8)]  # no hemoglobin
    result = screen_one(patient(observations=labs), "basic.toml")
    assert (result.status, result.unknown) == ("unknown", 1)
    assert criterion(result, "Hemoglobin >= 9 g/dL").status == "unknown"


def test_one_failure_is_ineligible_whatever_else_is_unknown():
    result = screen_one(patient(observations=[anc(100)]), "basic.toml")
    assert result.status == "ineligible"
    assert result.unknown >= 2


def test_structured_minimum_age_is_an_inclusion_criterion():
    young = screen_one(patient(observations=HEALTHY_LABS, birth_date="2010-09-30"), "basic.toml")
    age = criterion(young, "Minimum age: 18 Years")
    assert (age.section, age.status) == ("inclusion", "fail")
    assert young.status == "ineligible"
    assert criterion(screen_one(patient(birth_date="2008-06-01"), "basic.toml"), "Minimum age: 18 Years").status == "pass"  # 18 today
    assert criterion(screen_one(patient(birth_date="2008-06-02"), "basic.toml"), "Minimum age: 18 Years").status == "fail"  # 18 tomorrow
    assert criterion(screen_one(patient(birth_date=None), "basic.toml"), "Minimum age: 18 Years").status == "unknown"


def test_structured_sex_is_an_inclusion_criterion():
    [study] = engine.load_trials(Path(__file__).parent / "fixtures" / "trials" / "good" / "study.json")  # FEMALE, 18-75
    for sex, status in (("female", "pass"), ("male", "fail"), (None, "unknown")):
        result = screen_trial(patient(sex=sex), study, as_of=AS_OF)
        sex_item = criterion(result, "Sex: female")
        assert (sex_item.section, sex_item.status) == ("inclusion", status)


# ---------------------------------------------------------------- ranking


RANK_ORDER = ["RANK-A-ELIGIBLE", "RANK-C-UNKNOWN-ONE", "RANK-E-UNKNOWN-ONE", "RANK-B-UNKNOWN-TWO", "RANK-D-INELIGIBLE"]


def test_trials_are_ranked_eligible_then_fewest_unknowns_then_ineligible():
    trials = engine.load_trials(FIXTURES / "rank")
    rng = random.Random(7)
    for _ in range(5):
        rng.shuffle(trials)
        [pr] = engine.screen([patient(observations=[anc(2000)])], trials, as_of=AS_OF).patients
        assert [t.trial_id for t in pr.trials] == RANK_ORDER
        assert [t.status for t in pr.trials] == ["eligible", "unknown", "unknown", "unknown", "ineligible"]
        assert [t.unknown for t in pr.trials] == [0, 1, 1, 2, 0]


def test_each_patient_gets_its_own_ranking_in_input_order():
    good = patient(pid="good", observations=[anc(2000), hemoglobin(12), platelets(150)])
    poor = patient(pid="poor", observations=[anc(600)])
    result = engine.screen([poor, good], engine.load_trials(FIXTURES / "rank"), as_of=AS_OF)
    assert [p.patient_id for p in result.patients] == ["poor", "good"]
    assert [t.status for t in result.patients[1].trials] == ["eligible"] * 4 + ["ineligible"]
    assert result.patients[0].trials[0].trial_id == "RANK-A-ELIGIBLE"


# ---------------------------------------------------------------- 'the following'


@pytest.mark.parametrize(
    ("observations", "status"),
    [
        ([platelets(150), creatinine(0.8)], "pass"),
        ([platelets(50), creatinine(0.8)], "pass"),  # at least one: the other may fail
        ([platelets(150), creatinine(3.0)], "pass"),
        ([platelets(50), creatinine(3.0)], "fail"),
        ([platelets(50)], "unknown"),  # a failure and an unknown: any of them is unknown
        ([platelets(150)], "pass"),  # a pass and an unknown: any of them passes
        ([], "unknown"),
    ],
)
def test_at_least_one_of_the_following_combines_its_sub_items_as_any(observations, status):
    result = screen_one(patient(observations=observations), "following.toml")
    parent = criterion(result, "At least one of the following:")
    assert parent.status == status, parent.reasons
    assert [k.text for k in parent.children] == ["Platelets >= 100,000/mm3", "Creatinine <= 1.5 mg/dL"]
    assert all(k.section == "inclusion" for k in parent.children)


def test_a_failing_sub_item_under_a_passing_parent_does_not_fail_the_trial():
    labs = [platelets(50), creatinine(0.8), anc(2000), hemoglobin(12)]
    result = screen_one(patient(observations=labs), "following.toml")
    parent = criterion(result, "At least one of the following:")
    assert [k.status for k in parent.children] == ["fail", "pass"]
    assert parent.status == "pass"
    assert result.status == "eligible", [(c.text, c.status) for c in result.criteria]


@pytest.mark.parametrize(
    ("observations", "status"),
    [
        ([anc(2000), hemoglobin(12)], "pass"),
        ([anc(2000), hemoglobin(8)], "fail"),
        ([anc(1000), hemoglobin(12)], "fail"),
        ([anc(2000)], "unknown"),
        ([anc(1000)], "fail"),  # a failure and an unknown: all of them fails
    ],
)
def test_all_of_the_following_combines_its_sub_items_as_all(observations, status):
    result = screen_one(patient(observations=observations), "following.toml")
    assert criterion(result, "All of the following:").status == status


@pytest.mark.parametrize(
    ("conditions", "open_world", "status"),
    [
        ([], False, "pass"),
        ([MI], False, "fail"),
        ([MI], True, "fail"),
        ([], True, "unknown"),
    ],
)
def test_any_of_the_following_in_an_exclusion_excludes_on_any_sub_item(conditions, open_world, status):
    result = screen_one(patient(conditions=conditions), "following.toml", open_world=open_world)
    parent = criterion(result, "Any of the following:")
    assert (parent.section, parent.status) == ("exclusion", status)
    assert all(k.section == "exclusion" for k in parent.children)


# ---------------------------------------------------------------- a heading not understood


@pytest.mark.parametrize(
    "observations",
    [
        [anc(2000), hemoglobin(12)],  # both items pass
        [anc(1000), hemoglobin(12)],  # an item fails
        [anc(1000), hemoglobin(8)],  # both fail
    ],
)
def test_items_under_a_heading_not_understood_decide_nothing_on_their_own(observations):
    result = screen_one(patient(observations=observations), "heading.toml")
    heading = criterion(result, "Qwertyuiop zxcvbnm cohort:")
    assert heading.status == "unknown", heading.reasons
    assert [k.text for k in heading.children] == ["ANC >= 1500/uL", "Hemoglobin >= 9 g/dL"]
    # the items are still shown with their own verdicts
    expected = ["pass" if o["value"] >= (1500 if o["loinc"] == "751-8" else 9) else "fail" for o in observations]
    assert [k.status for k in heading.children] == expected


@pytest.mark.parametrize(
    ("observations", "status"),
    [([anc(2000), hemoglobin(12)], "pass"), ([anc(1000), hemoglobin(12)], "fail"), ([anc(2000)], "unknown")],
)
def test_a_curated_heading_says_how_its_items_combine(observations, status):
    result = screen_one(patient(observations=observations), "heading.toml")
    assert criterion(result, "Qwertyuiop zxcvbnm cohort (curated):").status == status


def test_a_heading_not_understood_keeps_the_trial_from_being_eligible_or_ineligible():
    for observations in ([anc(2000), hemoglobin(12)], [anc(1000), hemoglobin(8)]):
        result = screen_one(patient(observations=observations), "heading.toml")
        statuses = [c.status for c in result.criteria]
        if "fail" not in statuses:
            assert result.status == "unknown"
        assert statuses[0] == "unknown"


# ---------------------------------------------------------------- curated canonical


def test_curated_canonical_wins_over_text():
    """Text 'ANC >= 1500/uL', canonical 'absolute neutrophil count >= 500 /uL'."""
    result = screen_one(patient(observations=[anc(1000)]), "canonical.toml")
    c = criterion(result, "ANC >= 1500/uL")
    assert c.status == "pass", c.reasons
    assert c.curated is True
    assert c.canonical == "absolute neutrophil count >= 500 /uL"
    assert any("500" in r for r in c.reasons)
    assert criterion(screen_one(patient(observations=[anc(400)]), "canonical.toml"), "ANC >= 1500/uL").status == "fail"


def test_curated_canonical_reads_what_the_text_cannot():
    t = trial("canonical.toml")
    assert engine.parse("Qwertyuiop zxcvbnm").kind == "unparsed"
    assert criterion_predicate(t.criteria[1]).kind == "condition"
    assert criterion(screen_one(patient(conditions=[MI]), "canonical.toml"), "Qwertyuiop zxcvbnm").status == "fail"
    assert criterion(screen_one(patient(), "canonical.toml"), "Qwertyuiop zxcvbnm").status == "pass"


def test_text_without_canonical_is_not_curated():
    c = criterion(screen_one(patient(observations=[anc(2000)]), "basic.toml"), "ANC >= 1500/uL")
    assert c.curated is False
    assert c.canonical == "absolute neutrophil count >= 1500 /uL"


# ---------------------------------------------------------------- comma lists (Each)


def test_the_comma_list_is_read_as_separate_items():
    t = trial("each.toml")
    assert all(isinstance(criterion_predicate(c), Each) for c in t.criteria)


@pytest.mark.parametrize(
    ("conditions", "inclusion", "exclusion"),
    [
        ([], "fail", "pass"),
        # an inclusion's list of conditions may mean all or any: it holds with all, fails with
        # none, and is unknown between; an exclusion excludes on any one
        ([HEP_B], "unknown", "fail"),
        ([HIV, HEP_B], "unknown", "fail"),
        ([HIV, HEP_B, HEP_C], "pass", "fail"),
    ],
)
def test_each_reads_as_all_for_inclusion_and_any_for_exclusion(conditions, inclusion, exclusion):
    result = screen_one(patient(conditions=conditions), "each.toml")
    inc, exc = result.criteria
    assert (inc.section, inc.status) == ("inclusion", inclusion), inc.reasons
    assert (exc.section, exc.status) == ("exclusion", exclusion), exc.reasons


def test_a_list_of_measures_is_still_all_of_them(tmp_path):
    """Bounds listed apart are each required ('Hemoglobin >= 9 g/dL, platelets >= 100,000/uL'):
    only a list of events, or one ending in an 'or', may be alternatives."""
    path = tmp_path / "t.toml"
    path.write_text(
        'id = "T"\ntitle = "t"\nsource = "test"\n[[criteria]]\nsection = "inclusion"\n'
        'text = "Hemoglobin >= 9 g/dL, platelets >= 100,000/uL"\n'
    )
    result = engine.screen([patient(observations=[hemoglobin(12), platelets(50)])], engine.load_trials(path), as_of=AS_OF)
    assert result.patients[0].trials[0].criteria[0].status == "fail"


def test_a_list_ending_in_or_may_be_alternatives(tmp_path):
    """NCT03861546: 'documented A1c of >= 5.7%, 2-hour post-load glucose of >140, or FBG of
    >100' was read as A1c and (glucose or FBG), failing a patient whose FBG alone qualifies."""
    path = tmp_path / "t.toml"
    path.write_text(
        'id = "T"\ntitle = "t"\nsource = "test"\n[[criteria]]\nsection = "inclusion"\n'
        'text = "documented A1c of >= 5.7%, 2-hour post-load glucose of >140, or FBG of >100"\n'
    )
    a1c = {"name": "hemoglobin A1c", "loinc": "4548-4", "value": 5.2, "unit": "%", "date": "2026-05-20"}
    fbg = {"name": "fasting glucose", "loinc": "1558-6", "value": 120, "unit": "mg/dL", "date": "2026-05-20"}
    result = engine.screen([patient(observations=[a1c, fbg])], engine.load_trials(path), as_of=AS_OF)
    assert result.patients[0].trials[0].criteria[0].status == "unknown"


def test_each_in_the_open_world():
    """One item unknown: an inclusion cannot pass, an exclusion cannot pass either."""
    result = screen_one(patient(conditions=[HIV, HEP_B]), "each.toml", open_world=True)
    inc, exc = result.criteria
    assert inc.status == "unknown"
    assert exc.status == "fail"  # hepatitis B on record excludes whatever the rest


# ---------------------------------------------------------------- reasons


def test_the_first_reason_is_the_one_that_decides():
    """'«qwertyuiop» and ANC >= 1500 /uL' with ANC 1000: false because of the ANC, whatever
    the words not understood say; the first reason must be the ANC's, not 'not understood'."""
    c = screen_one(patient(observations=[anc(1000)]), "reasons.toml").criteria[0]
    assert c.status == "fail"
    assert "1000" in c.reasons[0] and "1500" in c.reasons[0], c.reasons
    assert any("not understood" in r for r in c.reasons)  # still shown, after


def test_reasons_and_missing_are_unique():
    result = screen_one(patient(), "following.toml")
    for c in result.criteria:
        assert len(set(c.reasons)) == len(c.reasons)
        assert len(set(c.missing)) == len(c.missing)


# ---------------------------------------------------------------- the library call


def test_screen_takes_one_patient_and_defaults_to_today():
    p = patient(observations=[anc(2000)])
    result = engine.screen(p, engine.load_trials(FIXTURES / "rank"))
    assert isinstance(result, ScreenResult)
    assert result.as_of == date.today()
    assert [pr.patient_id for pr in result.patients] == ["p"]
    assert result.open_world is False


def test_screen_results_are_frozen():
    result = engine.screen(patient(), [trial("basic.toml")], as_of=AS_OF)
    with pytest.raises(Exception):
        result.patients[0].trials[0].status = "eligible"  # type: ignore[misc]


@pytest.mark.parametrize("accepts", [True, False])
def test_healthy_volunteers_field_is_an_inclusion_criterion_that_restricts_no_patient(accepts):
    """CONTRACT.md: the structured fields, healthy volunteers among them, appear as inclusion
    criteria. The field says whom else the trial takes; the patient's disease is for the
    other criteria."""
    from datetime import date

    import engine
    from engine.trials import trials_from_record

    record = {"protocolSection": {"identificationModule": {"nctId": "NCT1"}, "eligibilityModule": {"healthyVolunteers": accepts}}}
    trial = trials_from_record(record, "x")
    patient = engine.load_patient({"id": "p"})
    [criterion, none_given] = engine.screen([patient], [trial], as_of=date(2026, 6, 1)).patients[0].trials[0].criteria
    assert none_given.text == "(the record gives no inclusion criteria)"
    assert (criterion.section, criterion.status) == ("inclusion", "pass")
    assert criterion.text == f"Accepts healthy volunteers: {'Yes' if accepts else 'No'}"
    assert criterion.reasons


# ---------------------------------------------------------------- lists that lost their nesting


def _flat(section: str, heading: str, items: list[str], *, nested: bool = False):
    from engine.trials import Criterion, Trial

    kids = tuple(Criterion(section=section, text=t) for t in items)
    if nested:
        criteria = (Criterion(section=section, text=heading, children=kids),)
    else:
        criteria = (Criterion(section=section, text=heading), *kids)
    return Trial(trial_id="NCT00000001", title="flat list", source="-", criteria=criteria)


# NCT05007106: the tumor types are siblings of their heading in the record.
TUMOR_HEADING = "One of the following histologically or cytologically confirmed, advanced (unresectable or metastatic) solid tumors:"
TUMORS = ["Endometrial cancer", "Ovarian cancer", "Gastric cancer"]


def _screen_trial(p, t) -> TrialResult:
    return engine.screen([p], [t], as_of=AS_OF).patients[0].trials[0]


def test_items_after_a_one_of_heading_cannot_rule_out_alone():
    result = _screen_trial(patient(), _flat("inclusion", TUMOR_HEADING, TUMORS))
    assert result.status == "unknown"
    for text in TUMORS:
        c = criterion(result, text)
        assert c.status == "unknown"
        assert "may be one item of the list under" in c.reasons[0]
        assert "no record of" in " ".join(c.reasons)  # the item's own reading stays visible


def test_a_passing_item_after_a_one_of_heading_still_passes():
    gastric = {"name": "gastric cancer", "icd10cm": "C16.9", "status": "active", "onset": "2025-01-01"}
    result = _screen_trial(patient(conditions=[gastric]), _flat("inclusion", TUMOR_HEADING, TUMORS))
    assert criterion(result, "Gastric cancer").status == "pass"


def test_nested_items_of_a_one_of_heading_are_not_capped():
    result = _screen_trial(patient(), _flat("inclusion", TUMOR_HEADING, TUMORS, nested=True))
    [heading] = result.criteria
    assert [c.status for c in heading.children] == ["fail"] * 3
    assert not any("may be one item" in r for c in heading.children for r in c.reasons)


@pytest.mark.parametrize(
    ("heading", "items"),
    [
        # NCT05332561: 'Chemotherapy-induced menopause' ruled out every patient without it
        ("Postmenopausal or evidence of non-childbearing status is defined as :", ["Chemotherapy-induced menopause", "Female patients with age >= 60 years"]),
        # NCT04584255: a woman of 22 was ruled out by '>= 45 years of age'
        ("Women are considered non-childbearing (by other than medical reasons) if they:", ["are >= 45 years of age and without menses for >1 year"]),
        # NCT00004205 (legacy PDQ record)
        ("Regardless of prior hormonal replacement therapy (HRT) or hysterectomy:", ["Bilateral oophorectomy and any age"]),
    ],
)
def test_items_after_a_definition_heading_cannot_rule_out_alone(heading, items):
    result = _screen_trial(patient(birth_date="2004-02-13"), _flat("inclusion", heading, items))
    found = [criterion(result, text) for text in items]
    assert all(c.status == "unknown" for c in found), [c.reasons for c in found]
    assert any("may be one item of the list under" in c.reasons[0] for c in found)


def test_items_after_a_cohort_sentence_naming_the_following_cannot_rule_out_alone():
    """NCT05142592: 'Part 2 Dose Expansion: the following tumor types are tentatively planned
    for expansion.' then 'Renal cancer', 'Melanoma': Part 1 takes all solid tumors, and a
    patient with colon cancer was ruled out by each tumor type."""
    heading = "Part 2 Dose Expansion: the following tumor types are tentatively planned for expansion. It may be modified."
    result = _screen_trial(patient(), _flat("inclusion", heading, TUMORS))
    assert all(criterion(result, t).status == "unknown" for t in TUMORS)
    # NCT03076372
    heading = "Must have one of the following cancers, for which the patient has either received or been intolerant to all therapy"
    result = _screen_trial(patient(), _flat("inclusion", heading, TUMORS))
    assert all(criterion(result, t).status == "unknown" for t in TUMORS)


def test_items_after_an_all_of_inclusion_heading_still_rule_out():
    result = _screen_trial(patient(), _flat("inclusion", "Patients must meet all of the following:", TUMORS))
    assert result.status == "ineligible"
    assert criterion(result, "Gastric cancer").status == "fail"


@pytest.mark.parametrize(
    ("heading", "status"),
    [
        ("Patients with both of the following:", "unknown"),  # one item alone does not exclude
        ("Any of the following:", "fail"),  # each item excludes alone
    ],
)
def test_exclusion_headings_cap_only_where_items_combine(heading, status):
    # (HIV, not a myocardial infarction: an event's record left open does not make a bare
    # 'acute myocardial infarction' true, audit 19 K2)
    result = _screen_trial(patient(conditions=[HIV]), _flat("exclusion", heading, ["HIV infection", "acute myocardial infarction"]))
    assert criterion(result, "HIV infection").status == status


def test_a_cap_stays_within_its_section():
    from engine.trials import Criterion, Trial

    criteria = (
        Criterion(section="inclusion", text=TUMOR_HEADING),
        Criterion(section="inclusion", text="Endometrial cancer"),
        Criterion(section="exclusion", text="HIV infection"),
    )
    t = Trial(trial_id="NCT00000002", title="t", source="-", criteria=criteria)
    result = _screen_trial(patient(conditions=[HIV]), t)
    assert criterion(result, "HIV infection").status == "fail"
    assert result.status == "ineligible"


# ---------------------------------------------------------------- records that say too little


def test_a_record_without_inclusion_criteria_cannot_make_a_trial_eligible():
    """Leaf's NCT03860337 reads 'Inclusion Criteria: - Exclusion Criteria: - pregnant or
    lactating.': with the exclusion passed, it came out eligible for everyone."""
    from engine.trials import Criterion, Trial

    t = Trial(trial_id="NCT03860337", title="t", source="-", criteria=(Criterion(section="exclusion", text="pregnant or lactating."),))
    result = engine.screen([patient()], [t], as_of=AS_OF).patients[0].trials[0]
    assert result.status == "unknown"
    assert result.criteria[-1].status == "unknown"
    assert "no inclusion criteria" in result.criteria[-1].reasons[0]


@pytest.mark.parametrize("text", ["Patient over 18 years...", "Male participants…"])
def test_a_criterion_cut_off_decides_nothing(text):
    """Leaf's NCT06171568 'Patient over 18 years...': the record keeps only the start."""
    from engine.trials import Criterion, Trial

    t = Trial(trial_id="NCT06171568", title="t", source="-", criteria=(Criterion(section="inclusion", text=text),))
    [c] = engine.screen([patient(sex="male")], [t], as_of=AS_OF).patients[0].trials[0].criteria
    assert c.status == "unknown"
    assert "cut off" in c.reasons[0] or "participants…" in c.reasons[0]


# ---------------------------------------------------------------- processes and fingerprints


def _population(count: int, seed: int = 11):
    from engine.synth import population

    return [engine.load_patient(b) for b in population(seed, count, as_of=AS_OF)]


def _bundled():
    from engine.screen import bundled_trials_dir, load_trial_files

    return load_trial_files([str(bundled_trials_dir())])


def test_screening_in_processes_gives_the_same_result_in_the_same_order():
    patients, trials = _population(40), _bundled()
    serial = engine.screen(patients, trials, as_of=AS_OF).model_dump(mode="json")
    parallel = engine.screen(patients, trials, as_of=AS_OF, workers=2).model_dump(mode="json")
    assert [p["patient_id"] for p in parallel["patients"]] == [p.id for p in patients]
    assert parallel == serial


@pytest.mark.parametrize("workers", [1, 2, 8])
def test_a_few_patients_in_processes(workers):
    patients, trials = _population(3, seed=12), _bundled()
    serial = engine.screen(patients, trials, as_of=AS_OF)
    assert engine.screen(patients, trials, as_of=AS_OF, workers=workers) == serial
    assert engine.screen(patients[:1], trials, as_of=AS_OF, workers=workers) == engine.screen(patients[:1], trials, as_of=AS_OF)


DIGESTS = Path(__file__).parent / "fixtures" / "screen_synthetic_digests.json"
DIGEST_PATIENTS = 300


def test_verdicts_of_synthetic_patients_are_unchanged(update_goldens):
    """Every verdict (status, reasons, missing data) of 300 seeded synthetic patients x the
    bundled trials, as digests: caches, faster walks and processes must change none. A change
    that means to change verdicts (the parser, the vocabulary, a new cap) refreshes the file
    with `pytest --update-goldens tests/test_screen.py`, and the diff shows how many changed."""
    from engine.screen import verdict_digests

    got = verdict_digests(engine.screen(_population(DIGEST_PATIENTS, seed=0), _bundled(), as_of=AS_OF))
    if update_goldens:
        DIGESTS.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    if not DIGESTS.exists():
        pytest.fail(f"{DIGESTS.name} is missing: run pytest --update-goldens {Path(__file__).name}")
    want = json.loads(DIGESTS.read_text(encoding="utf-8"))
    changed = [(pid, tid) for pid in sorted(set(want) | set(got)) for tid in sorted(set(want.get(pid, {})) | set(got.get(pid, {})))
               if want.get(pid, {}).get(tid) != got.get(pid, {}).get(tid)]
    assert not changed, (
        f"{len(changed)} verdicts changed (first: {changed[:5]}; '' is the summary, order and what to collect). "
        f"If the change is meant to change verdicts, run pytest --update-goldens {Path(__file__).name}"
    )
