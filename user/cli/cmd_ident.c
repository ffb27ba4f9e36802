// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * Identity commands: `ipop-bpf key gen`, `ipop-bpf ca init|sign`,
 * `ipop-bpf cert show`. File formats: docs/identity.md.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <sodium.h>

#include "cli/cli.h"
#include "cli/commands.h"
#include "daemon/keyfile.h"

#define DAY_S	     86400ULL
#define MAX_DAYS     36500
#define DEFAULT_DAYS 365

struct ident_cli {
	const char *out, *ca, *pub, *name, *not_after;
	unsigned int days;
	struct cli_list addr, group;
	bool json;
	struct cli_pos pos;
};

static int gen_pair(const char *out, bool ca)
{
	struct ident k;
	struct node_id id;
	char err[512], hex[ID_HEX_LEN + 1];
	int ret;

	if (!out)
		return cli_err("--out FILE is required");
	if (ident_generate(&k))
		return cli_err("cannot generate a key pair (libsodium)");
	ret = keyfile_write_pair(out, &k, err, sizeof(err));
	ident_wipe(&k);
	if (ret)
		return cli_err("%s", err);
	ident_node_id(k.pub, &id);
	id_fmt(id.b, hex);
	if (cli_json)
		printf("{\"%s\": \"%s\", \"private\": \"%s\", \"public\": \"%s.pub\"}\n",
		       ca ? "ca_id" : "node_id", hex, out, out);
	else
		printf("%s %s\nwrote %s (private, 0600) and %s.pub\n", ca ? "CA key ID" : "node ID",
		       hex, out, out);
	return 0;
}

/* "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SSZ" (UTC) -> Unix seconds. */
static int parse_date(const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	const char *end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	time_t t;

	if (!end || *end) {
		memset(&tm, 0, sizeof(tm));
		end = strptime(s, "%Y-%m-%d", &tm);
		if (!end || *end)
			return -EINVAL;
	}
	t = timegm(&tm);
	if (t < 0)
		return -EINVAL;
	*out = (uint64_t)t;
	return 0;
}

static void fmt_time(uint64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t > (uint64_t)253402300799ULL || !gmtime_r(&tt, &tm))
		snprintf(out, cap, "%llu", (unsigned long long)t);
	else
		strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int fill_cert(const struct ident_cli *o, struct cert *c)
{
	char err[512];
	uint64_t now = (uint64_t)time(NULL);
	int ret;

	memset(c, 0, sizeof(*c));
	ret = keyfile_read_public(o->pub, c->node_pub, err, sizeof(err));
	if (ret)
		return cli_err("--pub: %s", err);
	if (!cert_label_ok(o->name, CERT_NAME_MAX))
		return cli_err("--name '%s': 1..%d characters of [A-Za-z0-9._-]", o->name,
			       CERT_NAME_MAX);
	strcpy(c->name, o->name);
	if (o->addr.n > CERT_MAX_ADDRS)
		return cli_err("at most %d --addr", CERT_MAX_ADDRS);
	for (int i = 0; i < o->addr.n; i++)
		if (cert_addr_parse(o->addr.v[i], &c->addr[c->naddr++]))
			return cli_err("--addr '%s': expected ADDRESS/PREFIX (IPv4 or IPv6)",
				       o->addr.v[i]);
	if (o->group.n > CERT_MAX_GROUPS)
		return cli_err("at most %d --group", CERT_MAX_GROUPS);
	for (int i = 0; i < o->group.n; i++) {
		if (!cert_label_ok(o->group.v[i], CERT_GROUP_MAX))
			return cli_err("--group '%s': 1..%d characters of [A-Za-z0-9._-]",
				       o->group.v[i], CERT_GROUP_MAX);
		strcpy(c->groups[c->ngroups++], o->group.v[i]);
	}
	c->not_before = now;
	if (o->not_after && o->days)
		return cli_err("give --days or --not-after, not both");
	if (o->not_after) {
		if (parse_date(o->not_after, &c->not_after))
			return cli_err("--not-after '%s': expected YYYY-MM-DD or "
				       "YYYY-MM-DDTHH:MM:SSZ (UTC)",
				       o->not_after);
		if (c->not_after <= now)
			return cli_err("--not-after '%s' is in the past", o->not_after);
	} else {
		c->not_after = now + (o->days ? o->days : DEFAULT_DAYS) * DAY_S;
	}
	return 0;
}

