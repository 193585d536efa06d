// SPDX-License-Identifier: GPL-2.0
/*
 * Will this kernel load keyhandover.ko? Under Secure Boot a distribution
 * kernel locks itself down, and a locked-down kernel (or one booted with
 * module.sig_enforce=1) refuses a module that is not signed by a key in
 * its trusted keyrings: modprobe then fails with "Key was rejected by
 * service", the first thing a new user of a DKMS module meets. So
 * setup --check looks at each link of that chain and says which one is
 * missing, and how to add it:
 *
 *   Secure Boot	the SecureBoot EFI variable (4 bytes of attributes,
 *			then one byte, 1: on), through efivarfs
 *   lockdown		securityfs' lockdown file: "none [integrity] ..."
 *   the signature	modinfo keyhandover (the file modprobe would load,
 *			compressed or not: modinfo reads both)
 *   its signer		the kernel's keyrings, through /proc/keys and
 *			keyctl; mokutil for the MOK list of the next boot
 *
 * A module's signature names its key by the certificate's serial number
 * (sign-file's default) or its subjectKeyIdentifier; /proc/keys names a
 * key "SUBJECT: ID" with the identifier, or the serial when there is
 * none. For the key Debian's dkms signs with, /var/lib/dkms/mok.pub gives
 * both, so that the two can be matched. Facts first, then the verdicts
 * (khu_trust_judge): the tests give each its own fake tree. Never prints.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <keyutils.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "run.h"
#include "textfile.h"
#include "trust.h"

/* The names /proc/keys gives the keyrings of enum KHU_RING_*. */
static const char *const khu_trust_rings[KHU_RINGS] = {
	".builtin_trusted_keys", ".secondary_trusted_keys", ".machine",
	".platform",
};

/*
 * An EFI variable through efivarfs: 4 bytes of attributes, then its
 * value, of which the first byte into *@value.
 */
static int khu_trust_efi_var(const char *sys, const char *name,
			     unsigned char *value)
{
	unsigned char buf[16];
	char path[512];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/firmware/efi/efivars/%s-%s", sys,
		 name, KHU_TRUST_EFI_GUID);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, sizeof(buf));
	while (n < 0 && errno == EINTR);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return n;
	if (n < 5)
		return -EINVAL;
	*value = buf[4];
	return 0;
}

/*
 * Secure Boot, as the firmware says it: no /sys/firmware/efi, not booted
 * through UEFI; no SecureBoot variable where efivarfs shows others, a
 * firmware without Secure Boot (off); SetupMode 1, no platform key yet.
 */
void khu_trust_read_sb(const char *sys, struct khu_trust *t)
{
	unsigned char on = 0, setup = 0;
	char path[512];
	int ret;

	snprintf(path, sizeof(path), "%s/firmware/efi", sys);
	if (access(path, F_OK) < 0) {
		t->sb = KHU_SB_NO_EFI;
		return;
	}
	ret = khu_trust_efi_var(sys, "SecureBoot", &on);
	snprintf(path, sizeof(path), "%s/firmware/efi/efivars", sys);
	if (ret == -ENOENT && khu_dir_has_entries(path)) {
		t->sb = KHU_SB_OFF;
		return;
	}
	if (ret) {
		t->sb = KHU_SB_UNKNOWN;
		t->sb_err = ret;
		return;
	}
	if (on == 1)
		t->sb = KHU_SB_ON;
	else if (!khu_trust_efi_var(sys, "SetupMode", &setup) && setup == 1)
		t->sb = KHU_SB_SETUP;
	else
		t->sb = KHU_SB_OFF;
}

/*
 * The lockdown LSM's mode, the bracketed word of its file. Without the
 * file: securityfs mounted (its "lsm" file is there) means a kernel
 * without the lockdown LSM; else it is not known.
 */
