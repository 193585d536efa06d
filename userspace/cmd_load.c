// SPDX-License-Identifier: GPL-2.0
/*
 * keyhandover load: load the next kernel (given, or the boot loader's
 * choice) bound to the armed stash; wipe the stash if that fails.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>

#include "bootloader.h"
#include "cmdline.h"
#include "handover.h"
#include "json.h"
#include "kexec.h"
#include "kho.h"
#include "textfile.h"
#include "tool.h"


static int khu_load_proc_cmdline(char **out)
{
	int ret = khu_kexec_read_cmdline(out);

	if (ret)
		khu_err("cannot read /proc/cmdline: %s", strerror(-ret));
	return ret;
}

/* The boot loader's next entry (docs/tool.md says which, in order). */
static int khu_load_choose(const struct khu_opts *o, struct khu_load_plan *p)
{
	const char *root = o->root ? o->root : "/";
	int ret = khu_boot_choose(root, &p->boot);

	if (ret == -ESRCH)
		khu_err("%s names no menu entry: give --kernel and --initrd",
			p->boot.source);
	else if (ret == -ENOEXEC)
		khu_err("%s has no linux or initrd line: give --kernel and --initrd",
			p->boot.source);
	else if (ret == -ENXIO)
		khu_err("%s names %s and %s, which are not there: give --kernel and --initrd",
			p->boot.source, p->boot.kernel, p->boot.initrd);
	else if (ret == -EDOM)
		khu_err("%s uses GRUB variables, GRUB syntax beyond plain words, or lines too long to read safely: give --kernel, --initrd and --append",
			p->boot.source);
	else if (ret == -EILSEQ)
		khu_err("%s has a kernel argument with a quote or backslash inside it, which GRUB versions pass differently: give --kernel, --initrd and --append",
			p->boot.source);
	else if (ret)
		khu_err("no boot loader entry under %s and no vmlinuz and initrd.img links in /boot or /: give --kernel and --initrd",
			root);
	if (ret)
		return ret;
	p->kernel = p->boot.kernel;
	p->initrd = p->boot.initrd;
	p->derived = true;
	return 0;
}

static int khu_load_cmdline(const struct khu_opts *o, struct khu_load_plan *p)
{
	const char *text = o->append ? o->append : "";

	if (o->reuse_cmdline)
		return khu_load_proc_cmdline(&p->cmdline);
	if (!o->append && p->derived && p->boot.options[0])
		text = p->boot.options;
	else if (!o->append && p->derived)
		return khu_load_proc_cmdline(&p->cmdline);
	p->cmdline = strdup(text);
	if (!p->cmdline) {
		khu_err("out of memory");
		return -ENOMEM;
	}
	return 0;
}

int khu_load_plan(const struct khu_opts *o, struct khu_load_plan *p)
{
	int ret = 0;

	memset(p, 0, sizeof(*p));
	p->loaded = -1;
	p->armed = -1;
	if (o->kernel) {
		p->kernel = o->kernel;
		p->initrd = o->initrd;
	} else {
		ret = khu_load_choose(o, p);
	}
	if (!ret)
		ret = khu_load_cmdline(o, p);
	/* The boot loader's BOOT_IMAGE= describes this boot, not the next. */
	if (!ret && p->derived)
		khu_cmdline_strip_word(p->cmdline, "BOOT_IMAGE");
	return ret;
}

static void khu_load_error(const char *kernel, int err)
{
	switch (-err) {
	case EPERM:
		khu_err("loading %s not permitted (needs CAP_SYS_BOOT; kexec may be disabled by kernel.kexec_load_disabled; under lockdown the image must be signed)",
			kernel);
		break;
	case EKEYREJECTED:
	case EKEYREVOKED:
	case ENOKEY:
	case EBADMSG:
	case ENODATA:
	case ENOPKG:
		khu_err("the kernel refused the signature of %s: %s", kernel,
			strerror(-err));
		break;
	case ENOEXEC:
		khu_err("%s is not a kernel image this kernel can load",
			kernel);
		break;
	case EBUSY:
		khu_err("kexec busy: a kexec is already in progress");
		break;
	default:
		khu_err("cannot load %s: %s", kernel, strerror(-err));
	}
}

