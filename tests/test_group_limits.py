"""A group's limit written beside the limit of everyone else ('AST/ALT <= 2.5 x ULN (<= 5 x ULN
if liver metastases)', '...; for patients with liver metastases, both AST and ALT <= 5 x ULN')
sets that limit aside for the group (session 13). Of 200 corpus lines bounding AST or ALT with
liver metastases, 20 failed a patient with liver metastases and transaminases of 4 x ULN; and an
'or' written in one sentence of a list of limits reached over the sentences after it. Each test
quotes the corpus line (trimmed) with its NCT id."""

from __future__ import annotations

import pytest
from one_trial import LIVER_METS, inclusion, lab, transaminases

import engine

WOMAN = {"id": "p", "birth_date": "1960-01-01", "sex": "female"}
GILBERT = {"name": "Gilbert syndrome", "icd10cm": "E80.4", "onset": "2000-06-01", "status": "active"}





WITH_METS_AT_4_ULN = {**WOMAN, "conditions": [LIVER_METS], "observations": transaminases(160, 160)}

GROUP_LIMIT_LINES = [
    # NCT05261269: the group's bound in brackets, its measure not read
    "AST(SGOT)/ALT(SGPT) ≤ 2.5 x ULN (≤ 5 x ULN if liver metastases)",
    # NCT03151447: a list whose last item is the group's limit
    "AST ≤2.5×ULN, ALT ≤2.5×ULN; both ALT and AST ≤5×ULN if there are liver metastasis",
    # NCT05438810: 'for patients with' opens the group's sentence
    "Aspartate aminotransferase (AST)and alanine aminotransferase (ALT) ≤2.5x ULN; for patients with liver metastases,both AST and ALT ≤5x ULN;",
    # NCT04175847: the group's bound beside the group, no 'if'
    "Hemoglobin ≥ 9g/dL; Total bilirubin ≤ 1.5× ULN; AST and ALT ≤ 2.5×ULN and ≤ 5 x ULN with hepatic metastasis; Serum creatinine ≤1.5×ULN.",
]


@pytest.mark.parametrize("text", GROUP_LIMIT_LINES)
def test_a_group_limit_does_not_fail_the_group_within_its_own_limit(tmp_path, text):
    labs = [*WITH_METS_AT_4_ULN["observations"], lab("718-7", 12, "g/dL"), lab("1975-2", 0.5, "mg/dL", 1.2), lab("2160-0", 0.8, "mg/dL", 1.2)]
    assert inclusion(tmp_path, {**WITH_METS_AT_4_ULN, "observations": labs}, text).status != "fail"


def test_the_group_limit_still_fails_the_group_above_it(tmp_path):
    patient = {**WOMAN, "conditions": [LIVER_METS], "observations": transaminases(240, 240)}
    assert inclusion(tmp_path, patient, GROUP_LIMIT_LINES[1]).status == "fail"


# NCT05098210: 'Total bilirubin (tBili) < 1.5 x ULN and an AST/ALT < 2.5 x ULN and < 5 x ULN for
# subjects with documented liver metastasis': the group's bound sets aside the transaminases
# written right before it, not the bilirubin before them.
def test_an_unread_group_bound_sets_aside_only_the_limits_right_before_it():
    text = (
        "Total bilirubin (tBili) < 1.5 x upper limit of normal (ULN) and an aspartate aminotransferase (AST)/alanine "
        "aminotransferase (ALT) < 2.5 x ULN and < 5 x ULN for subjects with documented liver metastasis."
    )
    canonical = engine.render(engine.parse(text))
    assert canonical.startswith("total bilirubin < 1.5 x ULN and ((aspartate aminotransferase < 2.5 x ULN) if (not (liver metastases)))")


# NCT04305834: 'In patients without Gilbert's syndrome, total bilirubin =< 1.5 x ULN; In patients with
# Gilbert's syndrome, ...': read as a requirement, 'without Gilbert's syndrome' asked every patient
# to have it.
def test_in_patients_without_opens_a_case_of_its_own(tmp_path):
    text = (
        "In patients without Gilbert's syndrome, total bilirubin =< 1.5 x ULN; In patients with Gilbert's syndrome, "
        "total bilirubin =< 2.0 x ULN or direct bilirubin within normal limits (WLN)"
    )
    assert engine.render(engine.parse(text)).startswith("((total bilirubin <= 1.5 x ULN) if (not (gilbert's syndrome)))")
    gilbert = {**WOMAN, "conditions": [GILBERT], "observations": [lab("1975-2", 2.2, "mg/dL", 1.2)]}
    assert inclusion(tmp_path, gilbert, text).status == "pass"


# NCT03944499: '...; Total bilirubin ≤ 1.5x upper limit normal (ULN), or ≤ 3x ULN if with Gilbert
# syndrome; aspartate aminotransferase (AST) and alanine aminotransferase (ALT) ≤ 2.5x ULN; ...':
# lark handed over the later sentences as the 'or''s last alternative, and a bilirubin within its
# limit passed the whole line whatever the transaminases.
def test_an_or_in_one_sentence_of_a_list_of_limits_does_not_reach_the_next_sentences(tmp_path):
    text = (
        "Total bilirubin ≤ 1.5x upper limit normal (ULN), or ≤ 3x ULN if with Gilbert syndrome; aspartate aminotransferase "
        "(AST) and alanine aminotransferase (ALT) ≤ 2.5x ULN; Serum creatinine < 1.5x ULN"
    )
    patient = {**WOMAN, "observations": [lab("1975-2", 0.5, "mg/dL", 1.2), *transaminases(400, 400), lab("2160-0", 0.8, "mg/dL", 1.2)]}
    assert inclusion(tmp_path, patient, text).status == "fail"


