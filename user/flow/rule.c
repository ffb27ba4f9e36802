// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow/fmt.h"
#include "flow/rule.h"

#define ERR(...) (snprintf(err, errlen, __VA_ARGS__), -EINVAL)

static int parse_u32(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	/* digits only: strtoul would also take leading blanks and a sign */
	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -EINVAL : 0;
}

static int parse_proto(const char *s, __u8 *out)
{
	static const struct {
		const char *name;
		__u8 num;
	} names[] = { { "tcp", 6 },	  { "udp", 17 },       { "icmp", 1 },
		      { "icmpv6", 58 },	  { "ipv6-icmp", 58 }, { "sctp", 132 },
		      { "udplite", 136 }, { "gre", 47 },       { "esp", 50 } };
	unsigned long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name))
			return *out = names[i].num, 0;
	if (parse_u32(s, 255, &v))
		return -EINVAL;
	*out = v;
	return 0;
}

/* "10.0.0.0/8", "fd00::/64", or a bare address (full length). */
static int parse_prefix(const char *s, __u8 addr[16], __u8 *len, __u8 *l3)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	unsigned long plen, max;
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	if (alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, addr) == 1) {
		*l3 = FLOW_L3_IPV4;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		*l3 = FLOW_L3_IPV6;
		max = 128;
	} else {
		return -EINVAL;
	}
	if (slash && parse_u32(slash + 1, max, &plen))
		return -EINVAL;
	*len = slash ? plen : max;
	/* host bits must be zero: "10.1.2.3/8" is almost always a typo */
	for (unsigned int b = *len; b < max; b++)
		if (addr[b / 8] & (0x80 >> (b % 8)))
			return -ERANGE;
	return 0;
}

static int parse_range(const char *s, __u16 *lo, __u16 *hi)
{
	char buf[16];
	const char *dash = strchr(s, '-');
	unsigned long a, b;

	if (strlen(s) >= sizeof(buf))
		return -EINVAL;
	if (!dash) {
		if (parse_u32(s, 65535, &a))
			return -EINVAL;
		*lo = *hi = a;
		return 0;
	}
	memcpy(buf, s, dash - s);
	buf[dash - s] = 0;
	if (parse_u32(buf, 65535, &a) || parse_u32(dash + 1, 65535, &b) || a > b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

/* An interface name as the kernel takes it, in printable ASCII (it travels as JSON). */
static bool dev_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= sizeof(((struct rule *)0)->dev) || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c > '~' || c == '/' || c == ':')
			return false;
	}
	return true;
}

static int set_name(struct rule *r, const char *name, char *err, size_t errlen)
{
	size_t n = strlen(name);

	if (n == 0 || n >= CLS_TABLE_NAME_LEN)
		return ERR("table name '%s' must be 1..%d characters", name,
			   CLS_TABLE_NAME_LEN - 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return ERR("table name '%s': only letters, digits, '-', '_' and '.'", name);
	}
	memcpy(r->def.name, name, n + 1);
	return 0;
}

/* One keyword and its value; shared by the word and JSON parsers. */
static int set_field(struct rule *r, const char *kw, const char *val, char *err, size_t errlen)
{
	struct cls_table_def *d = &r->def;
	unsigned long v;
	__u8 l3;
	int e;

	if (!strcmp(kw, "prio")) {
		if (parse_u32(val, 1000000, &v))
			return ERR("bad prio '%s' (0..1000000)", val);
		d->prio = v;
	} else if (!strcmp(kw, "dev")) {
		if (!dev_name_ok(val))
			return ERR("bad dev '%s' (an interface name)", val);
		snprintf(r->dev, sizeof(r->dev), "%s", val);
		d->match |= CLS_M_IFINDEX;
	} else if (!strcmp(kw, "dir")) {
		if (strcmp(val, "ingress") && strcmp(val, "egress"))
			return ERR("bad dir '%s' (ingress|egress)", val);
		d->dir = !strcmp(val, "egress") ? FLOW_DIR_EGRESS : FLOW_DIR_INGRESS;
		d->match |= CLS_M_DIR;
	} else if (!strcmp(kw, "ip")) {
		if (strcmp(val, "4") && strcmp(val, "6"))
			return ERR("bad ip '%s' (4|6)", val);
		if ((d->match & (CLS_M_SRC | CLS_M_DST)) && d->l3 != val[0] - '0')
			return ERR("ip '%s' disagrees with the IPv%u prefix before it", val, d->l3);
		d->l3 = val[0] - '0';
		d->match |= CLS_M_L3;
	} else if (!strcmp(kw, "proto")) {
		if (parse_proto(val, &d->proto))
			return ERR("bad proto '%s' (tcp|udp|icmp|icmpv6|sctp|0..255)", val);
		d->match |= CLS_M_PROTO;
	} else if (!strcmp(kw, "src") || !strcmp(kw, "dst")) {
		bool src = kw[0] == 's';

		e = parse_prefix(val, src ? d->src : d->dst, src ? &d->src_len : &d->dst_len, &l3);
		if (e == -ERANGE)
			return ERR("%s '%s' has host bits set", kw, val);
		if (e)
			return ERR("bad %s prefix '%s'", kw, val);
		if ((d->match & CLS_M_L3) && d->l3 != l3)
			return ERR("%s '%s' is not IPv%u", kw, val, d->l3);
		d->l3 = l3;
		d->match |= CLS_M_L3 | (src ? CLS_M_SRC : CLS_M_DST);
	} else if (!strcmp(kw, "sport") || !strcmp(kw, "dport")) {
		bool sp = kw[0] == 's';

		if (parse_range(val, sp ? &d->sport_lo : &d->dport_lo,
				sp ? &d->sport_hi : &d->dport_hi))
			return ERR("bad %s '%s' (N or N-M, 0..65535)", kw, val);
		d->match |= sp ? CLS_M_SPORT : CLS_M_DPORT;
	} else {
		return ERR("unknown keyword '%s' (prio|dev|dir|ip|proto|src|dst|sport|dport)", kw);
	}
	return 0;
}

