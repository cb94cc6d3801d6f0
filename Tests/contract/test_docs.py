"""The documentation page, as a person's browser shows it: /docs in headless Chromium lists the
operations of the contract the server serves at /openapi.json, with no network but the server."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile

import requests
import yaml

from openapi_support import openapi_path, required_env


def _url(path: str) -> str:
    return required_env("TTDN_BASE_URL").rstrip("/") + path


def test_the_contract_is_served_as_yaml_and_as_the_same_json():
    served_yaml = requests.get(_url("/openapi.yaml"), timeout=10)
    assert served_yaml.status_code == 200
    assert served_yaml.headers["Content-Type"].startswith("application/yaml")
    assert served_yaml.content == openapi_path().read_bytes()
    served_json = requests.get(_url("/openapi.json"), timeout=10)
    assert served_json.status_code == 200
    assert served_json.json() == json.loads(json.dumps(yaml.safe_load(openapi_path().read_text()), default=str))
    again = requests.get(_url("/openapi.json"), headers={"If-None-Match": served_json.headers["ETag"]}, timeout=10)
    assert again.status_code == 304


def test_the_docs_page_lists_every_operation_in_headless_chromium():
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "chromium is not installed (scripts/test.sh installs it)"
    spec = yaml.safe_load(openapi_path().read_text())
    operation_ids = [op["operationId"] for item in spec["paths"].values() for op in item.values() if isinstance(op, dict) and "operationId" in op]
    with tempfile.TemporaryDirectory() as profile:
        result = subprocess.run(
            # A tall window: Swagger UI renders long lists of operations as they scroll into view.
            [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", f"--user-data-dir={profile}",
             f"--window-size=1280,{max(20000, 150 * len(operation_ids))}",
             "--virtual-time-budget=20000", "--dump-dom", _url("/docs")],
            capture_output=True, text=True, timeout=120, check=False)
    dom = result.stdout
    assert "swagger-ui" in dom, result.stderr[-2000:]
    missing = [operation for operation in operation_ids if f">{operation}<" not in dom]
    assert not missing, f"{len(missing)} of {len(operation_ids)} operations not on the page, e.g. {missing[:5]}"
    assert "Authorize" in dom
