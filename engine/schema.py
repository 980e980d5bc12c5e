"""The published JSON Schema of the predicate tree (rules/schema/predicate.schema.json).

Regenerate after changing engine/nodes.py: `python -m engine.schema`; a test keeps the
published file equal to what the models say.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import TypeAdapter

from engine.nodes import Predicate


def predicate_schema() -> dict:
    schema = TypeAdapter(Predicate).json_schema(mode="serialization")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "elig predicate tree"
    schema["description"] = "A criterion as a typed predicate tree: the `predicate` field of `elig parse --format json`."
    return schema


def schema_path() -> Path:
    from engine.trials import rules_dir

    return rules_dir() / "schema" / "predicate.schema.json"


def schema_text() -> str:
    return json.dumps(predicate_schema(), indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # pragma: no cover
    schema_path().write_text(schema_text(), encoding="utf-8")
    print(schema_path())
