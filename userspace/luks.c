// SPDX-License-Identifier: GPL-2.0
/*
 * libcryptsetup wrappers: open LUKS devices, derive and use volume keys.
 *
 * libcryptsetup checks a volume key against the LUKS header digest before
 * it activates anything, so a wrong or planted key never opens a volume:
 * that check is the backstop behind the region's own checksum.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "crypttab.h"
#include "luks.h"
#include "textfile.h"

#define KHU_UUID_MAX	36	/* canonical 8-4-4-4-12 form */

static bool khu_luks_verbose;

/*
 * libcryptsetup logs through this callback. Its messages never hold key
 * bytes, but a scan of every block device makes it noisy: stay quiet
 * unless asked.
 */
static void khu_luks_log(int level, const char *msg, void *usrptr)
{
	(void)usrptr;
	if (!khu_luks_verbose || level == CRYPT_LOG_DEBUG ||
	    level == CRYPT_LOG_DEBUG_JSON)
		return;
	fputs(msg, stderr);
}

void khu_luks_set_verbose(bool verbose)
{
	khu_luks_verbose = verbose;
	crypt_set_log_callback(NULL, khu_luks_log, NULL);
}

/* Open @path as a LUKS1 or LUKS2 device; -EINVAL when it is not one. */
int khu_luks_open(const char *path, struct crypt_device **out)
{
	struct crypt_device *cd;
	int ret;

	/* crypt_init() says -ENOTBLK for a path that does not exist. */
	if (access(path, F_OK) < 0)
		return -errno;
	ret = crypt_init(&cd, path);
	if (ret < 0)
		return ret;
	ret = crypt_load(cd, NULL, NULL);
	if (ret < 0)
		goto out_free;
	*out = cd;
	return 0;

out_free:
	crypt_free(cd);
	return ret;
}

/*
 * Read @cd's header again: a context kept open since its crypttab line
 * was checked must see a key slot changed meanwhile (while the tool
 * waited at an earlier volume's prompt), as a fresh open would.
 */
int khu_luks_reload(struct crypt_device *cd)
{
	return crypt_load(cd, NULL, NULL);
}

void khu_luks_close(struct crypt_device *cd)
{
	crypt_free(cd);
}

const char *khu_luks_uuid(struct crypt_device *cd)
{
	return crypt_get_uuid(cd);
}

const char *khu_luks_path(struct crypt_device *cd)
{
	return crypt_get_device_name(cd);
}

int khu_luks_key_size(struct crypt_device *cd)
{
	int size = crypt_get_volume_key_size(cd);

	return size > 0 ? size : -EINVAL;
}

