# shellcheck shell=bash
# foreign: a kexec that keyhandover did not load wipes the stash
# Boot 1 arms, then kexec-tools loads the next kernel with a command line
# of its own (no nonce): boot 2's module must wipe the stash at load.
STAGES="arm foreign"
MARKER=foreign-ok
APPEND=" kh.next=foreign kh.loader=kexec"
LANE=1
