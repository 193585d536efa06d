// SPDX-License-Identifier: GPL-2.0
/*
 * Loading the next kernel: kexec_file_load, or kexec-tools as a fallback.
 *
 * kexec_file_load is preferred because the kernel itself parses the image
 * and, under lockdown or with KEXEC_SIG, checks its signature. kexec_load
 * through kexec-tools is only for kernels built without KEXEC_FILE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kexec.h"
#include "run.h"

/* Larger than any architecture's COMMAND_LINE_SIZE. */
#define KHU_CMDLINE_MAX	16384

/* A read-only fd for kexec_file_load, or -errno. */
int khu_kexec_open_image(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* This kernel's command line, newline stripped, in a malloc()ed string. */
int khu_kexec_read_cmdline(char **out)
{
	size_t len = 0;
	ssize_t n;
	char *buf;
	int fd, ret = 0;

	buf = malloc(KHU_CMDLINE_MAX);
	if (!buf)
		return -ENOMEM;
	fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		ret = -errno;
		goto out_free;
	}
	while ((n = read(fd, buf + len, KHU_CMDLINE_MAX - 1 - len)) > 0)
		len += n;
	if (n < 0)
		ret = -errno;
	close(fd);
	if (ret)
		goto out_free;
	while (len && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	*out = buf;
	return 0;

out_free:
	free(buf);
	return ret;
}

/*
 * Load the next kernel. -ENOSYS: no kexec_file_load in this kernel (use
 * khu_kexec_tools_load()); -EKEYREJECTED or -EPERM: signature or lockdown;
 * -ENOEXEC: not an image this kernel can boot; -EBUSY: a kexec is
 * already in progress.
 */
int khu_kexec_file_load(int kernel_fd, int initrd_fd, const char *cmdline)
{
#ifdef SYS_kexec_file_load
	if (syscall(SYS_kexec_file_load, kernel_fd, initrd_fd,
		    strlen(cmdline) + 1, cmdline, 0UL) < 0)
		return -errno;
	return 0;
#else
	(void)kernel_fd;
	(void)initrd_fd;
	(void)cmdline;
	return -ENOSYS;
#endif
}

/*
 * The fallback: "kexec -c -l" (the kexec_load syscall), found in the
 * system directories only (run.h). -ENOENT: no kexec-tools; -EIO: it ran
 * and failed, with its status in *@exit_status.
 */
int khu_kexec_tools_load(const char *kernel, const char *initrd,
			 const char *cmdline, int *exit_status)
{
	char *initrd_arg = NULL, *cmdline_arg = NULL;
	char *argv[8];
	int ret, argc = 0;

	*exit_status = 0;
	ret = -ENOMEM;
	if (asprintf(&initrd_arg, "--initrd=%s", initrd) < 0)
		goto out;
	if (*cmdline && asprintf(&cmdline_arg, "--command-line=%s",
				 cmdline) < 0)
		goto out_free_initrd;
	argv[argc++] = "kexec";
	argv[argc++] = "-c";
	argv[argc++] = "-l";
	argv[argc++] = initrd_arg;
	if (cmdline_arg)
		argv[argc++] = cmdline_arg;
	/* A kernel path that starts with '-' is still a path. */
	argv[argc++] = "--";
	argv[argc++] = (char *)kernel;
	argv[argc] = NULL;
	/* kexec-tools needs no environment of its own. */
	ret = khu_run("kexec", argv, NULL, exit_status);
	free(cmdline_arg);
out_free_initrd:
	free(initrd_arg);
out:
	return ret;
}
