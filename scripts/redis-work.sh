#!/usr/bin/env bash
# Counts what Redis does per event, the numbers of BENCHMARKS.md's "Redis
# work per event": serve and its Redis (a fresh, empty one) pinned to one
# core, `sswload run` on the other for WINDOW seconds (997 users walking,
# text "1", CONCURRENCY at once), then Redis's own INFO: commands per event
# (those the scripts run included), bytes serve sent, keys and memory left.
# Counts, not times: they do not drift with a noisy host.
#
#   WINDOW=6 CONCURRENCY=16 bash scripts/redis-work.sh
#
# Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

WINDOW=${WINDOW:-6}
CONCURRENCY=${CONCURRENCY:-16}
USERS=${USERS:-997}
PORT=${PORT:-18180}
API_PORT=${API_PORT:-18190}
REDIS_PORT=${REDIS_PORT:-18479}
# shellcheck source=scripts/loadlib.sh
source scripts/loadlib.sh

taskset -c "$BOT_CORE" redis-server --port $REDIS_PORT --bind 127.0.0.1 --save "" --appendonly no --dir "$bin" >/dev/null 2>&1 &
pids+=($!)
wait_port $REDIS_PORT
REDIS_URL=redis://127.0.0.1:$REDIS_PORT SSWBOT_ADDR=127.0.0.1:$PORT SSWBOT_ADMIN_ADDR=off SSWBOT_LOG_LEVEL=error \
  taskset -c "$BOT_CORE" "$bin/sswbot" serve >/dev/null 2>&1 &
serve=$!
pids+=($serve)
wait_port $PORT

taskset -c "$LOAD_CORE" "$bin/sswload" run -target http://127.0.0.1:$PORT -api 127.0.0.1:$API_PORT \
  -users "$USERS" -c "$CONCURRENCY" -warmup 0s -duration "${WINDOW}s" -label redis-work -json >"$bin/run.json"
kill "$serve"; wait "$serve" 2>/dev/null || true # its last batches are in
redis-cli -p $REDIS_PORT info all >"$bin/info.txt"

python3 - "$bin/run.json" "$bin/info.txt" <<'PY'
import json, re, sys
run = json.load(open(sys.argv[1]))
info = open(sys.argv[2]).read()
ev = run["events"]
if not ev:
    sys.exit("no events were handled")
calls = {m[0]: int(m[1]) for m in re.findall(r"cmdstat_(\w+):calls=(\d+)", info)}
num = lambda k: int(re.search(k + r":(\d+)", info).group(1))
keys = sum(int(k) for k in re.findall(r"db\d+:keys=(\d+)", info))
print(f"{ev} events at c={run['c']} ({run['errors']} errors, {run['lost']} lost, {run['doubled']} doubled); per event:")
print(f"  Redis commands (the scripts' own included)  {sum(calls.values()) / ev:.2f}")
for name, n in sorted(calls.items(), key=lambda kv: -kv[1]):
    if n / ev >= 0.01:
        print(f"    {name:<22} {n / ev:.2f}")
print(f"  bytes serve sent to Redis                   {num('total_net_input_bytes') / ev:.0f}")
print(f"  bytes Redis sent back                       {num('total_net_output_bytes') / ev:.0f}")
print(f"  keys left in Redis                          {keys / ev:.2f}")
print(f"  Redis memory left (used_memory)             {num('used_memory') / ev:.0f} B")
PY
