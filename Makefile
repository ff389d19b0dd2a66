# SPDX-License-Identifier: GPL-2.0
#
# Top-level Makefile of the out-of-tree kTLS module. `make help` lists targets.

KVER ?= 6.12.117+deb12-amd64
DEBIAN_KDIR := /usr/src/linux-headers-$(KVER)
# KDIR: Debian's headers of KVER, else KVER's build link, else the running kernel's.
KDIR ?= $(firstword $(patsubst %/Makefile,%,$(wildcard $(DEBIAN_KDIR)/Makefile \
	/lib/modules/$(KVER)/build/Makefile)) /lib/modules/$(shell uname -r)/build)
KERNEL ?= debian

PWD := $(CURDIR)

# make install: tls.ko alone (KTLS_TEST_MODULES=n, see Kbuild) into
# $(INSTALL_MOD_PATH)/lib/modules/<release of KDIR>/$(INSTALL_MOD_DIR),
# which depmod ranks above the in-tree kernel/net/tls/tls.ko.
INSTALL_MOD_DIR ?= updates
DEPMOD ?= depmod
# The release is the one built into the headers (UTS_RELEASE), as in the
# module's vermagic; modules_install is given the same. (Debian's 6.1
# headers have 6.1.192 in include/config/kernel.release, for a kernel
# whose release is 6.1.0-57-amd64.)
KRELEASE = $(or $(shell sed -n 's/.*UTS_RELEASE "\(.*\)".*/\1/p' \
	$(KDIR)/include/generated/utsrelease.h 2>/dev/null),\
	$(error cannot read the kernel release of KDIR=$(KDIR)))
# make deb: tls-dkms_$(KTLS_VERSION)_all.deb into out/deb, built
# (debian/) in a copy of exactly what the package installs.
KTLS_VERSION := $(shell cat VERSION)
DEB_OUT := out/deb
# make selftests-install: the kselftest tree users copy to their test machine.
INSTALL_PATH ?= out/kselftest

MODROOT = $(if $(INSTALL_MOD_PATH),$(abspath $(INSTALL_MOD_PATH)))
MODDIR = $(MODROOT)/lib/modules/$(KRELEASE)

.PHONY: all module installable install uninstall deb clean help deps demo check \
	check-full lint selftests selftests-install payload debug-kernel newest-image newest-kernel vm \
	upstream kunit harness-selftest bench fuzz fuzz-report

all: module

# The build fails if our exports differ from the in-tree tls.ko's.
module:
	$(MAKE) -C $(KDIR) M=$(PWD) modules
	scripts/abi-check $(KDIR)/Module.symvers Module.symvers

# What install builds: tls.ko alone, without the test modules.
installable:
	$(MAKE) -C $(KDIR) M=$(PWD) KTLS_TEST_MODULES=n modules

install: installable
	scripts/abi-check $(KDIR)/Module.symvers Module.symvers
	$(MAKE) -C $(KDIR) M=$(PWD) KTLS_TEST_MODULES=n KERNELRELEASE=$(KRELEASE) \
		INSTALL_MOD_DIR=$(INSTALL_MOD_DIR) INSTALL_MOD_PATH=$(MODROOT) modules_install
	$(DEPMOD) $(if $(MODROOT),-b $(MODROOT)) $(KRELEASE)

uninstall:
	rm -f $(foreach c,ko ko.gz ko.xz ko.zst,$(MODDIR)/$(INSTALL_MOD_DIR)/tls.$(c))
	rmdir --ignore-fail-on-non-empty $(MODDIR)/$(INSTALL_MOD_DIR) 2>/dev/null || true
	$(DEPMOD) $(if $(MODROOT),-b $(MODROOT)) $(KRELEASE)

deb:
	rm -rf $(DEB_OUT)
	mkdir -p $(DEB_OUT)/tls-$(KTLS_VERSION)
	cp -a --parents debian dkms.conf $$(awk '{ print $$1 }' debian/tls-dkms.install) \
		$(DEB_OUT)/tls-$(KTLS_VERSION)/
	cd $(DEB_OUT)/tls-$(KTLS_VERSION) && dpkg-buildpackage -b -us -uc
	@echo "deb: $$(ls $(DEB_OUT)/*.deb)"

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean
	rm -rf out

deps:
	scripts/deps

# The README's two commands.
demo:
	scripts/demo --kernel $(KERNEL)

check:
	scripts/check

