# shellcheck shell=bash
# negative: no stash, so boot 2 must open nothing
# The same two boots without the stash: restore says nothing was handed
# over (exit 3) and opens nothing.
STAGES="noarm negative"
MARKER=negative-ok
LANE=1
