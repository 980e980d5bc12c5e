"""Criteria only the study team can settle, quoted (trimmed) from the public corpus
(../shared/data/corpus): measurable disease by the trial's own imaging review (RECIST,
RANO), and taking part in another study. Neither is in a health record, so they are
judgments: always unknown, named for what the team must check, never a piece 'not
understood'. Beside a condition, drug or bound in the same clause they take nothing from it:
the rest of the clause still decides what it can.
"""

from __future__ import annotations

from datetime import date

import pytest

from engine.evaluate import evaluate
from engine.logic import Truth
from engine.nodes import Condition, Judgment, walk
from engine.parse import parse
from engine.patient import Patient
from engine.render import render
from engine.summary import thresholds, unparsed


def _judgments(text: str) -> list[str]:
    return [n.category for n in walk(parse(text)) if isinstance(n, Judgment)]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Measurable disease as per RECIST Version 1.1.", "tumor_assessment"),
        ("At least one measurable lesion according to RECIST 1.1.", "tumor_assessment"),
        ("Patients must have at least 2 measurable lesions (based on RECIST V1.1);", "tumor_assessment"),
        ("Measurable or evaluable disease according to RECIST 1.1", "tumor_assessment"),
        ("Have either measurable disease or nonmeasurable bone-only disease", "tumor_assessment"),
        ("Measurable disease per Response Evaluation Criteria in Solid Tumors (RECIST) 1.1.", "tumor_assessment"),
        ("Participated in another clinical trial within 4 weeks prior to initial administration", "trial_participation"),
        ("participating in other clinical trials.", "trial_participation"),
        ("Participation in a concurrent clinical study in the treatment period.", "trial_participation"),
        ("Simultaneous participation in other interventional studies", "trial_participation"),
        # a more specific word names it: refusing is willingness, the investigator's call opinion
        ("Refusal to participate in study", "willingness"),
        ("Principal Investigator judged inappropriate for participation in study", "investigator_opinion"),
    ],
)
def test_what_only_the_study_team_can_settle_is_a_judgment(text, category):
    tree = parse(text)
    assert isinstance(tree, Judgment), render(tree)
    assert tree.category == category
    assert unparsed(tree) == []
    outcome = evaluate(tree, Patient(id="p"), as_of=date(2026, 6, 1))
    assert outcome.truth is Truth.UNKNOWN
    assert f"assessed by the study team ({category.replace('_', ' ')})" in outcome.reasons


def test_the_name_of_recist_is_no_solid_tumor():
    # 'Response Evaluation Criteria in Solid Tumors' names the rules, not the patient's cancer
    tree = parse("Measurable disease per Response Evaluation Criteria in Solid Tumors (RECIST) 1.1.")
    assert not [n for n in walk(tree) if isinstance(n, Condition)]


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        ("Metastatic breast cancer with measurable disease", "breast cancer"),
        ("HER2 positive metastatic breast cancer with at least one measurable lesion", "breast cancer"),
    ],
)
def test_a_judgment_phrase_beside_a_condition_leaves_it_standing(text, concept):
    tree = parse(text)
    assert concept in [n.concept for n in walk(tree) if isinstance(n, Condition)], render(tree)
    assert _judgments(text) == []
    assert any("measurable" in piece for piece in unparsed(tree))


def test_a_judgment_phrase_beside_a_bound_leaves_the_bound():
    text = "Participants enrolled in the study must have ANC ≥ 1500/µL"
    assert [t["measure"] for t in thresholds(parse(text))] == ["absolute neutrophil count"]
    assert _judgments(text) == []


@pytest.mark.parametrize("text", ["Measurable residual disease negative", "Planning to enroll in this study's extension"])
def test_look_alikes_are_not_judgments(text):
    assert _judgments(text) == []