void khu_trust_read_lockdown(const char *sys, struct khu_trust *t)
{
	char path[512], *text = NULL;

	snprintf(path, sizeof(path), "%s/kernel/security/lockdown", sys);
	if (khu_text_read(path, 4096, &text)) {
		snprintf(path, sizeof(path), "%s/kernel/security/lsm", sys);
		t->lockdown = access(path, F_OK) ? KHU_LD_UNKNOWN :
						   KHU_LD_NO_LSM;
		return;
	}
	if (strstr(text, "[confidentiality]"))
		t->lockdown = KHU_LD_CONFIDENTIALITY;
	else if (strstr(text, "[integrity]"))
		t->lockdown = KHU_LD_INTEGRITY;
	else if (strstr(text, "[none]"))
		t->lockdown = KHU_LD_NONE;
	else
		t->lockdown = KHU_LD_UNKNOWN;
	free(text);
}

/*
 * module.sig_enforce: Y or N where the kernel checks signatures at all
 * (CONFIG_MODULE_SIG); a sysfs without the parameter is a kernel that
 * checks none.
 */
static void khu_trust_read_sig(const char *sys, struct khu_trust *t)
{
	char path[512], v[8];
	int ret;

	snprintf(path, sizeof(path), "%s/module/module/parameters/sig_enforce",
		 sys);
	ret = khu_text_read_line(path, v, sizeof(v));
	if (!ret) {
		t->sig = v[0] == 'Y' ? KHU_SIG_ENFORCED : KHU_SIG_OPTIONAL;
		return;
	}
	snprintf(path, sizeof(path), "%s/module", sys);
	t->sig = ret == -ENOENT && !access(path, F_OK) ? KHU_SIG_NOT_CHECKED :
							 KHU_SIG_UNKNOWN;
}

/* What the firmware and the kernel say, before the module is looked at. */
void khu_trust_read_platform(const struct khu_trust_paths *p,
			     struct khu_trust *t)
{
	memset(t, 0, sizeof(*t));
	t->mok_cert = p->mok_cert;
	khu_trust_read_sb(p->sys, t);
	khu_trust_read_lockdown(p->sys, t);
	khu_trust_read_sig(p->sys, t);
}

/* The line after @line's, or its end. */
static const char *khu_trust_next_line(const char *line)
{
	line += strcspn(line, "\n");
	return *line ? line + 1 : line;
}

/* modinfo's "FIELD:   value" line at @line into @out, if it is @field's. */
static void khu_trust_field(const char *line, const char *field, char *out,
			    size_t len)
{
	size_t n = strlen(field), v;

	if (strncmp(line, field, n) || line[n] != ':')
		return;
	line += n + 1;
	line += strspn(line, " \t");
	v = strcspn(line, "\n");
	snprintf(out, len, "%.*s", (int)v, line);
}

/*
 * modinfo's output for one module: its file, and the signature's signer,
 * key and hash, absent when it is not signed. Continuation lines (the
 * signature's bytes) start with a tab and are no field. -ENOENT: no
 * file named (no such module).
 */
int khu_trust_parse_modinfo(const char *text, struct khu_trust_module *m)
{
	const char *line;

	memset(m, 0, sizeof(*m));
	for (line = text; *line; line = khu_trust_next_line(line)) {
		khu_trust_field(line, "filename", m->file, sizeof(m->file));
		khu_trust_field(line, "signer", m->signer, sizeof(m->signer));
		khu_trust_field(line, "sig_key", m->key_id, sizeof(m->key_id));
		khu_trust_field(line, "sig_hashalgo", m->hash, sizeof(m->hash));
	}
	return m->file[0] ? 0 : -ENOENT;
}

/*
 * An id as one spelling: hex digits only (no ':' or blanks), lowercase,
 * no leading zeros. modinfo prints "0B:8F:..."; the kernel "0b8f..."
 * (a DER serial keeps a leading 00 byte that OpenSSL's number drops).
 */
void khu_trust_hex_norm(const char *in, char *out, size_t len)
{
	size_t n = 0;

	for (; *in && n + 1 < len; in++) {
		if (!isxdigit((unsigned char)*in))
			continue;
		if (!n && *in == '0')
			continue;
		out[n++] = tolower((unsigned char)*in);
	}
	if (!n && len > 1)
		out[n++] = '0';
	out[n] = '\0';
}

