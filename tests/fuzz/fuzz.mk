# ICC decoder fuzzing (libFuzzer). Included from the top-level Makefile.
#   make fuzz                    run until stopped (FUZZ_SECS=N to bound it)
#   make fuzz-check              bounded run (~20 s) for `make check`
FUZZ_CC    ?= clang
FUZZ_SECS  ?= 0
FUZZ_FLAGS := -g -O1 -std=gnu11 -D_GNU_SOURCE -Iuser \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_SRCS  := tests/fuzz/fuzz_icc.c user/framework/icc.c user/framework/id.c
FUZZ_BIN   := $(BUILD)/fuzz-icc

$(FUZZ_BIN): $(FUZZ_SRCS) user/framework/icc.h user/framework/id.h
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SRCS) $$(pkg-config --cflags --libs libsodium)

fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz-corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECS) -timeout=5 $(BUILD)/fuzz-corpus tests/fuzz/corpus

fuzz-check test-fuzz: $(FUZZ_BIN)
	BUILD=$(BUILD) tests/fuzz/fuzz-check.sh

.PHONY: fuzz-check