static int ca_sign(const struct ident_cli *o)
{
	struct ident ca;
	struct cert *c = calloc(1, sizeof(*c));
	char err[512], hex[ID_HEX_LEN + 1];
	int ret;

	if (!c)
		return cli_err("out of memory");
	if (!o->ca || !o->pub || !o->name || !o->out) {
		free(c);
		return cli_err("--ca, --pub, --name and --out are required");
	}
	ret = fill_cert(o, c);
	if (ret) {
		free(c);
		return ret;
	}
	ret = keyfile_read_private(o->ca, &ca, err, sizeof(err));
	if (ret) {
		free(c);
		return cli_err("--ca: %s", err);
	}
	ret = cert_issue(c, &ca, err, sizeof(err));
	ident_wipe(&ca);
	if (ret < 0) {
		free(c);
		return cli_err("%s", err);
	}
	ret = keyfile_write_cert(o->out, c, err, sizeof(err));
	id_fmt(c->id.b, hex);
	free(c);
	if (ret)
		return cli_err("%s", err);
	if (cli_json)
		printf("{\"node_id\": \"%s\", \"cert\": \"%s\"}\n", hex, o->out);
	else
		printf("signed %s for node %s (%s)\n", o->out, hex, o->name);
	return 0;
}

static json_t *cert_json(const struct cert *c)
{
	char hex[2 * CERT_HASH_LEN + 1], buf[64];
	json_t *j = json_object(), *a = json_array(), *g = json_array();
	struct node_id caid;

	id_fmt(c->id.b, hex);
	json_object_set_new(j, "node_id", json_string(hex));
	json_object_set_new(j, "name", json_string(c->name));
	sodium_bin2hex(hex, sizeof(hex), c->node_pub, IDENT_PUB_LEN);
	json_object_set_new(j, "public_key", json_string(hex));
	sodium_bin2hex(hex, sizeof(hex), c->ca_pub, IDENT_PUB_LEN);
	json_object_set_new(j, "ca_public_key", json_string(hex));
	ident_node_id(c->ca_pub, &caid);
	id_fmt(caid.b, hex);
	json_object_set_new(j, "ca_id", json_string(hex));
	fmt_time(c->not_before, buf, sizeof(buf));
	json_object_set_new(j, "not_before", json_string(buf));
	fmt_time(c->not_after, buf, sizeof(buf));
	json_object_set_new(j, "not_after", json_string(buf));
	for (int i = 0; i < c->naddr; i++) {
		cert_addr_fmt(&c->addr[i], buf, sizeof(buf));
		json_array_append_new(a, json_string(buf));
	}
	json_object_set_new(j, "addresses", a);
	for (int i = 0; i < c->ngroups; i++)
		json_array_append_new(g, json_string(c->groups[i]));
	json_object_set_new(j, "groups", g);
	sodium_bin2hex(hex, sizeof(hex), c->hash, CERT_HASH_LEN);
	json_object_set_new(j, "hash", json_string(hex));
	return j;
}

static int cert_show(const struct ident_cli *o)
{
	struct cert *c = calloc(1, sizeof(*c));
	uint8_t ca[IDENT_PUB_LEN];
	char err[512];
	json_t *j;
	const char *k;
	json_t *v;
	int ret = 0;

	if (!c)
		return cli_err("out of memory");
	if (o->pos.n != 2) {
		free(c);
		return cli_err("usage: ipop-bpf cert show FILE [--ca CA.pub] [--json]");
	}
	if (keyfile_read_cert(o->pos.v[1], c, err, sizeof(err)) ||
	    (o->ca && keyfile_read_public(o->ca, ca, err, sizeof(err)))) {
		free(c);
		return cli_err("%s", err);
	}
	j = cert_json(c);
	if (o->ca) {
		struct cert_trust t = { .ca = (const uint8_t(*)[IDENT_PUB_LEN])ca, .nca = 1 };
		enum cert_status s = cert_check(c, &t, (uint64_t)time(NULL));

		json_object_set_new(j, "status", json_string(cert_status_names[s]));
		ret = s == CERT_OK ? 0 : 1;
	}
	free(c);
	if (cli_json) {
		json_dumpf(j, stdout, JSON_COMPACT);
		fputc('\n', stdout);
	} else {
		json_object_foreach(j, k, v) {
			printf("%-14s", k);
			if (json_is_array(v)) {
				size_t i;
				json_t *e;

				json_array_foreach(v, i, e)
					printf(" %s", json_string_value(e));
				if (!json_array_size(v))
					printf(" -");
				printf("\n");
			} else {
				printf(" %s\n", json_string_value(v));
			}
		}
	}
	json_decref(j);
	return ret;
}

