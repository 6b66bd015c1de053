# Sourced by bench.sh and redis-work.sh: what both set up before a load run.
# Cores and ports (the caller may set its own defaults first), the two
# binaries built into a temporary directory that is removed on exit with
# every process listed in pids, the LINE variables serve and sswload share,
# and wait_port.
BOT_CORE=${BOT_CORE:-0}
LOAD_CORE=${LOAD_CORE:-1}
PORT=${PORT:-18080}
API_PORT=${API_PORT:-18090}
REDIS_PORT=${REDIS_PORT:-18379}

command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)"; exit 1; }
bin=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$bin"
}
trap cleanup EXIT

go build -o "$bin/sswbot" ./cmd/sswbot
go build -o "$bin/sswload" ./cmd/sswload

export LINE_CHANNEL_SECRET=testsecret LINE_CHANNEL_ACCESS_TOKEN=test-token
export LINE_API_BASE_URL=http://127.0.0.1:$API_PORT

wait_port() {
  for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on $1"; exit 1
}
