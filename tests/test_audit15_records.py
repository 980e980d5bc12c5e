"""Wrong confident verdicts of the fifteenth audits (2026-12-07; /tmp/audit15a_out/REPORT.md and
/tmp/audit15b_out/REPORT.md) about records, vocabulary and trial splitting: a 'completed' course
with no end, budesonide with no route, HIV under primary immunodeficiency, an eGFR in mL/min, and
another phase's inclusion criteria inside the exclusion block. Each test quotes the corpus line
(trimmed) with its NCT id and asserts what a safe engine should answer."""

from __future__ import annotations

from one_trial import criterion, exclusion, screen_text

WOMAN = {"id": "p", "birth_date": "1980-10-28", "sex": "female"}
MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}


def _exclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* {text}")
    return criterion(result, text[:20])


# 15b W3 -- a medication 'completed' with no end date is 'taken as a single day' on its start
# (engine/evaluate.py _medication_records): a MedicationRequest carries only authoredOn, and
# 'completed' says the order is done, not that the drug was taken one day. A course ordered 3
# or 4 weeks ago and completed may have been taken until last week. synth-27-000005 (lomustine request
# authored 2025-06-05, completed) passed 'Chemotherapy < 21 days before first dose of study drug'
# (NCT03778931 [15]) and nine more washouts; synth-42-000005 (mycophenolic acid, 2024-03-29,
# completed) passed 'Current or prior use of immunosuppressive medication within 14 days prior to
# randomisation' (NCT05629585 [33]). 'stopped' with no end is already unknown (tests/test_audit8.py).
def test_a_completed_course_with_no_end_may_reach_into_the_washout(tmp_path):
    carboplatin = {"name": "carboplatin", "rxnorm": "40048", "start": "2026-11-09", "status": "completed"}
    text = "Chemotherapy < 21 days before first dose of study drug"
    assert exclusion(tmp_path, {**MAN, "medications": [carboplatin]}, text).status == "unknown"
    prednisone = {"name": "prednisone", "rxnorm": "8640", "start": "2026-11-10", "status": "completed"}
    text = "Systemic corticosteroids within 14 days prior to the first dose"
    assert exclusion(tmp_path, {**MAN, "medications": [prednisone]}, text).status == "unknown"


# 15b W4 -- budesonide recorded without a route (RxNorm ingredient 19831, as synthetic and many real
# records carry it) counts as systemic corticosteroid and as immunosuppressive therapy, though the
# vocabulary itself says it is 'mostly inhaled or gut-local; route is not modelled'
# (rules/vocab/drugs.toml). synth-27-000004 (budesonide, active since 2023) failed 'Systemic steroid
# therapy' (NCT05523947 [20]), 'history of systemic corticosteroid therapy within the last 3
# months' (NCT03863535 [7]) and 'Patients with immunosuppressive therapy' (NCT03242551 [24]), the
# only fail of each trial for some. Whether it is given systemically is not on record: unknown.
BUDESONIDE = {"name": "budesonide", "rxnorm": "19831", "start": "2023-09-16", "status": "active"}


def test_budesonide_without_a_route_is_not_known_to_be_systemic(tmp_path):
    patient = {**MAN, "medications": [BUDESONIDE]}
    assert exclusion(tmp_path, patient, "Systemic steroid therapy").status == "unknown"
    assert exclusion(tmp_path, patient, "history of systemic corticosteroid therapy within the last 3 months;").status == "unknown"


def test_budesonide_without_a_route_is_not_known_to_be_immunosuppressive_therapy(tmp_path):
    assert exclusion(tmp_path, {**MAN, "medications": [BUDESONIDE]}, "Patients with immunosuppressive therapy").status == "unknown"


# 15b W10 -- 'primary immunodeficiency' and 'congenital immunodeficiency' are synonyms of the concept
# 'immunodeficiency' (rules/vocab/conditions.toml), whose narrower concepts include HIV infection
# (parents = ["viral infection", "immunodeficiency"]): a patient with HIV fails 'Known primary
# immunodeficiency' (NCT05601440 [40]; synth-27-000002, HIV since 2013), 'History of active primary
# immunodeficiency.' (NCT03606967, NCT03820141, NCT05795101), 'Subject has a diagnosis of primary
# immunodeficiency.' (NCT04711824) and four more. HIV is an acquired (secondary) immunodeficiency,
# the opposite of primary; with HIV and nothing else on record these lines do not apply.
def test_hiv_is_no_primary_immunodeficiency(tmp_path):
    hiv = {"name": "HIV", "snomed": "86406008", "onset": "2013-01-03", "status": "active"}
    patient = {**MAN, "conditions": [hiv]}
    assert exclusion(tmp_path, patient, "Known primary immunodeficiency").status != "fail"
    assert exclusion(tmp_path, patient, "History of active primary immunodeficiency.").status != "fail"


