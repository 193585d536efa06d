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
	size_t len = 0, cap = max + 1;
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
	len = fread(buf, 1, cap - 1, f);
	if (ferror(f))
		ret = -EIO;
	else if (!feof(f))
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
