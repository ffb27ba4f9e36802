// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * The daemon's control ops: assembled once at start from the daemon's, the
 * extensions' and the modules' tables; duplicates refused; module ops run
 * on the module's instance or say it is not loaded. No sockets.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdlib.h>

#include "daemon/ctl_ops.h"
#include "daemon/daemon_int.h"

static json_t *ctlt_daemon_op(struct daemon *d, json_t *req, char *err, size_t errlen)
{
	(void)d;
	(void)req;
	(void)err;
	(void)errlen;
	return json_pack("{s:s}", "who", "ext");
}

static json_t *ctlt_module_op(struct module *m, json_t *req, char *err, size_t errlen)
{
	json_t *fail = json_object_get(req, "fail");

	if (json_is_true(fail)) {
		snprintf(err, errlen, "ctlt says no");
		return NULL;
	}
	return json_pack("{s:s, s:i}", "module", m->ops->name, "idx", m->idx);
}

static const struct module_ctl_op ctlt_mod_ops[] = {
	{ "ctlt_hello", ctlt_module_op },
	{ NULL, NULL },
};

static const struct module_ops ctlt_module = { .name = "ctlt", .ctl_ops = ctlt_mod_ops };

static const struct module_ctl_op ctlt_ping_ops[] = {
	{ "ping", ctlt_module_op },
	{ NULL, NULL },
};

static const struct module_ops ctlt_clash_module = { .name = "ctltclash",
						     .ctl_ops = ctlt_ping_ops };

static const struct ctl_op ctlt_ext_ops[] = {
	{ "ctlt_ext", ctlt_daemon_op },
	{ NULL, NULL },
};

static const struct daemon_ext ctlt_ext = { .name = "ctlt-ext", .ctl_ops = ctlt_ext_ops };

static const struct ctl_op ctlt_dup_ops[] = {
	{ "stats", ctlt_daemon_op },
	{ NULL, NULL },
};

static const struct daemon_ext ctlt_dup_ext = { .name = "ctlt-dup", .ctl_ops = ctlt_dup_ops };

static struct daemon *ctlt_daemon(void)
{
	struct daemon *d = calloc(1, sizeof(*d));

	cr_assert_not_null(d);
	return d;
}

/* Send one request line through the dispatch table; the reply's "error" or NULL. */
static json_t *ctlt_ask(struct daemon *d, const char *line)
{
	json_t *r = ctl_dispatch(d, line, strlen(line));

	cr_assert_not_null(r);
	return r;
}

static const char *err_of(json_t *r)
{
	return json_string_value(json_object_get(r, "error"));
}

Test(ctl_ops, table_refuses_a_name_given_twice)
{
	static struct ctl_table t;
	char err[256] = "";

	cr_assert_eq(ctl_table_add_ops(&t, "daemon", daemon_ctl_ops, err, sizeof(err)), 0);
	cr_assert_eq(ctl_table_add_ops(&t, "ctlt-dup", ctlt_dup_ops, err, sizeof(err)), -EEXIST);
	cr_assert_str_eq(err, "control op 'stats' defined twice (daemon and ctlt-dup)");
	cr_assert_not_null(ctl_table_find(&t, "ping"));
	cr_assert_null(ctl_table_find(&t, "nope"));
	cr_assert_eq(ctl_table_add_module(&t, &ctlt_clash_module, err, sizeof(err)), -EEXIST);
	cr_assert_str_eq(err, "control op 'ping' defined twice (daemon and ctltclash)");
}

Test(ctl_ops, table_is_bounded)
{
	static struct ctl_table t;
	static char names[CTL_OPS_MAX + 1][16];
	char err[256] = "";

	for (int i = 0; i <= CTL_OPS_MAX; i++) {
		struct ctl_entry e = { .name = names[i], .from = "t", .fn = ctlt_daemon_op };

		snprintf(names[i], sizeof(names[i]), "op%d", i);
		cr_assert_eq(ctl_table_add(&t, &e, err, sizeof(err)),
			     i < CTL_OPS_MAX ? 0 : -ENOSPC);
	}
	cr_assert_eq(t.n, CTL_OPS_MAX);
}

