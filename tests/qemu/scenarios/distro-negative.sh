# shellcheck shell=bash
# distro-negative: no stash, so Debian's cryptroot asks as ever
# As distro without the stash: cryptroot must ask for the passphrase
# (typed by the host) and keyhandover's boot script must open nothing.
STAGES="distronoarm distro"
MARKER=distro-ok
IMAGE=distro
VOLUME_UUID=$DISTRO_UUID
APPEND=" root=/dev/mapper/cryptroot keyhandover.region=$KH_REGION"
PROMPT='Please unlock disk cryptroot'
RAM_CHECK="boot 2 runs from the open volume, whose key dm-crypt holds"
LANE=1

scenario_checks() {
	check "distro-negative: cryptroot asked for the passphrase" \
		console_has "$1" 'Please unlock disk cryptroot'
	check "distro-negative: keyhandover's boot script opened nothing" \
		eval '! console_has "$1" "keyhandover: volumes opened from the hand-over"'
}
