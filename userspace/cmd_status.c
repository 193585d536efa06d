// SPDX-License-Identifier: GPL-2.0
/* keyhandover status and wipe. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/reboot.h>
#include <spawn.h>
#include <inttypes.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootloader.h"
#include "cli.h"
#include "cmdline.h"
#include "crypttab.h"
#include "format.h"
#include "handover.h"
#include "kexec.h"
#include "keyring.h"
#include "luks.h"
#include "passphrase.h"
#include "secmem.h"
#include "setup.h"
#include "textfile.h"

#include "tool.h"

static const char *kh_state_str(uint32_t state)
{
	static const char *const names[] = {
		[KH_STATE_EMPTY] = "empty",
		[KH_STATE_ARMED] = "armed",
		[KH_STATE_PENDING] = "pending",
		[KH_STATE_INVALID] = "invalid",
		[KH_STATE_CONSUMED] = "consumed",
	};

	if (state < sizeof(names) / sizeof(names[0]))
		return names[state];
	return "unknown";
}

int kh_cmd_status(const struct kh_opts *o)
{
	struct kh_status st;
	int fd, ret;

	(void)o;
	fd = kh_device_open();
	if (fd < 0)
		return KH_EXIT_FAILURE;
	ret = kh_handover_status(fd, &st);
	kh_handover_close(fd);
	if (ret) {
		kh_device_error("cannot query the hand-over", ret);
		return KH_EXIT_FAILURE;
	}
	if (st.state == KH_STATE_INVALID)
		printf("state: invalid (%s)\n",
		       kh_format_verdict_str(st.verdict));
	else
		printf("state: %s\n", kh_state_str(st.state));
	printf("entries: %u\ncapacity: %u\nregion size: %llu bytes\n"
	       "format version: %u\nbackend: %s\n", st.count, st.capacity,
	       (unsigned long long)st.region_size, st.format_version,
	       st.backend == KH_BACKEND_KHO ? "kho (Kexec HandOver)" :
	       st.backend == KH_BACKEND_MEMMAP ? "memmap" : "unknown");
	if (st.expires_in)
		printf("wiped in: %u s unless collected\n", st.expires_in);
	return KH_EXIT_OK;
}

int kh_cmd_wipe(const struct kh_opts *o)
{
	int fd, ret;

	(void)o;
	fd = kh_device_open();
	if (fd < 0)
		return KH_EXIT_FAILURE;
	ret = kh_handover_wipe(fd);
	kh_handover_close(fd);
	if (ret) {
		kh_device_error("cannot wipe the hand-over", ret);
		return KH_EXIT_FAILURE;
	}
	puts("wiped");
	return KH_EXIT_OK;
}
