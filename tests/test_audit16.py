"""Wrong confident verdicts found in the sixteenth audit of 2026-12-07: the passes of the trials a
trial-matching team would look at first (for each of 60 patients, the trials with no failed
criterion, fewest unknowns first). Each test reproduces one wrong verdict with the criterion as
the registry wrote it (trimmed) and the least patient that shows it, and asserts what a safe
engine says.
"""

from __future__ import annotations

from datetime import date

from one_trial import exclusion, screen_text

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}

# synth-27-000002 (pts of audit 15b) carries 'hiv infection' (ICD-10-CM B20) with onset 2013-01-03,
# abatement 2022-08-27, clinical status resolved.
HIV_RESOLVED = {
    "name": "hiv infection",
    "codes": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "B20"}],
    "onset": "2013-01-03",
    "abatement": "2022-08-27",
    "status": "resolved",
}


def _value(name, loinc, value, unit, day="2026-12-01"):
    return {"name": name, "loinc": loinc, "value": value, "unit": unit, "date": day}


def _exclusion_on(tmp_path, patient, text, as_of):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* {text}", as_of=as_of)
    [c] = [c for c in result.criteria if c.text == text.strip()]
    return c


# W1 -- NCT02897700 [21] (exclusion): 'Patients who have known active HIV, Hepatitis B, or Hepatitis C
# infections.' synth-27-000002 (HIV infection B20 on record, 'resolved' 2022) PASSES it today: 'hiv
# infection (onset 2013-01-03): abated 2022-08-27 | no other record of active hiv infection (closed
# world)'. HIV infection is lifelong (no cure; the antibodies and the provirus stay): a recorded
# abatement is record noise or viral suppression, never the end of the infection, so the record does
# not show the patient free of 'active HIV'. Should be unknown (or fail); never pass. The same
# engine fails 'Known HIV infection' for this patient.
def test_a_resolved_hiv_record_does_not_pass_known_active_hiv(tmp_path):
    patient = {**MAN, "conditions": [HIV_RESOLVED]}
    text = "Patients who have known active HIV, Hepatitis B, or Hepatitis C infections."
    assert exclusion(tmp_path, patient, text).status != "pass"


# W1 -- NCT03742102 [10] (exclusion): 'Active infection including tuberculosis, hepatitis B (known
# positive HBV surface antigen [HBsAg] result), hepatitis C virus (HCV), or human immunodeficiency
# virus (positive HIV 1/2 antibodies)'. PASSES synth-27-000002 today ('hiv infection ... abated
# 2022-08-27'); the line itself defines the HIV it means by positive antibodies, which a person
# once infected keeps for life.
def test_a_resolved_hiv_record_does_not_pass_positive_hiv_antibodies(tmp_path):
    patient = {**MAN, "conditions": [HIV_RESOLVED]}
    text = (
        "Active infection including tuberculosis, hepatitis B (known positive HBV surface antigen [HBsAg] result), "
        "hepatitis C virus (HCV), or human immunodeficiency virus (positive HIV 1/2 antibodies)"
    )
    assert exclusion(tmp_path, patient, text).status != "pass"


# W1 -- an AIDS record is one of an HIV infection, which does not end either; a condition that
# ends (a pneumonia 'resolved') is still over.
def test_a_resolved_record_of_a_lifelong_condition_is_unknown_and_of_another_over(tmp_path):
    aids = {"name": "AIDS", "snomed": "62479008", "onset": "2013-01-03", "abatement": "2022-08-27", "status": "resolved"}
    assert exclusion(tmp_path, {**MAN, "conditions": [aids]}, "Active HIV infection").status == "unknown"
    pneumonia = {"name": "Pneumonia", "snomed": "233604007", "onset": "2020-01-03", "abatement": "2020-02-01", "status": "resolved"}
    assert exclusion(tmp_path, {**MAN, "conditions": [pneumonia]}, "Active pneumonia").status == "pass"


