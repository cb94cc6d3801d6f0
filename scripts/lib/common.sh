# shellcheck shell=bash
# Small helpers shared by the scripts in scripts/. Source this file; do not run it.

if [[ -n "${TTDN_COMMON_SH_LOADED:-}" ]]; then
    return 0
fi
TTDN_COMMON_SH_LOADED=1

# Absolute path of the checkout (the folder above scripts/).
TTDN_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)"
export TTDN_ROOT

log() {
    printf '==> %s\n' "$*" >&2
}

warn() {
    printf 'warning: %s\n' "$*" >&2
}

die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() {
    [[ "${EUID}" -eq 0 ]]
}

# Puts the Swift toolchain on PATH when it is installed but not on PATH yet
# (for example under /opt/swift on the project's machines).
ensure_swift() {
    if command -v swift >/dev/null 2>&1; then
        return 0
    fi
    local candidate
    for candidate in /opt/swift/usr/bin /usr/share/swift/usr/bin; do
        if [[ -x "${candidate}/swift" ]]; then
            PATH="${candidate}:${PATH}"
            export PATH
            return 0
        fi
    done
    die "the Swift toolchain is not installed (no 'swift' on PATH); see https://swift.org/install"
}
