"""A sentence that opens with a case ('If patient has liver metastases, ...', 'In the event of
..., ...', 'In absence of liver metastases, ...') after another sentence of the same line: the
case is the condition of what its own sentence says after the comma, and a group's limit on
the measures an earlier sentence bounds makes that earlier limit everyone else's. Before
(session 13), a full stop in mid-line cut such a sentence at its commas into items of a list:
the requirement bound everyone and the case decided nothing. Each test quotes the corpus line
(trimmed) with its NCT id."""

from __future__ import annotations

from one_trial import LIVER_METS, inclusion, lab, transaminases

import engine

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}





def _canonical(text):
    return engine.render(engine.parse(text))


# NCT05082025: 'Aspartate transaminase (AST)/ alanine transaminase (ALT) ≤3 × ULN. If patient has
# liver metastases, AST and ALT ≤5.0 × ULN.' Read as a list, a patient with liver metastases and
# an AST of 4 x ULN failed the first sentence.
ONE_LIMIT_EACH = "Aspartate transaminase (AST)/ alanine transaminase (ALT) ≤3 × ULN. If patient has liver metastases, AST and ALT ≤5.0 × ULN."


def test_a_groups_limit_in_a_sentence_of_its_own_makes_the_first_limit_the_others(tmp_path):
    assert _canonical(ONE_LIMIT_EACH) == (
        "((aspartate aminotransferase <= 3 x ULN and alanine aminotransferase <= 3 x ULN) if (not (liver metastases))); "
        "((aspartate aminotransferase <= 5.0 x ULN and alanine aminotransferase <= 5.0 x ULN) if (liver metastases))"
    )
    with_mets = {**MAN, "conditions": [LIVER_METS], "observations": transaminases(160, 60)}
    assert inclusion(tmp_path, with_mets, ONE_LIMIT_EACH).status == "pass"


def test_the_first_limit_still_binds_the_patient_without_the_group(tmp_path):
    # (liver metastases are open-world: with no record of them, 4 x ULN cannot be told)
    no_mets = {**MAN, "observations": transaminases(160, 60)}
    assert inclusion(tmp_path, no_mets, ONE_LIMIT_EACH).status == "unknown"
    over_both = {**MAN, "conditions": [LIVER_METS], "observations": transaminases(240, 60)}
    assert inclusion(tmp_path, over_both, ONE_LIMIT_EACH).status == "fail"


# NCT05563220: 'In absence of liver metastases, alanine aminotransferase (ALT) and aspartate
# aminotransferase (AST) ≤ 3.0 × ULN. If the patient has liver metastases, ALT and AST ≤ 5 × ULN'
def test_in_absence_of_opens_a_case_too(tmp_path):
    text = (
        "In absence of liver metastases, alanine aminotransferase (ALT) and aspartate aminotransferase (AST) ≤ 3.0 × ULN. "
        "If the patient has liver metastases, ALT and AST ≤ 5 × ULN"
    )
    assert _canonical(text).startswith(
        "((alanine aminotransferase <= 3.0 x ULN and aspartate aminotransferase <= 3.0 x ULN) if (not (liver metastases)))"
    )
    with_mets = {**MAN, "conditions": [LIVER_METS], "observations": transaminases(60, 160)}
    assert inclusion(tmp_path, with_mets, text).status == "pass"


# NCT04946864: '6) Serum creatinine ≤ 1.5 x upper limit of normal (ULN); if serum creatinine is
# >1.5 X ULN, creatinine clearance must be ≥ 50 mL/min (Cockcroft-Gault).' Read as a list, a
# creatinine of 2 x ULN with a clearance of 60 mL/min failed the first limit.
def test_a_limit_of_another_measure_of_the_same_function_is_the_groups(tmp_path):
    text = "Serum creatinine ≤ 1.5 x upper limit of normal (ULN); if serum creatinine is >1.5 X ULN, creatinine clearance must be ≥ 50 mL/min"
    # Cockcroft-Gault of a man of 66 with 120 kg and a creatinine of 2.0 mg/dL (1.67 x a ULN of 1.2): 62 mL/min
    patient = {**MAN, "observations": [lab("2160-0", 2.0, "mg/dL", 1.2), lab("29463-7", 120, "kg")]}
    assert inclusion(tmp_path, patient, text).status == "pass"


# NCT04622774: 'Eastern Cooperative Oncology Group (ECOG) performance status of 0 or 1. If ECOG
# performance status is an inappropriate performance measurement for participant enrollment (eg,
# chronically non-ambulatory), then Karnofsky performance status must be ≥ 70.' The Karnofsky
# case sets the ECOG limit aside for its group (performance scales are kindred): a patient of ECOG
# 3 whom the text may measure by Karnofsky instead is not failed.
def test_a_case_on_a_kindred_scale_sets_the_first_scale_aside_for_its_group(tmp_path):
    text = (
        "Eastern Cooperative Oncology Group (ECOG) performance status of 0 or 1. If ECOG performance status is an "
        "inappropriate performance measurement for participant enrollment (eg, chronically non-ambulatory), then "
        "Karnofsky performance status must be ≥ 70."
    )
    patient = {**MAN, "observations": [lab("89247-1", 3, "{score}")]}
    assert inclusion(tmp_path, patient, text).status == "unknown"


# NCT03391583 (exclusion): '... traumatic brain injury. If they have a prior history of other
# neurological (i.e. Epilepsy, MS, Alzheimer's Disease, primary headache disorder), psychiatric (i.e.
# Psychotic disorder or other history of a mental health disorder) or substance abuse disorders.'
# The comma is of the case's own list and nothing follows it: no case is read, else the
# psychiatric disorders would exclude only patients with a neurological one.
def test_a_case_whose_sentence_says_nothing_after_its_comma_is_not_opened():
    text = (
        "Patients will be excluded from the study if they have a documented history of moderate to severe traumatic brain "
        "injury. If they have a prior history of other neurological (i.e. Epilepsy, MS, Alzheimer's Disease, primary headache "
        "disorder), psychiatric (i.e. Psychotic disorder or other history of a mental health disorder) or substance abuse disorders."
    )
    assert "if ((epilepsy" not in _canonical(text)


# NCT05714553 [3.3]: the second sentence of a liver-function line; with a normal ALP the case does
# not hold and the transaminase limit of 1.5 x ULN binds no one (tests/test_audit15_bounds.py has
# the whole line).
def test_in_the_event_of_after_a_full_stop_is_the_condition_of_its_sentence():
    text = (
        "AST and ALT ≤2.5×ULN (or ≤5×ULN if liver metastases are present). In the event of concomitantly increased ALP "
        "values >2.5×ULN, AST and ALT must be <1.5×ULN."
    )
    assert _canonical(text).endswith(
        "((aspartate aminotransferase < 1.5 x ULN and alanine aminotransferase < 1.5 x ULN) if ((alkaline phosphatase > 2.5 x ULN) «concomitantly increased»))"
    )
