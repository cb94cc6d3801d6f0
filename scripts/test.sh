#!/usr/bin/env bash
# Runs every test of the project (`make test`; CI's .ci/run runs `make test`).
#
# Stages, each run even when an earlier one failed:
#   format        swift format lint --strict (the .swift-format configuration)
#   swift build   swift build --build-tests
#   swift test    PQTests and TTDNTests, against a throwaway PostgreSQL cluster
#   contract      Tests/contract (pytest): openapi.yaml against the router, and
#                 schemathesis against a running `ttdn serve`
# It prints one summary line per stage and exits non-zero when any stage failed.
#
# Arguments go to `swift test`, e.g. `scripts/test.sh --filter PQTests`.
# For quick local runs: TTDN_SKIP_SWIFT_TESTS=1 or TTDN_SKIP_CONTRACT=1 skips that stage.
#
# The Swift tests get:
#   TTDN_TEST_DATABASE_URL  postgresql://postgres@127.0.0.1:PORT/postgres, a superuser
#                           connection to the throwaway cluster; tests create their own
#                           databases through it
#   TTDN_TEST_PGCTL         an executable that controls that cluster, for tests of
#                           reconnection: start | stop [smart|fast|immediate] |
#                           restart [smart|fast|immediate] | status; start and restart
#                           return once the server accepts connections
set -euo pipefail

# shellcheck source=scripts/lib/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pg.sh"
cd "${TTDN_ROOT}"

readonly VENV="${TTDN_ROOT}/.venv"
readonly REQUIREMENTS="Tests/contract/requirements.txt"
readonly READY_TIMEOUT_SECONDS=60
readonly STOP_TIMEOUT_SECONDS=20
readonly LOG_TAIL_LINES=100

# The tests must reach only the throwaway cluster, never a database named by the caller.
unset DATABASE_URL PGSERVICE PGSSLMODE PGOPTIONS PGTARGETSESSIONATTRS

work=""       # temporary folder: the cluster, its control script, the server's log
server_pid="" # the `ttdn serve` of the contract stage, while it runs
pg_port=""

# ---------------------------------------------------------------------------
# Cleanup, on every exit
# ---------------------------------------------------------------------------

# Stops the server of the contract stage (SIGTERM, then SIGKILL after STOP_TIMEOUT_SECONDS).
stop_server() {
    [[ -n "${server_pid}" ]] || return 0
    local pid="${server_pid}" deadline status=0
    server_pid=""
    if kill -0 "${pid}" 2>/dev/null; then
        kill -TERM "${pid}" 2>/dev/null || true
        deadline=$((SECONDS + STOP_TIMEOUT_SECONDS))
        while kill -0 "${pid}" 2>/dev/null && ((SECONDS < deadline)); do
            sleep 0.1
        done
        if kill -0 "${pid}" 2>/dev/null; then
            warn "ttdn serve did not stop within ${STOP_TIMEOUT_SECONDS}s of SIGTERM; killing it"
            kill -KILL "${pid}" 2>/dev/null || true
        fi
    else
        warn "ttdn serve had already exited"
    fi
    wait "${pid}" 2>/dev/null || status=$?
    if ((status != 0 && status != 143)); then
        warn "ttdn serve exited with status ${status}"
    fi
}

cleanup() {
    local status=$?
    trap - EXIT
    stop_server
    if [[ -n "${work}" ]]; then
        (pg_remove_cluster "${work}/pgdata") >/dev/null 2>&1 \
            || warn "could not remove the test cluster in ${work}/pgdata"
        rm -rf -- "${work}"
    fi
    exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------
# Stages
# ---------------------------------------------------------------------------

declare -a summary=()
any_failed=0

# run_stage NAME COMMAND...: runs COMMAND and records how it went.
run_stage() {
    local name="$1" started="${SECONDS}" status=0
    shift
    printf '\n' >&2
    log "stage: ${name}"
    "$@" || status=$?
    local took=$((SECONDS - started))
    if ((status == 0)); then
        summary+=("$(printf '%-12s passed   (%ss)' "${name}" "${took}")")
    else
        any_failed=1
        summary+=("$(printf '%-12s FAILED   (exit status %s, %ss)' "${name}" "${status}" "${took}")")
    fi
}

skip_stage() {
    summary+=("$(printf '%-12s skipped  (%s)' "$1" "$2")")
}

# Makes .venv hold the contract suite's packages; reinstalls when the requirements change.
ensure_venv() {
    local wanted stamp="${VENV}/.requirements.sha256"
    wanted="$(sha256sum "${REQUIREMENTS}" | cut -d ' ' -f 1)"
    if [[ -x "${VENV}/bin/python" ]] && "${VENV}/bin/python" -c '' 2>/dev/null; then
        if [[ "$(cat "${stamp}" 2>/dev/null || true)" == "${wanted}" ]]; then
            return 0
        fi
    else
        python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
            || { warn "the contract suite needs Python 3.11 or newer"; return 1; }
        log "creating the Python environment .venv"
        rm -rf -- "${VENV}"
        python3 -m venv "${VENV}" || return 1
    fi
    log "installing the contract suite's Python packages (${REQUIREMENTS})"
    "${VENV}/bin/python" -m pip install --quiet --disable-pip-version-check \
        --requirement "${REQUIREMENTS}" || return 1
    printf '%s\n' "${wanted}" >"${stamp}"
}

# Waits until URL answers 200, while the server process still runs.
wait_until_ready() {
    local url="$1"
    "${VENV}/bin/python" - "${url}" "${server_pid}" "${READY_TIMEOUT_SECONDS}" <<'EOF'
import sys, time, urllib.error, urllib.request
from pathlib import Path

url, pid, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])