@pytest.mark.parametrize(
    "text",
    [
        "Adequate renal, liver, and bone marrow function.",
        "Patients must have normal organ and marrow function as defined below:",
        "Adequate bone marrow reserve and organ function within 7 days before randomisation.",
        "Normal or acceptable kidney, liver, cardiovascular, and bone marrow functions",
        "Inadequate hematologic or hepatic function",
    ],
)
def test_organ_function_without_its_limits_is_for_the_study_team(text):
    # the protocol's laboratory limits, not written in the criterion
    assert _judgments(text) == ["organ_function"]
    assert unparsed(parse(text)) == []


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Adequate renal function with serum creatinine \u2264 1.5 x ULN", "serum creatinine <= 1.5 x ULN"),
        ("Adequate renal function as evidenced by a serum/plasma creatinine < 1.5 x ULN", "serum creatinine < 1.5 x ULN"),
        ("Adequate cardiac function, as defined by left ventricular ejection fraction (LVEF) \u226550% within 28 days before enrollment.",
         "left ventricular ejection fraction >= 50 % within 28 days before enrollment"),
        ("Adequate bone marrow functions (ANC \u22651.5\u00d7109 /L, PLT \u2265100\u00d7109 /L, HB \u226590 g/L);",
         "absolute neutrophil count >= 1.5 10^9/L; platelet count >= 100 10^9/L; hemoglobin >= 90 g/L"),
    ],
)
def test_organ_function_defined_by_its_bounds_is_those_bounds(text, canonical):
    # before, the words 'adequate renal function' qualified the bounds and kept them unknown
    assert render(parse(text)) == canonical


@pytest.mark.parametrize(
    "text",
    [
        # an age is no definition of organ reserve
        "Age > 20 years, adequate organ and marrow reserve",
        # 'inadequate ... (ANC >= 1500)': which side the bounds give is not sure
        "Inadequate bone marrow function (ANC \u2265 1500/\u00b5L)",
        # something after the bounds not understood
        "Adequate cardiac function as defined by left ventricular ejection fraction (LVEF) of \u2265 50% measured by echocardiography",
    ],
)
def test_organ_function_words_stay_where_the_bounds_may_not_define_it(text):
    assert any("function" in piece or "reserve" in piece or "echocardiography" in piece for piece in unparsed(parse(text))), render(parse(text))


def test_organ_function_defined_by_bounds_decides_by_them():
    from engine.patient import Coding, Observation

    tree = parse("Adequate renal function with serum creatinine \u2264 1.5 mg/dL")
    high = Observation(codings=(Coding(system="http://loinc.org", code="2160-0"),), value=2.4, unit="mg/dL", date=date(2026, 5, 20))
    assert evaluate(tree, Patient(id="p", observations=(high,)), as_of=date(2026, 6, 1)).truth is Truth.FALSE


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Availability of archival FFPE tissue", "specimen"),
        ("Representative formalin-fixed paraffin-embedded (FFPE) tumor specimens", "specimen"),
        ("Availability of tumor tissue specimen", "specimen"),
        ("Affiliation to social security", "legal_status"),
        ("Patients under legal protection", "legal_status"),
        ("Majors under trusteeship or guardianship,", "legal_status"),
        ("The presence of uncontrolled systemic disease.", "medical_judgment"),
        ("Clinically significant diseases", "medical_judgment"),
        ("Evidence of serious uncontrolled disease;", None),  # no word for 'disease' of its own: stays unparsed
    ],
)
def test_specimens_legal_status_and_severity_alone_are_for_the_study_team(text, category):
    if category is None:
        assert _judgments(text) == []
        return
    assert _judgments(text) == [category]
    assert unparsed(parse(text)) == []


@pytest.mark.parametrize(
    ("text", "concept"),
    [
        # beside a condition the severity words narrow it, as before: the condition still counts
        ("Clinically significant cardiovascular disease", "cardiovascular disease"),
        ("Core biopsy", None),
    ],
)
def test_severity_and_specimen_words_leave_concepts_standing(text, concept):
    tree = parse(text)
    assert _judgments(text) == []
    if concept is not None:
        assert concept in [n.concept for n in walk(tree) if isinstance(n, Condition)]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("English-speaking", "language"),
        ("Native speakers of English", "language"),
        ("Proficient in spoken English or Hindi", "language"),
        ("Incarceration", "legal_status"),
        ("Prisoners", "legal_status"),
        ("See Disease Characteristics", "protocol_reference"),
        ("Other protocol defined inclusion/exclusion criteria could apply", "protocol_reference"),
        ("Visceral crisis", "medical_judgment"),
    ],
)
def test_language_custody_and_references_elsewhere_are_for_the_study_team(text, category):
    assert _judgments(text) == [category]
    assert unparsed(parse(text)) == []


