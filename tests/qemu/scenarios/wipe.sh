# shellcheck shell=bash
# wipe: `keyhandover wipe` leaves nothing in the region or RAM
# As reboot, with the tool's wipe; the guest lives on and holds.
STAGES=armthen
RUN=lifecycle
THEN=wipe
THEN_ENDS=held
LANE=1
