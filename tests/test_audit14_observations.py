"""Wrong confident verdicts of the fourteenth audit (2026-12-07, /tmp/audit14_out/REPORT.md,
section A) that come from records the closed world never read: smoking status, positive
qualitative results and measured values kept as Observations, where elig looked for a
condition among the conditions only ("no record of X (closed world)" though the record says X).
Each with the criterion as the registry wrote it (trimmed) and the least patient that shows it."""

from __future__ import annotations

from one_trial import criterion, exclusion as _exclusion, screen_text

MAN = {"id": "p", "birth_date": "1960-01-01", "sex": "male"}
WOMAN = {"id": "p", "birth_date": "1980-10-28", "sex": "female"}


def _inclusion(tmp_path, patient, text):
    result = screen_text(tmp_path, patient, f"Inclusion Criteria:\n* {text}\nExclusion Criteria:\n* Pregnancy")
    return criterion(result, text[:20])


# W15 -- smoking status is kept as an Observation (LOINC 72166-2 'Tobacco smoking status', the US
# Core smoking-status profile; every Synthea bundle has one a visit), never as a Condition, and elig
# reads 'tobacco use' from conditions only: a man whose smoking status a month ago is 'Every day
# smoker' passes 'Current smokers' (NCT03869008 [4], NCT03864354 [3], NCT03868683 [7], ...) and
# 'Non-smokers' (NCT03927066 [2], NCT03922503 [4], ...), 'no record of tobacco use (closed world)'.
# Andy Schaden and Maida Gerhold, 'Former smoker' on every visit, pass 'non-smoker' lines the same
# way, and a former smoker passes 'History of smoking'. The closed world is for history that is not
# recorded; here it is recorded, in the place US Core puts it.
def _smoking(text, code, day="2026-11-01"):
    return {"name": "Tobacco smoking status NHIS", "loinc": "72166-2", "value_text": text, "date": day,
            "value_code": {"system": "http://snomed.info/sct", "code": code, "display": text}}


def test_an_every_day_smoker_is_a_current_smoker(tmp_path):
    patient = {**MAN, "observations": [_smoking("Every day smoker", "449868002")]}
    assert _exclusion(tmp_path, patient, "Current smokers").status == "fail"
    assert _exclusion(tmp_path, patient, "Current tobacco use").status == "fail"


def test_an_every_day_smoker_is_no_non_smoker(tmp_path):
    patient = {**MAN, "observations": [_smoking("Every day smoker", "449868002")]}
    result = screen_text(tmp_path, patient, "Inclusion Criteria:\n* Non-smokers\nExclusion Criteria:\n* Pregnancy")
    assert criterion(result, "Non-smokers").status == "fail"


def test_a_former_smoker_has_a_history_of_smoking(tmp_path):
    patient = {**MAN, "observations": [_smoking("Former smoker", "8517006")]}
    assert _exclusion(tmp_path, patient, "History of smoking").status == "fail"


def test_a_former_smoker_is_no_current_smoker_and_perhaps_a_non_smoker(tmp_path):
    # whether a former smoker is a 'non-smoker' depends on the trial's definition (quit how long
    # ago); he is not a current smoker ('Current smokers' read 'active tobacco use'), but a bare
    # 'Smoking' may mean any, past too
    patient = {**MAN, "observations": [_smoking("Former smoker", "8517006")]}
    assert _inclusion(tmp_path, patient, "Non-smokers").status == "unknown"
    assert _exclusion(tmp_path, patient, "Smoking").status == "unknown"
    for text in ("Current smokers", "Current smoker", "Active smoker"):
        assert _exclusion(tmp_path, patient, text).status == "pass", text
    # an old status of current smoking may be over: not decided either way
    old = {**MAN, "observations": [_smoking("Every day smoker", "449868002", "2024-05-01")]}
    assert _exclusion(tmp_path, old, "Current smokers").status == "unknown"


def test_a_never_smoker_is_a_non_smoker(tmp_path):
    patient = {**MAN, "observations": [_smoking("Never smoker", "266919005")]}
    assert _inclusion(tmp_path, patient, "Non-smokers").status == "pass"
    assert _exclusion(tmp_path, patient, "Current smokers").status == "pass"
    assert _exclusion(tmp_path, patient, "History of smoking").status == "pass"


