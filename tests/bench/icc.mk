# ICC and simulator benchmarks. Included from the top-level Makefile.
#   make bench-icc     ICC codec cost, ICC msgs/s between two daemons on loopback,
#                      simulator events/s and memory at 100k nodes
$(BUILD)/icc-codec-bench: tests/bench/icc_codec_bench.c $(BUILD)/libipop.a
	$(CC) $(CFLAGS) -o $@ $< $(BUILD)/libipop.a $(LDLIBS)

bench-icc: all $(BUILD)/icc-codec-bench
	IPOP=$(BUILD)/ipop-bpf SIM=$(BUILD)/ipop-sim CODEC=$(BUILD)/icc-codec-bench \
		tests/bench/icc_bench.sh

.PHONY: bench-icc
