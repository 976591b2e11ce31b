# wsbridge build: native build through pkg-config, tests, sanitizers, benchmarks.
#
# Flags are built once here. Every folder that holds code has a `module.mk`
# that builds what lives in that folder and nothing else:
#
#   LIBRARIES     += wsbfoo       ; wsbfoo_SRCS += dir/foo.c      (build/lib/libwsbfoo.a)
#   PROGRAMS      += wsb-foo      ; wsb-foo_SRCS := dir/foo_main.c (build/bin/: shipped)
#   TEST_PROGRAMS += faulty-foo   ; ...                            (build/test/: never shipped)
#   TESTS         += test-foo     ; test-foo_SRCS := dir/test_foo.c (build/test/, run by make test)
#   BENCHES       += bench-foo    ; bench-foo_SRCS := dir/bench_foo.c (build/bench/)
#   BENCH_SCRIPTS += dir/foo.sh   ; a benchmark script make bench runs after the programs
#
# A target links its own objects, then <target>_ARCHIVES (default: the
# suites, the harness core and the contract), then the pkg-config packages
# <target>_PKGS (default: all of $(PKGS)). The mocks set both: they link the
# contract library and libwebsockets only. ARCHITECTURE.md has the layers and
# the include rules (checked by .ci/check-walls.sh in make test).

PKG_CONFIG ?= pkg-config
PKGS       := libwebsockets libcjson cunit libcurl libcrypto libssl
BUILD      ?= build
SAN        ?=
FUZZ_BUILD ?= build-fuzz

WARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wshadow \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
OPT     ?= -O2 -g
STD     := -std=gnu11 -D_GNU_SOURCE

# Checked lazily so that `make help` works without the libraries.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))

.DEFAULT_GOAL := all

LIBRARIES     :=
PROGRAMS      :=
TEST_PROGRAMS :=
TESTS         :=
BENCHES       :=
BENCH_SCRIPTS :=
INCDIRS       :=
FUZZERS       :=
lib = $(BUILD)/lib/lib$(1).a

include $(sort $(shell find harness mock_server suites -name module.mk))

FINAL_CFLAGS  = $(STD) $(OPT) $(WARN) $(SAN) $(INCDIRS:%=-I%) -MMD -MP $(PKG_CFLAGS) $(CFLAGS)
FINAL_LDFLAGS = $(SAN) $(LDFLAGS)

DEFAULT_ARCHIVES = $(call lib,wsbsuites) $(call lib,wsbharness) $(call lib,wsbcontract)

.PHONY: all deps test-deps test asan bench clean help valgrind programs short-native walls \
        list-programs fuzz fuzz-smoke fuzz-merge fuzz-deps compose-check swarm-proof

all: deps $(PROGRAMS:%=$(BUILD)/bin/%) $(TEST_PROGRAMS:%=$(BUILD)/test/%) \
     $(TESTS:%=$(BUILD)/test/%) $(BENCHES:%=$(BUILD)/bench/%)

help:
	@echo "make            build every program into $(BUILD)/bin/ (and the tests)"
	@echo "make programs   only the shipped programs (what the Docker build stage runs)"
	@echo "make test       build and run the tests (walls, unit, conformance, a short native run)"
	@echo "make asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer"
	@echo "make valgrind   the unit tests under valgrind memcheck"
	@echo "make bench      benchmarks; they print figures, they never fail on speed"
	@echo "make swarm-proof  wsb-load as 3 Swarm replicas (docker/stack.yml) on a single-node"
	@echo "                swarm: merged counts == what the dashboard delivered (Docker)"
	@echo "make walls      only the include-rule check (.ci/check-walls.sh)"
	@echo "make compose-check  the Compose files against the Compose Specification (v2's schema)"
	@echo "make deps       check (and install when possible) the build dependencies"
	@echo "make fuzz       libFuzzer targets (clang) for FUZZ_TIME s each (default 60;"
	@echo "                FUZZ_TARGETS picks some); make fuzz-smoke: the seeds only"

# A fresh machine: install what is missing (or say what to install) first.
# deps: the libraries to build; test-deps: also what the tests read or run
# (the JSON-Schema-Test-Suite, valgrind, curl). Both install through
# .ci/deps.sh (apt-get, sudo when not root) or say what to install.
deps:
	@$(PKG_CONFIG) --exists $(PKGS) 2>/dev/null || sh .ci/deps.sh

