#!/usr/bin/env bash
# HTTP load test on the embedded SQLite store, one load generator (wrk), one run:
#   1. GET /health, the baseline;
#   2. POST /v1/suitability/check alone;
#   3. a mixed load: 80 % checks and 20 % orders (POST /v1/orders, each one a sale written with
#      its decision, holding, callbacks and audit entries), 16 connections, over 16 investors
#      (C4, each an allowed match for the R4 product: every order must be placed, 201).
# Prints throughput, p50, p99 and max latency of each (and the mixed load's p99 / p50), and the
# check / health ratio; fails when any request of any run answers an error.
#   benches/http.sh            (builds the release binary; installs wrk from Debian if missing)
# Traffic goes to 127.0.0.1 only; each run is bounded (DURATION seconds per endpoint).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10}"
command -v wrk >/dev/null || { apt-get update -qq >/dev/null; apt-get install -y -qq wrk >/dev/null; }
# BIN=path/to/suitability measures that binary instead of building this checkout.
if [ -z "${BIN:-}" ]; then cargo build --release --quiet; BIN="$PWD/target/release/suitability"; fi
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
# The investors are qualified for a private fund (3.5 million of financial assets) and prove it:
# without an asset proof issued before signing, every decision is a reject
# (qualification_evidence_missing). The proof is a month old, well within the 180 days the rules
# accept.
PROOF_DATE=$(date -u -d '30 days ago' +%F)
# Answers that agree with those facts (q4 "c": 3 to 10 million of investable assets; q17 "c":
# 41 to 50 years old), or the assessment is flagged answers_contradict_facts and every sale waits
# for a risk review. They score 61: C4, a match for the R4 product below.
ANSWERS='{"questionnaire_id":"individual","answers":{"q1":"a","q2":"c","q3":"a","q4":"c","q5":"d","q6":"b","q7":"c","q8":"b","q9":["b","c"],"q10":"b","q11":"b","q12":["a","b"],"q13":"c","q14":"b","q15":"b","q16":"a","q17":"c","q18":"a","q19":"c","q20":"a"}}'
# Several clients, as a sales desk has: every order defers the investor's open callbacks while
# its cooling-off runs (it reads them all), so thousands of sales piled on one investor would
# measure that one investor's growing callback list rather than the service.
INVESTORS=${INVESTORS:-64}
IDS=()
for k in $(seq 1 "$INVESTORS"); do
  # A valid resident identity number (GB 11643) per investor: born 1980-01-01, sequence k.
  ID_NUMBER=$(python3 -c "f = '11010119800101%03d' % $k; w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
print(f + '10X98765432'[sum(int(d) * x for d, x in zip(f, w)) % 11])")
  IDS+=("$(curl -s "$URL/v1/investors" -H "Authorization: Bearer $S" -H "$H" -d '{"kind":"individual","name":"压测'"$k"'","id_number":"'"$ID_NUMBER"'","birth_date":"1980-01-01","phone":"13800138000","financial_assets":"3500000","evidence":[{"kind":"asset_proof","ref":"资产证明 BENCH'"$k"'","issued_at":"'"$PROOF_DATE"'"}]}' | id)")
  curl -s "$URL/v1/investors/${IDS[-1]}/assessments" -H "Authorization: Bearer $S" -H "$H" -d "$ANSWERS" >/dev/null
done
I=${IDS[0]}
# Orders are decided as at their signing, which must follow the assessment (else
# assessed_after_signing) and not lie in the future: signed now, to the microsecond the
# assessments are recorded with, paid once the product is on sale.
SIGNED=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
P=$(curl -s "$URL/v1/products" -H "Authorization: Bearer $R" -H "$H" -d '{"code":"BENCH1","name":"压测产品","kind":"private_securities","risk_rating":"R4","min_subscription":1000000}' | id)
PAID=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ)
# The load below only counts HTTP statuses, and a reject is a 200 too: make sure the check
# measured is an allowed sale.
VERDICT=$(curl -s "$URL/v1/suitability/check" -H "Authorization: Bearer $S" -H "$H" -d '{"investor_id":"'"$I"'","product_id":"'"$P"'","amount":"1000000"}' | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['verdict'], *d['reasons'], *d['requirements'])")
case "$VERDICT" in match*|mismatch*) ;; *) echo "the check answers $VERDICT, not an allowed sale"; exit 1 ;; esac
cat >"$WORK/check.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"investor_id":"$I","product_id":"$P","amount":"1000000"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $S"
LUA
# Every fifth request places an order; the others check; request n is for investor n mod 16 (5
# and 16 coprime: orders go to every investor in turn). A C4 investor buying R4 is a match that
# needs only the dual recording (its recording_ref is the evidence the requirement asks for). The
# same sale may be placed again and again: each is a new subscription (no Idempotency-Key is
# sent, so none is replayed as the first one's answer).
order() { echo '{"investor_id":"'"$1"'","product_id":"'"$P"'","amount":"1000000","signed_at":"'"$SIGNED"'","paid_at":"'"$PAID"'","acknowledgments":["dual_recording"],"recording_ref":"双录 BENCH"}'; }
{
  echo 'local checks, orders = {}, {}'
  for i in "${IDS[@]}"; do
    echo "table.insert(checks, '{\"investor_id\":\"$i\",\"product_id\":\"$P\",\"amount\":\"1000000\"}')"
    echo "table.insert(orders, '$(order "$i")')"
  done
  cat <<LUA
local n = 0
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer $S"}
request = function()
  n = n + 1
  local k = n % #orders + 1
  if n % 5 == 0 then
    return wrk.format("POST", "/v1/orders", headers, orders[k])
  end
  return wrk.format("POST", "/v1/suitability/check", headers, checks[k])
end
LUA
} >"$WORK/mixed.lua"
# wrk's 2 s timeout stands: a request slower than that counts as an error and fails the run.
run() { wrk -t2 -c"$1" -d"${DURATION}s" --latency "${@:2}"; }
HEALTH=$(run 32 "$URL/health")
# PERF=file records the server's profile (perf, call graphs) while the checks run.
if [ -n "${PERF:-}" ]; then perf record -g -p "$PID" -o "$PERF" 2>/dev/null & PERF_PID=$!; fi
CHECK=$(run 32 -s "$WORK/check.lua" "$URL/v1/suitability/check")
if [ -n "${PERF:-}" ]; then kill -INT "$PERF_PID"; wait "$PERF_PID" || true; fi
# One order first, outside the load, so that a refusal shows its reasons (wrk only counts it).
STATUS=$(curl -s -o "$WORK/order.json" -w '%{http_code}' "$URL/v1/orders" -H "Authorization: Bearer $S" -H "$H" -d "$(order "$I")")
[ "$STATUS" = 201 ] || { echo "POST /v1/orders answered $STATUS:"; cat "$WORK/order.json"; echo; exit 1; }
MIXED=$(run 16 -s "$WORK/mixed.lua" "$URL")
rps() { awk '/Requests\/sec/ {print $2}'; }
# wrk's latencies in milliseconds ("850.00us", "1.20ms", "1.02s", "1.50m").
ms() { awk -v v="$1" 'BEGIN { u = v; sub(/^[0-9.]+/, "", u)
  print v * (u == "us" ? 0.001 : u == "ms" ? 1 : u == "s" ? 1000 : u == "m" ? 60000 : 3600000) }'; }
