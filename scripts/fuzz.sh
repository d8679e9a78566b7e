#!/usr/bin/env bash
# make fuzz: runs every Go fuzz target in the repository for FUZZTIME (default 20s) each.
# New crashers land in the package's testdata/fuzz/<Target>/ and then fail `make test` until fixed.
set -euo pipefail
FUZZTIME=${FUZZTIME:-20s}
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
  pkg=./$(dirname "${f#./}")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$f" | awk '{print $2}'); do
    echo "== $pkg $target ($FUZZTIME)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$pkg"
  done
done
