/* SPDX-License-Identifier: GPL-2.0 */
/* Small text files read whole (see textfile.c). */
#ifndef KH_TEXTFILE_H
#define KH_TEXTFILE_H

#include <stddef.h>

int kh_text_read(const char *path, size_t max, char **out);

#endif /* KH_TEXTFILE_H */
