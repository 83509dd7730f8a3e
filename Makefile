# argo-server: build, install, test, demo, bench.
# Flags from the environment (dpkg-buildflags hardening) are kept: we only
# append what the code needs.

VERSION		= 0.1.0
PREFIX		?= /usr/local
SBINDIR		?= $(PREFIX)/sbin
BINDIR		?= $(PREFIX)/bin
MANDIR		?= $(PREFIX)/share/man
# argo-worker is no command of its own: argo-server execs it from here
# (or from beside itself, in a build tree).
LIBEXECDIR	?= $(PREFIX)/lib/argo-server
SYSCONFDIR	?= /etc
DESTDIR		?=

CC		?= cc
CFLAGS		?= -O2 -g
WARNFLAGS	= -Wall -Wextra -Werror -Wshadow -Wpointer-arith \
		  -Wstrict-prototypes -Wmissing-prototypes -Wformat=2 \
		  -Wno-format-nonliteral
ARGO_CPPFLAGS	= -D_GNU_SOURCE -DARGO_VERSION='"$(VERSION)"' \
		  -DARGO_WORKER_PATH='"$(LIBEXECDIR)/argo-worker"'
INIH_CFLAGS	:= $(shell pkg-config --cflags inih 2>/dev/null)
INIH_LIBS	:= $(shell pkg-config --libs inih 2>/dev/null || echo -linih)
LIBS		= $(INIH_LIBS) -lcrypt

ALL_CFLAGS	= $(ARGO_CPPFLAGS) $(CPPFLAGS) $(INIH_CFLAGS) $(CFLAGS) $(WARNFLAGS)

# Build directory: one per flavour (plain, asan), so they never mix objects.
# The tree is laid out by process (DESIGN.md 5.2): each folder is built
# with its own include path, so worker code cannot even name a header of
# the master's or the broker's.
B		?= build/plain
COMMON_SRCS	:= $(wildcard src/common/*.c)
MASTER_SRCS	:= $(filter-out src/master/main.c,$(wildcard src/master/*.c))
BROKER_SRCS	:= $(wildcard src/broker/*.c)
WORKER_SRCS	:= $(filter-out src/worker/main.c,$(wildcard src/worker/*.c))
SRCS		:= $(COMMON_SRCS) $(MASTER_SRCS) $(BROKER_SRCS) $(WORKER_SRCS) \
		   src/master/main.c $(wildcard src/worker/main.c)
LIBSRCS		:= $(COMMON_SRCS) $(MASTER_SRCS) $(BROKER_SRCS) $(WORKER_SRCS)
COMMON_OBJS	:= $(COMMON_SRCS:src/%.c=$(B)/obj/%.o)
SERVER_OBJS	:= $(MASTER_SRCS:src/%.c=$(B)/obj/%.o) \
		   $(BROKER_SRCS:src/%.c=$(B)/obj/%.o)
WORKER_OBJS	:= $(WORKER_SRCS:src/%.c=$(B)/obj/%.o)
HDRS		:= $(wildcard src/*/*.h)
INC_common	= -Isrc/common
INC_worker	= -Isrc/worker -Isrc/common
INC_broker	= -Isrc/broker -Isrc/master -Isrc/common
INC_master	= -Isrc/master -Isrc/broker -Isrc/common
INC_all		= -Isrc/common -Isrc/master -Isrc/broker -Isrc/worker
UNITSRCS	:= $(wildcard tests/unit/test_*.c)
UNITBINS	:= $(UNITSRCS:tests/unit/%.c=$(B)/unit/%)
FUZZSRCS	:= $(wildcard tests/fuzz/fuzz_*.c)
FUZZNAMES	:= $(FUZZSRCS:tests/fuzz/%.c=%)
CMOCKA_LIBS	:= $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)

SAN_FLAGS	= -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
		  -fno-omit-frame-pointer
PYTHON		?= /usr/bin/python3
PYTEST		= $(PYTHON) -m pytest -q -p no:cacheprovider
E2E_ARGS	?=

.PHONY: all clean install deps check check-plain check-asan check-valgrind hardened \
	check-worker-image check-layout \
	unit e2e fake-xen-check fuzz-replay fuzz lint lint-cppcheck \
	lint-clang-tidy demo bench soak check-deb

all: argo-server argo-worker argo

argo-server: $(B)/argo-server
	cp $(B)/argo-server $@

