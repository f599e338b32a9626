#!/usr/bin/env bash
# HTTP load test: POST /v1/suitability/check against GET /health on the embedded SQLite store,
# same load generator (wrk), same run. Prints both throughputs, their ratio and p99 latencies.
#   benches/http.sh            (builds the release binary; installs wrk from Debian if missing)
# Traffic goes to 127.0.0.1 only; each run is bounded (DURATION seconds per endpoint).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
command -v wrk >/dev/null || { apt-get update -qq >/dev/null; apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet
BIN="$PWD/target/release/suitability"
WORK="$(mktemp -d)"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$WORK"' EXIT
export DATABASE_URL="sqlite://$WORK/bench.db"
S=$("$BIN" token create --name bench-sales --role sales 2>/dev/null | tail -1)
R=$("$BIN" token create --name bench-risk --role risk 2>/dev/null | tail -1)
"$BIN" serve --listen "127.0.0.1:$PORT" >"$WORK/serve.log" 2>&1 &
PID=$!
until curl -sf "127.0.0.1:$PORT/health" >/dev/null; do sleep 0.05; done
URL="http://127.0.0.1:$PORT"
H='Content-Type: application/json'
id() { python3 -c "import json,sys; print(json.load(sys.stdin)['id'])"; }
I=$(curl -s "$URL/v1/investors" -H "Authorization: Bearer $S" -H "$H" -d '{"kind":"individual","name":"压测","id_number":"110101198001011234","birth_date":"1980-01-01","phone":"13800138000","financial_assets":"3500000"}' | id)
curl -s "$URL/v1/investors/$I/assessments" -H "Authorization: Bearer $S" -H "$H" -d '{"questionnaire_id":"individual","answers":{"q1":"a","q2":"c","q3":"a","q4":"b","q5":"d","q6":"b","q7":"c","q8":"b","q9":["b","c"],"q10":"b","q11":"b","q12":["a","b"],"q13":"c","q14":"b","q15":"b","q16":"a","q17":"b","q18":"a","q19":"c","q20":"a"}}' >/dev/null
P=$(curl -s "$URL/v1/products" -H "Authorization: Bearer $R" -H "$H" -d '{"code":"BENCH1","name":"压测产品","kind":"private_securities","risk_rating":"R4","min_subscription":1000000}' | id)
cat >"$WORK/check.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"investor_id":"$I","product_id":"$P","amount":"1000000"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $S"
LUA
run() { wrk -t2 -c32 -d"${DURATION}s" --latency "$@"; }
HEALTH=$(run "$URL/health")
CHECK=$(run -s "$WORK/check.lua" "$URL/v1/suitability/check")
rps() { awk '/Requests\/sec/ {print $2}'; }
p99() { awk '$1 == "99%" {print $2}'; }
H_RPS=$(echo "$HEALTH" | rps); C_RPS=$(echo "$CHECK" | rps)
echo "GET /health:                $H_RPS req/s, p99 $(echo "$HEALTH" | p99)"
echo "POST /v1/suitability/check: $C_RPS req/s, p99 $(echo "$CHECK" | p99)"
echo "$CHECK" | grep -q "Non-2xx" && { echo "the check answered errors:"; echo "$CHECK"; exit 1; }
python3 -c "print(f'ratio check / health: {$C_RPS / $H_RPS:.2f}')"