/* kernels without kexec_file_load: kexec-tools and the older syscall. */
static int khu_load_fallback(const struct khu_load_plan *p, const char *cmdline)
{
	int status, ret;

	khu_err("kexec_file_load is not available: falling back to kexec_load via kexec-tools");
	fflush(stderr);
	ret = khu_kexec_tools_load(p->kernel, p->initrd, cmdline, &status);
	if (ret == -ENOENT)
		khu_err("kexec-tools not found: no kexec in /usr/sbin, /usr/bin, /sbin or /bin");
	else if (ret == -EIO)
		khu_err("kexec-tools could not load %s (exit status %d)",
			p->kernel, status);
	else if (ret)
		khu_err("cannot run kexec-tools: %s", strerror(-ret));
	return ret;
}

static int khu_load_image(const char *what, const char *path)
{
	int fd = khu_kexec_open_image(path);

	if (fd < 0)
		khu_err("cannot open %s %s: %s", what, path, strerror(-fd));
	return fd;
}

static int khu_load_kernel(const struct khu_load_plan *p)
{
	const char *cmdline = p->cmdline;
	int kfd, ifd, ret;

	kfd = khu_load_image("kernel", p->kernel);
	if (kfd < 0)
		return kfd;
	ifd = khu_load_image("initrd", p->initrd);
	if (ifd < 0) {
		ret = ifd;
		goto out_close_kernel;
	}
	ret = khu_kexec_file_load(kfd, ifd, cmdline);
	if (ret == -ENOSYS)
		ret = khu_load_fallback(p, cmdline);
	else if (ret)
		khu_load_error(p->kernel, ret);
	close(ifd);
out_close_kernel:
	close(kfd);
	return ret;
}

/* An armed stash must not outlive a kexec that will not happen. */
void khu_load_abort(void)
{
	struct kh_status st;
	int fd, ret;

	fd = khu_handover_open();
	if (fd == -ENOENT)
		return;
	if (fd < 0) {
		khu_device_error("cannot check for an armed hand-over", fd);
		return;
	}
	ret = khu_handover_status(fd, &st);
	if (!ret && st.state == KH_STATE_ARMED) {
		ret = khu_handover_wipe(fd);
		if (!ret)
			khu_err("wiped the armed hand-over");
	}
	if (ret)
		khu_device_error("cannot wipe the armed hand-over", ret);
	khu_handover_close(fd);
}

/* @cmdline with its keyhandover.nonce= replaced by @nonce, or dropped. */
static int khu_load_set_nonce(char **cmdline, const uint8_t *nonce)
{
	char *bound = NULL;
	int ret;

	ret = khu_cmdline_set_nonce(*cmdline, nonce, &bound);
	if (ret == -EINVAL)
		khu_err("cannot add keyhandover.nonce= to the command line: an unmatched '\"' would hide it from the kernel");
	else if (ret)
		khu_err("cannot add keyhandover.nonce= to the command line: %s",
			ret == -E2BIG ? "too long" : strerror(-ret));
	if (ret)
		return ret;
	free(*cmdline);
	*cmdline = bound;
	return 0;
}

/* @word added to the boot loader's command line, before any "--". */
static int khu_load_add_word(char **cmdline, const char *word)
{
	int ret = khu_cmdline_add_word(cmdline, word);

	if (ret == -EINVAL)
		khu_err("cannot add %s to the command line: an unmatched '\"' would hide it from the kernel",
			word);
	else if (ret)
		khu_err("out of memory");
	return ret;
}

/* The module's region= value, for the memmap= the next kernel needs. */
int khu_load_region(char *buf, size_t len)
{
	return khu_text_read_line("/sys/module/keyhandover/parameters/region",
				  buf, len);
}

/*
 * Without the same memmap= the next kernel would take the region as
 * ordinary RAM: its module could not claim it and nothing would ever
 * wipe the key there. Refuse (the caller wipes the stash).
 */
