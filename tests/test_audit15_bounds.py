"""Wrong confident verdicts of audits 15a and 15b (2026-12-07; /tmp/audit15a_out/REPORT.md and
/tmp/audit15b_out/REPORT.md) of one family: how far an 'or', a window or a patient group written
once reaches in a line of lab bounds. Each test quotes the corpus line (trimmed) with its NCT id
and asserts what a safe engine should answer."""

from __future__ import annotations

import pytest
from one_trial import criterion, exclusion, screen_text


MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}
WOMAN = {"id": "p", "birth_date": "1968-05-02", "sex": "female"}
GILBERT = {"name": "Gilbert syndrome", "icd10cm": "E80.4", "onset": "2000-06-01", "status": "active"}
LIVER_METS = {"name": "Secondary malignant neoplasm of liver", "icd10cm": "C78.7", "onset": "2026-06-01", "status": "active"}


def _lab(loinc, value, unit, day="2026-11-20"):
    return {"loinc": loinc, "value": value, "unit": unit, "date": day}


def _inclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* {text}\nExclusion Criteria:\n* Pregnancy")
    return criterion(result, text[:20])


# 15a W1 --

# Alfreda Wyman's labs of 2020-12-01, as of 2026-12-07 minus six years' shift: a creatinine and a
# weight (Cockcroft-Gault about 94 mL/min), a haemoglobin; no ANC, ALT, AST, bilirubin, platelets.
KIDNEY_ONLY = {
    **WOMAN,
    "observations": [
        {"loinc": "2160-0", "value": 0.94, "unit": "mg/dL", "date": "2026-12-01"},
        {"loinc": "29463-7", "value": 79.6, "unit": "kg", "date": "2026-12-01"},
        {"loinc": "718-7", "value": 15.0, "unit": "g/dL", "date": "2026-12-01"},
    ],
}


# NCT05402722 [7.1] (inclusion): 'Hb≥90g/L; • Plt≥100^9/L; • Serum albumin ≥3g/dL;•
# Neutrophils≥1.5^9/L; TSH≤ ULN;• ALT and AST ≤1.5 ULN ...; • TBIL ≤ULN ...;• AKP≤ 2.5 ULN; • Renal
# function within 7 days before the first administration: serum creatinine ≤1.5 ULN or creatinine
# clearance ≥60mL/min'. Read '(Hb; Plt; albumin; ANC; TSH; ALT/AST; TBIL; creatinine) or
# creatinine clearance >= 60': the last 'or', between the two renal alternatives, is taken as the
# top connective of the whole list, so a creatinine clearance of 100 passes the whole organ-function
# line for Alfreda Wyman, who has no ANC, platelets ... ALT, AST, bilirubin or TSH on record. The
# same precedence in plain lists: 'A, B, and creatinine ≤ 1.5 x ULN or creatinine clearance ≥ 60'
# and 'A and creatinine ... or creatinine clearance ...' are read '(A and B and creatinine) or CrCl'.
# The 'or' there joins two ways of measuring one thing, and binds tighter than the list's 'and'.
def test_a_closing_or_between_renal_alternatives_does_not_cover_the_whole_lab_list(tmp_path):
    text = (
        "Adequate organ function: ANC ≥ 1500/uL, platelets ≥ 100,000/uL, bilirubin ≤ 1.5 x ULN and "
        "creatinine ≤ 1.5 mg/dL or creatinine clearance ≥ 60 mL/min"
    )
    assert _inclusion(tmp_path, KIDNEY_ONLY, text).status == "unknown"


def test_a_and_b_or_c_of_one_measure_keeps_a_required(tmp_path):
    text = "ALT ≤ 2.5 x ULN and creatinine ≤ 1.5 x ULN or creatinine clearance ≥ 60 mL/min"
    assert _inclusion(tmp_path, KIDNEY_ONLY, text).status == "unknown"
    text2 = "Absolute neutrophil count ≥1.5x10^9/L, ALT ≤ 2.5 x ULN, and creatinine ≤ 1.5 x ULN or creatinine clearance ≥ 60 mL/min"
    assert _inclusion(tmp_path, KIDNEY_ONLY, text2).status == "unknown"


