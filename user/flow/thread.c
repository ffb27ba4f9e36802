// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
#include <time.h>

#include "flow/thread.h"

int worker_start(pthread_t *thr, pthread_cond_t *cond, void *(*fn)(void *), void *arg)
{
	pthread_condattr_t ca;
	int err;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	err = pthread_cond_init(cond, &ca);
	pthread_condattr_destroy(&ca);
	if (err)
		return -err;
	err = pthread_create(thr, NULL, fn, arg);
	if (err) {
		pthread_cond_destroy(cond);
		return -err;
	}
	return 0;
}

void worker_stop(pthread_t thr, pthread_mutex_t *mu, pthread_cond_t *cond, bool *stop)
{
	pthread_mutex_lock(mu);
	*stop = true;
	pthread_cond_signal(cond);
	pthread_mutex_unlock(mu);
	pthread_join(thr, NULL);
	pthread_cond_destroy(cond);
}
