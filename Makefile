# partvm — see README.md. `make` builds, `make run` boots the embedded test
# guest, `make check` runs every test (unit, real-KVM, lab).

CC      ?= gcc
# The embedded guest is GNU assembler source, whatever compiles the VMM.
GUEST_CC ?= gcc
BUILD   ?= build
PREFIX  ?= /usr/local
DESTDIR ?=
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

PKGS := libpci libudev libnl-3.0 libnl-route-3.0 inih libsystemd json-c libgcrypt liburing libseccomp
# Compiled against, not linked: core/service/notify.c loads libsystemd only
# under a service manager, core/util/gcrypt.c libgcrypt while partvm hashes.
# libnl-3, libnl-route-3, libpci and libudev are linked for the unit tests
# only: partvm (--as-needed) loads them when it configures VFs
# (sriov/netlink.c), describes PCI devices (iommu/pcidb.c) or watches and
# lists devices (core/util/udev.c).
PKGS_DLOPEN := libsystemd libgcrypt

CFLAGS_BASE := -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter \
	-D_GNU_SOURCE -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE \
	-I. -DPARTVM_VERSION='"$(VERSION)"'
# --as-needed: partvm loads only the libraries it calls (libseccomp is for
# the build: core/util/sandbox_gen.c).
LDFLAGS_BASE := -pie -Wl,-z,relro,-z,now -Wl,-z,noexecstack -Wl,--as-needed

ifeq ($(SANITIZE),1)
BUILD := build-san
CFLAGS_BASE += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# The sanitized build is the test build: its test hooks (PARTVM_TEST_*
# environment variables) are compiled out of the release build.
CFLAGS_BASE += -DPARTVM_TEST_HOOKS
LDFLAGS_BASE += -fsanitize=address,undefined
endif

# FUZZ=1: the library built by clang with libFuzzer's coverage and ASan/
# UBSan, for the targets in tests/fuzz/ (make fuzz, make check-fuzz).
ifeq ($(FUZZ),1)
BUILD := build-fuzz
CC := clang
CFLAGS_BASE += -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
LDFLAGS_BASE += -fsanitize=fuzzer,address,undefined
endif

PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(filter-out $(PKGS_DLOPEN),$(PKGS)) 2>/dev/null) -lpthread
CFLAGS  := $(CFLAGS_BASE) $(PKG_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(LDFLAGS_BASE) $(EXTRA_LDFLAGS)

# Every C file of the subsystems goes into one static library; the binary
# and each unit test link against it, so a test pulls in only what it uses.
LIB_SRCS := $(filter-out core/main.c core/util/sandbox_gen.c,$(wildcard core/*.c core/*/*.c vfio/*.c iommu/*.c sriov/*.c))
# The seccomp filters, compiled at build time by sandbox_gen (libseccomp)
# into C that the library includes.
SANDBOX_GEN      := $(BUILD)/core/util/sandbox_gen
SANDBOX_PROGRAMS := $(BUILD)/gen/sandbox_programs
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o) $(SANDBOX_PROGRAMS).o
LIB      := $(BUILD)/libpartvm.a

GUEST_ELF := $(BUILD)/core/guest/testguest.elf
GUEST_OBJ := $(BUILD)/core/guest/blob.o
GUEST_SRCS := core/guest/entry.S \
	$(filter-out core/guest/blob.S core/guest/entry.S,$(wildcard core/guest/*.S))
GUEST_OBJS := $(GUEST_SRCS:%.S=$(BUILD)/%.o)

FUZZ_SRCS  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS  := $(FUZZ_SRCS:%.c=$(BUILD)/%)

UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(UNIT_SRCS:%.c=$(BUILD)/%)
UNIT_HELPERS := $(filter-out $(UNIT_SRCS),$(wildcard tests/unit/*.c))
UNIT_HELPER_OBJS := $(UNIT_HELPERS:%.c=$(BUILD)/%.o)

.PHONY: all run check check-fast check-unit check-units check-kvm check-lab check-layers bench \
	deps deps-test firmware lab-shell install clean fuzz fuzz-build check-fuzz
.DEFAULT_GOAL := all

all: $(BUILD)/partvm

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

comma := ,
$(SANDBOX_GEN): core/util/sandbox_gen.c $(BUILD)/core/util/sandbox_rules.o core/util/sandbox.h
	$(CC) $(CFLAGS) $(subst -fsanitize=fuzzer$(comma),-fsanitize=,$(LDFLAGS)) -o $@ \
		$(filter %.c %.o,$^) $(shell pkg-config --libs libseccomp)

$(SANDBOX_PROGRAMS).c: $(SANDBOX_GEN)
	@mkdir -p $(dir $@)
	$(SANDBOX_GEN) >$@.tmp && mv $@.tmp $@

$(SANDBOX_PROGRAMS).o: $(SANDBOX_PROGRAMS).c
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

# The embedded test guest: a flat 32-bit PVH ELF, linked at its own
# addresses and carried inside partvm as bytes.
# Stripped and without page alignment (-n), it stays a few KiB.
$(BUILD)/core/guest/%.o: core/guest/%.S
	@mkdir -p $(dir $@)
	$(GUEST_CC) -m32 -nostdlib -ffreestanding -fno-pie -Wa,--fatal-warnings \
		-Wa,--noexecstack -MMD -MP -c -o $@ $<

$(GUEST_ELF): $(GUEST_OBJS) core/guest/testguest.ld
	ld -m elf_i386 -nostdlib -static -n -s --no-warn-rwx-segments -T core/guest/testguest.ld -o $@ $(GUEST_OBJS)

$(GUEST_OBJ): core/guest/blob.S $(GUEST_ELF)
	$(GUEST_CC) -c -DTESTGUEST_ELF='"$(GUEST_ELF)"' -o $@ $<

$(BUILD)/partvm: $(BUILD)/core/main.o $(GUEST_OBJ) $(LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(BUILD)/core/main.o $(GUEST_OBJ) $(LIB) $(PKG_LIBS)

# A unit test may ask for linker flags (for example -Wl,--wrap=ioctl to
# mock a syscall edge) with a line "// LDFLAGS: ..." in its source.
$(BUILD)/tests/unit/%: tests/unit/%.c $(LIB) $(GUEST_OBJ) $(UNIT_HELPER_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(shell pkg-config --cflags cmocka) $(LDFLAGS) -o $@ $< \
		$(UNIT_HELPER_OBJS) $(GUEST_OBJ) \
		$(shell sed -n 's,^// LDFLAGS: ,,p' $<) $(LIB) $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# A fuzz target links its own harness, the library and libFuzzer's main;
# "// LDFLAGS: ..." lines as for unit tests.
$(BUILD)/tests/fuzz/%: tests/fuzz/%.c $(LIB) $(GUEST_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(GUEST_OBJ) \
		$(shell sed -n 's,^// LDFLAGS: ,,p' $<) $(LIB) $(PKG_LIBS)

fuzz-build:
	@$(MAKE) --no-print-directory FUZZ=1 $(FUZZ_SRCS:%.c=build-fuzz/%)

# Every target for FUZZ_SECONDS each, from its committed seeds; what they
# find new goes to build-fuzz/corpus/NAME, crashes to build-fuzz/crashes/.
FUZZ_SECONDS ?= 600
fuzz: deps-test
	@$(MAKE) --no-print-directory fuzz-build
	@tests/fuzz/run $(FUZZ_SECONDS) $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/tests/fuzz/%)

# The regression run in make check: each target over its seeds and then
# new inputs for a few seconds.
FUZZ_CHECK_SECONDS ?= 15
check-fuzz: fuzz-build
	@tests/fuzz/run $(FUZZ_CHECK_SECONDS) $(FUZZ_SRCS:tests/fuzz/%.c=build-fuzz/tests/fuzz/%)

deps:
	@scripts/deps build

deps-test:
	@scripts/deps test

# The UEFI firmware (edk2's CloudHvX64 from Debian's source package), built
# once per source version; its path is the last line.
firmware:
	@scripts/firmware

run: deps
	@$(MAKE) --no-print-directory all
	@scripts/run-embedded $(BUILD)/partvm

# Unit tests, and the bad-input tests of the binary (no KVM needed). The
# bzImage parser is tested on Debian's real kernel, fetched (once, cached)
# by the lab's kernel script, the firmware loader on the UEFI firmware
# (built once per edk2 version, minutes the first time).
check-unit: $(UNIT_BINS) $(BUILD)/partvm
	@tests/layers/run
	@tests/lab/selftest
	@tests/scripts/test-apt-source.sh
	@tests/scripts/test-linked.sh $(BUILD)/partvm
	@bz=$$(tests/lab/kernel --bzimage) && fw=$$(scripts/firmware) && fw=$$(echo "$$fw" | tail -n1) && \
	PARTVM_TEST_BZIMAGE=$$bz PARTVM_TEST_FIRMWARE=$$fw scripts/run-unit $(UNIT_BINS) && \
	PARTVM_TEST_BZIMAGE=$$bz PARTVM_TEST_FIRMWARE=$$fw tests/cli/bad-input $(BUILD)/partvm
	@$(MAKE) --no-print-directory check-units

# Includes only go downward between the layers (ARCHITECTURE.md).
check-layers:
	@scripts/check-layers

# The systemd units as installed, checked by systemd-analyze.
check-units: all
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(MAKE) -s --no-print-directory install DESTDIR= PREFIX=$$tmp SYSCONFDIR=$$tmp/etc \
		INSTALL_USER=no >/dev/null && \
	tests/systemd/verify-units $$tmp

# Tiny guests on this machine's /dev/kvm, when it has a usable one. They
# also always run inside the lab (tests/lab/test-kvm.sh), so no machine
# skips them.
check-kvm: all
	@if [ -x build-san/partvm ]; then export PARTVM_SANITIZED=$(abspath build-san/partvm); fi; \
	tests/kvm/run-all --if-usable $(BUILD)/partvm

# The same unit and bad-input tests built with ASan and UBSan; the lab's
# KVM test also runs the sanitized binary against real KVM.
check-san:
	@$(MAKE) --no-print-directory SANITIZE=1 all check-unit

check-lab: all
	@$(MAKE) --no-print-directory SANITIZE=1 all
	@PARTVM=$(abspath $(BUILD)/partvm) PARTVM_SANITIZED=$(abspath build-san/partvm) \
		tests/lab/run-all

check-fast: all check-unit check-kvm

check: deps-test
	@$(MAKE) --no-print-directory all check-unit check-san check-fuzz check-kvm check-lab

bench: deps-test
	@$(MAKE) --no-print-directory all
	@tests/bench/run

lab-shell: deps-test
	@$(MAKE) --no-print-directory all
	@tests/lab/run --shell

# PREFIX=/usr/local (default) or /usr; units go to $(PREFIX)/lib/systemd/system,
# which systemd searches in both cases (/usr/lib/systemd/system is also where
# Debian's merged /usr puts /lib/systemd/system). Configs are examples in
# /etc/partvm/examples: a host.conf there does nothing until copied to
# /etc/partvm/host.conf.
BINDIR     ?= $(PREFIX)/bin
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
# PARTVM_BIN: the binary to install (the lab installs the one under test).
PARTVM_BIN ?= $(BUILD)/partvm
# INSTALL_USER=no: leave the user database alone. Otherwise the system user
# partitions run as once set up (user = in [partition], default partvm) is
# created where $(DESTDIR)/etc/passwd is (a package build without one
# leaves it to its maintainer scripts).
INSTALL_USER ?= yes
install: all
	install -D -m 0755 $(PARTVM_BIN) $(DESTDIR)$(BINDIR)/partvm
	install -d -m 0755 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/partvm/examples/partvm.slice.d
	for u in systemd/*.service.in; do \
		sed 's|@BINDIR@|$(BINDIR)|g' $$u >$(DESTDIR)$(UNITDIR)/$$(basename $$u .in) && \
		chmod 0644 $(DESTDIR)$(UNITDIR)/$$(basename $$u .in) || exit 1; \
	done
	install -m 0644 systemd/partvm.slice $(DESTDIR)$(UNITDIR)/
	install -m 0644 configs/*.conf $(DESTDIR)$(SYSCONFDIR)/partvm/examples/
	install -m 0644 configs/partvm.slice.d/*.conf $(DESTDIR)$(SYSCONFDIR)/partvm/examples/partvm.slice.d/
	@if [ "$(INSTALL_USER)" != no ] && [ -f $(DESTDIR)/etc/passwd ] && \
	    ! grep -q '^partvm:' $(DESTDIR)/etc/passwd; then \
		echo "install: creating the system user partvm (partitions run as it once set up)"; \
		useradd $(if $(DESTDIR),--prefix $(DESTDIR)) --system --user-group --no-create-home \
			--home-dir /nonexistent --shell /usr/sbin/nologin --comment "partvm partitions" \
			partvm; \
	fi

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
