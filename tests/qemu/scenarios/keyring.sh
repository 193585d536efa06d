# shellcheck shell=bash
# keyring: the stash taken in the kernel from a logon key, restored
# Boot 1 puts the volume key into the kernel keyring and stashes it from
# there (`stash --keyring`); boot 2 restores as in positive.
STAGES="krarm restore"
MARKER=restore-ok
LANE=1