static int want_action(const struct ident_cli *o, const char *actions)
{
	char want[64];

	snprintf(want, sizeof(want), " %s ", actions);
	for (char *p = want; *p; p++)
		if (*p == '|')
			*p = ' ';
	if (o->pos.n >= 1 && strlen(o->pos.v[0]) < 32) {
		char w[40];

		snprintf(w, sizeof(w), " %s ", o->pos.v[0]);
		if (strstr(want, w))
			return 0;
	}
	return cli_err("unknown action '%s' (expected %s)", o->pos.n ? o->pos.v[0] : "", actions);
}

static int key_run(void *cfg)
{
	struct ident_cli *o = cfg;

	if (want_action(o, "gen"))
		return 1;
	if (o->pos.n > 1)
		return cli_err("unexpected argument '%s'", o->pos.v[1]);
	return gen_pair(o->out, false);
}

static int ca_run(void *cfg)
{
	struct ident_cli *o = cfg;

	if (want_action(o, "init|sign"))
		return 1;
	if (o->pos.n > 1)
		return cli_err("unexpected argument '%s'", o->pos.v[1]);
	return strcmp(o->pos.v[0], "init") ? ca_sign(o) : gen_pair(o->out, true);
}

static int cert_run(void *cfg)
{
	struct ident_cli *o = cfg;

	if (want_action(o, "show"))
		return 1;
	return cert_show(o);
}

static const struct cli_opt key_opts[] = {
	CLI_OPT_STR("out", 'o', struct ident_cli, out, "FILE",
		    "private key file to write (FILE.pub gets the public key)"),
	CLI_OPT_FLAG("json", 'j', struct ident_cli, json, "print JSON"),
	CLI_OPT_END,
};

static const struct cli_opt ca_opts[] = {
	CLI_OPT_STR("out", 'o', struct ident_cli, out, "FILE",
		    "init: CA private key to write (FILE.pub: public); sign: certificate"),
	CLI_OPT_STR("ca", 0, struct ident_cli, ca, "FILE", "sign: the CA's private key"),
	CLI_OPT_STR("pub", 0, struct ident_cli, pub, "FILE", "sign: the node's public key"),
	CLI_OPT_STR("name", 0, struct ident_cli, name, "NAME", "sign: the node's name"),
	CLI_OPT_LIST("addr", 0, struct ident_cli, addr, "CIDR",
		     "sign: a virtual address of the node, e.g. 10.1.0.2/24 (repeatable)"),
	CLI_OPT_LIST("group", 0, struct ident_cli, group, "G", "sign: a group (repeatable)"),
	CLI_OPT_UINT("days", 0, struct ident_cli, days, "N",
		     "sign: valid for N days from now (default 365)", 1, MAX_DAYS),
	CLI_OPT_STR("not-after", 0, struct ident_cli, not_after, "DATE",
		    "sign: valid until DATE (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, UTC)"),
	CLI_OPT_FLAG("json", 'j', struct ident_cli, json, "print JSON"),
	CLI_OPT_END,
};

static const struct cli_opt cert_opts[] = {
	CLI_OPT_STR("ca", 0, struct ident_cli, ca, "CA.pub",
		    "also check the certificate against this CA now (exit 1 if not ok)"),
	CLI_OPT_FLAG("json", 'j', struct ident_cli, json, "print JSON"),
	CLI_OPT_END,
};

const struct cli_cmd cmd_key = {
	.name = "key",
	.summary = "make a node key pair: key gen --out FILE",
	.args = "gen",
	.min_pos = 1,
	.max_pos = 2,
	.pos_offset = offsetof(struct ident_cli, pos),
	.opts = key_opts,
	.cfg_size = sizeof(struct ident_cli),
	.run = key_run,
};

const struct cli_cmd cmd_ca = {
	.name = "ca",
	.summary = "overlay CA: ca init --out FILE; ca sign --ca FILE --pub NODE.pub --name N ...",
	.args = "init|sign",
	.min_pos = 1,
	.max_pos = 2,
	.pos_offset = offsetof(struct ident_cli, pos),
	.opts = ca_opts,
	.cfg_size = sizeof(struct ident_cli),
	.run = ca_run,
};

const struct cli_cmd cmd_cert = {
	.name = "cert",
	.summary = "print a node certificate: cert show FILE [--ca CA.pub]",
	.args = "show FILE",
	.min_pos = 2,
	.max_pos = 2,
	.pos_offset = offsetof(struct ident_cli, pos),
	.opts = cert_opts,
	.cfg_size = sizeof(struct ident_cli),
	.run = cert_run,
};
