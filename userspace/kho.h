/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the Kexec HandOver backend needs of the next kernel (see kho.c):
 * KHO built in, KHO on, and no crash kernel loaded here.
 */
#ifndef KHU_KHO_H
#define KHU_KHO_H

#include <stdbool.h>
#include <stddef.h>

#define KHU_KHO_CRASH_LOADED	"/sys/kernel/kexec_crash_loaded"
#define KHU_KHO_CONFIG		"CONFIG_KEXEC_HANDOVER=y"

int khu_kho_config_find(const char *root, const char *kernel, char *out,
			size_t len);
int khu_kho_config_check(const char *config);
int khu_kho_next_kernel(const char *root, const char *kernel, char *config,
			size_t len);
int khu_kho_cmdline(char **cmdline, bool derived);
int khu_kho_crash_loaded(const char *path);

#endif /* KHU_KHO_H */
