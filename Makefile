# SPDX-License-Identifier: GPL-2.0
#
# ioasid, built out of tree.  `make help` lists the targets.
#
#   make                      ioasid.ko for x86_64 against Debian's 6.12 headers
#   make ARCH=arm64           the same, cross-built (ARCH=powerpc likewise)
#   make KDIR=/lib/modules/$(uname -r)/build    against any other kernel tree
#   make KERNEL=debug         against the debug lane's kernel (KASAN, lockdep,
#                             kmemleak, fault injection), built from
#                             linux-source-6.12 into the cache on first use
#   make IOASID_TEST=1        with the test interfaces (CONFIG_IOMMU_IOASID_TEST:
#                             the fail_nth knob; CONFIG_IOMMU_IOASID_MOCK: the
#                             mock IOMMU), as make check builds it
#   make check [LANES=...]    style gate, then the selftests in the QEMU lanes
#   make demo                 boot the x86-vtd lane and run the tools/ioasid demo
#   make bench [LANES=...]    time map/unmap against VFIO type1 in the same
#                             guest (x86-vtd and x86-virtio-iommu by default)
#   make lint                 the style gate alone: checkpatch, kernel-doc,
#                             sparse, the Sphinx build
#   make deb                  the ioasid-dkms Debian package, into build/deb/
#   make htmldocs             the documentation as HTML, and ioasidctl's man
#                             page, into build/htmldocs/
#   make fetch                download the kernels of all three architectures

ARCH ?= x86_64

ifeq ($(ARCH),x86_64)
DEBARCH := amd64
else ifeq ($(ARCH),arm64)
DEBARCH := arm64
CROSS_COMPILE ?= aarch64-linux-gnu-
else ifeq ($(ARCH),powerpc)
DEBARCH := ppc64el
CROSS_COMPILE ?= powerpc64le-linux-gnu-
else
$(error ARCH must be x86_64, arm64 or powerpc)
endif

IOASID_CACHE ?= $(CURDIR)/.cache
export IOASID_CACHE

KERNEL ?= debian
ifeq ($(filter debian debug,$(KERNEL)),)
$(error KERNEL must be debian or debug)
endif

# Without KDIR, build against Debian's kernel fetched into the cache, or
# against the debug kernel built there.
ifneq ($(origin KDIR),undefined)
FETCH = true
else ifeq ($(KERNEL),debug)
KDIR = $(IOASID_CACHE)/debug-kernel/$(ARCH)/linux
FETCH = scripts/debug-kernel.sh $(ARCH) >/dev/null
else
KDIR = $(IOASID_CACHE)/kernel/$(DEBARCH)/kdir
FETCH = scripts/fetch-kernel.sh $(DEBARCH) >/dev/null
endif

BUILD := $(CURDIR)/build/$(ARCH)
MODULE_BUILD := $(BUILD)/module$(if $(filter debug,$(KERNEL)),-debug)
KSFT_DIR := $(IOASID_CACHE)/linux-source/tools/testing/selftests
# The tools and selftests build with -Werror: a warning is a failed build.
USER_MAKE = $(MAKE) CC=$(CROSS_COMPILE)gcc OUTPUT=$(BUILD)/$(1) \
	KSFT_DIR=$(KSFT_DIR) KHDR_INCLUDES=-I$(CURDIR)/include/uapi \
	EXTRA_CFLAGS=-Werror -C $(1)

# Out of tree, the kernel's autoconf.h knows none of ioasid's options: the
# test interfaces, off by default, are turned on here.
ifeq ($(IOASID_TEST),1)
KBUILD_OPTIONS := CONFIG_IOMMU_IOASID_TEST=y CONFIG_IOMMU_IOASID_MOCK=y
KCFLAGS += -DCONFIG_IOMMU_IOASID_TEST=1 -DCONFIG_IOMMU_IOASID_MOCK=1
endif

# Kbuild writes objects beside the sources, so each architecture builds in
# a tree of links of its own.
# drivers/vfio/vfio.h of the kernel built against: the debug kernel's own
# tree, or linux-source-6.12 (scripts/linux-source.sh checks that it is
# the version of Debian's kernel).
ifeq ($(KERNEL),debug)
IOASID_VFIO_INCLUDE = $(KDIR)/drivers/vfio
else
IOASID_VFIO_INCLUDE = $(IOASID_CACHE)/linux-source/drivers/vfio
endif
KBUILD_MAKE = $(MAKE) -C $(KDIR) M=$(MODULE_BUILD) ARCH=$(ARCH) \
	CROSS_COMPILE=$(CROSS_COMPILE) CONFIG_IOMMU_IOASID=m $(KBUILD_OPTIONS) \
	CONFIG_IOMMU_IOASID_VFIO=m IOASID_VFIO_INCLUDE=$(IOASID_VFIO_INCLUDE) \
	KCFLAGS="$(KCFLAGS) -I$(CURDIR)/include"

.PHONY: all module selftests tools check demo bench lint deb htmldocs fetch \
	clean help

all: module

module:
	@scripts/host-deps.sh build $(ARCH)
	@$(FETCH)
	@scripts/linux-source.sh $(if $(filter debian,$(KERNEL)),$(DEBARCH))
	@mkdir -p $(MODULE_BUILD)
	@cp -rsf $(CURDIR)/drivers/iommu/ioasid/. $(MODULE_BUILD)/
	$(KBUILD_MAKE) modules
	@echo "ioasid: built $(MODULE_BUILD)/ioasid.ko"

selftests:
	@scripts/host-deps.sh build $(ARCH)
	@scripts/linux-source.sh
	$(call USER_MAKE,tools/testing/selftests/ioasid)

tools:
	@scripts/host-deps.sh build $(ARCH)
	$(call USER_MAKE,tools/ioasid)

check:
	@scripts/check.sh test $(LANES)

demo:
	@scripts/check.sh demo x86-vtd

bench:
	@scripts/check.sh bench $(or $(LANES),x86-vtd x86-virtio-iommu)

lint:
	@scripts/lint.sh

deb:
	@scripts/deb.sh

htmldocs:
	@scripts/htmldocs.sh

fetch:
	@for a in amd64 arm64 ppc64el; do scripts/fetch-kernel.sh $$a || exit; done

clean:
	rm -rf build logs

help:
	@sed -n 's/^#   //p' Makefile
