"""Wrong confident verdicts of the eighteenth audit of 2026-12-07 (/tmp/audit18.md, sections A4,
A5, B rows 1-2, C and D's last row) that come from the vocabulary and from how condition records
are matched: a broader concept standing for a narrower one ('hepatic insufficiency' read as any
liver disease, HIV as an immunodeficiency, 'chronic renal failure' as every stage of chronic
kidney disease, 'hepatitis A' as any hepatitis), codes a concept lacked (renal failure in SNOMED
CT, a tracheostomy done), and records of a past condition ('Ex-smoker', 'Personal history of
...', ICD-10-CM Z85-Z87) read as the condition now. Each keeps the criterion as the registry
wrote it (trimmed), with its NCT id, and the least patient of the audit."""

from __future__ import annotations

from one_trial import criterion, exclusion, screen_text

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}


def _inclusion(tmp_path, patient: dict, text: str):
    """The CriterionResult of `text` as the one inclusion of a trial (as the audit screened it)."""
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* {text}\nExclusion Criteria:\n* Age under 1 year")
    return criterion(result, text[:15])


def _with(conditions=(), procedures=()) -> dict:
    return {**MAN, "conditions": list(conditions), "procedures": list(procedures)}


# --- A4: a condition word mapped to a broader concept -------------------------------------

# NCT03867305 (exclusion): 'patient with Hepatic insufficiency.' Read 'liver disease': a fatty
# liver (K76.0) was hepatic insufficiency, and excluded. Hepatic insufficiency is impaired
# liver function: sure on hepatic failure, 'may be' on other liver disease.
def test_a_fatty_liver_may_be_no_hepatic_insufficiency(tmp_path):
    nafld = {"name": "nonalcoholic fatty liver disease", "icd10cm": "K76.0", "status": "active", "onset": "2020-01-01"}
    assert exclusion(tmp_path, _with([nafld]), "patient with Hepatic insufficiency.").status == "unknown"


def test_hepatic_failure_is_hepatic_insufficiency(tmp_path):
    failure = {"name": "Alcoholic hepatic failure without coma", "icd10cm": "K70.40", "status": "active", "onset": "2024-01-01"}
    assert exclusion(tmp_path, _with([failure]), "patient with Hepatic insufficiency.").status == "fail"


# NCT03698383 (exclusion): 'History of interstitial pneumonitis.' Read 'history of pneumonitis':
# an aspiration pneumonitis of 2019 (J69.0) excluded, matched by the word 'pneumonitis'.
def test_an_aspiration_pneumonitis_is_no_interstitial_pneumonitis(tmp_path):
    aspiration = {"name": "aspiration pneumonitis", "icd10cm": "J69.0", "status": "resolved", "onset": "2019-01-01", "abatement": "2019-02-01"}
    assert exclusion(tmp_path, _with([aspiration]), "History of interstitial pneumonitis.").status == "pass"


def test_an_idiopathic_interstitial_pneumonia_is_interstitial_pneumonitis(tmp_path):
    nsip = {"name": "Idiopathic non-specific interstitial pneumonitis", "icd10cm": "J84.113", "status": "active", "onset": "2022-01-01"}
    assert exclusion(tmp_path, _with([nsip]), "History of interstitial pneumonitis.").status == "fail"


# --- A5: a concept of the wrong kind, or missing codes ------------------------------------

TRACHEOSTOMY_DONE = {"name": "tracheostomy", "snomed": "48387007", "date": "2026-11-20"}


# NCT03861117 'Tracheostomy' and NCT03929328 'Tracheostomy status' (exclusions): a condition
# (Z93.0) only, so a tracheostomy done 17 days before was 'no record of tracheostomy (closed
# world)'. Whether it is still in place the procedure does not say: unknown.
def test_a_tracheostomy_done_is_no_silence_on_tracheostomy(tmp_path):
    assert exclusion(tmp_path, _with(procedures=[TRACHEOSTOMY_DONE]), "Tracheostomy").status == "unknown"


def test_a_tracheostomy_done_is_no_silence_on_tracheostomy_status(tmp_path):
    assert exclusion(tmp_path, _with(procedures=[TRACHEOSTOMY_DONE]), "Tracheostomy status").status == "unknown"


def test_a_tracheostomy_status_still_excludes(tmp_path):
    status = {"name": "Tracheostomy status", "icd10cm": "Z93.0", "status": "active", "onset": "2026-11-20"}
    assert exclusion(tmp_path, _with([status]), "Tracheostomy").status == "fail"


# NCT03921736 (exclusion): 'kidney failure,'. 'renal failure' had ICD-10-CM codes only, so a
# chronic kidney disease stage 5 coded in SNOMED CT (433146000; KDIGO G5 is kidney failure) passed.
def test_chronic_kidney_disease_stage_5_in_snomed_is_kidney_failure(tmp_path):
    ckd5 = {"name": "Chronic kidney disease stage 5 (disorder)", "snomed": "433146000", "status": "active", "onset": "2020-01-01"}
    assert exclusion(tmp_path, _with([ckd5]), "kidney failure,").status == "fail"


# --- B rows 1-2: a broader concept standing for a narrower one (debatable) -----------------

