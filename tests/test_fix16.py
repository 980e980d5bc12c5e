"""Misreadings fixed on branch fix16, each with the corpus line it came from (trimmed) and,
where the verdict matters, the least patient that shows it.

1. A heading the registry cut: 'Key Inclusion Criteria: ... * Key' + 'Exclusion Criteria:' +
   '* :' left 'Key' an inclusion criterion no patient could meet, and a heading's rest ('* (all
   patients):', '* for both phases:') a label the exclusions hung under, deciding nothing.
2. 'whichever is greater' after two lower bounds of age, 'whichever is shorter' after two
   durations: both hold, not either.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path.cwd() / "tests"))

from one_trial import exclusion, inclusion, screen_text  # noqa: E402

from engine import parse, render  # noqa: E402
from engine.nodes import AllOf, Conditional  # noqa: E402
from engine.trials import split_criteria  # noqa: E402

MAN = {"id": "p", "birth_date": "1950-01-01", "sex": "male"}
DIABETES = {"name": "Diabetes mellitus type 2", "snomed": "44054006", "onset": "2010-01-01", "status": "active"}


def _top(text: str) -> list[tuple[str, str, list[str]]]:
    return [(c.section, c.text, [k.text for k in c.children]) for c in split_criteria(text)]


# --- 1. headings the registry cut -------------------------------------------------------------

# NCT02097810, trimmed
KEY = "Inclusion Criteria:\n\n* Life expectancy of at least 3 months.\n* Key\n\nExclusion Criteria:\n\n* :\n* Current participation in another therapeutic clinical trial.\n"


def test_the_first_word_of_a_cut_heading_is_no_criterion():
    assert _top(KEY) == [
        ("inclusion", "Life expectancy of at least 3 months.", []),
        ("exclusion", "Current participation in another therapeutic clinical trial.", []),
    ]


def test_a_lone_word_before_a_heading_that_is_no_heading_word_stays():
    # NCT03860480: 'Pregnancy' is an inclusion criterion of its own, and no inclusion heading
    # starts with it
    text = "Inclusion Criteria:\n\n-  Scheduled for surgery\n-  Pregnancy\n\nExclusion Criteria:\n\n-  Perioperative conversion to thoracotomy\n"
    assert ("inclusion", "Pregnancy", []) in _top(text)


def test_a_word_that_heads_the_inclusion_criteria_too_heads_the_exclusion_ones():
    # NCT03635632: the procurement's exclusions are asked of the procurement only
    text = (
        "Inclusion Criteria:\n\n* Procurement inclusion criteria:\n* Evaluable neuroblastoma\n* Procurement\n\n"
        "Exclusion Criteria:\n\n* :\n* Active autoimmune disease\n"
    )
    assert _top(text)[-1] == ("exclusion", "Procurement Exclusion Criteria:", ["Active autoimmune disease"])


def test_a_cut_word_that_makes_no_heading_goes():
    # NCT05203601: 'The inclusion criteria:' ... '* The' + 'Exclusion Criteria:'
    text = "Inclusion Criteria:\n\n* The inclusion criteria:\n* Signed informed consent.\n* The\n\nExclusion Criteria:\n\n* :\n* Female who is pregnant or lactating.\n"
    assert "The" not in [t for _, t, _ in _top(text)] + [k for *_, kids in _top(text) for k in kids]
    assert _top(text)[-1] == ("exclusion", "Female who is pregnant or lactating.", [])


def test_a_rule_of_underscores_is_no_criterion():
    # NCT03412643: '* ______________' before 'Exclusion Criteria:'
    text = "Inclusion Criteria:\n\n* Tumor determined to have HER2-driven signaling.\n* ______________\n\nExclusion Criteria:\n\n* T4 tumors.\n"
    assert [t for _, t, _ in _top(text)] == ["Tumor determined to have HER2-driven signaling.", "T4 tumors."]


# NCT04561362, trimmed: 'Key Exclusion Criteria (all patients):' cut in three
ALL_PATIENTS = (
    "Inclusion Criteria:\n\n* Age 18 years or older\n* Key\n\nExclusion Criteria:\n\n* (all patients):\n"
    "* Uncontrolled hypertension\n* Diabetes mellitus\n"
)


def test_a_heading_rest_that_names_everyone_leaves_the_exclusions_to_everyone():
    assert _top(ALL_PATIENTS)[1:] == [("exclusion", "Uncontrolled hypertension", []), ("exclusion", "Diabetes mellitus", [])]


def test_a_diabetic_is_excluded_by_the_exclusions_of_all_patients(tmp_path):
    # under the label '(all patients):' the exclusions decided nothing: unknown
    assert screen_text(tmp_path, {**MAN, "conditions": [DIABETES]}, ALL_PATIENTS).status == "ineligible"


def test_a_heading_rest_that_names_a_group_heads_the_group():
    # NCT03387917: 'Key Exclusion Criteria for dose escalation and comparative PK part:'
    text = (
        "Inclusion Criteria:\n\n* Adequate bone marrow function\n* Key\n\nExclusion Criteria:\n\n"
        "* for dose escalation and comparative PK part:\n* Significant cardiac disease\n"
    )
    assert _top(text)[-1] == ("exclusion", "Key Exclusion Criteria for dose escalation and comparative PK part:", ["Significant cardiac disease"])


def test_a_heading_rest_after_a_bare_heading():
    # NCT03740893: 'Exclusion Criteria:' + '* for Trial Registration:'
    text = "Inclusion Criteria:\n\n* Breast cancer\n\nExclusion Criteria:\n\n* for Trial Registration:\n* Prior chemotherapy\n"
    assert _top(text)[-1] == ("exclusion", "Exclusion Criteria for Trial Registration:", ["Prior chemotherapy"])


def test_a_heading_for_every_group_heads_no_group():
    # NCT04862663: 'Key inclusion criteria for both phases:'; NCT05714553: 'inclusion criteria (all modules):'
    for heading in ("Key inclusion criteria for both phases:", "inclusion criteria (all modules):", "General inclusion criteria, apply to all cohorts:"):
        assert _top(f"{heading}\n* Adult males.\n\nExclusion Criteria:\n\n* Pregnancy\n")[0] == ("inclusion", "Adult males.", [])
    # NCT03875573: one phase's subjects are a group
    assert _top("Inclusion criterion for phase II only (all phase II subjects):\n* Adult males.\n")[0][2] == ["Adult males."]


def test_a_cohort_label_after_a_heading_for_every_group_still_heads_its_items():
    # NCT04521413, trimmed: with the study-wide heading no group, the parts' headings are theirs
    text = (
        "Inclusion Criteria:\n\n* Key inclusion criteria: Study-Wide Eligibility (Across All Study Parts):\n* Age > 18 years old\n"
        "* Part A1: Monotherapy Dose Escalation inclusion criteria\n* Histological confirmation of advanced solid malignancy\n"
    )
    assert _top(text) == [
        ("inclusion", "Age > 18 years old", []),
        ("inclusion", "Part A1: Monotherapy Dose Escalation inclusion criteria", ["Histological confirmation of advanced solid malignancy"]),
    ]


def test_a_groups_preamble_is_no_criterion():
    # NCT05467891: 'Exclusion Criteria:' + '* for Treatment Phase:' + the group's own preamble
    text = (
        "Inclusion Criteria:\n\n* Breast cancer\n\nExclusion Criteria:\n\n* for Treatment Phase:\n"
        "* Subjects meeting any of the criteria below may not participate in the study:\n* Prior CDK4/6 inhibitor\n"
    )
    assert _top(text)[-1] == ("exclusion", "Exclusion Criteria for Treatment Phase:", ["Prior CDK4/6 inhibitor"])


# --- 2. 'whichever is greater', 'whichever is shorter' ----------------------------------------

# NCT05633979
LEGAL_AGE = "≥18 years of age or the minimum legal adult age (whichever is greater) at the time the informed consent form (ICF) is signed."


def test_the_greater_of_two_ages_is_both():
    tree = parse(LEGAL_AGE)
    assert isinstance(tree, AllOf) and render(tree).startswith("age >= 18 years and ")


def test_the_greater_of_two_ages_fails_a_minor_and_leaves_an_adult_unknown(tmp_path):
    assert inclusion(tmp_path, {**MAN, "birth_date": "2010-01-01"}, LEGAL_AGE).status == "fail"
    assert inclusion(tmp_path, MAN, LEGAL_AGE).status == "unknown"


def test_the_age_of_majority_whichever_is_higher():
    # NCT04052971
    text = "Male or female ≥ 18 years of age or designated age of majority according to regulatory authorities, whichever is higher."
    rendered = render(parse(text))
    assert " or «designated" not in rendered and "whichever" not in rendered


def test_the_shorter_of_two_windows_is_within_both(tmp_path):
    # NCT05029999
    text = "Chemotherapy within 21 days or at least 5 half-lives (whichever is shorter) prior to the planned start of study treatment."
    assert " and «at least 5 half-lives" in render(parse(text))
    # chemotherapy 15 days ago may be outside the shorter window: not excluded for certain
    chemo = {"name": "Chemotherapy", "snomed": "367336001", "start": "2026-11-22", "end": "2026-11-22"}
    patient = {**MAN, "procedures": [chemo]}
    assert exclusion(tmp_path, patient, text).status == "unknown"


def test_the_longer_of_two_windows_is_within_either():
    # NCT02437318
    text = "Treatment with any investigational drug within 14 days prior to registration or within 5 half-lives of the investigational product, whichever is longer"
    assert " or investigational agent within 5 half-lives" in render(parse(text))


# --- 3. the window of a wish to become pregnant -----------------------------------------------

WISH = "Pregnancy or desire to become pregnant within 12 months of the study."  # NCT03920397
WOMAN = {"id": "p", "birth_date": "1990-01-01", "sex": "female"}
PREGNANCY_OVER = {"name": "Normal pregnancy", "snomed": "72892002", "onset": "2025-10-01", "abatement": "2026-06-01", "status": "resolved"}


def test_the_window_of_a_wish_is_no_window_of_a_pregnancy_on_record():
    rendered = render(parse(WISH))
    assert "pregnancy within" not in rendered and rendered.startswith("pregnancy or ")


def test_a_pregnancy_over_six_months_ago_is_not_a_pregnancy_within_twelve_months(tmp_path):
    # it excluded, as 'pregnancy within 12 months before enrollment'; the wish is not known
    assert exclusion(tmp_path, {**WOMAN, "conditions": [PREGNANCY_OVER]}, WISH).status == "unknown"


# --- 6. a line for the patients of one arm ----------------------------------------------------

ARM = "active autoimmune disease for patients treated by avelumab"  # NCT02630368
LUPUS = {"name": "Systemic lupus erythematosus", "snomed": "55464009", "onset": "2015-01-01", "status": "active"}


def test_the_patients_treated_by_a_drug_are_an_arm_the_record_cannot_tell():
    assert render(parse(ARM)) == "(active autoimmune disease) if («patients treated by avelumab»)"


def test_an_autoimmune_disease_is_no_pass_for_want_of_avelumab_on_record(tmp_path):
    # read as 'autoimmune disease and avelumab', the patient passed for want of avelumab
    assert exclusion(tmp_path, {**MAN, "conditions": [LUPUS]}, ARM).status == "unknown"
    assert exclusion(tmp_path, MAN, ARM).status == "pass"


# --- 7. a part of the study's label before a ';' list -----------------------------------------


def test_the_label_before_a_list_is_every_items():
    # NCT03157128, trimmed: the second item is cohort 7's too, not asked of everyone
    text = "Cohort 7: Participants with a histologically confirmed stage IB-IIIA NSCLC and a RET fusion; without prior systemic treatment for NSCLC"
    tree = parse(text)
    assert isinstance(tree, Conditional) and render(tree.condition) == "«Cohort 7»"
    assert "prior systemic treatment" in render(tree.then)


def test_a_label_for_each_item_stays_each_items():
    # NCT05001282
    text = "Part 1: Eastern Cooperative Oncology Group (ECOG) performance status of 0, 1 or 2; Part 2: ECOG performance status of 0 or 1."
    assert render(parse(text)) == "((ecog performance status >= 0 and <= 2) if («Part 1»)); ((ecog performance status >= 0 and <= 1) if («Part 2»))"


def test_a_label_before_sentences_is_left_to_the_colon():
    # NCT04557449: more than one sentence; which of them the label is for is not said here
    text = "Part 2D: Participants with evaluable disease as per PCWG3; participants with bone metastases only are allowed. Participants with biochemical recurrence only are excluded."
    assert importlib.import_module("engine.parse")._label_of_its_list(text) is None


# --- 8. one pattern for the numbers of a part of the study -----------------------------------


def test_part_numbers_with_a_letter_after_a_digit_join_one_label():
    # NCT05262400: 'Part 2B and 1C:' was 'Part 2B' and a requirement of its own; fulvestrant
    # excluded patients of every part
    text = "Part 2B and 1C: Prior treatment with any CDK 4/6 inhibitor, or SERDs (e.g. fulvestrant), or everolimus."
    rendered = render(parse(text))
    assert "«Part 2B and 1C»" in rendered and "«Part 2B» and" not in rendered


def test_the_lexicon_and_the_labels_read_the_same_part_numbers():
    lexicon = importlib.import_module("engine.lexicon")
    labels = importlib.import_module("engine.parse")._COHORT_LABEL
    for number in ("1", "2b", "1c", "a", "ib", "ii", "iva", "a1"):
        assert lexicon._PART_NUMBER.fullmatch(number) and labels.fullmatch(f"Part {number}")


# --- 9. ICD-10-CM I69, sequelae of cerebrovascular disease ------------------------------------

# the record of a deficit a stroke left, dated when it was recorded, not when the stroke was
HEMIPLEGIA = {
    "name": "Hemiplegia and hemiparesis following cerebral infarction affecting right dominant side",
    "icd10cm": "I69.351",
    "onset": "2026-11-01",
    "status": "active",
}
AFTER_SAH = {"name": "Cognitive deficits following nontraumatic subarachnoid hemorrhage", "icd10cm": "I69.01", "onset": "2026-11-01", "status": "active"}


def test_a_sequela_of_a_stroke_does_not_date_the_stroke(tmp_path):
    # NCT05043714, trimmed; a sequela recorded last month read as a stroke last month
    text = "Myocardial infarction, stroke or other significant cardiovascular or cerebrovascular event in the 12 months before the first dose"
    assert exclusion(tmp_path, {**MAN, "conditions": [HEMIPLEGIA]}, text).status == "unknown"


def test_a_sequela_of_a_stroke_is_a_history_of_stroke(tmp_path):
    # NCT03867019, trimmed; the sequela of a subarachnoid haemorrhage (I60, a stroke) too
    for record in (HEMIPLEGIA, AFTER_SAH):
        assert exclusion(tmp_path, {**MAN, "conditions": [record]}, "History of Stroke (CVA)").status == "fail"


def test_a_sequela_of_a_stroke_is_no_stroke_now():
    from engine.patient import ConditionRecord  # noqa: PLC0415

    record = ConditionRecord.model_validate({"text": HEMIPLEGIA["name"], "codings": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "I69.351"}]})
    assert "sequela of cerebrovascular disease" in (importlib.import_module("engine.derive").past_record(record) or "")
