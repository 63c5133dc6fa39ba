#!/usr/bin/env bash
# Sync benchmark, as whole processes side by side in one run (bench/syncbench): seeds N
# messages into the Inbox of the test Dovecot (bench/seed, through .ci/with-test-env.sh) and
# compares, over ROUNDS alternating rounds, `mailroom sync` (full first sync of every folder,
# then an unchanged resync) with a bare go-imap client's SELECT + FETCH 1:* of the same items
# (bench/syncbench/bare); then the resync after MORE new messages with the bare client's
# SELECT + UID FETCH of as many; and the full sync's peak RSS. Then the message list's first
# page and a search on a 100,000-message cache (go test -bench in data/). Each as a ratio,
# median and slowest.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out
mkdir -p "$OUT"
N="${N:-100000}"
MORE="${MORE:-1000}"
ROUNDS="${ROUNDS:-3}"
go build -o "$OUT/mailroom" .
go build -o "$OUT/syncbench" ./bench/syncbench
go build -o "$OUT/bare" ./bench/syncbench/bare
go build -o "$OUT/seed" ./bench/seed
bash .ci/with-test-env.sh "$OUT/syncbench" -n "$N" -more "$MORE" -rounds "$ROUNDS" -dir "$PWD/$OUT" \
    -mailroom "$PWD/$OUT/mailroom" -bare "$PWD/$OUT/bare" -seed "$PWD/$OUT/seed" | tee "$OUT/sync.txt"
[ "${MESSAGES:-1}" = 0 ] && exit 0
go test -run XXX -bench 'MessagePage|SearchMessages' -benchtime 200x ./data/ | tee "$OUT/messages.txt"
echo
echo "== message list ratios (lower is better)"
awk '$1 ~ /^BenchmarkMessagePageFirst/ { printf "%-52s %10.2f ms  goal 5 ms   ratio %.2f\n", "first page of 100,000", $3/1e6, $3/5e6 }
     $1 ~ /^BenchmarkSearchMessages-/ { printf "%-52s %10.2f ms  goal 20 ms  ratio %.2f\n", "FTS search, 1,000 hits", $3/1e6, $3/20e6 }
     $1 ~ /^BenchmarkSearchMessagesCommon/ { printf "%-52s %10.2f ms  goal 20 ms  ratio %.2f\n", "FTS search, a word in every message", $3/1e6, $3/20e6 }' "$OUT/messages.txt"