# One line per run; with "tail", the p99 / p50 ratio too: how far the slowest requests fall
# behind the typical one once orders write.
show() {
  local p50 p99 tail=""
  p50=$(echo "$2" | awk '$1 == "50%" {print $2}'); p99=$(echo "$2" | awk '$1 == "99%" {print $2}')
  if [ "${3:-}" = tail ]; then
    tail=$(awk -v a="$(ms "$p99")" -v b="$(ms "$p50")" 'BEGIN { printf "  p99/p50 %.1f", a / b }')
  fi
  printf '%-34s %9s req/s  p50 %8s  p99 %8s  max %8s%s\n' "$1" "$(echo "$2" | rps)" "$p50" "$p99" \
    "$(echo "$2" | awk '$1 == "Latency" {print $4}')" "$tail"
  if echo "$2" | grep -q "Non-2xx\|Socket errors"; then echo "$1 answered errors:"; echo "$2"; exit 1; fi
}
show "GET /health (32 conns)" "$HEALTH"
show "POST /v1/suitability/check (32)" "$CHECK"
show "mixed 80 % check / 20 % order (16)" "$MIXED" tail
H_RPS=$(echo "$HEALTH" | rps); C_RPS=$(echo "$CHECK" | rps)
python3 -c "print(f'ratio check / health: {$C_RPS / $H_RPS:.2f}')"
