# shellcheck shell=bash
# resetarm: a reset with no notifier; the same boot's module wipes at load
# Arm, then SysRq-B (no reboot notifier runs); QEMU resets into the same
# kernel and stage, whose module must wipe the stash at load.
STAGES="resetarm resetarm"
MARKER=resetarm-ok
LANE=1

scenario_prepare() {
	QEMU_ARGS=(-action reboot=reset)
}
