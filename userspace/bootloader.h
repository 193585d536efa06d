/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the boot loader would boot next, for `keyhandover load` without
 * --kernel: GRUB's default or saved entry (grub.cfg, grubenv), Boot Loader
 * Specification entries, else the /boot/vmlinuz and /boot/initrd.img links.
 * Parsing is pure (text in, entries out); khu_boot_choose() reads files.
 */
#ifndef KHU_BOOTLOADER_H
#define KHU_BOOTLOADER_H

#include <stdbool.h>
#include <stddef.h>

#define KHU_BOOT_MAX		64	/* menu entries read */
#define KHU_BOOT_STR		1024

struct khu_boot_entry {
	char title[KHU_BOOT_STR];	/* "Submenu>Entry" for nested ones */
	char id[KHU_BOOT_STR];		/* "submenu-id>entry-id", may be empty */
	char index[32];			/* "2" or "1>0", as GRUB counts */
	char kernel[KHU_BOOT_STR];	/* as the boot loader names it */
	char initrd[KHU_BOOT_STR];
	char options[KHU_BOOT_STR];	/* the kernel command line */
	char version[128];		/* BLS only */
	bool unsure;			/* GRUB variables, or cut: refused */
	bool odd_quote;			/* a quote or '\\' in a kernel argument */
};

/* The choice, with where it came from (for load --dry-run). */
struct khu_boot_choice {
	char kernel[KHU_BOOT_STR];	/* host paths */
	char initrd[KHU_BOOT_STR];
	char options[KHU_BOOT_STR];
	char source[3 * KHU_BOOT_STR];	/* e.g. "GRUB saved entry 'Debian...'" */
};

int khu_boot_grub_parse(const char *cfg, struct khu_boot_entry *out,
			unsigned int cap, unsigned int *count,
			char *dflt, size_t dflt_len);
void khu_boot_grubenv_get(const char *env, const char *key, char *out,
			  size_t len);
int khu_boot_grub_find(const struct khu_boot_entry *e, unsigned int n,
		       const char *spec);
int khu_boot_bls_parse(const char *text, const char *name,
		       struct khu_boot_entry *out);
int khu_boot_version_cmp(const char *a, const char *b);
int khu_boot_kernel_release(const char *path, char *out, size_t len);
int khu_boot_choose(const char *root, struct khu_boot_choice *c);

#endif /* KHU_BOOTLOADER_H */
