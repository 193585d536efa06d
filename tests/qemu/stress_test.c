// SPDX-License-Identifier: GPL-2.0
/*
 * The debug scenario's stress program, run in a QEMU guest whose kernel
 * has KASAN, KFENCE, UBSAN, lockdep, debugobjects, kmemleak and fault
 * injection (tests/qemu/debug.config). It finds nothing itself: it drives
 * the module through the paths those detectors watch, and checks the
 * module's answers and its states on the way.
 *
 *   kh-stress-test race SECONDS KO REGION
 *	threads racing ARM, ARM_KEYRING, READ, WIPE and STATUS on one open
 *	file against a 1 s arm timeout, open/close from other threads, and
 *	module unloads (refused while the device is open; wiping when it
 *	succeeds) and reloads, for SECONDS
 *   kh-stress-test cycles N REGION
 *	N arm/wipe cycles, then N arm/read/wipe cycles (the read refused
 *	with EBUSY: the arming kernel never reads back its own stash)
 *   kh-stress-test faults KO REGION
 *	module load, ARM, ARM_KEYRING, READ and STATUS with the Nth fault
 *	point (slab, page allocator, user copy) under the module's code failing, for N = 1, 2, ... until
 *	the operation runs through without reaching an Nth one: every
 *	injected fault must give a clean error (or be absorbed) and leave
 *	no half-armed stash
 *
 * The module must be loaded (with REGION) before race and cycles, and
 * not loaded before faults; each leaves it as it found it. Prints "ok N -
 * ..." lines and "N passed, N failed". The key bytes are a test pattern.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "uapi/keyhandover.h"
#include "../../userspace/tests/tap.h"

#define KH_MODNAME	"keyhandover"
#define KH_MAGIC	"KHANDOV\x01"	/* kmod/format.h: KH_FORMAT_MAGIC */
#define KH_PATTERN	0x3c		/* the key bytes every arm stashes */
#define KH_KEY_DESC	"kh:stress"	/* logon key for ARM_KEYRING */

static const char *ko_path, *region_param;
static unsigned long long region_addr, region_size;

/* --- helpers ------------------------------------------------------------ */

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static void checkf(int ok, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	check(ok, line);
}

/* "4K$0x7000000" (memmap= syntax) into region_addr and region_size. */
static int parse_region(const char *spec)
{
	char *end;

	region_size = strtoull(spec, &end, 0);
	switch (*end) {
	case 'K': region_size <<= 10; end++; break;
	case 'M': region_size <<= 20; end++; break;
	}
	if (*end != '$' && *end != '@')
		return -1;
	region_addr = strtoull(end + 1, &end, 0);
	return *end || !region_size || region_size > 1 << 20 ? -1 : 0;
}

/*
 * The region as /dev/mem shows it: 1 all zero, 0 not, -1 unreadable
 * (never taken for zero).
 */
static int region_state(unsigned char *copy)
{
	static unsigned char buf[1 << 20];
	unsigned long long i;
	int fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = pread(fd, buf, region_size, region_addr);
	close(fd);
	if (n != (ssize_t)region_size)
		return -1;
	if (copy)
		memcpy(copy, buf, 16);
	for (i = 0; i < region_size; i++)
		if (buf[i])
			return 0;
	return 1;
}

static int region_zero(void)
{
	return region_state(NULL) == 1;
}

/* Not zero, and it starts with the format's magic: a whole stash. */
static int region_holds_stash(void)
{
	unsigned char head[16];

	return region_state(head) == 0 && !memcmp(head, KH_MAGIC, 8);
}

