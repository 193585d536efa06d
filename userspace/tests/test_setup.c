// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of setup.c: the region picked from a firmware memory map,
 * the GRUB drop-in and its escaping (checked by sourcing it with sh, as
 * grub-mkconfig does), the region read back from it, and the sysfs
 * reader on a fake /sys/firmware/memmap; and, for the first user, why
 * there is no /dev/keyhandover (handover.c), on fake trees.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "handover.h"
#include "setup.h"
#include "tap.h"

/* QEMU's map for a 1 GiB guest, as /sys/firmware/memmap shows it. */
static const struct khu_fwmap_range qemu_1g[] = {
	{ 0x0, 0x9fbff, "System RAM" },
	{ 0x9fc00, 0x9ffff, "Reserved" },
	{ 0xf0000, 0xfffff, "Reserved" },
	{ 0x100000, 0x3ffdffff, "System RAM" },
	{ 0x3ffe0000, 0x3fffffff, "Reserved" },
	{ 0xfffc0000, 0xffffffff, "Reserved" },
};

static void test_pick(void)
{
	static const struct khu_fwmap_range small[] = {
		{ 0x100000, 0x5ffffff, "System RAM" },	/* 95 MiB */
	};
	static const struct khu_fwmap_range hole[] = {
		{ 0x100000, 0x6ffffff, "System RAM" },
		{ 0x7000000, 0x7ffffff, "Reserved" },
		{ 0x8000000, 0x3fffffff, "System RAM" },
	};
	static const struct khu_fwmap_range none[] = {
		{ 0x0, 0x9fbff, "System RAM" },
		{ 0x100000, 0x1ffffff, "ACPI Tables" },
	};
	uint64_t a = 0;

	check(!khu_setup_pick(qemu_1g, 6, 4096, &a) && a == 0x7000000,
	      "112 MiB when the firmware calls it RAM");
	check(!khu_setup_pick(hole, 3, 4096, &a) && a == 0xc000000,
	      "112 MiB reserved by firmware: 64 MiB into the largest RAM range");
	check(!khu_setup_pick(small, 1, 4096, &a) && a == 0x4100000,
	      "a small machine: 64 MiB into its RAM");
	check(khu_setup_pick(none, 2, 4096, &a) == -ENOSPC,
	      "no RAM range big enough: -ENOSPC");
}

static void test_dropin(void)
{
	char text[1024], cmd[256], out[256] = "";
	uint64_t size = 0, addr = 0;
	FILE *f;

	khu_setup_dropin(text, sizeof(text), 4096, 0x7000000);
	check(strstr(text, "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX memmap=4K\\\\\\$0x7000000 keyhandover.region=4K\\\\\\$0x7000000\"\n") != NULL,
	      "the drop-in appends both words, escaped for /etc/default/grub");
	check(!khu_setup_dropin_region(text, &size, &addr) && size == 4096 &&
	      addr == 0x7000000, "the region read back from the drop-in");
	check(khu_setup_dropin_region("GRUB_TIMEOUT=5\n", &size, &addr) == -ENOENT,
	      "a file naming no region");
	/* grub-mkconfig sources it: one backslash must be left for GRUB. */
	f = fopen("/tmp/kh-dropin-test.cfg", "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd),
		 "GRUB_CMDLINE_LINUX=ro sh -c '. /tmp/kh-dropin-test.cfg; printf %%s \"$GRUB_CMDLINE_LINUX\"'");
	f = popen(cmd, "r");
	if (f) {
		if (!fgets(out, sizeof(out), f))
			out[0] = '\0';
		pclose(f);
	}
	unlink("/tmp/kh-dropin-test.cfg");
	check(!strcmp(out, "ro memmap=4K\\$0x7000000 keyhandover.region=4K\\$0x7000000"),
	      "sourced by sh: 'memmap=4K\\$0x7000000', which GRUB reads as '$'");
}