# NCT05420454: '...; total bilirubin ≤1.5 times the upper limit of normal, or ≤2.5 times the upper
# limit of normal when the patient has Gilbert's syndrome ;' (the 'or' opens its own sentence's
# alternative, read last in the list)
def test_a_gilbert_alternative_at_the_end_of_a_list_is_its_sentences_only():
    text = (
        "Liver and kidney function: serum creatinine ≤1.5 times the upper limit of normal; AST and ALT ≤3 times the upper "
        "limit of normal; total bilirubin ≤1.5 times the upper limit of normal, or ≤2.5 times the upper limit of normal "
        "when the patient has Gilbert's syndrome ;"
    )
    canonical = engine.render(engine.parse(text))
    assert "(aspartate aminotransferase <= 3 x ULN and alanine aminotransferase <= 3 x ULN); (((total bilirubin" in canonical


# NCT05273944: the case written before the group's bound in the bracket ('for liver metastasis<= 5
# x ULN'), and NCT05810870: 'in the case of' opens a case as 'in case of' does. Left unread, a
# patient with liver metastases and transaminases of 4 x ULN failed.
CASE_FIRST = [
    ("AST ≤ 2.5 x ULN, ALT ≤ 2.5 x ULN (for liver metastasis≤ 5 x ULN);", "alanine aminotransferase"),
    (
        "aspartate transaminase (AST) and alanine transaminase (ALT) ≤ 2.5 × ULN (in the case of liver metastases ≤ 5 × ULN)",
        "aspartate aminotransferase",
    ),
]


@pytest.mark.parametrize("text, measure", CASE_FIRST)
def test_a_case_written_before_its_bound_is_the_groups_limit(text, measure):
    canonical = engine.render(engine.parse(text))
    assert f"(({measure} <= 5 x ULN) if (liver metastases))" in canonical
    assert f"(({measure} <= 2.5 x ULN) if (not (liver metastases)))" in canonical
    assert engine.render(engine.parse(canonical)) == canonical


def test_in_the_case_of_gilberts_raises_the_bilirubin_limit(tmp_path):
    text = "Total bilirubin ≤ 1.5 × ULN (≤ 3 x ULN in the case of Gilbert's disease)"
    bilirubin = [lab("1975-2", 2.4, "mg/dL", 1.2)]
    assert inclusion(tmp_path, {**WOMAN, "conditions": [GILBERT], "observations": bilirubin}, text).status == "pass"
    assert inclusion(tmp_path, {**WOMAN, "conditions": [GILBERT], "observations": [lab("1975-2", 4.0, "mg/dL", 1.2)]}, text).status == "fail"


# NCT05288127: a bullet inside the line ('as defined below: • Serum AST and ALT ...') hid the AST
# it was written against, so the liver-metastasis case could not set the first limit aside.
def test_a_bullet_inside_a_line_ends_a_list_item(tmp_path):
    text = (
        "Has adequate organ function as defined below: • Serum aspartate aminotransferase (AST) and alanine aminotransferase "
        "(ALT) ≤ 2.5 ×upper limit of normal (ULN); if liver function abnormalities are due to hepatic metastasis, then AST "
        "and ALT ≤ 5 × ULN"
    )
    canonical = engine.render(engine.parse(text))
    assert "•" not in canonical
    assert "(aspartate aminotransferase <= 2.5 x ULN and alanine aminotransferase <= 2.5 x ULN) if (not (" in canonical
    # the group's case keeps words not understood ('liver function abnormalities ... due'): unknown, not fail
    assert inclusion(tmp_path, WITH_METS_AT_4_ULN, text).status == "unknown"


# NCT05438810 (audit 21, H1): the case after the last of a list of limits of one measure is that
# limit's; read as the case of the whole list, every patient without Gilbert syndrome passed
# whatever the bilirubin.
def test_a_case_after_the_last_limit_of_a_list_is_that_limits(tmp_path):
    text = "Total serum bilirubin ≤ 1.5 X upper limit of normal (ULN) , total serum bilirubin≤3 x ULN in patients with Gilbert syndrome;"
    assert engine.render(engine.parse(text)) == (
        "((total bilirubin <= 1.5 x ULN) if (not (gilbert's syndrome))); ((total bilirubin <= 3 x ULN) if (gilbert's syndrome))"
    )
    high = [lab("1975-2", 2.5, "mg/dL", 1.0)]
    assert inclusion(tmp_path, {**WOMAN, "observations": high}, text).status != "pass"
    assert inclusion(tmp_path, {**WOMAN, "conditions": [GILBERT], "observations": high}, text).status == "pass"


def test_a_case_after_limits_of_other_measures_stays_the_whole_lists():
    # nothing says which limits the leukaemia case is for: not read as the last one's alone
    canonical = engine.render(engine.parse("ANC ≥ 1500/uL, platelets ≥ 100,000/uL in patients with leukemia"))
    assert canonical == "(absolute neutrophil count >= 1500 /uL; platelet count >= 100000 /uL) if (leukemia)"


def test_a_case_in_canonical_brackets_sets_no_limit_aside():
    # found by tests/test_properties.py: 'A and ((B) if (G))' (everyone meets A, the group B too)
    # was read again as a group's limit and came back as '(A if not G) and (B if G)'
    for canonical in (
        "total bilirubin <= 1.5 x ULN and ((total bilirubin <= 3 x ULN) if (gilbert's syndrome))",
        "not (absolute lymphocyte count >= 0 and ((absolute lymphocyte count >= 0) if (age >= 0 years)))",
    ):
        assert engine.render(engine.parse(canonical)) == canonical
