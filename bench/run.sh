#!/usr/bin/env bash
# The ttdn benchmark: one command, a table at the end. Not a test; CI does not run it.
#
#   bash bench/run.sh                    sizes 10,000, 100,000 and 1,000,000 media entries
#   SIZES=10000 bash bench/run.sh        a quick run (about 5 minutes)
#
# For each size: a fresh database (migrate, seed, bench/generate), a viewer and an editor
# token, `ttdn serve`, then
#   * healthz: wrk against GET /healthz, which touches no database (the HTTP layer's ceiling);
#   * W1-W6 (see bench/README.md): wrk -t2 -c64, a warm-up, then RUNS runs of DURATION
#     seconds (median of each figure), a run on one connection (latency without queueing),
#     and pgbench -M prepared -c 8 running the statements ttdn runs for the workload
#     (bench/sql/W*.sql: PostgreSQL's ceiling);
# and prints: req/s, p50, p99, non-2xx responses, ttdn's peak RSS during the workload (VmHWM,
# reset before each), CPU per request of ttdn and of PostgreSQL, pgbench tps, healthz req/s,
# the combined ceiling 1 / (1/healthz + 1/pgbench) and the share of it reached.
#
# It starts its own PostgreSQL cluster (scripts/lib/pg.sh) on a free port and stops
# everything it started when it exits. Traffic stays on 127.0.0.1.
#
# Environment:
#   SIZES            media entries per database (default "10000 100000 1000000")
#   DURATION         seconds per measured wrk run (10)       RUNS        measured runs (3)
#   WARMUP           seconds of warm-up per workload (3)     PGBENCH_SECONDS  (10)
#   SOLO_SECONDS     the run on one connection (5)
#   CONNECTIONS      wrk connections (64)                    PGBENCH_CLIENTS  (8)
#   W3_QUERY         the words W3 searches for (default "hoc bong": học bổng typed plainly)
#   TTDN_POOL_SIZE   the server's pool (default 8)
#   TTDN_BIN         the ttdn executable (default: .build-release/release/ttdn if present,
#                    else .build/debug/ttdn); it is copied first, so a rebuild cannot swap it
#   LOAD_JOBS        parallel sessions loading media entries (2)
#   PG_SETTINGS      extra NAME=VALUE settings for the benchmark's PostgreSQL
#   KEEP_RESULTS     folder for the table and logs (default bench/results/DATE, git-ignored)
#   WORKLOADS        the workloads to run (default "W1 W2 W3 W4 W5 W6 W2c W5c W6c"; healthz always runs)
#   PROFILE          workloads to profile, e.g. "W3 W6": `perf record -g` of the server during
#                    their measured runs, saved as perf-NAME-SIZE.data beside the table
set -euo pipefail

BENCH_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)"
# shellcheck source=scripts/lib/pg.sh
source "${BENCH_DIR}/../scripts/lib/pg.sh"
cd "${TTDN_ROOT}"

SIZES="${SIZES:-10000 100000 1000000}"
DURATION="${DURATION:-10}"
RUNS="${RUNS:-3}"
WARMUP="${WARMUP:-3}"
PGBENCH_SECONDS="${PGBENCH_SECONDS:-10}"
SOLO_SECONDS="${SOLO_SECONDS:-5}"
CONNECTIONS="${CONNECTIONS:-64}"
PGBENCH_CLIENTS="${PGBENCH_CLIENTS:-8}"
W3_QUERY="${W3_QUERY:-hoc bong}"
POOL_SIZE="${TTDN_POOL_SIZE:-8}"
LOAD_JOBS="${LOAD_JOBS:-2}"
WORKLOADS="${WORKLOADS:-W1 W2 W3 W4 W5 W6 W2c W5c W6c}"
EDITOR_UNIT="PGD-LECHAN"
RESULTS="${KEEP_RESULTS:-${BENCH_DIR}/results/$(date -u +%Y%m%dT%H%M%SZ)}"

for size in ${SIZES}; do
    [[ "${size}" =~ ^[1-9][0-9]*$ ]] || die "SIZES must be whole numbers of media entries, not '${size}'"
done

# ---------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------

ensure_system_packages
if ! command -v wrk >/dev/null 2>&1; then
    _apt_install wrk
