"""The library as CONTRACT.md states it: what `import engine` gives, and that its results
are the CLI's JSON. Also runs every doctest in the package (STYLE.md: doctests run)."""

from __future__ import annotations

import doctest
import importlib
import io
import json
import pkgutil
import sys
from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel

import engine
from engine.cli import main
from engine.nodes import strip_spans
from engine.trials import rules_dir

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
PATIENTS = ROOT / "tests" / "fixtures" / "patients"
SCREEN = ROOT / "tests" / "fixtures" / "screen"
BUNDLED = rules_dir() / "trials"
AS_OF = date(2026, 6, 1)


def cli_json(*argv) -> dict:
    buf = io.StringIO()
    saved, sys.stdout = sys.stdout, buf
    try:
        rc = main([str(a) for a in argv])
    finally:
        sys.stdout = saved
    assert rc == 0
    return json.loads(buf.getvalue())


# ---------------------------------------------------------------- the names


@pytest.mark.parametrize(
    "name",
    ["load_trials", "load_patient", "parse", "evaluate", "screen", "render", "Truth", "Outcome", "CriteriaError", "Predicate"],
)
def test_import_engine_gives(name):
    assert hasattr(engine, name)
    assert name in engine.__all__


def test_all_names_exist():
    for name in engine.__all__:
        assert getattr(engine, name) is not None, name


def test_errors_share_one_base():
    assert issubclass(engine.CriteriaError, engine.EligError)
    assert issubclass(engine.InputError, engine.EligError)
    assert issubclass(engine.UnitError, engine.EligError)


# ---------------------------------------------------------------- loading


def test_load_patient_from_a_path_or_a_dict():
    path = EXAMPLES / "case_report_sezary.json"
    from_path = engine.load_patient(path)
    from_str = engine.load_patient(str(path))
    from_dict = engine.load_patient(json.loads(path.read_text(encoding="utf-8")))
    assert from_path.id == from_dict.id == "case-report-sezary"
    assert from_path.model_dump(exclude={"source"}) == from_dict.model_dump(exclude={"source"})
    assert from_path == from_str
    assert isinstance(from_path, BaseModel)


def test_load_patient_own_format_dict():
    p = engine.load_patient({"id": "x", "birth_date": "1990-08-21", "sex": "female"})
    assert (p.id, p.birth_date, p.sex) == ("x", date(1990, 8, 21), "female")


def test_load_patient_bad_input_is_an_input_error():
    with pytest.raises(engine.InputError) as info:
        engine.load_patient(PATIENTS / "bad_not_bundle.json")
    assert "bad_not_bundle.json" in str(info.value)
    with pytest.raises(engine.InputError):
        engine.load_patient({"id": "x", "sex": "feminine"})


def test_load_trials_file_and_directory():
    folder = engine.load_trials(BUNDLED)
    assert len(folder) >= 3
    assert all(isinstance(t, BaseModel) and t.trial_id and t.title for t in folder)
    [one] = engine.load_trials(BUNDLED / "NCT04984356.toml")
    assert one.trial_id == "NCT04984356"
    assert one in folder
    assert engine.load_trials(str(BUNDLED)) == folder


# ---------------------------------------------------------------- parse, render, evaluate


def test_parse_gives_a_pydantic_predicate():
    tree = engine.parse("ANC >= 500/uL")
    assert isinstance(tree, BaseModel)
    assert tree.kind == "comparison"
    assert tree.model_dump(mode="json")["threshold"] == {"value": "500", "unit": "/uL", "relative_to": None}


def test_parse_empty_text_is_a_criteria_error():
    with pytest.raises(engine.CriteriaError):
        engine.parse("")


def test_render_parses_back_to_the_same_tree():
    for text in ("ANC >= 500/uL", "age 18 to 65 years", "HIV infection, hepatitis B, hepatitis C", "History of myocardial infarction"):
        tree = engine.parse(text)
        assert strip_spans(engine.parse(engine.render(tree))) == strip_spans(tree)


