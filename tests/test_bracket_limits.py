"""A bracket after a limit that gives some patients another one: read where its case is read
in full, and otherwise the main limit left unknown, never a fail for the group the bracket
lets through. Each test quotes the corpus line (trimmed) with its NCT id."""

from __future__ import annotations

import pytest
from one_trial import LIVER_METS, exclusion, inclusion, lab, transaminases

import engine

WOMAN = {"id": "p", "birth_date": "1960-01-01", "sex": "female"}
GILBERT = {"name": "Gilbert syndrome", "icd10cm": "E80.4", "onset": "2000-06-01", "status": "active"}

# NCT05068141: the case is 'A or B', one case
EITHER = "Alanine aminotransferase (ALT) and aspartate aminotransferase (AST) ≤ 3 × ULN (≤ 5 × ULN for patients with hepatocellular carcinoma or liver metastasis);"
# NCT04318223: 'bone or liver metastases' (the 'bone' of 'bone metastases' not read)
ALP = "Alkaline phosphatase ≤2.5 x ULN (≤ 5 x ULN if bone or liver metastases present);"
# NCT04294628: two groups, read as two alternatives of a requirement beside the main limit
BILIRUBIN = (
    "Total bilirubin =< 1.5 x institutional upper limit of normal (=< 3 x upper limit of normal in the presence of "
    "documented Gilbert's syndrome or liver metastases at baseline)"
)
# NCT05608252: the group's limit with a second requirement of its own
DIRECT = "total bilirubin ≤1.5mg/dL (≤3.0mg/dL in patients with known Gilbert syndrome and direct bilirubin within normal limits)"
# NCT03927066: the bracket defines 'non-obese'
NON_OBESE = "Non-obese (BMI < 30)"


def bmi(value: float) -> dict:
    return lab("39156-5", value, "kg/m2")


def test_a_case_of_alternatives_is_one_case():
    assert engine.render(engine.parse(EITHER)) == (
        "((alanine aminotransferase <= 3 x ULN) if (not (hepatocellular carcinoma or liver metastases))) and "
        "((alanine aminotransferase <= 5 x ULN) if (hepatocellular carcinoma or liver metastases)) and "
        "((aspartate aminotransferase <= 3 x ULN) if (not (hepatocellular carcinoma or liver metastases))) and "
        "((aspartate aminotransferase <= 5 x ULN) if (hepatocellular carcinoma or liver metastases))"
    )


@pytest.mark.parametrize(("conditions", "value", "status"), [([LIVER_METS], 160, "pass"), ([], 160, "unknown"), ([LIVER_METS], 220, "fail"), ([], 220, "fail"), ([], 100, "pass")])
def test_either_case_judged(tmp_path, conditions, value, status):
    # ULN 40 U/L: 160 is 4 x ULN, 220 is 5.5 x ULN, 100 is 2.5 x ULN; no record of liver
    # metastases does not show there are none, so 4 x ULN without them is not known
    patient = {**WOMAN, "conditions": conditions, "observations": transaminases(value, value)}
    assert inclusion(tmp_path, patient, EITHER).status == status


@pytest.mark.parametrize("text", [ALP, DIRECT])
def test_an_unread_limit_for_some_leaves_the_main_limit_unknown(text):
    tree = engine.parse(text)
    assert isinstance(tree, engine.nodes.Qualified)
    assert isinstance(tree.item, engine.nodes.Comparison)
    assert [q.kind for q in tree.qualifiers] == ["unparsed"]


def test_the_group_over_the_main_limit_is_not_failed(tmp_path):
    # alkaline phosphatase 4 x ULN with liver metastases: within the bracket's limit
    patient = {**WOMAN, "conditions": [LIVER_METS], "observations": [lab("6768-6", 480, "U/L", 120)]}
    assert inclusion(tmp_path, patient, ALP).status == "unknown"
    # total bilirubin 2 x ULN with Gilbert's syndrome: 'in the presence of' is read as the
    # case since audit24, so the bracket's limit is read in full and met
    assert engine.render(engine.parse(BILIRUBIN)) == (
        "((total bilirubin <= 1.5 x ULN) if (not (gilbert's syndrome or liver metastases))) and "
        "((total bilirubin <= 3 x ULN) if (gilbert's syndrome or liver metastases))"
    )
    patient = {**WOMAN, "conditions": [GILBERT], "observations": [lab("1975-2", 2.4, "mg/dL", 1.2)]}
    assert inclusion(tmp_path, patient, BILIRUBIN).status == "pass"


