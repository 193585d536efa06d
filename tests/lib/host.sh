# shellcheck shell=bash
# What a suite on the host alone sources (tests/check.sh, tests/dkms):
# Debian's parts and the result lines.

# shellcheck source=debian.sh
. "$KH_TOP/tests/lib/debian.sh"
# shellcheck source=report.sh
. "$KH_TOP/tests/lib/report.sh"