/* @len bytes at @p in hex, as khu_trust_hex_norm() spells ids. */
static void khu_trust_bytes_hex(const unsigned char *p, int len, char *out,
				size_t size)
{
	char raw[2 * 64 + 1];
	int i;

	if (len > 64)
		len = 64;
	for (i = 0; i < len; i++)
		snprintf(raw + 2 * i, 3, "%02x", p[i]);
	raw[2 * i] = '\0';
	khu_trust_hex_norm(raw, out, size);
}

static int khu_trust_serial(X509 *x, char *out, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;

	BN_free(bn);
	if (!hex)
		return -ENOMEM;
	khu_trust_hex_norm(hex, out, len);
	OPENSSL_free(hex);
	return 0;
}

/* A certificate file, DER (as dkms writes mok.pub) or PEM. */
static X509 *khu_trust_cert_read(FILE *f)
{
	X509 *x = d2i_X509_fp(f, NULL);

	if (x)
		return x;
	rewind(f);
	return PEM_read_X509(f, NULL, NULL, NULL);
}

/* @path's serial number and subjectKeyIdentifier. -EINVAL: no certificate. */
int khu_trust_cert_ids(const char *path, struct khu_trust_cert *c)
{
	const ASN1_OCTET_STRING *skid;
	FILE *f = fopen(path, "re");
	X509 *x;
	int ret;

	memset(c, 0, sizeof(*c));
	if (!f)
		return -errno;
	x = khu_trust_cert_read(f);
	fclose(f);
	if (!x)
		return -EINVAL;
	ret = khu_trust_serial(x, c->serial, sizeof(c->serial));
	skid = X509_get0_subject_key_id(x);
	if (skid)
		khu_trust_bytes_hex(ASN1_STRING_get0_data(skid),
				    ASN1_STRING_length(skid), c->skid,
				    sizeof(c->skid));
	X509_free(x);
	return ret;
}

/*
 * Does a key description name one of @ids? Its id is a run of hex
 * digits after ": ", ended by ':' (the type's own description follows:
 * "Debian Secure Boot CA: 6cce...: X509.rsa 419ea1 []") or the line's
 * end. *@end: where that id ends, so that the description can be cut.
 */
static bool khu_trust_desc_names(const char *desc, const char *const ids[],
				 unsigned int n, const char **end)
{
	const char *p;

	for (p = strstr(desc, ": "); p; p = strstr(p + 1, ": ")) {
		size_t run = strspn(p + 2, "0123456789abcdefABCDEF");
		char tok[130], id[130];
		unsigned int i;

		if (run < 2 || run >= sizeof(tok) ||
		    (p[2 + run] != ':' && p[2 + run] != '\0' &&
		     p[2 + run] != '\n'))
			continue;
		snprintf(tok, sizeof(tok), "%.*s", (int)run, p + 2);
		khu_trust_hex_norm(tok, id, sizeof(id));
		for (i = 0; i < n; i++) {
			if (!strcmp(id, ids[i])) {
				*end = p + 2 + run;
				return true;
			}
		}
	}
	return false;
}

/* A keyring line: is it one of KHU_RING_*, and which? */
static void khu_trust_ring_line(const char *desc, int32_t serial,
				struct khu_trust_keys *k)
{
	size_t n = strcspn(desc, ":");
	unsigned int i;

	for (i = 0; i < KHU_RINGS; i++)
		if (strlen(khu_trust_rings[i]) == n &&
		    !strncmp(desc, khu_trust_rings[i], n))
			k->ring[i] = serial;
}

/* An asymmetric key's line: is it the signer's? */
static void khu_trust_key_line(const char *desc, int32_t serial,
			       const char *const ids[], unsigned int n,
			       struct khu_trust_keys *k)
{
	const char *end;

	if (k->n == KHU_TRUST_KEYS_MAX ||
	    !khu_trust_desc_names(desc, ids, n, &end))
		return;
	if (!k->n)
		snprintf(k->desc, sizeof(k->desc), "%.*s", (int)(end - desc),
			 desc);
	k->key[k->n++] = serial;
}