test-deps:
	@sh .ci/deps.sh

# deps is order-only: it runs before the first compile (also under -j) and
# never makes an object out of date.
$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(FINAL_CFLAGS) -c $< -o $@

define LIB_template
$(call lib,$(1)): $$($(1)_SRCS:%.c=$(BUILD)/obj/%.o)
	@mkdir -p $$(@D)
	rm -f $$@
	$$(AR) rcs $$@ $$^
endef
$(foreach l,$(LIBRARIES),$(eval $(call LIB_template,$(l))))

# One link rule per program, test and benchmark, generated from the fragments.
define LINK_template
$(2)_ARCHIVES ?= $$(DEFAULT_ARCHIVES)
$(2)_PKGS ?= $$(PKGS)
$(BUILD)/$(1)/$(2): $$($(2)_SRCS:%.c=$(BUILD)/obj/%.o) $$($(2)_ARCHIVES)
	@mkdir -p $$(@D)
	$$(CC) $$(FINAL_LDFLAGS) -o $$@ $$^ $$(shell $$(PKG_CONFIG) --libs $$($(2)_PKGS)) -lm -lpthread $$(LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call LINK_template,bin,$(p))))
$(foreach p,$(TEST_PROGRAMS),$(eval $(call LINK_template,test,$(p))))
$(foreach t,$(TESTS),$(eval $(call LINK_template,test,$(t))))
$(foreach b,$(BENCHES),$(eval $(call LINK_template,bench,$(b))))

# Only the shipped programs (no tests, no test peers, no benchmarks): what the
# Docker build stage runs and copies into the images.
programs: deps $(PROGRAMS:%=$(BUILD)/bin/%)

# The include rules between the layers (ARCHITECTURE.md), checked on the tree.
walls:
	@sh .ci/check-walls.sh
	@sh .ci/check-walls.sh --self-test

# The Compose files against the Compose Specification's JSON Schema (what
# Compose v2 applies), with a broken copy that must be refused.
compose-check:
	@sh docker/check-compose.sh

# What check-walls.sh reads: each shipped program and its sources.
list-programs:
	@$(foreach p,$(PROGRAMS),echo "$(p): $($(p)_SRCS)";)

# Tests run from the top of the tree (they find build/ and schemas/ there).
# First the walls, then every test binary (each under a time bound; all run
# even when one fails; the status says whether all passed), then an interop
# check with a client nobody here wrote (Python websockets), the alert rules
# unit tests (promtool) and a short native
# run of every built suite against the real mocks (WSB_SKIP_SHORT_NATIVE=1
# leaves it out, e.g. for quick iterations).
test: test-deps all walls
	@BUILD=$(BUILD) sh .ci/run-tests.sh $(TESTS)
	@echo "== interop (Python websockets against wsb-dashboard)"
	@sh mock_server/tests/interop.sh $(BUILD)
	@echo "== pagecheck (headless Chromium) against its faulty pages"
	@sh harness/tests/pagecheck-selftest.sh
	@echo "== the dashboard's live view in headless Chromium"
	@sh mock_server/tests/liveview.sh $(BUILD)
	@echo "== alert rules (promtool: monitoring/alerts.yml against monitoring/alerts_test.yml)"
	@sh monitoring/test-rules.sh
	@if [ -z "$$WSB_SKIP_SHORT_NATIVE" ]; then $(MAKE) --no-print-directory short-native; fi

# The short native run (make test's end-to-end part): the real dashboard and
# bot on free ports of 127.0.0.1, every built suite at CI sizes; ~30-45 s.
# Its test_report.html is then opened in headless Chromium (pagecheck.js):
# no console error, the verdict, every chart drawn; the screenshot stays in
# $(BUILD)/short-native/test_report.png. The page is checked even when the
# run failed (the report of a failed run must render too).
short-native: $(BUILD)/bin/wsb-harness $(BUILD)/bin/wsb-dashboard $(BUILD)/bin/wsb-bot
	rm -rf $(BUILD)/short-native
	@rc=0; $(BUILD)/bin/wsb-harness --native --profile short --bin-dir $(BUILD)/bin \
	    --results $(BUILD)/short-native --suite-timeout 300 || rc=$$?; \
	echo "== test_report.html in headless Chromium"; \
	timeout 120 node harness/testkit/pagecheck.js --file $(BUILD)/short-native/test_report.html \
	    --timeout 60 --screenshot $(BUILD)/short-native/test_report.png --expect '#verdict' \
	    --expect 'table.suites' --expect '#figures' --expect 'svg#pct-0' --expect 'svg#dist-0' \
	    --expect 'svg#rate-0' --expect 'svg#cpu-0' --expect 'svg#rss-0' --expect 'svg#faults' \
	    --min-charts 6 || rc=1; \
	exit $$rc

