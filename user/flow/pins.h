/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Where the maps live: the pin directory on bpffs, its maps and its lock. */
#ifndef IPOP_PINS_H
#define IPOP_PINS_H

#include <stddef.h>

#define IPOP_PIN_PATH_DEFAULT "/sys/fs/bpf/ipop"
#define IPOP_BPFFS_ROOT	      "/sys/fs/bpf"

/* The pinned maps, by name: DIR/<name>. */
extern const char *const pins_map_names[];

/*
 * Make sure DIR can hold pins: mount bpffs on /sys/fs/bpf when it is missing
 * and DIR is below it, then check that DIR (or the directory that would hold
 * it) is on a bpffs. With create, mkdir DIR. Returns 0, or -errno with one
 * line naming the problem in msg.
 */
int pins_prepare(const char *dir, int create, char *msg, size_t msglen);

/* snprintf DIR/name into buf; -ENAMETOOLONG when it does not fit. */
int pins_path(char *buf, size_t len, const char *dir, const char *name);

/* Open a pinned map read/write; -ENOENT if not pinned. */
int pins_open_map(const char *dir, const char *name);

/* Exclusive lock on the pin directory for the duration of a change. */
int pins_lock(const char *dir);
void pins_unlock(int fd);

/*
 * DIR/tcx_in_IFINDEX or DIR/tcx_eg_IFINDEX: the pinned tcx link of one
 * interface and direction. -ENAMETOOLONG when it does not fit.
 */
int pins_link_path(char *buf, size_t len, const char *dir, int ifindex, int egress);

/* Remove every pinned map and tcx link (which detaches it), then DIR itself. */
void pins_remove_all(const char *dir);

#endif /* IPOP_PINS_H */
