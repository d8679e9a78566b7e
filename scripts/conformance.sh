#!/usr/bin/env bash
# Runs the shared Loki conformance kit against a fresh jetlog twice: first while every entry is
# still only on the bus (the chunker is told not to flush), then after POST /flush has moved
# everything into object storage. Both runs must pass every case.
set -euo pipefail
SHARED=${1:-../shared}
KIT="$SHARED/conformance"
BIN=${BIN:-./bin/jetlog}
PORT=${PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
URL="http://127.0.0.1:$PORT"
DIR=$(mktemp -d)
LOG="$DIR/jetlog.log"
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null; rm -rf "$DIR"' EXIT

"$BIN" -data-dir "$DIR/data" -http-addr "127.0.0.1:$PORT" \
  -validation.reject-old-samples=false -querier.max-query-series=10000 \
  -chunker.max-chunk-age=1h -chunker.idle-period=1h >"$LOG" 2>&1 &
PID=$!
for i in $(seq 1 150); do
  curl -fsS "$URL/ready" >/dev/null 2>&1 && break
  kill -0 $PID 2>/dev/null || { cat "$LOG"; exit 1; }
  sleep 0.2
done
curl -fsS "$URL/ready" >/dev/null || { echo "jetlog did not become ready"; cat "$LOG"; exit 1; }

python3 "$KIT/run.py" push "$URL"
echo "== conformance, data on the bus only"
python3 "$KIT/run.py" check "$URL" "$KIT/queries.json" "$KIT/answers.json" | tail -n 60
curl -fsS -X POST "$URL/flush" >/dev/null
echo "== conformance, data flushed to object storage"
python3 "$KIT/run.py" check "$URL" "$KIT/queries.json" "$KIT/answers.json"