# As check, with every upstream case and a long stress run on the debug
# kernel too (slow).
check-full:
	UPSTREAM_ARGS_DEBUG=all SELFTEST_ARGS_DEBUG=all STRESS_OPS_DEBUG=20000 \
		UPSTREAM_ARGS_MATRIX=all SELFTEST_ARGS_MATRIX=all DEVICE_MATRIX=1 \
		scripts/check

lint:
	scripts/lint

selftests:
	$(MAKE) -C selftests

selftests-install:
	$(MAKE) -C selftests install INSTALL_PATH=$(abspath $(INSTALL_PATH))

payload:
	scripts/build-payload --kernel $(KERNEL)

debug-kernel:
	scripts/build-kernel --flavour debug

newest-image:
	scripts/newest-image

newest-kernel:
	scripts/build-kernel --flavour newest

# make vm CMD='run-selftests.sh ulp' KERNEL=debug
vm: payload
	scripts/vm --kernel $(KERNEL) -- $(or $(CMD),sh -c 'modprobe tls && lsmod')

# make upstream KERNEL=debian ARGS='-f tls -v 13_aes_gcm'
upstream: payload
	scripts/upstream-check --kernel $(KERNEL) -- $(ARGS)

kunit:
	scripts/build-payload --kernel debug
	scripts/vm --kernel debug -- run-kunit.sh

harness-selftest:
	scripts/harness-selftest --kernel $(KERNEL)

# make bench ARGS=--quick (or --full, --null-cipher, --scale); see Documentation/performance.rst
bench:
	scripts/bench $(ARGS)

# make fuzz DURATION=3600: both fuzzers on the debug kernel, results in
# out/fuzz/<date>-<seed>; make fuzz-report FUZZ_OUT=<that directory>:
# its coverage of tls.ko per file, line and function.
fuzz:
	scripts/fuzz $(if $(DURATION),--duration $(DURATION)) $(if $(SEED),--seed $(SEED))

fuzz-report:
	scripts/fuzz --report $(or $(FUZZ_OUT),$(lastword $(sort $(wildcard out/fuzz/2*))))

help:
	@echo 'Build:'
	@echo '  all / module      build tls.ko in this directory against KDIR ($(KDIR))'
	@echo '  installable       build tls.ko alone (no test modules) against KDIR'
	@echo '  install           installable, then install it into /lib/modules/<release>/$(INSTALL_MOD_DIR)'
	@echo '                    of KDIR'"'"'s kernel and run depmod (INSTALL_MOD_PATH=<root> to stage)'
	@echo '  uninstall         remove what install installed, run depmod'
	@echo '  deb               the Debian package tls-dkms (sources + dkms.conf) into out/deb'
	@echo '  selftests-install the kselftest tree to run on your own test machine into'
	@echo '                    INSTALL_PATH ($(INSTALL_PATH)): run_kselftest.sh, README'
	@echo '  deps              install every dependency with apt (Debian mirror only)'
	@echo '  debug-kernel      build (once, cached) the KASAN + lockdep + KUnit kernel'
	@echo '  newest-image      fetch (once, cached) Debian'"'"'s image of the newest kernel (KERNEL=newest)'
	@echo '  newest-kernel     build (once, cached) that source with our config (KERNEL=newest-built)'
	@echo '  payload           build module + test programs for KERNEL into out/KERNEL/payload'
	@echo '  clean             remove build products and out/'
	@echo 'Run:'
	@echo '  demo              boot Debian 6.12 in QEMU, load tls.ko, show kTLS at work'
	@echo '  check             the whole test suite with a summary table (CI runs this)'
	@echo '  check-full        check, with every case on every kernel and a long stress run on debug'
	@echo '  lint              checkpatch --strict, sparse + W=1, shellcheck'
	@echo '  vm CMD=...        run CMD in a guest of KERNEL with the payload at /ktls'
	@echo '  upstream ARGS=... upstream net/tls.c selftest vs the expected-results file'
	@echo '  kunit             KUnit suites on the debug kernel'
	@echo '  harness-selftest  prove the VM harness fails on a splat'
	@echo '  bench ARGS=...    benchmark vs in-tree tls.ko, OpenSSL, TCP, AEAD (--quick, --full, --null-cipher, --scale)'
	@echo '  fuzz DURATION=SEC both fuzzers on the debug kernel (KCOV), results in out/fuzz/'
	@echo '  fuzz-report       coverage of tls.ko per file/line/function of a fuzz run (FUZZ_OUT=DIR)'
	@echo 'Variables: KDIR=<build tree>  KERNEL=debian|debian61|newest|debug|newest-built  KVER=$(KVER)'
