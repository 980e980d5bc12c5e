"""'X < limit except for patients with G who may only be included if L': after an 'except', the
group is let in on the condition that follows, as 'except for patients with G, who must have L'
says. Read as 'G if L' (the 'if' the other way round) the 'or' of L was split off, and a
patient without Gilbert's syndrome, a total bilirubin of 2 x ULN and a normal direct bilirubin
passed; and 'G, who must have L' read as an 'except' of a class failed the group within its own
limit. Each test quotes the corpus line (trimmed) with its NCT id."""

from __future__ import annotations

import pytest
from one_trial import LIVER_METS, inclusion, lab, transaminases

import engine

WOMAN = {"id": "p", "birth_date": "1960-01-01", "sex": "female"}
GILBERT = {"name": "Gilbert syndrome", "icd10cm": "E80.4", "onset": "2000-06-01", "status": "active"}

# NCT03944434 and others (7 corpus lines): the 'or' is of the group's limit
BILIRUBIN = (
    "Total bilirubin < ULN except for patients with Gilbert's syndrome who may only be included if the total "
    "bilirubin is ≤ 3.0 × ULN or direct bilirubin ≤ 1.5 × ULN"
)
# NCT04657679: ', who are only included if'
ALT = "Alanine transaminase (ALT) < 2.5 × ULN, except for patients with liver metastases, who are only included if the ALT is < 5 × ULN."
# NCT03546686: ', who must have' (already read as the group and its limit)
MUST_HAVE = "Bilirubin ≤ 1.5 x ULN (except subjects with Gilbert's syndrome, who must have total bilirubin < 3.0 mg/dL)"


def bilirubins(total: float, direct: float) -> list[dict]:
    return [lab("1975-2", total, "mg/dL", 1.2), lab("1968-7", direct, "mg/dL", 0.3)]


def test_the_group_and_its_limit_read_as_what_lets_the_group_in():
    assert engine.render(engine.parse(BILIRUBIN)) == (
        "(total bilirubin < 1 x ULN) unless (gilbert's syndrome and (total bilirubin <= 3.0 x ULN or direct bilirubin <= 1.5 x ULN))"
    )
    assert engine.render(engine.parse(ALT)) == "(alanine aminotransferase < 2.5 x ULN) unless (liver metastases and alanine aminotransferase < 5 x ULN)"


# NCT05243641: two lines run together, the group's limit an all-of of its own
RUN_ON = "Alanine transaminase (ALT) =< 3 x ULN, except for participants with liver metastasis, who may only be included if ALT =< 5 x ULN Alkaline phosphatase (ALP) =< 5.0 x ULN"


@pytest.mark.parametrize("text", [BILIRUBIN, ALT, MUST_HAVE, RUN_ON])
def test_the_reading_round_trips(text):
    canonical = engine.render(engine.parse(text))
    assert engine.render(engine.parse(canonical)) == canonical


def test_without_the_group_the_main_limit_holds(tmp_path):
    # total bilirubin 2.0 mg/dL (ULN 1.2), direct bilirubin normal: no Gilbert's syndrome, so out
    patient = {**WOMAN, "observations": bilirubins(2.0, 0.2)}
    assert inclusion(tmp_path, patient, BILIRUBIN).status == "fail"


def test_the_group_within_its_own_limit_passes(tmp_path):
    patient = {**WOMAN, "conditions": [GILBERT], "observations": bilirubins(2.0, 0.2)}
    assert inclusion(tmp_path, patient, BILIRUBIN).status == "pass"


def test_the_group_above_its_own_limit_fails(tmp_path):
    patient = {**WOMAN, "conditions": [GILBERT], "observations": bilirubins(4.0, 0.6)}
    assert inclusion(tmp_path, patient, BILIRUBIN).status == "fail"


def test_liver_metastases_within_five_times_the_limit_pass(tmp_path):
    patient = {**WOMAN, "conditions": [LIVER_METS], "observations": transaminases(40, 160)}
    assert inclusion(tmp_path, patient, ALT).status == "pass"
    # no record of liver metastases does not show their absence: the group's limit may apply
    assert inclusion(tmp_path, {**WOMAN, "observations": transaminases(40, 160)}, ALT).status == "unknown"
    assert inclusion(tmp_path, {**WOMAN, "observations": transaminases(40, 240)}, ALT).status == "fail"


def test_who_must_have_lets_the_group_in_within_its_limit(tmp_path):
    # total bilirubin 2.5 mg/dL: above 1.5 x ULN (1.8), below the group's 3.0 mg/dL
    with_gilbert = {**WOMAN, "conditions": [GILBERT], "observations": bilirubins(2.5, 0.2)}
    assert inclusion(tmp_path, with_gilbert, MUST_HAVE).status == "pass"
    assert inclusion(tmp_path, {**WOMAN, "observations": bilirubins(2.5, 0.2)}, MUST_HAVE).status != "pass"
    # (a fail here is capped: what comes before its "must" may say whom it is for)
    assert inclusion(tmp_path, {**WOMAN, "observations": bilirubins(3.5, 0.2)}, MUST_HAVE).status != "pass"


def test_outside_an_exception_the_words_are_not_read():
    # with no 'except' before them, nothing says what patients without the group need
    canonical = engine.render(engine.parse("Patients with hepatitis B who may only be included if HBV DNA is undetectable"))
    assert "«" in canonical
