// SPDX-License-Identifier: GPL-2.0
/*
 * The Kexec HandOver backend keeps the stash in a page of System RAM
 * that KHO preserves across kexec. That holds only if the next kernel
 * has KHO (CONFIG_KEXEC_HANDOVER=y) and turns it on (kho=on): any other
 * kernel takes the page as free RAM, key and all, and nothing ever wipes
 * it. And while the page is System RAM here, a crash kernel would put it
 * in its dump.
 *
 * The next kernel's config is found next to its image, as distributions
 * install it: config-VERSION beside vmlinuz-VERSION, else in the root's
 * /boot; VERSION from the image's own header, else from its name. Pure
 * file checks: nothing is printed here.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdline.h"
#include "kho.h"
#include "textfile.h"

#define KHU_KHO_LINKS	16	/* symbolic links followed, at most */

/* The x86 boot protocol's setup header (Documentation/arch/x86/boot.rst). */
#define KHU_KHO_HDR_MAGIC	0x202	/* "HdrS" */
#define KHU_KHO_HDR_VERSION	0x20e	/* kernel_version: string at 0x200 + it */
#define KHU_KHO_HDR_END		0x210

/* @path without its last component, in place ("/" stays "/"). */
static void khu_kho_dirname(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash == path)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(path, ".");
}

/*
 * @path with its symbolic links followed inside @root (an absolute
 * target is read under @root, as it would be in that system), in place.
 */
static int khu_kho_resolve(const char *root, char *path, size_t len)
{
	const char *prefix = strcmp(root, "/") ? root : "";
	char target[PATH_MAX], next[PATH_MAX];
	struct stat st;
	int i;

	for (i = 0; i < KHU_KHO_LINKS; i++) {
		ssize_t n;

		if (lstat(path, &st) < 0)
			return -errno;
		if (!S_ISLNK(st.st_mode))
			return 0;
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			return -errno;
		target[n] = '\0';
		khu_kho_dirname(path);
		if (target[0] == '/')
			n = snprintf(next, sizeof(next), "%s%s", prefix, target);
		else
			n = snprintf(next, sizeof(next), "%s/%s", path, target);
		if (n >= (ssize_t)sizeof(next) || n >= (ssize_t)len)
			return -ENAMETOOLONG;
		strcpy(path, next);
	}
	return -ELOOP;
}

/* A version fit for a file name: never a path. */
static bool khu_kho_version_ok(const char *v)
{
	size_t n = strlen(v);

	return n && strspn(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			      "0123456789._+~-") == n;
}

/* The bzImage header's version string of @fd into @buf: its length, or -1. */
static ssize_t khu_kho_read_version(int fd, char *buf, size_t len)
{
	unsigned char hdr[KHU_KHO_HDR_END];
	unsigned int at;

	if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr) ||
	    memcmp(hdr + KHU_KHO_HDR_MAGIC, "HdrS", 4))
		return -1;
	at = hdr[KHU_KHO_HDR_VERSION] | hdr[KHU_KHO_HDR_VERSION + 1] << 8;
	return at ? pread(fd, buf, len - 1, at + 0x200) : -1;
}

/*
 * The version an x86 bzImage names in its setup header ("6.1.0-9-amd64
 * (debian-kernel@lists.debian.org) #1 SMP ...", what file(1) shows): its
 * first word into @out. -ENOEXEC: no such header.
 */
static int khu_kho_image_version(const char *path, char *out, size_t len)
{
	char buf[128];
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	n = khu_kho_read_version(fd, buf, sizeof(buf));
	close(fd);
	if (n <= 0)
		return -ENOEXEC;
	buf[n] = '\0';
	buf[strcspn(buf, " ")] = '\0';
	if (!khu_kho_version_ok(buf) || strlen(buf) >= len)
		return -ENOEXEC;
	strcpy(out, buf);
	return 0;
}

/*
 * The version of the image @path: from its bzImage header, else from a
 * name NAME-VERSION (vmlinuz-6.1.0-9-amd64). -EINVAL: neither.
 */
