// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/keyhandover interface, probed from inside a QEMU guest with the
 * real module loaded: permissions, exclusivity, unsupported file
 * operations, bad ioctls and pointers, refused arms that must leave
 * nothing armed, read-back refusal in the arming kernel, no second arm
 * over a stash, wipe, and the arm timeout. Leaves the region EMPTY.
 * `kh-iface-test read-efault` checks a read into a bad pointer instead.
 * For case 17 from outside the guest (guest/planted.sh): `arm-again`,
 * with a stash armed by the caller, tries a different one and must get
 * EBUSY with the status unchanged; `arm-other`, with nothing armed, arms
 * that same different stash, so the host can see that the region would
 * have changed had the refused arm landed.
 *
 * Prints "ok N - ..." lines and "N passed, N failed". The key bytes here
 * are a test pattern, not a volume key.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "uapi/keyhandover.h"
#include "../../userspace/tests/tap.h"


/* -1 with @err expected; reports errno on mismatch. */
static void check_err(long ret, int err, const char *what)
{
	char line[256];

	snprintf(line, sizeof(line), "%s: %s (got %ld, %s)", what,
		 strerror(err), ret, ret < 0 ? strerror(errno) : "success");
	check(ret == -1 && errno == err, line);
}

static int kh_open(void)
{
	return open(KH_DEVICE_PATH, O_RDWR | O_CLOEXEC);
}

static struct kh_status status(int fd)
{
	struct kh_status st;

	memset(&st, 0xff, sizeof(st));
	if (ioctl(fd, KH_IOC_STATUS, &st))
		st.state = 0xdead;
	return st;
}

static void make_entry(struct kh_entry *e, const char *name, __u32 len)
{
	memset(e, 0, sizeof(*e));
	e->key_size = len;
	strcpy(e->uuid, "11111111-2222-4333-8444-555555555555");
	strcpy(e->name, name);
	memset(e->key, 0x3c, len < KH_KEY_MAX ? len : KH_KEY_MAX);
}

static long arm(int fd, struct kh_entry *e, __u32 count, __u32 timeout)
{
	struct kh_arm a = {
		.count = count,
		.timeout = timeout,
		.entries = (__u64)(unsigned long)e,
	};

	return ioctl(fd, KH_IOC_ARM, &a);
}

