// SPDX-License-Identifier: GPL-2.0
/*
 * Locked, never-dumped buffers for passphrases and volume keys.
 *
 * Every buffer is its own anonymous mapping so that it can be locked
 * (never swapped), kept out of core dumps and wiped before it is
 * unmapped, without touching the rest of the heap.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "secmem.h"

/* The mapping length sits in front of the buffer, in the same mapping. */
#define KHU_SECMEM_HDR	16
/* Live buffers at once: a handful of passphrases and one entry array. */
#define KHU_SECMEM_SLOTS	64

/*
 * Every live mapping, so that a fatal signal can wipe them all before the
 * process dies and its pages go back to the kernel unwiped. Slots are
 * single pointer stores, safe to read from a signal handler.
 */
static uint8_t *volatile khu_secmem_live[KHU_SECMEM_SLOTS];
/* Which of them are shared with the children this process forks. */
static bool khu_secmem_is_shared[KHU_SECMEM_SLOTS];
static void (*volatile khu_secmem_hook)(void);
/* Every buffer this process ever asked for, for khu_secmem_stats(). */
static size_t khu_secmem_count, khu_secmem_bytes;

/* Signals that end the process and that a handler can catch. */
static const int khu_secmem_fatal[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE,
	SIGUSR1, SIGSEGV, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM, SIGXCPU,
	SIGXFSZ, SIGVTALRM, SIGPROF, SIGSYS,
};

static size_t khu_secmem_len_of(const uint8_t *map)
{
	size_t map_len;

	memcpy(&map_len, map, sizeof(map_len));
	return map_len;
}

void khu_secmem_wipe_all(void)
{
	size_t i;

	for (i = 0; i < KHU_SECMEM_SLOTS; i++) {
		uint8_t *map = khu_secmem_live[i];

		if (map)
			explicit_bzero(map + KHU_SECMEM_HDR,
				       khu_secmem_len_of(map) - KHU_SECMEM_HDR);
	}
}

/* Wipe, then die of the same signal as we would have without us. */
static void khu_secmem_on_fatal(int sig)
{
	void (*hook)(void) = khu_secmem_hook;

	/* Wipe first: the hook may block (a stopped terminal). */
	khu_secmem_wipe_all();
	if (hook)
		hook();
	signal(sig, SIG_DFL);
	raise(sig);
}

void khu_secmem_set_fatal_hook(void (*fn)(void))
{
	khu_secmem_hook = fn;
}

/*
 * The wipe-then-die handler for @sig, unless @sig is ignored: an ignored
 * signal kills nobody, and turning it into a fatal one would kill us
 * where we meant to go on (main() ignores SIGPIPE so that a closed
 * stdout ends in a wipe of the stash it could not report, not in death).
 */
static int khu_secmem_catch(int sig, const struct sigaction *sa)
{
	struct sigaction old;

	if (sigaction(sig, NULL, &old) < 0)
		return -errno;
	if (!(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_IGN)
		return 0;
	return sigaction(sig, sa, NULL) < 0 ? -errno : 0;
}

/*
 * No core dump, no ptrace by unprivileged peers: both could leak keys.
 * And every catchable fatal signal wipes the live buffers first (SIGKILL
 * cannot be caught: the kernel frees those pages as they are).
 */
int khu_secmem_harden_process(void)
{
	const struct rlimit none = { 0, 0 };
	struct sigaction sa;
	size_t i;

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return -errno;
	if (setrlimit(RLIMIT_CORE, &none) < 0)
		return -errno;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = khu_secmem_on_fatal;
	sigfillset(&sa.sa_mask);
	for (i = 0; i < sizeof(khu_secmem_fatal) / sizeof(khu_secmem_fatal[0]); i++) {
		int ret = khu_secmem_catch(khu_secmem_fatal[i], &sa);

		if (ret)
			return ret;
	}
	return 0;
}

static int khu_secmem_track(uint8_t *map, bool shared)
{
	size_t i;

	for (i = 0; i < KHU_SECMEM_SLOTS; i++) {
		if (!khu_secmem_live[i]) {
			khu_secmem_is_shared[i] = shared;
			khu_secmem_live[i] = map;
			return 0;
		}
	}
	return -ENOMEM;
}

/*
 * In a forked child: the shared buffers are its parent's, still in use
 * by its other children. Off this process's list, so that a fatal signal
 * here wipes its own buffers only, not every worker's keys; the parent
 * wipes the shared ones once all its children are gone.
 */
void khu_secmem_forget_shared(void)
{
	size_t i;

	for (i = 0; i < KHU_SECMEM_SLOTS; i++) {
		if (khu_secmem_live[i] && khu_secmem_is_shared[i]) {
			khu_secmem_live[i] = NULL;
			khu_secmem_is_shared[i] = false;
		}
	}
}

static void khu_secmem_untrack(const uint8_t *map)
{
	size_t i;

	for (i = 0; i < KHU_SECMEM_SLOTS; i++)
		if (khu_secmem_live[i] == map)
			khu_secmem_live[i] = NULL;
}

static size_t khu_secmem_map_len(size_t len)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);

	return (len + KHU_SECMEM_HDR + page - 1) & ~(page - 1);
}

