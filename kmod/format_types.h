/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The only environment the format codec needs: fixed-width integers and
 * memcpy/memset/memcmp. The kernel and userspace each supply their own.
 */
#ifndef KH_FORMAT_TYPES_H
#define KH_FORMAT_TYPES_H

#ifdef __KERNEL__
#include <linux/kernel.h>
#include <linux/string.h>
#include <linux/types.h>
typedef u8 kh_u8;
typedef u16 kh_u16;
typedef u32 kh_u32;
typedef u64 kh_u64;
typedef size_t kh_size_t;
#else
#include <stddef.h>
#include <stdint.h>
#include <string.h>
typedef uint8_t kh_u8;
typedef uint16_t kh_u16;
typedef uint32_t kh_u32;
typedef uint64_t kh_u64;
typedef size_t kh_size_t;
#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif
#endif

#endif /* KH_FORMAT_TYPES_H */