/*
 * /proc/keys, one key a line: "SERIAL FLAGS USAGE EXPIRY PERM UID GID
 * TYPE DESCRIPTION..." (TYPE cut to 9 characters: "asymmetri"). The
 * keys whose description names one of @ids (normalised), and the
 * serials of the keyrings of KHU_RING_*. -ENOENT: no such key.
 */
int khu_trust_parse_keys(const char *text, const char *const ids[],
			 unsigned int n, struct khu_trust_keys *k)
{
	const char *line;

	memset(k, 0, sizeof(*k));
	for (line = text; *line; line = khu_trust_next_line(line)) {
		char one[1024], type[16];
		unsigned int serial, uid;
		int at = 0;

		/* One line alone: a description is looked at up to its end. */
		snprintf(one, sizeof(one), "%.*s", (int)strcspn(line, "\n"),
			 line);
		if (sscanf(one, "%x %*s %*s %*s %*x %u %*s %15s %n", &serial,
			   &uid, type, &at) != 3 || !at)
			continue;
		/*
		 * The kernel's own keys are root's. Any user may add a key
		 * whose description copies the signer's and let root view
		 * it: such lookalikes would crowd the real one out.
		 */
		if (uid)
			continue;
		if (!strcmp(type, "keyring"))
			khu_trust_ring_line(one + at, (int32_t)serial, k);
		else if (!strcmp(type, "asymmetri"))
			khu_trust_key_line(one + at, (int32_t)serial, ids, n,
					   k);
	}
	return k->n ? 0 : -ENOENT;
}

/*
 * Is @key linked in @ring? keyctl_read() of a keyring lists the serials
 * it holds (root may read the system keyrings); a search would not do,
 * as their keys give nobody Search permission.
 */
int khu_trust_in_ring(int32_t ring, int32_t key)
{
	key_serial_t *ids = NULL;
	long len, i;
	bool found = false;

	len = keyctl_read_alloc(ring, (void **)&ids);
	if (len < 0)
		return -errno;
	for (i = 0; i < len / (long)sizeof(*ids); i++)
		found |= ids[i] == key;
	free(ids);
	return found;
}

/* Is key @key in ring @r of @k? 1, 0, or -errno: it cannot be read. */
static int khu_trust_key_in(const struct khu_trust_keys *k, unsigned int r,
			    int32_t key)
{
	return k->ring[r] ? khu_trust_in_ring(k->ring[r], key) : 0;
}

/*
 * Where the kernel holds the signer's key: a keyring module signatures
 * are checked against (.builtin_trusted_keys; .secondary_trusted_keys,
 * which links .machine, where shim's MOK list goes; .machine), into
 * *@ring, or .platform alone (the firmware's db, for kexec images), or
 * none of them. Not known when a keyring that could hold it cannot be
 * read (*@err): "absent" would send the user to enroll a key for
 * nothing.
 */
enum khu_trust_where khu_trust_where(const struct khu_trust_keys *k,
				     const char **ring, int *err)
{
	bool platform = false;
	unsigned int i, r;
	int in;

	*ring = NULL;
	*err = 0;
	for (i = 0; i < k->n; i++) {
		for (r = KHU_RING_BUILTIN; r <= KHU_RING_MACHINE; r++) {
			in = khu_trust_key_in(k, r, k->key[i]);
			if (in > 0) {
				*ring = khu_trust_rings[r];
				return KHU_KEY_TRUSTED;
			}
			if (in < 0)
				*err = in;
		}
		platform |= khu_trust_key_in(k, KHU_RING_PLATFORM,
					     k->key[i]) > 0;
	}
	if (*err)
		return KHU_KEY_UNKNOWN;
	if (platform)
		*ring = khu_trust_rings[KHU_RING_PLATFORM];
	return platform ? KHU_KEY_PLATFORM : KHU_KEY_ABSENT;
}

