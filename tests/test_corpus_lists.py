"""Words after the last item of a list of events, quoted (trimmed) from the public corpus
(../shared/data/corpus). Words not understood after 'A or B' may speak of both ('Previous
irradiation and/or thrombosis in site selected for catheter insertion': the irradiation too
was in that site), so they qualify the whole list: a record of A alone no longer decides.
Anchors the parser knows ('prior to initiation of study drug') and words that restrict
nothing ('for any reason') are understood, so they leave the list decided."""

from __future__ import annotations

from datetime import date

import pytest

from engine.evaluate import evaluate
from engine.logic import Truth
from engine.nodes import Qualified
from engine.parse import parse
from engine.patient import Coding, Patient, ProcedureRecord
from engine.render import render
from engine.summary import unparsed

SNOMED = "http://snomed.info/sct"


def test_words_after_a_list_qualify_every_item():
    tree = parse("Previous irradiation and/or thrombosis in site selected for catheter insertion")
    assert isinstance(tree, Qualified)
    assert render(tree) == "(history of radiotherapy or history of thrombosis) \u00absite selected\u00bb \u00abcatheter insertion\u00bb"
    # radiotherapy elsewhere is no radiotherapy 'in site selected for catheter insertion'
    radiotherapy = ProcedureRecord(codings=(Coding(system=SNOMED, code="108290001"),), text="Radiation oncology AND/OR radiotherapy", start=date(2020, 1, 1))
    patient = Patient(id="p", procedures=(radiotherapy,))
    assert evaluate(tree.item, patient, as_of=date(2026, 6, 1)).truth is Truth.TRUE  # the record is radiotherapy
    assert evaluate(tree, patient, as_of=date(2026, 6, 1)).truth is Truth.UNKNOWN


def test_words_before_the_last_item_stay_its_own():
    assert render(parse("hepatitis B or uncontrolled hypertension")) == "hepatitis b or ((hypertension) \u00abuncontrolled\u00bb)"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Stroke or transient ischemic attack within 6 months prior to initiation of study drug.",
         "stroke within 6 months before first dose or transient ischemic attack within 6 months before first dose"),
        ("Patients who have had chemotherapy or radiotherapy within 14 days prior to beginning protocol therapy.",
         "chemotherapy within 14 days before first dose or radiotherapy within 14 days before first dose"),
        ("Patients who have had endocrine therapy, chemotherapy or radiotherapy within 12 months prior to entering the study",
         "endocrine therapy within 12 months before enrollment or chemotherapy within 12 months before enrollment"
         " or radiotherapy within 12 months before enrollment"),
        ("Received cytotoxic chemotherapy, endocrine therapy, biological therapy or radiation therapy for any reason;",
         "history of cytotoxic chemotherapy or history of endocrine therapy or history of biologic or history of radiotherapy"),
    ],
)
def test_anchors_and_empty_restrictions_leave_the_list_decided(text, canonical):
    tree = parse(text)
    assert render(tree) == canonical
    assert unparsed(tree) == []


def test_allergy_to_compounds_like_a_drug_is_not_the_drug():
    # NCI boilerplate (about 40 corpus trials): taking paclitaxel is no allergic reaction to it
    from engine.patient import MedicationRecord
    from engine.vocab import load_vocabulary

    tree = parse("History of allergic reactions attributed to compounds of similar chemical or biologic composition to paclitaxel.")
    code = load_vocabulary().get("drug", "paclitaxel").codes_for("rxnorm")[0]
    taken = MedicationRecord(codings=(Coding(system="http://www.nlm.nih.gov/research/umls/rxnorm", code=code),),
                             start=date(2020, 1, 1), end=date(2020, 6, 1), status="completed")
    assert evaluate(tree, Patient(id="p", medications=(taken,)), as_of=date(2026, 6, 1)).truth is Truth.FALSE


def test_what_a_later_treatment_was_given_for_may_reach_the_earlier_ones():
    # NCT05420454 (exclusion): docetaxel for prostate cancer is no chemotherapy 'for currently
    # diagnosed breast cancer'; where 'for' was left says nothing of how far back it reaches
    from engine.screen import screen_trial
    from engine.trials import Criterion, Trial

    text = "Radiotherapy, chemotherapy, biotherapy and/or endocrine therapy for currently diagnosed breast cancer prior to study entry;"
    trial = Trial(trial_id="NCT05420454", title="t", source="test", criteria=(Criterion(section="exclusion", text=text),))
    chemo = ProcedureRecord(codings=(Coding(system=SNOMED, code="367336001"),), text="Chemotherapy", start=date(2026, 5, 1), status="in-progress")
    result = screen_trial(Patient(id="p", procedures=(chemo,)), trial, as_of=date(2026, 6, 1))
    criterion = result.criteria[0]
    assert criterion.status == "unknown", criterion.reasons
    assert any("restrictive" in r for r in criterion.reasons)


def test_indications_after_a_heading_are_alternatives():
    # NCT03868514 (inclusion): read as all of them, a patient without breast cancer failed
    # although a strong family history alone is an indication
    text = ("Indications of breast reconstruction: histologically confirmed breast cancer, precancerous lesions (DCIS, LCIS), "
            "mutation carrier with increased breast cancer risk, strong family history (lifetime risk > 15%)")
    from engine.nodes import AnyOf

    tree = parse(text)
    assert isinstance(tree, AnyOf)
    assert evaluate(tree, Patient(id="p"), as_of=date(2026, 6, 1)).truth is Truth.UNKNOWN


