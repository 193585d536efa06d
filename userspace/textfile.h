/* SPDX-License-Identifier: GPL-2.0 */
/* Small text files, whole or their first line (see textfile.c). */
#ifndef KHU_TEXTFILE_H
#define KHU_TEXTFILE_H

#include <stddef.h>

int khu_text_read(const char *path, size_t max, char **out);
int khu_text_read_line(const char *path, char *buf, size_t len);

#endif /* KHU_TEXTFILE_H */
