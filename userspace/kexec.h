/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Loading the next kernel: kexec_file_load, or kexec-tools as a fallback.
 */
#ifndef KHU_KEXEC_H
#define KHU_KEXEC_H

int khu_kexec_open_image(const char *path);
int khu_kexec_read_cmdline(char **out);
int khu_kexec_file_load(int kernel_fd, int initrd_fd, const char *cmdline);
int khu_kexec_tools_load(const char *kernel, const char *initrd,
			 const char *cmdline, int *exit_status);

#endif /* KHU_KEXEC_H */
