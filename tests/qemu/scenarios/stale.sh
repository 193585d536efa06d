# shellcheck shell=bash
# stale: a stash armed after the load is refused as stale
# Boot 1 loads the next kernel, then arms again: boot 2 must refuse the
# stash (its nonce is not the one the loaded kernel was given).
STAGES="rearm stale"
MARKER=stale-ok
LANE=1
