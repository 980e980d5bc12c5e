"""A window written once after a list of events: 'radiotherapy, chemotherapy, endocrine therapy
within 4 weeks', 'Prior systemic anticancer therapy including investigational agents within 4
weeks'. Where engine.parse cannot tell whether it covers the events before the one it follows,
each such event holds where it fell in the window, fails where there is none, and is unknown
between; where it can (an 'or' of plain events), the window is each one's. Each line is a real
corpus line (trimmed), with the least patient that shows it."""

from __future__ import annotations

import pytest

from engine import parse
from engine.nodes import LOOKBACK, AnyOf, Modifier, Qualified, strip_spans, walk
from engine.render import render
from one_trial import exclusion

WOMAN = {"id": "p", "birth_date": "1960-01-01", "sex": "female"}
DOCETAXEL_NOW = {"name": "docetaxel 20 MG/ML Injection", "rxnorm": "1790099", "start": "2026-11-01", "status": "active"}
DOCETAXEL_2019 = {**DOCETAXEL_NOW, "start": "2019-01-01", "end": "2019-06-01", "status": "completed"}

# NCT04681911: an asyndetic list before the window; read 'radiotherapy or chemotherapy or
# (endocrine therapy within 4 weeks)', chemotherapy of 2019 excluded the patient
ASYNDETIC = (
    "They received radiotherapy, chemotherapy, endocrine therapy within 4 weeks before enrollment, "
    "or were participating in any clinical trials of intervention drugs;"
)
# NCT03284424 and a dozen more (the pembrolizumab wording): the window after the examples
INCLUDING = "Prior systemic anticancer therapy including investigational agents within 4 weeks before randomization/allocation."
# NCT01704287: 'biological cancer therapy' is not understood, the two before it take the window
LIST = "Chemotherapy, radiation therapy, or biological cancer therapy within 4 weeks prior to the first dose of study drug"
# NCT04427293 (with chemotherapy added): 'any' keeps the window from lenvatinib
LENVATINIB = "Previous treatment with lenvatinib or any immune checkpoint inhibitor or chemotherapy within the past 2 years"


@pytest.mark.parametrize("text", [ASYNDETIC, INCLUDING, LIST, LENVATINIB])
def test_a_treatment_within_the_window_fails_the_line(tmp_path, text):
    assert exclusion(tmp_path, {**WOMAN, "medications": [DOCETAXEL_NOW]}, text).status == "fail"


@pytest.mark.parametrize("text", [ASYNDETIC, INCLUDING])
def test_a_treatment_long_over_is_not_excluded_by_the_window_it_may_not_have(tmp_path, text):
    # (read before as 'chemotherapy or ...': the chemotherapy of 2019 excluded the patient)
    assert exclusion(tmp_path, {**WOMAN, "medications": [DOCETAXEL_2019]}, text).status == "unknown"


@pytest.mark.parametrize("medications", [[], [DOCETAXEL_2019]])
def test_no_treatment_in_the_window_passes_where_the_rest_is_understood(tmp_path, medications):
    assert exclusion(tmp_path, {**WOMAN, "medications": medications}, LENVATINIB).status == "pass"


def test_the_window_in_doubt_is_a_modifier_of_the_event_and_reads_back():
    tree = parse(INCLUDING)
    assert isinstance(tree, AnyOf)
    timed, plain = tree.items[:2]  # the head with the window, and without it but for its words
    assert timed.concept == plain.item.concept == "antineoplastic agent"
    assert timed.window is not None and plain.item.window is None
    assert [q.text for q in plain.qualifiers if isinstance(q, Modifier)] == ["within 4 weeks before randomization"]
    assert strip_spans(parse(render(tree))) == strip_spans(tree)


def test_a_window_after_another_window_is_not_the_first_events(tmp_path):
    # NCT02576990: 4 weeks is radiotherapy's; chemotherapy had it (ended 3 weeks ago: excluded)
    text = "Prior chemotherapy or targeted small molecule therapy within 2 weeks prior to study Day 1 or prior radiation therapy within 4 weeks prior to study Day 1"
    three_weeks_ago = {**DOCETAXEL_NOW, "start": "2026-10-01", "end": "2026-11-16", "status": "completed"}
    assert exclusion(tmp_path, {**WOMAN, "medications": [three_weeks_ago]}, text).status != "fail"
    assert "chemotherapy within 4 weeks" not in render(parse(text))


