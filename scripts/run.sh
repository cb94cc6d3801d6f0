#!/usr/bin/env bash
# Runs the ttdn server on this machine (`make run`):
#   1. installs what is missing (PostgreSQL, libpq-dev, pkg-config) and builds ttdn;
#   2. without DATABASE_URL, starts (or reuses) a private PostgreSQL cluster in .pgdata/
#      on 127.0.0.1:${TTDN_PGPORT:-54329} with a database "ttdn";
#   3. migrates and seeds the database (the 2023 plan);
#   4. on the first start, creates an admin token and saves it in .run/admin-token;
#   5. serves on ${HOST:-127.0.0.1}:${PORT:-8080}.
#
# Environment: DATABASE_URL (use that database instead of the private cluster),
# TTDN_PGPORT, TTDN_BUILD_CONFIG (debug or release; default debug), HOST, PORT.
# `make db-stop` stops the private cluster; `make clean-db` also deletes it.
set -euo pipefail

# shellcheck source=scripts/lib/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pg.sh"
cd "${TTDN_ROOT}"

readonly BUILD_CONFIG="${TTDN_BUILD_CONFIG:-debug}"
readonly TOKEN_FILE=".run/admin-token"
readonly HTTP_HOST="${HOST:-127.0.0.1}"
readonly HTTP_PORT="${PORT:-8080}"

ensure_system_packages
ensure_swift

log "building ttdn (${BUILD_CONFIG})"
swift build -c "${BUILD_CONFIG}" --product ttdn
ttdn="$(swift build -c "${BUILD_CONFIG}" --show-bin-path)/ttdn"
[[ -x "${ttdn}" ]] || die "the build did not produce ${ttdn}"

if [[ -z "${DATABASE_URL:-}" ]]; then
    pg_start_cluster "${TTDN_ROOT}/.pgdata" "${TTDN_PGPORT:-54329}"
    pg_create_database "${PG_CLUSTER_PORT}" ttdn
    DATABASE_URL="postgresql://${PG_SUPERUSER}@127.0.0.1:${PG_CLUSTER_PORT}/ttdn"
    export DATABASE_URL
    log "database: ${DATABASE_URL} (private cluster; 'make db-stop' stops it)"
else
    log "database: DATABASE_URL from the environment"
fi

log "migrating"
"${ttdn}" migrate
log "seeding"
"${ttdn}" seed

if [[ -s "${TOKEN_FILE}" ]]; then
    log "admin token: saved in ${TOKEN_FILE} (delete the file to get a new one at the next start)"
else
    log "creating an admin token"
    # `ttdn token create` prints the secret alone on the last line of its output.
    token="$("${ttdn}" token create --role admin --name readme | tail -n 1 | tr -d '[:space:]')"
    [[ -n "${token}" ]] || die "'ttdn token create' printed no token"
    mkdir -p -- "$(dirname -- "${TOKEN_FILE}")"
    chmod 700 -- "$(dirname -- "${TOKEN_FILE}")"
    (
        umask 077
        printf '%s\n' "${token}" >"${TOKEN_FILE}"
    )
    chmod 600 -- "${TOKEN_FILE}"

    curl_host="${HTTP_HOST}"
    if [[ "${curl_host}" == "0.0.0.0" || "${curl_host}" == "::" ]]; then
        curl_host="127.0.0.1"
    fi
    cat >&2 <<EOF

=====================================================================
  Admin token: ${token}
  (saved in ${TOKEN_FILE})

  Try:  curl -H "Authorization: Bearer \$(cat ${TOKEN_FILE})" \\
             http://${curl_host}:${HTTP_PORT}/v1/units
=====================================================================

EOF
fi

log "serving on http://${HTTP_HOST}:${HTTP_PORT} (Ctrl-C stops it)"
exec "${ttdn}" serve --host "${HTTP_HOST}" --port "${HTTP_PORT}"
