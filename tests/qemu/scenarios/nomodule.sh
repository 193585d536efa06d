# shellcheck shell=bash
# nomodule: a next boot without keyhandover; a module loaded later wipes
# Boot 1 arms and kexecs into a boot without the module: the passphrase
# opens the volume as ever; a module loaded later finds the stash pending
# and wipes it on its timeout (threat model, case 25).
STAGES="arm nomodule"
MARKER=nomodule-ok
APPEND=" kh.next=nomodule"
LANE=1
