# shellcheck shell=bash
# poweroff: an armed stash is wiped by a power-off
# As reboot, with a power-off (QEMU pauses at it).
STAGES=armthen
RUN=lifecycle
THEN=poweroff
LANE=2