fi
command -v curl >/dev/null 2>&1 || _apt_install curl
PG_BIN="$(pg_bindir)"
PGBENCH="${PG_BIN}/pgbench"
[[ -x "${PGBENCH}" ]] || die "pgbench not found in ${PG_BIN}"

work="$(mktemp -d "${TMPDIR:-/tmp}/ttdn-bench.XXXXXX")"
chmod 711 -- "${work}"
mkdir -p -- "${RESULTS}"

server_pid=""
cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if [[ -n "${server_pid}" ]] && kill -0 "${server_pid}" 2>/dev/null; then
        kill -TERM "${server_pid}" 2>/dev/null || true
        wait "${server_pid}" 2>/dev/null || true
    fi
    if [[ -f "${work}/pgdata/PG_VERSION" ]] || [[ -d "${work}/pgdata" ]]; then
        cp -f -- "$(pg_cluster_dir "${work}/pgdata")/server.log" "${RESULTS}/postgresql.log" 2>/dev/null || true
        pg_remove_cluster "${work}/pgdata" >/dev/null 2>&1 || true
    fi
    rm -rf -- "${work}"
    exit "${status}"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n "${TTDN_BIN:-}" ]]; then
    source_bin="${TTDN_BIN}"
    build="given by TTDN_BIN"
elif [[ -x "${TTDN_ROOT}/.build-release/release/ttdn" ]]; then
    source_bin="${TTDN_ROOT}/.build-release/release/ttdn"
    build="release"
elif [[ -x "${TTDN_ROOT}/.build/debug/ttdn" ]]; then
    source_bin="${TTDN_ROOT}/.build/debug/ttdn"
    build="DEBUG (not representative: build a release binary, see bench/README.md)"
else
    die "no ttdn binary: swift build -c release --product ttdn --static-swift-stdlib --scratch-path .build-release (or set TTDN_BIN)"
fi
# The Dockerfile links the Swift runtime statically, which measured cheaper per request than the
# shared one in most rounds (bench/README.md, sixth round): say which one is measured.
if ldd "${source_bin}" 2>/dev/null | grep -q 'libswiftCore\.so'; then
    build="${build}, Swift runtime shared (the Dockerfile's is static: --static-swift-stdlib)"
else
    build="${build}, Swift runtime static"
fi
[[ -x "${source_bin}" ]] || die "${source_bin} is not executable"
cp -- "${source_bin}" "${work}/ttdn"
TTDN="${work}/ttdn"

{
    printf 'ttdn benchmark, %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    printf 'binary: %s, %s (built %s)\n' "${source_bin}" "${build}" "$(date -u -r "${source_bin}" '+%Y-%m-%d %H:%M UTC')"
    printf 'machine: %s cores, %s; %s\n' "$(nproc)" "$(awk '/MemTotal/ {printf "%.0f GB RAM", $2/1048576}' /proc/meminfo)" \
        "$("${PG_BIN}/postgres" --version)"
    printf 'wrk -t2 -c%s, %s s warm-up + %s x %s s (median), then -t1 -c1 %s s; pgbench -M prepared -c %s -j 2 -T %s; pool %s\n' \
        "${CONNECTIONS}" "${WARMUP}" "${RUNS}" "${DURATION}" "${SOLO_SECONDS}" "${PGBENCH_CLIENTS}" "${PGBENCH_SECONDS}" "${POOL_SIZE}"
    printf 'load before: %s\n' "$(uptime)"
} | tee "${RESULTS}/header.txt" >&2

# ---------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------

# Durable defaults (fsync and synchronous_commit on, as in production), memory for a 1M-row
# table, and no checkpoint in the middle of a run.
# shellcheck disable=SC2086
pg_start_cluster "${work}/pgdata" "$(free_port)" \
    shared_buffers=1GB effective_cache_size=4GB work_mem=16MB maintenance_work_mem=512MB \
    max_wal_size=8GB checkpoint_timeout=30min ${PG_SETTINGS:-} >/dev/null
pg_port="${PG_CLUSTER_PORT}"
postmaster_pid="$(head -n 1 "$(pg_cluster_dir "${work}/pgdata")/postmaster.pid")"

sql() { # sql DB [psql args...]: quiet, tuples only
    local db="$1"
    shift
    pg_psql "${pg_port}" "${db}" -At "$@"
}

# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------

