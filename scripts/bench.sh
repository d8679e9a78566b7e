#!/usr/bin/env bash
# make bench: the issue-6 measurement, end to end on the real binary with its default settings.
# Starts jetlog on a temporary data dir, pushes with the shared loadgen, queries the needle before
# any forced flush, forces a flush, runs the four queries 3 times each, and prints a table with the
# server's CPU time, peak RSS and stored bytes read from /proc and the data dir.
# Extra loadgen push flags can be given in LOADGEN_FLAGS (e.g. "-streams 2000 -shape json"),
# LINES=4200000 pushes that many lines instead of for DURATION (the issue's 1,033 MB data set),
# extra server flags in JETLOG_FLAGS (the table is of the defaults only without them).
# The CPU figure is the server's CPU time during the push plus during the forced flush, i.e.
# also the chunker work the push left buffered.
# PROFILE_DIR=dir also saves CPU profiles of the server (ingest.pprof: the middle of the push;
# needle.pprof: the needle query after the flush, run in a loop) and prints their top entries.
set -euo pipefail
SHARED=${1:-../shared}
LOADGEN="go -C $SHARED/loadgen run ."
BIN=${BIN:-./bin/jetlog}
DURATION=${DURATION:-20s}
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
DIR=$(mktemp -d)
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT

# Build loadgen first so its compilation does not count against the server.
go -C "$SHARED/loadgen" build -o "$DIR/loadgen" .
LOADGEN="$DIR/loadgen"

"$BIN" -data-dir "$DIR/data" -http-addr "127.0.0.1:$PORT" \
  -distributor.ingestion-rate-limit-mb=1000 -distributor.ingestion-burst-size-mb=2000 ${JETLOG_FLAGS:-} >"$DIR/jetlog.log" 2>&1 &
PID=$!
for i in $(seq 1 150); do curl -fsS "$URL/ready" >/dev/null 2>&1 && break; sleep 0.2; done

cpu() { awk '{print $14+$15}' /proc/$PID/stat; }   # utime+stime in clock ticks
TICKS=$(getconf CLK_TCK)
profile() { # file seconds: a CPU profile of the server
  curl -fsS "$URL/debug/pprof/profile?seconds=$2" -o "$PROFILE_DIR/$1"
}
top() { echo "### $1"; go tool pprof -top -nodecount=25 "$BIN" "$PROFILE_DIR/$1" 2>/dev/null | sed -n '4,32p'; }
CPU0=$(cpu)
if [ -n "${PROFILE_DIR:-}" ]; then
  mkdir -p "$PROFILE_DIR"
  (sleep 4; profile ingest.pprof 10) &
  PROF=$!
fi
PUSH=$($LOADGEN push -url "$URL" -tenant load -duration "$DURATION" ${LINES:+-lines $LINES} -workers 8 ${LOADGEN_FLAGS:-} | tail -n 1)
CPU1=$(cpu)
[ -z "${PROFILE_DIR:-}" ] || wait $PROF
echo "$PUSH"
MB=$(echo "$PUSH" | sed -E 's/.*lines, ([0-9.]+) MB raw.*/\1/')
LPS=$(echo "$PUSH" | sed -E 's/.*: ([0-9]+) lines\/s.*/\1/')
P99=$(echo "$PUSH" | sed -E 's/.*p99 ([^ ]+) .*/\1/')
ERRS=$(echo "$PUSH" | sed -E 's/.*; ([0-9]+) errors/\1/')

q() { # name query -> median seconds
  $LOADGEN query -url "$URL" -tenant load -since 15m -n 3 -step 60 -query "$1" | tail -n 1 | sed -E 's/.*median ([^ ]+) .*/\1/'
}
NEEDLE='{job="load"} |= "needle"'
metric() { curl -fsS "$URL/metrics" | awk -v m="$1" '$1 == m {printf "%.0f", $2}'; }
TAIL0=$(metric jetlog_bus_tail_messages_read_total)
SKIP0=$(metric jetlog_bus_tail_messages_skipped_total)
BUFFERED=$(metric jetlog_chunker_buffered_bytes)
T_UNFLUSHED=$(q "$NEEDLE")
TAIL_MSGS=$(( ($(metric jetlog_bus_tail_messages_read_total) - TAIL0) / 3 ))
TAIL_SKIPPED=$(( ($(metric jetlog_bus_tail_messages_skipped_total) - SKIP0) / 3 ))
CPU2=$(cpu)
curl -fsS -X POST "$URL/flush" >/dev/null
CPU3=$(cpu)
TICKS_INGEST=$((CPU1 - CPU0 + CPU3 - CPU2))
CPUS=$(python3 -c "print(round($TICKS_INGEST/$TICKS,1))")
CPUGB=$(python3 -c "print(round($TICKS_INGEST/$TICKS/($MB/1000),1))")
T_NEEDLE=$(q "$NEEDLE")
T_COUNT=$(q 'sum by (namespace) (count_over_time({job="load"}[1m]))')
T_LOGFMT=$(q 'sum by (status) (count_over_time({job="load"} | logfmt | duration > 1500ms [1m]))')
T_TOPK=$(q 'topk(5, sum by (stream) (bytes_over_time({job="load"}[5m])))')
if [ -n "${PROFILE_DIR:-}" ]; then
  profile needle.pprof 5 &
  PROF=$!
  $LOADGEN query -url "$URL" -tenant load -since 15m -n 40 -step 60 -query "$NEEDLE" >/dev/null
  wait $PROF
fi
RSS=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
STORED=$(find "$DIR/data/objects" -type f -printf '%s\n' 2>/dev/null | awk '{s+=$1} END {printf "%.1f", s/1e6}')   # file bytes, not disk blocks
OBJECTS=$(find "$DIR/data/objects" -name '*.parquet' -path '*/data/*' 2>/dev/null | wc -l)

cat <<TABLE
| figure | jetlog |
| --- | --- |
| ingest throughput | $LPS lines/s, $ERRS errors |
| server CPU seconds per GB raw | $CPUGB ($CPUS s for $MB MB, push and flush) |
| push latency p99 | $P99 |
| peak RSS of the server | $RSS MB |
| bytes stored for $MB MB raw | $STORED MB in $OBJECTS data objects |
| needle query | $T_NEEDLE |
| sum by (namespace) count_over_time | $T_COUNT |
| logfmt duration filter | $T_LOGFMT |
| topk bytes_over_time | $T_TOPK |
| needle query before flush | $T_UNFLUSHED ($TAIL_MSGS bus messages read and $TAIL_SKIPPED fetched and dropped per query; chunker buffer $((BUFFERED / 1000000)) MB) |
TABLE
if [ -n "${PROFILE_DIR:-}" ]; then top ingest.pprof; top needle.pprof; fi