/* The size of the file or block device @path in bytes; -errno. */
static int khu_luks_device_size(const char *path, uint64_t *size)
{
	struct stat st;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		ret = -errno;
	else if (S_ISREG(st.st_mode))
		*size = st.st_size;
	else if (!S_ISBLK(st.st_mode))
		ret = -ENOTBLK;
	else if (ioctl(fd, BLKGETSIZE64, size) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Is @cd's header a detached one (cryptsetup --header), for data on
 * another device? Then its data segment starts at offset 0, as the
 * header is not in front of it, or past the end of the header's own
 * device. The data offset in bytes goes to *@offset. The next kernel
 * finds a volume by the LUKS header on its own device: it could not use
 * such a key, and would map the header's device itself.
 */
bool khu_luks_detached(struct crypt_device *cd, uint64_t *offset)
{
	const char *dev = crypt_get_metadata_device_name(cd);
	uint64_t size;

	/* No separate metadata device: the header is on the device itself. */
	if (!dev)
		dev = crypt_get_device_name(cd);

	*offset = crypt_get_data_offset(cd) * 512;
	if (!*offset)
		return true;
	return dev && !khu_luks_device_size(dev, &size) && size <= *offset;
}

/*
 * Unlock any key slot with @pass and write the volume key to @key, which
 * must hold exactly khu_luks_key_size() bytes. -EPERM: wrong passphrase.
 */
int khu_luks_derive(struct crypt_device *cd, const char *pass, size_t pass_len,
		    void *key, size_t key_size)
{
	size_t size = key_size;
	int ret;

	if ((int)key_size != crypt_get_volume_key_size(cd))
		return -EINVAL;
	ret = crypt_volume_key_get(cd, CRYPT_ANY_SLOT, key, &size, pass,
				   pass_len);
	if (ret < 0)
		return ret;
	return size == key_size ? 0 : -EINVAL;
}

/* 1 if the active mapping @name is the volume @uuid, 0 if not, or -errno. */
static int khu_luks_mapping_matches(const char *name, const char *uuid)
{
	struct crypt_device *cd;
	const char *active;
	int ret;

	ret = crypt_init_by_name(&cd, name);
	if (ret < 0)
		return ret;
	active = crypt_get_uuid(cd);
	ret = active && !strcasecmp(active, uuid);
	crypt_free(cd);
	return ret;
}

/* An existing mapping @name is fine only if it is this very volume. */
static int khu_luks_check_existing(struct crypt_device *cd, const char *name)
{
	crypt_status_info st = crypt_status(NULL, name);
	int ret;

	if (st != CRYPT_ACTIVE && st != CRYPT_BUSY)
		return 0;
	ret = khu_luks_mapping_matches(name, crypt_get_uuid(cd));
	if (ret < 0)
		return ret;
	return ret ? KHU_LUKS_ALREADY_OPEN : -EEXIST;
}

/*
 * Set up, in this process, what libcryptsetup sets up at first use: the
 * crypto backend and the header code came with @cd's load; this asks
 * device-mapper a question, which opens its control device and checks
 * its version. Processes forked after it inherit all of that.
 */
void khu_luks_warm_up(struct crypt_device *cd)
{
	crypt_status(cd, "keyhandover-warm-up");
}

/* Does @key match the header digest? 0 or -EPERM, nothing activated. */
int khu_luks_verify(struct crypt_device *cd, const void *key, size_t key_size)
{
	int ret;

	/* A key of the wrong size cannot match the header digest either. */
	if ((int)key_size != crypt_get_volume_key_size(cd))
		return -EPERM;
	/* A NULL name only checks the key: a clear -EPERM before any dm call. */
	ret = crypt_activate_by_volume_key(cd, NULL, key, key_size, 0);
	return ret < 0 ? ret : 0;
}

/* crypttab's activation options (KHU_CRYPTTAB_*) as libcryptsetup's flags. */
uint32_t khu_luks_flags(unsigned int opts)
{
	static const struct {
		unsigned int opt;
		uint32_t flag;
	} map[] = {
		{ KHU_CRYPTTAB_DISCARD, CRYPT_ACTIVATE_ALLOW_DISCARDS },
		{ KHU_CRYPTTAB_READONLY, CRYPT_ACTIVATE_READONLY },
		{ KHU_CRYPTTAB_SAME_CPU_CRYPT, CRYPT_ACTIVATE_SAME_CPU_CRYPT },
		{ KHU_CRYPTTAB_SUBMIT_FROM_CRYPT_CPUS,
		  CRYPT_ACTIVATE_SUBMIT_FROM_CRYPT_CPUS },
		{ KHU_CRYPTTAB_NO_READ_WORKQUEUE,
		  CRYPT_ACTIVATE_NO_READ_WORKQUEUE },
		{ KHU_CRYPTTAB_NO_WRITE_WORKQUEUE,
		  CRYPT_ACTIVATE_NO_WRITE_WORKQUEUE },
	};
	uint32_t flags = 0;
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (opts & map[i].opt)
			flags |= map[i].flag;
	return flags;
}

/*
 * Map the volume as /dev/mapper/@name with @key, with crypttab's
 * activation options @opts (KHU_CRYPTTAB_*), as a cold boot would have
 * opened it. Returns 0 when opened, KHU_LUKS_ALREADY_OPEN when that
 * mapping already exists for this volume, -EPERM when the key does not
 * match the header, -EEXIST when @name is taken by another device.
 */
int khu_luks_activate(struct crypt_device *cd, const char *name,
		      const void *key, size_t key_size, unsigned int opts)
{
	int ret;

	ret = khu_luks_check_existing(cd, name);
	if (ret)
		return ret;
	if ((int)key_size != crypt_get_volume_key_size(cd))
		return -EPERM;
	/*
	 * libcryptsetup checks the key against the header digest before any
	 * dm call and says -EPERM when it does not match: no check of our
	 * own first, which cost a second PBKDF2 run of the digest, the
	 * larger part of restore's time (docs/benchmarks.md).
	 */
	ret = crypt_activate_by_volume_key(cd, name, key, key_size,
					   khu_luks_flags(opts));
	/* Someone else (udev, cryptroot) may have won the race. */
	if (ret == -EEXIST) {
		ret = khu_luks_check_existing(cd, name);
		return ret ? ret : -EEXIST;
	}
	return ret < 0 ? ret : 0;
}

/* Only hex digits and dashes: the UUID goes into a path. */
static bool khu_luks_uuid_valid(const char *uuid)
{
	size_t len = strlen(uuid);
	size_t i;

	if (!len || len > KHU_UUID_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isxdigit((unsigned char)uuid[i]) && uuid[i] != '-')
			return false;
	return true;
}

/* Open @path if it is a LUKS device with @uuid; -ENODEV otherwise. */
static int khu_luks_try(const char *path, const char *uuid,
			struct crypt_device **out)
{
	struct crypt_device *cd;
	const char *found;
	uint64_t offset;

	if (khu_luks_open(path, &cd) < 0)
		return -ENODEV;
	found = crypt_get_uuid(cd);
	/* A detached header's device is not the volume: never map it. */
	if (!found || strcasecmp(found, uuid) ||
	    khu_luks_detached(cd, &offset)) {
		crypt_free(cd);
		return -ENODEV;
	}
	*out = cd;
	return 0;
}

/*
 * The udev links of @uuid into @path, and how many: as given, then in
 * lower case only if that is another path (udev names the link after the
 * UUID as blkid prints it: lower case; no path is tried twice).
 */
static unsigned int khu_luks_uuid_links(const char *uuid,
					char path[2][PATH_MAX])
{
	bool lowered = false;
	size_t i, len;

	len = snprintf(path[0], PATH_MAX, "/dev/disk/by-uuid/%s", uuid);
	memcpy(path[1], path[0], len + 1);
	for (i = len - strlen(uuid); i < len; i++) {
		lowered |= isupper((unsigned char)path[1][i]);
		path[1][i] = tolower((unsigned char)path[1][i]);
	}
	return lowered ? 2 : 1;
}

static int khu_luks_try_by_uuid_link(const char *uuid,
				     struct crypt_device **out)
{
	char path[2][PATH_MAX];
	unsigned int i, n = khu_luks_uuid_links(uuid, path);

	for (i = 0; i < n; i++)
		if (!khu_luks_try(path[i], uuid, out))
			return 0;
	return -ENODEV;
}

static bool khu_sysfs_exists(const char *dev, const char *attr)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/block/%s/%s", dev, attr);
	return !access(path, F_OK);
}

/* The first line of /sys/class/block/@dev/@attr into @buf; false if none. */
static bool khu_sysfs_read(const char *dev, const char *attr, char *buf,
			   size_t len)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/block/%s/%s", dev, attr);
	return !khu_text_read_line(path, buf, len);
}

