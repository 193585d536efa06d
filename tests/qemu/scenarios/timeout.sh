# shellcheck shell=bash
# timeout: a stash not collected in time is wiped
# As wipe, with the module's arm timeout running out instead.
STAGES=armthen
RUN=lifecycle
THEN=timeout
THEN_ENDS=held
WIPED_LINE='keyhandover: stash not collected in time: region wiped'
LANE=1
