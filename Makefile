# SPDX-License-Identifier: GPL-2.0
#
# keyhandover: hand a LUKS volume key to the next kernel across kexec.
#
#   make                 the module (for KERNELRELEASE) and the tool
#   make demo            the whole thing in QEMU, narrated
#   make test            every test: unit, DKMS, QEMU end to end
#   make bench           what the hand-over saves, into docs/benchmarks.md
#   make fuzz            the format fuzzer, FUZZ_SECONDS (600)
#   make check           static checks: W=1 and sparse, -Werror, cppcheck
#   make install         tool and module into DESTDIR/PREFIX
#   make install-tool    tool and initramfs integration only (module by DKMS)
#   make dkms-install    sources into /usr/src and dkms add/build/install
#   make deb             the Debian packages into build/deb, lintian-checked
#
# Packagers: KERNELRELEASE, KDIR, DESTDIR, PREFIX, V=1 are honoured.

# The one version number of module, tool and DKMS package: the VERSION
# file. kmod/Kbuild and userspace/Makefile read it too. dkms.conf says it
# again, literally, for a `dkms add` of a checkout (tests/dkms/run.sh
# checks that the two agree), and dkms-src copies it as it is.
VERSION := $(shell cat VERSION)
KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
PREFIX ?= /usr/local
DESTDIR ?=
DKMS_DIR := $(DESTDIR)/usr/src/keyhandover-$(VERSION)