/* mokutil --test-key's answer, as its messages word it. */
enum khu_trust_mok khu_trust_parse_mokutil(const char *text)
{
	if (strstr(text, " is not enrolled"))
		return KHU_MOK_NOT_ENROLLED;
	if (strstr(text, " is already in the enrollment request"))
		return KHU_MOK_PENDING;
	if (strstr(text, " is blocked in "))
		return KHU_MOK_BLOCKED;
	if (strstr(text, " is already enrolled") ||
	    strstr(text, " is already in db") ||
	    strstr(text, " is already in the built-in trusted keyring"))
		return KHU_MOK_ENROLLED;
	return KHU_MOK_UNKNOWN;
}

/* What the MOK list (the next boot's keys) says of @cert. */
static enum khu_trust_mok khu_trust_ask_mokutil(const char *cert)
{
	char *argv[] = { "mokutil", "--test-key", (char *)cert, NULL };
	char out[1024];
	int st;

	/* Its answer is in its output; the exit status says little. */
	if (khu_run_capture("mokutil", argv, true, out, sizeof(out), &st) &&
	    !out[0])
		return KHU_MOK_UNKNOWN;
	return khu_trust_parse_mokutil(out);
}

/*
 * Which keys would be the signer's: the signature's own id, and, when
 * the DKMS certificate is the one it names, that certificate's serial
 * and subjectKeyIdentifier (the kernel names the key by the latter).
 */
static unsigned int khu_trust_signer_ids(struct khu_trust *t,
					 struct khu_trust_cert *cert,
					 char *id, size_t len,
					 const char *ids[3])
{
	unsigned int n = 0;

	khu_trust_hex_norm(t->mod.key_id, id, len);
	ids[n++] = id;
	if (khu_trust_cert_ids(t->mok_cert, cert) ||
	    (strcmp(id, cert->serial) && strcmp(id, cert->skid)))
		return n;
	t->mok_signed = true;
	ids[n++] = cert->serial;
	if (cert->skid[0])
		ids[n++] = cert->skid;
	return n;
}

/* Where the kernel holds the signer's key (@proc's keys). */
static void khu_trust_read_signer(const struct khu_trust_paths *p,
				  struct khu_trust *t)
{
	struct khu_trust_cert cert;
	struct khu_trust_keys k;
	char path[512], id[130], *keys = NULL;
	const char *ids[3];
	unsigned int n;

	n = khu_trust_signer_ids(t, &cert, id, sizeof(id), ids);
	snprintf(path, sizeof(path), "%s/keys", p->proc);
	/* Only root sees the system keyrings' keys: no answer is better. */
	t->not_root = geteuid() != 0;
	if (t->not_root)
		return;
	t->keys_err = khu_text_read(path, 1 << 22, &keys);
	if (t->keys_err)
		return;
	if (!khu_trust_parse_keys(keys, ids, n, &k)) {
		snprintf(t->key_desc, sizeof(t->key_desc), "%s", k.desc);
		t->where = khu_trust_where(&k, &t->key_ring, &t->keys_err);
	} else {
		t->where = KHU_KEY_ABSENT;
	}
	free(keys);
	/* mokutil reads EFI variables, and the MOK list is shim's, on UEFI. */
	if (t->where != KHU_KEY_TRUSTED && t->mok_signed &&
	    t->sb != KHU_SB_NO_EFI)
		t->mok = khu_trust_ask_mokutil(t->mok_cert);
}

/*
 * The keyhandover.ko modprobe would load for this kernel, through
 * modinfo (which reads .ko.xz and .ko.zst as well), and, when it is
 * signed, whether the kernel trusts its signer.
 */
void khu_trust_read_module(const struct khu_trust_paths *p,
			   struct khu_trust *t)
{
	char *argv[] = { "modinfo", "keyhandover", NULL };
	struct utsname u;
	char out[8192];
	int ret, st;

	char path[PATH_MAX];

	if (!uname(&u))
		snprintf(t->release, sizeof(t->release), "%s", u.release);
	snprintf(path, sizeof(path), "%s/module/keyhandover", p->sys);
	t->loaded = access(path, F_OK) == 0;
	ret = khu_run_capture("modinfo", argv, false, out, sizeof(out), &st);
	if (ret == -ENOENT) {
		t->module_err = -ENOENT;
		return;
	}
	if (ret || khu_trust_parse_modinfo(out, &t->mod)) {
		t->module_err = -ESRCH;
		return;
	}
	if (t->mod.signer[0] || t->mod.key_id[0])
		khu_trust_read_signer(p, t);
}

