#!/usr/bin/env bash
# Send benchmark: mails a 25 MB attachment through the loopback Postfix (and its copy to Sent
# through Dovecot) and reports how much the process's peak memory grew against the
# attachment's size. Goal: less than the attachment itself, since it is streamed from disk.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out
mkdir -p "$OUT"
go build -o "$OUT/send" ./bench/send
bash .ci/with-test-env.sh "$OUT/send" --mb "${SEND_MB:-25}" 2>&1 | grep -v "Failed to set fd limit" | tee "$OUT/send.txt"