argo-worker: $(B)/argo-worker
	cp $(B)/argo-worker $@

$(B)/argo-server: $(B)/obj/master/main.o $(B)/libserver.a $(B)/libcommon.a \
		$(B)/argo-worker
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(filter-out $(B)/argo-worker,$^) \
		$(LIBS)

# The worker links libc alone: neither inih nor libcrypt (DESIGN.md 5.2).
$(B)/argo-worker: $(B)/obj/worker/main.o $(B)/libworker.a $(B)/libcommon.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^

$(B)/libcommon.a: $(COMMON_OBJS)
$(B)/libserver.a: $(SERVER_OBJS)
$(B)/libworker.a: $(WORKER_OBJS)
$(B)/libcommon.a $(B)/libserver.a $(B)/libworker.a:
	rm -f $@
	$(AR) rcs $@ $^

$(B)/obj/%.o: src/%.c $(HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(INC_$(patsubst %/,%,$(dir $*))) -c -o $@ $<

$(B)/unit $(B)/fuzz:
	mkdir -p $@

UNIT_LIBS	= $(B)/libserver.a $(B)/libworker.a $(B)/libcommon.a
$(B)/unit/%: tests/unit/%.c $(UNIT_LIBS) $(wildcard tests/unit/*.h) | $(B)/unit
	$(CC) $(ALL_CFLAGS) $(INC_all) $(LDFLAGS) -o $@ $< $(UNIT_LIBS) \
		$(CMOCKA_LIBS) $(LIBS)

# Fuzz harnesses built with any compiler replay their corpus through a
# small main(); `make fuzz` builds them with clang's libFuzzer instead.
$(B)/fuzz/%: tests/fuzz/%.c tests/fuzz/replay.c $(UNIT_LIBS) | $(B)/fuzz
	$(CC) $(ALL_CFLAGS) $(INC_all) $(LDFLAGS) -o $@ $< tests/fuzz/replay.c \
		$(UNIT_LIBS) $(LIBS)

# The argo client (src/client/): its build and tests are in client.mk.
-include src/client/client.mk

# ---------------------------------------------------------------- tests

# Installs what the build and the tests need when it is missing (as root,
# with apt-get); a no-op on a machine that has everything.
deps:
	@sh tests/deps.sh

unit: $(UNITBINS)
	@set -e; for t in $(UNITBINS); do echo "== $$t"; $$t; done

fuzz-replay: $(FUZZNAMES:%=$(B)/fuzz/%)
	@set -e; for f in $(FUZZNAMES); do \
		echo "== replay $$f"; $(B)/fuzz/$$f tests/fuzz/corpus/$$f; done

# libFuzzer (clang): each harness is built into build/fuzz/ with only the
# sources it needs (FUZZ_SRCS_NAME; all of libargo's when unset) and runs
# FUZZ_SECONDS on a scratch copy of its corpus, so the committed corpus stays
# small.  A crash fails the target and leaves build/fuzz/NAME-crash-*: fix
# it, then add the input to tests/fuzz/corpus/NAME/ for fuzz-replay.
FUZZ_SECONDS	?= 60
FUZZ_CC		?= clang
FUZZ_FLAGS	= -g -O1 -fsanitize=fuzzer,address,undefined \
		  -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_RUNFLAGS	= -max_len=8192 -timeout=10 -rss_limit_mb=2048 \
		  -print_final_stats=1
FUZZ_SRCS_fuzz_line	= src/worker/linebuf.c
FUZZ_SRCS_fuzz_xencfg	= src/common/xencfg.c src/common/xencfg_lex.c
FUZZ_SRCS_fuzz_acl	= src/common/acl.c
FUZZ_SRCS_fuzz_domlist	= src/common/domlist.c
FUZZ_SRCS_fuzz_config	= $(wildcard src/master/config*.c) src/broker/hashcost.c \
			  $(COMMON_SRCS) src/master/log_relay.c $(LIBS)
FUZZ_SRCS_fuzz_privmsg	= src/common/privmsg.c src/common/xencfg.c \
			  src/common/xencfg_lex.c

fuzz:
	@mkdir -p build/fuzz
	$(foreach f,$(FUZZNAMES),$(FUZZ_CC) $(ARGO_CPPFLAGS) $(FUZZ_FLAGS) \
	    $(WARNFLAGS) $(INC_all) -o build/fuzz/$(f) tests/fuzz/$(f).c \
	    $(or $(FUZZ_SRCS_$(f)),$(LIBSRCS) $(LIBS)) &&) true
	@set -e; for f in $(FUZZNAMES); do \
		echo "== fuzz $$f for $(FUZZ_SECONDS) s"; \
		rm -rf build/fuzz/corpus-$$f; mkdir -p build/fuzz/corpus-$$f; \
		if [ -d tests/fuzz/corpus/$$f ]; then \
			cp -R tests/fuzz/corpus/$$f/. build/fuzz/corpus-$$f/; fi; \
		build/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) \
		    $(FUZZ_RUNFLAGS) -artifact_prefix=build/fuzz/$$f- \
		    build/fuzz/corpus-$$f; \
	done

fake-xen-check:
	$(PYTEST) tests/fake-xen

e2e: $(B)/argo-server
	ARGO_BIN=$(CURDIR)/$(B)/argo-server $(PYTEST) tests/e2e $(E2E_ARGS)

# Floods, kills, faults: loopback only, bounded in count and time.
abuse: $(B)/argo-server
	ARGO_BIN=$(CURDIR)/$(B)/argo-server $(PYTEST) tests/abuse $(E2E_ARGS)

# The worker image holds no privileged code (DESIGN.md 5.2): from the binary.
check-worker-image: $(B)/argo-worker $(B)/argo-server
	sh tests/worker_image.sh $(B)/argo-worker $(B)/argo-server

# The tree shows the design: no call circles between files, and worker
# files include nothing of the master's or the broker's.
check-layout: $(B)/argo-server
	$(PYTHON) tests/layout/check_layout.py --self-test src $(COMMON_OBJS) \
		$(SERVER_OBJS) $(WORKER_OBJS) $(B)/obj/master/main.o \
		$(B)/obj/worker/main.o

check-plain: argo-server check-worker-image check-layout unit fuzz-replay \
	e2e abuse client-check

check-asan:
	$(MAKE) B=build/asan CFLAGS="$(SAN_FLAGS)" LDFLAGS="-fsanitize=address,undefined" \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		unit fuzz-replay e2e abuse client-check

# The end-to-end suite with the daemon (and every process it forks) under
# valgrind; any error or definite leak fails the run.  Its own build: under
# valgrind the workers cannot load their seccomp filter (valgrind's own
# system calls would trap), and only this build knows to skip it there.
VG_B		= build/valgrind
check-valgrind:
	$(MAKE) B=$(VG_B) CPPFLAGS="$(CPPFLAGS) -DARGO_VALGRIND" $(VG_B)/argo-server
	ARGO_WRAPPER="valgrind -q --vgdb=no --trace-children=yes --error-exitcode=99 \
	    --leak-check=full --errors-for-leak-kinds=definite \
	    --trace-children-skip=*/fake-xen,*/xl,*/xm,/usr/bin/*" \
	ARGO_BIN=$(CURDIR)/$(VG_B)/argo-server $(PYTEST) tests/e2e -m "not slow" $(E2E_ARGS)
	$(MAKE) client-check-valgrind

check: deps
	$(MAKE) all
	$(MAKE) CC=clang B=build/clang all
	$(MAKE) hardened
	$(MAKE) fake-xen-check
	$(MAKE) check-plain
	$(MAKE) check-asan
	$(MAKE) check-valgrind

# The Debian package end to end: build from a clean copy of HEAD, lintian,
# man page lint, install, init script, remove/upgrade/purge.  Root only
# (it installs and purges argo-server); see tests/deb/check-deb.sh.
# The build as dpkg-buildpackage does it: Debian's hardening flags
# (_FORTIFY_SOURCE makes an ignored write() an error under -Werror).
hardened:
	$(MAKE) B=build/hardened CFLAGS="$$(dpkg-buildflags --get CFLAGS)" \
		CPPFLAGS="$$(dpkg-buildflags --get CPPFLAGS)" \
		LDFLAGS="$$(dpkg-buildflags --get LDFLAGS)" build/hardened/argo-server \
		build/hardened/argo check-worker-image

check-deb:
	sh tests/deb/check-deb.sh

# ---------------------------------------------------------------- lint

# Static analysis; any finding fails.  False positives are suppressed where
# they happen, with their reason; checks left out are in .clang-tidy and
# .cppcheck-suppressions, with theirs.  cppcheck reads no system headers, so
# it is told what glibc on Linux defines and checks the branches the build
# compiles; it also covers the unit tests, fuzz harnesses and bench tools.
# clang-tidy gets the build's own preprocessor flags, src/ only (the tests
# and bench are not held to it), one file per job; its per-file "N warnings
# generated" count (system headers included) is dropped from stderr.
LINT_JOBS	?= $(shell nproc 2>/dev/null || echo 2)
CPPCHECK	?= cppcheck
CLANG_TIDY	?= clang-tidy
CPPCHECK_FLAGS	= --enable=warning,portability --std=c11 --platform=unix64 \
		  --library=posix --library=gnu --inline-suppr \
		  --suppressions-list=.cppcheck-suppressions \
		  --error-exitcode=1 --quiet
# An architecture too: sandbox.c has a filter only for the ones it knows.
CPPCHECK_DEFS	= -D__linux__ -D__x86_64__ -D__GLIBC__=2 -D__GLIBC_MINOR__=36 \
		  -DSYS_close_range=436 -DSYS_pidfd_open=434 -DSYS_rt_sigaction=13
LINTSRCS	:= $(wildcard tests/unit/*.c tests/fuzz/*.c bench/*.c)

lint: lint-cppcheck lint-clang-tidy

lint-cppcheck:
	$(CPPCHECK) $(CPPCHECK_FLAGS) $(ARGO_CPPFLAGS) $(CPPCHECK_DEFS) \
	    $(INIH_CFLAGS) $(INC_all) -Isrc/client $(SRCS) $(CLIENT_SRCS) \
	    $(LINTSRCS) $(wildcard tests/client/unit/*.c)

lint-clang-tidy:
	$(info $(CLANG_TIDY) --quiet FILE -- $(ARGO_CPPFLAGS) $(CPPFLAGS) \
	    $(INIH_CFLAGS)   for each FILE in src/*.c, $(LINT_JOBS) at a time)
	@printf '%s\n' $(SRCS) $(CLIENT_SRCS) | xargs -P $(LINT_JOBS) -I{} sh -c \
	    'e=$$(mktemp) || exit 1; $(CLANG_TIDY) --quiet "$$0" -- "$$@" \
	    2>"$$e"; rc=$$?; grep -v " generated\.$$" "$$e" >&2; rm -f "$$e"; \
	    exit $$rc' {} $(ARGO_CPPFLAGS) $(CPPFLAGS) $(INIH_CFLAGS) $(INC_all)

# ---------------------------------------------------------------- other

install: argo-server argo-worker argo
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(SYSCONFDIR)/argo-server
	install -d $(DESTDIR)$(LIBEXECDIR)
	install -m 0755 argo-server $(DESTDIR)$(SBINDIR)/argo-server
	install -m 0755 argo-worker $(DESTDIR)$(LIBEXECDIR)/argo-worker
	install -m 0755 argo $(DESTDIR)$(BINDIR)/argo
	install -m 0644 man/argo.1 $(DESTDIR)$(MANDIR)/man1/argo.1
	if [ -f man/argo-server.8 ]; then install -m 0644 man/argo-server.8 $(DESTDIR)$(MANDIR)/man8/; fi
	if [ -f man/argo-server.conf.5 ]; then install -m 0644 man/argo-server.conf.5 $(DESTDIR)$(MANDIR)/man5/; fi
	if [ ! -e $(DESTDIR)$(SYSCONFDIR)/argo-server/argo-server.conf ]; then \
		install -m 0640 etc/argo-server.conf $(DESTDIR)$(SYSCONFDIR)/argo-server/argo-server.conf; fi

demo: deps
	$(MAKE) all
	sh tests/demo.sh

# Not part of check: builds argo-server optimised in build/bench, installs the
# libvirtd comparison packages when missing (apt-get, as root), measures on
# loopback in one bounded run and writes bench/results.json.
bench:
	bench/run

# Mixed sessions for SOAK_SECONDS, sampling RSS and descriptors.
SOAK_SECONDS	?= 60
soak: $(B)/argo-server
	ARGO_BIN=$(CURDIR)/$(B)/argo-server SOAK_SECONDS=$(SOAK_SECONDS) \
		$(PYTHON) tests/soak/soak.py

clean:
	rm -rf build argo-server argo-worker argo
