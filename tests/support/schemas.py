"""The public JSON Schemas of docs/schemas/, as validators that report every problem at once."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[2] / "docs" / "schemas"


@cache
def _registry() -> Registry:
    resources = []
    for path in sorted(SCHEMAS.glob("*.json")):
        schema = json.loads(path.read_text())
        Draft202012Validator.check_schema(schema)   # a broken schema fails here, not silently
        resources.append((schema["$id"], Resource.from_contents(schema)))
    return Registry().with_resources(resources)


def validator(name: str) -> Draft202012Validator:
    """A validator for docs/schemas/<name>.json, with the other schemas it refers to."""
    schema = json.loads((SCHEMAS / f"{name}.json").read_text())
    return Draft202012Validator(schema, registry=_registry(),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def assert_valid(name: str, document) -> None:
    """Fail with every way ``document`` breaks docs/schemas/<name>.json."""
    problems = [f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
                for e in validator(name).iter_errors(document)]
    assert not problems, f"not a valid {name} ({len(problems)} problems):\n" + "\n".join(problems)