# The narrower concept leaves what it is not sure of unknown: a record of immunodeficiency coded
# no further (D84.9, unspecified) may be a primary one; an immunodeficiency due to drugs (D84.821)
# is acquired, and 'Congenital immune deficiency' (NCT03869593) is now read as the concept.
def test_an_unspecified_immunodeficiency_may_be_primary_and_one_due_to_drugs_is_not(tmp_path):
    unspecified = {"name": "Immunodeficiency, unspecified", "icd10cm": "D84.9", "onset": "2013-01-03", "status": "active"}
    assert exclusion(tmp_path, {**MAN, "conditions": [unspecified]}, "Known primary immunodeficiency").status == "unknown"
    due_to_drugs = {"name": "Immunodeficiency due to drugs", "icd10cm": "D84.821", "onset": "2013-01-03", "status": "active"}
    assert exclusion(tmp_path, {**MAN, "conditions": [due_to_drugs]}, "Known primary immunodeficiency").status == "pass"
    cvid = {"name": "Common variable immunodeficiency", "icd10cm": "D83.9", "onset": "2013-01-03", "status": "active"}
    assert exclusion(tmp_path, {**MAN, "conditions": [cvid]}, "Congenital immune deficiency").status == "fail"


# 15a W3 -- Laticia Dibbert (as of 2013-06-01): LOINC 33914-3 'Glomerular filtration rate/1.73 sq
# M.predicted' 18.1 with the unit 'mL/min' (as Synthea writes it; six of the sixteen bundles carry
# this code), 2013-05-31. NCT03860324 [7] (exclusion) 'Chronic kidney disease with a Glomerular
# Filtration Rate < 50ml/min' PASSES: 'no record of chronic kidney disease (closed world)' beside
# 'estimated glomerular filtration rate 18.1 mL/min < 50 mL/min'. The same value written
# 'mL/min/1.73m2' makes it unknown ('a value on record that may be chronic kidney disease: KDIGO
# 2012: GFR < 60 mL/min/1.73 m2'), and so does 'Renal insufficiency (GFR < 30 mL/min)' (the
# bracketed-definition rule): the 'value that may be the diagnosis' look-up compares with 60
# mL/min/1.73m2 only, so an eGFR in mL/min escapes it and the closed world answers 'no CKD' for a
# GFR of 18. A bare 'Chronic kidney disease' passes the same way. The eGFR of 18 is the record's own
# word (it contradicts the creatinine of 0.76 the same day, which is a further reason for unknown).
EGFR_18_ML_MIN = {"loinc": "33914-3", "value": 18, "unit": "mL/min", "date": "2026-12-01"}


def test_an_egfr_of_18_in_ml_min_is_not_free_of_chronic_kidney_disease(tmp_path):
    patient = {**WOMAN, "birth_date": "1948-11-08", "observations": [EGFR_18_ML_MIN]}
    text = "Chronic kidney disease with a Glomerular Filtration Rate < 50ml/min"
    assert _exclusion(tmp_path, patient, text).status != "pass"
    assert _exclusion(tmp_path, patient, "Chronic kidney disease").status != "pass"


# The same value compared with a threshold per 1.73 m2 is now compared ('Has estimated glomerular
# filtration rate (eGFR) ≤30 mL/min/1.73 m^2', NCT03862807); with one in plain mL/min it is not,
# as for an eGFR recorded per 1.73 m2 (mL/min and mL/min/1.73m2 are not compared silently).
def test_an_egfr_in_ml_min_is_read_per_1_73_m2(tmp_path):
    patient = {**WOMAN, "birth_date": "1948-11-08", "observations": [EGFR_18_ML_MIN]}
    assert _exclusion(tmp_path, patient, "Has estimated glomerular filtration rate (eGFR) ≤30 mL/min/1.73 m^2").status == "fail"
    assert _exclusion(tmp_path, patient, "GFR <50 mL/min").status == "unknown"


def _anywhere(trial_result, start):
    """The one criterion, at any depth, whose text starts with `start`: the items under another
    group's inclusion heading are that group's children (engine/trials.py
    _another_groups_inclusion), where the audit looked for them at the top level."""

    def walk(cs):
        for c in cs:
            yield c
            yield from walk(c.children)

    [c] = [c for c in walk(trial_result.criteria) if c.text.startswith(start)]
    return c


