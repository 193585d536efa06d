# shellcheck shell=bash
# positive: the hand-over: boot 2 opens the volume with no passphrase
# Boot 1 opens the volume with its passphrase (typed at the tool's prompt
# on the serial console), writes a known line, stashes the key and kexecs
# through `keyhandover load`; boot 2's restore must open the volume from
# the hand-over and read the line back.
STAGES="arm restore"
MARKER=restore-ok
PROMPT='Enter passphrase for'
LANE=1