/* A zero-sized device (empty loop, CD drive without a disc) holds nothing. */
static bool khu_sysfs_empty(const char *dev)
{
	char size[32];

	return !khu_sysfs_read(dev, "size", size, sizeof(size)) ||
	       strtoull(size, NULL, 10) == 0;
}

/* Something is stacked on @dev (md, LVM, a crypt mapping): not ours. */
static bool khu_sysfs_held(const char *dev)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/class/block/%s/holders", dev);
	return khu_dir_has_entries(path);
}

/*
 * What cannot hold a LUKS header worth opening: RAM disks, detached loop
 * devices, empty devices, crypt mappings (plaintext), and anything with a
 * holder: an md RAID member or a multipath path shows the same header as
 * the array, and opening it would bypass the array.
 */
static bool khu_sysfs_skip(const char *dev)
{
	char uuid[128];

	if (dev[0] == '.' || !strncmp(dev, "ram", 3))
		return true;
	if (!strncmp(dev, "loop", 4) && !khu_sysfs_exists(dev, "loop/backing_file") &&
	    !khu_sysfs_exists(dev, "partition"))
		return true;
	if (!strncmp(dev, "dm-", 3) &&
	    khu_sysfs_read(dev, "dm/uuid", uuid, sizeof(uuid)) &&
	    !strncmp(uuid, "CRYPT-", 6))
		return true;
	return khu_sysfs_empty(dev) || khu_sysfs_held(dev);
}