# W1 -- the same record against a time window: 'HIV infection within the past 5 years' passed an
# HIV infection 'ended' in 2015 ('not within 5 years ...: ended 2015-08-27'). The infection goes
# on; when (whether) it ended is not recorded: unknown. A record left active stays in the window.
def test_a_resolved_hiv_record_is_not_outside_a_recent_window(tmp_path):
    resolved = {**HIV_RESOLVED, "abatement": "2015-08-27"}
    text = "HIV infection within the past 5 years"
    assert exclusion(tmp_path, {**MAN, "conditions": [resolved]}, text).status == "unknown"
    active = {k: v for k, v in HIV_RESOLVED.items() if k != "abatement"} | {"status": "active"}
    assert exclusion(tmp_path, {**MAN, "conditions": [active]}, text).status == "fail"


# W2 -- NCT03925701 [4] (exclusion): 'renal impairment.' synth-27-000005 (woman, 48 years, serum
# creatinine 1.5 mg/dL 2026-05-08, weight 51 kg; as of 2026-06-02) PASSES it today: 'no record of
# kidney disease (closed world)'. elig itself derives a Cockcroft-Gault clearance of 36.9 mL/min
# from the same values (and fails 'Creatinine clearance less than 50 ml/min.' with it): moderate
# renal impairment by any definition (FDA renal-impairment guidance: CrCl 30-59). The 'value on
# record that may be kidney disease' rule (engine/findings.py VALUE_RULES) reads only eGFR.
def test_renal_impairment_is_not_closed_world_false_beside_a_clearance_of_37(tmp_path):
    patient = {
        "id": "p", "birth_date": "1977-08-15", "sex": "female",
        "observations": [
            _value("Creatinine [Mass/volume] in Serum or Plasma", "2160-0", 1.5, "mg/dL", "2026-05-08"),
            _value("Body weight", "29463-7", 51.0, "kg", "2026-02-11"),
        ],
    }
    as_of = date(2026, 6, 2)
    # the engine's own reading of the same values, right today
    assert _exclusion_on(tmp_path, patient, "Creatinine clearance less than 50 ml/min.", as_of).status == "fail"
    assert _exclusion_on(tmp_path, patient, "renal impairment.", as_of).status != "pass"


# W2 -- NCT03864796 [6] (exclusion): 'Chronic Liver or kidney disease'. Same patient: PASSES today
# ('no record of kidney disease (closed world)').
def test_chronic_kidney_disease_is_not_closed_world_false_beside_a_clearance_of_37(tmp_path):
    patient = {
        "id": "p", "birth_date": "1977-08-15", "sex": "female",
        "observations": [
            _value("Creatinine [Mass/volume] in Serum or Plasma", "2160-0", 1.5, "mg/dL", "2026-05-08"),
            _value("Body weight", "29463-7", 51.0, "kg", "2026-02-11"),
        ],
    }
    assert _exclusion_on(tmp_path, patient, "Chronic Liver or kidney disease", date(2026, 6, 2)).status != "pass"


# W3 -- NCT02260193 [10] (exclusion): 'Uncontrolled hypertension'. A patient with blood pressure
# 178/108 mmHg six days old and no hypertension diagnosis PASSES today: 'no record of active
# hypertension (closed world)'. A measurement that shows the condition is not the record's silence
# (the contract: measurements are open world); the anaemia / thrombocytopenia / CKD-by-eGFR rules do
# exactly this for their measures, and none exists for blood pressure.
def test_uncontrolled_hypertension_is_not_closed_world_false_beside_178_over_108(tmp_path):
    patient = {**MAN, "observations": [
        _value("Systolic blood pressure", "8480-6", 178, "mm[Hg]"),
        _value("Diastolic blood pressure", "8462-4", 108, "mm[Hg]"),
    ]}
    assert exclusion(tmp_path, patient, "Uncontrolled hypertension").status != "pass"


# W3 -- NCT03920150 [2] (exclusion): 'hypercalcaemia'. Calcium 12.9 mg/dL six days old PASSES today:
# 'no record of hypercalcemia (closed world)' (hypercalcaemia is serum calcium > ~10.5 mg/dL; 12.9 is
# CTCAE grade 2-3).
def test_hypercalcaemia_is_not_closed_world_false_beside_a_calcium_of_12_9(tmp_path):
    patient = {**MAN, "observations": [_value("Calcium", "17861-6", 12.9, "mg/dL")]}
    assert exclusion(tmp_path, patient, "hypercalcaemia").status != "pass"


