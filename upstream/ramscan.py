#!/usr/bin/env python3
# ramscan.py RAM_DUMP INIT: after vmtest.sh's second boot, look in a dump
# of all guest RAM (QEMU monitor: pmemsave 0 <size> FILE, taken with
# -action reboot=shutdown,shutdown=pause so that the last reboot of the
# guest leaves its memory as it was) for what the hand-over left:
# the descriptor, the record's header and entry, and the raw key bytes.
# A copy of the key bytes that is the selftest program's own constant
# (INIT, the program built from keyctl_preserve_kexec.c) is told apart.
# Manual evidence for docs/upstream.md; not part of make test.
import sys

KEY = bytes([0x81, 0x55, 0xfc, 0xce, 0xc8, 0x26, 0xa1, 0x07,
             0x52, 0x0a, 0xa8, 0x58, 0x56, 0xdd, 0xcb, 0x36,
             0x14, 0x07, 0x8b, 0x0b, 0x65, 0xc9, 0x55, 0x0e,
             0xd4, 0x3d, 0x66, 0x22, 0x40, 0x13, 0x65, 0x65])
DESC = b'KEYKEXEC' + (1).to_bytes(4, 'little') + (0x3000).to_bytes(4, 'little')
HDR = (0x4b45594b).to_bytes(4, 'little') + (1).to_bytes(2, 'little') + \
    (1).to_bytes(2, 'little')
ENTRY = (15).to_bytes(2, 'little') + (32).to_bytes(2, 'little') + \
    b'kselftest:kexec' + KEY


def find_all(buf, pat):
    out, i = [], buf.find(pat)
    while i >= 0:
        out.append(i)
        i = buf.find(pat, i + 1)
    return out


ram = open(sys.argv[1], 'rb').read()
init = open(sys.argv[2], 'rb').read()
fo = init.find(KEY)
left = 0
for name, pat in (('descriptor', DESC), ('record header', HDR),
                  ('record entry', ENTRY)):
    hits = find_all(ram, pat)
    left += len(hits)
    print(f'{name}: {len(hits)} {[hex(h) for h in hits]}')
for off in find_all(ram, KEY):
    own = fo >= 64 and ram[off - 64:off + 96] == init[fo - 64:fo + 96]
    left += not own
    print(f'key bytes at {off:#x}: {"the test program" if own else "A COPY"}')
print('nothing left' if not left else f'{left} left')
sys.exit(1 if left else 0)
