"""A standard client generator takes the whole contract: openapi-python-client generates every
operation without a warning, and the generated package talks to the running server."""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

from openapi_support import load_spec, openapi_path, required_env

# The generator knows JSON, multipart and octet-stream bodies; the files, CSV, YAML and pages
# ttdn also exchanges are bytes to it, which is what they are.
CONFIG = """
project_name_override: ttdn-client
package_name_override: ttdn_client
content_type_overrides:
""" + "".join(
    f"  {media}: application/octet-stream\n"
    for media in [
        "application/pdf", "image/jpeg", "image/png", "application/vnd.oasis.opendocument.text",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/yaml", "text/csv", "text/html", "text/javascript", "text/css", "text/plain", "text/calendar",
    ]
)


def test_openapi_python_client_generates_every_operation_and_it_works(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(CONFIG)
    bin_dir = Path(sys.executable).parent
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    result = subprocess.run(
        [str(bin_dir / "openapi-python-client"), "generate", "--path", str(openapi_path()), "--config", str(config),
         "--meta", "none", "--output-path", str(tmp_path / "ttdn_client")],
        capture_output=True, text=True, env=env, timeout=600, check=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "Warning" not in output and "WARNING" not in output, output

    spec, _ = load_spec(openapi_path())
    operations = [op for item in spec["paths"].values() for op in item.values() if isinstance(op, dict) and "operationId" in op]
    generated = [path for path in (tmp_path / "ttdn_client" / "api").rglob("*.py") if "def sync_detailed(" in path.read_text()]
    assert len(generated) == len(operations)

    sys.path.insert(0, str(tmp_path))
    try:
        client_module = importlib.import_module("ttdn_client")
        list_units = importlib.import_module("ttdn_client.api.units.list_units")
        client = client_module.AuthenticatedClient(base_url=required_env("TTDN_BASE_URL"), token=required_env("TTDN_ADMIN_TOKEN"))
        page = list_units.sync(client=client, limit=5)
        assert page is not None and len(page.items) == 5
        assert all(re.fullmatch(r"[0-9a-f-]{36}", str(unit.id)) for unit in page.items)
    finally:
        sys.path.remove(str(tmp_path))
