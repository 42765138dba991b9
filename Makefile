# ksim: explore kernel locking scenarios for actual deadlocks.
# `make run` explores every scenario; `make test` runs the test suite. Both install what is missing.

SWIFT     ?= swift
BUILD_DIR := .build
KSIM      := $(BUILD_DIR)/debug/ksim
KSIM_REL  := $(BUILD_DIR)/release/ksim
# Every scenario at the top of Scenarios/ (preludes and benchmark families live in subfolders).
SCENARIOS := $(sort $(wildcard Scenarios/*.ksim))
SUDO      := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PKGS  := libncurses-dev tmux

.PHONY: deps build run test check watch bench differential clean

# Install the system packages the build, the viewer and its end-to-end test need (no-op when present).
deps:
	@missing=""; for p in $(APT_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

# Build the library and the ksim command.
build: deps
	$(SWIFT) build

# Explore every scenario in Scenarios/ (release build) and print the verdict table; fails if any verdict differs from its expect line.
run: deps
	$(SWIFT) build -c release
	$(KSIM_REL) explore --summary --timing $(SCENARIOS)

# Check every scenario file for errors without exploring.
check: build
	$(KSIM) check $(SCENARIOS)

# Run the whole test suite (Swift Testing).
test: deps
	$(SWIFT) build
	$(SWIFT) test --disable-xctest

# Benchmark (release build): every seed scenario and the families in Scenarios/bench/; JSON in bench/results.json.
# BASELINE=bench/results.sample.json (or an earlier results file) compares times, states and bytes with it.
bench: deps
	$(SWIFT) build -c release
	$(KSIM_REL) bench $(SCENARIOS) $(sort $(wildcard Scenarios/bench/*.ksim)) --json-out bench/results.json \
	  --label "$$(git describe --always --dirty 2>/dev/null || echo unknown)" $(if $(BASELINE),--baseline $(BASELINE),)

# Partial-order reduction against the plain search on many generated scenarios (release build;
# make test runs 300 small ones). CASES= and SEED= choose the range.
CASES ?= 5000
SEED  ?= 1
differential: deps
	$(SWIFT) build -c release
	$(KSIM_REL) differential --cases $(CASES) --seed $(SEED)

# Open a scenario in the terminal timeline: make watch SCENARIO=Scenarios/klist_hardirq.ksim [TRACE=file]
watch: build
	@if [ -z "$(SCENARIO)" ]; then echo "usage: make watch SCENARIO=Scenarios/<name>.ksim [TRACE=trace-file]"; exit 2; fi
	$(KSIM) watch $(SCENARIO) $(if $(TRACE),--trace $(TRACE),)

clean:
	rm -rf $(BUILD_DIR)
