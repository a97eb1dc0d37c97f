#!/usr/bin/env bash
# `make test`: runs each stage (a make target) in order, stops at the first that fails, and prints how long each
# took (the README's "Where the time goes" comes from this table). Stages run one at a time: most of them use
# both cores (cargo, wasm-pack, Jest workers, the app builds).
set -uo pipefail
make_cmd=${MAKE:-make}
names=()
secs=()
status=0
print_table() {
  local total=0 i
  echo
  echo "make test: time per stage"
  for i in "${!names[@]}"; do
    printf '  %-16s %5d s\n' "${names[$i]}" "${secs[$i]}"
    total=$((total + secs[i]))
  done
  printf '  %-16s %5d s (%d min %02d s)\n' total "$total" $((total / 60)) $((total % 60))
}
for stage in "$@"; do
  start=$(date +%s)
  "$make_cmd" --no-print-directory "$stage"
  status=$?
  names+=("$stage")
  secs+=($(($(date +%s) - start)))
  if [ "$status" -ne 0 ]; then
    print_table
    echo "make test: stage $stage failed (exit $status)" >&2
    exit "$status"
  fi
done
print_table
