# shellcheck shell=bash
# PG_CLUSTER_DIR, PG_CLUSTER_PORT and PG_SOCKET_DIR are set here for the caller:
# shellcheck disable=SC2034
#
# PostgreSQL helpers for scripts/run.sh, scripts/test.sh and scripts/db-stop.sh.
# Source this file; do not run it.
#
#   ensure_system_packages            install missing Debian packages (PostgreSQL with
#                                     contrib, libpq-dev, pkg-config)
#   ensure_python_venv                install python3 and python3-venv if missing
#   pg_bindir                         print the folder holding initdb, pg_ctl, psql
#   pg_cluster_dir DIR                print where the cluster for DIR really lives
#   pg_start_cluster DIR PORT [NAME=VALUE ...]
#                                     initdb if needed, then start (or reuse) the cluster;
#                                     sets PG_CLUSTER_DIR, PG_CLUSTER_PORT, PG_SOCKET_DIR
#   pg_stop_cluster DIR [MODE]        stop it (MODE: smart, fast (default), immediate)
#   pg_remove_cluster DIR             stop it at once and delete its files
#   pg_is_running DIR                 exit status 0 when the cluster is running
#   pg_psql PORT DB [psql args...]    psql over TCP as the postgres role
#   pg_create_database PORT NAME      create database NAME unless it exists
#   pg_write_ctl_script DIR PORT FILE write an executable that starts/stops the cluster
#   free_port                         print a TCP port that is free on 127.0.0.1
#
# PostgreSQL refuses to run as root. When these helpers run as root, every server
# program runs as the operating-system user PG_OS_USER (default: postgres).

if [[ -n "${TTDN_PG_SH_LOADED:-}" ]]; then
    return 0
fi
TTDN_PG_SH_LOADED=1

# shellcheck source=scripts/lib/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

PG_OS_USER="${PG_OS_USER:-postgres}"
# The database role created by initdb; every connection uses it (trust auth, loopback only).
PG_SUPERUSER="postgres"
# Seconds pg_ctl waits for a start or a stop.
PG_CTL_TIMEOUT="${PG_CTL_TIMEOUT:-120}"
# sun_path holds 108 bytes; leave room for "/.s.PGSQL.NNNNN" and the final NUL.
PG_SOCKET_PATH_MAX=90

# Set by pg_start_cluster for its caller.
PG_CLUSTER_DIR="" PG_CLUSTER_PORT="" PG_SOCKET_DIR=""

# ---------------------------------------------------------------------------
# System packages
# ---------------------------------------------------------------------------

# Installs, with apt-get, what the build and the local database need and is missing:
# the PostgreSQL server (with contrib), libpq's headers and pkg-config.
ensure_system_packages() {
    local -a missing=()
    if ! command -v pkg-config >/dev/null 2>&1; then
        missing+=(pkg-config)
    fi
    if ! pkg-config --exists libpq 2>/dev/null; then
        missing+=(libpq-dev)
    fi
    if ! pg_bindir >/dev/null 2>&1; then
        missing+=(postgresql postgresql-contrib)
    elif ! _pg_has_contrib; then
        missing+=(postgresql-contrib)
    fi
    _apt_install "${missing[@]}"
}

# Makes sure python3 exists and can create virtual environments (python3-venv).
ensure_python_venv() {
    if ! command -v python3 >/dev/null 2>&1; then
        _apt_install python3 python3-venv
    elif ! python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
        _apt_install python3-venv
    fi
}

