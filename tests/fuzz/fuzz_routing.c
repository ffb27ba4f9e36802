// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer harness for the unstructured overlay's parsers: the TLFM
 * header, SPDM requests/replies, SRUM data headers and route errors.
 * Whatever decodes must re-encode to the same bytes, and decoded routes
 * must be loop-free and within SR_HOPS_MAX.
 */
#include <stdlib.h>
#include <string.h>

#include "modules/spdm.h"
#include "modules/srum.h"
#include "modules/tlfm.h"

static void check_tlfm(const uint8_t *data, size_t len)
{
	uint8_t out[CMM_MAX_DATA];
	struct tlfm_hdr h;
	int n = tlfm_hdr_decode(data, len, &h);

	if (n < 0)
		return;
	if (n > (int)len || h.nknown > TLFM_KNOWN_MAX ||
	    tlfm_hdr_encode(&h, out, sizeof(out)) != n || memcmp(out, data, (size_t)n))
		abort();
}

static void check_spdm(const uint8_t *data, size_t len)
{
	uint8_t out[SPDM_MSG_MAX];
	struct spdm_msg m;
	size_t bl;

	if (spdm_msg_decode(data, len, &m, &bl) < 0)
		return;
	if (m.nrec > SR_HOPS_MAX || bl > len || !sr_loop_free(&m.initiator, m.rec, m.nrec) ||
	    spdm_msg_encode(&m, out, sizeof(out), NULL) != (int)len || memcmp(out, data, len))
		abort();
}

static void check_srum(const uint8_t *data, size_t len)
{
	uint8_t out[ICC_MAX_PAYLOAD];
	struct srum_data_hdr h;
	struct srum_rerr e;
	int n = srum_data_decode(data, len, &h);

	if (n >= 0) {
		if (h.npath > SR_HOPS_MAX || h.pos >= h.npath ||
		    !sr_loop_free(&h.start, h.path, h.npath) ||
		    (!h.salvage && !node_id_eq(&h.start, &h.src)) ||
		    srum_data_encode(&h, out, sizeof(out)) != n || memcmp(out, data, (size_t)n))
			abort();
	}
	if (srum_rerr_decode(data, len, &e, NULL) == 0) {
		if (e.nback > SR_HOPS_MAX || e.pos >= e.nback ||
		    srum_rerr_encode(&e, out, sizeof(out), NULL) != (int)len ||
		    memcmp(out, data, len))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	check_tlfm(data, len);
	check_spdm(data, len);
	check_srum(data, len);
	return 0;
}
