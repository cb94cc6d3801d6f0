"""openapi.yaml is a valid OpenAPI 3.1 document and describes exactly what the router serves."""

from __future__ import annotations

import subprocess
from collections import Counter

import pytest
from jsonschema_path import SchemaPath
from openapi_spec_validator import OpenAPIV31SpecValidator

from openapi_support import (
    PROBLEM_JSON,
    load_spec,
    openapi_path,
    operations,
    required_env,
    resolve,
)


def fail_listing(title: str, items) -> None:
    """Fails the test with TITLE and one line per item (no traceback: the list says it all)."""
    pytest.fail(title + "\n" + "\n".join(f"  - {item}" for item in items), pytrace=False)


@pytest.fixture(scope="module")
def loaded():
    return load_spec(openapi_path())


@pytest.fixture(scope="module")
def spec(loaded):
    return loaded[0]


def _describe(error) -> str:
    """One line for a validation error: where it is, then what is wrong."""
    where = "/".join(str(part) for part in getattr(error, "absolute_path", ())) or "(document)"
    lines = str(getattr(error, "message", error)).strip().splitlines() or ["?"]
    return f"{where}: {lines[0]}"


def test_document_is_valid_openapi_3_1(loaded):
    spec, base_uri = loaded
    version = str(spec.get("openapi", ""))
    assert version.startswith("3.1."), f"openapi: {version!r}, expected 3.1.x"

    validator = OpenAPIV31SpecValidator(SchemaPath.from_dict(spec, base_uri=base_uri))
    errors = [_describe(error) for error in validator.iter_errors()]
    if errors:
        fail_listing(f"{openapi_path().name} is not a valid OpenAPI 3.1 document:", errors)


def test_every_operation_has_a_unique_operation_id(spec):
    missing = [op.label for op in operations(spec) if not op.definition.get("operationId")]
    if missing:
        fail_listing("operations without an operationId:", missing)

    counts = Counter(op.definition["operationId"] for op in operations(spec))
    duplicated = sorted(name for name, count in counts.items() if count > 1)
    if duplicated:
        fail_listing("operationIds used by more than one operation:", duplicated)


def _is_error_status(code: object) -> bool:
    text = str(code).upper()
    return text == "DEFAULT" or text in ("4XX", "5XX") or (text.isdigit() and int(text) >= 400)


def test_every_operation_documents_a_problem_json_error(spec):
    undocumented = []
    for op in operations(spec):
        responses = resolve(spec, op.definition.get("responses") or {})
        documented = any(
            _is_error_status(code)
            and PROBLEM_JSON in (resolve(spec, response).get("content") or {})
            for code, response in responses.items()
        )
        if not documented:
            undocumented.append(op.label)
    if undocumented:
        fail_listing(f"operations with no 4xx, 5xx or default response of type {PROBLEM_JSON}:", undocumented)


def _router_routes(binary: str) -> set[str]:
    result = subprocess.run(
        [binary, "routes"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"`{binary} routes` exited with {result.returncode}:\n{result.stdout}\n{result.stderr}",
            pytrace=False,
        )
    routes = set()
    malformed = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2 or not parts[0].isalpha() or not parts[1].startswith("/"):
            malformed.append(line)
            continue
        routes.add(f"{parts[0].upper()} {parts[1]}")
    if malformed:
        fail_listing("`ttdn routes` printed lines that are not 'METHOD /path':", malformed)
    if not routes:
        pytest.fail("`ttdn routes` printed no route", pytrace=False)
    return routes


def test_router_serves_exactly_the_operations_of_the_spec(spec):
    served = _router_routes(required_env("TTDN_BIN"))
    documented = {op.label for op in operations(spec)}

    only_in_spec = sorted(documented - served)
    only_in_router = sorted(served - documented)
    report = ["the router (`ttdn routes`) and openapi.yaml disagree"]
    if only_in_spec:
        report.append("in openapi.yaml but not served by the router:")
        report.extend(f"  - {label}" for label in only_in_spec)
    if only_in_router:
        report.append("served by the router but not in openapi.yaml:")
        report.extend(f"  - {label}" for label in only_in_router)
    if only_in_spec or only_in_router:
        pytest.fail("\n".join(report), pytrace=False)
