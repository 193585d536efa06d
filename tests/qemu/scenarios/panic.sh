# shellcheck shell=bash
# panic: an armed stash is wiped by a panic
# As reboot, with a panic (panic=-1: QEMU pauses instead of resetting).
STAGES=armthen
RUN=lifecycle
THEN=panic
WIPED_LINE='keyhandover: panic: region wiped'
LANE=1