static int kh_open(void)
{
	return open(KH_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

static int module_loaded(void)
{
	return access("/sys/module/" KH_MODNAME, F_OK) == 0;
}

/* The module file, opened once: no fault point of open() in a load. */
static int ko_fd = -1;

static long load_module(void)
{
	char params[128];

	if (ko_fd < 0)
		ko_fd = open(ko_path, O_RDONLY | O_CLOEXEC);
	if (ko_fd < 0)
		return -1;
	snprintf(params, sizeof(params), "region=%s", region_param);
	return syscall(SYS_finit_module, ko_fd, params, 0);
}

static long unload_module(void)
{
	return syscall(SYS_delete_module, KH_MODNAME, O_NONBLOCK);
}

/* Nothing of the module left: no sysfs entry, no device, no claim. */
static int module_gone(void)
{
	char line[256];
	int found = 0;
	FILE *f;

	if (module_loaded() || access(KH_DEVICE_PATH, F_OK) == 0)
		return 0;
	f = fopen("/proc/iomem", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, KH_MODNAME))
			found = 1;
	fclose(f);
	return !found;
}

static void make_entry(struct kh_entry *e, const char *name)
{
	memset(e, 0, sizeof(*e));
	e->key_size = 32;
	strcpy(e->uuid, "11111111-2222-4333-8444-555555555555");
	snprintf(e->name, sizeof(e->name), "%s", name);
	memset(e->key, KH_PATTERN, 32);
}

static long arm(int fd, unsigned int count, unsigned int timeout)
{
	struct kh_entry e[2];
	struct kh_arm a = {
		.count = count,
		.timeout = timeout,
		.entries = (__u64)(unsigned long)e,
	};

	make_entry(&e[0], "stress0");
	make_entry(&e[1], "stress1");
	return ioctl(fd, KH_IOC_ARM, &a);
}

static int have_key;

/* A logon key for ARM_KEYRING; keyctl(1) would do the same. */
static void add_logon_key(void)
{
	unsigned char payload[32];

	memset(payload, KH_PATTERN, sizeof(payload));
	have_key = syscall(SYS_add_key, "logon", KH_KEY_DESC, payload,
			   sizeof(payload), -4 /* KEY_SPEC_USER_KEYRING */) > 0;
	checkf(have_key, "a logon key %s for ARM_KEYRING", KH_KEY_DESC);
}

static long arm_keyring(int fd, unsigned int timeout)
{
	struct kh_keyref ref;
	struct kh_arm_keyring a = {
		.count = 1,
		.timeout = timeout,
		.refs = (__u64)(unsigned long)&ref,
	};

	memset(&ref, 0, sizeof(ref));
	ref.type = KH_KEY_LOGON;
	ref.key_size = 32;
	strcpy(ref.uuid, "11111111-2222-4333-8444-555555555555");
	strcpy(ref.name, "stresskr");
	strcpy(ref.description, KH_KEY_DESC);
	return ioctl(fd, KH_IOC_ARM_KEYRING, &a);
}

/* READ; *leak is set when any pattern byte came back to userspace. */
static long read_stash(int fd, struct kh_read *rd, int *leak)
{
	static __thread struct kh_entry e[KH_MAX_ENTRIES];
	long ret;
	size_t i;

	memset(e, 0xa5, sizeof(e));
	memset(rd, 0, sizeof(*rd));
	rd->capacity = KH_MAX_ENTRIES;
	rd->entries = (__u64)(unsigned long)e;
	ret = ioctl(fd, KH_IOC_READ, rd);
	*leak = 0;
	for (i = 0; i < sizeof(e); i++)
		if (((unsigned char *)e)[i] == KH_PATTERN)
			*leak = 1;
	return ret;
}

static int get_status(int fd, struct kh_status *st)
{
	memset(st, 0xff, sizeof(*st));
	return ioctl(fd, KH_IOC_STATUS, st) ? -1 : 0;
}

/* A consistent status: EMPTY with nothing, or ARMED with 1 or 2 entries. */
static int status_sane(const struct kh_status *st, unsigned int max_timeout)
{
	static const __u8 zero[KH_NONCE_LEN];

	if (st->backend != KH_BACKEND_MEMMAP || st->region_size != region_size)
		return 0;
	if (st->state == KH_STATE_EMPTY)
		return st->count == 0 && !memcmp(st->nonce, zero, KH_NONCE_LEN);
	if (st->state == KH_STATE_ARMED)
		return (st->count == 1 || st->count == 2) &&
		       st->expires_in <= max_timeout &&
		       memcmp(st->nonce, zero, KH_NONCE_LEN);
	return 0;
}

static unsigned int rnd(unsigned int *seed, unsigned int below)
{
	return rand_r(seed) % below;
}

static void sleep_us(unsigned int us)
{
	struct timespec ts = { us / 1000000, (us % 1000000) * 1000L };

	nanosleep(&ts, NULL);
}

/* --- race ------------------------------------------------------------- */

static pthread_rwlock_t fd_lock;
static int shared_fd = -1;	/* the holder's open file, under fd_lock */
static atomic_int stop;
static pthread_mutex_t err_lock = PTHREAD_MUTEX_INITIALIZER;
static char first_error[256];
static atomic_long errors;

static atomic_long n_arm, n_arm_busy, n_arm_kr, n_read_busy, n_read_empty,
	n_wipe, n_status, n_status_armed, n_status_empty, n_open,
	n_open_busy, n_open_gone, n_refused_open, n_unload, n_unload_armed,
	n_unload_raced, n_reload, n_hold;

static void race_error(const char *fmt, ...)
{
	va_list ap;

	atomic_fetch_add(&errors, 1);
	pthread_mutex_lock(&err_lock);
	if (!first_error[0]) {
		va_start(ap, fmt);
		vsnprintf(first_error, sizeof(first_error), fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&err_lock);
}

/* open() failing because the module is being unloaded or is gone. */
static int gone_errno(int e)
{
	return e == ENOENT || e == ENODEV || e == ENXIO;
}

/* Opens, publishes and closes the file the ioctl threads share. */
static void *holder(void *arg)
{
	unsigned int seed = 1;
	int fd;

	(void)arg;
	while (!atomic_load(&stop)) {
		fd = kh_open();
		if (fd < 0) {
			if (errno != EBUSY && !gone_errno(errno))
				race_error("holder: open: %s", strerror(errno));
			sleep_us(1000);
			continue;
		}
		atomic_fetch_add(&n_hold, 1);
		pthread_rwlock_wrlock(&fd_lock);
		shared_fd = fd;
		pthread_rwlock_unlock(&fd_lock);
		sleep_us(20000 + rnd(&seed, 200000));
		pthread_rwlock_wrlock(&fd_lock);
		shared_fd = -1;
		close(fd);
		pthread_rwlock_unlock(&fd_lock);
		sleep_us(rnd(&seed, 20000));
	}
	return NULL;
}

enum op { OP_ARM, OP_READ, OP_WIPE, OP_STATUS };

static void do_op(enum op op, int fd, unsigned int *seed)
{
	struct kh_status st;
	struct kh_read rd;
	int leak;
	long r;

	switch (op) {
	case OP_ARM:
		if (have_key && rnd(seed, 3) == 0) {
			r = arm_keyring(fd, 1);
			if (r == 0)
				atomic_fetch_add(&n_arm_kr, 1);
		} else {
			r = arm(fd, 1 + rnd(seed, 2), 1);
		}
		if (r == 0)
			atomic_fetch_add(&n_arm, 1);
		else if (errno == EBUSY)
			atomic_fetch_add(&n_arm_busy, 1);
		else
			race_error("arm: %s", strerror(errno));
		break;
	case OP_READ:
		r = read_stash(fd, &rd, &leak);
		if (leak)
			race_error("read: key bytes came back in the arming kernel");
		else if (r == -1 && errno == EBUSY)
			atomic_fetch_add(&n_read_busy, 1);
		else if (r == 0 && rd.verdict == KH_VERDICT_EMPTY && !rd.count)
			atomic_fetch_add(&n_read_empty, 1);
		else
			race_error("read: ret %ld (%s), verdict %u, count %u", r,
				   r ? strerror(errno) : "-", rd.verdict,
				   rd.count);
		break;
	case OP_WIPE:
		if (ioctl(fd, KH_IOC_WIPE))
			race_error("wipe: %s", strerror(errno));
		else
			atomic_fetch_add(&n_wipe, 1);
		break;
	case OP_STATUS:
		if (get_status(fd, &st)) {
			race_error("status: %s", strerror(errno));
		} else if (!status_sane(&st, 1)) {
			race_error("status: state %u count %u expires_in %u backend %u",
				   st.state, st.count, st.expires_in,
				   st.backend);
		} else {
			atomic_fetch_add(&n_status, 1);
			atomic_fetch_add(st.state == KH_STATE_ARMED ?
					 &n_status_armed : &n_status_empty, 1);
		}
		break;
	}
}

/* Pause between two ops of one kind: wipes are rare, so arms expire. */
static unsigned int op_pause(enum op op, unsigned int *seed)
{
	switch (op) {
	case OP_ARM:
		return 5000 + rnd(seed, 50000);
	case OP_WIPE:
		return 200000 + rnd(seed, 1500000);
	default:
		return rnd(seed, 5000);
	}
}

static void *worker(void *arg)
{
	enum op op = (enum op)(long)arg;
	unsigned int seed = 100 + op;

	while (!atomic_load(&stop)) {
		pthread_rwlock_rdlock(&fd_lock);
		if (shared_fd >= 0)
			do_op(op, shared_fd, &seed);
		pthread_rwlock_unlock(&fd_lock);
		sleep_us(op_pause(op, &seed));
	}
	return NULL;
}

/* A second opener: EBUSY while the holder has it, else its own turn. */
static void *opener(void *arg)
{
	unsigned int seed = 7;
	struct kh_status st;
	int fd;

	(void)arg;
	while (!atomic_load(&stop)) {
		fd = kh_open();
		if (fd >= 0) {
			atomic_fetch_add(&n_open, 1);
			if (get_status(fd, &st) || !status_sane(&st, 1))
				race_error("opener: status not sane");
			close(fd);
		} else if (errno == EBUSY) {
			atomic_fetch_add(&n_open_busy, 1);
		} else if (gone_errno(errno)) {
			atomic_fetch_add(&n_open_gone, 1);
		} else {
			race_error("opener: open: %s", strerror(errno));
		}
		sleep_us(rnd(&seed, 10000));
	}
	return NULL;
}

/*
 * delete_module() of a module in use fails with EWOULDBLOCK (kernel/
 * module/main.c, try_stop_module(); EBUSY is for one still loading or
 * already going). While the holder's file is open (its lock held for
 * reading, so it cannot close), an unload must be refused. Then it takes
 * the device itself, arms, closes, and unloads at once: that may lose
 * the race to another opener (refused again), or succeed, and then the
 * region must read zero and nothing of the module be left. It reloads.
 */
static void *unloader(void *arg)
{
	unsigned int seed = 3;
	struct kh_status st;
	int fd, armed;
	long r;

	(void)arg;
	while (!atomic_load(&stop)) {
		sleep_us(50000 + rnd(&seed, 200000));
		r = -1;
		pthread_rwlock_rdlock(&fd_lock);
		if (shared_fd >= 0) {
			r = unload_module();
			if (r == 0)
				race_error("unload succeeded with the device open");
			else if (errno == EWOULDBLOCK)
				atomic_fetch_add(&n_refused_open, 1);
			else
				race_error("unload while open: %s", strerror(errno));
		}
		pthread_rwlock_unlock(&fd_lock);
		if (r == 0)
			break;

		fd = kh_open();
		if (fd < 0) {
			if (errno != EBUSY && !gone_errno(errno))
				race_error("unloader: open: %s", strerror(errno));
			continue;
		}
		armed = (arm(fd, 1, 1) == 0 || errno == EBUSY) &&
			!get_status(fd, &st) && st.state == KH_STATE_ARMED;
		close(fd);
		r = unload_module();
		if (r && errno == EWOULDBLOCK) {
			atomic_fetch_add(&n_unload_raced, 1);
			continue;
		}
		if (r) {
			race_error("unload: %s", strerror(errno));
			continue;
		}
		atomic_fetch_add(&n_unload, 1);
		if (!region_zero())
			race_error("region not zero after unload");
		else if (armed)
			atomic_fetch_add(&n_unload_armed, 1);
		if (!module_gone())
			race_error("module left something behind after unload");
		sleep_us(rnd(&seed, 50000));
		if (load_module())
			race_error("reload: %s", strerror(errno));
		else
			atomic_fetch_add(&n_reload, 1);
	}
	return NULL;
}

static int race(int seconds)
{
	pthread_rwlockattr_t attr;
	pthread_t t[8];
	int i, n = 0;

	if (!module_loaded()) {
		check(0, "the module is loaded to start with");
		return khu_tap_done();
	}
	add_logon_key();
	pthread_rwlockattr_init(&attr);
	/* The holder must get to close while the ioctl threads hammer. */
	pthread_rwlockattr_setkind_np(&attr,
			PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&fd_lock, &attr);
	pthread_create(&t[n++], NULL, holder, NULL);
	for (i = OP_ARM; i <= OP_STATUS; i++)
		pthread_create(&t[n++], NULL, worker, (void *)(long)i);
	pthread_create(&t[n++], NULL, opener, NULL);
	pthread_create(&t[n++], NULL, unloader, NULL);
	sleep(seconds);
	atomic_store(&stop, 1);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);

	say("holds %ld, arms %ld (keyring %ld, busy %ld), reads refused %ld, reads empty %ld, wipes %ld",
	    n_hold, n_arm, n_arm_kr, n_arm_busy, n_read_busy, n_read_empty,
	    n_wipe);
	say("status %ld (armed %ld, empty %ld), opens %ld (busy %ld, gone %ld)",
	    n_status, n_status_armed, n_status_empty, n_open, n_open_busy,
	    n_open_gone);
	say("unloads refused while open %ld, unloads %ld (armed before %ld, lost the race %ld), reloads %ld",
	    n_refused_open, n_unload, n_unload_armed, n_unload_raced,
	    n_reload);
	checkf(errors == 0, "%d s of racing: every answer as documented (%ld wrong%s%s)",
	       seconds, errors, errors ? ", first: " : "", first_error);
	checkf(n_arm > 0 && n_arm_busy > 0,
	       "arms succeeded (%ld) and were refused over a stash (%ld)",
	       n_arm, n_arm_busy);
	checkf(!have_key || n_arm_kr > 0,
	       "ARM_KEYRING arms took part (%ld)", n_arm_kr);
	checkf(n_read_busy > 0 && n_read_empty > 0,
	       "reads refused while armed (%ld), empty otherwise (%ld)",
	       n_read_busy, n_read_empty);
	checkf(n_status_armed > 0 && n_status_empty > 0 && n_wipe > 0,
	       "status saw both states (%ld armed, %ld empty), %ld wipes",
	       n_status_armed, n_status_empty, n_wipe);
	checkf(n_open_busy > 0 && n_open > 0,
	       "a second opener got EBUSY (%ld) and its own turns (%ld)",
	       n_open_busy, n_open);
	checkf(n_refused_open > 0,
	       "unload refused with EWOULDBLOCK while open (%ld times)",
	       n_refused_open);
	checkf(n_unload_armed > 0,
	       "unloads after an arm left the region zero (%ld of %ld unloads)",
	       n_unload_armed, n_unload);
	checkf(n_reload == n_unload && module_loaded(),
	       "every unload reloaded (%ld), the module is loaded at the end",
	       n_reload);
	return khu_tap_done();
}

/* --- cycles ----------------------------------------------------------- */

static int cycles(int n)
{
	struct kh_status st;
	struct kh_read rd;
	int fd, i, bad = 0, leak;

	fd = kh_open();
	check(fd >= 0, "the device opens");
	if (fd < 0)
		return khu_tap_done();
	for (i = 0; i < n && !bad; i++) {
		if (arm(fd, 1, 0))
			bad = 1;
		else if (ioctl(fd, KH_IOC_WIPE))
			bad = 2;
		else if (get_status(fd, &st) || st.state != KH_STATE_EMPTY)
			bad = 3;
	}
	checkf(!bad, "%d arm/wipe cycles (%d done%s)", n, i - !!bad,
	       bad ? ", then a failure" : "");
	for (i = 0, bad = 0; i < n && !bad; i++) {
		if (arm(fd, 1, 0))
			bad = 1;
		else if (read_stash(fd, &rd, &leak) != -1 || errno != EBUSY ||
			 leak)
			bad = 2;
		else if (ioctl(fd, KH_IOC_WIPE))
			bad = 3;
		else if (get_status(fd, &st) || st.state != KH_STATE_EMPTY)
			bad = 4;
	}
	checkf(!bad, "%d arm/read(EBUSY)/wipe cycles (%d done%s)", n,
	       i - !!bad, bad ? ", then a failure" : "");
	check(region_zero(), "the region reads zero after them");
	close(fd);
	return khu_tap_done();
}

/* --- faults ----------------------------------------------------------- */

#define FI "/sys/kernel/debug/"

static int write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static int fail_nth_fd = -1;

static int set_fail_nth(unsigned int n)
{
	char buf[16];

	snprintf(buf, sizeof(buf), "%u", n);
	return pwrite(fail_nth_fd, buf, strlen(buf), 0) ==
		(ssize_t)strlen(buf) ? 0 : -1;
}

/*
 * What is left of the count: 0 means the Nth fault point failed. Reading
 * takes the value first, then copies it out, and that copy is a fault
 * point too: with 1 left, it is the one that fails (EFAULT).
 */
static long get_fail_nth(void)
{
	char buf[16] = "";

	if (pread(fail_nth_fd, buf, sizeof(buf) - 1, 0) <= 0)
		return errno == EFAULT ? 1 : -1;
	return strtol(buf, NULL, 10);
}

/* Back to no fault: the write's own copy may be the one that fails. */
static void reset_fail_nth(void)
{
	set_fail_nth(0);
	set_fail_nth(0);
}

/*
 * No random faults anywhere (probability 0, task filter on, nobody's
 * make-it-fail set): only the per-thread fail-nth counts, so only this
 * thread ever sees a fault, and fail-nth steps by fault point where
 * `space` would step by bytes. The stack trace filter, which fail-nth
 * honours (lib/fault-inject.c, 7.x), admits only fault points with the
 * module's code on the stack: the modules area, from the end of the
 * kernel image (_end) to MODULES_END. GFP_KERNEL allocations and order-0
 * pages, which the defaults exempt, are what the module uses: not here.
 */
static int setup_faults(void)
{
	static const char *const attr[] = {
		"failslab", "fail_page_alloc", "fail_usercopy"
	};
	unsigned long long end = 0, a;
	char path[128], line[256], type, name[128], start[32];
	int i, ret = 0;
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %127s", &a, &type, name) == 3 &&
		    !strcmp(name, "_end"))
			end = a;
	fclose(f);
	if (!end)
		return -1;
	snprintf(start, sizeof(start), "%llu", end);
	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), FI "%s/probability", attr[i]);
		ret |= write_file(path, "0");
		snprintf(path, sizeof(path), FI "%s/task-filter", attr[i]);
		ret |= write_file(path, "Y");
		snprintf(path, sizeof(path), FI "%s/verbose", attr[i]);
		ret |= write_file(path, "0");
		snprintf(path, sizeof(path), FI "%s/require-start", attr[i]);
		ret |= write_file(path, start);
		/* MODULES_END, x86-64: 0xffffffffff000000 */
		snprintf(path, sizeof(path), FI "%s/require-end", attr[i]);
		ret |= write_file(path, "18446744073692774400");
	}
	ret |= write_file(FI "failslab/ignore-gfp-wait", "N");
	ret |= write_file(FI "fail_page_alloc/ignore-gfp-wait", "N");
	ret |= write_file(FI "fail_page_alloc/min-order", "0");
	fail_nth_fd = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	return ret || fail_nth_fd < 0 ? -1 : 0;
}