def test_parse_json_of_the_cli_is_the_predicate_model_dump(capsys):
    rc = main(["parse", "ANC >= 500/uL", "--format", "json"])
    assert rc == 0
    record = json.loads(capsys.readouterr().out)
    assert record["predicate"] == engine.parse("ANC >= 500/uL").model_dump(mode="json")
    assert record["canonical"] == engine.render(engine.parse("ANC >= 500/uL"))


def test_evaluate_gives_an_outcome_with_a_truth():
    p = engine.load_patient(
        {"id": "p", "observations": [{"name": "ANC", "loinc": "751-8", "value": 2000, "unit": "/uL", "date": "2026-05-20"}]}
    )
    out = engine.evaluate(engine.parse("ANC >= 500/uL"), p, as_of=AS_OF)
    assert isinstance(out, engine.Outcome)
    assert out.truth is engine.Truth.TRUE
    assert out.reasons
    low = engine.evaluate(engine.parse("ANC >= 5000/uL"), p, as_of=AS_OF)
    assert low.truth is engine.Truth.FALSE
    none = engine.evaluate(engine.parse("hemoglobin >= 9 g/dL"), p, as_of=AS_OF)
    assert none.truth is engine.Truth.UNKNOWN and none.missing
    assert json.loads(out.model_dump_json())["truth"] == "true"


def test_evaluate_open_world():
    p = engine.load_patient({"id": "p"})
    mi = engine.parse("myocardial infarction")
    assert engine.evaluate(mi, p, as_of=AS_OF).truth is engine.Truth.FALSE
    assert engine.evaluate(mi, p, as_of=AS_OF, open_world=True).truth is engine.Truth.UNKNOWN


def test_truth_is_kleene_and_never_a_bool():
    T, U, F = engine.Truth.TRUE, engine.Truth.UNKNOWN, engine.Truth.FALSE
    assert (F & U, U & T, T & T) == (F, U, T)
    assert (T | U, U | F, F | F) == (T, U, F)
    assert (~T, ~U, ~F) == (F, U, T)
    with pytest.raises(TypeError):
        bool(U)


# ---------------------------------------------------------------- screen = the CLI's JSON


@pytest.mark.parametrize("open_world", [False, True])
def test_screen_model_dump_is_the_cli_json(open_world):
    patients = [engine.load_patient(p) for p in sorted(EXAMPLES.glob("*.json"))]
    trials = engine.load_trials(BUNDLED)
    result = engine.screen(patients, trials, as_of=AS_OF, open_world=open_world)
    assert isinstance(result, engine.ScreenResult)
    argv = ["screen", EXAMPLES, "--format", "json", "--as-of", AS_OF.isoformat()]
    if open_world:
        argv.append("--open-world")
    assert result.model_dump(mode="json") == cli_json(*argv)


def test_screen_model_dump_with_other_trials_is_the_cli_json():
    patient = engine.load_patient(PATIENTS / "own_valid.json")
    trials = engine.load_trials(SCREEN / "basic.toml") + engine.load_trials(SCREEN / "following.toml")
    result = engine.screen([patient], trials, as_of=AS_OF)
    expected = cli_json(
        "screen", PATIENTS / "own_valid.json", "--trials", SCREEN / "basic.toml", "--trials", SCREEN / "following.toml",
        "--format", "json", "--as-of", AS_OF.isoformat(),
    )
    assert result.model_dump(mode="json") == expected


def test_screen_result_json_round_trips():
    result = engine.screen([engine.load_patient(EXAMPLES / "case_report_sezary.json")], engine.load_trials(BUNDLED), as_of=AS_OF)
    again = engine.ScreenResult.model_validate_json(result.model_dump_json())
    assert again == result


# ---------------------------------------------------------------- doctests


def engine_modules() -> list[str]:
    names = ["engine"]
    names += [f"engine.{m.name}" for m in pkgutil.iter_modules(engine.__path__) if not m.name.startswith("_")]
    return sorted(names)


@pytest.mark.parametrize("name", engine_modules())
def test_doctests(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False, report=True)
    assert result.failed == 0, f"{result.failed} of {result.attempted} doctests failed in {name}"


def test_there_are_doctests():
    attempted = 0
    for name in engine_modules():
        finder = doctest.DocTestFinder()
        attempted += sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
    assert attempted >= 20
