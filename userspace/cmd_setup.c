// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover setup: reserve the region at boot through a GRUB drop-in
 * (setup --check is cmd_setup_check.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "run.h"
#include "setup.h"
#include "textfile.h"
#include "tool.h"

/* The region: kept from an existing drop-in, else picked from the map. */
static int khu_setup_choose(const char *dropin, uint64_t *size, uint64_t *addr,
			    char **old)
{
	struct khu_fwmap_range r[256];
	unsigned int n;
	int ret;

	*old = NULL;
	ret = khu_text_read(dropin, 1 << 16, old);
	if (ret && ret != -ENOENT) {
		khu_err("cannot read %s: %s", dropin, strerror(-ret));
		return ret;
	}
	if (!ret && !khu_setup_dropin_region(*old, size, addr))
		return 0;
	*size = KHU_SETUP_SIZE;
	ret = khu_setup_read_fwmap(KHU_SETUP_FWMAP, r, 256, &n);
	if (ret) {
		khu_err("cannot read the firmware memory map (%s): %s",
			KHU_SETUP_FWMAP, strerror(-ret));
		return ret;
	}
	ret = khu_setup_pick(r, n, *size, addr);
	if (ret)
		khu_err("no page of RAM to reserve in the firmware memory map");
	return ret;
}

/* Written whole or not at all: update-grub sources whatever is there. */
static int khu_setup_write(const char *path, const char *text)
{
	char dir[KHU_BOOT_STR], tmp[KHU_BOOT_STR + 8];
	FILE *f;
	int ret = 0;

	char *p;

	/* grub.d (and, under a bare --root, its parents) may not exist yet. */
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	for (p = strchr(dir + 1, '/');; p = strchr(p + 1, '/')) {
		if (p)
			*p = '\0';
		if (mkdir(dir, 0755) < 0 && errno != EEXIST)
			return -errno;
		if (!p)
			break;
		*p = '/';
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "we");
	if (!f)
		return -errno;
	if (fputs(text, f) == EOF || fflush(f) == EOF || fsync(fileno(f)) < 0)
		ret = errno ? -errno : -EIO;
	if (fclose(f) == EOF && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

static int khu_setup_update_grub(void)
{
	/*
	 * grub-mkconfig translates menu titles by the locale, and a
	 * GRUB_DEFAULT or saved_entry may name an entry by its title: keep
	 * the caller's locale (names only, never a path), so that the titles
	 * stay what the system's own update-grub runs write.
	 */
	static const char *const locale[] = {
		"LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", NULL,
	};
	char *argv[] = { "update-grub", NULL };
	int status, ret;

	ret = khu_run("update-grub", argv, locale, &status);
	if (ret == -EIO)
		khu_err("update-grub failed");
	else if (ret == -ENOENT)
		khu_err("update-grub not found in /usr/sbin, /usr/bin, /sbin or /bin: run grub-mkconfig -o /boot/grub/grub.cfg");
	else if (ret)
		khu_err("cannot run update-grub: %s", strerror(-ret));
	return ret;
}

static void khu_setup_next_steps(const char *region)
{
	printf("region: %s\n"
	       "next: reboot once, normally (the passphrase is asked as usual), so that the kernel reserves the region;\n"
	       "      then 'keyhandover setup --check' says whether it took effect, and 'keyhandover reboot' does the rest\n",
	       region);
}

/* The drop-in's path under @root, which must be there; or -errno, said. */
int khu_setup_dropin_path(const char *root, char *path, size_t len)
{
	if (snprintf(path, len, "%s%s", root, KHU_SETUP_DROPIN) >= (int)len) {
		khu_err("--root is too long");
		return -ENAMETOOLONG;
	}
	/* A mounted system: its root must be there (a typo must not be). */
	if (*root && access(root, F_OK) < 0) {
		int ret = -errno;

		khu_err("--root %s: %s", root, strerror(-ret));
		return ret;
	}
	return 0;
}

int khu_cmd_setup(const struct khu_opts *o)
{
	const char *root = o->root && strcmp(o->root, "/") ? o->root : "";
	char path[KHU_BOOT_STR], text[1024], region[128], *old = NULL;
	uint64_t size, addr;
	int ret;

	if (o->check)
		return khu_setup_check_main(o, root);
	if (khu_setup_dropin_path(root, path, sizeof(path)))
		return KHU_EXIT_FAILURE;
	ret = khu_setup_choose(path, &size, &addr, &old);
	if (ret) {
		free(old);
		return KHU_EXIT_FAILURE;
	}
	khu_setup_dropin(text, sizeof(text), size, addr);
	khu_setup_region_str(region, sizeof(region), size, addr);
	if (old && !strcmp(old, text)) {
		printf("already set up: %s reserves %s; nothing changed\n", path,
		       region);
	} else if (o->dry_run) {
		printf("would write %s:\n%s", path, text);
		if (!*root)
			puts("would run: update-grub");
		puts("dry run: nothing changed");
	} else {
		ret = khu_setup_write(path, text);
		if (ret)
			khu_err("cannot write %s: %s", path, strerror(-ret));
		else
			printf("wrote %s\n", path);
		if (!ret && !*root)
			ret = khu_setup_update_grub();
		else if (!ret)
			printf("not running update-grub for --root: run it in that system\n");
	}
	free(old);
	if (ret)
		return KHU_EXIT_FAILURE;
	khu_setup_next_steps(region);
	return KHU_EXIT_OK;
}
