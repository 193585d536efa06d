// SPDX-License-Identifier: GPL-2.0
/*
 * Locked, never-dumped buffers for passphrases and volume keys.
 *
 * Every buffer is its own anonymous mapping so that it can be locked
 * (never swapped), kept out of core dumps and wiped before it is
 * unmapped, without touching the rest of the heap.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "secmem.h"

/* The mapping length sits in front of the buffer, in the same mapping. */
#define KH_SECMEM_HDR	16

/* No core dump, no ptrace by unprivileged peers: both could leak keys. */
int kh_secmem_harden_process(void)
{
	const struct rlimit none = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return -errno;
	return 0;
}

static size_t kh_secmem_map_len(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + KH_SECMEM_HDR + page - 1) & ~(page - 1);
}

/*
 * Allocate @len zeroed bytes that are locked in RAM and excluded from core
 * dumps. Fails rather than hand out memory that could reach swap.
 */
int kh_secmem_alloc(size_t len, void **out)
{
	size_t map_len;
	uint8_t *map;
	int ret;

	if (!len || len > SIZE_MAX / 2)
		return -EINVAL;
	map_len = kh_secmem_map_len(len);
	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED)
		return -errno;
	if (mlock(map, map_len) < 0) {
		ret = -errno;
		goto out_unmap;
	}
	if (madvise(map, map_len, MADV_DONTDUMP) < 0) {
		ret = -errno;
		goto out_unlock;
	}
	/* Best effort: a forked kexec-tools child gets zeros, not keys. */
	madvise(map, map_len, MADV_WIPEONFORK);

	memcpy(map, &map_len, sizeof(map_len));
	*out = map + KH_SECMEM_HDR;
	return 0;

out_unlock:
	munlock(map, map_len);
out_unmap:
	munmap(map, map_len);
	return ret;
}

/* Wipe and release a buffer from kh_secmem_alloc(). NULL is a no-op. */
void kh_secmem_free(void *p)
{
	uint8_t *map;
	size_t map_len;

	if (!p)
		return;
	map = (uint8_t *)p - KH_SECMEM_HDR;
	memcpy(&map_len, map, sizeof(map_len));
	explicit_bzero(map, map_len);
	munlock(map, map_len);
	munmap(map, map_len);
}