def test_the_latest_smoking_status_speaks_for_now_and_every_one_for_the_past(tmp_path):
    # smoked every day in 2015, quit since: not a current smoker by today's status, but has a history
    patient = {**MAN, "observations": [_smoking("Every day smoker", "449868002", "2015-03-01"), _smoking("Former smoker", "8517006")]}
    assert _exclusion(tmp_path, patient, "History of smoking").status == "fail"
    assert _inclusion(tmp_path, patient, "Non-smokers").status == "unknown"
    # 'Never smoker' after 'Every day smoker' contradicts it: never decided on the latest alone
    patient = {**MAN, "observations": [_smoking("Every day smoker", "449868002", "2015-03-01"), _smoking("Never smoker", "266919005")]}
    assert _inclusion(tmp_path, patient, "Non-smokers").status != "pass"
    assert _exclusion(tmp_path, patient, "History of smoking").status != "pass"


# W16 -- same cause as W15, for diagnoses a laboratory result establishes: a positive hepatitis B
# surface antigen (LOINC 5196-1) on record passes the pembrolizumab-standard line 'Has a known history
# of Hepatitis B (defined as Hepatitis B surface antigen [HBsAg] reactive) or known active Hepatitis C
# virus (defined as HCV RNA [qualitative] is detected) infection.' (NCT05203445 [42] and many more;
# 152 mentions of HBsAg in the corpus) and 'HBsAg positive', 'no record of hepatitis b (closed
# world)'; a positive urine pregnancy test (LOINC 2106-3) six days ago passes 'Pregnant or
# breastfeeding' (539 mentions of 'pregnancy test'). The same for HIV-1/2 antibody positive ('HIV
# positive') and HCV RNA detected ('Hepatitis C'). The closed world stands for what is not
# recorded; these are recorded, as results.
def _result(name, loinc, day="2026-11-20", text="Positive", code="10828004"):
    return {"name": name, "loinc": loinc, "value_text": text, "date": day,
            "value_code": {"system": "http://snomed.info/sct", "code": code, "display": text}}


def test_a_positive_hbsag_is_hepatitis_b_defined_as_hbsag_reactive(tmp_path):
    patient = {**WOMAN, "observations": [_result("Hepatitis B virus surface Ag [Presence] in Serum", "5196-1")]}
    text = (
        "Has a known history of Hepatitis B (defined as Hepatitis B surface antigen [HBsAg] reactive) or known "
        "active Hepatitis C virus (defined as HCV RNA [qualitative] is detected) infection."
    )
    assert _exclusion(tmp_path, patient, text).status != "pass"
    assert _exclusion(tmp_path, patient, "HBsAg positive").status == "fail"


def test_a_negative_hbsag_leaves_hepatitis_b_to_the_records(tmp_path):
    negative = _result("Hepatitis B virus surface Ag [Presence] in Serum", "5196-1", text="Negative", code="260385009")
    assert _exclusion(tmp_path, {**WOMAN, "observations": [negative]}, "HBsAg positive").status == "pass"


def test_a_positive_pregnancy_test_six_days_ago_is_not_free_of_pregnancy(tmp_path):
    hcg = _result("Choriogonadotropin (pregnancy test) [Presence] in Urine", "2106-3", "2026-12-01")
    patient = {**WOMAN, "observations": [hcg]}
    assert _exclusion(tmp_path, patient, "Pregnant or breastfeeding").status != "pass"


def test_a_positive_hiv_antibody_is_not_free_of_hiv(tmp_path):
    hiv = _result("HIV 1+2 Ab [Presence] in Serum", "7918-6")
    patient = {**MAN, "observations": [hiv]}
    assert _exclusion(tmp_path, patient, "HIV positive").status != "pass"
    assert _exclusion(tmp_path, patient, "Known HIV infection").status != "pass"


def test_a_detected_hcv_rna_is_not_free_of_hepatitis_c(tmp_path):
    rna = _result("Hepatitis C virus RNA [Presence] in Serum or Plasma by NAA with probe detection", "11259-9",
                  text="Detected", code="260373001")
    assert _exclusion(tmp_path, {**MAN, "observations": [rna]}, "Hepatitis C").status != "pass"


# W17 -- same family as W15/W16, for diagnoses a measured value establishes. elig derives obesity
# from the body mass index (engine/evaluate.py _condition ~1568, fixed in the fourth audit), and no
# other diagnosis from its defining measurement. With no diagnosis code on record:
# - a QTc of 520 ms a fortnight ago passes 'QT prolongation' and 'Congenital long QT syndrome or QTc
#   prolongation' (66 corpus mentions of QT(c) prolongation), though 'QTc > 480 ms' fails the same
#   patient;
# - a haemoglobin of 7.5 g/dL passes NCT03864094 [11] 'Anaemia' (64 mentions of anaemia);
# - platelets 40 x10^9/L pass 'Thrombocytopenia', an ANC of 0.4 passes 'Neutropenia', and HbA1c 9.5 %
#   passes 'Diabetes mellitus'.
# Each reason is 'no record of ... (closed world)'; the value that makes the diagnosis is on record.
def _value(name, loinc, value, unit, day="2026-11-25"):
    return {"name": name, "loinc": loinc, "value": value, "unit": unit, "date": day}


