#!/bin/sh
# bisect.sh: at every commit of the series, switch the series' options on
# (where they exist), then build security/keys/ with W=1; back to master.
D=$(cd "$(dirname "$0")" && pwd)
T=/root/.cache/keyhandover/chroot-trixie/usr/src/kh-upstream-dev
cd $T || exit 1
for c in $(git rev-list --reverse c599a28fd..master); do
	git checkout -q $c || exit 1
	printf 'CONFIG_KEYS_KEXEC_HANDOVER=y\nCONFIG_KEYS_KEXEC_HANDOVER_KUNIT_TEST=y\n' >>.config
	"$D"/kmake.sh -s olddefconfig >/dev/null 2>&1
	opts=$(grep -c '^CONFIG_KEYS_KEXEC_HANDOVER.*=y' .config)
	out=$("$D"/kmake.sh -j2 W=1 security/keys/ 2>&1)
	rc=$?
	printf '%s rc=%s options_on=%s warnings=%s objs=[%s] %s\n' "$(git log --format=%h -1)" $rc "$opts" \
		"$(printf '%s' "$out" | grep -c 'warning:')" \
		"$(printf '%s' "$out" | sed -n 's|^  CC *security/keys/\(kexec[a-z_]*\.o\)$|\1|p' | tr '\n' ' ')" \
		"$(git log --format=%s -1)"
	[ $rc -eq 0 ] || printf '%s\n' "$out" | tail -20
done
git checkout -q master
