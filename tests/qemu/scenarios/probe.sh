# shellcheck shell=bash
# probe: harness bring-up, plain kexec-tools (not in the default list)
STAGES="probe probe2"
MARKER=probe-ok
REGION_CHECKS=no
DEFAULT=no
