# ICC decoder fuzzing (libFuzzer). Included from the top-level Makefile.
#   make fuzz                    run until stopped (FUZZ_SECS=N to bound it)
#   make fuzz-check              every fuzz target, bounded (~12 s each), as `make check` runs them
FUZZ_CC    ?= clang
FUZZ_SECS  ?= 0
FUZZ_FLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Iuser -Ibpf \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS  := tests/fuzz/fuzz_icc.c user/core/icc.c user/core/id.c
FUZZ_BIN   := $(BUILD)/fuzz-icc

$(FUZZ_BIN): $(FUZZ_SRCS) user/core/icc.h user/core/id.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SRCS) $$(pkg-config --cflags --libs libsodium)

fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz-corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECS) -timeout=5 $(BUILD)/fuzz-corpus tests/fuzz/corpus

fuzz-check test-fuzz:
	BUILD=$(BUILD) tests/fuzz/run.sh

.PHONY: fuzz-check
