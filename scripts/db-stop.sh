#!/usr/bin/env bash
# Stops the private PostgreSQL cluster that scripts/run.sh started (`make db-stop`).
#   --remove   also delete it, and the admin token made for it (`make clean-db`)
set -euo pipefail

# shellcheck source=scripts/lib/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/pg.sh"
cd "${TTDN_ROOT}"

remove=0
case "${1:-}" in
    "") ;;
    --remove) remove=1 ;;
    *) die "usage: $0 [--remove]" ;;
esac

readonly CLUSTER="${TTDN_ROOT}/.pgdata"

if ((remove)); then
    datadir="$(pg_cluster_dir "${CLUSTER}")"
    log "deleting the private PostgreSQL cluster (${datadir}) and .run/admin-token"
    pg_remove_cluster "${CLUSTER}"
    rm -rf -- "${CLUSTER}"
    rm -f -- .run/admin-token
elif pg_is_running "${CLUSTER}"; then
    pg_stop_cluster "${CLUSTER}" fast
else
    log "the private PostgreSQL cluster is not running"
fi