/* The lockdown mode's word, as the kernel's parameter spells it. */
static const char *khu_trust_lockdown_word(enum khu_trust_lockdown l)
{
	return l == KHU_LD_CONFIDENTIALITY ? "lockdown=confidentiality" :
	       l == KHU_LD_INTEGRITY ? "lockdown=integrity" : NULL;
}

/*
 * Will this kernel refuse an unsigned module, or one signed by a key it
 * does not trust? Lockdown (any mode) or module.sig_enforce=1 make it;
 * Secure Boot does through the lockdown distributions' kernels enter
 * under it, so with Secure Boot on and lockdown or sig_enforce not
 * known, the answer is yes. @why: the reasons, in words.
 */
bool khu_trust_enforced(const struct khu_trust *t, char *why, size_t len)
{
	const char *ld = khu_trust_lockdown_word(t->lockdown);
	bool sb = t->sb == KHU_SB_ON;
	bool sig = t->sig == KHU_SIG_ENFORCED;
	bool guess = sb && (t->lockdown == KHU_LD_UNKNOWN ||
			    t->sig == KHU_SIG_UNKNOWN);

	why[0] = '\0';
	if (t->sig == KHU_SIG_NOT_CHECKED || (!ld && !sig && !guess))
		return false;
	snprintf(why, len, "%s%s%s%s%s", sb ? "Secure Boot on" : "",
		 sb && (ld || sig) ? ", " : "", ld ? ld : "",
		 ld && sig ? ", " : "", sig ? "module.sig_enforce=1" : "");
	return true;
}

static void khu_trust_judge_sb(const struct khu_trust *t, struct khu_check *c)
{
	c->name = "secure_boot";
	c->ok = 1;
	switch (t->sb) {
	case KHU_SB_NO_EFI:
		c->ok = -1;
		khu_check_detail(c, "Secure Boot: not booted through UEFI: Secure Boot does not apply");
		break;
	case KHU_SB_UNKNOWN:
		c->ok = -1;
		khu_check_detail(c, "Secure Boot: not known: the SecureBoot EFI variable cannot be read (%s)",
				 strerror(-t->sb_err));
		khu_check_fix(c, "mount -t efivarfs efivarfs /sys/firmware/efi/efivars");
		break;
	case KHU_SB_OFF:
		khu_check_detail(c, "Secure Boot: off");
		break;
	case KHU_SB_SETUP:
		khu_check_detail(c, "Secure Boot: off (the firmware is in setup mode: no platform key enrolled)");
		break;
	case KHU_SB_ON:
		khu_check_detail(c, "Secure Boot: on");
		break;
	}
}

/* What each mode means for keyhandover: docs/security.md's table. */
static void khu_trust_judge_lockdown(const struct khu_trust *t,
				     struct khu_check *c)
{
	c->name = "lockdown";
	c->ok = 1;
	switch (t->lockdown) {
	case KHU_LD_UNKNOWN:
		c->ok = -1;
		khu_check_detail(c, "lockdown: not known: securityfs is not mounted on /sys/kernel/security");
		khu_check_fix(c, "mount -t securityfs securityfs /sys/kernel/security");
		break;
	case KHU_LD_NO_LSM:
		khu_check_detail(c, "lockdown: not in this kernel (no lockdown LSM): keyhandover is not restricted");
		break;
	case KHU_LD_NONE:
		khu_check_detail(c, "lockdown: none: keyhandover is not restricted");
		break;
	case KHU_LD_INTEGRITY:
		khu_check_detail(c, "lockdown: integrity: only signed modules load and kexec takes only signed kernels; keyring mode takes logon keys too");
		break;
	case KHU_LD_CONFIDENTIALITY:
		c->ok = 0;
		khu_check_detail(c, "lockdown: confidentiality: only signed modules load and kexec takes only signed kernels; keyring mode refuses logon keys (they must not leave the kernel), so reboot takes passphrases or key files for them");
		khu_check_fix(c, "nothing for passphrase or key-file stashes; for keyring mode with logon keys, boot with lockdown=integrity");
		break;
	}
}