# CPU seconds (user + system) used so far by a process, or by every backend of the cluster.
cpu_ticks() {
    awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0
}
pg_cpu_ticks() {
    local total=0 pid
    for pid in $(pgrep -P "${postmaster_pid}" 2>/dev/null); do
        total=$((total + $(cpu_ticks "${pid}")))
    done
    echo "${total}"
}
TICKS="$(getconf CLK_TCK)"

# wrk_run SECONDS URL: one wrk run with bench/wrk/workload.lua (configured by BENCH_* in the
# environment); prints its RESULT line.
wrk_run() {
    local seconds="$1" url="$2" out
    out="$(wrk -t"${THREADS:-2}" -c"${CONNECTIONS}" -d"${seconds}s" --timeout 10s -s "${BENCH_DIR}/wrk/workload.lua" "${url}" 2>&1)" || {
        printf '%s\n' "${out}" >&2
        die "wrk failed against ${url}"
    }
    printf '%s\n' "${out}" >>"${RESULTS}/wrk.log"
    grep '^RESULT ' <<<"${out}" | tail -n 1
}

field() { # field NAME LINE
    sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2"
}

median() { # median NUMBERS...
    printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'
}

# measure NAME: warm-up, then RUNS runs, then one run on a single connection; sets M_RPS M_P50
# M_P99 M_NON2XX M_ERRORS M_RSS_MB M_TTDN_US M_PG_US (CPU per request) M_SOLO_P50.
measure() {
    local name="$1" i line rps=() p50=() p99=() non2xx=0 errors=0 requests=0 t0 t1 p0 p1
    echo "5" >"/proc/${server_pid}/clear_refs" 2>/dev/null || true # resets VmHWM
    wrk_run "${WARMUP}" "${base_url}" >/dev/null
    t0="$(cpu_ticks "${server_pid}")"
    p0="$(pg_cpu_ticks)"
    local perf_pid=""
    if [[ " ${PROFILE:-} " == *" ${name} "* ]]; then
        perf record -F 999 -g -p "${server_pid}" -o "${RESULTS}/perf-${name}-${size}.data" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    for ((i = 1; i <= RUNS; i++)); do
        line="$(wrk_run "${DURATION}" "${base_url}")"
        log "  ${name} run ${i}: ${line#RESULT }"
        rps+=("$(field rps "${line}")")
        p50+=("$(field p50_ms "${line}")")
        p99+=("$(field p99_ms "${line}")")
        non2xx=$((non2xx + $(field non2xx "${line}")))
        errors=$((errors + $(field errors "${line}")))
        requests=$((requests + $(field requests "${line}")))
    done
    t1="$(cpu_ticks "${server_pid}")"
    p1="$(pg_cpu_ticks)"
    if [[ -n "${perf_pid}" ]]; then
        kill -INT "${perf_pid}" 2>/dev/null || true
        wait "${perf_pid}" 2>/dev/null || true
    fi
    # Latency without queueing: one connection, one request at a time.
    line="$(CONNECTIONS=1 THREADS=1 wrk_run "${SOLO_SECONDS}" "${base_url}")"
    log "  ${name} one connection: ${line#RESULT }"
    M_SOLO_P50="$(field p50_ms "${line}")"
    M_RPS="$(median "${rps[@]}")"
    M_P50="$(median "${p50[@]}")"
    M_P99="$(median "${p99[@]}")"
    M_NON2XX="${non2xx}"
    M_ERRORS="${errors}"
    M_RSS_MB="$(awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/${server_pid}/status")"
    M_TTDN_US="$(awk -v t=$((t1 - t0)) -v n="${requests}" -v hz="${TICKS}" 'BEGIN {printf "%.0f", n ? t / hz * 1e6 / n : 0}')"
    M_PG_US="$(awk -v t=$((p1 - p0)) -v n="${requests}" -v hz="${TICKS}" 'BEGIN {printf "%.0f", n ? t / hz * 1e6 / n : 0}')"
}