def test_non_obese_is_defined_by_its_bracket(tmp_path):
    assert engine.render(engine.parse(NON_OBESE)) == "body mass index < 30 and (not (obesity))"
    assert engine.render(engine.parse("No hypertension (BP > 150/90)")).startswith("not (")
    assert inclusion(tmp_path, {**WOMAN, "observations": [bmi(35)]}, "Non-obese (BMI < 30 kg/m2)").status == "fail"
    assert inclusion(tmp_path, {**WOMAN, "observations": [bmi(24)]}, "Non-obese (BMI < 30 kg/m2)").status == "pass"


@pytest.mark.parametrize("text", [EITHER, ALP, BILIRUBIN, DIRECT, NON_OBESE])
def test_the_reading_round_trips(text):
    canonical = engine.render(engine.parse(text))
    assert engine.render(engine.parse(canonical)) == canonical


# NCT05319873: every line opens with the phases it is for
PHASES = (
    "PHASE IB AND II: Alanine aminotransferase (ALT) < 2.5 × ULN, except for patients with liver metastasis, "
    "who are only included if the ALT is < 5 × ULN (within 7 days before enrollment)"
)


def test_the_phases_a_line_is_for_are_one_label(tmp_path):
    canonical = engine.render(engine.parse("PHASE IB AND II: Hemoglobin >= 9.0 g/dL (within 7 days before enrollment)"))
    assert canonical == "(hemoglobin >= 9.0 g/dL within 7 days before enrollment) if («PHASE IB AND II»)"
    assert engine.render(engine.parse(canonical)) == canonical
    # read as '«PHASE IB» and ...', a patient with liver metastases at 4 x ULN failed
    patient = {**WOMAN, "conditions": [LIVER_METS], "observations": transaminases(160, 160)}
    assert inclusion(tmp_path, patient, PHASES).status != "fail"


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Cohort A: Endometrial Cancer", "Cohort A"),  # NCT05605509
        ("Part 2 only: Patients with inflammatory breast cancer", "Part 2 only"),
        ("Cohort2：advanced ovarian carcinoma", "Cohort2"),  # NCT04175847, written as one word
        ("Part B and Part C: ECOG 0-1", "Part B and Part C"),
    ],
)
def test_a_part_of_the_study_is_whom_the_line_is_for(text, label):
    tree = engine.parse(text)
    assert isinstance(tree, engine.nodes.Conditional)
    assert tree.condition.kind == "unparsed" and tree.condition.text == label
    canonical = engine.render(tree)
    assert engine.render(engine.parse(canonical)) == canonical


def test_a_part_of_the_study_decides_only_what_holds_for_every_part(tmp_path):
    # NCT05319873 'PHASE II: Eastern Cooperative Oncology Group (ECOG) performance status 0-1'
    line = "PHASE II: Eastern Cooperative Oncology Group (ECOG) performance status 0-1"
    ecog = lambda v: {**WOMAN, "observations": [lab("89247-1", v, "{score}")]}  # noqa: E731
    assert inclusion(tmp_path, ecog(1), line).status == "pass"
    assert inclusion(tmp_path, ecog(3), line).status == "unknown"  # a patient of another phase


# NCT03863210: the conditions in brackets are the kinds of the one before them
KINDS = "current cardiovascular disease (CVD) (ischemic heart disease, peripheral artery disease, and stroke)"
ISCHEMIC = {"name": "Ischemic heart disease", "icd10cm": "I25.10", "onset": "2020-01-01", "status": "active"}


def test_a_list_in_brackets_after_a_condition_names_its_kinds(tmp_path):
    tree = engine.parse("cardiovascular disease (ischemic heart disease, peripheral artery disease, and stroke)")
    assert engine.render(tree) == "(ischemic heart disease or peripheral vascular disease or stroke) and cardiovascular disease"
    # read as 'and', a patient with ischemic heart disease alone passed the exclusion
    line = "cardiovascular disease (ischemic heart disease, peripheral artery disease, and stroke)"
    assert exclusion(tmp_path, {**WOMAN, "conditions": [ISCHEMIC]}, line).status == "fail"
    assert exclusion(tmp_path, WOMAN, line).status == "pass"
    # one thing, not a list: 'from' joins what the bracket names
    assert "and solid tumor" in engine.render(engine.parse("carcinomatous meningitis (including leptomeningeal metastases from solid tumors)"))
    canonical = engine.render(engine.parse(KINDS))
    assert engine.render(engine.parse(canonical)) == canonical