# The kernel's build tree is the one thing `make` needs that a fresh
# machine lacks: without it, say so in one line, naming the package and
# the releases that do have theirs, instead of make's "No such file or
# directory. Stop." from inside the kernel's Makefile. kmod/Makefile says
# the same when it is run alone.
KH_HEADERS = $(patsubst /lib/modules/%/build/Makefile,%,$(wildcard /lib/modules/*/build/Makefile))
ifneq ($(filter all module install,$(or $(MAKECMDGOALS),all)),)
ifeq ($(wildcard $(KDIR)/Makefile),)
$(error keyhandover: no kernel headers for $(KERNELRELEASE) ($(KDIR) is missing): apt install linux-headers-$(KERNELRELEASE)$(if $(strip $(KH_HEADERS)), or build for a release that has them: make KERNELRELEASE=$(firstword $(KH_HEADERS)) (headers for: $(strip $(KH_HEADERS))),; no release has headers here))
endif
endif

# What DKMS needs, and nothing else: no tests, no userspace. dkms.conf
# goes in apart, with its version filled in.
DKMS_SOURCES := VERSION kmod/Kbuild kmod/Makefile \
	$(filter-out %.mod.c,$(wildcard kmod/*.c kmod/*.h)) \
	kmod/uapi/keyhandover.h

all: module tool

module:
	$(MAKE) -C kmod KERNELRELEASE=$(KERNELRELEASE) KDIR=$(KDIR) module

tool:
	$(MAKE) -C userspace

deps:
	scripts/deps.sh build

deps-test:
	scripts/deps.sh test

unit:
	$(MAKE) -C userspace check

test: deps-test
	tests/run-all.sh

demo: deps-test
	tests/qemu/run.sh --demo positive

bench: deps-test
	tests/bench/run.sh

fuzz: deps-test
	$(MAKE) -C tests/fuzz run FUZZ_SECONDS=$(or $(FUZZ_SECONDS),600)

check: deps-test
	tests/check.sh

# The tool and the initramfs integration without the module: for a
# machine whose module comes from DKMS (make dkms-install), which would
# otherwise hold two keyhandover.ko under updates/.
install-tool: tool install-initramfs-tools install-dracut install-systemd \
	install-crypttab-awk
	$(MAKE) -C userspace install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

install: install-tool
	$(MAKE) -C kmod KERNELRELEASE=$(KERNELRELEASE) KDIR=$(KDIR) \
		DESTDIR=$(DESTDIR) module module-install

# The dracut module (run dracut -f after); harmless where dracut is absent.
DRACUT_MODULES_DIR ?= /usr/lib/dracut/modules.d
install-dracut:
	install -D -m 0755 integration/dracut/90keyhandover/module-setup.sh \
		$(DESTDIR)$(DRACUT_MODULES_DIR)/90keyhandover/module-setup.sh
	install -D -m 0644 integration/dracut/90keyhandover/keyhandover-restore.service \
		$(DESTDIR)$(DRACUT_MODULES_DIR)/90keyhandover/keyhandover-restore.service
	install -D -m 0644 integration/dracut/90keyhandover/keyhandover-early.service \
		$(DESTDIR)$(DRACUT_MODULES_DIR)/90keyhandover/keyhandover-early.service

# The unattended kexec upgrade's service and timer; the timer stays
# disabled until the administrator enables it (docs/unattended.md).
SYSTEMD_UNIT_DIR ?= /usr/lib/systemd/system
install-systemd:
	install -D -m 0644 integration/systemd/keyhandover-upgrade.service \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/keyhandover-upgrade.service
	install -D -m 0644 integration/systemd/keyhandover-upgrade.timer \
		$(DESTDIR)$(SYSTEMD_UNIT_DIR)/keyhandover-upgrade.timer

# The crypttab cut both initramfs integrations run (awk -f) for the
# image's /etc/keyhandover/crypttab; they find it beside the tool:
# PREFIX/share/keyhandover for PREFIX/sbin/keyhandover.
install-crypttab-awk:
	install -D -m 0644 integration/crypttab-initramfs.awk \
		$(DESTDIR)$(PREFIX)/share/keyhandover/crypttab-initramfs.awk

# The initramfs-tools hook and boot script (run update-initramfs -u after).
INITRAMFS_TOOLS_DIR ?= /usr/share/initramfs-tools
install-initramfs-tools:
	install -D -m 0755 integration/initramfs-tools/hooks/keyhandover \
		$(DESTDIR)$(INITRAMFS_TOOLS_DIR)/hooks/keyhandover
	install -D -m 0755 integration/initramfs-tools/scripts/local-top/keyhandover \
		$(DESTDIR)$(INITRAMFS_TOOLS_DIR)/scripts/local-top/keyhandover

# Copy the module's sources where DKMS looks for them.
dkms-src:
	install -d $(DKMS_DIR)
	for f in $(DKMS_SOURCES); do \
		install -D -m 0644 $$f $(DKMS_DIR)/$$f || exit 1; \
	done
	install -m 0644 dkms.conf $(DKMS_DIR)/dkms.conf

dkms-install: dkms-src
	dkms add -m keyhandover -v $(VERSION)
	dkms build -m keyhandover -v $(VERSION) -k $(KERNELRELEASE)
	dkms install -m keyhandover -v $(VERSION) -k $(KERNELRELEASE)

# The Debian packages (debian/): keyhandover (the tool and its boot
# integration) and keyhandover-dkms (the module's sources), built by
# dpkg-buildpackage from a copy of the tree, so that what debhelper writes
# stays out of the checkout, and checked by lintian: an error or a warning
# that debian/*.lintian-overrides does not explain fails the build.
DEB_DIR := build/deb
DEB_SRC := $(DEB_DIR)/keyhandover-$(VERSION)
deb:
	scripts/deps.sh deb
	rm -rf $(DEB_DIR)
	mkdir -p $(DEB_SRC)
	tar -cf - --exclude=./.git --exclude=./build --exclude='*.o' \
		--exclude='*.ko' --exclude='*.a' . | tar -C $(DEB_SRC) -xf -
	cd $(DEB_SRC) && dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
		{ tail -n 30 ../build.log; exit 1; }
	lintian --fail-on error,warning --suppress-tags-from-file /dev/null \
		$(DEB_DIR)/keyhandover_$(VERSION)_*.changes
	@ls $(DEB_DIR)/*.deb

clean:
	$(MAKE) -C userspace clean
	-$(MAKE) -C kmod KERNELRELEASE=$(KERNELRELEASE) KDIR=$(KDIR) clean
	rm -rf build

.PHONY: all module tool deps deps-test unit test demo bench fuzz check install install-tool install-systemd \
	install-initramfs-tools install-dracut install-crypttab-awk \
	dkms-src dkms-install deb clean
