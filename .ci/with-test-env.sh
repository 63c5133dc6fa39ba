#!/usr/bin/env bash
# Run a command with Mailroom's integration-test environment:
#   - Dovecot + Postfix on loopback (see .ci/mailservers.sh), MAILROOM_TEST_* exported;
#   - a private D-Bus session with an unlocked gnome-keyring (Secret Service);
#   - HOME / XDG_* pointing at a throw-away folder, so no keyring file or config lands in the
#     real home.
# The servers are always stopped on exit; the exit status is CMD's.
#
#   .ci/with-test-env.sh go test ./... -count=1
#
# The test folder is removed on success and kept (with server logs) on failure, unless
# MAILROOM_KEEP_TEST_DIR=1 keeps it always.
set -euo pipefail

[ "$#" -gt 0 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

bash "$HERE/mailservers.sh" install

DIR="$(mktemp -d /tmp/mailroom-test.XXXXXX)"
rc=1
cleanup() {
    bash "$HERE/mailservers.sh" stop "$DIR" || true
    # gnome-keyring-daemon usually exits with its D-Bus session, but not when CMD ends before
    # it has finished connecting. Ours are the ones whose XDG_RUNTIME_DIR is inside DIR.
    local p
    for p in $(pgrep -x gnome-keyring-d 2>/dev/null || true); do
        # (the process may be gone by now: braces make the shell's own redirection error quiet)
        if { tr '\0' '\n' <"/proc/$p/environ"; } 2>/dev/null | grep -qxF "XDG_RUNTIME_DIR=$DIR/runtime"; then
            kill "$p" 2>/dev/null || true
        fi
    done
    if [ "$rc" = 0 ] && [ "${MAILROOM_KEEP_TEST_DIR:-0}" != 1 ]; then
        rm -rf "$DIR"
    else
        echo "with-test-env: test folder kept: $DIR" >&2
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bash "$HERE/mailservers.sh" start "$DIR"
set -a
# shellcheck disable=SC1091
. "$DIR/env"
set +a

# Go keeps its caches under HOME by default; pin them to the real ones before HOME moves,
# or every run would rebuild everything (cgo included) and re-download modules.
if command -v go >/dev/null 2>&1; then
    GOPATH="$(go env GOPATH)"; GOCACHE="$(go env GOCACHE)"; GOMODCACHE="$(go env GOMODCACHE)"
    export GOPATH GOCACHE GOMODCACHE
fi

TEST_HOME="$DIR/home"
mkdir -p "$TEST_HOME/.local/share" "$TEST_HOME/.config" "$TEST_HOME/.cache" "$DIR/runtime"
chmod 700 "$DIR/runtime"
export HOME="$TEST_HOME"
export XDG_DATA_HOME="$TEST_HOME/.local/share"
export XDG_CONFIG_HOME="$TEST_HOME/.config"
export XDG_CACHE_HOME="$TEST_HOME/.cache"
export XDG_RUNTIME_DIR="$DIR/runtime"
# Nothing outside the session may reach a bus or keyring of the caller.
unset DBUS_SESSION_BUS_ADDRESS GNOME_KEYRING_CONTROL

set +e
dbus-run-session -- sh -c 'echo -n test | gnome-keyring-daemon --unlock --components=secrets >/dev/null; exec "$@"' sh "$@"
rc=$?
set -e
exit "$rc"
