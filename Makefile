# ipop-bpf — build, test, benchmark.
#   make          build build/ipop-bpf (and build/ipop-sim)
#   make demo     install what is missing, build, run the demo (root)
#   make check    install what is missing, build, run every test (root)
#   make bench    benchmark tables (root)
#   make vmlinux  regenerate vmlinux/vmlinux.h from the running kernel
#   make format   clang-format the C sources

CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
BUILD    := build
ARCH     := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

PKGS      = libbpf libxdp jansson libsodium libpcap ncursesw libfixbuf
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -I$(BUILD) -Ibpf -Iuser $(PKG_CFLAGS)
LDLIBS   += $(PKG_LIBS) -lelf -lz -lpthread -lm

BPF_CFLAGS := -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ivmlinux -Ibpf -Wall -Werror

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS  := $(wildcard bpf/*.h)

# Entry points; every other file under user/ goes into libipop.a.
MAIN_SRCS := user/cli/main.c user/cli/sim_main.c
USER_SRCS := $(shell find user -name '*.c' | sort)
LIB_SRCS  := $(filter-out $(MAIN_SRCS),$(USER_SRCS))
LIB_OBJS  := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
USER_HDRS := $(shell find user -name '*.h')

BINS := $(BUILD)/ipop-bpf $(BUILD)/ipop-sim

UNIT_SRCS := $(wildcard tests/unit/*.c)
LIVE_SRCS := $(wildcard tests/live/*.c)
BPFT_SRCS := $(wildcard tests/bpf/*.c)
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOLS     := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))
TEST_BPF  := $(patsubst tests/net/%.bpf.c,$(BUILD)/tools/%.bpf.o,$(wildcard tests/net/*.bpf.c))

.PHONY: all deps demo check check-run test-unit test-live test-bpf test-net test-fuzz bench bench-run \
	fuzz format format-check vmlinux clean
.DELETE_ON_ERROR:
.SECONDARY:

all: $(BINS)

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

# Variant of the flow map as a per-CPU LRU, for the benchmark only.
$(BUILD)/ipop_flow_percpu.bpf.o: bpf/ipop_flow.bpf.c $(BPF_HDRS) | $(BUILD)
	$(CLANG) $(BPF_CFLAGS) -DIPOP_FLOW_PERCPU -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/obj/%.o: %.c $(USER_HDRS) $(BPF_HDRS) $(SKELS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/libipop.a: $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/ipop-bpf: $(BUILD)/obj/user/cli/main.o $(BUILD)/libipop.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/ipop-sim: $(BUILD)/obj/user/cli/sim_main.o $(BUILD)/libipop.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/unit-tests: $(UNIT_SRCS) $(wildcard tests/unit/*.h) $(BUILD)/libipop.a
	$(CC) $(CFLAGS) -Itests -o $@ $(UNIT_SRCS) $(BUILD)/libipop.a $(LDLIBS) -lcriterion

# In-process daemons with their sockets: not unit tests.
$(BUILD)/live-tests: $(LIVE_SRCS) $(BUILD)/libipop.a
	$(CC) $(CFLAGS) -Itests -o $@ $(LIVE_SRCS) $(BUILD)/libipop.a $(LDLIBS) -lcriterion

$(BUILD)/bpf-tests: $(BPFT_SRCS) $(BUILD)/libipop.a $(BUILD)/ipop_flow.bpf.o
	$(CC) $(CFLAGS) -Itests -o $@ $(BPFT_SRCS) $(BUILD)/libipop.a $(LDLIBS) -lcriterion

$(BUILD)/tools/%.bpf.o: tests/net/%.bpf.c
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tools/%: tests/tools/%.c $(BUILD)/libipop.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(BUILD)/libipop.a $(LDLIBS)

$(BUILD):
	@mkdir -p $@

deps:
	@tests/deps.sh test

# The demo builds everything it runs.
DEMO_NEEDS := $(BINS)

demo: deps
	@$(MAKE) --no-print-directory $(DEMO_NEEDS)
	tests/net/demo.sh

# `make check` = install what is missing, then every test suite.
check: deps
	@$(MAKE) --no-print-directory check-run

check-run: all $(BUILD)/unit-tests $(BUILD)/live-tests $(BUILD)/bpf-tests $(TOOLS) $(TEST_BPF) format-check
	tests/run-all.sh

test-unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests
test-live: $(BUILD)/live-tests
	$(BUILD)/live-tests
test-bpf: $(BUILD)/bpf-tests
	$(BUILD)/bpf-tests
test-net: all $(TOOLS) $(TEST_BPF)
	tests/net/run.sh

bench: deps
	@$(MAKE) --no-print-directory bench-run

bench-run: all $(TOOLS) $(TEST_BPF) $(BUILD)/ipop_flow_percpu.bpf.o $(BUILD)/icc-codec-bench
	tests/bench/run.sh
	IPOP=$(BUILD)/ipop-bpf SIM=$(BUILD)/ipop-sim CODEC=$(BUILD)/icc-codec-bench \
		tests/bench/icc_bench.sh
	SIM=$(BUILD)/ipop-sim tests/bench/smm_bench.sh
	SIM=$(BUILD)/ipop-sim tests/bench/routing_bench.sh
	$(BUILD)/tools/bench_cls --md $(BUILD)/bench.md
	BUILD=$(BUILD) tests/bench/vpn_bench.sh
	BUILD=$(BUILD) tests/bench/vpn_chain.sh

format:
	clang-format -i $$(find bpf user tests -name '*.[ch]')

format-check:
	@bad=$$(for f in $$(find bpf user tests -name '*.[ch]'); do \
		clang-format --dry-run --Werror "$$f" >/dev/null 2>&1 || echo "$$f"; done); \
	if [ -n "$$bad" ]; then echo "format-check: not clang-formatted (make format):" $$bad >&2; exit 1; fi

vmlinux:
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > vmlinux/vmlinux.h

# ---- Sanitizer build (hardening) ---------------------------------------------
# The userspace again with ASan + UBSan (+ LSan) in $(BUILD)/asan; the
# `sanitize` suite of `make check` (tests/sanitize/run.sh) runs the unit tests
# and a daemon integration test with it, and fails on any report.
#   make asan-build    build $(BUILD)/asan/{ipop-bpf,unit-tests}
#   make test-asan     build and run the suite
ASAN_BUILD  := $(BUILD)/asan
ASAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all

asan-build:
	@env CFLAGS="$(ASAN_CFLAGS)" $(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) \
		$(ASAN_BUILD)/ipop-bpf $(ASAN_BUILD)/unit-tests

test-asan: all $(TOOLS)
	BUILD=$(BUILD) tests/sanitize/run.sh

.PHONY: asan-build test-asan
# ---- end of the sanitizer build ------------------------------------------------

include tests/fuzz/fuzz.mk
include tests/bench/icc.mk

clean:
	rm -rf $(BUILD)
