#!/usr/bin/env bash
# Build every cargo-fuzz target and run each for N seconds (default 30); print a table of
# executions, seconds and crashes per target. Exit status 1 when a target crashed.
#
#   fuzz/run.sh            # 30 s per target (the short run of the test command)
#   fuzz/run.sh 3600       # the long run, on demand
#   FUZZ_TARGETS="envelope file_names" fuzz/run.sh 60
#
# Stable Rust: cargo-fuzz's nightly flags are enabled with RUSTC_BOOTSTRAP=1. The build takes
# the shared cargo lock (/tmp/parley-cargo.lock); the runs do not and are niced. Crashing
# inputs go to fuzz/artifacts/<target>/; copy them into fuzz/corpus/<target>/ once fixed.
# New coverage-increasing inputs go to a cache corpus ($FUZZ_WORK), not to the repository.
set -euo pipefail

secs="${1:-30}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/parley/fuzz-target}"
work="${FUZZ_WORK:-$HOME/.cache/parley/fuzz-corpus}"
targets="${FUZZ_TARGETS:-envelope rest_responses rich_message file_names wapikit_events}"
triple="$(rustc -vV | sed -n 's/^host: //p')"
bin_dir="$CARGO_TARGET_DIR/$triple/release"

if ! command -v cargo-fuzz >/dev/null; then
  echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
  exit 2
fi

# -s none: Rust's address sanitizer needs a std built with it (not possible on stable);
# the code under test is safe Rust, so the sanitizer would add little.
# `cargo xtask test` already serialises its builds: it sets PARLEY_NO_CARGO_LOCK.
lock=(flock /tmp/parley-cargo.lock)
if [ -n "${PARLEY_NO_CARGO_LOCK:-}" ]; then lock=(); fi
(cd "$here" && "${lock[@]}" cargo fuzz build -s none >&2)

rows=()
failed=0
for t in $targets; do
  mkdir -p "$work/$t" "$here/artifacts/$t"
  before="$(find "$here/artifacts/$t" -type f | wc -l)"
  log="$(mktemp)"
  start="$(date +%s.%N)"
  set +e
  # FUZZ_RUNS (the test command): a fixed number of runs from a fixed seed over the checked-in
  # corpus only, so CI is repeatable; new finds come from the timed runs.
  if [ -n "${FUZZ_RUNS:-}" ]; then
    corpus_dir="$(mktemp -d)"
    limit=(-runs="$FUZZ_RUNS" -seed="${FUZZ_SEED:-1}")
  else
    corpus_dir="$work/$t"
    limit=(-max_total_time="$secs")
  fi
  nice -n 10 "$bin_dir/$t" "$corpus_dir" "$here/corpus/$t" \
    "${limit[@]}" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$here/artifacts/$t/" >"$log" 2>&1
  rc=$?
  set -e
  end="$(date +%s.%N)"
  after="$(find "$here/artifacts/$t" -type f | wc -l)"
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  crashes=$((after - before))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
  if [ "$crashes" -ne 0 ]; then
    failed=1
    echo "== $t: exit $rc; last lines of its log:" >&2
    tail -40 "$log" >&2
  fi
  rows+=("$(printf '%-16s %12s %9.1f %8s' "$t" "${execs:-?}" "$(awk "BEGIN{print $end - $start}")" "$crashes")")
  rm -f "$log"
done

printf '%-16s %12s %9s %8s\n' target executions seconds crashes
printf '%s\n' "${rows[@]}"
exit "$failed"
