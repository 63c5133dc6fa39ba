#!/usr/bin/env bash
# Hostile-server benchmark: runs `mailroom mailbox test`, `mailroom sync` and opening a
# message against each mode of the hostile IMAP server (internal/hostileimap: endless lines,
# a 100 MB literal in an ENVELOPE, a BODY[] larger than announced, one byte every 20 s,
# 100,000 folders, silence) and prints each command's peak RSS (GNU time) and time to failure
# beside the goal: peak RSS <= 300 MB, an end within the command's budget with a plain
# sentence, no stored text field over 64 KiB. Runs under .ci/with-test-env.sh for the keyring.
#   MODES=trickle,silent   only some modes
#   LIMIT=150s             kill a command still running after this long (default 10m)
#   BASELINE=REV           first run the same against Mailroom at git revision REV (with
#                          today's hostile server and harness copied in), for comparison
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out
mkdir -p "$OUT"
command -v /usr/bin/time >/dev/null || { echo "hostile.sh: needs GNU time (apt-get install time)" >&2; exit 1; }
run() { # SRC BIN_DIR LABEL
    (cd "$1" && go build -o "$2/mailroom" . && go build -o "$2/hostile" ./bench/hostile)
    echo "== $3"
    bash .ci/with-test-env.sh "$2/hostile" -mailroom "$2/mailroom" -dir "$2" -modes "${MODES:-}" -limit "${LIMIT:-10m}" || true
}
if [ -n "${BASELINE:-}" ]; then
    rm -rf "$OUT/base-src" && mkdir -p "$OUT/base-src" "$OUT/base"
    git archive "$BASELINE" | tar -x -C "$OUT/base-src"
    mkdir -p "$OUT/base-src/bench" "$OUT/base-src/internal"
    cp -r bench/hostile "$OUT/base-src/bench/" && cp -r internal/hostileimap "$OUT/base-src/internal/"
    run "$OUT/base-src" "$PWD/$OUT/base" "baseline: Mailroom at $BASELINE" | tee "$OUT/hostile-base.txt"
fi
run . "$PWD/$OUT" "Mailroom as it is" | tee "$OUT/hostile.txt"