/*
 * Where libcryptsetup looks for a LUKS header: the start of the device,
 * and LUKS2's second copy at the offsets its size allows (16 KiB up to
 * 4 MiB). The magic is "LUKS\xba\xbe" at the first, "SKUL\xba\xbe" at
 * the others; LUKS1 and LUKS2 both keep the UUID at byte 168.
 */
static const uint64_t khu_luks_hdr_offsets[] = {
	0, 0x4000, 0x8000, 0x10000, 0x20000, 0x40000, 0x80000, 0x100000,
	0x200000, 0x400000,
};

#define KHU_LUKS_MAGIC_LEN	6
#define KHU_LUKS_UUID_OFFSET	168
#define KHU_LUKS_UUID_LEN	40

#define KHU_LUKS_VERSION_OFFSET	6
#define KHU_LUKS2_SIZE_OFFSET	8
#define KHU_LUKS_COPIES \
	(sizeof(khu_luks_hdr_offsets) / sizeof(khu_luks_hdr_offsets[0]))

/* The part of a header copy read: up to the end of its UUID, and a NUL. */
typedef char khu_luks_hdr[KHU_LUKS_UUID_OFFSET + KHU_LUKS_UUID_LEN + 1];

/*
 * The header copy at @off into @hdr: 1 when it has @magic, 0 when not,
 * -EIO when it cannot be read, -ENODATA past the end of the device.
 */
static int khu_luks_read_copy(int fd, uint64_t off, const char *magic,
			      khu_luks_hdr hdr)
{
	ssize_t n = pread(fd, hdr, sizeof(khu_luks_hdr) - 1, off);

	if (n < 0)
		return -EIO;
	if (n != (ssize_t)sizeof(khu_luks_hdr) - 1)
		return -ENODATA;
	hdr[sizeof(khu_luks_hdr) - 1] = '\0';
	return !memcmp(hdr, magic, KHU_LUKS_MAGIC_LEN);
}

static bool khu_luks_hdr_names(const khu_luks_hdr hdr, const char *uuid)
{
	return !strcasecmp(hdr + KHU_LUKS_UUID_OFFSET, uuid);
}

/*
 * LUKS2's second copy, at the offset the first header @first gives as its
 * size (big-endian, one of libcryptsetup's places): does it carry @uuid?
 * LUKS1 has no second copy.
 */
static bool khu_luks_fd_second_has_uuid(int fd, const khu_luks_hdr first,
					const char *uuid)
{
	const unsigned char *p = (const unsigned char *)first;
	khu_luks_hdr hdr;
	uint64_t size = 0;
	size_t i;

	if (p[KHU_LUKS_VERSION_OFFSET] != 0 ||
	    p[KHU_LUKS_VERSION_OFFSET + 1] != 2)
		return false;
	for (i = 0; i < 8; i++)
		size = size << 8 | p[KHU_LUKS2_SIZE_OFFSET + i];
	for (i = 1; i < KHU_LUKS_COPIES; i++)
		if (khu_luks_hdr_offsets[i] == size)
			return khu_luks_read_copy(fd, size, "SKUL\xba\xbe", hdr) == 1 &&
			       khu_luks_hdr_names(hdr, uuid);
	return false;
}

/* Does any header copy on the open device @fd carry @uuid? */
static bool khu_luks_fd_has_uuid(int fd, const char *uuid)
{
	khu_luks_hdr hdr;
	size_t i;

	for (i = 0; i < KHU_LUKS_COPIES; i++) {
		int ret = khu_luks_read_copy(fd, khu_luks_hdr_offsets[i],
					     i ? "SKUL\xba\xbe" : "LUKS\xba\xbe",
					     hdr);

		/*
		 * An unreadable copy: libcryptsetup goes on to the next
		 * offset, so do we. The end of the device: no more copies.
		 */
		if (ret == -ENODATA)
			return false;
		if (ret <= 0)
			continue;
		if (khu_luks_hdr_names(hdr, uuid))
			return true;
		/*
		 * A first header naming another volume: libcryptsetup may
		 * still take the second copy (a newer one, or the first's
		 * checksum bad), which sits where the first's size says.
		 * That one copy is read, not all nine places.
		 */
		if (i == 0)
			return khu_luks_fd_second_has_uuid(fd, hdr, uuid);
	}
	return false;
}

/*
 * Could /dev/@dev be the LUKS device @uuid? Not one the scan skips, and
 * a few raw reads where the header's copies are, instead of
 * libcryptsetup's whole load (locks, both JSON areas and their
 * checksums) of every block device there is.
 */