def test_the_semicolon_list_with_the_closing_renal_or(tmp_path):
    # the corpus line itself (NCT05402722), trimmed of nothing that matters
    text = (
        "Hb≥90g/L; • Plt≥100^9/L; • Serum albumin ≥3g/dL;• Neutrophils≥1.5^9/L; TSH≤ normal upper limit (ULN);"
        "• ALT and AST ≤1.5 ULN (liver metastases ≤3 ULN); • TBIL ≤ULN (total bilirubin ≤1.5 ULN in Gilbert's "
        "syndrome or liver metastasis subjects);• ALT and AST ≤1.5 ULN (liver metastases ≤3 ULN);• AKP≤ 2.5 ULN; "
        "• Renal function within 7 days before the first administration: serum creatinine ≤1.5 ULN or creatinine "
        "clearance ≥60mL/min"
    )
    assert _inclusion(tmp_path, KIDNEY_ONLY, text).status == "unknown"



# 15a W4 --
# a lab line whose time window the parser does not understand, when the window lands in one
# branch of an 'or' (or is itself read as an alternative), passes on a value of almost a year ago.
# Adan Pulido as of 2007-03-24 (last labs 2006-04-18: creatinine 1.03 mg/dL, weight 87.9 kg):
#   NCT05455658 [12] 'Serum creatinine =< 1.2 mg/dl OR creatinine clearance > 60 ml/min (within 60
#     days of enrollment and at least 28 days post standard of care [SOC] treatment)' -> PASS on the
#     creatinine of 340 days before (the window went to the clearance branch only);
#   NCT02488967 [17.15] 'Adequate renal function determined within 6 weeks prior to randomization
#     defined as the most recent serum creatinine =< ULN or measured or calculated creatinine
#     clearance > 60 mL/min' -> PASS on a Cockcroft-Gault clearance from the same old values;
#   NCT01380080 [7] 'Creatinine clearance ≥30 mL/min either measured or estimated* using values
#     obtained within 30 days prior to study entry.' -> PASS ('... or «estimated* using values
#     obtained within 30 days prior to study entry»').
# NCI template lines 'Hemoglobin >= 9 g/dL OR >= 5.6 mmol/L (labs should be performed within 14 days
# of treatment initiation)' (NCT02267603 and 14 lines of the corpus) pass the same way. A window in
# words not understood outside an 'or' is handled ('Serum creatinine ≤ 1.5 mg/dL obtained within 14
# days prior to registration' -> unknown); an 'or' whose other branch is true ignores it. The safe
# answer is unknown: no value inside the window is on record.
OLD_KIDNEY = {
    "id": "p", "birth_date": "1950-01-01", "sex": "male",
    "observations": [
        {"loinc": "2160-0", "value": 1.0, "unit": "mg/dL", "date": "2026-02-10"},
        {"loinc": "29463-7", "value": 88, "unit": "kg", "date": "2026-02-10"},
        {"loinc": "718-7", "value": 14, "unit": "g/dL", "date": "2026-02-10"},
    ],
}


def test_a_window_in_a_trailing_bracket_of_an_or_line_still_bounds_the_labs(tmp_path):
    text = (
        "Serum creatinine =< 1.2 mg/dl OR creatinine clearance > 60 ml/min (within 60 days of enrollment and at "
        "least 28 days post standard of care [SOC] treatment)"
    )
    assert _inclusion(tmp_path, OLD_KIDNEY, text).status == "unknown"


def test_values_obtained_within_30_days_are_not_an_alternative(tmp_path):
    text = "Creatinine clearance ≥30 mL/min either measured or estimated* using values obtained within 30 days prior to study entry."
    assert _inclusion(tmp_path, OLD_KIDNEY, text).status == "unknown"