#define MAX_STEPS 3000

/*
 * Module load with the Nth fault point under the module's init failing
 * (region claim, memremap, misc device, notifiers; what the kernel's
 * loader does around it is filtered out). A failed load must leave nothing: no module, no
 * device, no claim in /proc/iomem, a zero region; a load that absorbed
 * its fault must work and unload cleanly.
 */
static void faults_load(void)
{
	int n, total, failed = 0, absorbed = 0, bad = 0, done = 0, e;
	char why[160] = "", errs[128] = "";
	long r, left;

	/* How many fault points a clean load passes. */
	set_fail_nth(1000000);
	r = load_module();
	left = get_fail_nth();
	reset_fail_nth();
	total = 1000000 - (int)left;
	if (r || left <= 0 || unload_module()) {
		checkf(0, "a clean load counted (%ld, %ld left)", r, left);
		return;
	}
	for (n = 1; n <= MAX_STEPS && !bad && !done; n++) {
		set_fail_nth(n);
		r = load_module();
		e = errno;
		left = get_fail_nth();
		reset_fail_nth();
		if (left != 0) {
			/* Ran through without an Nth fault point: all seen. */
			done = 1;
			if (r)
				snprintf(why, sizeof(why),
					 "load failed with no fault injected: %s",
					 strerror(e)), bad = 1;
		} else if (r) {
			char name[24];

			failed++;
			snprintf(name, sizeof(name), " %s", strerrorname_np(e) ?: "?");
			if (!strstr(errs, name) && strlen(errs) + strlen(name) < sizeof(errs))
				strcat(errs, name);
			if (!module_gone())
				snprintf(why, sizeof(why), "step %d (%s): a failed load left something behind",
					 n, strerror(e)), bad = 1;
			else if (!region_zero())
				snprintf(why, sizeof(why), "step %d: region not zero after a failed load",
					 n), bad = 1;
			continue;
		} else {
			absorbed++;
		}
		if (r == 0) {
			struct kh_status st;
			int fd = kh_open();

			if (fd < 0 || get_status(fd, &st) ||
			    st.state != KH_STATE_EMPTY || !status_sane(&st, 0))
				snprintf(why, sizeof(why), "step %d: loaded module not EMPTY and working",
					 n), bad = 1;
			if (fd >= 0)
				close(fd);
			if (unload_module() || !module_gone() || !region_zero())
				snprintf(why, sizeof(why), "step %d: unload after the load not clean",
					 n), bad = 1;
		}
	}
	say("load: %d fault points in a clean load; %d injected faults failed the load (errors:%s), %d were absorbed",
	    total, failed, errs, absorbed);
	checkf(!bad && done && failed > 0,
	       "module load with each of its %d fault points failing in turn: an error or absorbed, nothing left behind%s%s",
	       n - 2, bad || !done ? ": " : "",
	       bad ? why : !done ? "no end within the steps" : "");
}

