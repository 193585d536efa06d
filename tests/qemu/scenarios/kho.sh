# shellcheck shell=bash
# kho: the hand-over on the Kexec HandOver backend, no memmap=
# As positive, on the KHO test kernel (Debian's 7.3 source with
# tests/qemu/kho.config and debug.config) booted with kho=on: the module
# asks Kexec HandOver for its page and finds it again after the kexec.
STAGES="arm restore"
MARKER=restore-ok
IMAGE=kho
BACKEND=kho
LANE=1
# Last in its lane: on a cold cache make test is still building its
# kernel when the lane starts.
ORDER=90

# Both boots ran the KHO backend and no other.
kho_backend_used() {
	[ "$(strip_cr "$1/console.log" | grep -c 'preserved by Kexec HandOver$')" = 2 ] &&
		[ "$(strip_cr "$1/console.log" | grep -c '^backend: kho (Kexec HandOver)$')" -ge 2 ] &&
		! console_has "$1" 'backend: memmap'
}

scenario_checks() {
	check "kho: both boots used the Kexec HandOver backend (no memmap=)" \
		kho_backend_used "$1"
}
