#!/usr/bin/env bash
# The one test command (README, .ci/run): installs what the tests need when
# missing, then checks formatting, vet, the dependency direction, the
# content, and runs every test with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
command -v redis-cli >/dev/null 2>&1 || need+=(redis-tools) # creates the Redis Cluster in cmd/sswload's scale-out test
command -v chromium >/dev/null 2>&1 || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing ${need[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== dependency direction"
bash scripts/deps.sh

echo "== sswbot check"
go run ./cmd/sswbot check

echo "== go test -race"
go test -race -count=1 -timeout 10m ./...