/* After an ioctl that may have failed: EMPTY and zero, or wholly ARMED. */
static int stash_whole(int fd, unsigned int want_count, const char **why)
{
	struct kh_status st;

	if (get_status(fd, &st) || !status_sane(&st, KH_TIMEOUT_MAX))
		return *why = "status not sane", 0;
	if (st.state == KH_STATE_EMPTY && !region_zero())
		return *why = "EMPTY but the region is not zero", 0;
	if (st.state == KH_STATE_ARMED &&
	    (st.count != want_count || !region_holds_stash()))
		return *why = "ARMED but not with a whole stash", 0;
	return 1;
}

enum fop { F_ARM, F_ARM_KEYRING, F_READ_EMPTY, F_READ_ARMED, F_STATUS };

static const char *const fop_name[] = {
	"ARM", "ARM_KEYRING", "READ (nothing armed)", "READ (armed)",
	"STATUS",
};

static long run_fop(enum fop op, int fd)
{
	struct kh_status st;
	struct kh_read rd;
	int leak;
	long r;

	switch (op) {
	case F_ARM:
		return arm(fd, 2, 0);
	case F_ARM_KEYRING:
		return arm_keyring(fd, 0);
	case F_READ_EMPTY:
	case F_READ_ARMED:
		r = read_stash(fd, &rd, &leak);
		return leak ? -2 : r;
	case F_STATUS:
		return ioctl(fd, KH_IOC_STATUS, &st);
	}
	return -2;
}