# W3 -- NCT03869151 [3] (exclusion): 'Patients with heart failure'. LVEF 25 % six days old PASSES
# today: 'no record of heart failure (closed world)' (an ejection fraction of 25 % is the HFrEF
# range, ESC 2021: <= 40 %).
def test_heart_failure_is_not_closed_world_false_beside_an_lvef_of_25(tmp_path):
    patient = {**MAN, "observations": [_value("Left ventricular Ejection fraction", "10230-1", 25, "%")]}
    assert exclusion(tmp_path, patient, "Patients with heart failure").status != "pass"


# W3 -- NCT03864796 [6] (exclusion): 'Chronic Liver or kidney disease', and the bare 'Hepatic
# impairment'. Total bilirubin 4.5 mg/dL with ALT 400 U/L (10 x ULN) six days old PASSES today: 'no
# record of liver disease (closed world)'.
def test_hepatic_impairment_is_not_closed_world_false_beside_bilirubin_4_5_and_alt_400(tmp_path):
    patient = {**MAN, "observations": [
        _value("Bilirubin.total", "1975-2", 4.5, "mg/dL"),
        _value("Alanine aminotransferase", "1742-6", 400, "U/L"),
    ]}
    assert exclusion(tmp_path, patient, "Hepatic impairment").status != "pass"
    assert exclusion(tmp_path, patient, "Chronic Liver or kidney disease").status != "pass"


# W3 (probes of the audit) -- 'Hypothyroidism' / 'Thyroid disease' beside a TSH of 25 mIU/L, and
# 'Coagulopathy' beside an INR of 3.2 (no anticoagulant on record), passed by the closed world: the
# value may be the condition (ATA/AACE 2012: TSH above the range; INR > 1.5), so unknown.
def test_hypothyroidism_is_not_closed_world_false_beside_a_tsh_of_25(tmp_path):
    patient = {**MAN, "observations": [_value("Thyrotropin", "3016-3", 25, "mIU/L")]}
    assert exclusion(tmp_path, patient, "Hypothyroidism").status != "pass"
    assert exclusion(tmp_path, patient, "Thyroid disease").status != "pass"


def test_coagulopathy_is_not_closed_world_false_beside_an_inr_of_3_2(tmp_path):
    patient = {**MAN, "observations": [_value("INR", "6301-6", 3.2, "{INR}")]}
    assert exclusion(tmp_path, patient, "Coagulopathy").status != "pass"


# W4 -- NCT03923608 [1.1] and [1.3] (inclusion sub-items): 'Inclusion Criteria: should report the
# absence of:' / 'anemia,' / 'diabetes,' / 'cardiovascular disease,' / ... Andy Schaden (anaemia since
# 1978, stroke 1978; as of 2021-02-28) PASSES 'anemia,' ('Anemia (disorder) ... on record') and
# 'cardiovascular disease,' ('Stroke ... on record'), and FAILS 'diabetes,' ('no record of diabetes
# mellitus'): each item is judged as if it were asked for, while the lead-in asks for its absence.
# The parent is unknown and the trial is not decided by the items, but each item's verdict says
# the opposite of the text. The same with 'No history of the following:', 'None of the
# following:', 'Patients must be free of the following:' (probes).
def test_items_under_a_should_report_the_absence_of_lead_in_are_not_judged_as_asked_for(tmp_path):
    patient = {**MAN, "conditions": [
        {"name": "Anemia (disorder)", "snomed": "271737000", "onset": "1978-06-29", "status": "active"},
        {"name": "Stroke", "snomed": "230690007", "onset": "1978-10-05", "status": "active"},
    ]}
    text = (
        "Inclusion Criteria: should report the absence of:\n  -  anemia,\n  -  diabetes,\n"
        "  -  cardiovascular disease,\n  -  and upper limb and spinal muscular injuries in the last six months\n"
        "Exclusion Criteria:\n  -  absence at any study session and\n"
    )
    result = screen_text(tmp_path, patient, text)
    [parent] = [c for c in result.criteria if c.text.startswith("should report the absence of")]
    items = {c.text: c.status for c in parent.children}
    assert items["anemia,"] != "pass"  # anaemia on record: the item stands in the way
    assert items["cardiovascular disease,"] != "pass"
    assert items["diabetes,"] != "fail"  # no diabetes: the item does not stand in the way


