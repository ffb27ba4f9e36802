// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>

#include "core/id.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int hex_decode(const char *s, size_t n, uint8_t *out, size_t outlen)
{
	if (n != 2 * outlen)
		return -EINVAL;
	for (size_t i = 0; i < n; i++)
		if (hexval(s[i]) < 0)
			return -EINVAL;
	for (size_t i = 0; i < outlen; i++)
		out[i] = (uint8_t)(hexval(s[2 * i]) << 4 | hexval(s[2 * i + 1]));
	return 0;
}

int id_parse(const char *hex, uint8_t out[ID_LEN])
{
	return hex ? hex_decode(hex, strlen(hex), out, ID_LEN) : -EINVAL;
}

void id_fmt(const uint8_t id[ID_LEN], char out[ID_HEX_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";

	for (int i = 0; i < ID_LEN; i++) {
		out[2 * i] = digits[id[i] >> 4];
		out[2 * i + 1] = digits[id[i] & 0xf];
	}
	out[ID_HEX_LEN] = '\0';
}

uint64_t id_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

uint64_t id_hash(const uint8_t id[ID_LEN])
{
	uint64_t a, b;

	memcpy(&a, id, 8);
	memcpy(&b, id + 8, 8);
	return id_mix64(a ^ id_mix64(b));
}