def test_renal_function_determined_within_6_weeks_bounds_both_measures(tmp_path):
    text = (
        "Adequate renal function determined within 6 weeks prior to randomization defined as the most recent serum "
        "creatinine =< ULN or measured or calculated creatinine clearance > 60 mL/min"
    )
    assert _inclusion(tmp_path, OLD_KIDNEY, text).status == "unknown"


def test_labs_should_be_performed_within_14_days_bounds_the_haemoglobin(tmp_path):
    text = "Hemoglobin >= 9 g/dL OR >= 5.6 mmol/L (labs should be performed within 14 days of treatment initiation)"
    assert _inclusion(tmp_path, OLD_KIDNEY, text).status == "unknown"


# 15a W8 --
# 'Total serum bilirubin < ULN; or total bilirubin ≤ 3.0 × ULN or direct bilirubin ≤ 1.5 × ULN
# in patients with well documented Gilbert's Syndrome' (ribociclib template: NCT05664893 [1.8.5] and
# [39.5], NCT03285412 [21]; Laticia Dibbert passed, rightly with a bilirubin of 0.53 mg/dL). Read
# 'total bilirubin < 1 x ULN or total bilirubin <= 3.0 x ULN or ((direct bilirubin <= 1.5 x ULN) if
# gilbert's syndrome)': the Gilbert's condition is put on the last alternative only, so 'total
# bilirubin ≤ 3 x ULN' becomes an unconditional way in, and a bilirubin of 1.8 x ULN without Gilbert's
# passes. 'Total bilirubin ≤ 1.5 x ULN, or ≤ 3 x ULN in patients with Gilbert's syndrome' is read
# right (fail). Safe answer here: fail (bilirubin above ULN, no Gilbert's on record), or unknown.
def test_a_gilbert_allowance_is_not_open_to_everyone(tmp_path):
    bili = {"loinc": "1975-2", "value": 2.2, "unit": "mg/dL", "date": "2026-12-01"}
    text = (
        "Total serum bilirubin < ULN; or total bilirubin ≤ 3.0 × ULN or direct bilirubin ≤ 1.5 × ULN in patients "
        "with well documented Gilbert's Syndrome"
    )
    assert _inclusion(tmp_path, {**WOMAN, "observations": [bili]}, text).status != "pass"


# 15b W1 --
# an allowance for a subgroup written beside the limit ('(or =< 2.0 x ULN in patients with
# documented Gilbert's Syndrome)', '(or <= 5 x ULN if liver metastases are present)', '(with the
# exception of < 3 mg/dL for patients with Gilbert's disease)', 'except in participants with
# documented Gilbert's disease, who must have ...') is read as one more requirement beside the main
# limit ('((«or <= 2.0 x ULN») if (gilbert's syndrome)) and total bilirubin <= 1.5 x ULN'), or
# dropped: the main limit alone decides, so a patient of the subgroup, within the limit the text
# gives them, fails. NCI boilerplate (NCT05422794 [20], NCT04448886, NCT04468061, NCT05795101);
# the reading shows in the screens ('not understood: "or =< 2.0 x ULN"', synth-27-000006, whose own
# fail is right: no Gilbert's on record and 2.8 mg/dL is above 2 x ULN anyway).
BILIRUBIN_LINES = [
    # NCT05422794 [20] (and 3 more NCI records)
    "Total bilirubin =< 1.5 x institutional upper limit of normal (ULN) (or =< 2.0 x ULN in patients with documented Gilbert's Syndrome)",
    # NCT04096638 [25]
    "Total bilirubin ≤1.5×ULN (or total serum bilirubin ≤3×ULN for patients with Gilbert's disease)",
    # NCT04090398 [11]
    "Total bilirubin =< 1.5 x institutional upper limit of normal (ULN) (with the exception of < 3 mg/dL for patients with Gilbert's disease)",
    # NCT04849364
    "Bilirubin ≤ 1.5 ULN (except in participants with documented Gilbert's disease, who must have a total bilirubin ≤ 3.0 mg/dL)",
    # NCT05385705
    "Total bilirubin ≤ 1.5 x ULN (except for patients with known Gilbert's syndrome and serum bilirubin level ≤ 3 x ULN).",
]


