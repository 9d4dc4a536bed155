#!/usr/bin/env bash
# fuzz/run.sh TARGET SECONDS: runs one fuzz target (cargo-fuzz, libFuzzer,
# nightly) for SECONDS on its corpus, with a budget per input (10 s,
# 2048 MiB; TIMEOUT=S changes the 10 s), then prints one summary line: executions, coverage (cov/ft
# of libFuzzer's last status line), corpus size, crashes (crash-, oom-,
# timeout- and leak- files in fuzz/artifacts/TARGET/), the slowest input,
# peak RSS and duration. Exits 1 when the run found a crash.
# The full log is fuzz/logs/TARGET.log. NICE=19 (default) keeps it low priority.
set -uo pipefail
# slotdav has no unsafe code of its own, so by default no AddressSanitizer
# (libFuzzer still catches panics, hangs and memory growth); set
# FUZZ_FLAGS="" for the ASan build.
FUZZ_FLAGS=${FUZZ_FLAGS---sanitizer=none}
cd "$(dirname "$0")"
TARGET=${1:?usage: fuzz/run.sh TARGET SECONDS}
SECONDS_TO_RUN=${2:?usage: fuzz/run.sh TARGET SECONDS}
[[ -d corpus/$TARGET ]] || ./seed.sh >/dev/null
mkdir -p "artifacts/$TARGET" logs
LOG=logs/$TARGET.log
before=$(ls "artifacts/$TARGET" | grep -cE '^(crash|oom|timeout|leak)-' || true)
start=$(date +%s)
nice -n "${NICE:-19}" cargo +nightly fuzz run $FUZZ_FLAGS "$TARGET" "corpus/$TARGET" -- \
  -max_total_time="$SECONDS_TO_RUN" -timeout="${TIMEOUT:-10}" -rss_limit_mb=2048 -max_len=16384 \
  -print_final_stats=1 -report_slow_units=1 -artifact_prefix="artifacts/$TARGET/" >"$LOG" 2>&1
rc=$?
end=$(date +%s)
after=$(ls "artifacts/$TARGET" | grep -cE '^(crash|oom|timeout|leak)-' || true)
stat() { grep -oE "^stat::$1: *[0-9.]+" "$LOG" | tail -1 | grep -oE '[0-9.]+$' || echo "?"; }
last=$(grep -E '^#[0-9]+' "$LOG" | tail -1)
cov=$(grep -oE 'cov: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo "?")
ft=$(grep -oE 'ft: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo "?")
corp=$(grep -oE 'corp: [0-9]+' <<<"$last" | grep -oE '[0-9]+' || echo "?")
crashes=$((after - before))
echo "$TARGET: executions=$(stat number_of_executed_units) exec/s=$(stat average_exec_per_sec) cov=$cov ft=$ft corpus=$corp crashes=$crashes slowest_input_s=$(stat slowest_unit_time_sec) peak_rss_mb=$(stat peak_rss_mb) duration_s=$((end - start)) rc=$rc"
if (( crashes > 0 )) || grep -qE '^==[0-9]+== ?ERROR|deadly signal|panicked at' "$LOG"; then
  echo "$TARGET: CRASH, see $LOG and artifacts/$TARGET/"
  grep -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$LOG" | head -5
  exit 1
fi
(( rc == 0 )) || { echo "$TARGET: libFuzzer exited $rc (build error?), see $LOG"; tail -20 "$LOG"; exit 1; }