# pgbench_tps SCRIPT [-D NAME=VALUE ...]: PostgreSQL alone running a workload's statements.
pgbench_tps() {
    local script="$1" out
    shift
    out="$("${PGBENCH}" -h 127.0.0.1 -p "${pg_port}" -U "${PG_SUPERUSER}" -M prepared -n \
        -c "${PGBENCH_CLIENTS}" -j 2 -T "${PGBENCH_SECONDS}" "$@" -f "${BENCH_DIR}/sql/${script}" "${db}" 2>&1)" || {
        printf '%s\n' "${out}" >&2
        die "pgbench ${script} failed"
    }
    printf '== %s %s\n%s\n' "${db}" "${script}" "${out}" >>"${RESULTS}/pgbench.log"
    if grep -q 'number of failed transactions: [1-9]' <<<"${out}"; then
        die "pgbench ${script}: failed transactions (see ${RESULTS}/pgbench.log)"
    fi
    sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"${out}" | tail -n 1
}

table="${RESULTS}/table.txt"
printf '%-8s %-8s %9s %8s %8s %7s %7s %6s %8s %8s %9s %9s %9s %6s\n' \
    size workload 'req/s' 'p50 ms' 'p99 ms' 'c1 p50' non2xx 'RSS MB' 'ttdn us' 'pg us' 'pgbench' 'healthz' ceiling '%ceil' >"${table}"

wants() { [[ " ${WORKLOADS} " == *" $1 "* ]]; }

row() { # row SIZE NAME [PGBENCH_TPS HEALTHZ_RPS]
    local size="$1" name="$2" tps="${3:-}" http="${4:-}" ceiling="-" share="-"
    if [[ -n "${tps}" && -n "${http}" ]]; then
        ceiling="$(awk -v a="${http}" -v b="${tps}" 'BEGIN {printf "%.0f", 1 / (1 / a + 1 / b)}')"
        share="$(awk -v r="${M_RPS}" -v c="${ceiling}" 'BEGIN {printf "%.0f%%", 100 * r / c}')"
        tps="$(printf '%.0f' "${tps}")"
    fi
    local non2xx="${M_NON2XX}"
    if ((M_ERRORS > 0)); then non2xx="${non2xx}+${M_ERRORS}e"; fi
    printf '%-8s %-8s %9.0f %8.2f %8.2f %7.2f %7s %6s %8s %8s %9s %9s %9s %6s\n' \
        "${size}" "${name}" "${M_RPS}" "${M_P50}" "${M_P99}" "${M_SOLO_P50}" "${non2xx}" "${M_RSS_MB}" "${M_TTDN_US}" "${M_PG_US}" \
        "${tps:--}" "$([[ -n "${http}" ]] && printf '%.0f' "${http}" || printf -- -)" "${ceiling}" "${share}" | tee -a "${table}" >&2
}

# ---------------------------------------------------------------------------------------------
# One size
# ---------------------------------------------------------------------------------------------

