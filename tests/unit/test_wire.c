// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* The shared wire helpers: big-endian fields, module-name fields, hex decoding, control args. */
#include <criterion/criterion.h>
#include <errno.h>
#include <sodium.h>

#include "core/ctlarg.h"
#include "core/icc.h"
#include "core/id.h"
#include "core/wire.h"

Test(wire, big_endian_round_trip)
{
	static const uint8_t want[8] = { 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef };
	uint8_t b[8] = { 0 };

	wire_put64(b, 0x0123456789abcdefULL);
	cr_assert_arr_eq(b, want, 8);
	cr_assert_eq(wire_get64(b), 0x0123456789abcdefULL);
	cr_assert_eq(wire_get32(b + 4), 0x89abcdefu);
	cr_assert_eq(wire_get16(b + 6), 0xcdef);
	wire_put32(b, 0xfedcba98u);
	cr_assert(b[0] == 0xfe && b[1] == 0xdc && b[2] == 0xba && b[3] == 0x98 && b[4] == 0x89);
	wire_put16(b, 0x8001);
	cr_assert(b[0] == 0x80 && b[1] == 0x01 && b[2] == 0xba);
}

Test(wire, module_field)
{
	uint8_t f[ICC_MOD_LEN];
	char out[ICC_MOD_LEN + 1];

	memset(f, 0xff, sizeof(f));
	icc_modfield_put(f, "echo");
	cr_assert(!memcmp(f, "echo", 4) && f[4] == 0 && f[ICC_MOD_LEN - 1] == 0);
	cr_assert_eq(icc_modfield_get(f, out), 1);
	cr_assert_str_eq(out, "echo");
	f[9] = 'x'; /* a byte after the NUL padding starts */
	cr_assert_eq(icc_modfield_get(f, out), 0);
	memcpy(f, "0123456789abcdef", ICC_MOD_LEN); /* full width, no NUL */
	cr_assert_eq(icc_modfield_get(f, out), 1);
	cr_assert_str_eq(out, "0123456789abcdef");
	f[3] = 'A'; /* not a name character */
	cr_assert_eq(icc_modfield_get(f, out), 0);
	memset(f, 0, sizeof(f));
	cr_assert_eq(icc_modfield_get(f, out), 1);
	cr_assert_str_eq(out, "");
}

Test(wire, hex_decode)
{
	uint8_t out[3] = { 7, 7, 7 };

	cr_assert_eq(hex_decode("00aBff", 6, out, 3), 0);
	cr_assert(out[0] == 0x00 && out[1] == 0xab && out[2] == 0xff);
	memset(out, 7, sizeof(out));
	cr_assert_eq(hex_decode("00aBf", 5, out, 3), -EINVAL);
	cr_assert_eq(hex_decode("00aBfg", 6, out, 3), -EINVAL);
	cr_assert(out[0] == 7 && out[1] == 7 && out[2] == 7, "untouched on error");
}

Test(wire, id_parse_bounds)
{
	uint8_t id[ID_LEN];

	cr_assert_eq(id_parse(NULL, id), -EINVAL);
	cr_assert_eq(id_parse("000102030405060708090a0b0c0d0e0", id), -EINVAL);
	cr_assert_eq(id_parse("000102030405060708090a0b0c0d0e0f0", id), -EINVAL);
	cr_assert_eq(id_parse("000102030405060708090a0b0c0d0E0F", id), 0);
	cr_assert(id[0] == 0 && id[14] == 0x0e && id[15] == 0x0f);
}

Test(wire, ctl_msg_id_and_reply)
{
	struct msg_id id, zero = { { 0 } };
	char err[128] = "";
	json_t *req, *rep;

	cr_assert(sodium_init() >= 0);
	req = json_pack("{s:s}", "id", "000102030405060708090a0b0c0d0e0f");
	cr_assert_eq(ctl_msg_id(req, &id, err, sizeof(err)), 0);
	cr_assert(id.b[0] == 0 && id.b[15] == 0x0f);
	json_object_set_new(req, "id", json_integer(5));
	cr_assert_eq(ctl_msg_id(req, &id, err, sizeof(err)), -EINVAL);
	cr_assert_str_eq(err, "'id' must be 32 hex digits");
	json_object_del(req, "id");
	cr_assert_eq(ctl_msg_id(req, &id, err, sizeof(err)), 0);
	cr_assert(!msg_id_eq(&id, &zero), "a random ID");
	json_decref(req);

	rep = ctl_sent_reply("x_send", &id, -EHOSTUNREACH, err, sizeof(err));
	cr_assert_null(rep);
	cr_assert_str_eq(err, "x_send: No route to host");
	rep = ctl_sent_reply("x_send", &zero, 3, err, sizeof(err));
	cr_assert_not_null(rep);
	cr_assert_str_eq(json_string_value(json_object_get(rep, "id")),
			 "00000000000000000000000000000000");
	cr_assert_eq(json_integer_value(json_object_get(rep, "sent")), 3);
	cr_assert(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
}