def test_a_list_of_cancers_with_an_alternative_not_understood_may_be_alternatives():
    # NCT04142931 (inclusion): read as all of them, a patient with melanoma failed a trial
    # that takes melanoma, TNBC, NSCLC or RCC
    from engine.patient import ConditionRecord

    text = ("Histologically confirmed diagnosis of locally advanced unresectable, or metastatic (Stage IV) melanoma, "
            "triple negative breast cancer, non-small cell lung cancer, renal cell carcinoma")
    melanoma = ConditionRecord(codings=(Coding(system="http://hl7.org/fhir/sid/icd-10-cm", code="C43.9"),), text="Melanoma",
                               onset=date(2024, 1, 1), clinical_status="active")
    outcome = evaluate(parse(text), Patient(id="p", conditions=(melanoma,)), as_of=date(2026, 6, 1))
    assert outcome.truth is Truth.UNKNOWN


def _melanoma_patient() -> Patient:
    from engine.patient import ConditionRecord

    melanoma = ConditionRecord(codings=(Coding(system="http://hl7.org/fhir/sid/icd-10-cm", code="C43.9"),), text="Melanoma",
                               onset=date(2024, 1, 1), clinical_status="active")
    return Patient(id="p", conditions=(melanoma,))


@pytest.mark.parametrize(
    ("lines", "status"),
    [
        # NCT05076760: the headings of each tumour type's criteria, which the record does not
        # nest; read as requirements, a patient with melanoma failed 'Non-small cell lung cancer'
        (("Non-small cell lung cancer (NSCLC)", "Merkel cell Carcinoma", "Melanoma", "Pancreatic cancer"), "unknown"),
        # a patient with none of them fails either way
        (("Non-small cell lung cancer (NSCLC)", "Pancreatic cancer"), "ineligible"),
        # a status says more of the disease, it is no alternative to it: both are asked
        (("Melanoma", "Metastatic disease", "Non-small cell lung cancer (NSCLC)"), "unknown"),
    ],
)
def test_conditions_named_alone_on_lines_of_their_own_may_be_alternatives(lines, status):
    from engine.screen import screen_trial
    from engine.trials import Criterion, Trial

    trial = Trial(trial_id="NCT05076760", title="t", source="test", criteria=tuple(Criterion(section="inclusion", text=t) for t in lines))
    patient = _melanoma_patient() if "Melanoma" in lines else Patient(id="p")
    result = screen_trial(patient, trial, as_of=date(2026, 6, 1))
    assert result.status == status, [(c.text, c.status) for c in result.criteria]
    if status == "unknown":
        assert any("named alone" in r for c in result.criteria for r in c.reasons)


def test_a_condition_and_its_kind_named_alone_are_both_asked():
    # 'Breast cancer' and 'Triple negative breast cancer': one a kind of the other, so not alternatives
    from engine.screen import _some_apart

    assert not _some_apart(("breast cancer", "triple-negative breast cancer"))
    assert _some_apart(("melanoma", "non-small cell lung cancer"))


def _pregnant_patient() -> Patient:
    from engine.patient import ConditionRecord

    pregnancy = ConditionRecord(codings=(Coding(system="http://hl7.org/fhir/sid/icd-10-cm", code="Z33.1"),), text="Pregnant state",
                                onset=date(2026, 4, 1), clinical_status="active")
    return Patient(id="p", sex="female", conditions=(pregnancy,))


@pytest.mark.parametrize(
    ("text", "pregnant", "status"),
    [
        # an exclusion of two groups of women: read as both at once, a pregnant woman passed it
        ("Pregnant and lactating women", True, "unknown"),
        # (the test is the study team's to do, asked of women: the pregnancy on record decides)
        ("Pregnant women, those with a positive pregnancy test, and lactating women", True, "fail"),
        # neither: both readings pass
        ("Pregnant and lactating women", False, "pass"),
        # a status says whom the rest is about: women of childbearing potential with a positive test
        ("Women of childbearing potential and pregnant", False, "pass"),
        # a treatment and what it was given for are one event, not two groups
        ("Previous chemotherapy for breast cancer.", False, "pass"),
    ],
)
def test_an_exclusion_of_a_and_b_may_mean_either(text, pregnant, status):
    from engine.screen import screen_trial
    from engine.trials import Criterion, Trial

    trial = Trial(trial_id="NCT0", title="t", source="test", criteria=(Criterion(section="exclusion", text=text),))
    patient = _pregnant_patient() if pregnant else Patient(id="p", sex="female")
    criterion = screen_trial(patient, trial, as_of=date(2026, 6, 1)).criteria[0]
    assert criterion.status == status, criterion.reasons
    if status == "unknown":
        assert any("may mean either of them" in r for r in criterion.reasons), criterion.reasons


def test_with_or_without_that_took_the_rest_of_a_list_is_no_negation():
    # NCT05296798 (exclusion): 'without' read as a negation over 'pertuzumab, or T-DM1 in the
    # adjuvant setting' excluded every patient who never had pertuzumab
    from engine.nodes import Not, walk

    text = ("Disease progression within 6 months of receiving trastuzumab, with or without pertuzumab, "
            "or ado-trastuzumab emtansine in the adjuvant setting")
    tree = parse(text)
    assert not any(isinstance(n, Not) for n in walk(tree))
    assert "without pertuzumab, or ado-trastuzumab emtansine in the adjuvant setting" in unparsed(tree)
    assert evaluate(tree, Patient(id="p"), as_of=date(2026, 6, 1), polarity=-1).truth is Truth.UNKNOWN


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        # 'with or without X' beside a requirement asks nothing more
        ("Potassium within normal limits, with or without correction with supplements.", "potassium >= 1 x LLN and <= 1 x ULN"),
        ("Prior chemotherapy with or without radiotherapy", "history of chemotherapy"),
    ],
)
def test_with_or_without_one_thing_asks_nothing(text, canonical):
    assert render(parse(text)) == canonical
