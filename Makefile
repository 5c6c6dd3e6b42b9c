# anvil build. Modules are discovered: pkg/<m>/*.c (minus *_test.c) form
# libanvil.a, pkg/<m>/*_test.c are cmocka executables, cmd/<bin>/main.c are
# the binaries, test/fuzz/fuzz-<t>.c are libFuzzer targets with a replay
# driver. Nothing here needs editing when a module is added.
#
#   make            build bin/* (gcc, -O2)
#   make check      unit tests + fuzz-corpus replay for this build
#   make test       deps, check (plain and ASan+UBSan), integration tests
#   make fuzz       short libFuzzer runs (clang), FUZZ_SECONDS each
#   make bench      benchmarks in bench/
#   make run        the product on this machine (see README)
#   CC=clang make check / SANITIZE=1 make check select other builds.

CC        ?= cc
SANITIZE  ?=
TSAN      ?=
CCNAME    := $(notdir $(firstword $(CC)))
B         := build/$(CCNAME)$(if $(SANITIZE),-san)$(if $(TSAN),-tsan)
BINDIR    := $(if $(filter cc gcc,$(CCNAME)),$(if $(SANITIZE),$(B)/bin,bin),$(B)/bin)

PKGS      := jansson yaml-0.1 libcurl libwebsockets sqlite3 openssl zlib liblzma libzstd
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
LIBS      := $(PKG_LIBS) -lbz2 -lev -lpthread -lm

WARN      := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes \
             -Wstrict-prototypes -fno-common
SANFLAGS  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
CFLAGS    ?= -O2 -g
CFLAGS    += -std=c11 -D_GNU_SOURCE $(WARN) -Ipkg $(PKG_CFLAGS) -MMD -MP
ifneq ($(SANITIZE),)
CFLAGS    += $(SANFLAGS) -O1
LDFLAGS   += $(SANFLAGS)
endif
ifneq ($(TSAN),)
CFLAGS    += -fsanitize=thread -O1
LDFLAGS   += -fsanitize=thread
endif

