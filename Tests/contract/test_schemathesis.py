"""Every response of the running server matches openapi.yaml (schemathesis, all phases and checks).

The run is reproducible: a fixed seed, one worker, no example database and no cache of
earlier runs (see schemathesis.toml at the repository root). TTDN_SCHEMATHESIS_MAX_EXAMPLES
and TTDN_SCHEMATHESIS_TIMEOUT (seconds) change its size and its time limit.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from openapi_support import REPO_ROOT, base_path, load_spec, openapi_path, required_env

SEED = 20230104
MAX_EXAMPLES = int(os.environ.get("TTDN_SCHEMATHESIS_MAX_EXAMPLES", "30"))
TIMEOUT_SECONDS = int(os.environ.get("TTDN_SCHEMATHESIS_TIMEOUT", "1800"))
REQUEST_TIMEOUT_SECONDS = 30  # imports of 1,000 rows on a busy 2-core machine


def schemathesis_command(spec_file, base_url: str, token: str, report_dir) -> list[str]:
    return [
        sys.executable, "-m", "schemathesis.cli",
        "--config-file", str(REPO_ROOT / "schemathesis.toml"),
        "run", str(spec_file),
        "--url", base_url,
        "--header", f"Authorization: Bearer {token}",
        "--phases", "examples,coverage,fuzzing,stateful",
        "--checks", "all",
        "--mode", "all",
        "--seed", str(SEED),
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-database", "none",
        "--workers", "1",
        "--request-timeout", str(REQUEST_TIMEOUT_SECONDS),
        "--report", "junit",
        "--report-dir", str(report_dir),
        "--no-color",
    ]  # fmt: skip


def test_server_conforms_to_openapi(tmp_path):
    server = required_env("TTDN_BASE_URL").rstrip("/")
    token = required_env("TTDN_ADMIN_TOKEN")
    spec_file = openapi_path()
    spec, _ = load_spec(spec_file)

    command = schemathesis_command(spec_file, server + base_path(spec), token, tmp_path / "report")
    try:
        # Run in tmp_path so that nothing schemathesis or hypothesis writes lands in the checkout.
        result = subprocess.run(
            command,
            cwd=tmp_path,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as timeout:
        output = timeout.output or ""
        if isinstance(output, bytes):
            output = output.decode(errors="replace")
        pytest.fail(f"schemathesis did not finish in {TIMEOUT_SECONDS}s:\n{output}", pytrace=False)

    shown = " ".join(command).replace(token, "***")
    if result.returncode != 0:
        pytest.fail(
            f"schemathesis exited with {result.returncode}\n$ {shown}\n\n{result.stdout}",
            pytrace=False,
        )
