#!/usr/bin/env bash
# The side-by-side LINE webhook benchmark of BENCHMARKS.md: sswbot (with
# Redis over loopback TCP, with Redis over a unix socket, and with the
# in-memory store) against the reference peer (the LINE
# SDK's plain echo handler, `sswload echo`), on one machine.
#
# The peer under test and its Redis run on core 0 (taskset), the load
# generator and the fake LINE Messaging API on core 1. Each round runs every
# peer at every concurrency for WINDOW seconds after a 1 s warm-up, in an
# order that turns by one place every round; the table gives medians,
# min–max, and req/s as a ratio to echo, and how busy the load core was:
# ⚠ marks a run over 90 %, whose rate may be the load tool's limit rather
# than the peer's (sswload's own CPU is in the JSON).
#
#   ROUNDS=3 WINDOW=10 CONCURRENCY="16 64" bash scripts/bench.sh
#
# SERVE_ENV adds variables to sswbot serve's environment only (not to echo
# or the load tool), e.g. SERVE_ENV="GOGC=400 GOMEMLIMIT=512MiB" for the
# collector settings serve had before 2026-12-01 22:30.
#
# Results (one JSON line per run) go to $OUT (default bench-results.jsonl).
# Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${ROUNDS:-3}
WINDOW=${WINDOW:-10}
CONCURRENCY=${CONCURRENCY:-"16 64"}
USERS=${USERS:-997}
PEERS=${PEERS:-"echo sswbot-redis sswbot-redis-unix sswbot-memory"}
OUT=${OUT:-bench-results.jsonl}
read -r -a serve_env <<<"${SERVE_ENV:-}"
# shellcheck source=scripts/loadlib.sh
source scripts/loadlib.sh
: >"$OUT"

# start_serve VAR=VALUE...: starts sswbot serve on core BOT_CORE with
# those variables, SERVE_ENV's and the bench's own, in the background.
start_serve() {
  env "${serve_env[@]}" "$@" SSWBOT_ADDR=127.0.0.1:$PORT SSWBOT_ADMIN_ADDR=off SSWBOT_LOG_LEVEL=error \
    taskset -c "$BOT_CORE" "$bin/sswbot" serve >/dev/null 2>&1 &
}

# start_peer NAME: starts the peer (and its Redis) pinned to BOT_CORE and
# sets PEER_PIDS to the processes whose CPU counts.
start_peer() {
  PEER_PIDS=""
  case $1 in
    echo)
      taskset -c "$BOT_CORE" "$bin/sswload" echo -addr 127.0.0.1:$PORT >/dev/null 2>&1 &
      PEER_PIDS=$! ;;
    sswbot-memory)
      start_serve
      PEER_PIDS=$! ;;
    sswbot-redis)
      taskset -c "$BOT_CORE" redis-server --port $REDIS_PORT --bind 127.0.0.1 --save "" --appendonly no --dir "$bin" >/dev/null 2>&1 &
      local rp=$!
      pids+=("$rp")
      wait_port $REDIS_PORT
      start_serve REDIS_URL=redis://127.0.0.1:$REDIS_PORT
      PEER_PIDS="$! $rp" ;;
    sswbot-redis-unix)
      # The same Redis on the same core, reached over its unix socket only
      # (--port 0): what a Redis on the bot's host should be.
      local sock=$bin/redis.sock
      rm -f "$sock"
      taskset -c "$BOT_CORE" redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save "" --appendonly no --dir "$bin" >/dev/null 2>&1 &
      local rp=$!
      pids+=("$rp")
      for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
      [ -S "$sock" ] || { echo "redis-server made no socket $sock"; exit 1; }
      start_serve REDIS_URL=unix://$sock
      PEER_PIDS="$! $rp" ;;
    *)
      echo "unknown peer $1 (echo, sswbot-redis, sswbot-redis-unix, sswbot-memory)"; exit 1 ;;
  esac
  for p in $PEER_PIDS; do pids+=("$p"); done
  wait_port $PORT
}

stop_peer() {
  for p in $PEER_PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $PEER_PIDS; do wait "$p" 2>/dev/null || true; done
}

read -r -a peers <<<"$PEERS"
for round in $(seq "$ROUNDS"); do
  # Each round starts one peer later (echo first, then second, ...): a
  # peer's place in the round showed in its numbers (the one after echo
  # ran slower in several runs), so no peer keeps the same place.
  k=$(((round - 1) % ${#peers[@]}))
  order=("${peers[@]:k}" "${peers[@]:0:k}")
  for c in $CONCURRENCY; do
    for peer in "${order[@]}"; do
      start_peer "$peer"
      echo "== round $round, c=$c, $peer" >&2
      taskset -c "$LOAD_CORE" "$bin/sswload" run -target http://127.0.0.1:$PORT -api 127.0.0.1:$API_PORT \
        -users "$USERS" -c "$c" -warmup 1s -duration "${WINDOW}s" -label "$peer" \
        -pids "$(echo $PEER_PIDS | tr ' ' ,)" -json | tee -a "$OUT"
      stop_peer
    done
  done
done

echo
"$bin/sswload" table "$OUT"