# 15a W2 -- inclusion criteria of a second phase, arm or randomisation that a record lists inside its
# exclusion block, under a lead-in the splitter does not take for a heading, are read as
# exclusions: whoever meets them is excluded.
#   NCT02028676 [29] (exclusion block): 'Eligibility criteria for the secondary randomisation to stop or
#     continue cotrimoxazole prophylaxis randomisation Inclusion criteria' / '1. Participating in
#     ARROW' / '2. Aged at least 3 years' -> 'Aged at least 3 years' FAILS every patient of 3 or more:
#     the only fail, so the trial ineligible, for Tyrell Kuphal (15) and Deedra Lockman (16), whom the
#     trial's age range (to 17) takes.
#   NCT05664893 [39.1], [39.3] (exclusion block): 'Criteria for the Ribociclib and Radiotherapy
#     concomitant phase inclusion criteria' / ... / 'Demonstrate adequate organ functions:' /
#     'Hemoglobin > 9 g/dL;' / 'Platelets > 100 G/L;' -> both FAIL for a normal blood count (Alfreda
#     Wyman, Hershel Marvin, Willy Koepp, Deedra Lockman, Luigi Wiegand); 'Total serum bilirubin <
#     ULN ...', 'AST and ALT <2.5 x ULN', 'Alkaline Phosphatase < 2.5 x ULN' FAIL Laticia Dibbert
#     (sub-items of an unknown 'Demonstrate adequate organ functions:', so the trial is not decided
#     by them; the test fails on the sub-item's fail, not on the trial status).
#   NCT02614794 [2.18], [2.21] (exclusion block): 'Poorly controlled seizures Unblinded Phase Crossover
#     inclusion criteria - Participants who were randomized to the control arm ... must meet the
#     following criteria to be eligible to crossover to the experimental arm.' / 'Have an ECOG
#     Performance Status of 0 or 1' / 'Left ventricular ejection fraction (LVEF) ≥ 50%' -> with ECOG 0
#     and LVEF 60 % on record both FAIL and the trial is ineligible (Laticia Dibbert, LVEF 35 %, got the
#     mirror image: a confident PASS of the exclusion 'LVEF ≥ 50%').
# A heading 'X inclusion criteria' (no colon) or a lead-in '... must meet the following criteria'
# makes what follows requirements; engine/trials.py (section splitting) switches only on a heading
# line of its own. A safe engine reads such items as inclusions of another phase (unknown here) or
# at least not as exclusions.
HB_PLT = [
    {"loinc": "718-7", "value": 15.0, "unit": "g/dL", "date": "2026-12-01"},
    {"loinc": "777-3", "value": 300, "unit": "10*3/uL", "date": "2026-12-01"},
]


def test_items_under_a_phase_inclusion_heading_in_the_exclusion_block_do_not_exclude(tmp_path):
    criteria = (
        "Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* Pregnancy\n"
        "* Criteria for the Ribociclib and Radiotherapy concomitant phase inclusion criteria\n"
        "* Patient registered in the study-screening phase;\n"
        "* Demonstrate adequate organ functions:\n* Hemoglobin > 9 g/dL;\n* Platelets > 100 G/L;\n"
    )
    result = screen_text(tmp_path, {**WOMAN, "observations": HB_PLT}, criteria)
    assert result.status != "ineligible"
    for start in ("Hemoglobin", "Platelets"):
        assert _anywhere(result, start).status != "fail", start


def test_aged_at_least_3_years_under_a_randomisation_inclusion_heading_does_not_exclude_a_child(tmp_path):
    criteria = (
        "Inclusion Criteria:\n\n1. Aged 3 months to 17 years\n\nExclusion Criteria:\n\n"
        "1. Being pregnant or breast-feeding an infant\n\n"
        "Eligibility criteria for the secondary randomisation to stop or continue cotrimoxazole\n"
        "prophylaxis randomisation Inclusion criteria\n\n1. Participating in ARROW\n\n2. Aged at least 3 years\n"
    )
    boy = {"id": "p", "birth_date": "2011-02-13", "sex": "male"}
    result = screen_text(tmp_path, boy, criteria)
    assert _anywhere(result, "Aged at least 3 years").status != "fail"
    assert result.status != "ineligible"


def test_items_after_a_must_meet_the_following_lead_in_among_exclusions_do_not_exclude(tmp_path):
    criteria = (
        "Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n"
        "* Known or suspected leptomeningeal disease (LMD)\n"
        "* Poorly controlled seizures Unblinded Phase Crossover inclusion criteria - Participants who were "
        "randomized to the control arm (placebo + trastuzumab + capecitabine) must meet the following criteria "
        "to be eligible to crossover to the experimental arm.\n"
        "* Have an ECOG Performance Status of 0 or 1\n"
        "* Left ventricular ejection fraction (LVEF) ≥ 50%\n"
    )
    obs = [
        {"loinc": "10230-1", "value": 60, "unit": "%", "date": "2026-12-01"},
        {"loinc": "89247-1", "value": 0, "unit": "{score}", "date": "2026-12-01"},
    ]
    result = screen_text(tmp_path, {**WOMAN, "observations": obs}, criteria)
    assert _anywhere(result, "Left ventricular").status != "fail"
    assert _anywhere(result, "Have an ECOG").status != "fail"
    assert result.status != "ineligible"


# Not every line naming a part's inclusion criteria heads them: one that speaks of meeting them
# is a criterion ('Patients who do not meet the Part A inclusion criteria').
def test_a_line_about_meeting_a_parts_inclusion_criteria_is_no_heading():
    from engine.trials import split_criteria

    criteria = split_criteria(
        "Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n"
        "* Patients who do not meet the Part A inclusion criteria\n* Pregnancy\n"
    )
    assert [(c.section, c.text) for c in criteria] == [
        ("inclusion", "Age 18 years or older"),
        ("exclusion", "Patients who do not meet the Part A inclusion criteria"),
        ("exclusion", "Pregnancy"),
    ]
