"""Wrong confident verdicts found in the twentieth audit of 2026-12-07 (/tmp/audit20.md): a
read-only regression audit of the session's changes (27fdfcb -> 5d04336). Each test screens the
criterion as the registry wrote it (trimmed, with its NCT id) for the least patient that shows
the wrong verdict, and asserts what a safe engine says."""

from __future__ import annotations

from one_trial import LIVER_METS, exclusion, inclusion, lab, transaminases

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}
NSCLC = {"name": "Non-small cell lung cancer", "icd10cm": "C34.90", "onset": "2025-01-01", "status": "active"}
HIV = {"name": "HIV infection", "icd10cm": "B20", "onset": "2010-01-01", "status": "active"}
GILBERT = {"name": "Gilbert syndrome", "icd10cm": "E80.4", "onset": "2000-06-01", "status": "active"}




# F1 -- NCT05625412 (exclusion): 'Participants with NSCLC with known or not tested for EGFR
# mutation ...'. With 'known' a filler word (0c2b1bf) and 'or' the connective, the bare NSCLC
# stood as an alternative: every NSCLC patient was excluded. 'known or' is words not understood.
def test_known_or_does_not_leave_the_disease_standing_alone(tmp_path):
    patient = {**MAN, "conditions": [NSCLC]}
    assert exclusion(tmp_path, patient, "Participants with NSCLC with known or not tested for EGFR mutation").status != "fail"
    assert exclusion(tmp_path, patient, "NSCLC with known or suspected EGFR mutations").status != "fail"


# F2 -- NCT04205903 (exclusion): '... currently taking combination antiretroviral therapy known or
# suspected to affect paclitaxel pharmacokinetics': any antiretroviral excluded.
def test_known_or_suspected_to_affect_narrows_the_drugs(tmp_path):
    patient = {**MAN, "conditions": [HIV], "medications": [{"name": "dolutegravir", "rxnorm": "1433868", "start": "2020-01-01", "status": "active"}]}
    text = (
        "Has a known diagnosis of human immunodeficiency virus (HIV) and is currently taking combination antiretroviral "
        "therapy known or suspected to affect paclitaxel pharmacokinetics (PK)."
    )
    assert exclusion(tmp_path, patient, text).status != "fail"


# F3 -- NCT05346224 (inclusion): 'AST and ALT ≤ 2.5 × ULN, total bilirubin ≤ 1.5 × ULN; for
# subjects with known Gilbert syndrome, total bilirubin ≤ 2 × ULN': the Gilbert's limit set
# aside the transaminases with the bilirubin (106c5d2), and a Gilbert's patient with AST and ALT
# of 5 x ULN passed. Only the bilirubin limit is the group's.
def test_a_group_limit_sets_aside_only_the_limits_of_its_own_measures(tmp_path):
    text = "AST and ALT ≤ 2.5 × ULN, total bilirubin ≤ 1.5 × ULN; for subjects with known Gilbert syndrome, total bilirubin ≤ 2 × ULN"
    labs = [lab("1920-8", 200, "U/L", 40), lab("1742-6", 200, "U/L", 40), lab("1975-2", 2.0, "mg/dL", 1.2)]
    assert inclusion(tmp_path, {**MAN, "conditions": [GILBERT], "observations": labs}, text).status == "fail"
    fine = [lab("1920-8", 30, "U/L", 40), lab("1742-6", 30, "U/L", 40), lab("1975-2", 2.0, "mg/dL", 1.2)]
    assert inclusion(tmp_path, {**MAN, "conditions": [GILBERT], "observations": fine}, text).status == "pass"


# P1 (made-up, wrong on 27fdfcb too): 'Hemoglobin ≥ 9 g/dL. Platelet count ≥ 100 x 10^9/L. For
# patients with liver metastases, platelet count ≥ 50 x 10^9/L.' passed a patient with liver
# metastases and a hemoglobin of 7: the platelet case set aside the hemoglobin limit too.
def test_a_group_limit_in_a_sentence_of_its_own_keeps_the_other_measures_limits(tmp_path):
    # (F3d: also where the two limits are one all-of, and the measures' names end alike)
    counts = "Absolute neutrophil count ≥ 1.5 × 10^9/L and platelet count ≥ 100 × 10^9/L. For patients with liver metastases, platelet count ≥ 50 × 10^9/L."
    labs = [lab("751-8", 0.5, "10*9/L"), lab("777-3", 150, "10*9/L")]
    assert inclusion(tmp_path, {**MAN, "conditions": [LIVER_METS], "observations": labs}, counts).status == "fail"
    text = "Hemoglobin ≥ 9 g/dL. Platelet count ≥ 100 x 10^9/L. For patients with liver metastases, platelet count ≥ 50 x 10^9/L."
    labs = [lab("718-7", 7, "g/dL"), lab("777-3", 70, "10*3/uL")]
    assert inclusion(tmp_path, {**MAN, "conditions": [LIVER_METS], "observations": labs}, text).status == "fail"
    labs = [lab("718-7", 12, "g/dL"), lab("777-3", 70, "10*3/uL")]
    assert inclusion(tmp_path, {**MAN, "conditions": [LIVER_METS], "observations": labs}, text).status == "pass"