static int khu_secmem_map(size_t len, bool shared, void **out)
{
	size_t map_len;
	uint8_t *map;
	int ret;

	if (!len || len > SIZE_MAX / 2)
		return -EINVAL;
	map_len = khu_secmem_map_len(len);
	map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
		   (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS, -1, 0);
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
	if (!shared)
		madvise(map, map_len, MADV_WIPEONFORK);

	memcpy(map, &map_len, sizeof(map_len));
	ret = khu_secmem_track(map, shared);
	if (ret)
		goto out_unlock;
	khu_secmem_count++;
	khu_secmem_bytes += len;
	*out = map + KHU_SECMEM_HDR;
	return 0;

out_unlock:
	munlock(map, map_len);
out_unmap:
	munmap(map, map_len);
	return ret;
}

/*
 * Allocate @len zeroed bytes that are locked in RAM and excluded from core
 * dumps. Fails rather than hand out memory that could reach swap.
 */
int khu_secmem_alloc(size_t len, void **out)
{
	return khu_secmem_map(len, false, out);
}

/*
 * The same, but seen by the children this process forks (restore's
 * workers, khu_parallel_run()): the one buffer in both, not a copy. A
 * child locks its own pages again (locks are not inherited); this
 * process wipes the buffer once every child is gone.
 */
int khu_secmem_alloc_shared(size_t len, void **out)
{
	return khu_secmem_map(len, true, out);
}

/* Wipe and release a buffer from khu_secmem_alloc(). NULL is a no-op. */
void khu_secmem_free(void *p)
{
	uint8_t *map;
	size_t map_len;

	if (!p)
		return;
	map = (uint8_t *)p - KHU_SECMEM_HDR;
	map_len = khu_secmem_len_of(map);
	/* Wiped before it leaves the list: a signal finds it either way. */
	explicit_bzero(map + KHU_SECMEM_HDR, map_len - KHU_SECMEM_HDR);
	khu_secmem_untrack(map);
	explicit_bzero(map, map_len);
	munlock(map, map_len);
	munmap(map, map_len);
}

/*
 * How many secret buffers this process has made, and their bytes. Keys
 * and passphrases live nowhere else, so a run that made none held none:
 * that is how the tests show keyring mode keeps keys out of userspace.
 */
void khu_secmem_stats(size_t *count, size_t *bytes)
{
	*count = khu_secmem_count;
	*bytes = khu_secmem_bytes;
}

/*
 * Lock every page this process maps, now and later, as it is touched
 * (MCL_ONFAULT, Linux 4.4): the same promise as without it, since a page
 * never touched holds nothing, minus faulting in every page of every
 * library at once, which cost restore a tenth of its time under TCG
 * (docs/benchmarks.md). An older kernel says EINVAL: lock it all.
 */
int khu_secmem_lock_all(void)
{
#ifdef MCL_ONFAULT
	if (!mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT))
		return 0;
	if (errno != EINVAL)
		return -errno;
#endif
	return mlockall(MCL_CURRENT | MCL_FUTURE) < 0 ? -errno : 0;
}