# Fuzzing (clang, libFuzzer, ASan + UBSan) in its own build folder; never
# part of make test. The fuzz folders' module.mk add FUZZERS and each one's
# _SRCS, _CORPUS and _DICT; harness/fuzz/README.md says what each target
# checks. fuzz: FUZZ_TIME seconds per target on a scratch copy of its seeds;
# fuzz-smoke: each seed once; fuzz-merge: keeps what a run found that reaches
# new code in the seed folders.
FUZZ_CC       ?= clang
FUZZ_TIME     ?= 60
FUZZ_PKGS     := libcjson libcrypto
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS    = $(STD) -O1 -g -fno-omit-frame-pointer $(WARN) $(FUZZ_SAN) \
                 -fsanitize=fuzzer-no-link $(INCDIRS:%=-I%) -MMD -MP \
                 $(shell $(PKG_CONFIG) --cflags $(FUZZ_PKGS))
FUZZ_SELECTED  = $(if $(FUZZ_TARGETS),$(filter $(FUZZ_TARGETS) $(FUZZ_TARGETS:%=fuzz-%),\
                 $(FUZZERS)),$(FUZZERS))

fuzz-deps: deps
	@sh harness/fuzz/run-fuzz.sh check "$(FUZZ_CC)" || { sh .ci/deps.sh clang libclang-rt-dev && \
	    sh harness/fuzz/run-fuzz.sh check "$(FUZZ_CC)"; }

$(FUZZ_BUILD)/obj/%.o: %.c | fuzz-deps
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SEAM_CFLAGS) -c $< -o $@

define FUZZ_template
$(FUZZ_BUILD)/bin/$(1): $$($(1)_SRCS:%.c=$(FUZZ_BUILD)/obj/%.o)
	@mkdir -p $$(@D)
	$$(FUZZ_CC) $$(FUZZ_SAN) -fsanitize=fuzzer -o $$@ $$^ \
	    $$(shell $$(PKG_CONFIG) --libs $$(FUZZ_PKGS)) -lm
endef
$(foreach f,$(FUZZERS),$(eval $(call FUZZ_template,$(f))))

fuzz fuzz-smoke fuzz-merge: fuzz-deps $(FUZZ_SELECTED:%=$(FUZZ_BUILD)/bin/%)
	@$(if $(FUZZ_SELECTED),:,echo "FUZZ_TARGETS=$(FUZZ_TARGETS) names none of: $(FUZZERS)" >&2; exit 2)
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_TIME=$(FUZZ_TIME) sh harness/fuzz/run-fuzz.sh \
	    $(if $(filter fuzz,$@),run,$(@:fuzz-%=%)) $(foreach f,$(FUZZ_SELECTED),$(f):$($(f)_CORPUS):$($(f)_DICT))

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" test

valgrind: test-deps all
	@BUILD=$(BUILD) WSB_VALGRIND=1 sh .ci/run-tests.sh $(TESTS)

bench: all
	@for b in $(BENCHES); do echo "== $$b"; $(BUILD)/bench/$$b || exit 1; done
	@for s in $(BENCH_SCRIPTS); do echo "== $$s"; $$s || exit 1; done

# Not part of test: it turns the engine into a swarm for the run (see docker/swarm-proof.sh)
swarm-proof:
	docker/swarm-proof.sh --replicas $(or $(REPLICAS),3)

clean:
	rm -rf build build-asan $(FUZZ_BUILD)

-include $(shell find $(BUILD)/obj $(FUZZ_BUILD)/obj -name '*.d' 2>/dev/null)
