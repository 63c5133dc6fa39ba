#!/usr/bin/env bash
# Startup benchmark: time from process start until the window is shown (mapped and visible
# under Xvfb), for a hello-world Fyne window and for Mailroom on a database with 10,000
# providers and 30,000 domains, alternating runs in one session. Prints medians and the ratio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
RUNS="${RUNS:-7}"
OUT=bench/out
mkdir -p "$OUT"
go build -o "$OUT/mailroom" .
go build -o "$OUT/hello" ./bench/hello
go build -o "$OUT/seed" ./bench/seed
DB="$OUT/startup-10k.db"
[ -s "$DB" ] || "$OUT/seed" --db "$DB" --providers 10000 --domains 3

DISP=":$((90 + RANDOM % 100))"
Xvfb "$DISP" -screen 0 1280x800x24 >/dev/null 2>&1 &
XPID=$!
trap 'kill $XPID 2>/dev/null || true' EXIT
export DISPLAY="$DISP"
for _ in $(seq 50); do xdpyinfo >/dev/null 2>&1 && break || sleep 0.1; done 2>/dev/null || sleep 1

# shown TITLE CMD...: milliseconds from start until a visible window named TITLE exists.
shown() {
    local title="$1"; shift
    local start end pid
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 &
    pid=$!
    xdotool search --sync --onlyvisible --name "^${title}\$" >/dev/null
    end=$(date +%s%N)
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true
    echo $(( (end - start) / 1000000 ))
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

hello=(); mailroom=()
for _ in $(seq "$RUNS"); do
    hello+=("$(shown Hello "$OUT/hello")")
    mailroom+=("$(shown Mailroom "$OUT/mailroom" --db "$DB")")
done
h=$(printf '%s\n' "${hello[@]}" | median)
m=$(printf '%s\n' "${mailroom[@]}" | median)
echo "startup hello-world: ${hello[*]} ms (median $h ms)"
echo "startup Mailroom 10k providers: ${mailroom[*]} ms (median $m ms)"
awk -v m="$m" -v h="$h" 'BEGIN { printf "startup ratio Mailroom/hello-world: %.2f (goal <= 1.2)\n", m / h }'
