# buse — top-level build.  `make` builds everything; `make check` runs all tests.
#
#   make [KDIR=/lib/modules/<krel>/build]   driver, library, busectl, examples
#   make check                              unit tests (host) + integration suite (VM)
#   make unit                               Criterion unit tests (plain and ASan/UBSan)
#   make vmtest [KREL=<krel>]               integration suite in a qemu VM
#   make bench                              fio benchmark in the VM
#
# KDIR: the kernel build tree.  Default: the running kernel's, if installed,
# else the newest installed Debian headers.
TOP := $(CURDIR)
export TOP

KREL_RUNNING := $(shell uname -r)
KDIR ?= $(shell if [ -d /lib/modules/$(KREL_RUNNING)/build ]; then \
		echo /lib/modules/$(KREL_RUNNING)/build; \
	else \
		ls -d /lib/modules/*/build 2>/dev/null | sort -V | tail -n 1; \
	fi)
export KDIR

.PHONY: all driver lib ctl examples unit vmtest check bench clean sparse

all: driver lib ctl examples

driver:
	@if [ -z "$(KDIR)" ] || [ ! -d "$(KDIR)" ]; then \
		echo "buse: no kernel build tree found; install linux-headers-\$$(uname -r) or pass KDIR=" >&2; exit 1; fi
	$(MAKE) -C $(KDIR) M=$(TOP)/driver W=1 modules

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

bench: all
	tests/vm/bench $(if $(KREL),--krel $(KREL))

clean:
	-$(MAKE) -C $(KDIR) M=$(TOP)/driver clean
	$(MAKE) -C libbdus clean
	$(MAKE) -C ctl clean
	$(MAKE) -C examples clean
	$(MAKE) -C tests/unit clean
