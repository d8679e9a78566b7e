#!/usr/bin/env bash
# make fuzz: runs every Go fuzz target in the repository for FUZZTIME (default 20s) each.
# New crashers land in the package's testdata/fuzz/<Target>/ and then fail `make test` until fixed.
# A failing target does not stop the run: every target runs, the failures are listed at the
# end, and the exit status is 1 if any target failed.
set -uo pipefail
FUZZTIME=${FUZZTIME:-20s}

targets=()
while read -r f; do
  pkg=./$(dirname "${f#./}")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$f" | awk '{print $2}'); do
    targets+=("$pkg $target")
  done
done < <(grep -rl --include='*_test.go' '^func Fuzz' . | sort)

if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz targets found" >&2
  exit 1
fi

failed=()
for t in "${targets[@]}"; do
  read -r pkg target <<<"$t"
  echo "== $pkg $target ($FUZZTIME)"
  # checkptr: a write through a pointer outside its buffer fails the target.
  if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" -gcflags='github.com/jetlog/jetlog/...=-d=checkptr' "$pkg"; then
    failed+=("$pkg $target")
  fi
done

echo "targets: $((${#targets[@]} - ${#failed[@]})) passed, ${#failed[@]} failed"
if [ ${#failed[@]} -gt 0 ]; then
  for t in "${failed[@]}"; do
    echo "FAIL $t"
  done
  exit 1
fi
