"""Coverage (issue 4), safely: shapes whose meaning is certain. Each row quotes a corpus line
(trimmed, its NCT id beside it).

- A topic heading over sub-items ('Hepatic:', 'Performance status:', 'Other:') names what
  they measure: 'each of the following:', its items separate criteria (all must hold in an
  inclusion, any one excludes in an exclusion). The record's nesting is not trusted to rule
  out through it (NCT02562118 nests the two ways to be post-menopausal under 'Renal:').
- 'Any of the following cardiac criteria:': the topic of the items after 'the following'.
- 'Hypersensitivity to pembrolizumab or any of its excipients': the excipients are what the
  allergy is to as well (no allergy on record is none to them).
- 'Age >= 60 years, or' / 'No systemic infection and': the connective that ends a line joins
  the next; the line is read without it, and engine.screen keeps it from deciding alone.
- 'Female sex', 'Female gender;': the word says the sex again.
- 'Pregnant or lactating women are ineligible.': an `Excludes`, read by the line's side
  (listed as an inclusion, the patient must not be among those it names).
- 'at the time of randomization', 'during screening': the day of screening; 'lactation
  period' is lactation; KEYNOTE's 'allogenic tissue/solid organ transplant' is either.
- Words that say nothing more: 'Chronic opioid use', '0 to 2 points', 'age range between',
  'calculated GFR', 'Medical history of'; 'cancer history' is a history of cancer.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.nodes import AnyOf, Excludes, Following, Modifier, Qualified, Sex, strip_spans
from engine.parse import parse
from engine.render import render
from engine.summary import coverage_class, unparsed

sys.path.insert(0, str(Path(__file__).resolve().parent))

from one_trial import exclusion, inclusion, lab, screen_text, transaminases  # noqa: E402

WOMAN = {"id": "p", "birth_date": "1960-01-01", "sex": "female"}
PENICILLIN = {"name": "Allergy to penicillin", "icd10cm": "Z88.0", "onset": "2010-01-01", "status": "active"}


def _roundtrip(tree) -> bool:
    return strip_spans(parse(render(tree))) == strip_spans(tree)


# (NCT id, line)
TOPICS = [
    ("NCT00023673", "Hepatic:"),
    ("NCT00023673", "Performance status:"),
    ("NCT00023673", "Other:"),
    ("NCT00003135", "Menopausal status:"),
    ("NCT01655004", "Bone marrow:"),
    ("NCT05744427", "Coagulation function:"),
    ("NCT05190094", "Hepatic function:"),
    ("NCT05142592", "Renal"),
]


@pytest.mark.parametrize(("nct", "text"), TOPICS)
def test_a_topic_heading_is_each_of_the_following(nct, text):
    tree = parse(text)
    assert isinstance(tree, Following) and tree.quantifier == "each", nct
    assert render(tree) == "each of the following:"
    assert _roundtrip(tree)


@pytest.mark.parametrize(
    "text",
    [
        "History of:",  # NCT03865576: a past event counts under it, so it says more than a topic
        "Cohort 1:",  # whom the items are for
        "Key",  # what is left of 'Key Inclusion Criteria', heading no items of its own
        "Additional inclusion criteria for NSCLC participants:",  # NCT03401385
    ],
)
def test_headings_that_say_more_than_a_topic_keep_their_words(text):
    tree = parse(text)
    assert coverage_class(tree) != "structured", render(tree)


def test_each_of_the_following_in_words_is_read_as_the_topic_is():
    tree = parse("Patients must meet each of the following:")
    assert isinstance(tree, Following) and tree.quantifier == "each"


@pytest.mark.parametrize(
    ("nct", "text"),
    [
        ("NCT04090567", "Any of the following cardiac criteria:"),
        ("NCT05123482", "Participants with any of the following cardiac criteria:"),
    ],
)
def test_the_topic_after_the_following_is_no_word_left_over(nct, text):
    tree = parse(text)
    assert isinstance(tree, Following) and tree.quantifier == "any", nct


def _hepatic(section: str, bound_bilirubin: str, bound_ast: str) -> str:
    lines = f"* Hepatic:\n    * Bilirubin {bound_bilirubin}\n    * AST {bound_ast}"
    if section == "inclusion":
        return f"Inclusion Criteria:\n{lines}\nExclusion Criteria:\n* Pregnancy"
    return f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n{lines}"


def _heading(tmp_path, patient: dict, section: str):
    text = _hepatic(section, "<= 1.5 mg/dL", "<= 2.5 x ULN") if section == "inclusion" else _hepatic(section, "> 3 mg/dL", "> 5 x ULN")
    [result] = [c for c in screen_text(tmp_path, patient, text).criteria if c.text == "Hepatic:"]
    return result


NORMAL = [lab("1975-2", 1.0, "mg/dL"), *transaminases(30, 30)]
HIGH_BILIRUBIN = [lab("1975-2", 4.0, "mg/dL"), *transaminases(30, 30)]


@pytest.mark.parametrize("section", ["inclusion", "exclusion"])
def test_a_topic_heading_passes_when_every_item_does(tmp_path, section):
    # NCT00023673 'Hepatic:' over 'Bilirubin less than 1.5 mg/dL' and the AST: read with its
    # topic as words not understood, it was unknown for every patient
    result = _heading(tmp_path, {**WOMAN, "observations": NORMAL}, section)
    assert result.status == "pass"
    assert [c.status for c in result.children] == ["pass", "pass"]


@pytest.mark.parametrize("section", ["inclusion", "exclusion"])
def test_a_topic_heading_rules_nobody_out_through_an_item(tmp_path, section):
    # one item fails (in an exclusion: holds, and as 'all of the following' the normal AST
    # would have passed the exclusion); the heading does not fail, the item's own line does
    result = _heading(tmp_path, {**WOMAN, "observations": HIGH_BILIRUBIN}, section)
    assert result.status == "unknown"
    assert "fail" in [c.status for c in result.children]


@pytest.mark.parametrize("section", ["inclusion", "exclusion"])
def test_a_topic_heading_without_the_values_stays_unknown(tmp_path, section):
    assert _heading(tmp_path, WOMAN, section).status == "unknown"


def test_the_postmenopausal_lines_nested_under_renal_fail_nobody():
    # NCT02562118, as the record nests it: read as the items of 'Renal:', every woman
    # failed one of the two ways to be post-menopausal
    text = (
        "Inclusion Criteria:\n* Renal:\n    * Creatinine ≤ 1.5x ULN\n    * Age ≥ 60 years and one year or more of amenorrhea\n"
        "    * Age < 60 years and one year or more of amenorrhea\nExclusion Criteria:\n* Pregnancy"
    )
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        result = screen_text(Path(folder), {**WOMAN, "observations": [lab("2160-0", 0.8, "mg/dL", 1.1)]}, text)
    [renal] = [c for c in result.criteria if c.text == "Renal:"]
    assert renal.status == "unknown"
    assert result.status != "ineligible"


# (NCT id, line)
EXCIPIENTS = [
    ("NCT01917279", "Known hypersensitivity to any of the study treatments or excipients."),
    ("NCT02872025", "Hypersensitivity to pembrolizumab or any of its excipients."),
    ("NCT02628067", "Has severe hypersensitivity (≥Grade 3) to pembrolizumab and/or any of its excipients"),
    ("NCT04445844", "Known hypersensitivity to the study drugs or their components"),
    ("NCT03025035", "Patients with a known hypersensitivity to olaparib or any of the excipients of the product."),
    ("NCT03285412", "History of hypersensitivity to ribociclib or any of its components."),
]


@pytest.mark.parametrize(("nct", "text"), EXCIPIENTS)
def test_an_allergy_to_the_excipients_is_an_allergy(nct, text):
    tree = parse(text)
    assert coverage_class(tree) == "structured", (nct, unparsed(tree))
    assert isinstance(tree, AnyOf)
    excipients = tree.items[-1]
    assert isinstance(excipients, Qualified) and isinstance(excipients.qualifiers[0], Modifier)
    assert excipients.item.concept == "allergy"
    assert _roundtrip(tree)


def test_drugs_listed_after_an_allergy_keep_their_excipients_as_words():
    # NCT04603183: its drugs after the first stand alone as the connective reads them; the
    # excipients are not made an allergy beside them
    text = "Known hypersensitivity to abemaciclib, letrozole, fulvestrant, paclitaxel, and/or any of their excipients."
    assert "any of their excipients" in unparsed(parse(text))


def test_an_exclusion_of_an_allergy_to_the_excipients_passes_without_an_allergy(tmp_path):
    text = "Hypersensitivity to pembrolizumab or any of its excipients."
    assert exclusion(tmp_path, WOMAN, text).status == "pass"
    # an allergy to something else may be one to an excipient: not known
    assert exclusion(tmp_path, {**WOMAN, "conditions": [PENICILLIN]}, text).status == "unknown"


# (NCT id, line, the line without its connective)
DANGLING = [
    ("NCT04553770", "Age >= 60 years, or", "Age >= 60 years"),
    ("NCT02488967", "History of documented congestive heart failure (CHF); or", "History of documented congestive heart failure (CHF)"),
    ("NCT03928678", "No systemic infection and", "No systemic infection"),
    ("NCT03863470", "Age ≥18 years old; AND", "Age ≥18 years old"),
]


@pytest.mark.parametrize(("nct", "text", "without"), DANGLING)
def test_a_connective_that_ends_a_line_is_read_without_it(nct, text, without):
    tree = parse(text)
    assert coverage_class(tree) == "structured", (nct, unparsed(tree))
    assert strip_spans(tree) == strip_spans(parse(without))


def test_a_line_ending_in_or_still_decides_nothing_alone(tmp_path):
    # an exclusion 'hepatitis C, or' then 'human immunodeficiency virus ...' (NCT04711824):
    # the line alone neither excludes nor passes (engine.screen `_cut_off`)
    hepatitis = {"name": "Chronic hepatitis C", "icd10cm": "B18.2", "onset": "2015-01-01", "status": "active"}
    assert exclusion(tmp_path, WOMAN, "hepatitis C, or").status == "unknown"
    assert exclusion(tmp_path, {**WOMAN, "conditions": [hepatitis]}, "hepatitis C, or").status == "unknown"


@pytest.mark.parametrize("text", ["female sex", "Female gender;", "Male Sex", "Male or female sex."])
def test_the_word_sex_after_a_sex_says_it_again(text):
    tree = parse(text)
    assert isinstance(tree, Sex), render(tree)


# (NCT id, line, its section)
EXCLUDING = [
    ("NCT04243616", "Pregnant or lactating women are ineligible.", "exclusion"),
    ("NCT04550494", "Patients who have had prior treatment with talazoparib are ineligible", "exclusion"),
    ("NCT05266937", "Patients with a known left ventricular ejection fraction (LVEF) < 40% will be excluded", "exclusion"),
    ("NCT03801369", "Patients with carcinomatous meningitis are not eligible", "exclusion"),
    ("NCT02484404", "Patients with prior history of pneumonitis and/or interstitial lung disease will be excluded.", "inclusion"),
    ("NCT03315364", "Subjects with central nervous system metastasis should be excluded.", "inclusion"),
]


@pytest.mark.parametrize(("nct", "text", "section"), EXCLUDING)
def test_words_that_keep_out_those_a_line_names_are_understood(nct, text, section):
    tree = parse(text)
    assert isinstance(tree, Excludes), (nct, render(tree))
    assert coverage_class(tree) == "structured"
    assert _roundtrip(tree)


PREGNANCY = {"name": "Normal pregnancy", "icd10cm": "Z34.90", "onset": "2026-10-01", "status": "active"}


def test_an_exclusion_that_says_ineligible_rules_out_whom_it_names(tmp_path):
    text = "Pregnant or lactating women are ineligible."  # NCT04243616
    assert exclusion(tmp_path, {**WOMAN, "conditions": [PREGNANCY]}, text).status == "fail"
    assert exclusion(tmp_path, WOMAN, text).status == "pass"


def test_an_inclusion_that_says_excluded_is_turned_round(tmp_path):
    # NCT03315364 lists it among its inclusion criteria: read as 'CNS metastases' beside a
    # word not understood it was unknown; the patient must not have them
    text = "Subjects with central nervous system metastasis should be excluded."
    mets = {"name": "Secondary malignant neoplasm of brain", "icd10cm": "C79.31", "onset": "2026-01-01", "status": "active"}
    assert inclusion(tmp_path, WOMAN, text).status == "pass"
    assert inclusion(tmp_path, {**WOMAN, "conditions": [mets]}, text).status == "fail"


@pytest.mark.parametrize(
    "text",
    [
        # NCT00803062: 'with radiation therapy' read on topotecan only may be said of both
        "Patients who have received concurrent paclitaxel and/or concurrent topotecan with radiation therapy are ineligible",
        # the words close a sentence of their own (NCT04092673)
        "Tumor has a known KRAS-activating mutation; Patients with KRAS G12C mutations are excluded.",
    ],
)
def test_words_that_keep_out_part_of_a_line_stay_words(text):
    assert not isinstance(parse(text), Excludes)


# (NCT id, line, its reading)
READINGS = [
    ("NCT04872985", "Pregnancy or lactation at the time of randomization.", "pregnancy or lactation"),
    ("NCT04733118", "Active uncontrolled infection at the time of enrollment.", "(active infection) «uncontrolled»"),
    ("NCT03931941", "CD4 count <200/mm3 during Screening.", "cd4 count < 200 /mm3"),
    ("NCT03921775", "Pregnant women or those in lactation period", "pregnancy or lactation"),
    ("NCT02628067", "Has had an allogenic tissue/solid organ transplant.", "allogeneic tissue transplant or solid organ transplant"),
]


@pytest.mark.parametrize(("nct", "text", "reading"), READINGS)
def test_times_of_screening_and_names_of_events(nct, text, reading):
    tree = parse(text)
    assert render(tree) == reading, nct
    assert _roundtrip(tree)


def test_an_allogeneic_stem_cell_transplant_is_an_allogeneic_tissue_transplant(tmp_path):
    transplant = {"name": "Allogeneic bone marrow transplantation", "codes": [{"system": "http://snomed.info/sct", "code": "58390007"}], "date": "2020-01-01"}
    text = "Allogenic tissue/solid organ transplant"
    assert exclusion(tmp_path, WOMAN, text).status == "pass"
    # (done, not under way: whether a past one counts the line does not say)
    assert exclusion(tmp_path, {**WOMAN, "procedures": [transplant]}, text).status != "pass"


# (NCT id, line, its reading)
SAID_AGAIN = [
    ("NCT03927781", "Chronic opioid use", "(opioid) «Chronic»"),
    ("NCT03348098", "The ECOG score is between 0 to 2 points;", "ecog performance status >= 0 and <= 2"),
    ("NCT03866070", "With an age range between 18 and 37 years", "age >= 18 years and <= 37 years"),
    ("NCT04807192", "aspartate aminotransferase (AST) ≤ 2.5 times the ULN range.", "aspartate aminotransferase <= 2.5 x ULN"),
    ("NCT05035836", "Calculated glomerular filtration rate >50 mL/min", "estimated glomerular filtration rate > 50 mL/min"),
    ("NCT04164615", "Medical history of congestive heart failure;", "history of heart failure"),
    ("NCT03868033", "cancer history", "history of malignancy"),
    ("NCT03921567", "Organ transplant history,", "history of solid organ transplant"),
]


@pytest.mark.parametrize(("nct", "text", "reading"), SAID_AGAIN)
def test_words_that_say_nothing_more(nct, text, reading):
    tree = parse(text)
    assert render(tree) == reading, nct
    assert _roundtrip(tree)


def test_points_beside_a_bound_with_a_unit_stay_words():
    assert "points" in unparsed(parse("Hemoglobin drop > 2 g/dL points"))


def test_past_medical_history_keeps_its_words():
    # NCT04544189: 'History of acute pancreatitis ... or a past medical history of chronic
    # pancreatitis' reads 'acute' into the second, so it is not made whole
    text = "History of acute pancreatitis within 1 year of screening or a past medical history of chronic pancreatitis"
    assert "past medical" in unparsed(parse(text))
