#!/usr/bin/env bash
# fuzz/run-all.sh SECONDS: builds every target once, then runs each for
# SECONDS (fuzz/run.sh), one after another. Exits 1 if any target crashed.
set -uo pipefail
# slotdav has no unsafe code of its own, so by default no AddressSanitizer
# (libFuzzer still catches panics, hangs and memory growth); set
# FUZZ_FLAGS="" for the ASan build.
FUZZ_FLAGS=${FUZZ_FLAGS---sanitizer=none}
cd "$(dirname "$0")"
SECONDS_EACH=${1:?usage: fuzz/run-all.sh SECONDS}
./seed.sh
nice -n "${NICE:-19}" cargo +nightly fuzz build $FUZZ_FLAGS || exit 1
status=0
for t in $(cargo +nightly fuzz list); do
  ./run.sh "$t" "$SECONDS_EACH" || status=1
done
exit $status
