# wsbridge build: native build through pkg-config, tests, sanitizers, benchmarks.
#
# Flags are built once here. Each directory adds its programs, tests and
# benchmarks through its own fragment (`*/module.mk`), so the top level never
# needs editing when a module grows:
#
#   PROGRAMS += wsb-foo            ; wsb-foo_SRCS := dir/foo_main.c dir/foo.c
#   TESTS    += test-foo           ; test-foo_SRCS := dir/tests/test_foo.c
#   BENCHES  += bench-foo          ; bench-foo_SRCS := dir/bench_foo.c
#
# Every program, test and benchmark links the core library built from
# harness/*.c (all of it but harness/main.c): the contract code the mocks
# and the harness share lives there exactly once.

PKG_CONFIG ?= pkg-config
PKGS       := libwebsockets libcjson cunit libcurl libcrypto
BUILD      ?= build
SAN        ?=

WARN    := -Wall -Wextra -Werror -Wstrict-prototypes -Wshadow \
           -Wmissing-prototypes -Wformat=2 -Wno-format-nonliteral
OPT     ?= -O2 -g
STD     := -std=gnu11 -D_GNU_SOURCE

# Checked lazily so that `make help` works without the libraries.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS   = $(shell $(PKG_CONFIG) --libs $(PKGS))

FINAL_CFLAGS  = $(STD) $(OPT) $(WARN) $(SAN) -Iharness -MMD -MP $(PKG_CFLAGS) $(CFLAGS)
FINAL_LDFLAGS = $(SAN) $(LDFLAGS)
FINAL_LIBS    = $(PKG_LIBS) -lm -lpthread $(LIBS)

.DEFAULT_GOAL := all

PROGRAMS :=
TESTS    :=
BENCHES  :=

CORE_SRCS := $(filter-out harness/main.c,$(wildcard harness/*.c))
CORE_OBJS := $(CORE_SRCS:%.c=$(BUILD)/obj/%.o)
CORE_LIB  := $(BUILD)/lib/libwsbcore.a

include $(sort $(wildcard */module.mk))

.PHONY: all deps test-deps test asan bench clean help valgrind

all: deps $(PROGRAMS:%=$(BUILD)/bin/%) $(TESTS:%=$(BUILD)/test/%) $(BENCHES:%=$(BUILD)/bench/%)

help:
	@echo "make            build every program into $(BUILD)/bin/"
	@echo "make test       build and run the tests (unit, conformance, a short native run)"
	@echo "make asan       the same under AddressSanitizer + UndefinedBehaviorSanitizer"
	@echo "make valgrind   the unit tests under valgrind memcheck"
	@echo "make bench      benchmarks; they print figures, they never fail on speed"
	@echo "make deps       check (and install when possible) the build dependencies"

# A fresh machine: install what is missing (or say what to install) first.
# deps: the libraries to build; test-deps: also what the tests read or run
# (the JSON-Schema-Test-Suite, valgrind, curl). Both install through
# .ci/deps.sh (apt-get, sudo when not root) or say what to install.
deps:
	@$(PKG_CONFIG) --exists $(PKGS) 2>/dev/null || sh .ci/deps.sh

test-deps:
	@sh .ci/deps.sh

$(CORE_LIB): $(CORE_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

# deps is order-only: it runs before the first compile (also under -j) and
# never makes an object out of date.
$(BUILD)/obj/%.o: %.c | deps
	@mkdir -p $(@D)
	$(CC) $(FINAL_CFLAGS) -c $< -o $@

# One link rule per program, test and benchmark, generated from the fragments.
define LINK_template
$(BUILD)/$(1)/$(2): $$($(2)_SRCS:%.c=$(BUILD)/obj/%.o) $(CORE_LIB)
	@mkdir -p $$(@D)
	$$(CC) $$(FINAL_LDFLAGS) -o $$@ $$^ $$(FINAL_LIBS)
endef
$(foreach p,$(PROGRAMS),$(eval $(call LINK_template,bin,$(p))))
$(foreach t,$(TESTS),$(eval $(call LINK_template,test,$(t))))
$(foreach b,$(BENCHES),$(eval $(call LINK_template,bench,$(b))))

# Tests run from the top of the tree (they find build/bin/ and schemas/ there).
# Every test binary runs even when one fails; the status says whether all passed.
# Then an interop check with a client nobody here wrote (Python websockets)
# and a short native run of every built suite against the real mocks
# (WSB_SKIP_SHORT_NATIVE=1 leaves it out, e.g. for quick iterations).
test: test-deps all
	@BUILD=$(BUILD) sh .ci/run-tests.sh $(TESTS)
	@echo "== interop (Python websockets against wsb-dashboard)"
	@sh mock_server/tests/interop.sh $(BUILD)
	@if [ -z "$$WSB_SKIP_SHORT_NATIVE" ]; then $(MAKE) --no-print-directory short-native; fi

asan:
	$(MAKE) BUILD=build-asan OPT="-O1 -g -fno-omit-frame-pointer" \
	    SAN="-fsanitize=address,undefined -fno-sanitize-recover=undefined" test

valgrind: test-deps all
	@BUILD=$(BUILD) WSB_VALGRIND=1 sh .ci/run-tests.sh $(TESTS)

bench: all
	@for b in $(BENCHES); do echo "== $$b"; $(BUILD)/bench/$$b || exit 1; done

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
