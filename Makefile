# mod_mcp_credentials - build, test, run.  `make help` lists the targets.

APXS        ?= apxs
CC          ?= gcc
HTTPD       ?= /usr/sbin/apache2
PORT        ?= 9090
PERL        ?= perl
SYSPYTHON   ?= /usr/bin/python3

WARN        := -Wall -Wextra -Werror -Wno-missing-field-initializers
CSTD        := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS      ?= -O2 -g
ALL_CFLAGS   = $(CSTD) $(WARN) $(CFLAGS) $(SAN_CFLAGS) -Ijwt -Ilib
LIBS        := -lcjson -lcrypto

ifeq ($(SANITIZE),1)
SAN_CFLAGS  := -fsanitize=address,undefined -fno-omit-frame-pointer
SAN_LDFLAGS := -fsanitize=address,undefined
# httpd itself is not instrumented: every suite runs it through a wrapper
# that preloads the sanitizer runtimes.
export MCP_HTTPD := $(CURDIR)/scripts/httpd-asan
export MCP_SANITIZER_LOG := $(CURDIR)/build/sanitizer/report
# ASan keeps freed memory in quarantine and never hands it back: under it
# the load test's bound on memory growth is loose; the plain run keeps
# 2 MiB, and `make valgrind` looks for leaks.
export LOAD_RSS_GROWTH_KIB := 65536
endif
# One environment for every suite (t/harness/lib.sh, t/run-apache-test.sh,
# t/lib/MCPTest.pm read it): the httpd (a sanitizer or valgrind wrapper
# when asked), the tool, the module, httpd's modules, python and node.
export MCP_HTTPD  ?= $(HTTPD)
export MCP_TOKEN   = $(CURDIR)/$(TOOL)
export MCP_MODULE  = $(CURDIR)/$(MODULE)
export MCP_MODDIR ?= /usr/lib/apache2/modules
export SYSPYTHON
export NODE       ?= node

# Objects remember whether they were built with the sanitizers.
FLAGS_STAMP := build/flags-$(if $(filter 1,$(SANITIZE)),sanitize,plain)

