# libFuzzer targets (tests/fuzz/run.sh declares them). Included from the top-level Makefile.
#   make fuzz                          every target for FUZZ_SECS seconds each (default 60),
#                                      growing $(BUILD)/fuzz-corpus-NAME from run to run
#   make fuzz FUZZ_TARGET=parse        one target (names: see tests/fuzz/run.sh)
#   make fuzz-check                    every target, bounded (~90 s in all), as `make check` runs them
FUZZ_SECS   ?= 60
FUZZ_TARGET ?=

fuzz:
	BUILD=$(BUILD) FUZZ_KEEP=1 FUZZ_CHECK_SECS=$(FUZZ_SECS) FUZZ_ONLY=$(FUZZ_TARGET) tests/fuzz/run.sh

fuzz-check test-fuzz:
	BUILD=$(BUILD) tests/fuzz/run.sh

.PHONY: fuzz-check