def test_gilberts_allowance_beside_the_bilirubin_limit_is_not_an_extra_requirement(tmp_path):
    # Gilbert's syndrome on record, total bilirubin 2.0 mg/dL (1.67 x the default ULN of 1.2 mg/dL):
    # within each line's allowance for Gilbert's; today every line fails.
    patient = {**WOMAN, "conditions": [GILBERT], "observations": [_lab("1975-2", 2.0, "mg/dL")]}
    for text in BILIRUBIN_LINES:
        assert _inclusion(tmp_path, patient, text).status != "fail", text


def test_liver_metastases_allowance_beside_the_transaminase_limit_is_not_an_extra_requirement(tmp_path):
    # NCT05323955 / NCT05693766, NCT04489173 [14], NCT02448420, NCT04650581: liver metastases on
    # record, AST and ALT 150 U/L (3.75 x the default ULN of 40): within the 5 x ULN the lines allow
    # with liver metastases; today each fails 'not understood: "or ≤ 5 × ULN"'.
    patient = {**MAN, "conditions": [LIVER_METS], "observations": [_lab("1742-6", 150, "U/L"), _lab("1920-8", 150, "U/L")]}
    for text in [
        "Serum aspartate aminotransferase (AST) and alanine aminotransferase (ALT) ≤ 2.5 ULN (or ≤ 5 if hepatic metastases are present)",
        "AST or ALT ≤ 2.5 x ULN (or ≤5 x ULN in case of liver metastasis).",
        "ALT and AST ≤ 2.5 x ULN (or ≤ 5.0 x ULN if liver or bone metastasis)",
    ]:
        assert _inclusion(tmp_path, patient, text).status != "fail", text


def test_after_transfusion_if_required_and_within_28_days_does_not_fail_on_an_older_value(tmp_path):
    # NCT03598257 [16] (inclusion): 'Hemoglobin >= 9.0 g/dL (after transfusion if required and
    # within 28 days prior to registration)'. Read '((blood transfusion «after») if «required») and
    # «within 28 days prior to registration» and hemoglobin >= 9.0 g/dL': synth-42-000007, whose only
    # haemoglobin (8.8 g/dL) is 33 days old, failed it -- a value outside the window the line names,
    # on a line that lets a transfusion bring it up. Unknown.
    patient = {**MAN, "observations": [_lab("718-7", 8.8, "g/dL", day="2026-11-04")]}
    text = "Hemoglobin >= 9.0 g/dL (after transfusion if required and within 28 days prior to registration)"
    assert _inclusion(tmp_path, patient, text).status == "unknown"


# 15b W2 --
# 'If A, (then) B' and 'In the event of A, B' are split at the comma into two items of a list
# ('((alkaline phosphatase >= 2.5 x ULN) «If»); (... alanine aminotransferase <= 1.5 x ULN)'): B is
# required of everyone and A decides nothing. NCT05076760 [45]: synth-3-000000 (ALT 63 U/L, no
# alkaline phosphatase on record) and synth-3-000006 (ALT 85) failed it; with a normal alkaline
# phosphatase (80 U/L) the condition is false and the line binds no one.
def test_if_alkaline_phosphatase_is_high_then_transaminases_binds_only_then(tmp_path):
    ranged = [{**_lab("6768-6", 80, "U/L"), "ref_high": 126}, {**_lab("1742-6", 70, "U/L"), "ref_high": 40}, {**_lab("1920-8", 30, "U/L"), "ref_high": 40}]
    text = "If Alkaline Phosphatase ≥ 2.5 x institutional upper limit of normal, then AST and ALT must be ≤ 1.5 x institutional upper limit of normal"
    assert _inclusion(tmp_path, {**MAN, "observations": ranged}, text).status == "pass"