/* An ioctl with the Nth fault point (slab, pages, user copies) failing. */
static void faults_ioctl(int fd, enum fop op)
{
	int n, injected = 0, failed = 0, bad = 0, done = 0;
	unsigned int want = op == F_ARM ? 2 : 1;
	const char *why = "";
	struct kh_status st;
	long r, left;
	int e;

	for (n = 1; n <= MAX_STEPS && !bad && !done; n++) {
		/* The state each step starts from. */
		ioctl(fd, KH_IOC_WIPE);
		if (op == F_READ_ARMED && arm(fd, 1, 0)) {
			why = "cannot arm before the read", bad = 1;
			break;
		}
		set_fail_nth(n);
		r = run_fop(op, fd);
		e = errno;
		left = get_fail_nth();
		reset_fail_nth();
		if (r == -2) {
			why = "key bytes came back in the arming kernel", bad = 1;
			break;
		}
		if (left != 0)
			done = 1;
		else
			injected++;
		if (r == -1 && op == F_READ_ARMED && e == EBUSY) {
			/* Refused before or after the fault: as documented. */
		} else if (r == -1) {
			failed++;
			if (left != 0) {
				why = "failed with no fault injected", bad = 1;
				break;
			}
			if (e != ENOMEM && e != EFAULT) {
				why = strerror(e), bad = 1;
				break;
			}
		}
		if (!stash_whole(fd, want, &why)) {
			bad = 1;
			break;
		}
		if (get_status(fd, &st)) {
			why = "status", bad = 1;
			break;
		}
		/* What each ioctl must leave: arms all or nothing, the rest untouched. */
		if (op == F_READ_ARMED && st.state != KH_STATE_ARMED)
			why = "a refused read changed the stash", bad = 1;
		else if ((op == F_READ_EMPTY || op == F_STATUS) &&
			 st.state != KH_STATE_EMPTY)
			why = "state changed", bad = 1;
		else if ((op == F_ARM || op == F_ARM_KEYRING) &&
			 (r == 0) != (st.state == KH_STATE_ARMED))
			why = "the arm's result and the state disagree", bad = 1;
	}
	ioctl(fd, KH_IOC_WIPE);
	say("%s: %d fault points, %d made it fail", fop_name[op], injected,
	    failed);
	checkf(!bad && done && injected > 0 &&
	       (failed > 0 || op == F_READ_ARMED),
	       "%s with each of its %d fault points failing: clean error, no half-armed stash%s%s",
	       fop_name[op], injected, bad || !done ? ": " : "",
	       bad ? why : !done ? "no end within the steps" : "");
}

