// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Seen-cache: bound, expiry with injected time, growth. */
#include <criterion/criterion.h>

#include "core/seen.h"

static struct msg_id seent_id(uint32_t i)
{
	struct msg_id id = { { 0 } };

	memcpy(id.b, &i, sizeof(i));
	id.b[15] = 0x77;
	return id;
}

Test(seen, new_then_duplicate)
{
	struct seen_cache s;
	struct msg_id a = seent_id(1), b = seent_id(2);

	seen_init(&s, 16, 1000);
	cr_assert_eq(seen_check_insert(&s, &a, 0), 0);
	cr_assert_eq(seen_check_insert(&s, &a, 1), 1);
	cr_assert_eq(seen_check_insert(&s, &b, 2), 0);
	cr_assert(seen_contains(&s, &a, 3));
	cr_assert_eq(s.count, 2);
	seen_free(&s);
}

Test(seen, bounded_oldest_forgotten)
{
	struct seen_cache s;

	seen_init(&s, 4, 1000000);
	for (uint32_t i = 0; i < 5; i++) {
		struct msg_id id = seent_id(i);

		cr_assert_eq(seen_check_insert(&s, &id, i), 0);
	}
	cr_assert_eq(s.count, 4);
	for (uint32_t i = 0; i < 5; i++) {
		struct msg_id id = seent_id(i);

		cr_assert_eq(seen_contains(&s, &id, 10), i != 0, "id %u", i);
	}
	seen_free(&s);
}

Test(seen, expiry_with_injected_time)
{
	struct seen_cache s;
	struct msg_id a = seent_id(1), b = seent_id(2);

	seen_init(&s, 16, 100);
	seen_check_insert(&s, &a, 0);
	seen_check_insert(&s, &b, 50);
	cr_assert(seen_contains(&s, &a, 99));
	cr_assert_not(seen_contains(&s, &a, 100));
	cr_assert(seen_contains(&s, &b, 100));
	cr_assert_eq(seen_expire(&s, 150), 0);
	/* an expired ID is new again */
	cr_assert_eq(seen_check_insert(&s, &a, 200), 0);
	seen_free(&s);
}

Test(seen, grows_lazily_and_stays_bounded)
{
	struct seen_cache s;

	seen_init(&s, 1000, 1ULL << 40);
	cr_assert_eq(s.alloc, 0, "no storage before the first insert");
	for (uint32_t i = 0; i < 5000; i++) {
		struct msg_id id = seent_id(i);

		cr_assert_eq(seen_check_insert(&s, &id, i), 0);
		cr_assert_leq(s.alloc, 2048);
	}
	cr_assert_eq(s.count, 1000);
	for (uint32_t i = 4000; i < 5000; i++) {
		struct msg_id id = seent_id(i);

		cr_assert_eq(seen_check_insert(&s, &id, 5000), 1);
	}
	seen_free(&s);
}
