# SPDX-License-Identifier: GPL-2.0
#
# Top-level Makefile of the out-of-tree kTLS module. `make help` lists targets.

KVER ?= 6.12.117+deb12-amd64
DEBIAN_KDIR := /usr/src/linux-headers-$(KVER)
KDIR ?= $(if $(wildcard $(DEBIAN_KDIR)/Makefile),$(DEBIAN_KDIR),/lib/modules/$(shell uname -r)/build)

PWD := $(CURDIR)

.PHONY: all module clean help deps
all: module

module:
	$(MAKE) -C $(KDIR) M=$(PWD) modules

clean:
	$(MAKE) -C $(KDIR) M=$(PWD) clean

deps:
	scripts/deps

help:
	@echo 'Targets:'
	@echo '  all / module   build tls.ko against KDIR (default: $(KDIR))'
	@echo '  deps           install every build and test dependency with apt'
	@echo '  clean          remove build products'
	@echo 'Variables:'
	@echo '  KDIR=<dir>     kernel build tree to build against'
