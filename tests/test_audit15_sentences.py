"""Wrong confident verdicts of the fifteenth audit (2026-12-07; /tmp/audit15a_out/REPORT.md and
/tmp/audit15b_out/REPORT.md) that come from the structure of a sentence around its events: the
reach of an 'unless', a washout written 'X: > N weeks', a window after words not understood, a
qualifier after a lead-in, a drug named as an object, an example broader than its head, and a 'No'
over a positive alternative. Each test quotes the corpus line (trimmed) with its NCT id."""

from __future__ import annotations

from one_trial import criterion, exclusion, screen_text

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}
WOMAN = {"id": "p", "birth_date": "1980-10-28", "sex": "female"}


def _exclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* {text}")
    return criterion(result, text[:20])


def _inclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* {text}\nExclusion Criteria:\n* Pregnancy")
    return criterion(result, text[:20])


def _lab(loinc, value, unit, day="2026-11-20"):
    return {"loinc": loinc, "value": value, "unit": unit, "date": day}


# 15b W7 -- 'A unless B; C; D' takes the items after the semicolons into the exception:
# NCT03328026 [14] (exclusion) 'Bilirubin ≥ 1.5 × ULN unless conjugated bilirubin ≤ ULN; alkaline
# phosphatase >5x upper limit of normal (ULN); ALT/AST >2x ULN. ...' was read '(total bilirubin >=
# 1.5 x ULN) unless ((direct bilirubin <= 1 x ULN; alkaline phosphatase > 5 x ULN; (ALT > 2 x ULN and
# AST > 2 x ULN)); ...)': with a normal bilirubin the line passed whatever the alkaline phosphatase.
# An exception ends at its semicolon. (Whether 'ALT/AST >2x' needs both or either is another kind,
# 15b W8; the alkaline phosphatase alone shows the reach of the 'unless' here.)
def test_unless_reaches_only_its_own_item_of_a_semicolon_list(tmp_path):
    patient = {**MAN, "observations": [_lab("1975-2", 0.6, "mg/dL"), _lab("6768-6", 1000, "U/L")]}
    text = (
        "Bilirubin ≥ 1.5 × ULN unless conjugated bilirubin ≤ ULN; alkaline phosphatase >5x upper limit of normal (ULN); "
        "ALT/AST >2x ULN. For patients with hepatic metastases, ALT/AST >5x ULN is exclusionary."
    )
    assert exclusion(tmp_path, patient, text).status == "fail"
    # the same shape, made up: AST 10 x ULN passed 'Total bilirubin > 1.5 x ULN unless Gilbert syndrome; AST or ALT > 3 x ULN'
    patient2 = {**MAN, "observations": [_lab("1975-2", 0.6, "mg/dL"), _lab("1920-8", 400, "U/L"), _lab("1742-6", 300, "U/L")]}
    assert exclusion(tmp_path, patient2, "Total bilirubin > 1.5 x ULN unless Gilbert syndrome; AST or ALT > 3 x ULN").status == "fail"


# 15a W5 -- NCT04300556 [12.3] (inclusion, under 'Participants must undergo a washout period
# required from the end of prior treatment to the first administration of the study drug that will
# be as follows:' / 'Prior anticancer therapy:'): 'Endocrine therapy or, small-molecule targeted
# therapy: >2 weeks.' was read 'endocrine therapy or «>2 weeks»', PASS for Andy Schaden on
# leuprolide (request active). Without the 'or' ('Endocrine therapy: >2 weeks.') it is unknown, and
# 'Endocrine therapy: at least 2 weeks before the first dose' fails the same patient, as it should.
# Same shape: 'Chemotherapy or targeted therapy (including antibody drug therapy): ≥ 3 weeks'
# (NCT04450732, trimmed) passed a patient given docetaxel a week ago.
TAMOXIFEN_NOW = {"name": "tamoxifen 20 MG Oral Tablet", "rxnorm": "313195", "start": "2026-01-01", "status": "active"}
DOCETAXEL_LAST_WEEK = {"name": "1 ML DOCEtaxel 20 MG/ML Injection", "rxnorm": "1790099", "start": "2026-11-30", "status": "active"}


def test_being_on_endocrine_therapy_does_not_meet_a_two_week_washout_from_it(tmp_path):
    patient = {**WOMAN, "medications": [TAMOXIFEN_NOW]}
    text = "Endocrine therapy or, small-molecule targeted therapy: >2 weeks."
    assert _inclusion(tmp_path, patient, text).status != "pass"


def test_chemotherapy_a_week_ago_does_not_meet_a_three_week_washout(tmp_path):
    patient = {**WOMAN, "medications": [DOCETAXEL_LAST_WEEK]}
    text = "Chemotherapy or targeted therapy (including antibody drug therapy): ≥ 3 weeks"
    assert _inclusion(tmp_path, patient, text).status != "pass"


# 15a W6 -- a window closing an 'X or <words not understood> in the past N weeks' line was swallowed
# by the not-understood branch, and X read with no window at all. NCT05303038 [13] (exclusion): 'The
# patient is currently receiving or has received irradiation or local treatment for the target
# lesion in the past 3 weeks.' was read '«The patient is currently receiving» or history of
# radiotherapy or judgment(tumor_assessment) «local treatment for the target lesion in the past 3
# weeks»': radiotherapy of any date FAILED it. 'Prior radiotherapy or other local treatment of the
# target lesion within the past 3 weeks' read the same.
RT_2020 = {"name": "Teleradiotherapy procedure (procedure)", "snomed": "33195004", "date": "2020-03-01"}


