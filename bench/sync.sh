#!/usr/bin/env bash
# Sync benchmark: seeds 100,000 messages into a Dovecot folder on 127.0.0.1 (through
# .ci/with-test-env.sh) and measures side by side in one run: a bare go-imap UID FETCH vs
# Mailroom's full first sync into SQLite, a resync of the unchanged folder, a resync after
# 1,000 new messages (beside a bare SELECT + UID FETCH of 1,000 new ones, alternated over
# ROUNDS fresh batches each so both pay Dovecot's indexing of new files, medians; and at
# SMALL messages vs N), and the peak heap during the full sync; then the message list's first
# page and a search on a 100,000-message cache (go test -bench in data/). Each as a ratio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out
mkdir -p "$OUT"
N="${N:-100000}"
ROUNDS="${ROUNDS:-3}"
SMALL="${SMALL:-10000}"
go build -o "$OUT/syncbench" ./bench/syncbench
bash .ci/with-test-env.sh "$OUT/syncbench" -n "$N" -more 1000 -rounds "$ROUNDS" -small "$SMALL" -dir "$OUT" | tee "$OUT/sync.txt"
go test -run XXX -bench 'MessagePage|SearchMessages' -benchtime 200x ./data/ | tee "$OUT/messages.txt"
echo
echo "== message list ratios (lower is better)"
awk '$1 ~ /^BenchmarkMessagePageFirst/ { printf "%-52s %10.2f ms  goal 5 ms   ratio %.2f\n", "first page of 100,000", $3/1e6, $3/5e6 }
     $1 ~ /^BenchmarkSearchMessages-/ { printf "%-52s %10.2f ms  goal 20 ms  ratio %.2f\n", "FTS search, 1,000 hits", $3/1e6, $3/20e6 }
     $1 ~ /^BenchmarkSearchMessagesCommon/ { printf "%-52s %10.2f ms  goal 20 ms  ratio %.2f\n", "FTS search, a word in every message", $3/1e6, $3/20e6 }' "$OUT/messages.txt"
