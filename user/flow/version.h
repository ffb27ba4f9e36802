/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The version of ipop-bpf (--version, ipop_build_info). */
#ifndef IPOP_VERSION_H
#define IPOP_VERSION_H

#ifndef IPOP_VERSION
#define IPOP_VERSION "0.1.0"
#endif

#endif /* IPOP_VERSION_H */