def running() -> bool:
    try:  # the third field of /proc/PID/stat is the state; Z is a zombie
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False

deadline = time.monotonic() + timeout
last = "no answer"
while time.monotonic() < deadline:
    if not running():
        sys.exit(f"ttdn serve exited before {url} answered ({last})")
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                sys.exit(0)
            last = f"HTTP {response.status}"
    except urllib.error.HTTPError as error:
        last = f"HTTP {error.code}"
    except OSError as error:
        last = str(getattr(error, "reason", error))
    time.sleep(0.25)
sys.exit(f"{url} did not answer 200 within {timeout:.0f}s (last: {last})")
EOF
}

show_server_log() {
    printf -- '---- ttdn serve: last %s lines of its log ----\n' "${LOG_TAIL_LINES}" >&2
    tail -n "${LOG_TAIL_LINES}" -- "${work}/server.log" >&2 || true
    printf -- '---- end of the ttdn serve log ----\n' >&2
}

# The contract suite against a freshly migrated and seeded database. Every step checks
# its own status: `set -e` does not apply inside a function that run_stage tests.
contract_stage() {
    local ttdn db_url token http_port status=0
    ensure_venv || return 1
    # The docs page is checked in a real browser.
    if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
        _apt_install chromium || return 1
    fi
    swift build --product ttdn || return 1
    ttdn="$(swift build --show-bin-path)/ttdn" || return 1

    pg_create_database "${pg_port}" ttdn_contract || return 1
    db_url="postgresql://${PG_SUPERUSER}@127.0.0.1:${pg_port}/ttdn_contract"
    log "migrating and seeding ttdn_contract"
    DATABASE_URL="${db_url}" "${ttdn}" migrate || return 1
    DATABASE_URL="${db_url}" "${ttdn}" seed || return 1
    # `ttdn token create` prints the secret alone on the last line of its output.
    token="$(DATABASE_URL="${db_url}" "${ttdn}" token create --role admin --name contract |
        tail -n 1 | tr -d '[:space:]')" || return 1
    if [[ -z "${token}" ]]; then
        warn "'ttdn token create' printed no token"
        return 1
    fi

    http_port="$(free_port)" || return 1
    log "starting ttdn serve on 127.0.0.1:${http_port}"
    # No rate limit here: schemathesis sends thousands of requests with one token, and a 429 tests nothing.
    TTDN_RATE_LIMIT_RPS=0 DATABASE_URL="${db_url}" "${ttdn}" serve --host 127.0.0.1 --port "${http_port}" \
        </dev/null >"${work}/server.log" 2>&1 &
    server_pid=$!
    if ! wait_until_ready "http://127.0.0.1:${http_port}/readyz"; then
        stop_server
        show_server_log
        return 1
    fi

    log "running the contract suite: pytest -q Tests/contract"
    TTDN_BASE_URL="http://127.0.0.1:${http_port}" \
        TTDN_ADMIN_TOKEN="${token}" \
        TTDN_BIN="${ttdn}" \
        TTDN_OPENAPI="${TTDN_ROOT}/openapi.yaml" \
        DATABASE_URL="${db_url}" \
        PYTHONDONTWRITEBYTECODE=1 \
        "${VENV}/bin/python" -m pytest -q Tests/contract || status=$?

    stop_server
    if ((status != 0)); then
        show_server_log
    fi
    return "${status}"
}

# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

ensure_system_packages
ensure_python_venv
ensure_swift
log "$(swift --version 2>/dev/null | head -n 1)"
log "$("$(pg_bindir)/postgres" --version)"

work="$(mktemp -d "${TMPDIR:-/tmp}/ttdn-test.XXXXXX")"
# The cluster's owner (postgres, when we are root) must be able to enter this folder.
chmod 711 -- "${work}"
pg_start_cluster "${work}/pgdata" "$(free_port)" \
    fsync=off synchronous_commit=off full_page_writes=off
pg_port="${PG_CLUSTER_PORT}"
pg_write_ctl_script "${work}/pgdata" "${pg_port}" "${work}/pgctl"

export TTDN_TEST_DATABASE_URL="postgresql://${PG_SUPERUSER}@127.0.0.1:${pg_port}/postgres"
export TTDN_TEST_PGCTL="${work}/pgctl"
log "TTDN_TEST_DATABASE_URL=${TTDN_TEST_DATABASE_URL}"
log "TTDN_TEST_PGCTL=${TTDN_TEST_PGCTL}"

# The sources are formatted as .swift-format says (`swift format --in-place --recursive Sources Tests`
# fixes what this finds).
run_stage "format" swift format lint --strict --recursive Sources Tests Package.swift

run_stage "swift build" swift build --build-tests

if [[ -n "${TTDN_SKIP_SWIFT_TESTS:-}" ]]; then
    skip_stage "swift test" "TTDN_SKIP_SWIFT_TESTS is set"
else
    run_stage "swift test" swift test "$@"
fi

if [[ -n "${TTDN_SKIP_CONTRACT:-}" ]]; then
    skip_stage "contract" "TTDN_SKIP_CONTRACT is set"
else
    run_stage "contract" contract_stage
fi

printf '\n' >&2
log "summary"
printf '    %s\n' "${summary[@]}"
if ((any_failed)); then
    exit 1
fi
