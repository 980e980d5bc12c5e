"""The `elig` command as CONTRACT.md states it: parse, screen, coverage; exit status and stderr.

Most runs call `engine.cli.main(argv)` in-process (capsys catches its output); a few run the
installed console script and `python -m engine.cli` in a subprocess, as a user would. The
seed trials are being curated: the assertions on them are about the contract's shape, not
about which verdict a criterion gets (tests/test_seeds.py pins those).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import engine
from engine.cli import main
from engine.nodes import strip_spans
from engine.trials import rules_dir

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PATIENTS = ROOT / "tests" / "fixtures" / "patients"
TRIALS = ROOT / "tests" / "fixtures" / "trials"
SCREEN = ROOT / "tests" / "fixtures" / "screen"
BUNDLED = rules_dir() / "trials"
AS_OF = "2026-06-01"

PARSE_KEYS = {"text", "predicate", "canonical", "thresholds", "unparsed"}
THRESHOLD_KEYS = {"measure", "op", "value", "unit", "relative_to"}
COVERAGE_KEYS = {"trials", "criteria", "structured", "partial", "unparsed", "errors", "skipped", "seconds"}
TRIAL_STATUSES = {"eligible", "ineligible", "unknown"}
CRITERION_STATUSES = {"pass", "fail", "unknown"}
RANK = {"eligible": 0, "unknown": 1, "ineligible": 2}


def run(capsys, *argv: str | Path, stdin: str | None = None, monkeypatch=None) -> tuple[int, str, str]:
    """`elig ARGV` in-process: (exit status, stdout, stderr). argparse exits; main returns."""
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    out, err = capsys.readouterr()
    return rc, out, err


def elig() -> list[str]:
    """The installed console script, or the module when the script is not beside python."""
    script = Path(sys.executable).with_name("elig")
    return [str(script)] if script.exists() else [sys.executable, "-m", "engine.cli"]


# ====================================================================== elig parse


def parse_json(capsys, *texts: str) -> list[dict]:
    rc, out, err = run(capsys, "parse", *texts, "--format", "json")
    assert (rc, err) == (0, "")
    return [json.loads(line) for line in out.splitlines()]


def test_parse_json_is_one_object_per_criterion_in_input_order(capsys):
    texts = ["ANC >= 500/uL", "Platelets >= 100,000/mm3", "Hemoglobin >= 9 g/dL"]
    records = parse_json(capsys, *texts)
    assert [r["text"] for r in records] == texts
    for r in records:
        assert set(r) == PARSE_KEYS
        assert isinstance(r["predicate"], dict) and isinstance(r["predicate"]["kind"], str)
        assert isinstance(r["canonical"], str) and r["canonical"]
        assert isinstance(r["unparsed"], list)
        for t in r["thresholds"]:
            assert set(t) == THRESHOLD_KEYS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ANC >= 500/uL", [("absolute neutrophil count", ">=", 500, "/uL", None)]),
        ("total bilirubin <= 1.5 x ULN", [("total bilirubin", "<=", 1.5, None, "ULN")]),
        ("age 18 to 65 years", [("age", ">=", 18, "years", None), ("age", "<=", 65, "years", None)]),
        ("hemoglobin >= 9 g/dL", [("hemoglobin", ">=", 9, "g/dL", None)]),
        # unit spelling normalised: Greek mu, superscript 3, thousands separator
        ("ANC ≥ 500/μL", [("absolute neutrophil count", ">=", 500, "/uL", None)]),
        ("Platelets ≥ 100,000/mm³", [("platelet count", ">=", 100000, "/mm3", None)]),
        ("ANC >= 1.5 x 10^9/L", [("absolute neutrophil count", ">=", 1.5, "10^9/L", None)]),
    ],
)
def test_parse_json_thresholds(capsys, text, expected):
    [record] = parse_json(capsys, text)
    got = [(t["measure"], t["op"], t["value"], t["unit"], t["relative_to"]) for t in record["thresholds"]]
    assert got == expected
    for t, (_, _, value, _, _) in zip(record["thresholds"], expected):
        assert type(t["value"]) is type(value)  # 500 stays 500, 1.5 stays 1.5


def test_parse_json_numbers_are_written_as_written(capsys):
    rc, out, _ = run(capsys, "parse", "ANC >= 500/uL", "total bilirubin <= 1.5 x ULN", "--format", "json")
    assert rc == 0
    first, second = out.splitlines()
    assert '"value": 500,' in first and "500.0" not in first
    assert '"value": 1.5,' in second


def test_parse_json_relative_to_uln_and_lln(capsys):
    [uln, lln] = parse_json(capsys, "AST <= 2.5 x ULN", "hemoglobin >= 0.8 x LLN")
    assert [(t["relative_to"], t["unit"], t["value"]) for t in uln["thresholds"]] == [("ULN", None, 2.5)]
    assert [(t["relative_to"], t["unit"], t["value"]) for t in lln["thresholds"]] == [("LLN", None, 0.8)]


def test_parse_json_canonical_parses_to_the_same_tree(capsys):
    for record in parse_json(capsys, "ANC >= 500/uL", "age 18 to 65 years", "AST and ALT <= 2.5 x ULN"):
        again = engine.parse(record["canonical"])
        assert strip_spans(again) == strip_spans(engine.parse(record["text"]))


def test_parse_json_unparsed_pieces(capsys):
    [structured, gibberish] = parse_json(capsys, "ANC >= 500/uL", "qwertyuiop zxcvbnm asdfghjkl")
    assert structured["unparsed"] == []
    assert gibberish["unparsed"] and all(isinstance(p, str) and p for p in gibberish["unparsed"])
    assert gibberish["predicate"]["kind"] == "unparsed"


def test_parse_reads_one_criterion_a_line_from_stdin(capsys, monkeypatch):
    rc, out, err = run(capsys, "parse", "--format", "json", stdin="ANC >= 500/uL\n\nhemoglobin >= 9 g/dL\n", monkeypatch=monkeypatch)
    assert (rc, err) == (0, "")
    assert [json.loads(line)["text"] for line in out.splitlines()] == ["ANC >= 500/uL", "hemoglobin >= 9 g/dL"]


def test_parse_stdin_and_arguments_agree(capsys, monkeypatch):
    _, from_args, _ = run(capsys, "parse", "ANC >= 500/uL", "--format", "json")
    _, from_stdin, _ = run(capsys, "parse", "--format", "json", stdin="ANC >= 500/uL\n", monkeypatch=monkeypatch)
    assert from_args == from_stdin


def test_parse_text_format_is_readable(capsys):
    rc, out, err = run(capsys, "parse", "ANC >= 500/uL", "qwertyuiop zxcvbnm")
    assert (rc, err) == (0, "")
    assert "ANC >= 500/uL" in out
    assert "canonical: absolute neutrophil count >= 500 /uL" in out
    assert "threshold: absolute neutrophil count >= 500 /uL" in out
    assert "unparsed:  qwertyuiop zxcvbnm" in out
    assert not out.lstrip().startswith("{")


def test_parse_default_format_is_text(capsys):
    _, default, _ = run(capsys, "parse", "ANC >= 500/uL")
    _, text, _ = run(capsys, "parse", "ANC >= 500/uL", "--format", "text")
    assert default == text


# ====================================================================== elig screen


@pytest.fixture(scope="module")
def examples_json() -> dict:
    """`elig screen examples --format json --as-of 2026-06-01`, run once for the module."""
    buf = io.StringIO()
    saved, sys.stdout = sys.stdout, buf
    try:
        rc = main(["screen", str(EXAMPLES), "--format", "json", "--as-of", AS_OF])
    finally:
        sys.stdout = saved
    assert rc == 0
    return json.loads(buf.getvalue())


def walk_criteria(criteria):
    for c in criteria:
        yield c
        yield from walk_criteria(c["children"])


def check_shape(doc: dict) -> None:
    """The JSON document of CONTRACT.md `elig screen`, key by key."""
    assert {"as_of", "patients"} <= set(doc)
    assert isinstance(doc["patients"], list)
    for patient in doc["patients"]:
        assert {"patient_id", "trials"} <= set(patient)
        assert isinstance(patient["patient_id"], str) and patient["patient_id"]
        for trial in patient["trials"]:
            assert {"trial_id", "title", "status", "criteria"} <= set(trial)
            assert trial["status"] in TRIAL_STATUSES
            assert isinstance(trial["title"], str)
            for c in walk_criteria(trial["criteria"]):
                assert {"section", "text", "status", "reasons", "missing", "children"} <= set(c)
                assert c["section"] in ("inclusion", "exclusion")
                assert c["status"] in CRITERION_STATUSES
                assert isinstance(c["text"], str) and c["text"]
                assert all(isinstance(r, str) for r in c["reasons"])
                assert all(isinstance(m, str) for m in c["missing"])
            statuses = [c["status"] for c in trial["criteria"]]
            expected = "ineligible" if "fail" in statuses else "eligible" if all(s == "pass" for s in statuses) else "unknown"
            assert trial["status"] == expected, trial["trial_id"]
            # a sub-item has its parent's section
            for c in walk_criteria(trial["criteria"]):
                assert all(k["section"] == c["section"] for k in c["children"])
        ranks = [
            (RANK[t["status"]], [c["status"] for c in t["criteria"]].count("unknown") if t["status"] == "unknown" else 0)
            for t in patient["trials"]
        ]
        assert ranks == sorted(ranks), "trials are listed best first"


def test_screen_json_shape(examples_json):
    check_shape(examples_json)
    assert examples_json["as_of"] == AS_OF
    assert len(examples_json["patients"]) == 4
    assert all(len(p["trials"]) == len(engine.load_trials(BUNDLED)) for p in examples_json["patients"])


def test_screen_workers_give_the_same_document(capsys, examples_json):
    rc, out, err = run(capsys, "screen", EXAMPLES, "--workers", "2", "--format", "json", "--as-of", AS_OF)
    assert (rc, err) == (0, "")
    assert json.loads(out) == examples_json


@pytest.mark.parametrize("workers", ["0", "-1", "two"])
def test_screen_workers_must_be_a_number_of_processes(capsys, workers):
    rc, out, err = run(capsys, "screen", EXAMPLES, "--workers", workers)
    assert rc == 2 and out == ""
    assert "--workers" in err and "not a number of processes" in err and len(err.strip().splitlines()) == 1


def test_screen_json_is_exactly_one_document(capsys):
    rc, out, err = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--format", "json", "--as-of", AS_OF)
    assert (rc, err) == (0, "")
    doc, end = json.JSONDecoder().raw_decode(out)
    assert out[end:].strip() == ""
    check_shape(doc)


def fhir_patient_id(path: Path) -> str:
    bundle = json.loads(path.read_text(encoding="utf-8"))
    [pid] = [e["resource"]["id"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient"]
    return pid


def test_screen_directory_is_every_file_sorted_by_name_and_ids_are_fhir_ids(examples_json):
    files = sorted(EXAMPLES.glob("*.json"))
    assert [p["patient_id"] for p in examples_json["patients"]] == [fhir_patient_id(f) for f in files]


def test_patient_id_is_the_file_name_when_the_patient_has_no_id(capsys):
    rc, out, _ = run(capsys, "screen", PATIENTS / "bare_patient_no_id.json", "--trials", SCREEN / "basic.toml", "--format", "json", "--as-of", AS_OF)
    assert rc == 0
    assert [p["patient_id"] for p in json.loads(out)["patients"]] == ["bare_patient_no_id"]


def test_structured_age_and_sex_are_inclusion_criteria(examples_json):
    bundled = {t.trial_id: t for t in engine.load_trials(BUNDLED)}
    for patient in examples_json["patients"]:
        for trial in patient["trials"]:
            source = bundled[trial["trial_id"]]
            texts = {c["text"]: c["section"] for c in trial["criteria"]}
            if source.minimum_age:
                assert texts[f"Minimum age: {source.minimum_age}"] == "inclusion"
            if source.maximum_age:
                assert texts[f"Maximum age: {source.maximum_age}"] == "inclusion"


def test_structured_fields_of_a_ctgov_record_are_inclusion_criteria(capsys):
    """study.json: minimumAge 18 Years, maximumAge 75 Years, sex FEMALE."""
    rc, out, _ = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", TRIALS / "good" / "study.json", "--format", "json", "--as-of", AS_OF)
    assert rc == 0
    [trial] = json.loads(out)["patients"][0]["trials"]
    assert trial["trial_id"] == "NCT90000001"
    structured = {c["text"]: c for c in trial["criteria"][:3]}
    assert set(structured) == {"Minimum age: 18 Years", "Maximum age: 75 Years", "Sex: female"}
    assert {c["section"] for c in structured.values()} == {"inclusion"}
    # the case-report patient is a 53-year-old man
    assert structured["Minimum age: 18 Years"]["status"] == "pass"
    assert structured["Sex: female"]["status"] == "fail"
    assert trial["status"] == "ineligible"


def test_screen_trials_file_and_directory(capsys, tmp_path):
    one = BUNDLED / "NCT04984356.toml"
    rc, out, _ = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", one, "--format", "json", "--as-of", AS_OF)
    assert rc == 0
    assert [t["trial_id"] for t in json.loads(out)["patients"][0]["trials"]] == ["NCT04984356"]

    folder = tmp_path / "trials"
    folder.mkdir()
    shutil.copy(TRIALS / "good" / "study.json", folder)
    shutil.copy(SCREEN / "basic.toml", folder)
    rc, out, _ = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", folder, "--trials", one, "--format", "json", "--as-of", AS_OF)
    assert rc == 0
    doc = json.loads(out)
    check_shape(doc)
    assert sorted(t["trial_id"] for t in doc["patients"][0]["trials"]) == ["NCT04984356", "NCT90000001", "SCREEN-BASIC"]


def test_screen_default_trials_are_the_bundled_library(capsys, examples_json):
    ids = sorted(t.trial_id for t in engine.load_trials(BUNDLED))
    assert sorted(t["trial_id"] for t in examples_json["patients"][0]["trials"]) == ids


def test_screen_ctgov_page_and_json_lines(capsys):
    """page.json holds a study without section headings and one without criteria: each is
    reported on a line of its own and skipped (exit 2), the rest screened."""
    rc, out, err = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", TRIALS / "good" / "page.json", "--format", "json", "--as-of", AS_OF)
    assert (rc, out) == (2, "")  # no trial left: no result document
    assert [line.split(" at ")[0] for line in err.splitlines()] == [f"elig: {TRIALS / 'good' / 'page.json'}:studies[{i}]" for i in (0, 1)]
    for name, rc_wanted in (("page.json", 2), ("records.jsonl", 0)):
        rc, out, err = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", TRIALS / "good" / name, "--trials", TRIALS / "good" / "study.json", "--format", "json", "--as-of", AS_OF)
        assert rc == rc_wanted
        doc = json.loads(out)
        check_shape(doc)
        trials = engine.load_trials(TRIALS / "good" / name)
        assert trials != []
        kept = [t.trial_id for t in trials + engine.load_trials(TRIALS / "good" / "study.json") if t.problem is None]
        assert sorted(t["trial_id"] for t in doc["patients"][0]["trials"]) == sorted(kept)
        assert len(err.splitlines()) == sum(t.problem is not None for t in trials)


def test_screen_own_format_patient(capsys):
    rc, out, _ = run(capsys, "screen", PATIENTS / "own_valid.json", "--trials", SCREEN / "basic.toml", "--format", "json", "--as-of", AS_OF)
    assert rc == 0
    assert json.loads(out)["patients"][0]["patient_id"] == "pt-001"


def test_screen_exit_status_is_zero_whatever_the_verdicts(capsys, tmp_path):
    anc = {"name": "absolute neutrophil count", "loinc": "751-8", "unit": "/uL", "date": "2026-05-20"}
    for value, verdict in ((2000, "unknown"), (100, "ineligible")):
        doc = {"id": f"anc-{value}", "birth_date": "1980-01-01", "observations": [{**anc, "value": value}]}
        (tmp_path / "p.json").write_text(json.dumps(doc))
        rc, out, err = run(capsys, "screen", tmp_path / "p.json", "--trials", SCREEN / "basic.toml", "--format", "json", "--as-of", AS_OF)
        assert (rc, err) == (0, "")
        assert json.loads(out)["patients"][0]["trials"][0]["status"] == verdict


def test_as_of_is_the_date_ages_are_counted_to(capsys):
    """The case-report patient was born 1972-09-14: 53 on 2026-06-01, 54 on 2026-09-14."""
    ages = {}
    for day in ("2026-06-01", "2026-09-14"):
        rc, out, _ = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", SCREEN / "basic.toml", "--format", "json", "--as-of", day)
        assert rc == 0
        doc = json.loads(out)
        assert doc["as_of"] == day
        [age] = [c for c in doc["patients"][0]["trials"][0]["criteria"] if c["text"] == "Minimum age: 18 Years"]
        ages[day] = age["reasons"][0]
    assert "53" in ages["2026-06-01"] and "54" in ages["2026-09-14"]


def test_as_of_defaults_to_today(capsys):
    from datetime import date

    rc, out, _ = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", SCREEN / "basic.toml", "--format", "json")
    assert rc == 0
    assert json.loads(out)["as_of"] == date.today().isoformat()


def open_and_closed(capsys) -> tuple[dict, dict]:
    args = ("screen", EXAMPLES, "--format", "json", "--as-of", AS_OF)
    rc1, closed, _ = run(capsys, *args)
    rc2, opened, _ = run(capsys, *args, "--open-world")
    assert rc1 == rc2 == 0
    return json.loads(closed), json.loads(opened)


def pairs(closed: dict, opened: dict):
    """(closed, open) for every criterion of every trial of every patient."""
    for pc, po in zip(closed["patients"], opened["patients"], strict=True):
        to = {t["trial_id"]: t for t in po["trials"]}
        for tc in pc["trials"]:
            yield from zip(walk_criteria(tc["criteria"]), walk_criteria(to[tc["trial_id"]]["criteria"]), strict=True)


def test_open_world_turns_a_closed_world_no_record_into_unknown(capsys):
    closed, opened = open_and_closed(capsys)
    changed = [
        (c["text"], c["status"])
        for c, o in pairs(closed, opened)
        if c["status"] != "unknown" and any("closed world" in r for r in c["reasons"]) and o["status"] == "unknown"
    ]
    assert changed, "some criterion of the bundled trials rests on 'no record of X'"
    for c, o in pairs(closed, opened):
        assert not any("(closed world)" in r for r in o["reasons"])


def test_open_world_only_ever_takes_certainty_away(capsys):
    """Kleene's logic is monotone: turning FALSE leaves into UNKNOWN can move a verdict to
    unknown, never from pass to fail or back, nor from unknown to a verdict."""
    closed, opened = open_and_closed(capsys)
    for c, o in pairs(closed, opened):
        assert o["status"] in (c["status"], "unknown"), (c["text"], c["status"], o["status"])
    for pc, po in zip(closed["patients"], opened["patients"]):
        to = {t["trial_id"]: t["status"] for t in po["trials"]}
        for t in pc["trials"]:
            assert to[t["trial_id"]] in (t["status"], "unknown")


def test_measurements_are_open_world_either_way(capsys):
    """basic.toml asks for an ANC; own_minimal.json has no observations at all."""
    for extra in ((), ("--open-world",)):
        rc, out, _ = run(capsys, "screen", PATIENTS / "own_minimal.json", "--trials", SCREEN / "basic.toml", "--format", "json", "--as-of", AS_OF, *extra)
        assert rc == 0
        [anc] = [c for c in json.loads(out)["patients"][0]["trials"][0]["criteria"] if c["text"].startswith("ANC")]
        assert anc["status"] == "unknown"
        assert anc["missing"]


def test_output_file_is_written_whole(capsys, tmp_path):
    target = tmp_path / "result.json"
    rc, out, err = run(capsys, "screen", EXAMPLES, "--format", "json", "--as-of", AS_OF, "--output", target)
    assert (rc, out, err) == (0, "", "")
    _, expected, _ = run(capsys, "screen", EXAMPLES, "--format", "json", "--as-of", AS_OF)
    assert target.read_text(encoding="utf-8") == expected
    assert os.listdir(tmp_path) == ["result.json"], "no temporary file left"


def test_output_file_gets_the_usual_mode_not_the_temporary_files(capsys, tmp_path):
    target = tmp_path / "result.json"
    run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--format", "json", "--as-of", AS_OF, "--output", target)
    umask = os.umask(0)
    os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~umask
    target.chmod(0o640)
    run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--format", "json", "--as-of", AS_OF, "--output", target)
    assert target.stat().st_mode & 0o777 == 0o640, "an existing file keeps its mode"


@pytest.mark.parametrize("fmt", ["table", "html", "json"])
def test_output_file_is_untouched_when_the_run_fails(capsys, tmp_path, fmt):
    target = tmp_path / "result.out"
    target.write_text("the previous result\n")
    rc, out, err = run(capsys, "screen", PATIENTS / "bad_not_json.json", "--format", fmt, "--as-of", AS_OF, "--output", target)
    assert rc == 2 and out == ""
    assert target.read_text() == "the previous result\n"
    assert os.listdir(tmp_path) == ["result.out"]


def test_output_file_is_untouched_when_the_rename_fails(capsys, tmp_path, monkeypatch):
    """The text is complete in a temporary file before the rename; if that fails, the old
    file stays, the temporary file goes, and the error is one line."""
    import engine.cli

    target = tmp_path / "result.json"
    target.write_text("the previous result\n")

    def failing_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(engine.cli.os, "replace", failing_replace)
    rc, out, err = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--format", "json", "--as-of", AS_OF, "--output", target)
    assert rc == 2 and out == ""
    assert err == f"elig: {target}: cannot write: No space left on device\n"
    assert target.read_text() == "the previous result\n"
    assert os.listdir(tmp_path) == ["result.json"]


def test_output_that_cannot_be_written_is_bad_input(capsys, tmp_path):
    for target in (tmp_path, tmp_path / "no" / "such" / "folder" / "x.json"):
        rc, out, err = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--format", "json", "--as-of", AS_OF, "--output", target)
        assert rc == 2 and out == ""
        assert len(err.splitlines()) == 1 and str(target) in err
        assert "Traceback" not in err
    assert os.listdir(tmp_path) == []


def test_table_and_html_formats(capsys):
    rc, table, _ = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--as-of", AS_OF)
    assert rc == 0
    assert "case-report-sezary" in table and "NCT04984356" in table
    assert "\x1b[" not in table, "no colour codes when not a terminal"
    basic = ("screen", EXAMPLES / "case_report_sezary.json", "--trials", SCREEN / "basic.toml", "--as-of", AS_OF)
    rc, short, _ = run(capsys, *basic)
    rc, verbose, _ = run(capsys, *basic, "--verbose")
    assert rc == 0
    assert "Hemoglobin >= 9 g/dL" not in short and "Hemoglobin >= 9 g/dL" in verbose
    rc, page, _ = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--as-of", AS_OF, "--format", "html")
    assert rc == 0
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "<link" not in page and "src=" not in page and "@import" not in page  # self-contained
    assert "case-report-sezary" in page


# ====================================================================== bad input


BAD_INPUT = [
    pytest.param(["screen", PATIENTS / "bad_not_json.json"], str(PATIENTS / "bad_not_json.json"), "line 4", id="patient-not-json"),
    pytest.param(["screen", PATIENTS / "bad_not_bundle.json"], str(PATIENTS / "bad_not_bundle.json"), "resourceType", id="fhir-not-a-bundle"),
    pytest.param(["screen", PATIENTS / "bad_not_utf8.json"], str(PATIENTS / "bad_not_utf8.json"), "line 3", id="patient-not-utf8"),
    pytest.param(["screen", PATIENTS / "own_bad_extra_key.json"], str(PATIENTS / "own_bad_extra_key.json"), None, id="own-format-unknown-key"),
    pytest.param(["screen", EXAMPLES, "--trials", TRIALS / "bad" / "syntax.json"], str(TRIALS / "bad" / "syntax.json"), "line 3", id="trials-bad-json"),
    pytest.param(["screen", EXAMPLES, "--trials", TRIALS / "bad" / "broken_line.jsonl"], str(TRIALS / "bad" / "broken_line.jsonl"), "line 2", id="trials-bad-json-line"),
    pytest.param(["screen", EXAMPLES, "--trials", TRIALS / "bad" / "syntax.toml"], str(TRIALS / "bad" / "syntax.toml"), "line 3", id="trials-bad-toml"),
    pytest.param(["screen", EXAMPLES, "--trials", TRIALS / "bad" / "unknown_key.toml"], str(TRIALS / "bad" / "unknown_key.toml"), "criteria[", id="trials-unknown-key"),
    pytest.param(["screen", ROOT / "no-such-patient.json"], str(ROOT / "no-such-patient.json"), None, id="missing-patient"),
    pytest.param(["screen", EXAMPLES, "--trials", ROOT / "no-such-trials"], str(ROOT / "no-such-trials"), None, id="missing-trials"),
    pytest.param(["screen", EXAMPLES, "--as-of", "2026-13-01"], "--as-of", "2026-13-01", id="bad-as-of"),
    pytest.param(["screen", EXAMPLES, "--as-of", "tomorrow"], "--as-of", "tomorrow", id="as-of-not-a-date"),
    pytest.param(["screen", EXAMPLES, "--frobnicate"], "--frobnicate", None, id="unknown-option"),
    pytest.param(["screen", EXAMPLES, "--format", "xml"], "--format", "xml", id="unknown-format"),
    pytest.param(["screen"], "PATIENT", None, id="no-patient"),
    pytest.param(["frobnicate"], "frobnicate", None, id="unknown-command"),
    pytest.param([], "command", None, id="no-command"),
    pytest.param(["coverage", ROOT / "no-such-trials"], str(ROOT / "no-such-trials"), None, id="coverage-missing-path"),
    pytest.param(["coverage", TRIALS / "bad" / "syntax.json"], str(TRIALS / "bad" / "syntax.json"), "line 3", id="coverage-bad-json"),
]


@pytest.mark.parametrize(("argv", "names", "place"), BAD_INPUT)
@pytest.mark.parametrize("fmt", ["json", "table"])
def test_bad_input_is_exit_2_one_line_and_nothing_on_stdout(capsys, argv, names, place, fmt):
    if argv[:1] == ["screen"] and len(argv) > 1:
        argv = [*argv, "--format", fmt]
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert out == "", "nothing half-written on stdout"
    assert len(err.splitlines()) == 1, err
    assert "Traceback" not in err
    assert names in err
    if place:
        assert place in err


def test_bad_patient_among_good_ones_is_skipped(capsys, tmp_path):
    shutil.copy(EXAMPLES / "case_report_sezary.json", tmp_path / "a.json")
    shutil.copy(PATIENTS / "bad_not_json.json", tmp_path / "b.json")
    rc, out, err = run(capsys, "screen", tmp_path, "--format", "json", "--as-of", AS_OF)
    assert rc == 2
    assert [p["source"] for p in json.loads(out)["patients"]] == [str(tmp_path / "a.json")]
    assert err.splitlines() == [f"elig: {tmp_path / 'b.json'} at line 4, column 3: not valid JSON: Expecting value (skipped)"]


def test_the_same_trial_twice_is_screened_once(capsys):
    one = BUNDLED / "NCT04984356.toml"
    rc, out, err = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", BUNDLED, "--trials", one, "--format", "json", "--as-of", AS_OF)
    assert (rc, err) == (0, "")
    ids = [t["trial_id"] for t in json.loads(out)["patients"][0]["trials"]]
    assert sorted(ids) == sorted(set(ids)) == sorted(t.trial_id for t in engine.load_trials(BUNDLED))


def test_two_different_trials_with_one_id_are_bad_input(capsys, tmp_path):
    other = tmp_path / "other.toml"
    other.write_text((SCREEN / "basic.toml").read_text().replace('id = "SCREEN-BASIC"', 'id = "NCT04984356"'))
    rc, out, err = run(capsys, "screen", EXAMPLES / "case_report_sezary.json", "--trials", BUNDLED, "--trials", other, "--format", "json")
    assert rc == 2
    assert len(err.splitlines()) == 1
    assert str(other) in err and "NCT04984356" in err and "NCT04984356.toml" in err and "(skipped)" in err
    kept = [t for t in json.loads(out)["patients"][0]["trials"] if t["trial_id"] == "NCT04984356"]
    assert [t["source"] for t in kept] == [str(BUNDLED / "NCT04984356.toml")]  # the first is kept


def test_interrupt_is_one_line_not_a_traceback(capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    # `engine.screen` is the function; the module is in sys.modules
    monkeypatch.setattr(sys.modules["engine.screen"], "screen_files", interrupted)
    rc, out, err = run(capsys, "screen", EXAMPLES, "--format", "json")
    assert (rc, out, err) == (130, "", "elig: interrupted\n")


def test_help_exits_0(capsys):
    for argv in (["--help"], ["screen", "--help"], ["parse", "--help"], ["coverage", "--help"]):
        rc, out, err = run(capsys, *argv)
        assert rc == 0 and err == ""
        assert out.startswith("usage: elig")
    _, out, _ = run(capsys, "screen", "--help")
    for option in ("--trials", "--as-of", "--open-world", "--format", "--output"):
        assert option in out


# ====================================================================== elig coverage


def coverage_json(capsys, *paths) -> dict:
    rc, out, err = run(capsys, "coverage", *paths, "--format", "json")
    assert (rc, err) == (0, "")
    report = json.loads(out)
    assert set(report) == COVERAGE_KEYS
    assert report["structured"] + report["partial"] + report["unparsed"] + report["errors"] == report["criteria"]
    assert all(isinstance(report[k], int) for k in COVERAGE_KEYS - {"seconds"})
    assert isinstance(report["seconds"], (int, float)) and report["seconds"] >= 0
    return report


def test_coverage_of_the_bundled_trials(capsys):
    report = coverage_json(capsys, BUNDLED)
    assert report["errors"] == 0
    assert report["trials"] == len(engine.load_trials(BUNDLED))
    assert report["criteria"] > 0


def test_coverage_counts_every_criterion_and_sub_item(capsys):
    """basic.toml: five top-level criteria, one with two sub-items; the structured age and
    sex lines are not parsed text and are not counted."""
    report = coverage_json(capsys, SCREEN / "basic.toml")
    assert (report["trials"], report["criteria"], report["errors"]) == (1, 7, 0)


def test_coverage_of_several_paths(capsys):
    one = coverage_json(capsys, BUNDLED)
    two = coverage_json(capsys, BUNDLED / "NCT04984356.toml", BUNDLED / "NCT07339332.toml", BUNDLED / "NCT06709469.toml")
    assert {k: v for k, v in one.items() if k != "seconds"} == {k: v for k, v in two.items() if k != "seconds"}


def test_coverage_text_format(capsys):
    rc, out, err = run(capsys, "coverage", BUNDLED)
    assert (rc, err) == (0, "")
    for key in ("trials", "criteria", "structured", "partial", "unparsed", "errors", "seconds"):
        assert key in out


def test_coverage_of_the_corpus_has_no_errors(capsys, shared_data):
    corpus = shared_data / "corpus"
    if not corpus.is_dir():
        pytest.skip("no corpus/ in ../shared/data")
    report = coverage_json(capsys, corpus)
    assert report["errors"] == 0
    assert report["trials"] > 1000


# ====================================================================== as a user runs it


def test_console_script_screens(tmp_path):
    proc = subprocess.run(
        [*elig(), "screen", str(EXAMPLES / "case_report_sezary.json"), "--format", "json", "--as-of", AS_OF],
        capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    check_shape(json.loads(proc.stdout))


def test_console_script_bad_input(tmp_path):
    proc = subprocess.run(
        [*elig(), "screen", str(PATIENTS / "bad_not_bundle.json"), "--format", "json"],
        capture_output=True, text=True, encoding="utf-8", cwd=tmp_path, timeout=120,
    )
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "bad_not_bundle.json" in proc.stderr


def test_module_runs_as_a_script_and_writes_utf8_whatever_the_locale(tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(
        [sys.executable, "-m", "engine.cli", "parse", "ANC ≥ 500/µL", "--format", "json"],
        capture_output=True, cwd=tmp_path, env=env, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    record = json.loads(proc.stdout.decode("utf-8"))
    assert record["text"] == "ANC ≥ 500/µL"
    proc = subprocess.run([sys.executable, "-m", "engine.cli", "--help"], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0 and proc.stdout.startswith("usage: elig")


# ====================================================================== issue 6: additions


def test_screen_json_adds_summary_and_collect_next_per_patient(capsys):
    """CONTRACT.md's fields stay as they are; each patient gains `summary` and `collect_next`."""
    rc, out, _ = run(capsys, "screen", EXAMPLES, "--format", "json", "--as-of", AS_OF)
    assert rc == 0
    for patient in json.loads(out)["patients"]:
        assert {"patient_id", "trials", "summary", "collect_next"} <= set(patient)
        assert set(patient["summary"]) == {"age", "sex", "birth_date", "labs", "deceased"}
        for lab in patient["summary"]["labs"]:
            assert set(lab) == {"name", "value", "unit", "text", "date"} and lab["date"] <= AS_OF
        for item in patient["collect_next"]:
            assert set(item) == {"item", "decides", "decides_trials", "settles", "needed_by", "trials"}
            assert item["decides"] == len(item["decides_trials"]) <= item["needed_by"] == len(item["trials"])


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "NCT04984356", "1"],
        ["explain", "NCT04984356", "--patient", EXAMPLES / "case_report_sezary.json"],
        ["explain", "NCT04984356", "1", "--patient", ROOT / "no-such-patient.json"],
        ["explain", "NCT04984356", "1", "--patient", EXAMPLES / "case_report_sezary.json", "--format", "xml"],
    ],
    ids=["no-patient", "no-number", "missing-patient", "unknown-format"],
)
def test_explain_usage_and_input_errors_are_exit_2_one_line(capsys, argv):
    rc, out, err = run(capsys, *argv)
    assert rc == 2 and out == ""
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_an_internal_error_is_one_line_and_exit_status_3(capsys, monkeypatch, tmp_path):
    """A bug of elig's (here: evaluation raising) is not bad input and not a traceback."""
    import importlib

    screening = importlib.import_module("engine.screen")

    def boom(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(screening, "screen_trial", boom)
    monkeypatch.delenv("ELIG_DEBUG", raising=False)
    out_file = tmp_path / "out.json"
    rc, out, err = run(capsys, "screen", EXAMPLES, "--format", "json", "--as-of", AS_OF, "--output", out_file)
    assert rc == 3
    assert err.count("\n") == 1 and "internal error (ValueError: boom)" in err and "Traceback" not in err
    assert not out_file.exists()
    monkeypatch.setenv("ELIG_DEBUG", "1")
    with pytest.raises(ValueError):
        main(["screen", str(EXAMPLES), "--as-of", AS_OF])