static int khu_kho_version(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *dash = strchr(base, '-');

	if (!khu_kho_image_version(path, out, len))
		return 0;
	if (!dash || !khu_kho_version_ok(dash + 1) || strlen(dash + 1) >= len)
		return -EINVAL;
	strcpy(out, dash + 1);
	return 0;
}

/*
 * The config of the kernel image @kernel (a path on this system; under
 * @root for a mounted one): config-VERSION in the image's directory,
 * else in @root's /boot, as distributions install them. -ENOENT: none
 * there, *@out names the first place looked; -EINVAL: no version found.
 */
int khu_kho_config_find(const char *root, const char *kernel, char *out,
			size_t len)
{
	const char *prefix = strcmp(root, "/") ? root : "";
	char path[PATH_MAX], dir[PATH_MAX], version[NAME_MAX + 1];
	int ret;

	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s", kernel) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	ret = khu_kho_resolve(root, path, sizeof(path));
	if (ret)
		return ret;
	ret = khu_kho_version(path, version, sizeof(version));
	if (ret)
		return ret;
	snprintf(dir, sizeof(dir), "%s", path);
	khu_kho_dirname(dir);
	if (snprintf(out, len, "%s/config-%s", dir, version) >= (int)len)
		return -ENAMETOOLONG;
	if (!access(out, R_OK))
		return 0;
	snprintf(path, sizeof(path), "%s/boot/config-%s", prefix, version);
	if (!access(path, R_OK)) {
		snprintf(out, len, "%s", path);
		return 0;
	}
	return -ENOENT;
}

/* 0 if @config sets CONFIG_KEXEC_HANDOVER=y; -ENOTSUP if not; -errno. */
int khu_kho_config_check(const char *config)
{
	size_t want = strlen(KHU_KHO_CONFIG);
	const char *p;
	char *text;
	int ret;

	ret = khu_text_read(config, 16 << 20, &text);
	if (ret)
		return ret;
	ret = -ENOTSUP;
	for (p = text; *p; p += strcspn(p, "\n"), p += *p == '\n') {
		if (!strncmp(p, KHU_KHO_CONFIG, want) &&
		    (p[want] == '\n' || !p[want])) {
			ret = 0;
			break;
		}
	}
	free(text);
	return ret;
}

/*
 * Can the kernel image @kernel (under @root) take a KHO hand-over? Its
 * config goes to @config. 0: yes; -ENOTSUP: its config has no KHO;
 * -ENOENT or -EINVAL as khu_kho_config_find().
 */
int khu_kho_next_kernel(const char *root, const char *kernel, char *config,
			size_t len)
{
	int ret = khu_kho_config_find(root, kernel, config, len);

	return ret ? ret : khu_kho_config_check(config);
}

/* The kernel's kstrtobool(): is @v one of its ways to say yes? */
static bool khu_kho_true(const char *v)
{
	if (v[0] && strchr("yYtT1", v[0]))
		return true;
	return (v[0] == 'o' || v[0] == 'O') && (v[1] == 'n' || v[1] == 'N');
}

/*
 * KHO is off unless the command line turns it on. The boot loader's line
 * (@derived) gets kho=on, any other kho= dropped; a line the user gave
 * is taken as meant: -EINVAL unless its last kho= says yes. Before any
 * "--", where the kernel reads it. -ENOMEM.
 */
int khu_kho_cmdline(char **cmdline, bool derived)
{
	char value[16];

	if (derived) {
		khu_cmdline_strip_word(*cmdline, "kho");
		return khu_cmdline_add_word(cmdline, "kho=on");
	}
	if (khu_cmdline_get_value(*cmdline, "kho", value, sizeof(value)) ||
	    !khu_kho_true(value))
		return -EINVAL;
	return 0;
}

/*
 * 1 if a crash kernel is loaded (@path: /sys/kernel/kexec_crash_loaded),
 * 0 if not or if this kernel has no kexec crash support; -errno.
 */
int khu_kho_crash_loaded(const char *path)
{
	char line[16];
	int ret = khu_text_read_line(path, line, sizeof(line));

	if (ret == -ENOENT)
		return 0;
	if (ret)
		return ret;
	return strcmp(line, "0") ? 1 : 0;
}