bench_size() {
    local size="$1" t0 t1 n_units n_media n_reports n_values viewer editor viewer_public editor_public editor_token_id editor_unit_id nschools http_port
    db="bench_${size}"
    export DATABASE_URL="postgresql://${PG_SUPERUSER}@127.0.0.1:${pg_port}/${db}"
    log "size ${size}: database ${db}"
    pg_psql "${pg_port}" postgres -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS ${db}" >/dev/null
    pg_create_database "${pg_port}" "${db}" 2>/dev/null
    LOG_LEVEL=warning "${TTDN}" migrate >/dev/null
    LOG_LEVEL=warning "${TTDN}" seed >/dev/null

    log "size ${size}: generating (bench/generate, ${LOAD_JOBS} sessions for the media entries)"
    t0="$(date +%s.%N)"
    sql "${db}" -f "${BENCH_DIR}/generate/1_prepare.sql" >/dev/null
    local pids=() part
    for ((part = 0; part < LOAD_JOBS; part++)); do
        sql "${db}" -v rows="${size}" -v part="${part}" -v parts="${LOAD_JOBS}" -f "${BENCH_DIR}/generate/2_media.sql" >/dev/null &
        pids+=("$!")
    done
    for part in "${pids[@]}"; do
        wait "${part}" || die "loading media entries failed"
    done
    sql "${db}" -F ' ' -f "${BENCH_DIR}/generate/3_finish.sql" | tail -n 1 >"${work}/counts"
    t1="$(date +%s.%N)"
    read -r n_units n_media _ n_reports n_values <"${work}/counts"
    log "size ${size}: loaded in $(awk -v a="${t0}" -v b="${t1}" 'BEGIN {printf "%.0f", b - a}') s: ${n_units} units, ${n_media} media entries, ${n_reports} reports, ${n_values} report values; $(sql "${db}" -c "SELECT pg_size_pretty(pg_database_size(current_database()))")"
    printf 'size %s: load %.0f s (units %s, media entries %s, reports %s, report values %s)\n' "${size}" \
        "$(awk -v a="${t0}" -v b="${t1}" 'BEGIN {print b - a}')" "${n_units}" "${n_media}" "${n_reports}" "${n_values}" >>"${RESULTS}/header.txt"

    # The plans of the read workloads' statements, before W4 adds entries (bench/sql/explain.sql).
    sql "${db}" -v q="${W3_QUERY}" -f "${BENCH_DIR}/sql/explain.sql" >"${RESULTS}/explain-${size}.txt" 2>&1 ||
        warn "EXPLAIN failed: see ${RESULTS}/explain-${size}.txt"

    viewer="$(LOG_LEVEL=warning "${TTDN}" token create --role viewer --name bench-viewer | tail -n 1 | tr -d '[:space:]')"
    editor="$(LOG_LEVEL=warning "${TTDN}" token create --role editor --unit "${EDITOR_UNIT}" --name bench-editor | tail -n 1 | tr -d '[:space:]')"
    viewer_public="$(cut -d _ -f 2 <<<"${viewer}")"
    editor_public="$(cut -d _ -f 2 <<<"${editor}")"
    editor_token_id="$(sql "${db}" -v p="${editor_public}" <<<"SELECT id FROM api_tokens WHERE public_id = :'p'")"
    editor_unit_id="$(sql "${db}" -v p="${editor_public}" <<<"SELECT unit_id FROM api_tokens WHERE public_id = :'p'")"
    nschools="$(sql "${db}" -c "SELECT count(*) FROM generate_series(1, 1000) AS n WHERE EXISTS (SELECT 1 FROM units WHERE id = md5('ttdn-bench/unit/school-' || n)::uuid)")"
    sql "${db}" -c "SELECT id FROM units ORDER BY code" >"${work}/unit-ids"

    http_port="$(free_port)"
    base_url="http://127.0.0.1:${http_port}"
    TTDN_RATE_LIMIT_RPS=0 LOG_LEVEL=warning TTDN_POOL_SIZE="${POOL_SIZE}" \
        "${TTDN}" serve --host 127.0.0.1 --port "${http_port}" </dev/null >>"${RESULTS}/ttdn-${size}.log" 2>&1 &
    server_pid=$!
    local deadline=$((SECONDS + 60))
    until curl -fs -o /dev/null "${base_url}/readyz"; do
        kill -0 "${server_pid}" 2>/dev/null || die "ttdn serve exited (see ${RESULTS}/ttdn-${size}.log)"
        ((SECONDS < deadline)) || die "ttdn serve not ready after 60 s"
        sleep 0.2
    done

    log "size ${size}: healthz"
    unset BENCH_TOKEN BENCH_IDS BENCH_POST BENCH_NONCE
    export BENCH_PATH=/healthz
    measure healthz
    local healthz="${M_RPS}"
    row "${size}" healthz

    export BENCH_TOKEN="${viewer}"
    local q
    q="${W3_QUERY// /%20}"
    local -a common=(-D "token=${viewer_public}")

    if wants W1; then
        log "size ${size}: W1 GET /v1/units/{random id}"
        BENCH_IDS="${work}/unit-ids" measure W1
        row "${size}" W1 "$(pgbench_tps W1.sql "${common[@]}" -D "nschools=${nschools}")" "${healthz}"
    fi

    if wants W2; then
        log "size ${size}: W2 GET /v1/media-entries?sentiment=negative&limit=50"
        BENCH_PATH="/v1/media-entries?sentiment=negative&limit=50" measure W2
        row "${size}" W2 "$(pgbench_tps W2.sql "${common[@]}" -D sentiment=negative)" "${healthz}"
    fi

    if wants W3; then
        log "size ${size}: W3 GET /v1/media-entries?q=${q}&limit=20"
        BENCH_PATH="/v1/media-entries?q=${q}&limit=20" measure W3
        row "${size}" W3 "$(pgbench_tps W3.sql "${common[@]}" -D "q=${W3_QUERY}")" "${healthz}"
    fi

    if wants W4; then
        log "size ${size}: W4 POST /v1/media-entries"
        BENCH_TOKEN="${editor}" BENCH_POST=1 BENCH_NONCE="${size}-$(date +%s)" measure W4
        row "${size}" W4 "$(pgbench_tps W4.sql -D "token=${editor_public}" -D "token_id=${editor_token_id}" \
            -D "unit_id=${editor_unit_id}" -D "nonce=${size}-$(date +%s)")" "${healthz}"
    fi

    if wants W5; then
        log "size ${size}: W5 GET /v1/aggregates/media?group_by=month&from=2023-01-01&to=2024-01-01"
        BENCH_PATH="/v1/aggregates/media?group_by=month&from=2023-01-01&to=2024-01-01" measure W5
        row "${size}" W5 "$(pgbench_tps W5.sql "${common[@]}" -D from=2023-01-01 -D to=2024-01-01)" "${healthz}"
    fi

    if wants W6; then
        log "size ${size}: W6 GET /v1/aggregates/report-compliance?period_id=2023-H1"
        BENCH_PATH="/v1/aggregates/report-compliance?period_id=2023-H1" measure W6
        row "${size}" W6 "$(pgbench_tps W6.sql "${common[@]}" -D period=2023-H1)" "${healthz}"
    fi

    # A polling script's revalidation: the tag of the last answer in If-None-Match, answered 304
    # (wrk counts them as successes) while nothing commits; after a commit (a token's
    # last_used_at, autovacuum) a 200 brings a new tag, which workload.lua sends from then on.
    local tag
    for name in W2 W5 W6; do
        wants "${name}c" || continue
        case "${name}" in
            W2) BENCH_PATH="/v1/media-entries?sentiment=negative&limit=50" ;;
            W5) BENCH_PATH="/v1/aggregates/media?group_by=month&from=2023-01-01&to=2024-01-01" ;;
            W6) BENCH_PATH="/v1/aggregates/report-compliance?period_id=2023-H1" ;;
        esac
        tag="$(curl -fsS -o /dev/null -D - -H "Authorization: Bearer ${viewer}" "${base_url}${BENCH_PATH}" |
            tr -d '\r' | sed -n 's/^[Ee][Tt][Aa][Gg]: *//p')"
        if [[ -z "${tag}" && "${name}" == W2 ]]; then
            log "size ${size}: W2c skipped: this build's lists carry no validator"
            continue
        fi
        [[ -n "${tag}" ]] || die "${name}: no ETag on the aggregate"
        log "size ${size}: ${name}c ${BENCH_PATH} with If-None-Match: ${tag}"
        BENCH_IF_NONE_MATCH="${tag}" measure "${name}c"
        local -a probe
        probe=(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer ${viewer}" -H "If-None-Match: ${tag}" "${base_url}${BENCH_PATH}")
        log "  ${name}c: the same request now answers $("${probe[@]}")"
        row "${size}" "${name}c"
    done
    unset BENCH_PATH

    kill -TERM "${server_pid}" 2>/dev/null || true
    wait "${server_pid}" 2>/dev/null || true
    server_pid=""
    pg_psql "${pg_port}" postgres -c "DROP DATABASE ${db}" >/dev/null
}

for size in ${SIZES}; do
    bench_size "${size}"
done

{
    printf 'load after: %s\n' "$(uptime)"
    printf '\n'
    cat "${table}"
    cat <<'LEGEND'

req/s, p50, p99: wrk -t2 -c64, median of the runs; c1 p50: median latency on one connection
(no queueing); non2xx: responses other than 2xx/3xx over the runs
(+Ne: socket errors); RSS MB: ttdn's peak resident memory during the workload (VmHWM);
ttdn us, pg us: CPU time per request of ttdn and of all PostgreSQL backends during the runs;
pgbench: transactions/s of bench/sql/W*.sql; healthz: req/s of GET /healthz;
ceiling: 1 / (1/healthz + 1/pgbench); %ceil: req/s as a share of the ceiling.
LEGEND
} >>"${RESULTS}/header.txt"
mv -- "${RESULTS}/header.txt" "${RESULTS}/report.txt"
cat "${RESULTS}/report.txt"
printf '\nresults and logs: %s\n' "${RESULTS}"
