"""Wrong confident verdicts found in the eighteenth audit of 2026-12-07 (a read-only audit of
fully structured readings, seed 18): its reading findings A1 (the scope of a list), A2 (a class
with named members, one member outside the class), A3 ('known' read as 'ever') and the same
kinds found beyond the sample (its section D). Each test screens the criterion as the registry
wrote it (trimmed, with its NCT id) for the least patient that shows the wrong verdict, and
asserts what a safe engine says: the exact verdict where the text is clear, and at least not
the wrong one where the text can be read two ways."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path.cwd() / "tests"))

from one_trial import screen_text  # noqa: E402

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}
WOMAN = {"id": "p", "birth_date": "1990-01-01", "sex": "female"}


def _exclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* {text}")
    [c] = [c for c in result.criteria if c.text == text.strip()]
    return c


def _inclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* {text}\nExclusion Criteria:\n* Age under 1 year")
    [c] = [c for c in result.criteria if c.text == text.strip()]
    return c


def _medication(name, start="2026-10-01", end=None):
    return {"name": name, "start": start, **({"end": end} if end else {})}


# A3 -- NCT04985266 (exclusion): 'Females who are known to be pregnant or breastfeeding'.
# 'known' was a history word, so the line read 'history of pregnancy': a woman pregnant in 2015
# failed. 'known' says what is known of the patient, not that a past pregnancy counts.
def test_known_to_be_pregnant_does_not_exclude_a_pregnancy_of_2015(tmp_path):
    pregnancy_2015 = {"name": "pregnancy", "snomed": "77386006", "status": "resolved", "onset": "2015-01-01", "abatement": "2015-09-01"}
    patient = {**WOMAN, "conditions": [pregnancy_2015]}
    assert _exclusion(tmp_path, patient, "Females who are known to be pregnant or breastfeeding").status != "fail"


# A3/B -- NCT02344472 (exclusion): 'Known CNS metastases'; NCT02559687 'Known central nervous
# system (CNS) metastases and/or carcinomatous meningitis'. Read 'history of cns metastases', a
# brain metastasis that abated in 2020 excluded with no word of the trial's on treated ones.
def test_known_cns_metastases_leave_a_resolved_brain_metastasis_unknown(tmp_path):
    resolved = {"name": "brain metastases", "icd10cm": "C79.31", "status": "resolved", "onset": "2019-01-01", "abatement": "2020-01-01"}
    patient = {**MAN, "conditions": [resolved]}
    assert _exclusion(tmp_path, patient, "Known CNS metastases").status == "unknown"
    text = "Known central nervous system (CNS) metastases and/or carcinomatous meningitis"
    assert _exclusion(tmp_path, patient, text).status == "unknown"


# A3/B -- NCT01848834 (exclusion): 'Known psychiatric or substance abuse disorders': a depressive
# episode of 2005 excluded.
def test_known_psychiatric_disorders_leave_an_episode_of_2005_unknown(tmp_path):
    episode = {"name": "major depressive disorder, single episode", "icd10cm": "F32.9", "status": "resolved", "onset": "2005-01-01", "abatement": "2005-09-01"}
    patient = {**MAN, "conditions": [episode]}
    assert _exclusion(tmp_path, patient, "Known psychiatric or substance abuse disorders").status == "unknown"