# Installs the Debian packages given, if any; apt-get update runs once per script.
_apt_install() {
    if (($# == 0)); then
        return 0
    fi
    log "installing missing system packages: $*"
    local -a sudo=()
    if ! is_root; then
        if command -v sudo >/dev/null 2>&1; then
            sudo=(sudo)
        else
            die "missing packages ($*) and not root: install them and run again"
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        die "missing packages ($*) and no apt-get on this machine: install them and run again"
    fi
    if [[ -z "${TTDN_APT_UPDATED:-}" ]]; then
        "${sudo[@]}" apt-get update -qq
        TTDN_APT_UPDATED=1
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "$@"
}

# ---------------------------------------------------------------------------
# Finding the server programs
# ---------------------------------------------------------------------------

# Prints the folder with initdb, pg_ctl, postgres and psql. PG_BINDIR overrides;
# otherwise pg_config's answer, else the newest /usr/lib/postgresql/*/bin.
pg_bindir() {
    local dir
    if [[ -n "${PG_BINDIR:-}" ]]; then
        [[ -x "${PG_BINDIR}/initdb" ]] || return 1
        printf '%s\n' "${PG_BINDIR}"
        return 0
    fi
    if command -v pg_config >/dev/null 2>&1; then
        dir="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "${dir}" && -x "${dir}/initdb" ]]; then
            printf '%s\n' "${dir}"
            return 0
        fi
    fi
    dir="$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/initdb' 2>/dev/null \
        | sort -V | tail -n 1)"
    if [[ -n "${dir}" ]]; then
        dirname "${dir}"
        return 0
    fi
    dir="$(command -v initdb 2>/dev/null || true)"
    if [[ -n "${dir}" ]]; then
        dirname "${dir}"
        return 0
    fi
    return 1
}

# True when the contrib extensions (unaccent is the one the schema needs) are installed.
_pg_has_contrib() {
    local sharedir=""
    if command -v pg_config >/dev/null 2>&1; then
        sharedir="$(pg_config --sharedir 2>/dev/null || true)"
    fi
    [[ -n "${sharedir}" && -f "${sharedir}/extension/unaccent.control" ]] \
        || compgen -G '/usr/share/postgresql/*/extension/unaccent.control' >/dev/null
}

_pg_require_bindir() {
    pg_bindir || die "PostgreSQL server programs not found (initdb); run ensure_system_packages or set PG_BINDIR"
}

# ---------------------------------------------------------------------------
# Running as the cluster's owner
# ---------------------------------------------------------------------------

# Runs a command as the owner of the cluster: PG_OS_USER when we are root, else as
# ourselves. It starts in / so that the owner never needs access to our current folder.
pg_as_owner() {
    if is_root; then
        (cd / && runuser -u "${PG_OS_USER}" -- "$@")
    else
        "$@"
    fi
}

# Runs pg_ctl for DATADIR as the owner, with no descriptor above 2 left open. The
# server outlives this script: if it kept a descriptor inherited from whoever ran us
# (a pipe that a CI runner or an IDE reads until EOF, the socket through which
# Foundation.Process watches its child), that caller would wait for it forever.
_pg_ctl() {
    local bindir datadir="$1"
    shift
    bindir="$(_pg_require_bindir)"
    (
        _close_inherited_fds
        pg_as_owner "${bindir}/pg_ctl" -D "${datadir}" "$@"
    ) </dev/null
}

# Closes every file descriptor above 2 of the current shell; call it in a subshell.
_close_inherited_fds() {
    local path fd
    for path in /proc/self/fd/*; do
        fd="${path##*/}"
        if [[ "${fd}" =~ ^[0-9]+$ ]] && ((fd > 2)); then
            exec {fd}>&-
        fi
    done
}

# True when the owner can reach PATH (every folder above it is searchable).
_pg_owner_can_reach() {
    local path="$1"
    if is_root; then
        (cd / && runuser -u "${PG_OS_USER}" -- test -x "${path}")
    else
        test -x "${path}"
    fi
}

_pg_short_hash() {
    printf '%s' "$1" | cksum | cut -d ' ' -f 1
}

# Prints the folder that really holds the cluster for DIR. That is DIR itself, unless
# we are root and PG_OS_USER cannot reach DIR's parent (for example a checkout under
# /root): then a folder under /tmp named after DIR, the same one every time.
pg_cluster_dir() {
    local dir parent
    dir="$(realpath -m -- "$1")"
    parent="$(dirname -- "${dir}")"
    if ! is_root; then
        printf '%s\n' "${dir}"
        return 0
    fi
    id -u "${PG_OS_USER}" >/dev/null 2>&1 \
        || die "user '${PG_OS_USER}' does not exist (install postgresql, or set PG_OS_USER)"
    mkdir -p -- "${parent}"
    if _pg_owner_can_reach "${parent}"; then
        printf '%s\n' "${dir}"
    else
        printf '/tmp/ttdn-cluster-%s-%s\n' "$(basename -- "${dir}" | tr -cd 'A-Za-z0-9_-')" \
            "$(_pg_short_hash "${dir}")"
    fi
}

# The folder for the server's Unix socket: the data folder, unless its path is too long
# for a socket address.
_pg_socket_dir() {
    local datadir="$1"
    if ((${#datadir} <= PG_SOCKET_PATH_MAX)); then
        printf '%s\n' "${datadir}"
    else
        printf '/tmp/ttdn-pgsock-%s\n' "$(_pg_short_hash "${datadir}")"
    fi
}

# Quotes VALUE for postgresql.conf.
_pg_conf_quote() {
    local value="$1"
    printf "'%s'" "${value//\'/\'\'}"
}

# ---------------------------------------------------------------------------
# Cluster lifecycle
# ---------------------------------------------------------------------------

pg_is_running() {
    local datadir bindir
    datadir="$(pg_cluster_dir "$1")"
    [[ -f "${datadir}/PG_VERSION" ]] || return 1
    bindir="$(_pg_require_bindir)"
    pg_as_owner "${bindir}/pg_ctl" status -D "${datadir}" >/dev/null 2>&1
}

# Prints the port a running cluster listens on (from postmaster.pid).
_pg_running_port() {
    local datadir="$1"
    sed -n '4p' "${datadir}/postmaster.pid" 2>/dev/null
}

_pg_initdb() {
    local datadir="$1" bindir="$2" output
    log "creating PostgreSQL cluster in ${datadir}"
    if ! output="$(pg_as_owner "${bindir}/initdb" \
        --pgdata="${datadir}" \
        --auth=trust \
        --encoding=UTF8 \
        --locale=C.UTF-8 \
        --username="${PG_SUPERUSER}" \
        --no-instructions 2>&1)"; then
        printf '%s\n' "${output}" >&2
        die "initdb failed for ${datadir}"
    fi
    # Our settings live in ttdn.conf, rewritten at every start (see _pg_write_conf).
    printf "\n# Settings written by scripts/lib/pg.sh at every start.\ninclude_if_exists = 'ttdn.conf'\n" |
        pg_as_owner tee -a "${datadir}/postgresql.conf" >/dev/null
}

_pg_write_conf() {
    local datadir="$1" port="$2" socket_dir="$3"
    shift 3
    local setting name value
    {
        printf '# Written by scripts/lib/pg.sh at every start: change that script, not this file.\n'
        printf 'listen_addresses = %s\n' "'127.0.0.1'"
        printf 'port = %s\n' "${port}"
        printf 'unix_socket_directories = %s\n' "$(_pg_conf_quote "${socket_dir}")"
        printf 'max_connections = 200\n'
        printf 'logging_collector = off\n'
        printf "log_line_prefix = '%%m [%%p] %%q%%u@%%d '\n"
        for setting in "$@"; do
            [[ "${setting}" == *=* ]] || die "bad PostgreSQL setting '${setting}' (want NAME=VALUE)"
            name="${setting%%=*}"
            value="${setting#*=}"
            printf '%s = %s\n' "${name}" "$(_pg_conf_quote "${value}")"
        done
    } | pg_as_owner tee "${datadir}/ttdn.conf" >/dev/null
}

# Makes sure the ICU collations (for example "vi-x-icu") exist; initdb imports them
# when PostgreSQL is built with ICU, as Debian's is.
_pg_check_icu() {
    local port="$1" found db
    found="$(pg_psql "${port}" template1 -Atc "SELECT 1 FROM pg_collation WHERE collname = 'vi-x-icu'")"
    if [[ "${found}" == "1" ]]; then
        return 0
    fi
    warn "collation vi-x-icu is missing; importing the system's ICU collations"
    for db in template1 postgres; do
        pg_psql "${port}" "${db}" -Atc "SELECT pg_import_system_collations('pg_catalog')" >/dev/null
    done
    found="$(pg_psql "${port}" template1 -Atc "SELECT 1 FROM pg_collation WHERE collname = 'vi-x-icu'")"
    [[ "${found}" == "1" ]] || die "collation vi-x-icu is unavailable: this PostgreSQL is built without ICU"
}

# pg_start_cluster DIR PORT [NAME=VALUE ...]
# Starts the cluster kept in DIR (creating it when DIR is empty or absent), listening
# on 127.0.0.1:PORT only, logging to DIR/server.log. Extra settings go to its config,
# e.g. fsync=off for a throwaway cluster. A cluster that is already running is reused
# as it is. Sets PG_CLUSTER_DIR, PG_CLUSTER_PORT and PG_SOCKET_DIR.
pg_start_cluster() {
    (($# >= 2)) || die "usage: pg_start_cluster DIR PORT [NAME=VALUE ...]"
    local requested_dir="$1" port="$2"
    shift 2
    local bindir datadir socket_dir
    bindir="$(_pg_require_bindir)"
    datadir="$(pg_cluster_dir "${requested_dir}")"
    if [[ "${datadir}" != "$(realpath -m -- "${requested_dir}")" ]]; then
        warn "user ${PG_OS_USER} cannot reach ${requested_dir}; the cluster lives in ${datadir} instead"
    fi
    PG_CLUSTER_DIR="${datadir}"

    if [[ -f "${datadir}/PG_VERSION" ]] && pg_is_running "${datadir}"; then
        PG_CLUSTER_PORT="$(_pg_running_port "${datadir}")"
        PG_SOCKET_DIR="$(_pg_socket_dir "${datadir}")"
        if [[ "${PG_CLUSTER_PORT}" != "${port}" ]]; then
            warn "cluster ${datadir} is already running on port ${PG_CLUSTER_PORT} (not ${port}); using it"
        fi
        log "PostgreSQL already running (${datadir}, port ${PG_CLUSTER_PORT})"
        return 0
    fi

    mkdir -p -- "${datadir}"
    if is_root && [[ "$(stat -c %U -- "${datadir}")" != "${PG_OS_USER}" ]]; then
        chown -R -- "${PG_OS_USER}:" "${datadir}"
    fi
    chmod 700 -- "${datadir}"
    if [[ ! -f "${datadir}/PG_VERSION" ]]; then
        if [[ -n "$(ls -A -- "${datadir}")" ]]; then
            die "${datadir} is neither empty nor a PostgreSQL cluster"
        fi
        _pg_initdb "${datadir}" "${bindir}"
    fi

    socket_dir="$(_pg_socket_dir "${datadir}")"
    if [[ "${socket_dir}" != "${datadir}" ]]; then
        mkdir -p -- "${socket_dir}"
        if is_root; then
            chown -- "${PG_OS_USER}:" "${socket_dir}"
        fi
    fi
    _pg_write_conf "${datadir}" "${port}" "${socket_dir}" "$@"

    log "starting PostgreSQL (${datadir}, 127.0.0.1:${port})"
    if ! _pg_ctl "${datadir}" -l "${datadir}/server.log" -w -t "${PG_CTL_TIMEOUT}" -s start; then
        warn "PostgreSQL did not start; the end of ${datadir}/server.log:"
        tail -n 30 -- "${datadir}/server.log" >&2 || true
        die "could not start PostgreSQL in ${datadir}"
    fi
    PG_CLUSTER_PORT="${port}"
    PG_SOCKET_DIR="${socket_dir}"
    _pg_check_icu "${port}"
}

# pg_stop_cluster DIR [MODE]: stops the cluster of DIR if it runs; MODE is smart,
# fast (the default) or immediate.
pg_stop_cluster() {
    (($# >= 1)) || die "usage: pg_stop_cluster DIR [smart|fast|immediate]"
    local mode="${2:-fast}" datadir
    datadir="$(pg_cluster_dir "$1")"
    if ! pg_is_running "${datadir}"; then
        return 0
    fi
    log "stopping PostgreSQL (${datadir}, mode ${mode})"
    _pg_ctl "${datadir}" -m "${mode}" -w -t "${PG_CTL_TIMEOUT}" -s stop
}

# pg_remove_cluster DIR: stops the cluster of DIR at once (if it runs) and deletes it,
# its socket folder included.
pg_remove_cluster() {
    (($# == 1)) || die "usage: pg_remove_cluster DIR"
    local datadir socket_dir
    datadir="$(pg_cluster_dir "$1")"
    pg_stop_cluster "${datadir}" immediate
    socket_dir="$(_pg_socket_dir "${datadir}")"
    if [[ "${socket_dir}" != "${datadir}" ]]; then
        rm -rf -- "${socket_dir}"
    fi
    rm -rf -- "${datadir}"
}

# ---------------------------------------------------------------------------
# Client side
# ---------------------------------------------------------------------------

# pg_psql PORT DB [psql args...]: psql over TCP to 127.0.0.1:PORT as the postgres role.
pg_psql() {
    local port="$1" db="$2" bindir
    shift 2
    bindir="$(_pg_require_bindir)"
    PGCONNECT_TIMEOUT=10 "${bindir}/psql" -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "${port}" -U "${PG_SUPERUSER}" -d "${db}" "$@"
}

# pg_create_database PORT NAME: creates database NAME unless it already exists.
pg_create_database() {
    local port="$1" name="$2" exists
    exists="$(pg_psql "${port}" postgres -At -v name="${name}" \
        <<<"SELECT 1 FROM pg_database WHERE datname = :'name'")"
    if [[ "${exists}" != "1" ]]; then
        log "creating database ${name}"
        pg_psql "${port}" postgres -v name="${name}" <<<'CREATE DATABASE :"name"'
    fi
}

# pg_write_ctl_script DIR PORT FILE: writes FILE, an executable that controls the
# (already initialised) cluster of DIR from any process, tty or not:
#   FILE start | stop [smart|fast|immediate] | restart [smart|fast|immediate] | status
# start and restart return once the server accepts connections on 127.0.0.1:PORT.
pg_write_ctl_script() {
    (($# == 3)) || die "usage: pg_write_ctl_script DIR PORT FILE"
    local datadir port="$2" file="$3" bindir owner="" name
    datadir="$(pg_cluster_dir "$1")"
    name="$(basename -- "${file}")"
    bindir="$(_pg_require_bindir)"
    if is_root; then
        owner="${PG_OS_USER}"
    fi
    {
        printf '#!/usr/bin/env bash\n'
        printf '# Generated by scripts/lib/pg.sh: controls one PostgreSQL cluster.\n'
        printf '# Usage: %s start | stop [smart|fast|immediate] | restart [smart|fast|immediate] | status\n' \
            "${name}"
        printf 'set -euo pipefail\n\n'
        printf 'BINDIR=%q\nDATADIR=%q\nPORT=%q\nROLE=%q\nOWNER=%q\nTIMEOUT=%q\n' \
            "${bindir}" "${datadir}" "${port}" "${PG_SUPERUSER}" "${owner}" "${PG_CTL_TIMEOUT}"
        cat <<'EOF'

# Runs pg_ctl as the cluster's owner (PostgreSQL refuses root), never reading stdin and
# with no descriptor above 2 left open: the server outlives this script, and a caller
# such as Foundation.Process, which learns that its child exited when a socket it
# passed down is closed, would otherwise wait until the server stops.
pg_ctl() {
    (
        for path in /proc/self/fd/*; do
            fd="${path##*/}"
            if [[ "${fd}" =~ ^[0-9]+$ ]] && ((fd > 2)); then
                exec {fd}>&-
            fi
        done
        cd /
        if [[ -n "${OWNER}" && "${EUID}" -eq 0 ]]; then
            exec runuser -u "${OWNER}" -- "${BINDIR}/pg_ctl" -D "${DATADIR}" "$@"
        else
            exec "${BINDIR}/pg_ctl" -D "${DATADIR}" "$@"
        fi
    ) </dev/null
}

is_running() {
    pg_ctl status >/dev/null 2>&1
}

# Waits until the server accepts connections (crash recovery included).
wait_ready() {
    local deadline=$((SECONDS + TIMEOUT))
    until "${BINDIR}/pg_isready" -q -h 127.0.0.1 -p "${PORT}" -U "${ROLE}" -d postgres -t 2; do
        if ((SECONDS >= deadline)); then
            echo "PostgreSQL on port ${PORT} is not accepting connections after ${TIMEOUT}s" >&2
            tail -n 20 "${DATADIR}/server.log" >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

check_mode() {
    case "$1" in
        smart | fast | immediate) ;;
        *)
            echo "unknown shutdown mode '$1' (want smart, fast or immediate)" >&2
            exit 2
            ;;
    esac
}

command="${1:-}"
mode="${2:-fast}"
case "${command}" in
    start)
        if ! is_running; then
            pg_ctl -l "${DATADIR}/server.log" -w -t "${TIMEOUT}" -s start
        fi
        wait_ready
        ;;
    stop)
        check_mode "${mode}"
        if is_running; then
            pg_ctl -m "${mode}" -w -t "${TIMEOUT}" -s stop
        fi
        ;;
    restart)
        check_mode "${mode}"
        if is_running; then
            pg_ctl -l "${DATADIR}/server.log" -m "${mode}" -w -t "${TIMEOUT}" -s restart
        else
            pg_ctl -l "${DATADIR}/server.log" -w -t "${TIMEOUT}" -s start
        fi
        wait_ready
        ;;
    status)
        pg_ctl status
        ;;
    *)
        echo "usage: $(basename "$0") start | stop [smart|fast|immediate] | restart [smart|fast|immediate] | status" >&2
        exit 2
        ;;
esac
EOF
    } >"${file}"
    chmod 755 -- "${file}"
}

# Prints a TCP port that is free on 127.0.0.1 right now.
free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 - <<'EOF'
import socket
with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
EOF
        return 0
    fi
    # Without python: probe random ports until one refuses a connection.
    local port _
    for _ in {1..100}; do
        port=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
            printf '%s\n' "${port}"
            return 0
        fi
    done
    die "no free TCP port found"
}
