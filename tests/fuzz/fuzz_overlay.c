// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness for the structured overlay's parsers: topology messages
 * (unsigned, and signed: flags & 2, the sender's record and a record per
 * entry) and the SMM header. Whatever decodes must re-encode to the same
 * bytes; every decoded record's signed bytes stay within TOPO_REC_MAX.
 * Seeds: tests/fuzz/corpus-overlay.
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Iuser -D_GNU_SOURCE \
 *     tests/fuzz/fuzz_overlay.c user/modules/topology_wire.c user/modules/smm_wire.c \
 *     user/framework/icc.c user/framework/id.c $(pkg-config --cflags --libs libsodium)
 */
#include <stdlib.h>
#include <string.h>

#include "modules/smm.h"
#include "modules/topology.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	uint8_t out[ICC_MAX_PAYLOAD];
	struct topo_msg m;
	struct smm_hdr h;
	int n;

	if (topo_msg_decode(data, len, &m) == 0) {
		n = topo_msg_encode(&m, out, sizeof(out));
		if (n != (int)len || memcmp(out, data, len))
			abort();
		for (int i = 0; i < m.n; i++) {
			uint8_t rec[TOPO_REC_MAX];
			size_t rl = topo_rec_bytes(&m.e[i].id, &m.e[i].addr, m.e[i].s.stamp, rec);

			if (rl > TOPO_REC_MAX || rl != 8 + ID_LEN + 1 + m.e[i].addr.len + 8)
				abort();
		}
		if (m.flags & TOPO_F_SIGNED && m.n > TOPO_GOSSIP_SIGNED_MAX)
			abort();
	}
	if (smm_hdr_decode(data, len, &h) == SMM_HDR_LEN) {
		n = smm_hdr_encode(&h, out, sizeof(out));
		if (n != SMM_HDR_LEN || memcmp(out, data, SMM_HDR_LEN))
			abort();
	}
	return 0;
}