def test_radiotherapy_six_years_ago_is_not_irradiation_in_the_past_3_weeks(tmp_path):
    patient = {**WOMAN, "procedures": [RT_2020]}
    text = "The patient is currently receiving or has received irradiation or local treatment for the target lesion in the past 3 weeks."
    assert _exclusion(tmp_path, patient, text).status != "fail"
    text2 = "Prior radiotherapy or other local treatment of the target lesion within the past 3 weeks"
    assert _exclusion(tmp_path, patient, text2).status != "fail"


# 15a W7 -- 'Have a known history of uncontrolled or symptomatic angina, arrhythmias, or CHF;'
# (NCT02394496 [24], exclusion) was read '«Have a known history of uncontrolled» or ((angina
# pectoris) «symptomatic») or cardiac arrhythmia or heart failure': the lead-in swallowed
# 'uncontrolled', which no longer qualified the list, so any arrhythmia or any heart failure FAILED
# it. Without the lead-in ('Uncontrolled or symptomatic angina, arrhythmias, or congestive heart
# failure') the qualifier distributes and the answer is unknown.
AF_2015 = {"name": "Atrial fibrillation", "snomed": "49436004", "onset": "2015-01-01"}


def test_a_controlled_arrhythmia_is_not_an_uncontrolled_or_symptomatic_one(tmp_path):
    patient = {**WOMAN, "conditions": [AF_2015]}
    text = "Have a known history of uncontrolled or symptomatic angina, arrhythmias, or CHF;"
    assert _exclusion(tmp_path, patient, text).status != "fail"


# 15b W9 -- a drug named as the object of a condition was read as taking it: NCT04433494 [17]
# (exclusion) 'Presence of a condition that would interfere with enteric absorption of TY-302 and/or
# Tamoxifen.' was read '«Presence of a condition ... of TY-302» or tamoxifen': a woman on tamoxifen
# (the trial gives TY-302 with tamoxifen) was excluded for taking it. The line asks about a
# malabsorptive condition: unknown.
def test_a_condition_affecting_the_absorption_of_tamoxifen_is_not_taking_tamoxifen(tmp_path):
    tamoxifen = {"name": "tamoxifen", "rxnorm": "10324", "start": "2022-01-15", "status": "active"}
    text = "Presence of a condition that would interfere with enteric absorption of TY-302 and/or Tamoxifen."
    assert exclusion(tmp_path, {**WOMAN, "medications": [tamoxifen]}, text).status != "fail"


# 15b W11 -- 'any anti-HER2 therapy, including an antibody drug conjugate' (NCT03734029 [5],
# exclusion) was read 'history of her2-targeted agent or history of antibody-drug conjugate': the
# example was made an alternative of its own, though it is a broader kind than the head (anti-HER2
# ADCs are meant). A woman given sacituzumab govitecan (an anti-TROP2 ADC) was excluded.
def test_anti_her2_therapy_including_an_adc_is_not_any_adc(tmp_path):
    sacituzumab = {"name": "sacituzumab govitecan", "rxnorm": "2360528", "start": "2025-01-08", "status": "completed", "end": "2025-09-01"}
    text = "Has previously been treated with any anti-HER2 therapy, including an antibody drug conjugate"
    assert exclusion(tmp_path, {**WOMAN, "medications": [sacituzumab]}, text).status != "fail"


# 15b W12 -- NCT03204734 [6] (inclusion): 'No prior use of capecitabine therapy or the use of
# capecitabine treatment was effective, and the efficacy evaluation was CR/PR/SD more than 6 months.'
# was read 'not (history of capecitabine or ((capecitabine «was effective») and «...»))': the 'No'
# was spread over the second alternative, a positive clause of its own (capecitabine that worked is
# allowed). A patient given capecitabine in 2021 failed it; whether it worked is not on record.
def test_no_prior_x_or_x_was_effective_is_not_neither(tmp_path):
    capecitabine = {"name": "capecitabine", "rxnorm": "194000", "start": "2021-08-22", "status": "completed", "end": "2022-02-01"}
    text = ("No prior use of capecitabine therapy or the use of capecitabine treatment was effective, and the efficacy "
            "evaluation was CR/PR/SD more than 6 months.")
    assert _inclusion(tmp_path, {**WOMAN, "medications": [capecitabine]}, text).status == "unknown"


# 15b W7, other shapes of it: the exception's sentence ends at a full stop as at a semicolon,
# and what follows still excludes when some of it is not understood (made-up lines).
def test_unless_ends_at_a_full_stop_or_before_words_not_understood(tmp_path):
    patient = {**MAN, "observations": [_lab("1975-2", 0.6, "mg/dL"), _lab("1920-8", 400, "U/L"), _lab("2160-0", 3.0, "mg/dL")]}
    assert exclusion(tmp_path, patient, "Bilirubin > 1.5 x ULN unless Gilbert syndrome. AST > 3 x ULN").status == "fail"
    assert exclusion(tmp_path, patient, "Total bilirubin > 1.5 x ULN unless Gilbert syndrome; creatinine > 2 mg/dL; zorblat disease").status != "pass"
