/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Will this kernel load keyhandover.ko (see trust.c)? Secure Boot from
 * the EFI variables, lockdown from securityfs, the module's signature
 * from modinfo, and whether the kernel's keyrings hold the key that
 * signed it (mokutil for what the next boot will hold). Gathered as
 * facts, then judged into setup --check's four checks. Returns negative
 * errno, never prints.
 */
#ifndef KHU_TRUST_H
#define KHU_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"

/* Debian's dkms signs with this key pair (framework.conf's default). */
#define KHU_TRUST_MOK_CERT	"/var/lib/dkms/mok.pub"
/* The EFI global variable GUID: SecureBoot, SetupMode. */
#define KHU_TRUST_EFI_GUID	"8be4df61-93ca-11d2-aa0d-00e098032b8c"

enum khu_trust_sb {
	KHU_SB_UNKNOWN,		/* UEFI, but the variable cannot be read */
	KHU_SB_NO_EFI,		/* not booted through UEFI */
	KHU_SB_OFF,
	KHU_SB_SETUP,		/* off: setup mode, no platform key */
	KHU_SB_ON,
};

enum khu_trust_lockdown {
	KHU_LD_UNKNOWN,		/* securityfs not mounted */
	KHU_LD_NO_LSM,		/* the kernel has no lockdown LSM */
	KHU_LD_NONE,
	KHU_LD_INTEGRITY,
	KHU_LD_CONFIDENTIALITY,
};

/* Does the kernel check module signatures, and insist on them? */
enum khu_trust_sig {
	KHU_SIG_UNKNOWN,	/* /sys not there to ask */
	KHU_SIG_NOT_CHECKED,	/* no module.sig_enforce: no CONFIG_MODULE_SIG */
	KHU_SIG_OPTIONAL,	/* module.sig_enforce=N */
	KHU_SIG_ENFORCED,	/* module.sig_enforce=Y */
};

/* Where the kernel holds the key that signed the module. */
enum khu_trust_where {
	KHU_KEY_UNKNOWN,	/* nothing to look for, or /proc/keys unread */
	KHU_KEY_ABSENT,		/* in no keyring this process can see */
	KHU_KEY_PLATFORM,	/* in .platform only: kexec images, not modules */
	KHU_KEY_TRUSTED,	/* where module signatures are checked */
};

/* What mokutil --test-key says of the DKMS certificate. */
enum khu_trust_mok {
	KHU_MOK_UNKNOWN,	/* not asked: no mokutil, or no need */
	KHU_MOK_ENROLLED,
	KHU_MOK_PENDING,	/* imported, to be confirmed in MokManager */
	KHU_MOK_NOT_ENROLLED,
	KHU_MOK_BLOCKED,	/* in dbx or MokListX: revoked */
};

/* Where the facts are read: "/sys", "/proc"; a test's fake trees. */
struct khu_trust_paths {
	const char *sys;
	const char *proc;
	const char *mok_cert;	/* KHU_TRUST_MOK_CERT */
};

/* What modinfo says of the keyhandover.ko modprobe would load. */
struct khu_trust_module {
	char file[256];
	char signer[128];	/* "": not signed */
	char key_id[192];	/* sig_key, as modinfo prints it */
	char hash[32];		/* sig_hashalgo */
};

/* A certificate's ids, as the kernel names keys: lowercase hex. */
struct khu_trust_cert {
	char serial[68];
	char skid[68];		/* subjectKeyIdentifier; "" if it has none */
};

struct khu_trust {
	enum khu_trust_sb sb;
	int sb_err;			/* unknown: why (-errno) */
	enum khu_trust_lockdown lockdown;
	enum khu_trust_sig sig;
	char release[128];		/* uname -r */
	int module_err;			/* 0; -ENOENT no modinfo; -ESRCH no module */
	bool loaded;			/* /sys/module/keyhandover: this kernel took it */
	struct khu_trust_module mod;
	bool mok_signed;		/* the DKMS certificate signed it */
	bool not_root;			/* the kernel's keys not looked at */
	int keys_err;			/* /proc/keys or a keyring: 0, -errno */
	enum khu_trust_where where;
	char key_desc[256];		/* the signer's key, as /proc/keys names it */
	const char *key_ring;		/* the keyring it is in, where trusted */
	enum khu_trust_mok mok;
	const char *mok_cert;
};

/* Key objects of one certificate (it may be loaded more than once). */
#define KHU_TRUST_KEYS_MAX	4

/* The keyrings where the kernel looks for a module's signer, then .platform. */
enum {
	KHU_RING_BUILTIN,
	KHU_RING_SECONDARY,
	KHU_RING_MACHINE,
	KHU_RING_PLATFORM,
	KHU_RINGS,
};

/* The signer's keys as /proc/keys shows them, and the keyrings that count. */
struct khu_trust_keys {
	unsigned int n;
	int32_t key[KHU_TRUST_KEYS_MAX];
	char desc[256];			/* the first one's description */
	int32_t ring[KHU_RINGS];	/* their serials; 0: not there */
};

void khu_trust_read_sb(const char *sys, struct khu_trust *t);
void khu_trust_read_lockdown(const char *sys, struct khu_trust *t);
void khu_trust_read_platform(const struct khu_trust_paths *p,
			     struct khu_trust *t);
int khu_trust_parse_modinfo(const char *text, struct khu_trust_module *m);
int khu_trust_cert_ids(const char *path, struct khu_trust_cert *c);
void khu_trust_hex_norm(const char *in, char *out, size_t len);
int khu_trust_parse_keys(const char *text, const char *const ids[],
			 unsigned int n, struct khu_trust_keys *k);
enum khu_trust_mok khu_trust_parse_mokutil(const char *text);
int khu_trust_in_ring(int32_t ring, int32_t key);
enum khu_trust_where khu_trust_where(const struct khu_trust_keys *k,
				     const char **ring, int *err);
void khu_trust_read_module(const struct khu_trust_paths *p,
			   struct khu_trust *t);
bool khu_trust_enforced(const struct khu_trust *t, char *why, size_t len);

/* setup --check's checks, in this order. */
enum {
	KHU_TRUST_SECURE_BOOT,
	KHU_TRUST_LOCKDOWN,
	KHU_TRUST_MODULE_SIGNED,
	KHU_TRUST_SIGNER_ENROLLED,
	KHU_TRUST_CHECKS,
};

void khu_trust_judge(const struct khu_trust *t,
		     struct khu_check c[KHU_TRUST_CHECKS]);

#endif /* KHU_TRUST_H */