JWT_SRC     := $(sort $(wildcard jwt/*.c))
LIB_SRC     := $(sort $(wildcard lib/*.c))
UNIT_SRC    := $(JWT_SRC) $(LIB_SRC)
UNIT_HDR    := $(wildcard jwt/*.h lib/*.h)
UNIT_TESTS  := $(patsubst t/unit/%.c,build/unit/%,$(sort $(wildcard t/unit/test_*.c)))

GLUE_SRC    := mod_mcp_credentials.c mcp_config.c mcp_http.c mcp_store.c mcp_store_net.c \
               mcp_keys.c mcp_mint.c mcp_ratelimit.c mcp_revocation.c \
               mcp_grants.c mcp_endpoint.c mcp_page.c mcp_consent.c \
               mcp_oauth.c mcp_bearer.c mcp_metadata.c
GLUE_HDR    := mcp_module.h mcp_embedded.h
TEMPLATES   := templates/page.html templates/login.html \
               templates/consent.html templates/page.css templates/page.js
EMBEDDED    := build/embedded.c
MODULE      := .libs/mod_mcp_credentials.so
TOOL        := build/mcp-token

.PHONY: all help deps module tool unit interop apache-test e2e farm browser demo-test \
        screenshots test load fuzz fuzz-regress fuzz-smoke sanitize valgrind bench demo \
        install clean man deb deb-test

FUZZ_SECONDS ?= 10

all: module tool ## build the module and mcp-token (default)

help: ## list the targets
	@grep -E '^[a-z][a-zA-Z0-9_-]*:.*## ' $(MAKEFILE_LIST) | \
	  sed -e 's/:.*## /\t/' | expand -t 16

deps: ## install what is missing (Debian packages, npm packages from the lock file)
	@./scripts/deps.sh

module: $(MODULE) ## build mod_mcp_credentials.so with apxs

$(FLAGS_STAMP): | build
	@rm -f build/flags-*
	@$(MAKE) --no-print-directory clean-objects >/dev/null
	@mkdir -p build && touch $@

$(EMBEDDED): scripts/embed.pl $(TEMPLATES) $(FLAGS_STAMP) | build
	@$(PERL) scripts/embed.pl $@ $(TEMPLATES)

$(MODULE): $(GLUE_SRC) $(GLUE_HDR) $(EMBEDDED) $(UNIT_SRC) $(UNIT_HDR) \
           $(FLAGS_STAMP)
	@echo "  APXS    $@"
	@$(APXS) -c -o mod_mcp_credentials.la \
	  $(addprefix -Wc$(comma),$(CPPFLAGS) $(CSTD) $(WARN) $(SAN_CFLAGS) -I. -Ijwt -Ilib) \
	  $(addprefix -Wl$(comma),$(SAN_LDFLAGS)) \
	  $(GLUE_SRC) $(EMBEDDED) $(UNIT_SRC) $(LIBS) >build.log 2>&1 || \
	  { cat build.log; exit 1; }
	@! grep -i 'warning' build.log || { echo 'warnings are errors'; exit 1; }

comma := ,

tool: $(TOOL) ## build the operator's tool mcp-token

$(TOOL): tools/mcp-token.c $(UNIT_SRC) $(UNIT_HDR) $(FLAGS_STAMP) | build
	@echo "  CC      $@"
	@$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -o $@ tools/mcp-token.c $(UNIT_SRC) \
	  $(LDFLAGS) $(SAN_LDFLAGS) $(LIBS)

build build/unit:
	mkdir -p $@

build/unit/%: t/unit/%.c t/unit/unit.h $(UNIT_SRC) $(UNIT_HDR) $(FLAGS_STAMP) \
              | build/unit
	@echo "  CC      $@"
	@$(CC) $(ALL_CFLAGS) -It/unit -o $@ $< $(UNIT_SRC) $(SAN_LDFLAGS) $(LIBS)

unit: $(UNIT_TESTS) ## run the unit tests (no httpd) and the check of the module's layers
	@fail=0; for t in $(UNIT_TESTS); do \
	  (cd t/unit && ../../$$t) || fail=1; done; \
	  $(PERL) t/layers/check.pl || fail=1; exit $$fail

interop: tool ## cross-check tokens with PyJWT, Crypt::JWT and openssl
	@./t/interop/run.sh

apache-test: module ## run the Apache::Test suite (fails if fewer tests ran than planned)
	@./t/run-apache-test.sh

e2e: all ## real MCP clients through httpd and the module (node, mcp-remote)
	@./t/e2e/run.sh

farm: all ## two nodes behind mod_proxy_balancer sharing Redis, then memcached (docs/farm.md as written): races, outages, a node lost
	@./t/farm/run.sh

load: all ## LOAD_SECONDS (60) of mixed load at concurrency 64, then a graceful key rotation under load
	@./t/load/run.sh

browser: all ## the page in headless Chromium (playwright-core)
	@./t/browser/run.sh

demo-test: all ## make demo and DEMO_AUTH=oidc make demo, driven as a new user would (Chromium, MCP clients)
	@./t/demo/run.sh

screenshots: deps all ## refresh the README's screenshots (docs/*.png) from the demo tests' browser flows
	@DEMO_SCREENSHOTS=$(CURDIR)/docs ./t/demo/run.sh

# Last, the package on a fresh Debian 12 (about 4 minutes); not under
# SANITIZE=1, whose build is not what the package ships.
test: deps ## install, build and run every test
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit interop apache-test e2e farm load fuzz-smoke browser demo-test
	@$(if $(filter 1,$(SANITIZE)),:,$(MAKE) --no-print-directory deb-test)

fuzz: ## run every libFuzzer target for FUZZ_SECONDS (ASan, UBSan)
	@FUZZ_SECONDS=$(FUZZ_SECONDS) ./fuzz/run.sh

fuzz-regress: ## run every fuzzer over its corpus and regression inputs only
	@./fuzz/run.sh --regress

fuzz-smoke: ## the regression inputs, then a few seconds of fuzzing per target (in make test)
	@./fuzz/run.sh --regress
	@FUZZ_SECONDS=3 ./fuzz/run.sh

sanitize: deps ## every suite with the module and units built with ASan and UBSan
	@rm -rf build/sanitizer && mkdir -p build/sanitizer && chmod 777 build/sanitizer
	@$(MAKE) --no-print-directory SANITIZE=1 test
	@if ls build/sanitizer/report.* >/dev/null 2>&1; then \
	  cat build/sanitizer/report.*; echo 'sanitize: reports above'; exit 1; fi
	@echo 'sanitize: no sanitizer report'
	@$(MAKE) --no-print-directory clean-objects >/dev/null

valgrind: deps module ## the Apache::Test suite with httpd -X under valgrind
	@./t/run-valgrind.sh

bench: deps all ## throughput, latency and memory against baselines (bench/results.md)
	@./scripts/deps.sh linux-perf
	@./bench/run.sh

demo: deps all ## run httpd on 127.0.0.1:$(PORT) with the module, a demo login and a fresh key
	@PORT=$(PORT) ./scripts/demo.sh

install: all ## install the module, mcp-token and Debian-style mcp_credentials.load/.conf
	$(APXS) -i -n mcp_credentials mod_mcp_credentials.la
	install -d $(DESTDIR)/etc/apache2/mods-available
	install -m 644 conf/mcp_credentials.load conf/mcp_credentials.conf \
	  $(DESTDIR)/etc/apache2/mods-available/
	install -m 755 $(TOOL) $(DESTDIR)/usr/local/bin/mcp-token

man: ## mcp-token(1) and mod_mcp_credentials(8) from docs/ with pandoc, in build/man
	@./scripts/deps.sh pandoc man-db
	@./scripts/man.sh build/man

deb: ## the Debian package libapache2-mod-mcp-credentials in build/deb, checked by lintian
	@./scripts/deps.sh build-essential dpkg-dev fakeroot lintian
	@./scripts/deps.sh --build-deps
	@./scripts/deb.sh build/deb

deb-test: deb ## the package on a fresh Debian 12 (debootstrap): install, key, mint, upgrade, remove, purge
	@./scripts/deps.sh debootstrap debian-archive-keyring curl perl
	@./t/deb/run.sh build/deb

# Objects only: a SANITIZE=1 build must not link objects built without it.
clean-objects:
	rm -rf build/unit build/embedded.* build/mcp-token build/flags-* .libs *.la *.lo *.slo \
	  jwt/.libs lib/.libs jwt/*.lo jwt/*.slo lib/*.lo lib/*.slo build/.libs

clean: ## remove what the build made
	rm -rf build build.log .libs *.la *.lo *.slo *.o jwt/.libs lib/.libs \
	  jwt/*.lo jwt/*.slo jwt/*.o lib/*.lo lib/*.slo lib/*.o t/logs t/conf/apache_test_config.pm \
	  t/conf/httpd.conf t/conf/extra.conf t/conf/base.conf t/htdocs/index.html
