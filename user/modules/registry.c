// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <errno.h>

#include "core/node.h"
#include "modules/cmm.h"
#include "modules/echo.h"
#include "modules/smm.h"
#include "modules/spdm.h"
#include "modules/srum.h"
#include "modules/tlfm.h"
#include "modules/topology.h"
#include "modules/vpnmod.h"

/* The module table: built-in modules. A new module is one line here. */
static const struct module_ops *const builtin[] = {
	&cmm_module, &echo_module, &log_module,	 &flood_module, &topology_module,
	&smm_module, &tlfm_module, &spdm_module, &srum_module,	&vpnmod_module,
};

#define EXTRA_MAX 16
static const struct module_ops *extra[EXTRA_MAX];
static int nextra;

#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

const struct module_ops *module_at(unsigned int i)
{
	if (i < NBUILTIN)
		return builtin[i];
	i -= NBUILTIN;
	return i < (unsigned int)nextra ? extra[i] : NULL;
}

const struct module_ops *module_find(const char *name)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(builtin[i]->name, name))
			return builtin[i];
	for (int i = 0; i < nextra; i++)
		if (!strcmp(extra[i]->name, name))
			return extra[i];
	return NULL;
}

int module_register(const struct module_ops *ops)
{
	if (!icc_module_name_ok(ops->name) || !ops->name[0])
		return -EINVAL;
	if (module_find(ops->name))
		return -EEXIST;
	if (nextra == EXTRA_MAX)
		return -ENOSPC;
	extra[nextra++] = ops;
	return 0;
}

void module_unregister_all_extra(void)
{
	nextra = 0;
}
