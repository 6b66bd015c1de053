.PHONY: test run bench

# Starts the bot in the terminal on the embedded default (no Redis, no tokens).
run:
	go run ./cmd/sswbot chat

# Installs what the tests need when missing (redis-server, chromium) and runs them all.
test:
	bash scripts/test.sh

# Prints the benchmark numbers quoted in BENCHMARKS.md.
bench:
	go test -run '^$$' -bench . -benchmem ./dialog ./bot ./store/...
