// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * libFuzzer target for the vpn module's wire check (modules/vpnmod.h): what
 * SRUM, SMM or TLFM deliver to it from other nodes. Properties: a message
 * is accepted only at its type's length (frames: at least a header and an
 * Ethernet header), never with a label 0, and the check reads nothing past
 * the input (ASan).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "modules/vpnmod.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy = malloc(size ? size : 1), type = 0;
	int ret;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	ret = vpnmod_check(copy, size, &type);
	if (ret >= 0) {
		if ((size_t)ret != size || copy[0] != VPNMOD_VERSION || copy[2] || copy[3])
			abort();
		switch (type) {
		case VPNMOD_T_FRAME:
		case VPNMOD_T_GROUP:
			if (size < VPNMOD_HDR + VPNMOD_FRAME_MIN)
				abort();
			break;
		case VPNMOD_T_LQ:
			if (size != VPNMOD_HDR + 4 + ID_LEN)
				abort();
			break;
		case VPNMOD_T_LR:
			if (size != VPNMOD_HDR + 5 + ID_LEN || copy[size - 1] == DP_LABEL_NONE)
				abort();
			break;
		case VPNMOD_T_DOWN:
		case VPNMOD_T_UP:
			if (size != VPNMOD_HDR + 2 * ID_LEN)
				abort();
			break;
		default:
			abort();
		}
	}
	free(copy);
	return 0;
}