static bool khu_luks_may_be(const char *dev, const char *uuid)
{
	char path[PATH_MAX];
	bool maybe;
	int fd;

	if (khu_sysfs_skip(dev))
		return false;
	snprintf(path, sizeof(path), "/dev/%s", dev);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	maybe = khu_luks_fd_has_uuid(fd, uuid);
	close(fd);
	return maybe;
}

/*
 * Without udev (a bare initramfs) there are no links: scan sysfs. Two
 * devices with the same LUKS UUID (a cloned disk, a RAID member the scan
 * could not tell) make it refuse rather than guess. Only a device whose
 * raw header names @uuid is loaded with libcryptsetup, which has the last
 * word: restore once loaded every device for every volume, which made it
 * grow with the square of the disks (docs/benchmarks.md).
 */
static int khu_luks_scan_sysfs(const char *uuid, struct crypt_device **out)
{
	struct crypt_device *cd, *found = NULL;
	char path[PATH_MAX];
	struct dirent *de;
	int ret = 0;
	DIR *dir;

	dir = opendir("/sys/class/block");
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (!khu_luks_may_be(de->d_name, uuid))
			continue;
		snprintf(path, sizeof(path), "/dev/%s", de->d_name);
		if (khu_luks_try(path, uuid, &cd))
			continue;
		if (found) {
			crypt_free(cd);
			ret = -ENOTUNIQ;
			break;
		}
		found = cd;
	}
	closedir(dir);
	if (!ret && !found)
		ret = -ENODEV;
	if (ret) {
		crypt_free(found);
		return ret;
	}
	*out = found;
	return 0;
}

/* dm's uuid of a LUKS mapping: CRYPT-LUKS2-<uuid without dashes>-<name>. */
static bool khu_dm_uuid_is(const char *dm_uuid, const char *uuid)
{
	const char *p = dm_uuid;
	size_t i;

	if (strncmp(p, "CRYPT-LUKS1-", 12) && strncmp(p, "CRYPT-LUKS2-", 12))
		return false;
	p += 12;
	for (i = 0; uuid[i]; i++) {
		if (uuid[i] == '-')
			continue;
		if (tolower((unsigned char)*p++) != tolower((unsigned char)uuid[i]))
			return false;
	}
	return *p == '-';
}

/*
 * Is the volume @uuid already open, under any name? Its mapping name into
 * @name (of @len bytes) and 1 if so, 0 if not.
 */
int khu_luks_find_mapping(const char *uuid, char *name, size_t len)
{
	char dm_uuid[256];
	struct dirent *de;
	int found = 0;
	DIR *dir;

	dir = opendir("/sys/class/block");
	if (!dir)
		return 0;
	while (!found && (de = readdir(dir))) {
		if (strncmp(de->d_name, "dm-", 3) ||
		    !khu_sysfs_read(de->d_name, "dm/uuid", dm_uuid,
				    sizeof(dm_uuid)) ||
		    !khu_dm_uuid_is(dm_uuid, uuid))
			continue;
		found = khu_sysfs_read(de->d_name, "dm/name", name, len);
	}
	closedir(dir);
	return found;
}

/*
 * Is a device with @uuid here, as far as a glance tells (its udev link,
 * or a raw header that names it)? Nothing is loaded with libcryptsetup:
 * for waiting until the device comes, not for opening it.
 */
bool khu_luks_present(const char *uuid)
{
	char path[2][PATH_MAX];
	struct dirent *de;
	bool found = false;
	unsigned int i, n;
	DIR *dir;

	if (!khu_luks_uuid_valid(uuid))
		return false;
	n = khu_luks_uuid_links(uuid, path);
	for (i = 0; i < n; i++)
		if (!access(path[i], F_OK))
			return true;
	dir = opendir("/sys/class/block");
	if (!dir)
		return false;
	while (!found && (de = readdir(dir)))
		found = khu_luks_may_be(de->d_name, uuid);
	closedir(dir);
	return found;
}

/* Find and open the LUKS device whose header carries @uuid; -ENODEV. */
int khu_luks_open_by_uuid(const char *uuid, struct crypt_device **out)
{
	if (!khu_luks_uuid_valid(uuid))
		return -EINVAL;
	if (!khu_luks_try_by_uuid_link(uuid, out))
		return 0;
	return khu_luks_scan_sysfs(uuid, out);
}
