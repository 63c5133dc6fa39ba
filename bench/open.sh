#!/usr/bin/env bash
# Open-latency benchmark: opens 20 uncached messages in a row through a relay on 127.0.0.1
# that adds 50 ms each way, with Mailroom's mailbox worker (one logged-in connection) beside
# the per-action connection it replaced (connect, TLS, LOGIN, SELECT, FETCH, STORE, LOGOUT
# for each), against the test Dovecot (.ci/with-test-env.sh). Prints each open's time and
# round trips, the medians and the slowest, as ratios. Flags go to bench/openbench (-n,
# -delay, -size).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out
mkdir -p "$OUT"
go build -o "$OUT/openbench" ./bench/openbench
bash .ci/with-test-env.sh "$OUT/openbench" "$@" | tee "$OUT/open.txt"
