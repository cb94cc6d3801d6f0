"""Helpers of the contract suite: reading openapi.yaml and the test environment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from openapi_spec_validator.readers import read_from_filename

REPO_ROOT = Path(__file__).resolve().parents[2]

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM_JSON = "application/problem+json"


def required_env(name: str) -> str:
    """The value of environment variable NAME; fails the test when it is not set."""
    value = os.environ.get(name, "").strip()
    if not value:
        pytest.fail(
            f"{name} is not set: run the contract suite through scripts/test.sh (make test)",
            pytrace=False,
        )
    return value


def openapi_path() -> Path:
    return Path(os.environ.get("TTDN_OPENAPI") or REPO_ROOT / "openapi.yaml").resolve()


def load_spec(path: Path) -> tuple[dict[str, Any], str]:
    """The OpenAPI document at PATH and its base URI.

    It is read the way openapi-spec-validator reads it: YAML timestamps stay strings.
    """
    if not path.is_file():
        pytest.fail(f"no OpenAPI document at {path}", pytrace=False)
    spec, base_uri = read_from_filename(str(path))
    if not isinstance(spec, dict):
        pytest.fail(f"{path} is not a YAML mapping", pytrace=False)
    return spec, base_uri


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """NODE with local references ("#/components/...") followed, however deep."""
    seen: set[str] = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            raise ValueError(f"only local references are supported, not {ref!r}")
        if ref in seen:
            raise ValueError(f"reference cycle through {ref}")
        seen.add(ref)
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def base_path(spec: dict[str, Any]) -> str:
    """The path part of the first server URL ("" for "/", no servers, or a bare origin)."""
    servers = spec.get("servers") or [{"url": "/"}]
    return urlparse(str(servers[0].get("url", "/"))).path.rstrip("/")


@dataclass(frozen=True)
class Operation:
    method: str  # upper case, e.g. "GET"
    path: str  # as served, the servers' base path included, e.g. "/v1/units/{id}"
    definition: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def operations(spec: dict[str, Any]) -> Iterator[Operation]:
    """Every operation of the document, in document order."""
    prefix = base_path(spec)
    for path, item in (spec.get("paths") or {}).items():
        item = resolve(spec, item)
        for method in HTTP_METHODS:
            if method in item:
                yield Operation(method.upper(), prefix + str(path), item[method])
