// SPDX-License-Identifier: GPL-2.0
/* keyhandover reboot: stash, load, and kexec into the loaded kernel. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/reboot.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "run.h"
#include "tool.h"

/*
 * `keyhandover reboot` only makes sense once setup has taken effect: the
 * module loaded (which on the memmap= backend means this kernel reserved
 * the region).
 */
static int khu_reboot_precheck(struct kh_status *st)
{
	int ret = khu_device_status(st);

	if (ret == -ENOENT)
		khu_err("keyhandover is not set up here: no %s (install it, reserve the region, reboot once, modprobe keyhandover)",
			KH_DEVICE_PATH);
	return ret;
}

static bool khu_have_systemd(void)
{
	return !access("/run/systemd/system", F_OK);
}

/* systemctl kexec: a clean shutdown that ends in the loaded kernel. */
static int khu_reboot_systemctl(void)
{
	char *argv[] = { "systemctl", "kexec", NULL };
	int status;

	/* It talks to systemd over its socket: no environment needed. */
	return khu_run("systemctl", argv, NULL, &status);
}

/*
 * Without systemd there is no service manager to stop things cleanly:
 * sync, then kexec at once, as `kexec -e` does.
 */
static int khu_reboot_now(void)
{
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	return -errno;
}

static void khu_reboot_show_how(void)
{
	printf("then: %s\n", khu_have_systemd() ? "systemctl kexec" :
	       "kexec at once (no systemd): sync, then reboot(LINUX_REBOOT_CMD_KEXEC)");
}

/* What reboot would stash, load and run; nothing is done. */
static int khu_reboot_dry_run(const struct khu_opts *o,
			      const struct kh_status *st)
{
	struct khu_stash s = { .o = o, .say_mode = true };
	struct khu_load_plan p = { 0 };
	unsigned int i;
	int ret = 0;

	if (o->n_devices)
		khu_stash_from_args(&s);
	else
		ret = khu_stash_from_crypttab(&s);
	if (!ret)
		ret = khu_stash_choose(&s, true);
	for (i = 0; !ret && i < s.n; i++) {
		const struct khu_volume *v = &s.vol[i];

		printf("would stash %s as %s%s%s\n", v->dev,
		       v->name ? v->name : "luks-UUID",
		       v->keyring ? ", key from the keyring " : "",
		       v->keyring ? v->keyring : "");
	}
	khu_stash_free(&s);
	if (!ret)
		ret = khu_load_plan(o, &p);
	if (!ret && st->backend == KH_BACKEND_MEMMAP)
		ret = khu_load_check_memmap(&p.cmdline, p.derived);
	else if (!ret && st->backend == KH_BACKEND_KHO)
		ret = khu_load_check_kho(o, &p);
	if (!ret) {
		khu_load_show(&p);
		puts("(keyhandover.nonce= is added once the stash is made)");
		khu_reboot_show_how();
		puts("dry run: nothing stashed, loaded or rebooted");
	}
	free(p.cmdline);
	return ret ? KHU_EXIT_FAILURE : KHU_EXIT_OK;
}

/*
 * Kexec HandOver: refuse before any passphrase is asked what load would
 * refuse after it (a crash kernel, a next kernel without KHO).
 */
static int khu_reboot_check_kho(const struct khu_opts *o)
{
	struct khu_load_plan p;
	int ret;

	ret = khu_load_plan(o, &p);
	if (!ret)
		ret = khu_load_check_kho(o, &p);
	free(p.cmdline);
	return ret;
}

/*
 * --if-newer (the unattended timer's service): is the kernel the boot
 * loader would boot next newer than the running one? 1 yes, 0 no (one
 * line says so), -errno when it cannot tell (one line says why).
 */
static int khu_reboot_newer(const struct khu_opts *o)
{
	char next[KHU_BOOT_STR];
	struct khu_load_plan p;
	struct utsname u;
	int ret;

	ret = khu_load_plan(o, &p);
	if (ret) {
		free(p.cmdline);
		return ret;
	}
	ret = khu_boot_kernel_release(p.kernel, next, sizeof(next));
	free(p.cmdline);
	if (ret) {
		khu_err("cannot tell the release of %s from its name (--if-newer needs vmlinuz-RELEASE)",
			p.kernel);
		return ret;
	}
	uname(&u);
	if (khu_boot_version_cmp(next, u.release) > 0)
		return 1;
	printf("the boot loader's next kernel %s is not newer than the running %s: nothing to do\n",
	       next, u.release);
	return 0;
}

/*
 * stash, load, reboot into the loaded kernel. Every failure after the
 * stash leaves no stash behind: load wipes on its own failures, and a
 * reboot that does not happen wipes here.
 */
int khu_cmd_reboot(const struct khu_opts *o)
{
	struct kh_status st;
	int ret;

	if (khu_reboot_precheck(&st))
		return KHU_EXIT_FAILURE;
	if (o->if_newer) {
		ret = khu_reboot_newer(o);
		if (ret <= 0)
			return ret ? KHU_EXIT_FAILURE : KHU_EXIT_OK;
	}
	if (o->dry_run)
		return khu_reboot_dry_run(o, &st);
	if (st.backend == KH_BACKEND_KHO && khu_reboot_check_kho(o))
		return KHU_EXIT_FAILURE;
	ret = khu_stash_main(o, true);
	if (ret != KHU_EXIT_OK)
		return ret;
	ret = khu_cmd_load(o);
	if (ret != KHU_EXIT_OK)
		return ret;
	khu_reboot_show_how();
	fflush(stdout);
	ret = khu_have_systemd() ? khu_reboot_systemctl() : khu_reboot_now();
	if (ret) {
		khu_err("the kexec did not start (%s)", strerror(-ret));
		khu_load_abort();
		return KHU_EXIT_FAILURE;
	}
	return KHU_EXIT_OK;
}