# W4 -- NCT00066846 [48] (inclusion, PDQ record, flat list): '* No CNS disease, including either of
# the following:' / '* Primary brain tumor' / '* Seizures not controlled with standard medical
# therapy'. The items are written at the top level (the record does not nest them). A patient with
# a glioblastoma (C71.9) on record PASSES 'Primary brain tumor' today ('Glioblastoma multiforme of
# brain ... on record'): a top-level inclusion that holds, counted toward 'eligible', for exactly the
# patient the line excludes. For a patient without one, elig already says unknown ('may be one item
# of the list under "No CNS disease, ...", which the record does not nest, so it cannot rule the
# patient out by itself'): the guard covers the fail and not the pass.
def test_an_item_of_a_flat_no_cns_disease_including_list_does_not_pass_a_brain_tumour(tmp_path):
    patient = {**MAN, "conditions": [
        {"name": "Glioblastoma multiforme of brain", "icd10cm": "C71.9", "onset": "2025-01-10", "status": "active"},
    ]}
    text = (
        "Inclusion Criteria:\n* Age 18 years or older\n* No CNS disease, including either of the following:\n"
        "* Primary brain tumor\n* Seizures not controlled with standard medical therapy\n"
        "Exclusion Criteria:\n* Pregnancy\n"
    )
    result = screen_text(tmp_path, patient, text)
    [item] = [c for c in result.criteria if c.text == "Primary brain tumor"]
    assert item.status != "pass"


# W4 -- the flat lead-ins of the probes: 'None of the following:' then 'Anemia' as an inclusion line
# of its own; an anaemia on record must not pass it.
def test_an_item_of_a_flat_none_of_the_following_list_does_not_pass(tmp_path):
    patient = {**MAN, "conditions": [{"name": "Anemia (disorder)", "snomed": "271737000", "onset": "1978-06-29", "status": "active"}]}
    text = "Inclusion Criteria:\n* Age 18 years or older\n* None of the following:\n* Anemia\n* Diabetes\nExclusion Criteria:\n* Pregnancy\n"
    result = screen_text(tmp_path, patient, text)
    items = {c.text: c.status for c in result.criteria}
    assert items["Anemia"] == "unknown" and items["Diabetes"] == "unknown"
    assert items["Age 18 years or older"] == "pass"



# W5 -- NCT03864796 [3] (exclusion): 'Patients with diabetes' and NCT03925714 [2] 'Confirmed
# diabetes.'. synth-3-000004 (glipizide active since 2026-01-02, no diabetes condition on record;
# as of 2026-06-02) PASSES both today: 'no record of diabetes mellitus (closed world)'. Glipizide is a
# sulfonylurea, given for type 2 diabetes only: a record of it is a record that the patient is
# treated for diabetes, whatever the problem list says. Should be unknown (or fail), never pass.
def test_a_patient_on_glipizide_is_not_free_of_diabetes_by_the_closed_world(tmp_path):
    glipizide = {"name": "glipiZIDE 5 MG Oral Tablet", "rxnorm": "310490", "start": "2026-01-02", "status": "active"}
    patient = {**MAN, "medications": [glipizide]}
    assert exclusion(tmp_path, patient, "Patients with diabetes").status != "pass"


# W5 -- NCT02614794 [2.6] (exclusion): 'Positive for human immunodeficiency virus (HIV)'.
# synth-42-000008 (dolutegravir, request from 2023-12-27 'completed'; no HIV on record; as of
# 2026-06-02) PASSES it today: 'no record of hiv infection (closed world)'. Dolutegravir (classed
# 'antiretroviral therapy' in rules/vocab/drugs.toml) is given for HIV (or as post-exposure
# prophylaxis): the record's silence on HIV is not evidence of its absence beside it. Should be
# unknown. The same with bictegravir/emtricitabine/tenofovir alafenamide, and 'Known HIV infection'.
def test_a_patient_on_dolutegravir_is_not_free_of_hiv_by_the_closed_world(tmp_path):
    dolutegravir = {"name": "dolutegravir 50 MG Oral Tablet", "rxnorm": "1433873", "start": "2023-12-27", "status": "completed"}
    patient = {**MAN, "medications": [dolutegravir]}
    assert exclusion(tmp_path, patient, "Positive for human immunodeficiency virus (HIV)").status != "pass"


