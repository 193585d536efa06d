// SPDX-License-Identifier: GPL-2.0
/* keyhandover status (as text, or --json) and wipe. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "format.h"
#include "handover.h"
#include "json.h"
#include "setup.h"
#include "tool.h"

/* @names[@i], or "unknown" where the table has none (a newer module). */
#define khu_name_in(names, i) \
	khu_name_at(names, sizeof(names) / sizeof((names)[0]), i)

static const char *khu_name_at(const char *const *names, size_t n,
			       uint32_t i)
{
	return i < n && names[i] ? names[i] : "unknown";
}

static const char *khu_state_str(uint32_t state)
{
	static const char *const names[] = {
		[KH_STATE_EMPTY] = "empty",
		[KH_STATE_ARMED] = "armed",
		[KH_STATE_PENDING] = "pending",
		[KH_STATE_INVALID] = "invalid",
		[KH_STATE_CONSUMED] = "consumed",
	};

	return khu_name_in(names, state);
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

	return khu_name_in(names, why);
}

/*
 * The names --json gives verdicts and wipes (docs/json.md): the enums'
 * own, so that they never change with the wording of the text above.
 */
static const char *khu_verdict_id(uint32_t verdict)
{
	static const char *const ids[] = {
		[KH_VERDICT_OK] = "ok",
		[KH_VERDICT_EMPTY] = "empty",
		[KH_VERDICT_BAD_MAGIC] = "bad_magic",
		[KH_VERDICT_BAD_VERSION] = "bad_version",
		[KH_VERDICT_TRUNCATED] = "truncated",
		[KH_VERDICT_BAD_CHECKSUM] = "bad_checksum",
		[KH_VERDICT_BAD_HEADER] = "bad_header",
		[KH_VERDICT_BAD_KEY] = "bad_key",
		[KH_VERDICT_BAD_UUID] = "bad_uuid",
		[KH_VERDICT_BAD_NAME] = "bad_name",
		[KH_VERDICT_BAD_ENTRY] = "bad_entry",
		[KH_VERDICT_STALE] = "stale",
	};

	return khu_name_in(ids, verdict);
}

static const char *khu_wipe_id(uint32_t why)
{
	static const char *const ids[] = {
		[KH_WIPE_REQUEST] = "request",
		[KH_WIPE_TIMEOUT] = "timeout",
		[KH_WIPE_READ] = "read",
		[KH_WIPE_FOREIGN] = "foreign",
		[KH_WIPE_INVALID] = "invalid",
		[KH_WIPE_SUSPEND] = "suspend",
		[KH_WIPE_SHUTDOWN] = "shutdown",
	};

	return khu_name_in(ids, why);
}

/*
 * The region: its size from the module; on the memmap= backend also its
 * address and the region= value the module was given (Kexec HandOver
 * allocates the page, and the module does not tell where).
 */
static void khu_status_json_region(struct khu_json *j,
				   const struct kh_status *st)
{
	char region[128];
	uint64_t size, addr;
	bool known;

	known = st->backend == KH_BACKEND_MEMMAP &&
		!khu_load_region(region, sizeof(region)) &&
		!khu_setup_region_parse(region, &size, &addr);
	khu_json_begin_object(j, "region");
	khu_json_uint(j, "size", st->region_size);
	if (known)
		khu_json_uint(j, "address", addr);
	else
		khu_json_null(j, "address");
	khu_json_string(j, "param", known ? region : NULL);
	khu_json_end_object(j);
}

/* What the module says, each field null when there is no answer (@st). */
static void khu_status_json_state(struct khu_json *j,
				  const struct kh_status *st)
{
	bool invalid = st && st->state == KH_STATE_INVALID;
	bool wiped = st && st->wiped != KH_WIPE_NONE;

	khu_json_string(j, "state", st ? khu_state_str(st->state) : NULL);
	khu_json_string(j, "verdict", invalid ? khu_verdict_id(st->verdict) :
			NULL);
	khu_json_string(j, "verdict_text", invalid ?
			kh_format_verdict_str(st->verdict) : NULL);
	if (st) {
		khu_json_uint(j, "entries", st->count);
		khu_json_uint(j, "capacity", st->capacity);
		khu_json_uint(j, "format_version", st->format_version);
		khu_status_json_region(j, st);
	} else {
		khu_json_null(j, "entries");
		khu_json_null(j, "capacity");
		khu_json_null(j, "format_version");
		khu_json_null(j, "region");
	}
	khu_json_string(j, "backend", st ? khu_backend_id(st->backend) : NULL);
	if (st && st->expires_in)
		khu_json_uint(j, "expires_in", st->expires_in);
	else
		khu_json_null(j, "expires_in");
	khu_json_string(j, "last_wiped", wiped ? khu_wipe_id(st->wiped) : NULL);
	khu_json_string(j, "last_wiped_text", wiped ? khu_wipe_str(st->wiped) :
			NULL);
}

/*
 * status --json: one object whatever happened, the module loaded or not
 * (@ret: khu_device_status()'s answer); the exit code is the text's.
 */
static int khu_status_json(struct khu_json *j, int ret,
			   const struct kh_status *st)
{
	bool device = ret != -ENOENT;

	khu_json_bool(j, "loaded", device || !access(KHU_MODULE_SYSFS, F_OK));
	khu_json_bool(j, "device", device);
	khu_status_json_state(j, ret ? NULL : st);
	return khu_report_json_end(j, ret ? KHU_EXIT_FAILURE : KHU_EXIT_OK);
}

int khu_cmd_status(const struct khu_opts *o)
{
	struct kh_status st;
	struct khu_json j;
	int ret;

	if (o->json)
		khu_report_json_begin(&j, "status");
	ret = khu_device_status(&st);
	if (ret == -ENOENT)
		khu_device_error("cannot open " KH_DEVICE_PATH, ret);
	if (o->json)
		return khu_status_json(&j, ret, &st);
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
