/* SPDX-License-Identifier: GPL-2.0 */
/* Small text files, whole or their first line (see textfile.c). */
#ifndef KHU_TEXTFILE_H
#define KHU_TEXTFILE_H

#include <stdbool.h>
#include <stddef.h>

int khu_text_read(const char *path, size_t max, char **out);
int khu_text_read_line(const char *path, char *buf, size_t len);
bool khu_dir_has_entries(const char *dir);

#endif /* KHU_TEXTFILE_H */