# W5 -- NCT03238495 [22] (exclusion): 'Prior chemotherapy for any malignancy.' (also NCT04335669 [20]
# 'Previous chemotherapy for cancer or other malignant disease.', NCT02028676 [16] 'on chemotherapy for
# malignancy'). synth-27-000007 (irinotecan active since 2021-11-28, no cancer on the problem list; as
# of 2026-06-02) PASSES all three today: 'no record of malignancy (closed world) | irinotecan ... on
# record, status active | the record does not say whether "for"'. Irinotecan is a cytotoxic given
# for cancer only: the drug is the record of the malignancy it treats. Should be unknown (or fail).
def test_a_patient_on_irinotecan_does_not_pass_prior_chemotherapy_for_any_malignancy(tmp_path):
    irinotecan = {"name": "irinotecan hydrochloride 20 MG/ML Injectable Solution", "rxnorm": "1726319", "start": "2021-11-28", "status": "active"}
    patient = {**MAN, "medications": [irinotecan]}
    assert exclusion(tmp_path, patient, "Prior chemotherapy for any malignancy.").status != "pass"


# W5 (probes of the audit) -- entecavir -> 'Chronic hepatitis B infection', sofosbuvir -> 'Hepatitis
# C', isoniazid -> 'Tuberculosis', levetiracetam -> 'Epilepsy' all passed by the closed world. Each
# drug is given for that condition (its label): the record's silence on it is not its absence.
def test_a_drug_for_the_condition_leaves_its_closed_world_unknown(tmp_path):
    cases = [
        ("entecavir 0.5 MG Oral Tablet", "Chronic hepatitis B infection"),
        ("sofosbuvir 400 MG / velpatasvir 100 MG Oral Tablet", "Hepatitis C"),
        ("isoniazid 300 MG Oral Tablet", "Tuberculosis"),
        ("levetiracetam 500 MG Oral Tablet", "Epilepsy"),
    ]
    for drug, text in cases:
        patient = {**MAN, "medications": [{"name": drug, "start": "2026-01-02", "status": "active"}]}
        result = exclusion(tmp_path, patient, text)
        assert result.status == "unknown", (drug, text, result.reasons)


# The drug implies, it does not decide: a patient on irinotecan with his colon cancer on record
# has the malignancy the drug is for, so 'Breast cancer' stays closed-world false; and a drug for
# diabetes never makes 'Diabetes' an inclusion pass.
def test_a_drug_whose_condition_is_on_record_leaves_other_conditions_closed(tmp_path):
    irinotecan = {"name": "irinotecan hydrochloride 20 MG/ML Injectable Solution", "rxnorm": "1726319", "start": "2025-11-28", "status": "active"}
    colon = {"name": "Malignant neoplasm of colon", "icd10cm": "C18.9", "onset": "2025-10-01", "status": "active"}
    patient = {**MAN, "medications": [irinotecan], "conditions": [colon]}
    assert exclusion(tmp_path, patient, "Breast cancer").status == "pass"
    glipizide = {"name": "glipiZIDE 5 MG Oral Tablet", "rxnorm": "310490", "start": "2026-01-02", "status": "active"}
    result = screen_text(tmp_path, {**MAN, "medications": [glipizide]}, "Inclusion Criteria:\n* Type 2 diabetes\n")
    [item] = [c for c in result.criteria if c.text == "Type 2 diabetes"]
    assert item.status == "unknown"


# W2 -- 'Renal failure' (an exclusion line of its own in many records) passed the same woman (a
# clearance of 36.9 mL/min) and a man with an eGFR of 25 ('no record of renal failure (closed
# world)'): the words are written for renal insufficiency too, so the value may be it.
def test_renal_failure_is_not_closed_world_false_beside_a_low_clearance_or_egfr(tmp_path):
    woman = {
        "id": "p", "birth_date": "1977-08-15", "sex": "female",
        "observations": [
            _value("Creatinine [Mass/volume] in Serum or Plasma", "2160-0", 1.5, "mg/dL", "2026-05-08"),
            _value("Body weight", "29463-7", 51.0, "kg", "2026-02-11"),
        ],
    }
    assert _exclusion_on(tmp_path, woman, "Renal failure", date(2026, 6, 2)).status != "pass"
    man = {**MAN, "observations": [_value("eGFR", "33914-3", 25, "mL/min/1.73m2")]}
    assert exclusion(tmp_path, man, "Renal failure").status != "pass"