int rule_validate(struct rule *r, char *err, size_t errlen)
{
	struct cls_table_def *d = &r->def;
	__u8 p = d->proto;

	if ((d->match & (CLS_M_SPORT | CLS_M_DPORT)) &&
	    (!(d->match & CLS_M_PROTO) || (p != 6 && p != 17 && p != 132 && p != 136)))
		return ERR("sport/dport need proto tcp, udp, sctp or udplite");
	/* prefixes were checked against the ip version as they were parsed */
	return 0;
}

int rule_parse_words(struct rule *r, int argc, char **argv, char *err, size_t errlen)
{
	int e;

	memset(r, 0, sizeof(*r));
	if (argc < 1)
		return ERR("missing table NAME");
	e = set_name(r, argv[0], err, errlen);
	for (int i = 1; !e && i < argc; i += 2) {
		if (i + 1 >= argc)
			return ERR("keyword '%s' needs a value", argv[i]);
		for (int k = 1; k < i; k += 2)
			if (!strcmp(argv[k], argv[i]))
				return ERR("keyword '%s' given twice", argv[i]);
		e = set_field(r, argv[i], argv[i + 1], err, errlen);
	}
	return e ? e : rule_validate(r, err, errlen);
}

int rule_from_json(struct rule *r, json_t *j, char *err, size_t errlen)
{
	const char *kw, *name;
	json_t *v;
	char num[32];
	int e;

	memset(r, 0, sizeof(*r));
	if (!json_is_object(j))
		return ERR("a table must be a JSON object");
	name = json_string_value(json_object_get(j, "name"));
	if (!name)
		return ERR("table needs a string \"name\"");
	e = set_name(r, name, err, errlen);
	json_object_foreach(j, kw, v) {
		const char *val;

		if (e || !strcmp(kw, "name"))
			continue;
		if (json_is_integer(v)) {
			snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			val = num;
		} else if (json_is_string(v)) {
			val = json_string_value(v);
		} else {
			return ERR("field \"%s\" must be a string or an integer", kw);
		}
		e = set_field(r, kw, val, err, errlen);
	}
	return e ? e : rule_validate(r, err, errlen);
}

json_t *rule_to_json(const struct rule *r)
{
	const struct cls_table_def *d = &r->def;
	json_t *j = json_pack("{s:s, s:I}", "name", d->name, "prio", (json_int_t)d->prio);
	char buf[FMT_ADDR_LEN + 8], a[FMT_ADDR_LEN];

	if (d->match & CLS_M_IFINDEX)
		json_object_set_new(j, "dev", json_string(r->dev));
	if (d->match & CLS_M_DIR)
		json_object_set_new(j, "dir", json_string(fmt_dir(d->dir)));
	if (d->match & CLS_M_L3)
		json_object_set_new(j, "ip", json_integer(d->l3));
	if (d->match & CLS_M_PROTO)
		json_object_set_new(j, "proto", json_integer(d->proto));
	if (d->match & CLS_M_SRC) {
		snprintf(buf, sizeof(buf), "%s/%u", fmt_addr(a, sizeof(a), d->l3, d->src),
			 d->src_len);
		json_object_set_new(j, "src", json_string(buf));
	}
	if (d->match & CLS_M_DST) {
		snprintf(buf, sizeof(buf), "%s/%u", fmt_addr(a, sizeof(a), d->l3, d->dst),
			 d->dst_len);
		json_object_set_new(j, "dst", json_string(buf));
	}
	if (d->match & CLS_M_SPORT) {
		snprintf(buf, sizeof(buf), d->sport_lo == d->sport_hi ? "%u" : "%u-%u", d->sport_lo,
			 d->sport_hi);
		json_object_set_new(j, "sport", json_string(buf));
	}
	if (d->match & CLS_M_DPORT) {
		snprintf(buf, sizeof(buf), d->dport_lo == d->dport_hi ? "%u" : "%u-%u", d->dport_lo,
			 d->dport_hi);
		json_object_set_new(j, "dport", json_string(buf));
	}
	return j;
}
