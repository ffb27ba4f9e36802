// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <linux/magic.h>
#include <bpf/bpf.h>

#include "flow/errmsg.h"
#include "flow/pins.h"

const char *const pins_map_names[] = { "flows",	      "dp_stats",  "ifaces",
				       "cls_state",   "cls_masks", "cls_rules",
				       "table_stats", "tables",	   NULL };

int pins_path(char *buf, size_t len, const char *dir, const char *name)
{
	int n = snprintf(buf, len, "%s/%s", dir, name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int is_bpffs(const char *path)
{
	struct statfs st;

	if (statfs(path, &st))
		return -errno;
	return st.f_type == BPF_FS_MAGIC;
}

static int mount_bpffs_if_missing(const char *dir, char *msg, size_t msglen)
{
	size_t rl = strlen(IPOP_BPFFS_ROOT);
	int r;

	if (strncmp(dir, IPOP_BPFFS_ROOT, rl) || (dir[rl] && dir[rl] != '/'))
		return 0; /* not below /sys/fs/bpf: the user chose another bpffs */
	r = is_bpffs(IPOP_BPFFS_ROOT);
	if (r == 1)
		return 0;
	if (mount("bpf", IPOP_BPFFS_ROOT, "bpf", 0, "mode=0700")) {
		int err = -errno;

		errmsg(msg, msglen, 0, "cannot mount bpffs on %s: %s", IPOP_BPFFS_ROOT,
		       strerror(errno));
		return err;
	}
	return 0;
}

int pins_prepare(const char *dir, int create, char *msg, size_t msglen)
{
	char parent[PATH_MAX];
	char *slash;
	int r;

	if (dir[0] != '/')
		return errmsg(msg, msglen, -EINVAL, "pin path '%s' must be absolute", dir);
	r = mount_bpffs_if_missing(dir, msg, msglen);
	if (r)
		return r;
	r = is_bpffs(dir);
	if (r == -ENOENT) {
		if (snprintf(parent, sizeof(parent), "%s", dir) >= (int)sizeof(parent))
			return errmsg(msg, msglen, -ENAMETOOLONG, "pin path '%s' is too long", dir);
		slash = strrchr(parent, '/');
		if (slash == parent)
			slash[1] = 0;
		else
			*slash = 0;
		r = is_bpffs(parent);
		if (r < 0) {
			errmsg(msg, msglen, 0, "pin path '%s': %s: %s", dir, parent, strerror(-r));
			return r;
		}
	}
	if (r < 0) {
		errmsg(msg, msglen, 0, "pin path '%s': %s", dir, strerror(-r));
		return r;
	}
	if (r == 0) {
		errmsg(msg, msglen, 0, "pin path '%s' is not on a bpffs (mount -t bpf bpf DIR)",
		       dir);
		return -EINVAL;
	}
	if (create && mkdir(dir, 0700) && errno != EEXIST) {
		r = -errno;
		errmsg(msg, msglen, 0, "cannot create pin path '%s': %s", dir, strerror(errno));
		return r;
	}
	return 0;
}

int pins_open_map(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int fd;

	if (pins_path(path, sizeof(path), dir, name))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	return fd < 0 ? -errno : fd;
}

int pins_lock(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

void pins_unlock(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

int pins_link_path(char *buf, size_t len, const char *dir, int ifindex, int egress)
{
	int n = snprintf(buf, len, "%s/tcx_%s_%d", dir, egress ? "eg" : "in", ifindex);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void pins_remove_all(const char *dir)
{
	char path[PATH_MAX];
	DIR *d;

	for (int i = 0; pins_map_names[i]; i++)
		if (!pins_path(path, sizeof(path), dir, pins_map_names[i]))
			unlink(path);
	d = opendir(dir);
	for (struct dirent *e; d && (e = readdir(d));)
		if (!strncmp(e->d_name, "tcx_", 4) &&
		    !pins_path(path, sizeof(path), dir, e->d_name))
			unlink(path);
	if (d)
		closedir(d);
	rmdir(dir);
}
