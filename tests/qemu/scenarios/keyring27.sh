# shellcheck shell=bash
# keyring27: cryptsetup 2.7's keyring link, both ways
# With Debian 13's cryptsetup 2.7 and keyctl in the image: boot 1 opens
# the volume linking its key into the keyring and stashes it from there;
# boot 2 restores it into the keyring and cryptsetup opens from it.
STAGES="kr27arm kr27restore"
MARKER=kr27-ok
IMAGE=initrd27
LANE=1