def test_a_language_beside_a_bound_leaves_the_bound():
    text = "The patient speaks English and has ANC \u2265 1500/\u00b5L"
    assert [t["measure"] for t in thresholds(parse(text))] == ["absolute neutrophil count"]


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Disease must be measurable with at least 1 unidimensional measurable lesion by RECIST 1.1.", "tumor_assessment"),
        ("Participants must have \u22651 measurable lesion as defined by RECIST v1.1.", "tumor_assessment"),
        ("Any condition that according to the treating physician may compromise the patient's safety", "investigator_opinion"),
        ("A serious illness or medical condition", "medical_judgment"),
        ("Comprehension of English language", "language"),
        ("Legal incapacity or limited legal capacity.", "legal_status"),
    ],
)
def test_more_spellings_of_what_the_study_team_settles(text, category):
    assert _judgments(text) == [category]


def test_contraceptive_methods_in_a_criterion_about_contraception_are_not_requirements():
    # NCT05215106 (inclusion): the methods a definition lists were read as drugs the patient
    # must be on, so every patient without a hormonal contraceptive on record failed
    text = ("A highly effective birth control method is a one, which can achieve a failure rate of less than 1% per year when "
            "used consistently and correctly. Such methods include: combined (estrogen and progestogen containing) hormonal "
            "contraception; progestogen-only hormonal contraception associated with inhibition of ovulation")
    assert evaluate(parse(text), Patient(id="p"), as_of=date(2026, 6, 1)).truth is Truth.UNKNOWN
    # elsewhere a hormonal contraceptive is still a drug on record or not
    assert _judgments("Current use of hormonal contraceptives") == []


def test_examples_after_a_heading_that_includes_are_not_requirements():
    text = "Such methods include: combined hormonal contraception; progestogen-only hormonal contraception; intrauterine device"
    assert evaluate(parse(text), Patient(id="p"), as_of=date(2026, 6, 1)).truth is Truth.UNKNOWN


# A judgment's words in one piece of a line, bounds the record can check in the others (cut at
# commas or sentence stops): each piece is a criterion of its own. Read as one judgment, the
# whole line was the study team's, and a patient of 80 or with ECOG 3 was not ruled out.
@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("ECOG score ≤ 2, expected survival ≥ 3 months.", "ecog performance status <= 2; judgment(life_expectancy) «expected survival ≥ 3 months»"),
        (
            "Female, age ≥18 years and ≤70 years, signed informed consent.",
            "sex female; (age >= 18 years and <= 70 years); judgment(consent) «signed informed consent»",
        ),
        (
            "Hemoglobin ≥ 8 g/dL; Patients must be able to meet the criteria without receipt of transfusion within 2 weeks",
            "hemoglobin >= 8 g/dL; judgment(compliance) «Patients must be able to meet the criteria without receipt of transfusion within 2 weeks»",
        ),
    ],
)
def test_bounds_beside_a_judgment_are_read_apart(text, canonical):
    assert render(parse(text)) == canonical


@pytest.mark.parametrize(
    "text",
    [
        # the judgment's sentence lets through what the bound holds back
        "Hemoglobin >8 g/dL. Patients may receive transfusion of packed red blood cells (PRBC) to achieve this hemoglobin level at the discretion of the investigator",
        # a case: whom the consent is asked of, not an age every patient must have
        "For adolescents over 18 years of age, able to provide informed consent to participate",
        # words beside the judgment that are no bound may be the judgment's own
        "Subject with a significant medical condition, currently uncontrolled by treatment, which, in the investigator's opinion, may interfere",
    ],
)
def test_a_judgment_keeps_pieces_that_are_not_plain_bounds(text):
    tree = parse(text)
    assert isinstance(tree, Judgment) and tree.text == text.rstrip(".")


def test_a_bound_beside_a_judgment_decides_in_either_section(tmp_path):
    from one_trial import exclusion, inclusion

    ecog3 = {"id": "p", "birth_date": "1960-01-01", "sex": "male", "observations": [{"loinc": "89247-1", "value": 3, "date": "2026-11-30"}]}
    assert inclusion(tmp_path, ecog3, "ECOG score ≤ 2, expected survival ≥ 3 months.").status == "fail"
    # an exclusion's pieces exclude each on its own
    assert exclusion(tmp_path, ecog3, "ECOG score ≥ 3, expected survival < 3 months.").status == "fail"
    ecog1 = {**ecog3, "observations": [{"loinc": "89247-1", "value": 1, "date": "2026-11-30"}]}
    assert inclusion(tmp_path, ecog1, "ECOG score ≤ 2, expected survival ≥ 3 months.").status == "unknown"
