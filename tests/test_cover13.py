"""Coverage (issue 4), safely: partial criteria whose only words not understood were a short,
frequent phrase that can be read exactly. Each row quotes a corpus line (trimmed, its NCT id
beside it) and pins the canonical reading, and whether it is now wholly structured; the
rows marked 'stays' pin lines where the same words must NOT be read, because reading them
would drop what changes the verdict. The verdict tests screen the least patient that shows
the reading: words that only narrow an event give 'pass' (an exclusion) where the event is
absent, and never more than 'unknown' where it is there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.nodes import Modifier, strip_spans, walk
from engine.parse import parse
from engine.render import render
from engine.summary import coverage_class, unparsed

sys.path.insert(0, str(Path(__file__).resolve().parent))

from one_trial import exclusion  # noqa: E402

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}
LUNG_CANCER = {
    "name": "lung cancer",
    "codes": [{"system": "http://snomed.info/sct", "code": "254637007"}],
    "onset": "2019-01-10",
    "abatement": "2020-03-01",
    "status": "resolved",
}
PNEUMONIA_NOW = {
    "name": "pneumonia",
    "codes": [{"system": "http://snomed.info/sct", "code": "233604007"}],
    "onset": "2026-12-01",
    "status": "active",
}


# (NCT id, line as written, canonical reading, wholly structured)
READINGS = [
    # 'history of' before words that only narrow: the event had at any time, the words modifiers
    ("NCT03048942", "History of other malignancy", "(history of malignancy) «other»", True),
    ("NCT03936933", "History of clinically significant cardiovascular disorder", "(history of cardiovascular disease) «clinically significant»", True),
    ("NCT04605575", "History of other malignancy within the last 5 years, except for appropriately treated carcinoma in situ of the cervix, non-melanoma skin carcinoma",
     None, None),
    # KEYNOTE's pneumonitis line: '(non-infectious)' and 'that required steroids' narrow it
    ("NCT02977468", "Has a history of (non-infectious) pneumonitis that required steroids or current pneumonitis.",
     "((history of pneumonitis) «(non-infectious)» «required steroids») or ((active pneumonitis) «(non-infectious)»)", True),
    # the treatment a condition requires narrows the condition; it is not a second event
    # ('systemic infection' is a concept of its own since audit 19, K3)
    ("NCT05076760", "Active systemic infections requiring intravenous antibiotics.", "(active systemic infection) «requiring intravenous antibiotics»", True),
    # ('known' is no history word since audit 18: the metastases in their own tense)
    ("NCT04553133", "Participants with known symptomatic brain metastases requiring steroids",
     "(brain metastases) «symptomatic» «requiring steroids»", True),
    ("NCT03922958", "ESRD requiring renal replacement therapy", "(end-stage renal disease) «requiring renal replacement therapy»", True),
    # KEYNOTE's aside says what the systemic treatment was: it joins no alternatives
    ("NCT04563507", "Has active autoimmune disease that has required systemic treatment in the past 2 years "
     "(i.e. with use of disease modifying agents, corticosteroids or immunosuppressive drugs).",
     "(active autoimmune disease within 2 years) «required systemic treatment» "
     "«(i.e. with use of disease modifying agents, corticosteroids or immunosuppressive drugs)»", True),
    # 'history or current', 'active or history of': past or present, which is a history
    ("NCT05082025", "History or current symptomatic pneumonitis.", "(history of pneumonitis) «symptomatic»", True),
    ("NCT03434379", "Active or history of autoimmune disease or immune deficiency",
     "history of autoimmune disease or history of immunodeficiency", True),
    ("NCT01905657", "Known history or active human immunodeficiency virus (HIV), hepatitis B, or hepatitis C",
     "history of hiv infection or history of hepatitis b or history of hepatitis c", True),
    ("NCT05336721", "History or clinical evidence of central nervous system (CNS) metastases or leptomeningeal carcinomatosis",
     "history of cns metastases or history of leptomeningeal disease", True),
    # stays: the history the words say does not reach the events after 'infection with'; each
    # keeps the words (read as going on now, a resolved hepatitis B passed)
    ("NCT03324425", "Current or past infection with Human Immunodeficiency Virus (HIV), Hepatitis B virus (HBV), or Hepatitis C virus (HCV).",
     "(history of infection and ((hiv infection) «Current or past»)) or ((hepatitis b) «Current or past») or ((hepatitis c) «Current or past»)", False),
    # stays: a later sentence lets some in, and the tree reads it as a criterion of its own
    ("NCT04761744", "Active or prior documented autoimmune disease within the past 2 years; subjects with diabetes type I, vitiligo, "
     "psoriasis, or hypo- or hyperthyroid diseases not requiring immunosuppressive treatment are eligible.", None, False),
    # a contraindication is the clinician's call: the drugs named are not exposures
    ("NCT04666961", "Contraindications to anastrozole or tamoxifen", "judgment(medical_judgment) «Contraindications to anastrozole or tamoxifen»", True),
    ("NCT00875355", "No contraindications to treatment with temozolomide",
     "not (judgment(medical_judgment) «contraindications to treatment with temozolomide»)", True),
    # stays: after a colon the line lists what counts; with an allergy named, the allergy decides
    ("NCT03861806", "Contraindications to TMS: history of seizure/epilepsy, pacemaker, other neurological disorders, brain surgery", None, None),
    ("NCT03925129", "Contraindication or allergy to ibuprofen", "«Contraindication» or (allergy and ibuprofen)", False),
    # a grade at or above one narrows the condition
    ("NCT04090398", "Patients with peripheral neuropathy > grade 1", "(peripheral neuropathy) «> grade 1»", True),
    ("NCT01380080", "Current Grade ≥2 neuropathy.", None, True),
    # stays: more of what is required follows, in words the lexicon does not read as drugs
    ("NCT04718675", "Active infections requiring systemic antibiotic, antiviral or antifungal therapy", None, False),
    ("NCT04704661", "Patients with an uncontrolled infection requiring IV antibiotics, antivirals, or antifungals", None, False),
    # stays: a slash joins the words to the event: alternatives, not a narrowing
    ("NCT01917279", "Prior adjuvant/neoadjuvant chemotherapy within 6 months prior to first study treatment administration.",
     "(neoadjuvant chemotherapy within 6 months before first dose) «Prior adjuvant»", False),
    # stays: a grade at most is met by a patient without the condition
    ("NCT01631552", "Otherwise, all toxicity at study entry ≤ Grade 1.", None, False),
]


@pytest.mark.parametrize(("nct", "text", "canonical", "structured"), READINGS, ids=[r[0] + ":" + r[1][:30] for r in READINGS])
def test_reading(nct, text, canonical, structured):
    tree = parse(text)
    if canonical is not None:
        assert render(tree) == canonical
    if structured is not None:
        assert (coverage_class(tree) == "structured") is structured, unparsed(tree)
    # the canonical text reads back to the same tree
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_history_of_other_keeps_the_history_and_the_word():
    # NCT04605575: read with 'History of other' not understood, 'history of' was lost with it
    tree = parse("History of other malignancy within the last 5 years, except for appropriately treated carcinoma in situ of the cervix")
    assert "(history of malignancy within 5 years) «other»" in render(tree)
    assert "other" in [n.text for n in walk(tree) if isinstance(n, Modifier)]


@pytest.mark.parametrize(
    "text",
    [
        "Peripheral neuropathy ≤ grade 1",  # a grade at most: met without any neuropathy
        "Peripheral neuropathy grade 0-1",
        "Peripheral neuropathy Grade <2",
    ],
)
def test_a_grade_at_most_is_not_a_modifier(text):
    assert coverage_class(parse(text)) == "partial"


def test_other_malignancy_passes_a_man_without_cancer(tmp_path):
    # NCT03048942 (exclusion): no malignancy on record is no other malignancy
    assert exclusion(tmp_path, MAN, "History of other malignancy").status == "pass"


def test_other_malignancy_is_unknown_for_a_man_with_a_past_cancer(tmp_path):
    # a lung cancer of 2019 is a history of malignancy: whether it is 'other' than the
    # trial's is not said, so never a pass (nor a fail)
    assert exclusion(tmp_path, {**MAN, "conditions": [LUNG_CANCER]}, "History of other malignancy").status == "unknown"


def test_infection_requiring_antibiotics_passes_without_infection(tmp_path):
    # NCT05076760 (exclusion)
    assert exclusion(tmp_path, MAN, "Active systemic infections requiring intravenous antibiotics.").status == "pass"


def test_infection_requiring_antibiotics_is_unknown_with_an_infection_and_no_antibiotic(tmp_path):
    # a guard: the requirement narrows the infection, so an infection on record without an
    # antibiotic is for the team (as infection AND an antibiotic, with the words understood,
    # the missing antibiotic would have passed it)
    patient = {**MAN, "conditions": [PNEUMONIA_NOW]}
    assert exclusion(tmp_path, patient, "Active systemic infections requiring intravenous antibiotics.").status == "unknown"



HEPATITIS_B_RESOLVED = {
    "name": "hepatitis B",
    "codes": [{"system": "http://snomed.info/sct", "code": "66071002"}],
    "onset": "2010-01-01",
    "abatement": "2011-01-01",
    "status": "resolved",
}


def test_current_or_past_hepatitis_b_does_not_pass_a_resolved_one(tmp_path):
    # NCT03324425 (exclusion): 'Current or past infection with HIV, HBV, or HCV': a hepatitis B
    # of 2010 is a past infection with HBV, so never a pass
    text = "Current or past infection with Human Immunodeficiency Virus (HIV), Hepatitis B virus (HBV), or Hepatitis C virus (HCV)."
    assert exclusion(tmp_path, {**MAN, "conditions": [HEPATITIS_B_RESOLVED]}, text).status != "pass"


def test_history_or_current_pneumonitis_passes_a_man_without_it(tmp_path):
    # NCT05082025 (exclusion)
    assert exclusion(tmp_path, MAN, "History or current symptomatic pneumonitis.").status == "pass"


def test_known_history_or_active_hepatitis_b_fails_a_resolved_one(tmp_path):
    # NCT01905657 (exclusion): a hepatitis B of 2010 is a known history of it
    text = "Known history or active human immunodeficiency virus (HIV), hepatitis B, or hepatitis C"
    assert exclusion(tmp_path, {**MAN, "conditions": [HEPATITIS_B_RESOLVED]}, text).status == "fail"


def test_contraindication_to_tamoxifen_is_not_taking_it(tmp_path):
    # NCT04666961 (exclusion): a woman on tamoxifen has no contraindication to it on record;
    # the clinician's call, never a fail for taking it
    woman = {"id": "w", "birth_date": "1960-01-01", "sex": "female",
             "medications": [{"name": "tamoxifen", "codes": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "10324"}], "status": "active"}]}
    assert exclusion(tmp_path, woman, "Contraindications to anastrozole or tamoxifen").status == "unknown"


BREAST_CANCER = {"name": "breast cancer", "codes": [{"system": "http://snomed.info/sct", "code": "254837009"}], "onset": "2025-03-01", "status": "active"}


def test_previous_or_concurrent_cancer_does_not_fail_the_trials_own_patient(tmp_path):
    # NCT05699811 (exclusion, a breast cancer trial): 'Previous or concurrent cancer' means
    # another one; read as any cancer had at any time, it failed a woman with the breast cancer
    # the trial is for
    woman = {"id": "w", "birth_date": "1960-01-01", "sex": "female", "conditions": [BREAST_CANCER]}
    assert exclusion(tmp_path, woman, "Previous or concurrent cancer within 3 years prior to treatment start.").status == "unknown"
