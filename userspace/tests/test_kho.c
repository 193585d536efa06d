// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of what the Kexec HandOver backend asks of the next kernel:
 * its config found beside its image (on this system or under --root),
 * CONFIG_KEXEC_HANDOVER=y in it, kho=on on its command line before any
 * "--", and no crash kernel loaded here; on fake trees in /tmp.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kho.h"
#include "tap.h"

#define V	"7.3.4-kho"

static char root[] = "/tmp/kh-kho-test.XXXXXX";

static void put(const char *path, const char *text)
{
	khu_tap_put(root, path, text);
}

/* An x86 bzImage's setup header naming @version, as file(1) reads it. */
static void put_bzimage(const char *path, const char *version)
{
	char img[0x400];
	char p[512];
	FILE *f;

	memset(img, 0, sizeof(img));
	memcpy(img + 0x202, "HdrS", 4);
	img[0x20e] = 0x00;	/* kernel_version 0x100: the string at 0x300 */
	img[0x20f] = 0x01;
	snprintf(img + 0x300, sizeof(img) - 0x300, "%s", version);
	snprintf(p, sizeof(p), "%s%s", root, path);
	f = fopen(p, "w");
	if (f) {
		fwrite(img, 1, sizeof(img), f);
		fclose(f);
	}
}

static void link_at(const char *target, const char *path)
{
	char p[512];

	snprintf(p, sizeof(p), "%s%s", root, path);
	unlink(p);
	if (symlink(target, p))
		printf("# cannot link %s\n", p);
}

static int ends(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

/* khu_kho_next_kernel() for @kernel under the fake root. */
static int next(const char *kernel, char *config)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", root, kernel);
	return khu_kho_next_kernel(root, path, config, 512);
}

static void test_config(void)
{
	char config[512];

	put("/boot/vmlinuz-" V, "k");
	check(next("/boot/vmlinuz-" V, config) == -ENOENT &&
	      ends(config, "/boot/config-" V),
	      "no config: -ENOENT, naming where it was looked for");
	put("/boot/config-" V, "CONFIG_KEXEC=y\n# CONFIG_KEXEC_HANDOVER is not set\n");
	check(next("/boot/vmlinuz-" V, config) == -ENOTSUP,
	      "CONFIG_KEXEC_HANDOVER is not set: -ENOTSUP, refused");
	put("/boot/config-" V, "CONFIG_KEXEC_HANDOVER=yes\nCONFIG_KEXEC_HANDOVER_DEBUG=y\n");
	check(next("/boot/vmlinuz-" V, config) == -ENOTSUP,
	      "only the exact line counts, not a longer one");
	put("/boot/config-" V, "CONFIG_KEXEC=y\nCONFIG_KEXEC_HANDOVER=y\nCONFIG_X=y");
	check(!next("/boot/vmlinuz-" V, config) && ends(config, "/boot/config-" V),
	      "/boot/config-VERSION beside /boot/vmlinuz-VERSION: KHO");
	link_at("boot/vmlinuz-" V, "/vmlinuz");
	check(!next("/vmlinuz", config) && ends(config, "/boot/config-" V),
	      "Debian's relative /vmlinuz link: followed to /boot");
	link_at("/boot/vmlinuz-" V, "/vmlinuz");
	check(!next("/vmlinuz", config) && !strncmp(config, root, strlen(root)),
	      "an absolute link: followed under the root, not on the host");
	put("/vmlinuz-" V, "k");
	check(!next("/vmlinuz-" V, config) && ends(config, "/boot/config-" V),
	      "an image outside /boot: the root's /boot/config-VERSION");
	put("/opt/k/bzImage-6.99", "k");
	put("/opt/k/config-6.99", "CONFIG_KEXEC_HANDOVER=y\n");
	check(!next("/opt/k/bzImage-6.99", config) &&
	      ends(config, "/opt/k/config-6.99"),
	      "config-VERSION in the image's own directory");
	put("/opt/k/bzImage", "k");
	check(next("/opt/k/bzImage", config) == -EINVAL,
	      "no bzImage header and no version in the name: -EINVAL");
	put_bzimage("/opt/k/vmlinuz", "6.99 (me@here) #1 SMP");
	check(!next("/opt/k/vmlinuz", config) && ends(config, "/opt/k/config-6.99"),
	      "an unversioned name: the version in its bzImage header");
	put_bzimage("/opt/k/vmlinuz-6.98", "6.99 (me@here) #1 SMP");
	check(!next("/opt/k/vmlinuz-6.98", config) &&
	      ends(config, "/opt/k/config-6.99"),
	      "the header's version wins over the name's");
	put_bzimage("/opt/k/vmlinuz", "../../etc/x #1");
	check(next("/opt/k/vmlinuz", config) == -EINVAL,
	      "a version that is a path is no version");
	check(next("/opt/k/missing-1", config) == -ENOENT && !config[0],
	      "a missing image: -ENOENT, no config named");
}

static void test_cmdline(void)
{
	char *line = strdup("root=/dev/x kho=off ro -- kho=1");

	check(line && !khu_kho_cmdline(&line, true) &&
	      !strcmp(line, "root=/dev/x ro kho=on -- kho=1"),
	      "the boot loader's line: kho=on before --, kho=off dropped");
	free(line);
	line = strdup("root=/dev/x ro");
	check(line && khu_kho_cmdline(&line, false) == -EINVAL &&
	      !strcmp(line, "root=/dev/x ro"),
	      "a line given without kho=on: -EINVAL, unchanged");
	free(line);
	line = strdup("kho=on kho_scratch=16M quiet");
	check(line && !khu_kho_cmdline(&line, false), "given with kho=on: taken");
	free(line);
	line = strdup("kho=1 kho=off");
	check(line && khu_kho_cmdline(&line, false) == -EINVAL,
	      "given, the last kho= says off: -EINVAL");
	free(line);
	line = strdup("quiet kho=y");
	check(line && !khu_kho_cmdline(&line, false), "kho=y is yes (kstrtobool)");
	free(line);
	line = strdup("quiet -- kho=on");
	check(line && khu_kho_cmdline(&line, false) == -EINVAL,
	      "kho=on after -- is init's: -EINVAL");
	free(line);
}

static void test_crash(void)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/kexec_crash_loaded", root);
	put("/kexec_crash_loaded", "1\n");
	check(khu_kho_crash_loaded(path) == 1, "a crash kernel loaded: 1");
	put("/kexec_crash_loaded", "0\n");
	check(khu_kho_crash_loaded(path) == 0, "none loaded: 0");
	unlink(path);
	check(khu_kho_crash_loaded(path) == 0, "no kexec crash support: 0");
}

int main(void)
{
	if (!mkdtemp(root)) {
		check(0, "a temporary root");
		return khu_tap_done();
	}
	test_config();
	test_cmdline();
	test_crash();
	khu_tap_rmtree(root);
	return khu_tap_done();
}