# NCT05306041 (exclusion): 'Patients who are immunocompromised as the result of HIV or receiving
# immunosuppressive therapies.' HIV was a kind of immunodeficiency, so every patient with HIV,
# one fully suppressed on treatment too, was immunocompromised.
def test_hiv_may_be_no_immunocompromise(tmp_path):
    hiv = {"name": "HIV infection", "icd10cm": "B20", "status": "active", "onset": "2015-01-01"}
    text = "Patients who are immunocompromised as the result of HIV or receiving immunosuppressive therapies."
    assert exclusion(tmp_path, _with([hiv]), text).status == "unknown"


# NCT03860350 (exclusion): 'Chronic renal failure'. A synonym of chronic kidney disease, so a
# stage 2 (N18.2, normal or mildly reduced GFR) excluded; kidney failure is stage 5 (KDIGO).
def test_chronic_kidney_disease_stage_2_may_be_no_chronic_renal_failure(tmp_path):
    ckd2 = {"name": "Chronic kidney disease stage 2", "icd10cm": "N18.2", "status": "active", "onset": "2020-01-01"}
    assert exclusion(tmp_path, _with([ckd2]), "Chronic renal failure").status == "unknown"


def test_chronic_kidney_disease_stage_5_is_chronic_renal_failure(tmp_path):
    ckd5 = {"name": "Chronic kidney disease, stage 5", "icd10cm": "N18.5", "status": "active", "onset": "2020-01-01"}
    assert exclusion(tmp_path, _with([ckd5]), "Chronic renal failure").status == "fail"


# --- C: records of a past condition read as the condition now ----------------------------

NICOTINE_HISTORY = {"name": "Personal history of nicotine dependence", "icd10cm": "Z87.891", "status": "active", "onset": "2000-01-01"}
EX_SMOKER = {"name": "Ex-smoker", "status": "active", "onset": "2000-01-01"}
BREAST_CANCER_HISTORY = {"name": "Personal history of malignant neoplasm of breast", "icd10cm": "Z85.3", "status": "active", "onset": "2010-01-01"}


# NCT05070247 (exclusion): 'Active smoking.' A record of the personal history of nicotine
# dependence, matched by the words 'nicotine dependence', was active smoking.
def test_a_history_of_nicotine_dependence_is_no_active_smoking(tmp_path):
    assert exclusion(tmp_path, _with([NICOTINE_HISTORY]), "Active smoking.").status == "pass"


# NCT03920436 (exclusion): 'smoker'. A former smoker may or may not be one.
def test_an_ex_smoker_may_be_no_smoker(tmp_path):
    assert exclusion(tmp_path, _with([EX_SMOKER]), "smoker").status == "unknown"


# NCT03924336 (inclusion): 'Non-smokers.' An ex-smoker was a smoker, and failed it.
def test_an_ex_smoker_may_be_a_non_smoker(tmp_path):
    assert _inclusion(tmp_path, _with([EX_SMOKER]), "Non-smokers.").status == "unknown"


# Audit 18 section C, any 'Active malignancy': a personal history of breast cancer (Z85.3, a
# malignancy 'excised or eradicated', with no evidence of one now: ICD-10-CM guidelines
# I.C.21.c.4) was an active malignancy. The record says the cancer is over.
def test_a_personal_history_of_breast_cancer_is_no_active_malignancy(tmp_path):
    assert exclusion(tmp_path, _with([BREAST_CANCER_HISTORY]), "Active malignancy").status != "fail"


# and such a record still shows the history: NCT03924622 (exclusion) 'History of malignancy'
def test_a_personal_history_of_breast_cancer_is_a_history_of_malignancy(tmp_path):
    assert exclusion(tmp_path, _with([BREAST_CANCER_HISTORY]), "History of malignancy").status == "fail"


# --- D: 'hepatitis A' read as any hepatitis ---------------------------------------------

# NCT05332561 (exclusion): 'Active Hepatitis A virus infection'. Read 'active hepatitis and viral
# infection' ('A' dropped): a chronic hepatitis B excluded.
def test_a_chronic_hepatitis_b_is_no_hepatitis_a(tmp_path):
    hbv = {"name": "chronic hepatitis B", "icd10cm": "B18.1", "status": "active", "onset": "2020-01-01"}
    assert exclusion(tmp_path, _with([hbv]), "Active Hepatitis A virus infection").status == "pass"


# --- the same mechanism beyond the audit's lines ------------------------------------------

# NCT03924622 (exclusion) 'History of malignancy' beside a record coded Z85.3 and named by its
# code alone: no concept had the personal-history codes, so it was no record at all.
def test_a_personal_history_code_alone_is_a_history_of_malignancy(tmp_path):
    coded = {"name": "Z85.3", "icd10cm": "Z85.3", "status": "active", "onset": "2025-06-01"}
    assert exclusion(tmp_path, _with([coded]), "History of malignancy").status == "fail"


# NCT04613674 (exclusion) 'Has a history of breast cancer.': a record of the family history of
# breast cancer (Z80.3) names breast cancer, and was the patient's own.
def test_a_family_history_of_breast_cancer_is_not_the_patients(tmp_path):
    family = {"name": "Family history of malignant neoplasm of breast", "icd10cm": "Z80.3", "status": "active", "onset": "2015-01-01"}
    assert exclusion(tmp_path, _with([family]), "Has a history of breast cancer.").status == "pass"
