// SPDX-License-Identifier: GPL-2.0
/*
 * Small text files read whole (crypttab, grub.cfg, grubenv, drop-ins), and
 * one-line files (sysfs attributes, module parameters); whether a directory
 * holds anything (a holder in sysfs, a mounted efivarfs).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textfile.h"

/*
 * The whole of @path, NUL-terminated, in a malloc()ed buffer: at most
 * @max bytes (-EFBIG beyond).
 */
int khu_text_read(const char *path, size_t max, char **out)
{
	/* One byte past @max tells a file of exactly @max from a longer one. */
	size_t len, cap = max + 2;
	char *buf;
	FILE *f;
	int ret = 0;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	buf = malloc(cap);
	if (!buf) {
		fclose(f);
		return -ENOMEM;
	}
	len = fread(buf, 1, max + 1, f);
	if (ferror(f))
		ret = -EIO;
	else if (len > max)
		ret = -EFBIG;
	fclose(f);
	if (ret) {
		free(buf);
		return ret;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}

/* The first line of @path, newline stripped, into @buf. */
int khu_text_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return -errno;
	ok = fgets(buf, len, f) != NULL;
	fclose(f);
	if (!ok)
		return -EIO;
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Does @dir hold an entry (other than . and .. and hidden ones)? */
bool khu_dir_has_entries(const char *dir)
{
	struct dirent *d;
	bool used = false;
	DIR *dp = opendir(dir);

	if (!dp)
		return false;
	while (!used && (d = readdir(dp)))
		used = d->d_name[0] != '.';
	closedir(dp);
	return used;
}
