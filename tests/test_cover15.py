"""Coverage (issue 4), safely: shapes whose meaning is certain even where the verdict must
stay unknown. Each row quotes a corpus line (trimmed, its NCT id beside it).

- Words that only narrow: 'stable brain metastases', 'adequately treated basal cell
  carcinoma': some of them, which records seldom say; no such condition on record is none of
  them (a `Modifier`), one on record leaves it unknown. A 'not' just before such words turns
  them round ('Not adequately treated hypertension') and keeps them words not understood.
- The study's own treatment and the study itself as a window's anchor: 'within 28 days
  before the first dose of study intervention', 'within 4 weeks prior to study'.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.nodes import Medication, Modifier, Not, strip_spans, walk
from engine.parse import parse
from engine.render import render
from engine.summary import coverage_class, unparsed

sys.path.insert(0, str(Path(__file__).resolve().parent))

from one_trial import exclusion, inclusion  # noqa: E402

WOMAN = {"id": "p", "birth_date": "1960-01-01", "sex": "female"}
ANGINA = {"name": "Angina pectoris", "icd10cm": "I20.9", "onset": "2024-02-01", "status": "active"}
HYPERTENSION = {"name": "Essential hypertension", "icd10cm": "I10", "onset": "2015-02-01", "status": "active"}


def _radiotherapy(day: str) -> dict:
    return {"name": "Radiation therapy", "codes": [{"system": "http://snomed.info/sct", "code": "108290001"}], "date": day}


def _modifiers(tree) -> list[str]:
    return [n.text.lower() for n in walk(tree) if isinstance(n, Modifier)]


# (NCT id, line, a word that now narrows)
NARROWED = [
    ("NCT03864497", "stable angina", "stable"),
    ("NCT04829604", "Subjects with stable brain metastases", "stable"),
    ("NCT05041842", "Stable dose of steroids at the time of enrolment;", "stable dose"),
    ("NCT04553770", "Adequately resected non-melanoma skin cancer", "adequately resected"),
    ("NCT05107674", "Adequately treated basal cell carcinoma, squamous cell carcinoma of the skin, or in situ cervical cancer.", "adequately treated"),
]


@pytest.mark.parametrize(("nct", "text", "word"), NARROWED)
def test_words_that_only_narrow_are_modifiers(nct, text, word):
    tree = parse(text)
    assert word in _modifiers(tree), nct
    assert coverage_class(tree) == "structured", unparsed(tree)
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_treated_alone_may_say_who_gets_what_and_stays_words(tmp_path):
    # NCT02630368: read '(active autoimmune disease and avelumab)', a 'treated' that only
    # narrowed it let a patient with the disease, not on avelumab, past the exclusion
    text = "active autoimmune disease for patients treated by avelumab"
    assert any("treated" in words for words in unparsed(parse(text)))  # (fix16: in the arm's words)
    lupus = {"name": "Systemic lupus erythematosus", "icd10cm": "M32.9", "onset": "2020-01-01", "status": "active"}
    assert exclusion(tmp_path, {**WOMAN, "conditions": [lupus]}, text).status != "pass"


def test_stable_angina_fails_an_inclusion_without_angina_and_stays_unknown_with_it(tmp_path):
    assert inclusion(tmp_path, WOMAN, "stable angina").status == "fail"
    assert inclusion(tmp_path, {**WOMAN, "conditions": [ANGINA]}, "stable angina").status == "unknown"


def test_an_exclusion_of_adequately_treated_cancers_passes_a_patient_without_them(tmp_path):
    # the line as an item of its own (NCT05107674)
    text = "Adequately treated basal cell carcinoma, squamous cell carcinoma of the skin, or in situ cervical cancer."
    assert exclusion(tmp_path, WOMAN, text).status == "pass"


# a 'not' before the narrowing words is theirs: read as the negation of all of it, 'Not
# adequately treated hypertension' excluded every patient without hypertension
@pytest.mark.parametrize(
    "text",
    ["Not adequately treated hypertension", "Hepatitis C, not cured", "not stable brain metastases", "Not treated brain metastases"],
)
def test_a_not_before_narrowing_words_stays_with_them(text):
    tree = parse(text)
    assert not any(isinstance(n, Not) for n in walk(tree))
    assert any("not" in piece.lower() for piece in unparsed(tree))


def test_not_adequately_treated_hypertension_does_not_exclude_a_patient_without_hypertension(tmp_path):
    assert exclusion(tmp_path, WOMAN, "Not adequately treated hypertension").status != "fail"
    assert exclusion(tmp_path, {**WOMAN, "conditions": [HYPERTENSION]}, "Not adequately treated hypertension").status != "pass"


def test_no_stable_angina_is_still_the_absence_of_it():
    tree = parse("No stable angina")
    assert isinstance(tree, Not) and "stable" in _modifiers(tree)


# (NCT id, line, the anchor its window is counted back from, as rendered)
ANCHORED = [
    ("NCT05101070", "Prior major surgery within 28 days before the first dose of study intervention.", "before first dose"),
    ("NCT02362594", "Systemic steroid therapy within 7 days prior to the first dose of study medication", "before first dose"),
    ("NCT04152499", "Any major surgical procedure within 4 weeks of first infusion of study drug.", "before first dose"),
    ("NCT03308201", "Have received radiotherapy within 4 weeks prior to study;", "before enrollment"),
    ("NCT03929471", "Surgery within six weeks of the study.", "before enrollment"),
    ("NCT03931616", "Major surgery within 4 weeks before study inclusion", "before enrollment"),
]


@pytest.mark.parametrize(("nct", "text", "anchor"), ANCHORED)
def test_the_study_and_its_treatment_anchor_a_window(nct, text, anchor):
    tree = parse(text)
    assert anchor in render(tree), nct
    assert coverage_class(tree) == "structured", unparsed(tree)
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_the_investigational_product_of_the_first_dose_is_no_drug_the_patient_took():
    # NCT03698383: 'investigational agent' was read as a conjunct of the malignancy
    tree = parse("Any other malignancy within 3 years prior to first dose of investigational product")
    assert not any(isinstance(n, Medication) for n in walk(tree))
    assert "before first dose" in render(tree)


@pytest.mark.parametrize(
    "text",
    ["participation in the study", "Stroke within 3 months after the study", "Stroke within 3 months after study inclusion"],
)
def test_the_study_elsewhere_is_no_anchor(text):
    # only after a duration and its 'prior to', and last in its clause; 'after' is another time
    assert "enrollment" not in render(parse(text))


def test_radiotherapy_within_weeks_prior_to_study_decides_by_its_date(tmp_path):
    text = "Have received radiotherapy within 4 weeks prior to study;"
    assert exclusion(tmp_path, {**WOMAN, "procedures": [_radiotherapy("2026-11-20")]}, text).status == "fail"
    assert exclusion(tmp_path, {**WOMAN, "procedures": [_radiotherapy("2024-03-01")]}, text).status == "pass"


# (NCT id, line, the skin cancers it names)
SHARED_CELL_TYPE = [
    ("NCT03036488", "Has a history of invasive malignancy ≤5 years prior to signing informed consent except for adequately treated basal cell or squamous cell skin cancer or in situ cervical cancer."),
    ("NCT05346107", "History of other malignancy within the last 5 years, with the exception of adequately treated basal or squamous cell carcinoma of the skin or carcinoma in situ of the cervix."),
]


@pytest.mark.parametrize(("nct", "text"), SHARED_CELL_TYPE)
def test_a_cell_type_before_or_shares_the_cancer_after_it(nct, text):
    tree = parse(text)
    concepts = {getattr(n, "concept", None) for n in walk(tree)}
    assert {"basal cell carcinoma of skin", "squamous cell carcinoma of skin"} <= concepts, nct
    assert coverage_class(tree) == "structured", unparsed(tree)
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_small_or_non_small_cell_lung_cancer_is_either():
    assert render(parse("small or non-small cell lung cancer")) == "small cell lung cancer or non-small cell lung cancer"


def test_a_patient_with_another_cancer_is_excluded_past_the_skin_cancer_exceptions(tmp_path):
    # NCT03036488: the breast cancer of 2024 is none of the exceptions; with 'basal cell' left
    # words every patient with a cancer stayed unknown
    breast = {"name": "Malignant neoplasm of breast", "icd10cm": "C50.919", "onset": "2024-05-01", "status": "active"}
    bcc = {"name": "Basal cell carcinoma of skin", "icd10cm": "C44.91", "onset": "2024-05-01", "status": "active"}
    text = SHARED_CELL_TYPE[0][1]
    assert exclusion(tmp_path, {**WOMAN, "conditions": [breast]}, text).status == "fail"
    assert exclusion(tmp_path, {**WOMAN, "conditions": [bcc]}, text).status == "unknown"
    assert exclusion(tmp_path, WOMAN, text).status == "pass"


# NCI's boilerplate (NCT03238495 and 30-odd more): a non-exhaustive list of what the study team
# judges uncontrolled intercurrent illness; each example is one where it is uncontrolled
NCI_INTERCURRENT = (
    "Uncontrolled intercurrent illness including, but not limited to, ongoing or active infection, symptomatic congestive "
    "heart failure, unstable angina pectoris, cardiac arrhythmia, or psychiatric illness/social situations that would limit "
    "compliance with study requirements."
)


def test_uncontrolled_intercurrent_illness_and_its_examples_are_understood():
    tree = parse(NCI_INTERCURRENT)
    assert coverage_class(tree) == "structured", unparsed(tree)
    assert "uncontrolled intercurrent illness" in _modifiers(tree)
    assert "active infection" in render(tree)
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


@pytest.mark.parametrize("conditions", [[], [ANGINA, HYPERTENSION]], ids=["none named", "others"])
def test_the_intercurrent_illness_list_never_passes_an_exclusion(tmp_path, conditions):
    # the list is open: a patient with none of its examples may have another uncontrolled illness
    assert exclusion(tmp_path, {**WOMAN, "conditions": conditions}, NCI_INTERCURRENT).status == "unknown"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ongoing or active infection", "active infection"),  # NCT05269381
        ("Active or uncontrolled infection.", "active infection"),  # NCT05728268
        ("Current or active smoker", "active tobacco use"),  # made up
    ],
)
def test_two_words_of_the_present_joined_by_or_say_the_wider(text, expected):
    assert render(parse(text)) == expected


# how long a promise of contraception lasts is part of it, a time to come
WOCBP_PROMISE = "WOCBP must agree to use effective contraception during the study and for 3 months after the last dose."  # NCT04768426


def test_how_long_contraception_lasts_belongs_to_the_judgment():
    tree = parse(WOCBP_PROMISE)
    assert coverage_class(tree) == "structured", unparsed(tree)
    [judgment] = [n for n in walk(tree) if getattr(n, "category", None) == "contraception"]
    assert judgment.text.endswith("for 3 months after the last dose")
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_a_promise_for_women_of_childbearing_potential_passes_a_man_and_asks_the_team_of_a_woman(tmp_path):
    man = {**WOMAN, "sex": "male", "birth_date": "1980-01-01"}
    young = {**WOMAN, "birth_date": "1995-01-01"}
    assert inclusion(tmp_path, man, WOCBP_PROMISE).status == "pass"
    assert inclusion(tmp_path, young, WOCBP_PROMISE).status == "unknown"


def test_a_time_that_names_a_drug_is_no_promise_of_how_long():
    tree = parse("Women of childbearing potential must agree to use contraception and for 3 months after the last dose of tamoxifen")
    assert any("last dose" in piece for piece in unparsed(tree))


# what an allergy is to, where it is the study's own treatment: the record never says, so no
# allergy on record is none to it (as engine.evaluate reads an allergy's words)
@pytest.mark.parametrize(
    ("nct", "text"),
    [
        ("NCT00567190", "Known hypersensitivity to any of the study drugs"),
        ("NCT05411380", "Known hypersensitivity to any formulation component of the study drug;"),
        ("NCT02654730", "Known allergy to study medications"),
    ],
)
def test_an_allergy_to_the_study_treatment_is_understood(nct, text):
    tree = parse(text)
    assert coverage_class(tree) == "structured", (nct, unparsed(tree))
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_an_allergy_to_the_study_drugs_excludes_nobody_without_an_allergy_and_nobody_with_one_for_sure(tmp_path):
    text = "Known hypersensitivity to any of the study drugs"
    allergy = {"name": "Allergy to penicillin", "icd10cm": "Z88.0", "onset": "2010-01-01", "status": "active"}
    assert exclusion(tmp_path, WOMAN, text).status == "pass"
    assert exclusion(tmp_path, {**WOMAN, "conditions": [allergy]}, text).status != "fail"