static void test_region_parse(void)
{
	uint64_t s = 0, a = 0;
	char buf[64];

	check(!khu_setup_region_parse("4K$0x7000000", &s, &a) && s == 4096 &&
	      a == 0x7000000, "4K$0x7000000");
	check(!khu_setup_region_parse("1M@0x8000000", &s, &a) && s == 1 << 20 &&
	      a == 0x8000000, "1M@0x8000000");
	check(khu_setup_region_parse("4K#0x7000000", &s, &a) == -EINVAL &&
	      khu_setup_region_parse("$0x1", &s, &a) == -EINVAL &&
	      khu_setup_region_parse("4K$", &s, &a) == -EINVAL,
	      "malformed regions are refused");
	khu_setup_region_str(buf, sizeof(buf), 4096, 0x7000000);
	check(!strcmp(buf, "4K$0x7000000"), "the region as memmap= writes it");
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[256];
	FILE *f;

	mkdir(dir, 0755);
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	f = fopen(p, "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_read_fwmap(void)
{
	char root[] = "/tmp/kh-fwmap-test.XXXXXX", d[128];
	struct khu_fwmap_range r[8];
	unsigned int n = 0;
	uint64_t a = 0;

	if (!mkdtemp(root)) {
		check(0, "a temporary /sys/firmware/memmap");
		return;
	}
	snprintf(d, sizeof(d), "%s/0", root);
	put(d, "start", "0x0\n");
	put(d, "end", "0x9fbff\n");
	put(d, "type", "System RAM\n");
	snprintf(d, sizeof(d), "%s/1", root);
	put(d, "start", "0x100000\n");
	put(d, "end", "0x3ffdffff\n");
	put(d, "type", "System RAM\n");
	check(!khu_setup_read_fwmap(root, r, 8, &n) && n == 2 &&
	      !khu_setup_pick(r, n, 4096, &a) && a == 0x7000000,
	      "read from a sysfs-shaped directory, then picked");
	khu_tap_rmtree(root);
}

/*
 * No /dev/keyhandover: what is missing, so that the one line says what
 * to do next (report.c's khu_module_missing words each case).
 */
static void test_absent(void)
{
	char root[] = "/tmp/kh-absent-test.XXXXXX", mod[128], dropin[128];
	static const char plain[] = "BOOT_IMAGE=/vmlinuz root=/dev/sda1 ro quiet";
	static const char booted[] = "root=/dev/sda1 memmap=4K$0x7000000 keyhandover.region=4K$0x7000000";

	if (!mkdtemp(root)) {
		check(0, "a temporary tree");
		return;
	}
	snprintf(mod, sizeof(mod), "%s/sys/module/keyhandover", root);
	snprintf(dropin, sizeof(dropin), "%s%s", root, KHU_SETUP_DROPIN);
	check(khu_handover_absent(mod, plain, dropin) == KHU_ABSENT_SETUP,
	      "nothing set up: keyhandover setup");
	check(khu_handover_absent(mod, NULL, dropin) == KHU_ABSENT_SETUP,
	      "... also when /proc/cmdline cannot be read");
	check(khu_handover_absent(mod, booted, dropin) == KHU_ABSENT_BOOTED,
	      "booted with keyhandover.region=: modprobe");
	check(khu_handover_absent(mod, "ro kho=on", dropin) == KHU_ABSENT_BOOTED &&
	      khu_handover_absent(mod, "ro kho=1", dropin) == KHU_ABSENT_BOOTED,
	      "booted with kho=on (or 1): modprobe");
	check(khu_handover_absent(mod, "ro kho=off", dropin) == KHU_ABSENT_SETUP &&
	      khu_handover_absent(mod, "ro -- keyhandover.region=4K$0x7000000", dropin) == KHU_ABSENT_SETUP,
	      "kho=off, or the region after '--' (init's, not the kernel's): not booted with it");
	khu_tap_put(root, KHU_SETUP_DROPIN, "GRUB_CMDLINE_LINUX=\"\"\n");
	check(khu_handover_absent(mod, plain, dropin) == KHU_ABSENT_REBOOT,
	      "the GRUB drop-in there, this kernel without the region: reboot");
	khu_tap_put(root, "/sys/module/keyhandover/initstate", "live\n");
	check(khu_handover_absent(mod, plain, dropin) == KHU_ABSENT_NO_NODE,
	      "the module loaded, its device node missing");
	khu_tap_rmtree(root);
}

int main(void)
{
	test_pick();
	test_dropin();
	test_region_parse();
	test_read_fwmap();
	test_absent();
	return khu_tap_done();
}
