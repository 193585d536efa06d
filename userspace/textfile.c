// SPDX-License-Identifier: GPL-2.0
/* Small text files read whole: crypttab, grub.cfg, grubenv, drop-ins. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "textfile.h"

/*
 * The whole of @path, NUL-terminated, in a malloc()ed buffer: at most
 * @max bytes (-EFBIG beyond).
 */
int kh_text_read(const char *path, size_t max, char **out)
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
