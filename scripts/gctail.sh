#!/usr/bin/env bash
# How much of sswbot's slowest per cent its garbage collections make: one
# run of bench.sh's sswbot-redis peer (serve and its Redis on core 0, the
# load tool on core 1) with GODEBUG=gctrace=1, every request's start and
# latency kept, then `sswload gctail` lines the two up (BENCHMARKS.md,
# "The collector and the slowest per cent, request by request").
#
#   C=16 WINDOW=15 bash scripts/gctail.sh
#
# SERVE_ENV adds variables to serve's environment, e.g. SERVE_ENV=GOGC=400.
set -euo pipefail
cd "$(dirname "$0")/.."

C=${C:-16}
WINDOW=${WINDOW:-15}
USERS=${USERS:-997}
read -r -a serve_env <<<"${SERVE_ENV:-}"
# shellcheck source=scripts/loadlib.sh
source scripts/loadlib.sh

taskset -c "$BOT_CORE" redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$bin" >/dev/null 2>&1 &
pids+=("$!")
rp=$!
wait_port "$REDIS_PORT"
# gctrace counts from the process's start: taken just before it.
started=$(date +%s%N)
env "${serve_env[@]}" GODEBUG=gctrace=1 REDIS_URL=redis://127.0.0.1:$REDIS_PORT SSWBOT_ADDR=127.0.0.1:$PORT \
  SSWBOT_ADMIN_ADDR=off SSWBOT_LOG_LEVEL=error taskset -c "$BOT_CORE" "$bin/sswbot" serve >/dev/null 2>"$bin/serve.err" &
sp=$!
pids+=("$sp")
wait_port "$PORT"
taskset -c "$LOAD_CORE" "$bin/sswload" run -target http://127.0.0.1:$PORT -api 127.0.0.1:$API_PORT \
  -users "$USERS" -c "$C" -warmup 1s -duration "${WINDOW}s" -label sswbot-redis \
  -pids "$sp,$rp" -latencies "$bin/latencies.txt"
kill "$sp" && wait "$sp" 2>/dev/null || true
echo
"$bin/sswload" gctail -latencies "$bin/latencies.txt" -gctrace "$bin/serve.err" -started "$started"
