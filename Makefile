# buse — top-level build.  `make` builds everything; `make check` runs all tests.
#
#   make [KDIR=/lib/modules/<krel>/build]   driver, library, busectl, examples
#   make check                              unit tests (host) + integration suite (VM)
#   make unit                               Criterion unit tests (plain and ASan/UBSan)
#   make vmtest [KREL=<krel>]               integration suite in a qemu VM
#   make bench                              fio benchmark in the VM
#   make user                               library, busectl, examples (no driver)
#   make install [DESTDIR=] [PREFIX=/usr/local] [UDEVDIR=/etc/udev/rules.d]
#                                           module (extra/, depmod), libbdus,
#                                           headers, pkg-config, busectl,
#                                           examples (as buse-*), udev rule,
#                                           man pages (MANDIR=$(PREFIX)/share/man),
#                                           buse@.service (SYSTEMDUNITDIR=
#                                           $(PREFIX)/lib/systemd/system) and
#                                           its helper (LIBEXECDIR=$(PREFIX)/libexec)
#   make install-user                       the same without the module
#   make uninstall                          the same, removed
#   make dkms-install [DKMS_KREL=<krel>]    buse.ko through DKMS: sources in
#                                           /usr/src/buse-<version>, rebuilt
#                                           for each new kernel (default
#                                           <krel>: the running kernel)
#   make dkms-uninstall                     dkms remove --all, sources removed
#   make dkms-src [DESTDIR=]                only the DKMS sources, under
#                                           $(DESTDIR)/usr/src/buse-<version>
#   make deb                                Debian packages (debian/) in
#                                           build/deb/, built from a copy of
#                                           the tree (see tests/packaging/run)
#
# KDIR: the kernel build tree.  Default: the running kernel's, if installed,
# else the newest installed Debian headers.  `make driver` prints the kernel
# release buse.ko was built for, and when it is not the running kernel, the
# one tests/vm/run boots by default.
TOP := $(CURDIR)
export TOP
include $(TOP)/mk/version.mk

KREL_RUNNING := $(shell uname -r)
KDIR ?= $(shell if [ -d /lib/modules/$(KREL_RUNNING)/build ]; then \
		echo /lib/modules/$(KREL_RUNNING)/build; \
	else \
		ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1; \
	fi)
export KDIR

.PHONY: all driver user lib ctl examples unit vmtest check lint bench clean sparse \
	install install-driver install-user uninstall dkms-install \
	dkms-uninstall dkms-src deb

