/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KHU_PARALLEL_H
#define KHU_PARALLEL_H

#include "uapi/keyhandover.h"

/* No more workers than volumes a stash can hold. */
#define KHU_PARALLEL_MAX KH_MAX_ENTRIES

/* One task: 0 when it succeeded. Runs in a child process of its own. */
typedef int (*khu_parallel_fn)(unsigned int i, void *arg);

unsigned int khu_parallel_run(unsigned int n, unsigned int jobs,
			      khu_parallel_fn fn, void *arg);
unsigned int khu_parallel_cpus(void);

#endif /* KHU_PARALLEL_H */