Test(ctl_ops, assembled_from_daemon_extensions_and_modules)
{
	struct daemon *d = ctlt_daemon();
	char err[256] = "";

	module_unregister_all_extra();
	cr_assert_eq(module_register(&ctlt_module), 0);
	cr_assert_eq(daemon_register_ext(&ctlt_ext), 0);
	cr_assert_eq(ctl_assemble(d, err, sizeof(err)), 0, "%s", err);
	/* the daemon's own first, then the extension's, then the modules' */
	cr_assert_str_eq(d->ctl_ops.e[0].name, "ping");
	cr_assert_str_eq(ctl_table_find(&d->ctl_ops, "ctlt_ext")->from, "ctlt-ext");
	cr_assert_str_eq(ctl_table_find(&d->ctl_ops, "smm_send")->from, "smm");
	cr_assert_str_eq(ctl_table_find(&d->ctl_ops, "topology")->from, "topology");
	cr_assert_str_eq(ctl_table_find(&d->ctl_ops, "cmm_send")->from, "cmm");
	cr_assert_str_eq(ctl_table_find(&d->ctl_ops, "ctlt_hello")->from, "ctlt");
	/* assembling again gives the same table, no "already registered" */
	cr_assert_eq(ctl_assemble(d, err, sizeof(err)), 0, "%s", err);
	module_unregister_all_extra();
	free(d);
}

Test(ctl_ops, duplicate_name_stops_the_daemon_at_start)
{
	struct daemon_opts o = { .ctl_socket = "/nonexistent-dir/never-created.sock" };

	module_unregister_all_extra();
	cr_assert_eq(module_register(&ctlt_clash_module), 0);
	/* refused before any socket is opened: the path is never touched */
	cr_assert_eq(daemon_run(&o), -EEXIST);
	module_unregister_all_extra();
	cr_assert_eq(daemon_register_ext(&ctlt_dup_ext), 0);
	cr_assert_eq(daemon_run(&o), -EEXIST);
}

Test(ctl_ops, module_op_without_the_module_says_so)
{
	struct daemon *d = ctlt_daemon();
	char err[256] = "";
	json_t *r;

	cr_assert_eq(ctl_assemble(d, err, sizeof(err)), 0, "%s", err);
	r = ctlt_ask(d, "{\"op\": \"smm_send\", \"module\": \"echo\", \"payload\": \"x\"}");
	cr_assert_str_eq(err_of(r), "module smm is not loaded");
	json_decref(r);
	r = ctlt_ask(d, "{\"op\": \"topology\"}");
	cr_assert_str_eq(err_of(r), "module topology is not loaded");
	json_decref(r);
	r = ctlt_ask(d, "{\"op\": \"cmm_send\", \"to\": \"x\"}");
	cr_assert_str_eq(err_of(r), "module cmm is not loaded");
	json_decref(r);
	r = ctlt_ask(d, "{\"op\": \"nope\"}");
	cr_assert_str_eq(err_of(r), "unknown op 'nope'");
	json_decref(r);
	r = ctlt_ask(d, "[1]");
	cr_assert_str_eq(err_of(r), "request must be an object with a string \"op\"");
	json_decref(r);
	free(d);
}

static void ctlt_log(struct node *n, enum log_level lvl, const char *fmt, va_list ap)
{
	(void)n;
	(void)lvl;
	(void)fmt;
	(void)ap;
}

static const struct rt_ops ctlt_rt = { .log = ctlt_log };

Test(ctl_ops, module_op_runs_on_the_instance)
{
	struct daemon *d = ctlt_daemon();
	struct node_id id = { { 7 } };
	struct modcfg mc;
	char err[256] = "";
	json_t *mods, *r;

	module_unregister_all_extra();
	cr_assert_eq(module_register(&ctlt_module), 0);
	mods = json_loads("{\"echo\": {}, \"ctlt\": {}}", 0, NULL);
	cr_assert_eq(modcfg_load(mods, &mc, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(node_init(&d->node, &id, &ctlt_rt, d, &mc), 0);
	cr_assert_eq(ctl_assemble(d, err, sizeof(err)), 0, "%s", err);
	r = ctlt_ask(d, "{\"op\": \"ctlt_hello\"}");
	cr_assert_str_eq(json_string_value(json_object_get(r, "module")), "ctlt");
	cr_assert_eq(json_integer_value(json_object_get(r, "idx")),
		     node_module_idx(&d->node, "ctlt"));
	json_decref(r);
	r = ctlt_ask(d, "{\"op\": \"ctlt_hello\", \"fail\": true}");
	cr_assert_str_eq(err_of(r), "ctlt says no");
	json_decref(r);
	node_stop(&d->node);
	json_decref(mods);
	module_unregister_all_extra();
	free(d);
}