def test_words_not_understood_between_do_not_stop_a_shared_window(tmp_path):
    # NCT04481932-like: 'other ischemic events' is no event, the stroke of 2019 is outside the window
    text = "Stroke or transient ischemic attack, or other ischemic events or thromboembolic events within 3 months of study enrollment."
    stroke = {"name": "Stroke", "snomed": "230690007", "onset": "2019-03-01", "abatement": "2019-04-01", "status": "resolved"}
    assert "stroke within 3 months" in render(parse(text))
    assert exclusion(tmp_path, {**WOMAN, "conditions": [stroke]}, text).status != "fail"


def test_the_comma_before_or_does_not_keep_the_window_from_the_first_event(tmp_path):
    text = "Unstable angina, or cardiac arrhythmia within the last 6 months"
    assert render(parse(text)).startswith("unstable angina within 6 months or ")
    angina = {"name": "Unstable angina", "snomed": "4557003", "onset": "2015-01-01", "abatement": "2015-02-01", "status": "resolved"}
    assert exclusion(tmp_path, {**WOMAN, "conditions": [angina]}, text).status == "pass"


def test_a_window_of_when_a_drug_was_begun_is_not_one_of_taking_it(tmp_path):
    # NCT05386108: an alendronate taken since 2008 was not initiated within the month
    text = "Bisphosphonates or RANKL inhibitors initiated, or dose changed <1 month prior to first dose of study drug."
    alendronate = {"name": "Alendronic acid 10 MG Oral Tablet", "rxnorm": "904475", "start": "2008-11-17"}
    assert exclusion(tmp_path, {**WOMAN, "medications": [alendronate]}, text).status != "fail"


def test_a_window_after_the_last_dose_is_no_window_back_from_now(tmp_path):
    # a woman whose pregnancy ended three months ago is not excluded by 'within 5 months after
    # the final dose', which speaks of the future
    text = "Pregnant or breastfeeding, or intending to become pregnant during the study or within 5 months after the final dose of study treatment"
    pregnancy = {"name": "Normal pregnancy", "snomed": "72892002", "onset": "2026-01-01", "abatement": "2026-09-01", "status": "resolved"}
    assert exclusion(tmp_path, {**WOMAN, "birth_date": "1995-01-01", "conditions": [pregnancy]}, text).status != "fail"


def test_a_diagnosis_before_a_treatments_window_keeps_its_own_reading():
    # the KEYNOTE wording: the 7 days are the immunosuppressive therapy's, not the diagnosis's
    text = "Has a diagnosis of immunodeficiency or is receiving systemic steroid therapy or any other form of immunosuppressive therapy within 7 days prior to the first dose of trial treatment"
    tree = parse(text)
    assert tree.items[0].concept == "immunodeficiency" and tree.items[0].window is None
    assert render(tree).startswith("(history of immunodeficiency) or ")


def test_window_words_beside_an_event_narrow_it(tmp_path):
    # 'Major surgery < 30 days' (NCT02400476): no surgery on record is none within 30 days
    assert LOOKBACK.fullmatch("< 30 days")
    assert not LOOKBACK.fullmatch("over 60 years of age") and not LOOKBACK.fullmatch("21 days")
    assert exclusion(tmp_path, WOMAN, "Major surgery < 30 days").status == "pass"


def test_a_windowed_line_still_leaves_a_windowless_record_unknown(tmp_path):
    # NCT04725331: whether '6 months prior' reaches heart failure too is not known
    text = "History of myocarditis or congestive heart failure, uncontrolled infection, or myocardial infarction 6 months prior to clinical trial entry."
    chf = {"name": "Chronic congestive heart failure", "snomed": "88805009", "onset": "2012-11-11", "status": "active"}
    assert exclusion(tmp_path, {**WOMAN, "conditions": [chf]}, text).status == "unknown"