# (fixed in session 13: engine.parse `_case_sentences`)
def test_in_the_event_of_high_alkaline_phosphatase_binds_only_then(tmp_path):
    # (the laboratory's own ULNs, so the spread of default ULNs does not hide the reading)
    ranged = [{**_lab("6768-6", 80, "U/L"), "ref_high": 126}, {**_lab("1742-6", 70, "U/L"), "ref_high": 40}, {**_lab("1920-8", 30, "U/L"), "ref_high": 40}]
    patient = {**MAN, "observations": ranged}
    # NCT05714553 [3.3] (a sub-item; its second sentence): the same patient fails the whole line (synth-3-000000, synth-3-000006, synth-11-000002 and synth-27-000006 failed it)
    text = (
        "Adequate liver function, as defined by serum total bilirubin <ULN, AST and ALT ≤2.5×ULN (or ≤5×ULN if liver metastases "
        "are present). In the event of concomitantly increased ALP values >2.5×ULN, AST and ALT must be <1.5×ULN."
    )
    patient["observations"].append({**_lab("1975-2", 0.5, "mg/dL"), "ref_high": 1.2})
    assert _inclusion(tmp_path, patient, text).status != "fail"


def test_if_the_patient_has_liver_metastases_binds_only_them(tmp_path):
    # NCT04305834 (inclusion): 'If the patient has liver metastases, ALT and AST < 5 x ULN'. No liver
    # metastases on record (an open-world condition), ALT and AST 250 U/L: the line fails today as if
    # it bound everyone. Unknown (it binds only patients with liver metastases).
    patient = {**MAN, "observations": [_lab("1742-6", 250, "U/L"), _lab("1920-8", 250, "U/L")]}
    assert _inclusion(tmp_path, patient, "If the patient has liver metastases, ALT and AST < 5 x ULN").status == "unknown"


# 15b W5 --
# NCT02576431 [11] (inclusion): 'Performance Status: ECOG score ≤ 3 If enrolled with primary CNS
# tumor to be assessed by RANO, Karnofsky Performance Score (KPS) ≥50%'. Read '(ecog <= 3) if ((kps
# >= 50 %) «enrolled with primary CNS tumor ...»)': condition and requirement swapped. ECOG 3 and
# KPS 40 passes (the KPS the line asks of CNS patients is not met, and whether the patient is one
# is not known). Unknown.
def test_ecog_with_a_karnofsky_rule_for_cns_tumours_is_not_an_implication_the_other_way(tmp_path):
    patient = {**MAN, "observations": [_lab("89247-1", 3, "{score}"), _lab("89243-0", 40, "{score}")]}
    text = (
        "Performance Status: Eastern Cooperative Oncology Group (ECOG) score ≤ 3 If enrolled with primary CNS tumor to be "
        "assessed by RANO, Karnofsky Performance Score (KPS) ≥50%"
    )
    assert _inclusion(tmp_path, patient, text).status == "unknown"


# 15b W6 --
# the window a line gives its lab values is not applied when the line is an 'A OR B'
# ('Hemoglobin >= 9 g/dL OR >= 5.6 mmol/L (labs should be performed within 14 days of treatment
# initiation)': the bracket is left on B, not understood, and A alone passes on any value of the
# last year), or when it stands in the sentence before ('ECG and echocardiography must confirm
# normal cardiac function within 3 months prior to randomization. LVEF must be ≥55%'). A value
# older than the window decides: synth-11-000002 (haemoglobin 50 days old) passed NCT05673200 [6]
# and NCT02267603 [9]; AST 269 days old passed NCT02267603 [11]; creatinine 178 days old passed
# NCT05455658 [12]; an LVEF of 47 % 209 days old failed NCT05420454 [9] and NCT05306041 [8].
# The same lines without the 'OR ...' are read with their window ('only ... values from ... count').
OLD = "2026-05-01"  # 220 days before the as-of date 2026-12-07: not stale, but outside every window below


