"""Wrong confident verdicts of the fifteenth audits (2026-12-07; /tmp/audit15a_out/REPORT.md and
/tmp/audit15b_out/REPORT.md) about records, vocabulary and trial splitting: a 'completed' course
with no end, budesonide with no route, HIV under primary immunodeficiency, an eGFR in mL/min, and
another phase's inclusion criteria inside the exclusion block. Each test quotes the corpus line
(trimmed) with its NCT id and asserts what a safe engine should answer."""

from __future__ import annotations

from one_trial import criterion, exclusion, screen_text

WOMAN = {"id": "p", "birth_date": "1980-10-28", "sex": "female"}
MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}


def _exclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* {text}")
    return criterion(result, text[:20])


# 15b W3 -- a medication 'completed' with no end date is 'taken as a single day' on its start
# (engine/evaluate.py _medication_records): a MedicationRequest carries only authoredOn, and
# 'completed' says the order is done, not that the drug was taken one day. A course ordered 3
# or 4 weeks ago and completed may have been taken until last week. synth-27-000005 (lomustine request
# authored 2025-06-05, completed) passed 'Chemotherapy < 21 days before first dose of study drug'
# (NCT03778931 [15]) and nine more washouts; synth-42-000005 (mycophenolic acid, 2024-03-29,
# completed) passed 'Current or prior use of immunosuppressive medication within 14 days prior to
# randomisation' (NCT05629585 [33]). 'stopped' with no end is already unknown (tests/test_audit8.py).
def test_a_completed_course_with_no_end_may_reach_into_the_washout(tmp_path):
    carboplatin = {"name": "carboplatin", "rxnorm": "40048", "start": "2026-11-09", "status": "completed"}
    text = "Chemotherapy < 21 days before first dose of study drug"
    assert exclusion(tmp_path, {**MAN, "medications": [carboplatin]}, text).status == "unknown"
    prednisone = {"name": "prednisone", "rxnorm": "8640", "start": "2026-11-10", "status": "completed"}
    text = "Systemic corticosteroids within 14 days prior to the first dose"
    assert exclusion(tmp_path, {**MAN, "medications": [prednisone]}, text).status == "unknown"