static int faults(void)
{
	int fd;

	if (module_loaded()) {
		check(0, "the module is not loaded to start with");
		return khu_tap_done();
	}
	if (setup_faults()) {
		check(0, "failslab, fail_page_alloc, fail_usercopy and fail-nth set up");
		return khu_tap_done();
	}
	add_logon_key();
	if (load_module() || unload_module()) {
		checkf(0, "the module loads and unloads: %s",
		       strerror(errno));
		return khu_tap_done();
	}
	faults_load();
	if (!module_loaded() && load_module()) {
		checkf(0, "module loads for the ioctls: %s",
		       strerror(errno));
		return khu_tap_done();
	}
	fd = kh_open();
	check(fd >= 0, "the device opens");
	if (fd < 0)
		return khu_tap_done();
	faults_ioctl(fd, F_ARM);
	if (have_key)
		faults_ioctl(fd, F_ARM_KEYRING);
	faults_ioctl(fd, F_READ_EMPTY);
	faults_ioctl(fd, F_READ_ARMED);
	faults_ioctl(fd, F_STATUS);
	close(fd);
	check(unload_module() == 0 && module_gone() && region_zero(),
	      "unloaded at the end, nothing left, region zero");
	return khu_tap_done();
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 5 && !strcmp(argv[1], "race") &&
	    !parse_region(argv[4])) {
		ko_path = argv[3], region_param = argv[4];
		return race(atoi(argv[2]));
	}
	if (argc == 4 && !strcmp(argv[1], "cycles") &&
	    !parse_region(argv[3]))
		return cycles(atoi(argv[2]));
	if (argc == 4 && !strcmp(argv[1], "faults") &&
	    !parse_region(argv[3])) {
		ko_path = argv[2], region_param = argv[3];
		return faults();
	}
	fprintf(stderr, "usage: %s race SECONDS KO REGION | cycles N REGION | faults KO REGION\n",
		argv[0]);
	return 2;
}