int khu_load_check_memmap(char **cmdline, bool derived)
{
	char region[128], word[160], param[160];
	int ret = khu_load_region(region, sizeof(region));

	if (ret) {
		khu_err("cannot read the module's region: %s", strerror(-ret));
		return ret;
	}
	snprintf(word, sizeof(word), "memmap=%s", region);
	/*
	 * The boot loader's line lacks them when `setup` has not run: add
	 * them, as the next kernel needs both. A line the user gave is
	 * taken as meant, and refused below.
	 */
	snprintf(param, sizeof(param), "keyhandover.region=%s", region);
	if (derived) {
		ret = khu_load_add_word(cmdline, word);
		if (!ret)
			ret = khu_load_add_word(cmdline, param);
		if (ret)
			return ret;
	}
	/* Only before "--": after it, the words are init's arguments. */
	if (khu_cmdline_has_word(*cmdline, word))
		return 0;
	khu_err("the next kernel's command line lacks %s before any \"--\": it would use the key's region as RAM",
		word);
	return -EINVAL;
}

/* In the KHO backend the key's page is System RAM: a dump would hold it. */
int khu_load_check_crash_kernel(void)
{
	int ret = khu_kho_crash_loaded(KHU_KHO_CRASH_LOADED);

	if (ret > 0)
		khu_err("a crash kernel is loaded (%s is 1): with the Kexec HandOver backend the key's page is System RAM, which its dump would hold; unload it (kexec -p -u) first",
			KHU_KHO_CRASH_LOADED);
	else if (ret)
		khu_err("cannot read %s: %s", KHU_KHO_CRASH_LOADED,
			strerror(-ret));
	return ret ? -EBUSY : 0;
}

/* The next kernel must have KHO, or it takes the key's page as free RAM. */
static int khu_load_check_kho_config(const char *root, const char *kernel)
{
	char config[PATH_MAX];
	int ret = khu_kho_next_kernel(root, kernel, config, sizeof(config));

	if (ret == -ENOTSUP)
		khu_err("%s lacks %s: with the Kexec HandOver backend the next kernel %s would free the key's page unwiped",
			config, KHU_KHO_CONFIG, kernel);
	else if (ret == -ENOENT && config[0])
		khu_err("no config for the next kernel %s (looked for %s, then in the root's /boot): with the Kexec HandOver backend its config must show %s; install the kernel's config there",
			kernel, config, KHU_KHO_CONFIG);
	else if (ret == -EINVAL)
		khu_err("cannot tell the version of the next kernel %s (no bzImage header, no -VERSION in its name), so not find its config: the Kexec HandOver backend needs to see %s in config-VERSION beside it",
			kernel, KHU_KHO_CONFIG);
	else if (ret)
		khu_err("cannot check the next kernel %s for %s: %s", kernel,
			KHU_KHO_CONFIG, strerror(-ret));
	return ret;
}

/*
 * Kexec HandOver carries the region itself, but only into a kernel that
 * has KHO and turns it on; and no crash kernel may dump the page here.
 */
int khu_load_check_kho(const struct khu_opts *o, struct khu_load_plan *p)
{
	int ret = khu_load_check_crash_kernel();

	if (!ret)
		ret = khu_load_check_kho_config(o->root ? o->root : "/",
						p->kernel);
	if (ret)
		return ret;
	ret = khu_kho_cmdline(&p->cmdline, p->derived);
	if (ret == -EINVAL && p->derived)
		khu_err("cannot add kho=on to the command line: an unmatched '\"' would hide it from the kernel");
	else if (ret == -EINVAL)
		khu_err("the next kernel's command line lacks kho=on before any \"--\": without it the next kernel frees the key's page unwiped");
	else if (ret)
		khu_err("out of memory");
	return ret;
}

/*
 * Bind the armed stash to this kexec: the next kernel accepts only the
 * stash whose nonce its command line names. Without a stash the kernel
 * is still loaded (an ordinary kexec), any inherited nonce dropped, and
 * the user is told.
 */
static int khu_load_bind_stash(const struct khu_opts *o,
			       struct khu_load_plan *p)
{
	char **cmdline = &p->cmdline;
	struct kh_status st;
	int ret;

	ret = khu_device_status(&st);
	p->loaded = ret != -ENOENT;
	if (ret == -ENOENT) {
		khu_err("note: module not loaded: the next kernel gets no keys");
		return khu_load_set_nonce(cmdline, NULL);
	}
	if (ret)
		return ret;
	p->armed = st.state == KH_STATE_ARMED;
	p->backend = st.backend;
	if (st.state != KH_STATE_ARMED) {
		khu_err("note: nothing stashed: the next kernel gets no keys (run 'keyhandover stash' first, or 'keyhandover reboot' for both)");
		return khu_load_set_nonce(cmdline, NULL);
	}
	if (st.backend == KH_BACKEND_KHO)
		ret = khu_load_check_kho(o, p);
	else
		ret = khu_load_check_memmap(cmdline, p->derived);
	if (ret)
		return ret;
	return khu_load_set_nonce(cmdline, st.nonce);
}

