#!/usr/bin/env bash
# Runs every benchmark beside its baseline in one run and prints each as a ratio.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
OUT=bench/out
mkdir -p "$OUT"

# ratio FILE BENCH BASELINE LABEL: the ns/op of BENCH over BASELINE's, from go test -bench output.
ratio() {
    awk -v b="$2" -v base="$3" -v label="$4" '
        $1 ~ "^"b"(-[0-9]+)?$" { x = $3 }
        $1 ~ "^"base"(-[0-9]+)?$" { y = $3 }
        END { if (x && y) printf "%-40s %12.0f ns/op  baseline %12.0f ns/op  ratio %.2f\n", label, x, y, x / y }' "$1"
}

go test -run XXX -bench 'Filter|BindRow' -benchtime 2000x ./gui/ | tee "$OUT/gui.txt"
go test -run XXX -bench 'Resolve' -benchtime 20000x ./data/ | tee "$OUT/data.txt"
# The message list's refresh after a store change reports its own ratio to the bare SQL page read.
go test -run XXX -bench 'ListRefresh' -benchtime 200x ./gui/ | tee "$OUT/listrefresh.txt"
go test -run XXX -bench 'AddressKeystroke' -benchtime 5000x ./gui/ | tee "$OUT/typing.txt"
echo
echo "== ratios (lower is better)"
ratio "$OUT/gui.txt" BenchmarkFilter BenchmarkFilterBaseline "grid filter, 10k providers (goal 2 ms)"
ratio "$OUT/gui.txt" BenchmarkBindRow BenchmarkBindRowBaseline "grid row binding"
ratio "$OUT/data.txt" BenchmarkResolveProvider/exact BenchmarkResolveBaselineRawLookup "ResolveProvider, repeat (goal 20 us)"
ratio "$OUT/data.txt" BenchmarkResolveProviderCold BenchmarkResolveBaselineRawLookup "ResolveProvider, cache miss"
awk '$1 ~ /^BenchmarkAddressKeystroke(-[0-9]+)?$/ { x = $5; m = $7 } $1 ~ /^BenchmarkAddressKeystrokeBaseline(-[0-9]+)?$/ { y = $5; n = $7 }
    END { if (x && y) printf "%-40s %12.0f ns/key  baseline %12.0f ns/key  ratio %.2f  (slowest %s ms, baseline %s ms; goal 2 ms)\n", "new-mailbox address keystroke", x, y, x / y, m, n }' "$OUT/typing.txt"
bash bench/startup.sh
bash bench/send.sh
bash bench/sync.sh
bash bench/hostile.sh
