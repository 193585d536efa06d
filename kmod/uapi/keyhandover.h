/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keyhandover: hand a disk volume key to the next kernel across kexec.
 *
 * The userspace ABI of /dev/keyhandover. Every structure has a fixed
 * layout with explicit padding so that 32-bit and 64-bit callers agree.
 * See docs/interface.md for the semantics of each ioctl.
 */
#ifndef _UAPI_LINUX_KEYHANDOVER_H
#define _UAPI_LINUX_KEYHANDOVER_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KH_DEVICE_PATH		"/dev/keyhandover"

/*
 * Largest volume key, in bytes: LUKS2 with authenticated encryption holds
 * the cipher key and the integrity key in one volume key (aes-xts-plain64
 * 512-bit with hmac-sha512: 64 + 64 bytes).
 */
#define KH_KEY_MAX		128
#define KH_UUID_LEN		40	/* 36 characters, NUL, zero padding */
#define KH_NAME_LEN		64	/* mapping name, NUL-terminated */
#define KH_MAX_ENTRIES		16	/* volumes in one hand-over */
#define KH_NONCE_LEN		16

/* One volume: which device, under which name, and its volume key. */
struct kh_entry {
	__u32 key_size;			/* 1..KH_KEY_MAX */
	__u32 flags;			/* must be zero */
	char uuid[KH_UUID_LEN];		/* canonical lower/upper-case UUID */
	char name[KH_NAME_LEN];		/* device-mapper name to activate */
	__u8 key[KH_KEY_MAX];		/* bytes past key_size are zero */
};

/* KH_IOC_ARM: stash @count entries read from the user array @entries. */
struct kh_arm {
	__u32 count;			/* 1..KH_MAX_ENTRIES */
	__u32 flags;			/* must be zero */
	__u32 timeout;			/* seconds until wiped, 0: default */
	__u32 reserved;			/* must be zero */
	__u64 entries;			/* user pointer to struct kh_entry[] */
};

#define KH_TIMEOUT_MAX		86400	/* a day: longer is a mistake */

#define KH_DESC_LEN		256	/* keyring description, NUL-terminated */

/* Key types the module takes a volume key from (keyring mode). */
enum kh_key_type {
	KH_KEY_LOGON = 1,	/* "logon": userspace can never read it back */
	KH_KEY_USER = 2,	/* "user" */
};

/*
 * One volume whose key the module takes from the caller's keyrings. It
 * names the key; it has no room for key bytes: in keyring mode no key
 * byte crosses into or out of userspace.
 */
struct kh_keyref {
	__u32 type;			/* enum kh_key_type */
	__u32 key_size;			/* the volume's key size: 1..KH_KEY_MAX */
	char uuid[KH_UUID_LEN];		/* as in struct kh_entry */
	char name[KH_NAME_LEN];		/* as in struct kh_entry */
	char description[KH_DESC_LEN];	/* the key's description */
};

/*
 * KH_IOC_ARM_KEYRING: look up @count keys by description with the
 * caller's credentials (request_key: search permission, no upcall; and
 * view permission) and stash their payloads. Nothing is armed unless
 * every key is found and fits; @failed then names the first refused one.
 */
struct kh_arm_keyring {
	__u32 count;			/* 1..KH_MAX_ENTRIES */
	__u32 flags;			/* must be zero */
	__u32 timeout;			/* seconds until wiped, 0: default */
	__u32 failed;			/* out: index refused, or @count */
	__u64 refs;			/* user pointer to struct kh_keyref[] */
};

/* What the region holds, as seen by this kernel. */
enum kh_state {
	KH_STATE_EMPTY = 0,	/* all zero: nothing handed over */
	KH_STATE_ARMED = 1,	/* armed by this kernel, waiting for kexec */
	KH_STATE_PENDING = 2,	/* a valid stash from the previous kernel */
	KH_STATE_INVALID = 3,	/* contents that do not parse (see verdict) */
	KH_STATE_CONSUMED = 4,	/* read once and wiped */
};

/*
 * Why a region was accepted or refused. Returned in kh_status.verdict and
 * kh_read.verdict so that the tool can say exactly what was wrong.
 */
