"""A sentence after a criterion that lets a group in ('Patients with treated brain metastases
are eligible') waives the criterion for them, as 'unless' does. Read as a sentence of its own
it was one more requirement, and in an exclusion it ruled out the very patients it lets in.
The sentence is one piece not understood: it can only relax the criterion, never decide it.
Each test quotes the corpus line (trimmed) with its NCT id."""

from __future__ import annotations

import pytest
from one_trial import exclusion, inclusion, lab

import engine

ADULT = {"id": "p", "birth_date": "1960-01-01", "sex": "female"}
PAST_HBV = {"name": "Chronic viral hepatitis B without delta-agent", "icd10cm": "B18.1", "onset": "2001-01-01", "abatement": "2005-01-01", "status": "resolved"}
BRAIN_METS = {"name": "Secondary malignant neoplasm of brain", "icd10cm": "C79.31", "onset": "2025-01-01", "status": "active"}

# NCT04603183
HEPATITIS = (
    "Current known infection with HIV, hepatitis B virus (HBV), or hepatitis C virus (HCV). Patients with past HBV "
    "infection or resolved HBV infection (defined as having a negative hepatitis B surface antibody [HBsAg] test) are eligible."
)
# NCT05319873 (its phase label left out)
GILBERT = (
    "Total bilirubin =< 1.5 x ULN. Participants with Gilbert's syndrome with a total bilirubin =< 2.0 times ULN and "
    "direct bilirubin within normal limits are permitted (within 7 days before enrollment)"
)
# NCT04120246
BRAIN = (
    "Active brain metastatic disease. Patients with brain metastases who have been treated with surgery, gamma-knife "
    "radiosurgery or radiation and no radiographic progression for at least 4 weeks and off steroids for 14 days are eligible."
)
# NCT03439735
OTHER_CANCER = (
    "No history of another primary malignancy within past 5 years. Patients with prior history of in situ cancer or "
    "basal or localized squamous cell skin cancer are eligible."
)


@pytest.mark.parametrize("text", [HEPATITIS, GILBERT, BRAIN, OTHER_CANCER])
def test_the_permission_is_an_exception_not_understood(text):
    tree = engine.parse(text)
    assert isinstance(tree, engine.nodes.Exception_) and tree.mode == "unless"
    assert tree.exception.kind == "unparsed"
    canonical = engine.render(tree)
    assert engine.render(engine.parse(canonical)) == canonical


def test_a_past_hepatitis_b_is_not_ruled_out_by_the_sentence_that_lets_it_in(tmp_path):
    assert exclusion(tmp_path, {**ADULT, "conditions": [PAST_HBV]}, HEPATITIS).status != "fail"
    assert exclusion(tmp_path, ADULT, HEPATITIS).status == "pass"


def test_without_gilberts_syndrome_a_normal_bilirubin_passes(tmp_path):
    # read as a second requirement, 'Gilbert's syndrome and ...' failed every other patient
    assert inclusion(tmp_path, {**ADULT, "observations": [lab("1975-2", 0.8, "mg/dL", 1.2)]}, GILBERT).status == "pass"
    # over the limit the permission may apply: not known
    assert inclusion(tmp_path, {**ADULT, "observations": [lab("1975-2", 2.0, "mg/dL", 1.2)]}, GILBERT).status == "unknown"


def test_brain_metastases_the_permission_may_let_in_are_not_ruled_out(tmp_path):
    assert exclusion(tmp_path, {**ADULT, "conditions": [BRAIN_METS]}, BRAIN).status == "unknown"


@pytest.mark.parametrize(
    "text",
    [
        "Brain metastases. Patients with brain metastases are not eligible.",
        "Histologically confirmed breast cancer. Patients with stage IV disease are eligible for surgery.",
        # NCT04120246-like: the permission is a bracket's, of the item it stands in
        "Peripheral neuropathy ≥ grade 2; Patients with active brain metastases (patients with brain metastases who had completed treatment could be enrolled) or spinal cord compression",
    ],
)
def test_what_is_no_permission_of_the_whole_is_left_as_it_was(text):
    assert not isinstance(engine.parse(text), engine.nodes.Exception_)
