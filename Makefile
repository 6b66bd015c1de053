.PHONY: test run bench bench-line redis-work gc-tail

# Starts the bot in the terminal on the embedded default (no Redis, no tokens).
run:
	go run ./cmd/sswbot chat

# Installs what the tests need when missing (redis-server, chromium) and runs them all.
test:
	bash scripts/test.sh

# Prints the benchmark numbers quoted in BENCHMARKS.md.
bench:
	go test -run '^$$' -bench . -benchmem ./dialog ./bot ./store/...

# The side-by-side webhook benchmark of BENCHMARKS.md (pinned cores, rounds, medians,
# ratios to the LINE SDK echo handler): ROUNDS=3 WINDOW=10 CONCURRENCY="16 64".
bench-line:
	bash scripts/bench.sh

# What Redis does per event under the webhook load (commands, bytes, keys,
# memory; counts, not times): WINDOW=6 CONCURRENCY=16.
redis-work:
	bash scripts/redis-work.sh

# How much of the slowest per cent serve's garbage collections make (one
# sswbot-redis run with gctrace, lined up request by request): C=16 WINDOW=15.
gc-tail:
	bash scripts/gctail.sh