enum kh_verdict {
	KH_VERDICT_OK = 0,
	KH_VERDICT_EMPTY = 1,		/* all zero */
	KH_VERDICT_BAD_MAGIC = 2,
	KH_VERDICT_BAD_VERSION = 3,	/* unknown or newer format */
	KH_VERDICT_TRUNCATED = 4,	/* a size points past the region */
	KH_VERDICT_BAD_CHECKSUM = 5,
	KH_VERDICT_BAD_HEADER = 6,	/* checksum fine, header fields not */
	KH_VERDICT_BAD_KEY = 7,		/* key length or padding */
	KH_VERDICT_BAD_UUID = 8,
	KH_VERDICT_BAD_NAME = 9,
	KH_VERDICT_BAD_ENTRY = 10,	/* flags or reserved bytes */
	KH_VERDICT_STALE = 11,		/* nonce is not the expected one */
	KH_VERDICT_MAX,
};

/* Where the region comes from, chosen when the module loads. */
enum kh_backend {
	KH_BACKEND_MEMMAP = 1,	/* a memmap= reservation named by region= */
	KH_BACKEND_KHO = 2,	/* allocated and preserved by Kexec HandOver */
};

/*
 * Why the stash last went (kh_status.wiped), so that `keyhandover status`
 * can say what happened to a stash that is no longer there.
 */
enum kh_wipe {
	KH_WIPE_NONE = 0,	/* nothing was wiped in this boot */
	KH_WIPE_REQUEST = 1,	/* KH_IOC_WIPE */
	KH_WIPE_TIMEOUT = 2,	/* nobody collected it in time */
	KH_WIPE_READ = 3,	/* read once (or refused) by KH_IOC_READ */
	KH_WIPE_FOREIGN = 4,	/* at load: not for this kernel (nonce) */
	KH_WIPE_INVALID = 5,	/* at load: not a valid hand-over */
	KH_WIPE_SUSPEND = 6,	/* suspend or hibernation */
	KH_WIPE_SHUTDOWN = 7,	/* reboot, power-off, a kexec not armed */
	KH_WIPE_MAX,
};

/* KH_IOC_STATUS: never returns key bytes. */
struct kh_status {
	__u32 state;			/* enum kh_state */
	__u32 verdict;			/* enum kh_verdict */
	__u32 count;			/* entries armed or pending */
	__u32 capacity;			/* entries the region can hold */
	__u64 region_size;		/* bytes */
	__u32 format_version;		/* version this module writes */
	__u32 expires_in;		/* seconds until the stash is wiped */
	__u8 nonce[KH_NONCE_LEN];	/* ARMED only: the stash's nonce */
	__u32 backend;			/* enum kh_backend */
	__u32 wiped;			/* enum kh_wipe: why it last went */
};

/*
 * KH_IOC_READ: once per boot. On return the region is wiped, whatever
 * the verdict. @capacity must be at least KH_MAX_ENTRIES. @nonce is the
 * nonce the old kernel's `keyhandover load` put on this kernel's command
 * line (keyhandover.nonce=): a stash with any other nonce is stale.
 */
struct kh_read {
	__u32 capacity;			/* in: entries that fit at @entries */
	__u32 count;			/* out: entries written */
	__u32 verdict;			/* out: enum kh_verdict */
	__u32 reserved;			/* must be zero */
	__u64 entries;			/* user pointer to struct kh_entry[] */
	__u8 nonce[KH_NONCE_LEN];	/* in: the expected nonce */
};

#define KH_IOC_MAGIC		0xB8
/*
 * Numbers 1 and 3 were ARM and READ with 64-byte keys in struct kh_entry;
 * they are retired, so that a tool and a module that disagree on the
 * entry's size get ENOTTY, never a misread array.
 */
#define KH_IOC_STATUS		_IOR(KH_IOC_MAGIC, 2, struct kh_status)
#define KH_IOC_WIPE		_IO(KH_IOC_MAGIC, 4)
#define KH_IOC_ARM_KEYRING	_IOWR(KH_IOC_MAGIC, 5, struct kh_arm_keyring)
#define KH_IOC_ARM		_IOW(KH_IOC_MAGIC, 6, struct kh_arm)
#define KH_IOC_READ		_IOWR(KH_IOC_MAGIC, 7, struct kh_read)

#endif /* _UAPI_LINUX_KEYHANDOVER_H */