void khu_load_show(const struct khu_load_plan *p)
{
	printf("kernel: %s\ninitrd: %s\ncommand line: %s\nchosen from: %s\n",
	       p->kernel, p->initrd, p->cmdline,
	       p->derived ? p->boot.source : "--kernel and --initrd");
}

/*
 * The release of the next kernel @kernel (its name's vmlinuz-RELEASE)
 * against the running one's: whether --if-newer would go ahead.
 */
void khu_load_release(const char *kernel, struct khu_release *r)
{
	struct utsname u;

	memset(r, 0, sizeof(*r));
	if (!uname(&u))
		snprintf(r->running, sizeof(r->running), "%s", u.release);
	r->newer = kernel ? khu_boot_kernel_release(kernel, r->next,
						     sizeof(r->next)) : -ENOENT;
	if (r->newer)
		r->next[0] = '\0';
	else if (!r->running[0])
		r->newer = -ENODATA;
	else
		r->newer = khu_boot_version_cmp(r->next, r->running) > 0;
}

/*
 * --json: what would be loaded, as far as it is known. The kernel is
 * known once chosen; the command line only once every word is in
 * (@whole). @r: the releases, or NULL: not looked at.
 */
void khu_load_json(struct khu_json *j, const struct khu_load_plan *p,
		   bool whole, const struct khu_release *r)
{
	const char *from = p->derived ? p->boot.source : "--kernel and --initrd";

	khu_json_string(j, "kernel", p->kernel);
	khu_json_string(j, "initrd", p->initrd);
	khu_json_string(j, "cmdline", whole ? p->cmdline : NULL);
	khu_json_string(j, "chosen_from", p->kernel ? from : NULL);
	khu_json_tristate(j, "boot_loader", p->kernel ? p->derived : -1);
	khu_json_string(j, "kernel_release", r && r->next[0] ? r->next : NULL);
	khu_json_string(j, "running_release",
			r && r->running[0] ? r->running : NULL);
	khu_json_tristate(j, "newer", r ? r->newer : -1);
}

/*
 * load --dry-run --json: the plan, with what the module said of the
 * stash; every field there whether or not the plan could be made.
 */
static int khu_load_json_main(const struct khu_opts *o)
{
	struct khu_load_plan p;
	struct khu_release r;
	struct khu_json j;
	int ret;

	khu_report_json_begin(&j, "load --dry-run");
	ret = khu_load_plan(o, &p);
	if (!ret)
		ret = khu_load_bind_stash(o, &p);
	khu_json_tristate(&j, "loaded", p.loaded);
	khu_json_string(&j, "backend", p.backend ?
			khu_backend_id(p.backend) : NULL);
	khu_json_tristate(&j, "armed", p.armed);
	khu_load_release(p.kernel, &r);
	khu_load_json(&j, &p, !ret, &r);
	free(p.cmdline);
	return khu_report_json_end(&j, ret ? KHU_EXIT_FAILURE : KHU_EXIT_OK);
}

int khu_cmd_load(const struct khu_opts *o)
{
	struct khu_load_plan p;
	int ret;

	if (o->json)
		return khu_load_json_main(o);

	ret = khu_load_plan(o, &p);
	if (!ret)
		ret = khu_load_bind_stash(o, &p);
	if (!ret && o->dry_run) {
		khu_load_show(&p);
		puts("dry run: nothing loaded");
		free(p.cmdline);
		return KHU_EXIT_OK;
	}
	if (!ret)
		ret = khu_load_kernel(&p);
	if (!ret && p.derived)
		khu_load_show(&p);
	free(p.cmdline);
	/* A dry run never wipes: it changed nothing. */
	if (ret) {
		if (!o->dry_run)
			khu_load_abort();
		return KHU_EXIT_FAILURE;
	}
	printf("loaded %s with %s\n", p.kernel, p.initrd);
	return KHU_EXIT_OK;
}
