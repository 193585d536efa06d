# shellcheck shell=bash
# passon: a stash left unread is not carried to a third kernel
# Boot 2 leaves the stash unread and kexecs again: boot 3 must find
# nothing.
STAGES="arm passon,passon2"
MARKER=passon-ok
APPEND=" kh.next=passon"
LANE=1
