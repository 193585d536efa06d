# shellcheck shell=bash
# reboot: an armed stash is wiped by a reboot
# Arm, the host dumps RAM (the key must be there: the positive control),
# then the guest reboots; QEMU pauses at the reset: the region and all
# RAM must be free of the key.
STAGES=armthen
RUN=lifecycle
THEN=reboot
LANE=1
