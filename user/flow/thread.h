/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * The worker threads of the flow side (statistics, IPFIX, exporter): each
 * sleeps on a condition variable under its mutex until told to stop.
 */
#ifndef IPOP_FLOW_THREAD_H
#define IPOP_FLOW_THREAD_H

#include <pthread.h>
#include <stdbool.h>

/*
 * Initialise *cond on CLOCK_MONOTONIC (for timed waits) and start fn(arg) in
 * *thr; *cond is destroyed again when the thread does not start. 0 or -errno.
 */
int worker_start(pthread_t *thr, pthread_cond_t *cond, void *(*fn)(void *), void *arg);

/* Set *stop under mu, wake the thread, join it and destroy cond. */
void worker_stop(pthread_t thr, pthread_mutex_t *mu, pthread_cond_t *cond, bool *stop);

#endif /* IPOP_FLOW_THREAD_H */
