"""Bad input, each kind with its answer (issue 5).

A whole file that cannot be read: exit status 2 and one line on stderr naming the file, the
place (a JSON path or line and column) and the problem. A part of a record that cannot be
read (one Observation of a good bundle): a result for the rest, the part read as unknown, the
criterion that needed it unknown with the reason, and one stderr line for it. One bad file
among many: its line, the others screened, exit status 2. Never a traceback, never a
half-written output file.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import engine
from engine.cli import main
from engine.coverage import coverage
from engine.errors import InputError
from engine.patients import load_patient, load_patients
from engine.trials import load_trials

AS_OF = "2026-06-01"

PATIENT = {
    "id": "p1",
    "birth_date": "1970-01-01",
    "sex": "male",
    "observations": [
        {"name": "absolute neutrophil count", "loinc": "751-8", "value": 2.1, "unit": "10^9/L", "date": "2026-05-20"},
        {"name": "hemoglobin", "loinc": "718-7", "value": 12, "unit": "g/dL", "date": "2026-05-20"},
    ],
}

CRITERIA = (
    "Inclusion Criteria:\n\n* ANC >= 1000/mm3\n* Hemoglobin >= 9 g/dL\n* Platelets >= 100,000/mm3\n\n"
    "Exclusion Criteria:\n\n* History of myocardial infarction"
)


def study(nct: str, criteria: str | None = CRITERIA, title: str = "Test") -> dict:
    elig = {} if criteria is None else {"eligibilityCriteria": criteria}
    return {"protocolSection": {"identificationModule": {"nctId": nct, "briefTitle": title}, "eligibilityModule": elig}}


def bundle(*resources: dict, patient: dict | None = None) -> dict:
    patient = patient or {"resourceType": "Patient", "id": "b1", "birthDate": "1970-01-01", "gender": "male"}
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in (patient, *resources)]}


def observation(loinc: str, quantity: dict, when: str = "2026-05-20") -> dict:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "effectiveDateTime": when,
        "valueQuantity": quantity,
    }


ANC_FHIR = observation("751-8", {"value": 2.1, "unit": "10*9/L", "system": "http://unitsofmeasure.org", "code": "10*9/L"})
HGB_FHIR = observation("718-7", {"value": 12, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"})


def write(path: Path, content: dict | str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_text(json.dumps(content), encoding="utf-8")
    return path


@pytest.fixture
def trial(tmp_path) -> Path:
    return write(tmp_path / "trial.json", study("NCT00000001"))


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


def screen(capsys, *argv) -> tuple[int, dict | None, list[str]]:
    rc, out, err = run(capsys, "screen", *argv, "--format", "json", "--as-of", AS_OF)
    assert "Traceback" not in err
    return rc, (json.loads(out) if out else None), err.splitlines()


def criteria_of(doc: dict, patient: int = 0) -> dict[str, dict]:
    return {c["text"]: c for t in doc["patients"][patient]["trials"] for c in t["criteria"]}


def one_bad_line(capsys, patient: Path, trial: Path) -> str:
    """A whole-file failure: exit 2, nothing on stdout, exactly one line on stderr."""
    rc, doc, err = screen(capsys, patient, "--trials", trial)
    assert (rc, doc) == (2, None)
    assert len(err) == 1
    return err[0]


# ------------------------------------------------------------------------- whole files bad


def test_not_json_says_line_and_column(capsys, tmp_path, trial):
    path = write(tmp_path / "p.json", '{"id": "p1",\n "sex": "male",,}\n')
    line = one_bad_line(capsys, path, trial)
    assert line == f"elig: {path} at line 2, column 16: not valid JSON: Expecting property name enclosed in double quotes (skipped)"
    with pytest.raises(InputError) as caught:
        load_patient(path)
    assert (caught.value.where, caught.value.source) == ("line 2, column 16", str(path))


@pytest.mark.parametrize(
    "doc, where, problem",
    [
        ({"resourceType": "Observation", "id": "o"}, "resourceType", 'expected a FHIR Bundle, found resourceType "Observation"'),
        (bundle(patient=ANC_FHIR), "entry", "no Patient resource"),
        (bundle({"resourceType": "Patient", "id": "b2"}), "entry[1].resource", "a second Patient resource"),
        ({"id": "p", "birth_date": "2026-13-45"}, "birth_date", 'not a valid date: "2026-13-45"'),
        ({"id": "p", "observations": [{"name": "ANC", "value": "abc"}]}, "observations[0].value", 'expected a number, found "abc"'),
        (bundle(patient={"resourceType": "Patient", "id": "b1", "birthDate": "2026-13-45"}), "entry[0].resource.birthDate", "not a valid date"),
    ],
)
def test_a_file_of_the_wrong_shape_is_one_line(capsys, tmp_path, trial, doc, where, problem):
    path = write(tmp_path / "p.json", doc)
    line = one_bad_line(capsys, path, trial)
    assert line.startswith(f"elig: {path} at {where}: ") and problem in line


def test_non_utf8_patient_file(capsys, tmp_path, trial):
    path = write(tmp_path / "p.json", b'{"id": "p1",\n "sex": "m\xe9le"}')
    assert one_bad_line(capsys, path, trial) == (
        f"elig: {path} at line 2, column 11: not UTF-8 text (byte 0xE9); save the file as UTF-8 (skipped)"
    )


def test_non_utf8_trial_file(capsys, tmp_path):
    patient = write(tmp_path / "p.json", PATIENT)
    path = write(tmp_path / "t.json", b'{"protocolSection":\n {"x": "\xff"}}')
    assert one_bad_line(capsys, patient, path) == (
        f"elig: {path} at line 2, column 9: not UTF-8 text (byte 0xFF); save the file as UTF-8 (skipped)"
    )


def test_empty_directory_of_patients_and_of_trials(capsys, tmp_path, trial):
    empty = tmp_path / "empty"
    empty.mkdir()
    assert one_bad_line(capsys, empty, trial) == f"elig: {empty}: no patient files (*.json, *.yaml) in this directory (skipped)"
    patient = write(tmp_path / "p.json", PATIENT)
    assert one_bad_line(capsys, patient, empty) == f"elig: {empty}: no *.json, *.jsonl or *.toml trial files in this directory (skipped)"


# --------------------------------------------------------------------- part of a record bad


def test_one_bad_observation_leaves_the_rest_screened(capsys, tmp_path, trial):
    bad = copy.deepcopy(ANC_FHIR)
    bad["valueQuantity"]["value"] = "abc"
    path = write(tmp_path / "p.json", bundle(bad, HGB_FHIR))
    rc, doc, err = screen(capsys, path, "--trials", trial)
    where = "entry[1].resource.valueQuantity.value"
    assert rc == 2
    assert err == [f'elig: {path} at {where}: expected a number, found string "abc" (read as unknown)']
    by_text = criteria_of(doc)
    assert by_text["Hemoglobin >= 9 g/dL"]["status"] == "pass"  # the rest of the record is used
    anc = by_text["ANC >= 1000/mm3"]
    assert anc["status"] == "unknown"
    assert any("could not be read" in r and where in r for r in anc["reasons"])
    assert anc["missing"] == ["absolute neutrophil count"]


def test_an_unreadable_value_is_not_passed_over_for_an_older_one(tmp_path):
    """A good ANC of last month and an unreadable one: the unreadable one may be the latest."""
    older = observation("751-8", {"value": 3, "unit": "10*9/L", "system": "http://unitsofmeasure.org", "code": "10*9/L"}, "2026-04-01")
    bad = copy.deepcopy(ANC_FHIR)
    bad["valueQuantity"]["value"] = [1]
    patient = load_patient(bundle(older, bad))
    result = engine.screen([patient], load_trials(write(tmp_path / "t.json", study("NCT1"))), as_of=date(2026, 6, 1))
    anc = criteria_of(result.model_dump(mode="json"))["ANC >= 1000/mm3"]
    assert anc["status"] == "unknown"


def test_a_bad_date_in_one_resource(tmp_path, capsys, trial):
    bad = observation("751-8", ANC_FHIR["valueQuantity"], when="2026-13-45")
    path = write(tmp_path / "p.json", bundle(bad, HGB_FHIR))
    rc, doc, err = screen(capsys, path, "--trials", trial)
    assert rc == 2 and err == [f'elig: {path} at entry[1].resource.effectiveDateTime: not a valid date: "2026-13-45" (expected YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDThh:mm:ss with a time zone) (read as unknown)']
    assert criteria_of(doc)["ANC >= 1000/mm3"]["status"] == "unknown"


def test_an_unidentifiable_record_makes_absence_unknown(tmp_path, capsys, trial):
    """A Condition whose code cannot be read may be the myocardial infarction: the closed
    world cannot say 'no record of it'."""
    condition = {"resourceType": "Condition", "code": {"coding": {"code": "22298006"}}}
    path = write(tmp_path / "p.json", bundle(ANC_FHIR, condition))
    rc, doc, err = screen(capsys, path, "--trials", trial)
    assert rc == 2 and len(err) == 1 and "entry[2].resource.code.coding: expected an array" in err[0]
    mi = criteria_of(doc)["History of myocardial infarction"]
    assert mi["status"] == "unknown"
    assert any("could not be read" in r for r in mi["reasons"])
    good = write(tmp_path / "good.json", bundle(ANC_FHIR))
    _, doc, _ = screen(capsys, good, "--trials", trial)
    assert criteria_of(doc)["History of myocardial infarction"]["status"] == "pass"  # closed world


def test_a_condition_with_an_unreadable_status_is_not_taken_as_present(tmp_path, capsys, trial):
    condition = {
        "resourceType": "Condition",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "22298006"}], "text": "myocardial infarction"},
        "verificationStatus": 7,
    }
    rc, doc, err = screen(capsys, write(tmp_path / "p.json", bundle(condition)), "--trials", trial)
    assert rc == 2 and "entry[1].resource.verificationStatus" in err[0]
    assert criteria_of(doc)["History of myocardial infarction"]["status"] == "unknown"


def test_negative_count_is_unknown_not_a_fail(tmp_path, capsys, trial):
    doc = {**PATIENT, "observations": [{"name": "platelets", "loinc": "777-3", "value": -5, "unit": "10^9/L", "date": "2026-05-01"}]}
    path = write(tmp_path / "p.json", doc)
    rc, result, err = screen(capsys, path, "--trials", trial)
    assert rc == 2 and err == [f"elig: {path} at observations[0].value: negative value -5 is not a plausible value (read as unknown)"]
    platelets = criteria_of(result)["Platelets >= 100,000/mm3"]
    assert platelets["status"] == "unknown" and any("negative value -5" in r for r in platelets["reasons"])


def test_birth_date_after_as_of_is_unknown_age(tmp_path, capsys):
    path = write(tmp_path / "p.json", {**PATIENT, "birth_date": "2030-01-01"})
    trial = write(tmp_path / "t.json", study("NCT1", "Inclusion Criteria:\n* Age >= 18 years\n"))
    rc, doc, err = screen(capsys, path, "--trials", trial)
    age = criteria_of(doc)["Age >= 18 years"]
    assert (rc, err) == (0, [])  # a record can be right and the screening date early
    assert age["status"] == "unknown" and age["reasons"] == ["date of birth 2030-01-01 is after 2026-06-01"]


@pytest.mark.parametrize(
    "unit, reason",
    [
        ("mg", "mg and /mm3 are different quantities or not convertible: not compared"),
        ("furlongs", "unit 'furlongs' not understood"),
    ],
)
def test_a_unit_that_does_not_fit_or_does_not_exist_in_the_record(tmp_path, capsys, trial, unit, reason):
    anc = {"name": "absolute neutrophil count", "loinc": "751-8", "value": 500, "unit": unit, "date": "2026-05-01"}
    rc, doc, err = screen(capsys, write(tmp_path / "p.json", {**PATIENT, "observations": [anc]}), "--trials", trial)
    result = criteria_of(doc)["ANC >= 1000/mm3"]
    assert rc == 0 and result["status"] == "unknown"
    assert any(r.endswith(reason) for r in result["reasons"])


@pytest.mark.parametrize("text", ["ANC >= 500 mg", "ANC >= 500 furlongs", "ANC >= 500 mg/kg/day of neutrophils"])
def test_a_unit_that_does_not_fit_in_the_criteria_text(tmp_path, capsys, text):
    trial = write(tmp_path / "t.json", study("NCT1", f"Inclusion Criteria:\n* {text}\n"))
    rc, doc, err = screen(capsys, write(tmp_path / "p.json", PATIENT), "--trials", trial)
    assert (rc, err) == (0, [])
    assert criteria_of(doc)[text]["status"] == "unknown"


# ---------------------------------------------------------------------------------- trials


def test_empty_trial_and_trial_without_headings_are_skipped(tmp_path, capsys, trial):
    page = write(
        tmp_path / "page.json",
        {"studies": [study("NCT2", None), study("NCT3", "ANC >= 1000/mm3\nHemoglobin >= 9 g/dL"), study("NCT4", "")]},
    )
    rc, doc, err = screen(capsys, write(tmp_path / "p.json", PATIENT), "--trials", page, "--trials", trial)
    where = "protocolSection.eligibilityModule.eligibilityCriteria"
    assert rc == 2
    assert err == [
        f"elig: {page}:studies[0] at {where}: no eligibility criteria in the record (skipped)",
        f'elig: {page}:studies[1] at {where}: no "Inclusion Criteria" or "Exclusion Criteria" heading: cannot tell which criteria include and which exclude (skipped)',
        f"elig: {page}:studies[2] at {where}: no eligibility criteria in the record (skipped)",
    ]
    assert [t["trial_id"] for t in doc["patients"][0]["trials"]] == ["NCT00000001"]


def test_the_library_never_calls_an_empty_trial_eligible(tmp_path):
    trials = load_trials(write(tmp_path / "t.json", study("NCT2", None)))
    result = engine.screen([load_patient(PATIENT)], trials, as_of=date(2026, 6, 1))
    assert result.patients[0].trials[0].status == "unknown"


def _unsectioned(tmp_path, sex: str | None = None):
    """NCT00023673's shape: legacy items with no 'Inclusion Criteria' heading, so the record
    cannot say whether 'Hemoglobin >= 15 g/dL' includes or excludes."""
    record = study("NCT5", "DISEASE CHARACTERISTICS:\n- Hemoglobin >= 15 g/dL\n- ANC >= 1000/mm3")
    if sex is not None:
        record["protocolSection"]["eligibilityModule"]["sex"] = sex
    return load_trials(write(tmp_path / "t.json", record))


def test_a_trial_without_headings_shows_no_verdict_of_its_text_criteria(tmp_path):
    """The library keeps such a trial (the CLI skips it): a text criterion's fail or pass is
    shown unknown, the problem named, so no criterion fails in a trial that is not ineligible."""
    trials = _unsectioned(tmp_path)
    assert trials[0].problem is not None
    result = engine.screen([load_patient(PATIENT)], trials, as_of=date(2026, 6, 1)).patients[0].trials[0]
    text = [c for c in result.criteria if c.text.startswith(("Hemoglobin", "ANC"))]
    assert [c.status for c in text] == ["unknown", "unknown"]
    assert all("may include or exclude" in c.reasons[0] for c in text)
    assert result.status == "unknown"
    assert "fail" not in [c.status for c in result.criteria]


@pytest.mark.parametrize("sex, died, status", [("FEMALE", None, "ineligible"), ("MALE", None, "unknown"), (None, "2020-01-01", "ineligible")])
def test_a_trial_without_headings_still_rules_out_by_its_fields_and_by_death(tmp_path, sex, died, status):
    """The registry's sex field and the record's date of death do not depend on the text's
    headings: a man against a women-only trial, or a patient who died, is ineligible."""
    trials = _unsectioned(tmp_path, sex)
    patient = load_patient(write(tmp_path / "p.json", {**PATIENT, **({"deceased": died} if died else {})}))
    result = engine.screen([patient], trials, as_of=date(2026, 6, 1)).patients[0].trials[0]
    assert result.status == status


def test_duplicate_trial_ids_keep_the_first_and_report_the_second(tmp_path, capsys):
    """The second of two different trials with one id is reported and skipped: both kept would
    give two results no reader can tell apart, and which is right only the user knows."""
    first = write(tmp_path / "a.json", study("NCT1"))
    second = write(tmp_path / "b.json", study("NCT1", "Inclusion Criteria:\n* Hemoglobin >= 15 g/dL", title="Other"))
    same = write(tmp_path / "c.json", study("NCT1"))
    rc, doc, err = screen(capsys, write(tmp_path / "p.json", PATIENT), "--trials", tmp_path / "a.json", "--trials", second, "--trials", same)
    assert rc == 2
    assert err == [f"elig: {second}: duplicate trial id NCT1: also in {first}, with different content (skipped)"]
    (kept,) = doc["patients"][0]["trials"]
    assert kept["title"] == "Test"


def test_directory_with_a_file_that_is_not_json(tmp_path, capsys):
    trials = tmp_path / "trials"
    trials.mkdir()
    write(trials / "a.json", study("NCT1"))
    bad = write(trials / "b.json", "this is not JSON")
    write(trials / "notes.txt", "not a trial file, and not read")
    rc, doc, err = screen(capsys, write(tmp_path / "p.json", PATIENT), "--trials", trials)
    assert rc == 2 and err == [f"elig: {bad} at line 1, column 1: invalid JSON: Expecting value (skipped)"]
    assert [t["trial_id"] for t in doc["patients"][0]["trials"]] == ["NCT1"]


def test_a_megabyte_of_criteria(tmp_path, capsys):
    text = "Inclusion Criteria:\n" + "".join(f"* ANC >= {i}/mm3 or platelets >= 100,000/mm3\n" for i in range(24000))
    assert len(text) > 1_000_000
    trial = write(tmp_path / "t.json", study("NCT1", text))
    assert len(load_trials(trial)[0].criteria) == 24000
    one = "ANC >= 1000/mm3 and " * 50_000 + "hemoglobin >= 9 g/dL"
    assert len(one) > 1_000_000
    tree = engine.parse(one)
    assert tree.kind in ("all_of", "unparsed", "qualified")


# ------------------------------------------------------------------------ many inputs


def test_one_bad_patient_does_not_stop_the_others(tmp_path, capsys, trial):
    folder = tmp_path / "patients"
    folder.mkdir()
    write(folder / "a.json", PATIENT)
    bad = write(folder / "b.json", "{")
    write(folder / "c.json", {**PATIENT, "id": "p3"})
    missing = tmp_path / "nope.json"
    rc, doc, err = screen(capsys, folder, missing, "--trials", trial)
    assert rc == 2
    assert err == [
        f"elig: {bad} at line 1, column 2: not valid JSON: Expecting property name enclosed in double quotes (skipped)",
        f"elig: {missing}: no such file or directory (skipped)",
    ]
    assert [p["patient_id"] for p in doc["patients"]] == ["p1", "p3"]


def test_every_input_bad_prints_no_result(tmp_path, capsys, trial):
    rc, out, err = run(capsys, "screen", write(tmp_path / "a.json", "["), write(tmp_path / "b.json", b"\xff"), "--trials", trial, "--format", "json")
    assert (rc, out) == (2, "")
    assert len(err.splitlines()) == 2


def test_load_patients_and_trials_report_and_go_on(tmp_path):
    write(tmp_path / "a.json", PATIENT)
    write(tmp_path / "b.json", "[]")
    skipped: list[InputError] = []
    assert [p.id for p in load_patients([tmp_path], on_error=skipped.append)] == ["p1"]
    assert [(e.source, e.problem) for e in skipped] == [(str(tmp_path / "b.json"), "expected a JSON object (a FHIR Bundle or an elig patient), found an array")]


# ------------------------------------------------------------------ output and the shell


def test_a_failing_run_leaves_the_output_file_untouched(tmp_path, capsys, trial):
    output = write(tmp_path / "out.json", "previous results\n")
    rc, out, err = run(capsys, "screen", write(tmp_path / "bad.json", "{"), "--trials", trial, "--output", output)
    assert rc == 2 and out == "" and output.read_text() == "previous results\n"
    assert list(tmp_path.glob(".out.json.*")) == []  # no temporary file left


def test_a_run_that_skips_writes_the_output_whole(tmp_path, capsys, trial):
    output = tmp_path / "out.json"
    rc, _, _ = run(capsys, "screen", write(tmp_path / "a.json", PATIENT), tmp_path / "nope.json", "--trials", trial, "--output", output, "--format", "json")
    assert rc == 2 and [p["patient_id"] for p in json.loads(output.read_text())["patients"]] == ["p1"]


def elig(*argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "engine.cli", *argv], input=stdin, capture_output=True, timeout=120)


def test_non_utf8_on_parse_stdin_and_in_arguments():
    proc = elig("parse", stdin=b"ANC >= 500\nANC \xff>= 500\n")
    assert proc.returncode == 2
    assert proc.stderr.decode() == "elig: <stdin> at line 2, column 5: not UTF-8 text (byte 0xFF); save the file as UTF-8\n"
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "parse", b"ANC \xff"], capture_output=True, timeout=120)
    assert (proc.returncode, proc.stderr.decode()) == (2, "elig: argument 1 at character 5: not UTF-8 text\n")


def test_a_closed_pipe_ends_quietly(tmp_path):
    """`elig parse < many | head -1`: the reader goes away; elig stops without a word."""
    many = write(tmp_path / "many.txt", b"ANC >= 500/uL\n" * 20000)
    with many.open("rb") as stdin:
        proc = subprocess.Popen(
            [sys.executable, "-m", "engine.cli", "parse"], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
    proc.stdout.readline()
    proc.stdout.close()
    assert proc.wait(timeout=120) == 0
    assert proc.stderr.read() == b""


def test_interrupted_parse_is_one_line(monkeypatch, capsys):
    def interrupted(_text):
        raise KeyboardInterrupt

    monkeypatch.setattr("engine.cli.parse_record", interrupted)
    assert run(capsys, "parse", "ANC >= 500") == (130, "", "elig: interrupted\n")


# ------------------------------------------------------------------------- elig coverage


def test_coverage_skips_a_bad_trial_file_and_counts_the_rest(tmp_path, capsys):
    trials = tmp_path / "trials"
    trials.mkdir()
    write(trials / "a.json", study("NCT1"))
    bad = write(trials / "b.json", '{"protocolSection": [}')
    write(trials / "c.json", study("NCT3"))
    not_utf8 = write(tmp_path / "d.json", b'{"x":\n "\xff"}')
    missing = tmp_path / "nope.json"
    rc, out, err = run(capsys, "coverage", trials, not_utf8, missing, "--format", "json")
    assert rc == 2
    assert err.splitlines() == [
        f"elig: {bad} at line 1, column 22: invalid JSON: Expecting value (skipped)",
        f"elig: {not_utf8} at line 2, column 3: not UTF-8 text (byte 0xFF); save the file as UTF-8 (skipped)",
        f"elig: {missing}: no such file or directory (skipped)",
    ]
    report = json.loads(out)
    assert (report["trials"], report["criteria"], report["errors"], report["skipped"]) == (2, 8, 0, 3)


def test_coverage_text_names_the_skipped_count(tmp_path, capsys):
    good = write(tmp_path / "a.json", study("NCT1"))
    bad = write(tmp_path / "b.json", "[")
    rc, out, err = run(capsys, "coverage", good, bad)
    assert rc == 2 and "Traceback" not in err and len(err.splitlines()) == 1
    assert "skipped     1 (bad inputs, named on stderr)" in out.splitlines()


def test_coverage_with_nothing_readable_prints_no_report(tmp_path, capsys):
    rc, out, err = run(capsys, "coverage", write(tmp_path / "a.json", "["), write(tmp_path / "b.json", b"\xff"), "--format", "json")
    assert (rc, out) == (2, "") and len(err.splitlines()) == 2


def test_coverage_library_reports_through_on_error(tmp_path):
    good = write(tmp_path / "a.json", study("NCT1"))
    bad = write(tmp_path / "b.json", "{")
    skipped: list[InputError] = []
    report = coverage([good, bad], on_error=skipped.append, workers=1)
    assert report["trials"] == 1 and report["errors"] == 0
    assert [(e.source, e.where) for e in skipped] == [(str(bad), "line 1, column 2")]
    with pytest.raises(InputError):
        coverage([good, bad], workers=1)


# ------------------------------------------------- hostile sizes (scripts/bench_adversarial.py)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 2000 + "ANC >= 500" + ")" * 2000,  # RecursionError in the transformer
        "a: " * 3333,  # RecursionError, and quadratic, in headings read one inside another
        "or " * 3333,  # a left-recursive chain as deep as the text
        "ANC >= 500/uL or " * 600 + "ANC >= 1000/uL",
        "1-" * 5000,  # a retry per token, each parsing every token: 77 s at 10 kB
        "if ANC >= 500, " * 600 + "hemoglobin >= 9 g/dL",  # conditionals nested 600 deep
        "no " * 3000 + "HIV",
        "«a» and " * 1200 + "«b»",
    ],
    ids=["brackets", "headings", "or", "or-chain", "range-chain", "if", "no", "literals"],
)
def test_hostile_criteria_parse_and_evaluate_to_unknown_or_better(text):
    """Each was a traceback or took seconds to minutes before engine.limits; now a tree whose
    unparsed text keeps it from deciding anything it did not understand."""
    from engine.limits import MAX_DEPTH, tree_depth
    from engine.render import render

    tree = engine.parse(text)
    assert tree_depth(tree) <= MAX_DEPTH
    outcome = engine.evaluate(tree, load_patient(PATIENT), as_of=date(2026, 6, 1))
    assert outcome.truth in (engine.Truth.UNKNOWN, engine.Truth.FALSE, engine.Truth.TRUE)
    render(tree)
    json.dumps(tree.model_dump(mode="json"))


def test_a_unit_of_a_thousand_characters_is_not_read():
    long_unit = "mg/" * 400
    anc = {"name": "absolute neutrophil count", "loinc": "751-8", "value": 2, "unit": long_unit, "date": "2026-05-20"}
    patient = load_patient({**PATIENT, "observations": [anc]})
    for text in ("ANC >= 1000/mm3", f"ANC >= 5 {long_unit}"):
        outcome = engine.evaluate(engine.parse(text), patient, as_of=date(2026, 6, 1))
        assert outcome.truth is engine.Truth.UNKNOWN
    fhir = observation("751-8", {"value": 2, "unit": long_unit, "system": "http://unitsofmeasure.org", "code": long_unit})
    (read,) = load_patient(bundle(fhir)).observations
    assert read.unit == long_unit  # kept as written, so never compared


NESTED = "[" * 100_000 + "]" * 100_000
HUGE_INTEGER = "9" * 5000


@pytest.mark.parametrize(
    "name, content, where, problem",
    [
        ("t.json", NESTED, None, "invalid JSON: arrays or objects nested too deeply to read"),
        ("t.jsonl", f"{json.dumps(study('NCT1'))}\n{NESTED}\n", "line 2", "invalid JSON: arrays or objects nested too deeply to read"),
        ("t.toml", f"id = {NESTED}", None, "invalid TOML: arrays or tables nested too deeply to read"),
        ("t.json", json.dumps(study("NCT1")).replace('"Test"', HUGE_INTEGER), None, "invalid JSON: a number too long to read (over 4,300 digits)"),
    ],
    ids=["nested-json", "nested-json-line", "nested-toml", "huge-integer"],
)
def test_json_python_cannot_read_is_one_line_for_a_trial(tmp_path, capsys, name, content, where, problem):
    patient = write(tmp_path / "p.json", PATIENT)
    path = write(tmp_path / name, content)
    place = f" at {where}" if where else ""
    assert one_bad_line(capsys, patient, path) == f"elig: {path}{place}: {problem} (skipped)"


@pytest.mark.parametrize(
    "content, problem",
    [
        (NESTED, "not valid JSON: arrays or objects nested too deeply to read"),
        (json.dumps(PATIENT).replace("12", HUGE_INTEGER), "not valid JSON: a number too long to read (over 4,300 digits)"),
    ],
    ids=["nested-json", "huge-integer"],
)
def test_json_python_cannot_read_is_one_line_for_a_patient(tmp_path, capsys, trial, content, problem):
    path = write(tmp_path / "p.json", content)
    assert one_bad_line(capsys, path, trial) == f"elig: {path}: {problem} (skipped)"


def test_a_long_bad_value_is_cut_in_the_message(tmp_path, capsys, trial):
    date_100k = "2026-" + "9" * 100_000
    path = write(tmp_path / "p.json", bundle(observation("751-8", ANC_FHIR["valueQuantity"], when=date_100k)))
    rc, _, err = screen(capsys, path, "--trials", trial)
    assert rc == 2 and len(err) == 1 and len(err[0]) < 300
    assert 'not a valid date: "2026-99999999999999999999999999999999..."' in err[0]
    own = write(tmp_path / "own.json", {**PATIENT, "birth_date": date_100k})
    assert 'not a valid date: "2026-9999' in one_bad_line(capsys, own, trial) and len(one_bad_line(capsys, own, trial)) < 300
    sex = write(tmp_path / "sex.json", {**PATIENT, "sex": "x" * 100_000})
    assert len(one_bad_line(capsys, sex, trial)) < 300


def test_a_measurement_window_without_a_duration_is_unknown():
    """A tree read from JSON can hold 'within [no duration] of screening': min() of nothing
    was a ValueError; the window cannot be worked out, so the bound decides nothing."""
    from engine.nodes import Comparison, Threshold, Window

    node = Comparison(
        measure="absolute neutrophil count",
        op=">=",
        threshold=Threshold(value=1, unit="10^9/L"),
        window=Window(relation="within", durations=()),
    )
    outcome = engine.evaluate(node, load_patient(PATIENT), as_of=date(2026, 6, 1))
    assert outcome.truth is engine.Truth.UNKNOWN
    assert "the window of the absolute neutrophil count measurement could not be worked out" in outcome.reasons


def test_yaml_nested_past_the_stack_is_one_line(tmp_path, capsys, trial, monkeypatch):
    """PyYAML is optional: a stand-in that recurses as its composer does on deep nesting."""
    import types

    class YAMLError(Exception):
        pass

    def safe_load(text):
        def compose(depth):
            return [compose(depth + 1)] if depth < len(text) else []

        return compose(0)

    monkeypatch.setitem(sys.modules, "yaml", types.SimpleNamespace(safe_load=safe_load, YAMLError=YAMLError))
    path = write(tmp_path / "p.yaml", "[" * 5000 + "]" * 5000)
    assert one_bad_line(capsys, path, trial) == f"elig: {path}: not valid YAML: nested too deeply to read (skipped)"


def test_a_daily_dose_too_large_to_write_out_reads():
    # found by scripts/fuzz.py --target fhir: a misprinted dose of 3E+31 mg a day raised
    # decimal.InvalidOperation (a traceback) where it was rounded for the record
    from decimal import Decimal

    from engine.fhir import _tidy

    assert _tidy(Decimal("3E+31")) == Decimal("3E+31")
    assert str(_tidy(Decimal("2.9999999999999"))) == "3"


def test_a_bullet_inside_a_line_separates_its_heading():
    # NCT05700721: 'Hematological • Absolute neutrophil count (ANC) ≥1,500 /mcL'; the bullet was
    # read as a word of the heading
    canonical = engine.render(engine.parse("Hematological • Absolute neutrophil count (ANC) ≥1,500 /mcL"))
    assert canonical == "(absolute neutrophil count >= 1500 /uL) «Hematological»"
