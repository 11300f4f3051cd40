# The README's two commands. Everything else is Meson's (build/ and friends).
JOBS ?= $(shell nproc)
BUILD ?= build
SECONDS ?= 60

.PHONY: all deps build run check bench fuzz stress install clean

all: build

deps:
	@scripts/pkgdep.sh

build: deps
	@[ -f $(BUILD)/build.ninja ] || meson setup $(BUILD) -Dwerror=true
	@ninja -C $(BUILD) -j $(JOBS)

# The tool's main job: what this machine offers, then every service at work.
run: build
	@scripts/run.sh $(BUILD)

# All tests in the plain, ASan+UBSan and TSan builds, plus an unprivileged rerun.
check: deps
	@JOBS=$(JOBS) scripts/check.sh

bench: build
	@$(BUILD)/tools/ioalloc/ioalloc bench

# libFuzzer (clang-14, ASan+UBSan) in build-fuzz/: every harness for SECONDS each.
fuzz: deps
	@scripts/fuzz.sh $(SECONDS)

# The long stress run: plain, debug mode, and under fault injection; SECONDS per phase.
stress: build
	@scripts/stress.sh $(SECONDS) $(BUILD)

install: build
	meson install -C $(BUILD)

clean:
	rm -rf build build-asan build-tsan build-fuzz build*.log