MODULES   := $(sort $(notdir $(patsubst %/,%,$(dir $(filter-out %_test.c,$(wildcard pkg/*/*.c))))))
TEST_SRC  := $(wildcard pkg/*/*_test.c)
CMDS      := $(notdir $(patsubst %/,%,$(dir $(wildcard cmd/*/main.c))))
FUZZ_SRC  := $(wildcard test/fuzz/fuzz-*.c)
FUZZ_NAMES := $(patsubst test/fuzz/fuzz-%.c,%,$(FUZZ_SRC))

# pkg/<m>/DEPS lists, on one line, every module <m> links against (transitively).
mod_src   = $(filter-out %_test.c,$(wildcard pkg/$(1)/*.c))
mod_deps  = $(filter $(MODULES),$(1) $(shell cat pkg/$(1)/DEPS 2>/dev/null) base log)
mod_libs  = $(foreach m,$(call mod_deps,$(1)),$(B)/lib/lib$(m).a)
ALL_LIBS  := $(foreach m,$(MODULES),$(B)/lib/lib$(m).a)
# cmd/<bin>/DEPS lists the modules a binary links (every module when absent).
cmd_libs  = $(if $(wildcard cmd/$(1)/DEPS),$(foreach m,$(filter $(MODULES),$(shell cat cmd/$(1)/DEPS) base log),$(B)/lib/lib$(m).a),$(ALL_LIBS))
LINK_GROUP = -Wl,--start-group $(filter %.a,$^) -Wl,--end-group

BINS      := $(addprefix $(BINDIR)/,$(CMDS))
E2E_SRC   := $(wildcard test/e2e/*.c)
E2E_BINS  := $(patsubst test/e2e/%.c,$(B)/e2e/%,$(E2E_SRC))
TESTS     := $(patsubst pkg/%_test.c,$(B)/test/%_test,$(TEST_SRC))
REPLAYS   := $(addprefix $(B)/fuzz-replay/,$(FUZZ_NAMES))

.SECONDARY:
.PHONY: check-tsan tsan-run all check test test-unit test-e2e e2e-drivers fuzz bench run clean deps demo test-upstream
all: $(BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

define MODULE_RULES
$(B)/lib/lib$(1).a: $(patsubst %.c,$(B)/obj/%.o,$(call mod_src,$(1)))
	@mkdir -p $$(dir $$@)
	@rm -f $$@
	ar rcs $$@ $$^
endef
$(foreach m,$(MODULES),$(eval $(call MODULE_RULES,$(m))))

.SECONDEXPANSION:
$(BINDIR)/%: $(B)/obj/cmd/%/main.o $$(call cmd_libs,$$*)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_GROUP) $(LIBS)

# Process-level test drivers: test/e2e/<module>-<what>.c links <module> and its DEPS.
$(B)/e2e/%: $(B)/obj/test/e2e/%.o $$(call mod_libs,$$(firstword $$(subst -, ,$$*)))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_GROUP) $(LIBS)

e2e-drivers: $(E2E_BINS)

# A test links its own module and that module's DEPS only.
$(B)/test/%_test: $(B)/obj/pkg/%_test.o $$(call mod_libs,$$(firstword $$(subst /, ,$$*)))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $< $(LINK_GROUP) -lcmocka $(LIBS)

# test/fuzz/fuzz-<module>-<what>.c links <module> and its DEPS.
$(B)/fuzz-replay/%: $(B)/obj/test/fuzz/fuzz-%.o $(B)/obj/test/fuzz/replay.o $$(call mod_libs,$$(firstword $$(subst -, ,$$*)))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(LINK_GROUP) $(LIBS)

# Unit tests and the fuzz corpora replayed as regression suites.
check: $(BINS) $(TESTS) $(REPLAYS)
	@hack/run-tests.sh unit $(TESTS) -- $(REPLAYS)

test-unit: check

# ThreadSanitizer over the modules that run threads (CI runs it with clang).
TSAN_MODULES := workqueue informer leader events kube httpd agent gateway dhcp tftp apistore
TSAN_TESTS   := $(filter $(foreach m,$(TSAN_MODULES),$(B)/test/$(m)/%),$(TESTS))
check-tsan:
	@$(MAKE) --no-print-directory TSAN=1 tsan-run

tsan-run: $(TSAN_TESTS)
	@TSAN_OPTIONS="halt_on_error=1 suppressions=$(CURDIR)/hack/tsan.supp" \
		hack/run-tests.sh unit $(TSAN_TESTS)

# Integration tests run the sanitizer build of every binary.
test-e2e:
	@$(MAKE) --no-print-directory SANITIZE=1 all e2e-drivers
	@ANVIL_BIN=$(CURDIR)/build/$(CCNAME)-san/bin ANVIL_E2E_BIN=$(CURDIR)/build/$(CCNAME)-san/e2e \
		hack/run-tests.sh e2e test/e2e/*.sh

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory check
	@$(MAKE) --no-print-directory SANITIZE=1 check
	@$(MAKE) --no-print-directory test-e2e
	@hack/run-tests.sh summary

# The same integration suite against a real kube-apiserver + etcd + kube-controller-manager,
# built from the Go module proxy and cached outside the tree (hack/upstream-kube.sh); each test
# gets a fresh one, as it gets a fresh anvil-apiserver under test-e2e.
test-upstream: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory SANITIZE=1 all e2e-drivers
	@hack/upstream-kube.sh build >/dev/null
	@ANVIL_TEST_UPSTREAM=1 ANVIL_BIN=$(CURDIR)/build/$(CCNAME)-san/bin ANVIL_E2E_BIN=$(CURDIR)/build/$(CCNAME)-san/e2e \
		hack/run-tests.sh e2e test/e2e/*.sh
	@hack/run-tests.sh summary

# libFuzzer builds: the library again with clang and coverage instrumentation.
FUZZ_B     := build/fuzz
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Ipkg $(PKG_CFLAGS) -g -O1 \
               -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -MMD -MP
fuzz_objs  = $(foreach m,$(call mod_deps,$(1)),$(patsubst %.c,$(FUZZ_B)/obj/%.o,$(call mod_src,$(m))))
FUZZ_BINS  := $(addprefix $(FUZZ_B)/bin/,$(FUZZ_NAMES))
FUZZ_SECONDS ?= 20

$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_B)/bin/%: $(FUZZ_B)/obj/test/fuzz/fuzz-%.o $$(call fuzz_objs,$$(firstword $$(subst -, ,$$*)))
	@mkdir -p $(dir $@)
	clang -fsanitize=fuzzer,address,undefined -o $@ $^ $(LIBS)

fuzz: $(FUZZ_BINS)
	@hack/run-fuzz.sh $(FUZZ_SECONDS) $(FUZZ_BINS)

bench: all
	@for b in bench/*/run.sh; do [ -x "$$b" ] && ANVIL_BIN=$(CURDIR)/bin "$$b" || exit 1; done

deps:
	@hack/install-deps.sh --if-missing

run: deps
	@$(MAKE) --no-print-directory all
	@hack/run.sh

# A blank QEMU machine provisions itself; the stack stays up until Ctrl-C (docs/demo.md).
demo: $(BINS)
	@ANVIL_BIN=$(CURDIR)/$(BINDIR) hack/demo.sh

clean:
	rm -rf build bin var

-include $(shell find build -name '*.d' 2>/dev/null)
