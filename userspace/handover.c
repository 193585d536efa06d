// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/keyhandover client: thin wrappers around the five ioctls of
 * kmod/uapi/keyhandover.h. Entry arrays carry keys, so they always live
 * in locked memory from khu_handover_alloc_entries().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cmdline.h"
#include "handover.h"
#include "secmem.h"

/* The device fd, or -errno (-ENOENT: the module is not loaded). */
int khu_handover_open(void)
{
	int fd = open(KH_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

void khu_handover_close(int fd)
{
	if (fd >= 0)
		close(fd);
}

/*
 * Room for KH_MAX_ENTRIES zeroed entries in locked memory; @shared: seen
 * by the children this process forks (restore's workers).
 */
int khu_handover_alloc_entries(struct kh_entry **out, bool shared)
{
	size_t len = KH_MAX_ENTRIES * sizeof(struct kh_entry);
	void *p;
	int ret;

	ret = shared ? khu_secmem_alloc_shared(len, &p) :
		       khu_secmem_alloc(len, &p);
	if (ret)
		return ret;
	*out = p;
	return 0;
}

void khu_handover_free_entries(struct kh_entry *entries)
{
	khu_secmem_free(entries);
}

static int khu_ioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do
		ret = ioctl(fd, req, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/* Stash @count entries in one go: the module arms all or none. */
int khu_handover_arm(int fd, const struct kh_entry *entries, uint32_t count,
		     uint32_t timeout)
{
	struct kh_arm arm;

	if (!count || count > KH_MAX_ENTRIES)
		return -EINVAL;
	memset(&arm, 0, sizeof(arm));
	arm.count = count;
	arm.timeout = timeout;
	arm.entries = (uintptr_t)entries;
	return khu_ioctl(fd, KH_IOC_ARM, &arm);
}

/*
 * Keyring mode: the module takes each key from the caller's keyrings.
 * @refs carry descriptions only. On a refusal *@failed is the index of
 * the key the module refused (or @count when it was not a key's fault).
 */
int khu_handover_arm_keyring(int fd, const struct kh_keyref *refs,
			     uint32_t count, uint32_t timeout, uint32_t *failed)
{
	struct kh_arm_keyring arm;
	int ret;

	if (!count || count > KH_MAX_ENTRIES)
		return -EINVAL;
	memset(&arm, 0, sizeof(arm));
	arm.count = count;
	arm.timeout = timeout;
	arm.failed = count;
	arm.refs = (uintptr_t)refs;
	ret = khu_ioctl(fd, KH_IOC_ARM_KEYRING, &arm);
	*failed = arm.failed;
	return ret;
}

int khu_handover_status(int fd, struct kh_status *st)
{
	struct kh_status tmp;
	int ret;

	memset(&tmp, 0, sizeof(tmp));
	ret = khu_ioctl(fd, KH_IOC_STATUS, &tmp);
	if (ret)
		return ret;
	*st = tmp;
	return 0;
}

/*
 * Read the stash once into @entries (KH_MAX_ENTRIES of them). The module
 * wipes the region whatever the verdict, and calls a stash stale unless
 * it carries @nonce. On KH_VERDICT_OK, *@count entries are valid; a count
 * the module should never report is refused.
 */
int khu_handover_read(int fd, const uint8_t nonce[KH_NONCE_LEN],
		      struct kh_entry *entries, uint32_t *count,
		      uint32_t *verdict)
{
	struct kh_read rd;
	int ret;

	memset(&rd, 0, sizeof(rd));
	rd.capacity = KH_MAX_ENTRIES;
	rd.entries = (uintptr_t)entries;
	memcpy(rd.nonce, nonce, sizeof(rd.nonce));
	ret = khu_ioctl(fd, KH_IOC_READ, &rd);
	if (ret)
		return ret;
	if (rd.count > KH_MAX_ENTRIES)
		return -EPROTO;
	*count = rd.count;
	*verdict = rd.verdict;
	return 0;
}

int khu_handover_wipe(int fd)
{
	return khu_ioctl(fd, KH_IOC_WIPE, NULL);
}

/*
 * Is Kexec HandOver on for this kernel? kho= takes what kstrtobool()
 * does: 1, y, t, or "on" (case aside).
 */
static bool khu_handover_kho_on(const char *cmdline)
{
	char v[8];

	if (khu_cmdline_get_value(cmdline, "kho", v, sizeof(v)))
		return false;
	if (v[0] && strchr("1yYtT", v[0]))
		return true;
	return (v[0] == 'o' || v[0] == 'O') && (v[1] == 'n' || v[1] == 'N');
}

/*
 * Why there is no /dev/keyhandover, for a first user's next step: the
 * module loaded without its node (@module_dir there); this kernel booted
 * with keyhandover.region= or Kexec HandOver on (@cmdline, or NULL when
 * it cannot be read), where modprobe loads it; the GRUB drop-in @dropin
 * there, so setup was done and one reboot is missing; or nothing at all.
 */
enum khu_absent khu_handover_absent(const char *module_dir,
				    const char *cmdline, const char *dropin)
{
	char region[128];

	if (!access(module_dir, F_OK))
		return KHU_ABSENT_NO_NODE;
	if (cmdline && (!khu_cmdline_get_value(cmdline, "keyhandover.region",
					       region, sizeof(region)) ||
			khu_handover_kho_on(cmdline)))
		return KHU_ABSENT_BOOTED;
	if (!access(dropin, F_OK))
		return KHU_ABSENT_REBOOT;
	return KHU_ABSENT_SETUP;
}