def test_a_qtc_of_520_ms_is_not_free_of_qt_prolongation(tmp_path):
    patient = {**MAN, "observations": [_value("QTc interval", "8636-3", 520, "ms")]}
    assert _exclusion(tmp_path, patient, "QTc > 480 ms").status == "fail"  # the value is read
    assert _exclusion(tmp_path, patient, "QT prolongation").status != "pass"


def test_a_haemoglobin_of_7_5_is_not_free_of_anaemia(tmp_path):
    patient = {**MAN, "observations": [_value("Hemoglobin", "718-7", 7.5, "g/dL")]}
    assert _exclusion(tmp_path, patient, "Anaemia").status != "pass"


def test_platelets_of_40_are_not_free_of_thrombocytopenia(tmp_path):
    patient = {**MAN, "observations": [_value("Platelets", "777-3", 40, "10*3/uL")]}
    assert _exclusion(tmp_path, patient, "Thrombocytopenia").status != "pass"


def test_other_values_that_may_make_the_diagnosis_are_not_its_absence(tmp_path):
    cases = [
        (_value("Neutrophils [#/volume] in Blood", "751-8", 0.4, "10*3/uL"), "Neutropenia"),
        (_value("Hemoglobin A1c/Hemoglobin.total in Blood", "4548-4", 9.5, "%"), "Diabetes mellitus"),
        (_value("eGFR", "33914-3", 22, "mL/min/{1.73_m2}"), "Renal insufficiency"),
        (_value("Potassium", "2823-3", 2.7, "mmol/L"), "Hypokalemia"),
    ]
    for obs, text in cases:
        assert _exclusion(tmp_path, {**MAN, "observations": [obs]}, text).status != "pass", text


def test_normal_values_leave_the_diagnosis_to_the_records(tmp_path):
    cases = [
        (_value("QTc interval", "8636-3", 410, "ms"), "QT prolongation"),
        (_value("Hemoglobin", "718-7", 14.2, "g/dL"), "Anaemia"),
        (_value("Platelets", "777-3", 250, "10*3/uL"), "Thrombocytopenia"),
        (_value("Potassium", "2823-3", 4.1, "mmol/L"), "Hypokalemia"),
    ]
    for obs, text in cases:
        assert _exclusion(tmp_path, {**MAN, "observations": [obs]}, text).status == "pass", text


def test_an_old_value_does_not_speak_for_today(tmp_path):
    # a haemoglobin of 7.5 five years ago says nothing of anaemia now (a bleed, since treated)
    patient = {**MAN, "observations": [_value("Hemoglobin", "718-7", 7.5, "g/dL", "2021-06-01")]}
    assert _exclusion(tmp_path, patient, "Anaemia").status == "pass"


def test_a_leaf_silent_for_one_patient_still_reads_the_next_ones_observations(tmp_path):
    # the silent shortcut (`_silence_test` in engine/evaluate.py) remembers what a leaf says of
    # a patient with no record of its concept: screened after one, a patient whose record of it
    # is an observation must still be read
    import json

    import engine

    text = "Inclusion Criteria:\n* Age 18 years or older\nExclusion Criteria:\n* Thrombocytopenia\n* Current smokers\n* HBsAg positive"
    record = {"protocolSection": {"identificationModule": {"nctId": "NCT00000001", "briefTitle": "t"},
                                  "eligibilityModule": {"eligibilityCriteria": text, "sex": "ALL", "minimumAge": "1 Year"}}}
    path = tmp_path / "t.json"
    path.write_text(json.dumps(record), encoding="utf-8")
    [trial] = engine.load_trials(path)
    observed = {**WOMAN, "id": "q", "observations": [
        _value("Platelets", "777-3", 40, "10*3/uL"), _smoking("Every day smoker", "449868002"),
        _result("Hepatitis B virus surface Ag [Presence] in Serum", "5196-1")]}
    patients = [engine.load_patient(p) for p in (WOMAN, observed, WOMAN)]
    from one_trial import AS_OF

    results = engine.screen(patients, [trial], as_of=AS_OF).patients
    statuses = [[c.status for c in r.trials[0].criteria if c.section == "exclusion"] for r in results]
    assert statuses == [["pass"] * 3, ["fail"] * 3, ["pass"] * 3]