PREFIX  ?= /usr/local
LIBDIR  ?= $(PREFIX)/lib
INCDIR  ?= $(PREFIX)/include
SBINDIR ?= $(PREFIX)/sbin
BINDIR  ?= $(PREFIX)/bin
UDEVDIR ?= /etc/udev/rules.d
MANDIR  ?= $(PREFIX)/share/man
LIBEXECDIR ?= $(PREFIX)/libexec
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system
# libbdus' headers in $(INCDIR); the uapi header they include as
# <linux/buse.h> in $(INCDIR)/buse/linux, not among the kernel's own
# <linux/...> headers (bdus.pc's Cflags add -I$(INCDIR)/buse).
UAPI_INCDIR := $(INCDIR)/buse
# man/man1/*.1, man/man3/*.3 (.so links included: installed as the files
# they are), man/man7/*.7, man/man8/*.8, relative to man/.
MANPAGES := $(patsubst man/%,%,$(sort $(wildcard man/man1/*.1 man/man3/*.3 \
		man/man7/*.7 man/man8/*.8)))
EXAMPLES := hello null ramdisk file faulty busexmp http nbd cache cow

all: driver user

user: lib ctl examples

driver:
	@if [ -z "$(KDIR)" ] || [ ! -d "$(KDIR)" ]; then \
		echo "buse: no kernel build tree found; install linux-headers-\$$(uname -r) or pass KDIR=" >&2; exit 1; fi
	$(MAKE) -C $(KDIR) M=$(TOP)/driver W=1 modules
	@krel=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
		$(KDIR)/include/generated/utsrelease.h 2>/dev/null); \
	echo "buse: driver/buse.ko built for $${krel:=unknown} (KDIR=$(KDIR))"; \
	if [ "$$krel" != "$(KREL_RUNNING)" ]; then \
		vm=$$(bash -c '. "$$1" && default_krel' - $(TOP)/tests/vm/common.sh 2>/dev/null); \
		echo "buse: that is not the running kernel ($(KREL_RUNNING)): it will not load here"; \
		if [ -n "$$vm" ] && [ "$$vm" != "$$krel" ]; then \
			echo "buse: tests/vm/run boots $$vm by default; make KDIR=/lib/modules/$$vm/build builds for it"; \
		fi; \
	fi

sparse:
	$(MAKE) -C $(KDIR) M=$(TOP)/driver W=1 C=2 modules

lib:
	$(MAKE) -C libbdus

ctl: lib
	$(MAKE) -C ctl

examples: lib
	$(MAKE) -C examples

unit: lib ctl
	$(MAKE) -C tests/unit run

vmtest: all
	tests/vm/run-suite $(if $(KREL),--krel $(KREL))

check:
	tests/check

# checkpatch on driver/ and the uapi header, clang-format on userspace.
lint:
	scripts/lint

bench: all
	tests/vm/bench $(if $(KREL),--krel $(KREL))

# The module goes to /lib/modules/<krel>/extra of the tree it was built for.
install: install-driver install-user

# The release the tree was built for, from utsrelease.h: Debian's headers
# carry only the upstream version (6.1.192) in kernel.release, so
# modules_install would pick /lib/modules/6.1.192 without it.
install-driver: driver
	krel=$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' \
		$(KDIR)/include/generated/utsrelease.h); \
	$(MAKE) -C $(KDIR) M=$(TOP)/driver INSTALL_MOD_DIR=extra CONFIG_MODULE_SIG_ALL= \
		$${krel:+KERNELRELEASE=$$krel} \
		$(if $(DESTDIR),INSTALL_MOD_PATH=$(DESTDIR)) modules_install

install-user: user
	install -d $(DESTDIR)$(LIBDIR)/pkgconfig $(DESTDIR)$(INCDIR) \
		$(DESTDIR)$(UAPI_INCDIR)/linux $(DESTDIR)$(SBINDIR) \
		$(DESTDIR)$(BINDIR) $(DESTDIR)$(UDEVDIR) \
		$(DESTDIR)$(LIBEXECDIR)/buse $(DESTDIR)$(SYSTEMDUNITDIR)
	install -m 0644 libbdus/libbdus.so $(DESTDIR)$(LIBDIR)/libbdus.so.0
	ln -sf libbdus.so.0 $(DESTDIR)$(LIBDIR)/libbdus.so
	install -m 0644 libbdus/libbdus.a $(DESTDIR)$(LIBDIR)/
	install -m 0644 libbdus/include/bdus.h libbdus/include/bdus_ctl.h \
		libbdus/include/bdus_cli.h libbdus/include/buse.h $(DESTDIR)$(INCDIR)/
	install -m 0644 uapi/linux/buse.h $(DESTDIR)$(UAPI_INCDIR)/linux/
	$(MAKE) -C libbdus PREFIX=$(PREFIX) LIBDIR=$(LIBDIR) INCDIR=$(INCDIR) \
		bdus.pc.install
	install -m 0644 libbdus/bdus.pc.install $(DESTDIR)$(LIBDIR)/pkgconfig/bdus.pc
	install -m 0755 ctl/busectl $(DESTDIR)$(SBINDIR)/
	for e in $(EXAMPLES); do \
		install -m 0755 examples/$$e $(DESTDIR)$(BINDIR)/buse-$$e || exit 1; done
	install -m 0644 udev/60-buse.rules $(DESTDIR)$(UDEVDIR)/
	install -m 0755 systemd/buse-service $(DESTDIR)$(LIBEXECDIR)/buse/
	sed 's|@LIBEXECDIR@|$(LIBEXECDIR)|g' systemd/buse@.service.in \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/buse@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/buse@.service
	install -d $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(MANDIR)/man8
	for p in $(MANPAGES); do \
		install -m 0644 man/$$p $(DESTDIR)$(MANDIR)/$$p || exit 1; done
	@if [ -z "$(DESTDIR)" ]; then ldconfig; \
		echo "installed; run 'udevadm control --reload' for the udev rule" \
			"and 'systemctl daemon-reload' for buse@.service"; fi

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/libbdus.so.0 $(DESTDIR)$(LIBDIR)/libbdus.so \
		$(DESTDIR)$(LIBDIR)/libbdus.a $(DESTDIR)$(LIBDIR)/pkgconfig/bdus.pc \
		$(DESTDIR)$(INCDIR)/bdus.h $(DESTDIR)$(INCDIR)/bdus_ctl.h \
		$(DESTDIR)$(INCDIR)/bdus_cli.h $(DESTDIR)$(INCDIR)/buse.h \
		$(DESTDIR)$(UAPI_INCDIR)/linux/buse.h $(DESTDIR)$(SBINDIR)/busectl \
		$(DESTDIR)$(UDEVDIR)/60-buse.rules \
		$(DESTDIR)$(LIBEXECDIR)/buse/buse-service \
		$(DESTDIR)$(SYSTEMDUNITDIR)/buse@.service
	-rmdir $(DESTDIR)$(UAPI_INCDIR)/linux $(DESTDIR)$(UAPI_INCDIR) \
		$(DESTDIR)$(LIBEXECDIR)/buse 2>/dev/null
	for e in $(EXAMPLES); do rm -f $(DESTDIR)$(BINDIR)/buse-$$e; done
	for p in $(MANPAGES); do rm -f $(DESTDIR)$(MANDIR)/$$p; done
	rm -f $(DESTDIR)/lib/modules/$$(sed -n 's/^#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h)/extra/buse.ko*

# DKMS: the module's sources (driver/ and the uapi/ header its Kbuild
# includes) and dkms.conf, with the version filled in, under /usr/src.
DKMS_SRC := /usr/src/buse-$(BUSE_VERSION)
DKMS_ID  := buse/$(BUSE_VERSION)
DKMS_K   := $(if $(DKMS_KREL),-k $(DKMS_KREL))

# The sources alone, under $(DESTDIR) (the Debian package's buse-dkms).
dkms-src:
	@echo "$(BUSE_VERSION)" | grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+' || \
		{ echo "buse: no version in libbdus/include/bdus.h ('$(BUSE_VERSION)')" >&2; exit 1; }
	rm -rf $(DESTDIR)$(DKMS_SRC)
	install -d $(DESTDIR)$(DKMS_SRC)/driver $(DESTDIR)$(DKMS_SRC)/uapi/linux
	install -m 0644 driver/Kbuild $(filter-out %.mod.c,$(wildcard driver/*.[ch])) \
		$(DESTDIR)$(DKMS_SRC)/driver/
	install -m 0644 uapi/linux/buse.h $(DESTDIR)$(DKMS_SRC)/uapi/linux/
	sed 's/^PACKAGE_VERSION="@VERSION@"$$/PACKAGE_VERSION="$(BUSE_VERSION)"/' dkms.conf \
		> $(DESTDIR)$(DKMS_SRC)/dkms.conf
	grep -qx 'PACKAGE_VERSION="$(BUSE_VERSION)"' $(DESTDIR)$(DKMS_SRC)/dkms.conf

dkms-install:
	@command -v dkms >/dev/null || { echo "buse: dkms not found (apt-get install dkms)" >&2; exit 1; }
	@echo "$(BUSE_VERSION)" | grep -Eqx '[0-9]+\.[0-9]+\.[0-9]+' || \
		{ echo "buse: no version in libbdus/include/bdus.h ('$(BUSE_VERSION)')" >&2; exit 1; }
	@if dkms status $(DKMS_ID) 2>/dev/null | grep -q .; then \
		echo "dkms remove $(DKMS_ID) --all (reinstalling)"; \
		dkms remove $(DKMS_ID) --all || exit 1; fi
	$(MAKE) dkms-src DESTDIR=
	dkms add $(DKMS_ID)
	dkms build $(DKMS_ID) $(DKMS_K)
	dkms install $(DKMS_ID) $(DKMS_K)

dkms-uninstall:
	@command -v dkms >/dev/null || { echo "buse: dkms not found" >&2; exit 1; }
	@if dkms status $(DKMS_ID) 2>/dev/null | grep -q .; then \
		echo "dkms remove $(DKMS_ID) --all"; \
		dkms remove $(DKMS_ID) --all || exit 1; fi
	rm -rf $(DKMS_SRC)

# Debian packages: scripts/mkdeb copies the tree to build/deb/buse-<version>
# and runs dpkg-buildpackage there (it writes to the parent, build/deb/).
# DEB_BUILD_OPTIONS defaults to nocheck: the unit tests are `make unit`.
deb:
	scripts/mkdeb

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP)/driver clean
	$(MAKE) -C libbdus clean
	$(MAKE) -C ctl clean
	$(MAKE) -C examples clean
	$(MAKE) -C tests/unit clean