/* The fix for a module that is not signed, or not at all there. */
#define KHU_TRUST_FIX_BUILD \
	"build it with DKMS (the keyhandover-dkms package, or make dkms-install), which signs it with /var/lib/dkms/mok.key"

static void khu_trust_judge_module(const struct khu_trust *t, bool enforced,
				   const char *why, struct khu_check *c)
{
	const struct khu_trust_module *m = &t->mod;

	c->name = "module_signed";
	c->required = enforced;
	if (t->module_err == -ENOENT) {
		c->ok = -1;
		khu_check_detail(c, "keyhandover.ko: cannot tell whether it is signed: no modinfo in /usr/sbin, /usr/bin, /sbin or /bin");
		khu_check_fix(c, "apt install kmod");
	} else if (t->module_err) {
		c->ok = -1;
		khu_check_detail(c, "keyhandover.ko: modinfo finds none for this kernel (%s)",
				 t->release);
		khu_check_fix(c, "%s", KHU_TRUST_FIX_BUILD);
	} else if (m->signer[0] || m->key_id[0]) {
		c->ok = 1;
		khu_check_detail(c, "keyhandover.ko (%s) is signed by '%s', key %s (%s)",
				 m->file, m->signer, m->key_id,
				 m->hash[0] ? m->hash : "?");
	} else {
		c->ok = 0;
		if (enforced)
			khu_check_detail(c, "keyhandover.ko (%s) is not signed, and this kernel loads only signed modules (%s)",
					 m->file, why);
		else
			khu_check_detail(c, "keyhandover.ko (%s) is not signed",
					 m->file);
		khu_check_fix(c, "%s", KHU_TRUST_FIX_BUILD);
	}
}

/* The fix that puts the DKMS key in the MOK list, for the next boot on. */
static void khu_trust_fix_import(const struct khu_trust *t,
				 struct khu_check *c)
{
	if (t->sb == KHU_SB_NO_EFI)
		return;		/* no shim, no MOK list: nothing to enroll in */
	khu_check_fix(c, "%smokutil --import %s, reboot, and confirm the key in MokManager",
		      t->mok == KHU_MOK_UNKNOWN ? "apt install mokutil; " : "",
		      t->mok_cert);
}

/* The DKMS key, which signed it, is in none of the kernel's keyrings. */
static void khu_trust_judge_mok(const struct khu_trust *t,
				struct khu_check *c)
{
	const char *cert = t->mok_cert;

	switch (t->mok) {
	case KHU_MOK_ENROLLED:
		khu_check_detail(c, "its signer %s is enrolled (mokutil), but this kernel does not hold it yet",
				 cert);
		khu_check_fix(c, "reboot: shim hands the MOK list to the kernel at boot");
		break;
	case KHU_MOK_PENDING:
		khu_check_detail(c, "its signer %s waits to be enrolled: mokutil --import was run",
				 cert);
		khu_check_fix(c, "reboot and confirm the key in MokManager (with the password mokutil --import asked for)");
		break;
	case KHU_MOK_BLOCKED:
		khu_check_detail(c, "its signer %s is revoked (dbx or MokListX)",
				 cert);
		khu_check_fix(c, "make a new DKMS key: remove /var/lib/dkms/mok.key and %s, rebuild the module (dpkg-reconfigure keyhandover-dkms), and enroll the new %s",
			      cert, cert);
		break;
	default:
		khu_check_detail(c, "its signer %s is not enrolled: this kernel does not trust it",
				 cert);
		khu_trust_fix_import(t, c);
		break;
	}
}

/* Where the kernel holds the signer's key, found or not. */
static void khu_trust_judge_where(const struct khu_trust *t,
				  struct khu_check *c)
{
	const struct khu_trust_module *m = &t->mod;

