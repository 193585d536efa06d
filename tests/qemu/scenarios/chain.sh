# shellcheck shell=bash
# chain: the hand-over across kernel versions, 6.1 -> 6.12 -> 7.3
# Boot 1 (Debian 12's kernel) arms and kexecs into Debian 13's 6.12, which
# restores, arms again and hops on to trixie-backports' 7.3 (kh.chain=),
# which restores; the module is built W=1-clean for each.
STAGES="arm hop,restore"
MARKER=restore-ok
IMAGE=chain
LANE=1

scenario_prepare() {
	APPEND+=" kh.next=hop kh.chain=$(printf '%s\n' $CHAIN_KVERS | paste -sd,)"
}

# The kernels the chain's boots ran, from their "KH-KERNEL stage version"
# lines, must be exactly $2 (space-separated).
chain_kernels() {
	local seen
	seen=$(strip_cr "$1/console.log" | awk '$1 == "KH-KERNEL" { printf "%s ", $3 }')
	[ "$seen" = "$2 " ]
}

scenario_checks() {
	check "chain: the boots ran $VER then $CHAIN_KVERS" \
		chain_kernels "$1" "$VER $CHAIN_KVERS"
}