def test_a_window_after_an_or_still_binds_the_first_alternative(tmp_path):
    patient = {**MAN, "observations": [_lab("718-7", 14.4, "g/dL", OLD), _lab("2160-0", 0.9, "mg/dL", OLD),
                                       _lab("1920-8", 30, "U/L", OLD), _lab("1742-6", 30, "U/L", OLD)]}
    for text in [
        # NCT05673200 [6]
        "Hemoglobin >= 9 g/dL or >= 5.6 mmol/L(within 14 days of registration)",
        # NCT02267603 [9]
        "Hemoglobin >= 9 g/dL OR >= 5.6 mmol/L (labs should be performed within 14 days of treatment initiation)",
        # NCT02267603 [11]
        "Aspartate aminotransferase (AST) (serum glutamic oxaloacetic transaminase [SGOT]) and alanine aminotransferase (ALT) "
        "(serum glutamate pyruvate transaminase [SGPT]) =< 2.5 x institutional ULN OR =< 5 x ULN for patients with liver "
        "metastases (labs should be performed within 14 days of treatment initiation)",
        # NCT05455658 [12]
        "Serum creatinine =< 1.2 mg/dl OR creatinine clearance > 60 ml/min (within 60 days of enrollment and at least 28 days "
        "post standard of care [SOC] treatment)",
    ]:
        assert _inclusion(tmp_path, patient, text).status == "unknown", text


def test_an_echo_required_within_3_months_is_not_one_of_7_months_ago(tmp_path):
    # NCT05420454 [9] (inclusion)
    patient = {**WOMAN, "observations": [_lab("10230-1", 50, "%", OLD)]}
    text = (
        "Electrocardiogram (ECG) and echocardiography must confirm normal cardiac function within 3 months prior to "
        "randomization. Left ventricular ejection fraction (LVEF) must be ≥55%;"
    )
    assert _inclusion(tmp_path, patient, text).status == "unknown"


# 15b W8 --
# 'ALT/AST > N x ULN' in an exclusion is read 'ALT > N x ULN and AST > N x ULN' (right for the
# inclusion 'AST/ALT <= 2.5 x ULN', where both must hold), so one transaminase high is not
# excluded: ALT 3 x ULN with a normal AST passes 'ALT/AST >2x ULN' (NCT03328026 [14]) and 'AST/ALT >
# 2.5 x ULN'. The slash in an exclusion names either; at least unknown.
def test_alt_slash_ast_above_a_limit_in_an_exclusion_is_either(tmp_path):
    patient = {**MAN, "observations": [_lab("1742-6", 120, "U/L"), _lab("1920-8", 30, "U/L")]}
    assert exclusion(tmp_path, patient, "ALT/AST >2x ULN").status != "pass"
    assert exclusion(tmp_path, patient, "AST/ALT > 2.5 x ULN").status != "pass"




# The same precedence in a list of sentences whose items have an 'and' of their own: the corpus
# line (NCT05402722) read '(Hb; Plt; ...; ALT and AST ...; serum creatinine) or creatinine clearance'
# even after the 'or' of one function bound tighter, as the 'and' of 'ALT and AST' made the list an
# and-chain whose last operand held every sentence after it (and numbered lists like '... 6. SGOT and
# SGPT < 2.5 x upper limit of normal 7. Creatinine within institutional normal limits or glomerular
# filtration rate >= 30 mL/min/1.73 m2' the same). Made up, the least of it: an eGFR of 90 passed with
# no transaminase on record.
def test_a_closing_or_of_the_last_sentence_does_not_cover_the_list(tmp_path):
    patient = {**WOMAN, "observations": [_lab("62238-1", 90, "mL/min/{1.73_m2}"), _lab("718-7", 14, "g/dL")]}
    text = "Hemoglobin ≥ 10 g/dL; ALT and AST ≤ 2.5 x ULN; creatinine ≤ 1.5 mg/dL or glomerular filtration rate ≥ 30 mL/min/1.73 m2"
    assert _inclusion(tmp_path, patient, text).status == "unknown"