	c->ok = t->where == KHU_KEY_TRUSTED;
	if (t->where == KHU_KEY_TRUSTED) {
		khu_check_detail(c, "the kernel trusts its signer: '%s' is in %s",
				 t->key_desc, t->key_ring);
	} else if (t->where == KHU_KEY_PLATFORM) {
		/*
		 * Upstream checks modules against .platform only for kexec
		 * images; Debian's kernel also for modules (its patch for
		 * #935945). Which one runs cannot be told from here.
		 */
		c->ok = -1;
		c->required = false;
		khu_check_detail(c, "its signer '%s' is in .platform only: Debian's kernel takes modules signed by it, a kernel without Debian's patch does not",
				 t->key_desc);
		if (t->mok_signed)
			khu_trust_fix_import(t, c);
	} else if (t->mok_signed) {
		khu_trust_judge_mok(t, c);
	} else {
		/* A key of the signer's may be there under another id. */
		c->ok = -1;
		c->required = false;
		khu_check_detail(c, "cannot tell whether the kernel trusts its signer '%s': no key it holds has the signature's id (%s), and %s did not sign it",
				 m->signer, m->key_id, t->mok_cert);
		khu_check_fix(c, "if modprobe keyhandover says 'Key was rejected by service', enroll the certificate of '%s' (mokutil --import, reboot, confirm in MokManager)",
			      m->signer);
	}
}

static void khu_trust_judge_signer(const struct khu_trust *t, bool enforced,
				   struct khu_check *c)
{
	c->name = "signer_enrolled";
	c->ok = -1;
	if (t->module_err || (!t->mod.signer[0] && !t->mod.key_id[0])) {
		khu_check_detail(c, "no signed keyhandover.ko: no signer to look for");
		return;
	}
	c->required = enforced;
	if (t->not_root) {
		khu_check_detail(c, "only root sees the keys the kernel trusts: cannot tell whether it trusts '%s'",
				 t->mod.signer);
		khu_check_fix(c, "run keyhandover setup --check as root");
	} else if (t->keys_err) {
		khu_check_detail(c, "cannot read the kernel's keys (/proc/keys, its keyrings: %s): cannot tell whether it trusts '%s'",
				 strerror(-t->keys_err), t->mod.signer);
	} else {
		khu_trust_judge_where(t, c);
	}
}

/*
 * The four checks from the facts. Secure Boot and lockdown are facts,
 * never failures; the signature and its signer fail setup --check only
 * where the kernel enforces signatures: there modprobe would refuse the
 * module. Elsewhere a missing signature or signer is a note, with the
 * fix for the day Secure Boot is turned on.
 */
void khu_trust_judge(const struct khu_trust *t,
		     struct khu_check c[KHU_TRUST_CHECKS])
{
	char why[128];
	bool enforced = khu_trust_enforced(t, why, sizeof(why));
	unsigned int i;

	memset(c, 0, KHU_TRUST_CHECKS * sizeof(*c));
	khu_trust_judge_sb(t, &c[KHU_TRUST_SECURE_BOOT]);
	khu_trust_judge_lockdown(t, &c[KHU_TRUST_LOCKDOWN]);
	khu_trust_judge_module(t, enforced, why, &c[KHU_TRUST_MODULE_SIGNED]);
	khu_trust_judge_signer(t, enforced, &c[KHU_TRUST_SIGNER_ENROLLED]);
	for (i = KHU_TRUST_MODULE_SIGNED; i < KHU_TRUST_CHECKS; i++) {
		struct khu_check *x = &c[i];
		size_t n = strlen(x->detail);

		if (x->ok == 0 && !enforced)
			snprintf(x->detail + n, sizeof(x->detail) - n,
				 " (no matter while this kernel does not enforce module signatures)");
		/*
		 * A module this kernel already took is no failure, whatever
		 * the file on disk says now (rebuilt, re-signed, removed):
		 * the advice stays, for the next boot.
		 */
		if (t->loaded && x->ok != 1 && x->required) {
			x->required = false;
			n = strlen(x->detail);
			snprintf(x->detail + n, sizeof(x->detail) - n,
				 " (the module is loaded: this kernel took it)");
		}
	}
}
