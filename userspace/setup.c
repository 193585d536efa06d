// SPDX-License-Identifier: GPL-2.0
/*
 * `keyhandover setup`: reserve the hand-over region at boot. It picks a
 * page of RAM from the firmware's memory map (/sys/firmware/memmap, which
 * memmap= does not change) and writes a GRUB drop-in that puts
 * memmap=SIZE$ADDR (the reservation) and keyhandover.region=SIZE$ADDR
 * (where the module finds it, through modprobe) on every kernel's command
 * line. Returns negative errno, never prints.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "setup.h"
#include "textfile.h"

/* 112 MiB: above where boot loaders put the kernel, far below initrds. */
#define KHU_SETUP_PREFERRED	0x7000000ULL

/* One attribute of a memmap entry: DIR/ATTR's first line. */
static int khu_setup_read_attr(const char *dir, const char *attr, char *buf,
			       size_t len)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", dir, attr);
	return khu_text_read_line(path, buf, len);
}

static int khu_setup_read_u64(const char *dir, const char *attr, uint64_t *v)
{
	char buf[64];
	int ret = khu_setup_read_attr(dir, attr, buf, sizeof(buf));

	if (!ret)
		*v = strtoull(buf, NULL, 0);
	return ret;
}

/* The firmware's memory map: /sys/firmware/memmap/N/{start,end,type}. */
int khu_setup_read_fwmap(const char *sysdir, struct khu_fwmap_range *r,
			 unsigned int cap, unsigned int *n)
{
	char dir[512];
	struct dirent *d;
	DIR *dp = opendir(sysdir);

	if (!dp)
		return -errno;
	*n = 0;
	while ((d = readdir(dp)) && *n < cap) {
		struct khu_fwmap_range *x = &r[*n];

		if (d->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", sysdir, d->d_name);
		if (khu_setup_read_u64(dir, "start", &x->start) ||
		    khu_setup_read_u64(dir, "end", &x->end) ||
		    khu_setup_read_attr(dir, "type", x->type, sizeof(x->type)))
			continue;
		(*n)++;
	}
	closedir(dp);
	return *n ? 0 : -ENOENT;
}

static int khu_setup_is_ram(const struct khu_fwmap_range *r, unsigned int n,
			    uint64_t addr, uint64_t size)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(r[i].type, "System RAM") && r[i].start <= addr &&
		    addr + size - 1 <= r[i].end)
			return 1;
	return 0;
}

/*
 * A page-aligned range of @size that the firmware calls RAM: 112 MiB when
 * it is, else 64 MiB into the largest RAM range below 4 GiB. -ENOSPC when
 * there is none.
 */
int khu_setup_pick(const struct khu_fwmap_range *r, unsigned int n,
		   uint64_t size, uint64_t *addr)
{
	uint64_t best = 0, best_len = 0;
	unsigned int i;

	if (khu_setup_is_ram(r, n, KHU_SETUP_PREFERRED, size)) {
		*addr = KHU_SETUP_PREFERRED;
		return 0;
	}
	for (i = 0; i < n; i++) {
		uint64_t start = r[i].start, end = r[i].end;

		if (strcmp(r[i].type, "System RAM") || start >= (1ULL << 32))
			continue;
		if (end - start + 1 > best_len) {
			best = start;
			best_len = end - start + 1;
		}
	}
	if (best_len < (64ULL << 20) + size)
		return -ENOSPC;
	*addr = (best + (64ULL << 20) + 4095) & ~4095ULL;
	return khu_setup_is_ram(r, n, *addr, size) ? 0 : -ENOSPC;
}

/* "4K$0x7000000": what memmap= and keyhandover.region= both take. */
void khu_setup_region_str(char *buf, size_t len, uint64_t size, uint64_t addr)
{
	snprintf(buf, len, "%" PRIu64 "K$0x%" PRIx64, size >> 10, addr);
}

/*
 * The drop-in, /etc/default/grub.d/keyhandover.cfg. grub-mkconfig sources
 * it as shell and writes the result into grub.cfg, whose own parser eats
 * one more level of backslashes: so "\\\$" here is "$" on the kernel's
 * command line.
 */
void khu_setup_dropin(char *buf, size_t len, uint64_t size, uint64_t addr)
{
	char esc[64];

	snprintf(esc, sizeof(esc), "%" PRIu64 "K\\\\\\$0x%" PRIx64, size >> 10,
		 addr);
	snprintf(buf, len,
		 "# Written by `keyhandover setup`: reserve the hand-over region at boot\n"
		 "# (memmap=) and tell the module where it is (keyhandover.region=).\n"
		 "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX memmap=%s keyhandover.region=%s\"\n",
		 esc, esc);
}

/* The region an existing drop-in names (so that setup keeps it). */
int khu_setup_dropin_region(const char *text, uint64_t *size, uint64_t *addr)
{
	const char *p = text;
	unsigned long long kib, a;

	/* The comment names the word too: the assignment has a value. */
	while ((p = strstr(p, "keyhandover.region="))) {
		if (sscanf(p, "keyhandover.region=%lluK\\\\\\$0x%llx", &kib,
			   &a) == 2) {
			*size = (uint64_t)kib << 10;
			*addr = a;
			return 0;
		}
		p++;
	}
	return -ENOENT;
}

/* "SIZE$ADDR" or "SIZE@ADDR" with K/M/G, as memmap= reads it. */
int khu_setup_region_parse(const char *s, uint64_t *size, uint64_t *addr)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	}
	if (end == s || (*end != '$' && *end != '@'))
		return -EINVAL;
	*size = v;
	s = end + 1;
	*addr = strtoull(s, &end, 0);
	return end == s || *end ? -EINVAL : 0;
}
