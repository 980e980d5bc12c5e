from __future__ import annotations

import json

import pytest

from engine.cli import parse_record
from engine.schema import schema_path, schema_text


def test_published_predicate_schema_is_current():
    assert schema_path().read_text(encoding="utf-8") == schema_text(), "run `python -m engine.schema`"


@pytest.mark.parametrize(
    "text",
    [
        "ANC >= 500/uL unless, in the opinion of the investigator, cytopenia is due to leukemia",
        "Lansky (age <16 years) or Karnofsky (age >=16 years) score of 50 or greater",
        "No history of myocardial infarction within 6 months",
        "HIV, hepatitis B, hepatitis C",
    ],
)
def test_parse_output_validates_against_the_published_schema(text):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    jsonschema.validate(parse_record(text)["predicate"], schema)
