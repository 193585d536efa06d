// SPDX-License-Identifier: GPL-2.0
/* keyhandover status and wipe. */
#include <errno.h>
#include <stdio.h>

#include "format.h"
#include "handover.h"
#include "tool.h"

static const char *khu_state_str(uint32_t state)
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

/* Why the last stash went (the module remembers it for the boot). */
static const char *khu_wipe_str(uint32_t why)
{
	static const char *const names[] = {
		[KH_WIPE_REQUEST] = "by keyhandover wipe",
		[KH_WIPE_TIMEOUT] = "nobody collected it in time",
		[KH_WIPE_READ] = "read once by keyhandover restore",
		[KH_WIPE_FOREIGN] = "at module load: not for this kernel (no or another keyhandover.nonce=)",
		[KH_WIPE_INVALID] = "at module load: not a valid hand-over",
		[KH_WIPE_SUSPEND] = "suspend or hibernation",
		[KH_WIPE_SHUTDOWN] = "reboot, power-off, or a kexec it was not armed for",
	};

	if (why < sizeof(names) / sizeof(names[0]) && names[why])
		return names[why];
	return "unknown";
}

int khu_cmd_status(const struct khu_opts *o)
{
	struct kh_status st;
	int ret;

	(void)o;
	ret = khu_device_status(&st);
	if (ret == -ENOENT)
		khu_device_error("cannot open " KH_DEVICE_PATH, ret);
	if (ret)
		return KHU_EXIT_FAILURE;
	if (st.state == KH_STATE_INVALID)
		printf("state: invalid (%s)\n",
		       kh_format_verdict_str(st.verdict));
	else
		printf("state: %s\n", khu_state_str(st.state));
	printf("entries: %u\ncapacity: %u\nregion size: %llu bytes\n"
	       "format version: %u\nbackend: %s\n", st.count, st.capacity,
	       (unsigned long long)st.region_size, st.format_version,
	       st.backend == KH_BACKEND_KHO ? "kho (Kexec HandOver)" :
	       st.backend == KH_BACKEND_MEMMAP ? "memmap" : "unknown");
	if (st.expires_in)
		printf("wiped in: %u s unless collected\n", st.expires_in);
	if (st.wiped != KH_WIPE_NONE)
		printf("last wiped: %s\n", khu_wipe_str(st.wiped));
	return KHU_EXIT_OK;
}

int khu_cmd_wipe(const struct khu_opts *o)
{
	int fd, ret;

	(void)o;
	fd = khu_device_open();
	if (fd < 0)
		return KHU_EXIT_FAILURE;
	ret = khu_handover_wipe(fd);
	khu_handover_close(fd);
	if (ret) {
		khu_device_error("cannot wipe the hand-over", ret);
		return KHU_EXIT_FAILURE;
	}
	puts("wiped");
	return KHU_EXIT_OK;
}
