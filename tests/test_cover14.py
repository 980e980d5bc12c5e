"""Coverage (issue 4), safely: lines that only let patients in. 'Prior radiotherapy allowed'
asks nothing: a `Permission`, which fails no patient in an inclusion or an exclusion. Each
row quotes a corpus line (trimmed, its NCT id beside it); the rows that stay pin lines whose
words refuse, limit, set a condition or require in other words, which must NOT be read so.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from engine.nodes import Each, Permission, Qualified, Sex, strip_spans
from engine.parse import parse
from engine.render import render
from engine.summary import coverage_class

sys.path.insert(0, str(Path(__file__).resolve().parent))

from one_trial import exclusion, inclusion  # noqa: E402

WOMAN = {"id": "p", "birth_date": "1960-01-01", "sex": "female"}
RADIOTHERAPY = {"name": "Radiation therapy", "codes": [{"system": "http://snomed.info/sct", "code": "108290001"}], "date": "2025-03-01"}


# (NCT id, line as written, what it allows rendered)
ALLOWED = [
    ("NCT00003140", "Prior radiotherapy allowed", "history of radiotherapy"),
    ("NCT03616587", "Prior treatment with CDK4/6 inhibitors is permitted", "history of cdk4-6 inhibitor"),
    ("NCT00004205", "Concurrent bisphosphonates allowed", "bisphosphonate"),
    ("NCT05262400", "Prior chemotherapy in the metastatic setting is allowed.", "(history of chemotherapy) «metastatic setting»"),
]

# lines whose permission words must stay words not understood
STAYS = [
    ("NCT03238495", "No prior cancer chemotherapy allowed."),  # a refusal
    ("NCT04348747", "Prior checkpoint inhibitors permitted 3 weeks prior to enrollment"),  # on a condition
    ("NCT04578106", "Eligible for taxane therapy."),  # a requirement
    ("NCT03151447", "Female aged 18 to 75 years old are eligible."),  # a requirement in other words
    ("NCT04009044", "A prior history of malignancy is allowed, as long as the patient is considered to have ?no evaluable disease?"),
    ("NCT04158947", "Previous radiotherapy allowed, but radiotherapy must have been discontinued at least 14 days prior to first study treatment administration"),
    ("NCT03344965", "Prior radiation is allowed; radiation therapy must have been completed at least 21 days before study treatment."),
    ("NCT02715284", "Participant is immunocompromised. Participants with splenectomy are allowed."),  # read as one 'and'
    ("made up", "Only prior chemotherapy allowed"),  # a limit the grammar passes over
]


@pytest.mark.parametrize(("nct", "text", "allowed"), ALLOWED)
def test_a_line_that_only_allows_is_a_permission(nct, text, allowed):
    tree = parse(text)
    assert isinstance(tree, Permission), nct
    assert render(tree.item) == allowed
    assert coverage_class(tree) == "structured"
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


@pytest.mark.parametrize(("nct", "text"), STAYS)
def test_permission_words_that_refuse_limit_or_require_stay_words(nct, text):
    tree = parse(text)
    assert not any(isinstance(n, Permission) for n in _all(tree)), nct


def test_both_sexes_eligible_after_an_age_is_a_permission_of_its_own():
    # NCT05770531
    tree = parse("Patients must be age >= 18 years; both male and female are eligible")
    assert isinstance(tree, Each)
    age, allowed = tree.items
    assert render(age) == "age >= 18 years"
    assert isinstance(allowed, Permission) and isinstance(allowed.item, Sex)
    assert coverage_class(tree) == "structured"
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_a_permission_after_criteria_that_name_events_stays_words():
    # NCT05064280: the heparin it allows may be excepted from the anticoagulants before it;
    # as words not understood the permission keeps them from deciding alone (engine.screen)
    tree = parse(
        "Has bleeding or thrombotic disorder(s) or uses anticoagulants such as warfarin or similar agents requiring "
        "therapeutic INR monitoring. Treatment with low molecular weight heparin is allowed."
    )
    assert isinstance(tree, Each)
    assert not any(isinstance(n, Permission) for n in _all(tree))
    assert "allowed" in unparsed_of(tree)


def test_an_anticoagulant_patient_is_not_excluded_by_a_line_that_allows_his_heparin(tmp_path):
    # NCT04985266: 'History of bleeding diathesis ..., other known abnormalities in coagulation or
    # treatment with anticoagulants. Low molecular weight heparin (LMWH), low dose aspirin or
    # clopidogrel are permitted.' The heparin read as an item of its own would exclude him;
    # the permission not understood keeps it unknown
    text = (
        "History of bleeding diathesis (i.e. disseminated intravascular coagulation, clotting factor deficiency), other known "
        "abnormalities in coagulation or treatment with anticoagulants. Low molecular weight heparin (LMWH), low dose aspirin "
        "or clopidogrel are permitted."
    )
    enoxaparin = {"name": "enoxaparin", "codes": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "67108"}], "status": "active"}
    assert exclusion(tmp_path, {**WOMAN, "medications": [enoxaparin]}, text).status != "fail"


@pytest.mark.parametrize("patient", [WOMAN, {**WOMAN, "procedures": [RADIOTHERAPY]}], ids=["never irradiated", "irradiated"])
def test_a_permission_passes_every_patient_on_either_side(tmp_path, patient):
    # before, the words not understood left it unknown for everyone; read as the event
    # alone it would have failed every patient never irradiated (an inclusion) or every
    # patient irradiated (an exclusion)
    assert inclusion(tmp_path, patient, "Prior radiotherapy allowed").status == "pass"
    assert exclusion(tmp_path, patient, "Prior radiotherapy allowed").status == "pass"


def test_a_refusal_still_excludes(tmp_path):
    # NCT03238495 shape: 'No prior radiotherapy allowed' keeps its words, never a pass for
    # a patient irradiated
    result = inclusion(tmp_path, {**WOMAN, "procedures": [RADIOTHERAPY]}, "No prior radiotherapy allowed")
    assert result.status != "pass"


def test_a_permission_among_separate_criteria_leaves_the_others_deciding(tmp_path):
    # NCT05770531: a 16-year-old fails the age, whatever the sexes allowed
    child = {**WOMAN, "birth_date": "2010-06-01"}
    text = "Patients must be age >= 18 years; both male and female are eligible"
    assert inclusion(tmp_path, child, text).status == "fail"
    assert inclusion(tmp_path, WOMAN, text).status == "pass"


def _all(tree):
    from engine.nodes import walk

    return list(walk(tree))


def test_the_words_are_kept_beside_what_they_allow():
    tree = parse("Prior radiotherapy is allowed")
    assert isinstance(tree, Permission) and tree.words == "allowed"
    assert not isinstance(tree.item, Qualified)


# lines that say there is no criterion: nothing to fail (35 corpus criteria; NCT05563220,
# NCT00023673, NCT03862352, NCT03869788)
@pytest.mark.parametrize("text", ["None", "1. None.", "Not specified", "Nil", "no exclusion Criteria"])
def test_a_line_that_says_there_is_no_criterion_asks_nothing(text):
    tree = parse(text)
    assert isinstance(tree, Permission) and tree.item is None
    assert coverage_class(tree) == "structured"
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_none_passes_on_either_side(tmp_path):
    assert inclusion(tmp_path, WOMAN, "Not specified").status == "pass"
    assert exclusion(tmp_path, WOMAN, "None").status == "pass"


def test_none_of_the_following_is_no_line_without_criteria():
    assert not isinstance(parse("None of the following"), Permission)


# the start of treatment is the same event whether or not it is said to be planned
@pytest.mark.parametrize(
    "text",
    [
        "Received a live vaccine within 30 days of planned start of study treatment",  # NCT02460198
        "Participant has received a live vaccine within 14 days of planned start of study therapy.",  # NCT02715284
        "History of major surgery within 4 weeks of planned start of trial treatment.",  # NCT04175847
    ],
)
def test_a_window_before_the_planned_start_of_treatment_is_before_the_first_dose(text):
    tree = parse(text)
    assert coverage_class(tree) == "structured"
    assert "before first dose" in render(tree)
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_other_protocol_defined_inclusion_cut_at_its_slash_is_a_protocol_reference():
    # 'Note: Other protocol defined Inclusion/' closes the inclusions of many KEYNOTE-style
    # records, the record's split having put '...Exclusion criteria may apply' elsewhere
    from engine.nodes import Judgment

    tree = parse("Note: Other protocol defined Inclusion/")
    assert isinstance(tree, Judgment) and tree.category == "protocol_reference"


# whether the patient recovered from a treatment's or a surgery's effects is the study team's
# medical judgment, where it is the whole line; beside other criteria its 'not' keeps them
# from deciding alone
def test_not_recovered_beside_other_criteria_stays_words(tmp_path):
    # NCT05253053: read apart, 'history of chemotherapy' (its window misread) excluded a
    # patient whose only chemotherapy was years ago; the 'not' of the words kept it unknown
    text = (
        "Patients who have received chemotherapy, targeted therapy, or immunotherapy ≤ 4 weeks (6 weeks for nitrosourea or "
        "mitomycin-C) prior to starting study drug or who have not recovered from side effects of such therapy"
    )
    assert "who have not recovered from side effects of such therapy" in unparsed_of(parse(text))
    old_chemo = {"name": "docetaxel", "codes": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "72962"}], "start": "2015-03-10", "end": "2015-06-10", "status": "stopped"}
    assert exclusion(tmp_path, {**WOMAN, "medications": [old_chemo]}, text).status != "fail"


def test_a_whole_line_about_recovery_is_a_medical_judgment():
    # NCT02853305
    tree = parse("Has not recovered (i.e., AE ≤ Grade 1 or at Baseline) from AEs due to a previously administered agent.")
    from engine.nodes import Judgment

    assert isinstance(tree, Judgment) and tree.category == "medical_judgment"


def test_recovery_words_beside_a_structure_stay_words():
    # NCT05064280: read apart, the 'not have had radiation pneumonitis' of the same sentence
    # would have excluded every patient without it; beside the structure the words keep the
    # whole unknown, as before
    tree = parse(
        "Has received radiotherapy within 14 days prior to study treatment initiation. Patients must have recovered from all "
        "radiation-related toxicities, not require corticosteroids in dosing exceeding 10 mg daily of prednisone equivalent, "
        "and not have had radiation pneumonitis."
    )
    assert isinstance(tree, Qualified)
    assert "Patients must have recovered from all radiation-related toxicities" in unparsed_of(tree)


@pytest.mark.parametrize(
    ("nct", "text", "canonical"),
    [
        ("NCT03869814", "Provision of informed consent.", "judgment(consent) «Provision of informed consent»"),
        ("NCT04180371", "At least 18 years-of-age at the time of signature of the informed consent form", "age >= 18 years"),
        # a restrictive clause not understood, which keeps the dementia from deciding alone
        (
            "NCT02616848",
            "Dementia or significantly altered mental status that would prohibit the understanding and/or giving of informed consent.",
            "dementia or «significantly altered mental status that would prohibit the understanding and/or giving of informed consent»",
        ),
        # consent as a time stays a time
        ("made up", "Myocardial infarction within 6 months prior to signing of the informed consent", "myocardial infarction within 6 months before informed consent"),
    ],
)
def test_consent_given_is_the_consent_criterion_and_its_signature_a_time(nct, text, canonical):
    tree = parse(text)
    assert render(tree) == canonical, nct
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def unparsed_of(tree):
    from engine.summary import unparsed

    return unparsed(tree)
