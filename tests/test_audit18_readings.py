"""Wrong confident verdicts found in the eighteenth audit of 2026-12-07 (a read-only audit of
fully structured readings, seed 18): its reading findings A1 (the scope of a list), A2 (a class
with named members, one member outside the class), A3 ('known' read as 'ever') and the same
kinds found beyond the sample (its section D). Each test screens the criterion as the registry
wrote it (trimmed, with its NCT id) for the least patient that shows the wrong verdict, and
asserts what a safe engine says: the exact verdict where the text is clear, and at least not
the wrong one where the text can be read two ways."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path.cwd() / "tests"))

from one_trial import screen_text  # noqa: E402

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}
WOMAN = {"id": "p", "birth_date": "1990-01-01", "sex": "female"}


def _exclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* {text}")
    [c] = [c for c in result.criteria if c.text == text.strip()]
    return c


def _inclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* {text}\nExclusion Criteria:\n* Age under 1 year")
    [c] = [c for c in result.criteria if c.text == text.strip()]
    return c


def _medication(name, start="2026-10-01", end=None):
    return {"name": name, "start": start, **({"end": end} if end else {})}


# A3 -- NCT04985266 (exclusion): 'Females who are known to be pregnant or breastfeeding'.
# 'known' was a history word, so the line read 'history of pregnancy': a woman pregnant in 2015
# failed. 'known' says what is known of the patient, not that a past pregnancy counts.
def test_known_to_be_pregnant_does_not_exclude_a_pregnancy_of_2015(tmp_path):
    pregnancy_2015 = {"name": "pregnancy", "snomed": "77386006", "status": "resolved", "onset": "2015-01-01", "abatement": "2015-09-01"}
    patient = {**WOMAN, "conditions": [pregnancy_2015]}
    assert _exclusion(tmp_path, patient, "Females who are known to be pregnant or breastfeeding").status != "fail"


# A3/B -- NCT02344472 (exclusion): 'Known CNS metastases'; NCT02559687 'Known central nervous
# system (CNS) metastases and/or carcinomatous meningitis'. Read 'history of cns metastases', a
# brain metastasis that abated in 2020 excluded with no word of the trial's on treated ones.
def test_known_cns_metastases_leave_a_resolved_brain_metastasis_unknown(tmp_path):
    resolved = {"name": "brain metastases", "icd10cm": "C79.31", "status": "resolved", "onset": "2019-01-01", "abatement": "2020-01-01"}
    patient = {**MAN, "conditions": [resolved]}
    assert _exclusion(tmp_path, patient, "Known CNS metastases").status == "unknown"
    text = "Known central nervous system (CNS) metastases and/or carcinomatous meningitis"
    assert _exclusion(tmp_path, patient, text).status == "unknown"


# A3/B -- NCT01848834 (exclusion): 'Known psychiatric or substance abuse disorders': a depressive
# episode of 2005 excluded.
def test_known_psychiatric_disorders_leave_an_episode_of_2005_unknown(tmp_path):
    episode = {"name": "major depressive disorder, single episode", "icd10cm": "F32.9", "status": "resolved", "onset": "2005-01-01", "abatement": "2005-09-01"}
    patient = {**MAN, "conditions": [episode]}
    assert _exclusion(tmp_path, patient, "Known psychiatric or substance abuse disorders").status == "unknown"


# A1 -- NCT03860662 (exclusion): 'Pregnant women, breastfeeding and younger than 18 years', read
# 'pregnancy and lactation and age < 18 years': a pregnant adult passed. The minors are a group
# of patients of their own, as the pregnant and the breastfeeding are.
def test_pregnant_breastfeeding_and_minors_do_not_pass_a_pregnant_adult(tmp_path):
    pregnancy = {"name": "pregnancy", "snomed": "77386006", "status": "active", "onset": "2026-10-01"}
    patient = {**WOMAN, "conditions": [pregnancy]}
    assert _exclusion(tmp_path, patient, "Pregnant women, breastfeeding and younger than 18 years").status != "pass"


# D -- NCT05296577 (exclusion): '1. Prior treatment with bevacizumab, anlotinib and other
# antiangiogenic agents;': bevacizumab is an antiangiogenic agent, so the 'A and B may mean
# either' rescue was off and a patient given bevacizumab passed.
def test_named_drugs_and_other_agents_of_their_class_do_not_pass_the_first_of_them(tmp_path):
    patient = {**MAN, "medications": [_medication("bevacizumab", "2025-01-01", "2025-06-01")]}
    text = "1. Prior treatment with bevacizumab, anlotinib and other antiangiogenic agents;"
    assert _exclusion(tmp_path, patient, text).status != "pass"


# A2 -- NCT03591276 (exclusion): 'Anthracycline treatment (doxorubicin, epirubicin, mitoxantrone,
# PLD) in metastatic setting.' Read 'members and anthracycline', mitoxantrone (an
# anthracenedione, not under anthracycline) passed though the trial names it.
def test_a_drug_named_among_a_class_s_members_is_not_ruled_out_by_the_class(tmp_path):
    patient = {**MAN, "medications": [_medication("mitoxantrone", "2025-01-01", "2025-03-01")]}
    text = "Anthracycline treatment (doxorubicin, epirubicin, mitoxantrone, PLD) in metastatic setting."
    assert _exclusion(tmp_path, patient, text).status == "unknown"


# A2/D -- NCT05095207 (exclusions): abiraterone (a CYP17 inhibitor, no androgen receptor
# antagonist: ATC L02BX03, not L02BB) and an oral contraceptive (not endocrine therapy in the
# vocabulary) named in brackets after a class passed.
def test_abiraterone_and_the_pill_named_after_their_class_do_not_pass(tmp_path):
    patient = {**MAN, "medications": [_medication("abiraterone", "2025-01-01", "2025-12-01")]}
    text = "Any prior exposure to anti-androgen therapy (bicalutamide, abiraterone, and/or enzalutamide)"
    assert _exclusion(tmp_path, patient, text).status != "pass"
    patient = {**WOMAN, "medications": [_medication("levonorgestrel", "2025-01-01")]}
    text = "Concurrent use of endocrine therapy (tamoxifen, anastrozole, letrozole, exemestane, oral contraceptive pills)"
    assert _exclusion(tmp_path, patient, text).status != "pass"


# A1 -- NCT04142931 (exclusion): 'Treatment with anti TNF agents - infliximab (Remicade),
# adalimumab (Humira), certolizumab pegol (Cimzia), and golimumab (Simponi), or etanercept
# (Enbrel).' Read '(tnf inhibitor and infliximab and ... and golimumab) or etanercept': a
# patient on infliximab passed.
def test_a_list_ending_and_then_or_does_not_pass_a_patient_on_its_first_drug(tmp_path):
    patient = {**MAN, "medications": [_medication("infliximab")]}
    text = (
        "Treatment with anti TNF agents - infliximab (Remicade), adalimumab (Humira), certolizumab pegol (Cimzia),"
        " and golimumab (Simponi), or etanercept (Enbrel)."
    )
    assert _exclusion(tmp_path, patient, text).status != "pass"
    patient = {**MAN, "medications": [_medication("etanercept")]}
    assert _exclusion(tmp_path, patient, text).status == "fail"


# A1 -- NCT03925103 (exclusion, a trial of lobectomy): 'History of Neoadjuvant chemotherapy or
# radiotherapy', read 'history of neoadjuvant chemotherapy or history of radiotherapy': any
# radiotherapy ever, for any reason, excluded. 'neoadjuvant' may speak of both.
def test_neoadjuvant_before_an_or_leaves_a_past_radiotherapy_unknown(tmp_path):
    radiotherapy = {"name": "radiotherapy", "snomed": "108290001", "date": "2015-06-01"}
    patient = {**MAN, "procedures": [radiotherapy]}
    assert _exclusion(tmp_path, patient, "History of Neoadjuvant chemotherapy or radiotherapy").status == "unknown"
    assert _exclusion(tmp_path, MAN, "History of Neoadjuvant chemotherapy or radiotherapy").status == "pass"


# A1 -- NCT03925298 (exclusion): 'current use of anticoagulants with an International Normalized
# Ratio > 1.7 or prothrombin time>15 sec; platelet count < 100,000/mm3.' (the tPA
# contraindication 'anticoagulant use with INR > 1.7 or PT > 15 s'). Read '(INR > 1.7 and
# anticoagulant) or PT > 15 s', a patient on no anticoagulant with a PT of 16 s was excluded.
def test_bounds_after_with_are_not_read_as_an_exclusion_of_their_own(tmp_path):
    text = "current use of anticoagulants with an International Normalized Ratio > 1.7 or prothrombin time>15 sec; platelet count < 100,000/mm3."
    labs = [
        {"name": "prothrombin time", "loinc": "5902-2", "value": 16, "unit": "s", "date": "2026-12-01"},
        {"name": "INR", "loinc": "6301-6", "value": 1.3, "date": "2026-12-01"},
        {"name": "platelets", "loinc": "777-3", "value": 250, "unit": "10*3/uL", "date": "2026-12-01"},
    ]
    assert _exclusion(tmp_path, {**MAN, "observations": labs}, text).status != "fail"
    on_warfarin = {**MAN, "observations": labs, "medications": [_medication("warfarin")]}
    assert _exclusion(tmp_path, on_warfarin, text).status == "fail"


# A1 -- NCT03863223 (inclusion): 'HER2 positive recurrent or metastasis breast cancer.', read
# '((her2-positive) «recurrent») or (metastatic disease and breast cancer)': a metastatic breast
# cancer passed with no word of HER2 (and would have with a HER2-negative one). The 'or' is of
# the words before 'breast cancer'; HER2-positive is asked of both.
def test_a_receptor_status_before_recurrent_or_metastatic_is_asked_of_both(tmp_path):
    cancer = {"name": "breast cancer", "icd10cm": "C50.911", "status": "active", "onset": "2024-01-01"}
    metastases = {"name": "metastatic disease", "snomed": "128462008", "status": "active", "onset": "2025-01-01"}
    patient = {**WOMAN, "birth_date": "1960-01-01", "conditions": [cancer, metastases]}
    assert _inclusion(tmp_path, patient, "HER2 positive recurrent or metastasis breast cancer.").status != "pass"