/* Run @fn in a child with fewer privileges; its exit code is the errno. */
static int in_child(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static int open_as_nobody(void)
{
	if (setgid(65534) || setuid(65534))
		return 254;
	return kh_open() < 0 ? errno : 0;
}

static int open_without_cap(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return 254;
	data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
	if (syscall(SYS_capset, &hdr, data))
		return 254;
	return kh_open() < 0 ? errno : 0;
}

static void test_permissions(void)
{
	check(in_child(open_as_nobody) == EACCES,
	      "an unprivileged user cannot open the device (mode 0600)");
	check(in_child(open_without_cap) == EPERM,
	      "root without CAP_SYS_ADMIN gets EPERM");
}

static void test_file_ops(int fd)
{
	char buf[64];

	check_err(kh_open(), EBUSY, "a second opener");
	check_err(read(fd, buf, sizeof(buf)), EINVAL, "read()");
	check_err(write(fd, buf, sizeof(buf)), EINVAL, "write()");
	check_err(lseek(fd, 0, SEEK_SET), ESPIPE, "lseek()");
	check(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED &&
	      errno == ENODEV, "mmap() fails with ENODEV");
	check_err(ioctl(fd, _IO(KH_IOC_MAGIC, 99)), ENOTTY, "unknown ioctl");
	check_err(ioctl(fd, KH_IOC_STATUS, (void *)8), EFAULT,
		  "status into a bad pointer");
	check_err(ioctl(fd, KH_IOC_ARM, (void *)8), EFAULT,
		  "arm from a bad pointer");
}

static void test_refused_arms(int fd)
{
	struct kh_entry e[KH_MAX_ENTRIES + 1];
	struct kh_arm a = { .count = 1, .entries = 8 };
	int i;

	for (i = 0; i <= KH_MAX_ENTRIES; i++)
		make_entry(&e[i], "iface", 32);
	check_err(ioctl(fd, KH_IOC_ARM, &a), EFAULT, "arm with bad entries");
	check_err(arm(fd, e, 0, 0), EINVAL, "arm with zero entries");
	check_err(arm(fd, e, KH_MAX_ENTRIES + 1, 0), EINVAL,
		  "arm with 17 entries");
	check_err(arm(fd, e, 1, KH_TIMEOUT_MAX + 1), EINVAL,
		  "arm with a timeout over a day");
	a.entries = (__u64)(unsigned long)e;
	a.flags = 1;
	check_err(ioctl(fd, KH_IOC_ARM, &a), EINVAL, "arm with flags");
	a.flags = 0;
	a.reserved = 1;
	check_err(ioctl(fd, KH_IOC_ARM, &a), EINVAL, "arm with reserved set");
	e[0].key_size = KH_KEY_MAX + 1;
	check_err(arm(fd, e, 1, 0), EINVAL, "arm with a key over KH_KEY_MAX bytes");
	e[0].key_size = 0;
	check_err(arm(fd, e, 1, 0), EINVAL, "arm with an empty key");
	make_entry(&e[0], "a/b", 32);
	check_err(arm(fd, e, 1, 0), EINVAL, "arm with a name holding '/'");
	make_entry(&e[0], "iface", 32);
	e[0].uuid[36] = 'x';
	check_err(arm(fd, e, 1, 0), EINVAL, "arm with an unterminated UUID");
	make_entry(&e[0], "iface", 32);
	e[1].key_size = KH_KEY_MAX + 7;
	check_err(arm(fd, e, 2, 0), EINVAL, "arm whose second entry is bad");
	check(status(fd).state == KH_STATE_EMPTY,
	      "after every refused arm nothing is armed");
}

static void test_arm_read_wipe(int fd)
{
	struct kh_entry e[KH_MAX_ENTRIES];
	struct kh_read rd = { .capacity = KH_MAX_ENTRIES };
	struct kh_status st;

	make_entry(&e[0], "one", 64);
	make_entry(&e[1], "two", 32);
	check(arm(fd, e, 1, 0) == 0, "a valid arm succeeds");
	st = status(fd);
	check(st.state == KH_STATE_ARMED && st.count == 1 &&
	      st.expires_in > 0 && st.expires_in <= 600,
	      "status: armed, one entry, the default timeout running");
	check_err(arm(fd, e, 2, 0), EBUSY, "arming again while armed");
	st = status(fd);
	check(st.state == KH_STATE_ARMED && st.count == 1,
	      "the refused second arm left the first stash as it was");
	rd.entries = (__u64)(unsigned long)e;
	check_err(ioctl(fd, KH_IOC_READ, &rd), EBUSY,
		  "the arming kernel cannot read its own stash back");
	rd.capacity = KH_MAX_ENTRIES - 1;
	check(ioctl(fd, KH_IOC_WIPE) == 0 &&
	      status(fd).state == KH_STATE_EMPTY, "wipe empties the region");
	check_err(ioctl(fd, KH_IOC_READ, &rd), EINVAL,
		  "read with room for fewer than 16 entries");
	rd.capacity = KH_MAX_ENTRIES;
	check(ioctl(fd, KH_IOC_READ, &rd) == 0 &&
	      rd.verdict == KH_VERDICT_EMPTY && rd.count == 0,
	      "read after wipe: nothing handed over, no entries");
	check(ioctl(fd, KH_IOC_WIPE) == 0, "wipe is idempotent");
}

static void test_timeout(int fd)
{
	struct kh_entry e;

	make_entry(&e, "timeout", 16);
	check(arm(fd, &e, 1, 2) == 0 && status(fd).expires_in <= 2,
	      "arm with a 2 s timeout");
	sleep(4);
	check(status(fd).state == KH_STATE_EMPTY,
	      "an arm nobody collects is wiped when its timeout expires");
}

/*
 * With a stash pending (planted by the caller): a read into a bad pointer
 * fails with EFAULT and the stash is gone all the same, so that no second
 * read can ever get it.
 */
static int test_read_efault(void)
{
	struct kh_read rd = { .capacity = KH_MAX_ENTRIES, .entries = 8 };
	int fd = kh_open();

	check(fd >= 0 && status(fd).state == KH_STATE_PENDING,
	      "a planted stash is pending");
	check_err(ioctl(fd, KH_IOC_READ, &rd), EFAULT,
		  "read into a bad pointer");
	check(status(fd).state == KH_STATE_CONSUMED,
	      "after the failed read the stash is consumed, not kept");
	close(fd);
	return khu_tap_done();
}

/* The stash the case 17 modes try: two entries, unlike the tool's one. */
static void make_other(struct kh_entry *e)
{
	make_entry(&e[0], "kh17a", 64);
	make_entry(&e[1], "kh17b", 32);
	memset(e[0].key, 0x5a, 64);
	memset(e[1].key, 0xa5, 32);
}

static int test_arm_again(void)
{
	struct kh_entry e[2];
	struct kh_status before, after;
	int fd = kh_open();

	make_other(e);
	before = status(fd);
	check(fd >= 0 && before.state == KH_STATE_ARMED,
	      "17: a stash is armed (by the tool)");
	check_err(arm(fd, e, 2, 0), EBUSY,
		  "17: arming a different stash over it");
	after = status(fd);
	check(after.state == KH_STATE_ARMED && after.count == before.count &&
	      !memcmp(after.nonce, before.nonce, sizeof(after.nonce)),
	      "17: status after the refused arm: armed, same count and nonce");
	close(fd);
	return khu_tap_done();
}

static int test_arm_other(void)
{
	struct kh_entry e[2];
	struct kh_status st;
	int fd = kh_open();

	make_other(e);
	check(fd >= 0 && status(fd).state == KH_STATE_EMPTY, "nothing armed");
	check(arm(fd, e, 2, 0) == 0, "17: control: the other stash arms");
	st = status(fd);
	check(st.state == KH_STATE_ARMED && st.count == 2,
	      "17: control: armed, two entries");
	close(fd);
	return khu_tap_done();
}

int main(int argc, char **argv)
{
	int fd;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "read-efault"))
		return test_read_efault();
	if (argc == 2 && !strcmp(argv[1], "arm-again"))
		return test_arm_again();
	if (argc == 2 && !strcmp(argv[1], "arm-other"))
		return test_arm_other();
	test_permissions();
	fd = kh_open();
	check(fd >= 0, "root opens " KH_DEVICE_PATH);
	if (fd < 0)
		goto out;
	test_file_ops(fd);
	test_refused_arms(fd);
	test_arm_read_wipe(fd);
	test_timeout(fd);
	close(fd);
	fd = kh_open();
	check(fd >= 0, "after close the device opens again");
	close(fd);
out:
	return khu_tap_done();
}
