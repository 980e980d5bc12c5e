"""`elig explain TRIAL N --patient P`: one criterion's tree, each node's truth and reasons."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from engine.explain import explain
from engine.cli import main
from engine.patients import load_patient
from engine.report import numbered
from engine.screen import screen
from engine.trials import load_trials, rules_dir

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
SCREEN = ROOT / "tests" / "fixtures" / "screen"
AS_OF = date(2026, 6, 1)
TRUTH_TO_STATUS = {
    ("inclusion", "true"): "pass",
    ("inclusion", "false"): "fail",
    ("exclusion", "true"): "fail",
    ("exclusion", "false"): "pass",
}


def run(capsys, *argv) -> tuple[int, str, str]:
    try:
        rc = main([str(a) for a in argv])
    except SystemExit as exc:
        rc = exc.code
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.mark.parametrize("patient_file", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.stem)
def test_explain_agrees_with_screen_on_every_criterion(patient_file):
    """For every criterion and sub-item of every bundled trial: the status explain gives is
    the one screen gives, and the root of its tree has the truth that status comes from."""
    patient = load_patient(patient_file)
    trials = load_trials(rules_dir() / "trials")
    screened = {t.trial_id: t for t in screen([patient], trials, as_of=AS_OF).patients[0].trials}
    checked = 0
    for trial in trials:
        for number, _, result in numbered(screened[trial.trial_id].criteria):
            out = explain(trial, number, patient, as_of=AS_OF)
            assert (out["status"], out["text"], out["section"]) == (result.status, result.text, result.section)
            if out["tree"] is not None:
                expected = TRUTH_TO_STATUS.get((out["section"], out["tree"]["truth"]), "unknown")
                assert expected == result.status, (trial.trial_id, number)
            checked += 1
    assert checked > 50


def test_text_shows_the_tree_with_each_node_and_its_reasons(capsys):
    rc, out, err = run(capsys, "explain", "SCREEN-BASIC", "4", "--patient", EXAMPLES / "case_report_sezary.json", "--trials", SCREEN / "basic.toml", "--as-of", AS_OF)
    assert (rc, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "SCREEN-BASIC criterion 4 (inclusion), patient case-report-sezary, as of 2026-06-01"
    assert "At least one of the following:" in lines[1]
    assert any(line.startswith("✔ true    any of: ") for line in lines)
    assert any(line.startswith("    ✔ true    platelet count >= 100000 /mm3") for line in lines), out
    assert "platelet count 182 10^3/uL (2026-05-26)" in out


def test_json_is_the_tree(capsys):
    rc, out, _ = run(capsys, "explain", "SCREEN-BASIC", "4.2", "--patient", EXAMPLES / "case_report_sezary.json", "--trials", SCREEN / "basic.toml", "--as-of", AS_OF, "--format", "json")
    assert rc == 0
    report = json.loads(out)
    assert {k: report[k] for k in ("trial_id", "criterion", "section", "text", "status")} == {
        "trial_id": "SCREEN-BASIC", "criterion": "4.2", "section": "inclusion", "text": "Creatinine <= 1.5 mg/dL", "status": "pass",
    }
    tree = report["tree"]
    assert set(tree) == {"kind", "label", "truth", "reasons", "missing", "children"}
    assert (tree["kind"], tree["truth"]) == ("comparison", "true")
    assert tree["reasons"][0].startswith("serum creatinine 0.98 mg/dL (2026-05-26)")


def test_an_exclusion_node_shows_the_predicate_truth(capsys):
    rc, out, _ = run(capsys, "explain", "SCREEN-BASIC", "5", "--patient", EXAMPLES / "case_report_sezary.json", "--trials", SCREEN / "basic.toml", "--as-of", AS_OF, "--format", "json")
    report = json.loads(out)
    assert (report["section"], report["status"], report["tree"]["truth"]) == ("exclusion", "pass", "false")


@pytest.mark.parametrize(
    ("trial", "number", "message"),
    [
        ("NOPE", "1", "no trial 'NOPE'"),
        ("SCREEN-BASIC", "0", "criteria are numbered 1 to 6"),
        ("SCREEN-BASIC", "7", "criteria are numbered 1 to 6"),
        ("SCREEN-BASIC", "x", "criteria are numbered 1 to 6"),
        ("SCREEN-BASIC", "4.3", "criterion 4 has sub-items 4.1 to 4.2"),
        ("SCREEN-BASIC", "2.1", "criterion 2 has no sub-items"),
    ],
)
def test_bad_trial_or_number_is_exit_2_and_one_line(capsys, trial, number, message):
    rc, out, err = run(capsys, "explain", trial, number, "--patient", EXAMPLES / "case_report_sezary.json", "--trials", SCREEN / "basic.toml", "--as-of", AS_OF)
    assert rc == 2 and out == ""
    assert len(err.splitlines()) == 1 and message in err and "Traceback" not in err


def test_explain_takes_one_patient(capsys):
    rc, out, err = run(capsys, "explain", "NCT04984356", "1", "--patient", EXAMPLES)
    assert rc == 2 and out == ""
    assert err.startswith(f"elig: {EXAMPLES}: holds 4 patients") and len(err.splitlines()) == 1


def test_trial_id_defaults_to_the_bundled_library_and_ignores_case(capsys):
    rc, out, _ = run(capsys, "explain", "nct04984356", "1", "--patient", EXAMPLES / "case_report_sezary.json", "--as-of", AS_OF)
    assert rc == 0
    assert out.startswith("NCT04984356 criterion 1 (inclusion)") and "Minimum age: 12 Years" in out
