/* SPDX-License-Identifier: GPL-2.0 */
/* Running another program and waiting for it (see run.c). */
#ifndef KH_RUN_H
#define KH_RUN_H

int kh_run(const char *tool, char *const argv[], int *exit_status);

#endif /* KH_RUN_H */
