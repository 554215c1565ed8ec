# lbctl: XDP direct-server-return load balancer with a VRRP control plane.
# One non-recursive Makefile; everything built lands in $(BUILD).
#
#   make            build ./lbctl          make test    every test, via prove
#   make deps       install packages       make bench   benchmark table
#   make fuzz       fuzz for real (FUZZ_SECS per harness, default 300)
#   make demo       netns demo world       make install PREFIX=/usr/local
#   V=1             show full commands     CI=true      warnings are errors

BUILD   ?= build
PREFIX  ?= /usr/local
ARCH    := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')
TRIPLE  := $(shell gcc -dumpmachine)

CC      ?= gcc
CLANG   ?= clang
BPFTOOL ?= bpftool
PKGS    := libbpf libelf zlib libnl-3.0 libnl-route-3.0

ifeq ($(V),1)
Q :=
else
Q := @
endif

WARN    := -Wall -Wextra -Wno-unused-parameter
ifneq ($(CI),)
WARN    += -Werror
endif

CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Iheaders -Iuser -I$(BUILD) \
	   $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

BPF_CFLAGS := -target bpf -O2 -g -D__TARGET_ARCH_$(ARCH) $(WARN) \
	      -Iheaders -Ibpf -I/usr/include/$(TRIPLE)

BPF_SRCS  := $(wildcard bpf/*.bpf.c)
BPF_OBJS  := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS     := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
BPF_HDRS  := $(wildcard bpf/*.h) $(wildcard headers/*.h)

LIB_SRCS  := $(filter-out user/main.c,$(wildcard user/*.c))
LIB_OBJS  := $(patsubst user/%.c,$(BUILD)/user/%.o,$(LIB_SRCS))
USER_HDRS := $(wildcard user/*.h) $(wildcard headers/*.h)

TEST_SRCS := $(wildcard selftests/test_*.c)
TEST_BINS := $(patsubst selftests/%.c,$(BUILD)/selftests/%,$(TEST_SRCS))
TEST_SH   := $(wildcard selftests/e2e_*.sh)
TEST_IDLE := $(wildcard selftests/idle_*.sh)
FUZZ_SECS ?= 300

.PHONY: all deps test unit e2e fuzz bench demo install clean
.DELETE_ON_ERROR:
.SECONDARY:

all: lbctl $(TEST_BINS)

deps:
	$(Q)./scripts/deps.sh

$(BUILD) $(BUILD)/user $(BUILD)/selftests:
	$(Q)mkdir -p $@

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(BPF_HDRS) | $(BUILD)
	@echo "  BPF      $@"
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	@echo "  SKEL     $@"
	$(Q)$(BPFTOOL) gen skeleton $< > $@

$(BUILD)/user/%.o: user/%.c $(USER_HDRS) $(SKELS) | $(BUILD)/user
	@echo "  CC       $@"
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/liblb.a: $(LIB_OBJS)
	@echo "  AR       $@"
	$(Q)$(AR) rcs $@ $^

lbctl: $(BUILD)/user/main.o $(BUILD)/liblb.a
	@echo "  LINK     $@"
	$(Q)$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/selftests/%: selftests/%.c $(wildcard selftests/*.h) $(BUILD)/liblb.a $(USER_HDRS) $(SKELS) | $(BUILD)/selftests
	@echo "  CC       $@"
	$(Q)$(CC) $(CFLAGS) -Iselftests -o $@ $< $(BUILD)/liblb.a $(LDLIBS)

# Unit tests are the C binaries; end-to-end tests are the shell scripts;
# fuzz/run.sh (quick mode) runs every fuzz harness over its corpus. All
# print TAP; prove runs them two at a time (each test has its own
# namespaces), then idle_*.sh alone (timing promises made for an idle
# machine: no rule matches them, so prove runs them last, one by one),
# and ends with its summary.
PAR_RULES := --rules='par=build/selftests/*' --rules='par=selftests/e2e_*' --rules='par=fuzz/*'

TESTS := $(TEST_BINS) $(TEST_SH) fuzz/run.sh $(TEST_IDLE)
# A failed shell test leaves its digest in FAILLOG (selftests/lib.sh). After
# a failure the digest and prove's summary again close the output, where a
# CI log's tail shows them.
FAILLOG := $(BUILD)/test-failures.log
TESTLOG := $(BUILD)/test.log

test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)rm -f $(FAILLOG) $(TESTLOG) $(TESTLOG).rc
	$(Q){ LB_TEST_FAILLOG=$(abspath $(FAILLOG)) prove -j2 $(PAR_RULES) --exec '' $(TESTS) 2>&1; \
		echo $$? >$(TESTLOG).rc; } | tee $(TESTLOG)
	$(Q)[ "$$(cat $(TESTLOG).rc)" = 0 ] || { \
		echo; echo "Failures:"; cut -c1-400 $(FAILLOG) 2>/dev/null; echo; \
		sed -n '/^Test Summary Report/,$$p' $(TESTLOG); exit 1; }

unit: all
	$(Q)prove --exec '' $(TEST_BINS)

e2e: all
	$(Q)prove --exec '' $(TEST_SH) $(TEST_IDLE)

# libFuzzer harnesses for FUZZ_SECS each, then 1,000,000 packets through
# the XDP program; crashes land in fuzz/crashes/.
fuzz: all
	$(Q)./fuzz/run.sh long $(FUZZ_SECS)

bench: all
	$(Q)./scripts/bench.sh

# ARGS=--down only tears a demo down: it needs no packages and no build.
demo:
ifneq ($(ARGS),--down)
	$(Q)./scripts/deps.sh
	$(Q)$(MAKE) --no-print-directory all
endif
	$(Q)./scripts/demo.sh $(ARGS)

install: lbctl
	install -D -m 0755 lbctl $(DESTDIR)$(PREFIX)/sbin/lbctl

clean:
	rm -rf $(BUILD) lbctl
