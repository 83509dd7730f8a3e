# The argo client (argo(1)): included by the top Makefile, whose variables
# it uses ($(B), $(CC), $(CFLAGS), $(LDFLAGS), $(WARNFLAGS),
# $(ARGO_CPPFLAGS), $(PYTEST), $(CURDIR)).  libc only: no inih, no crypt.
#
#   make client (or argo)       build/plain/argo, copied to ./argo
#   make client-check           unit tests and tests/client against the
#                               daemon of the same build
#   make client-check-valgrind  the same suite, the client under valgrind
#
# Each build flavour ($(B)) has its own objects in $(B)/client.

CLIENT_SRCS	:= $(wildcard src/client/*.c)
CLIENT_HDRS	:= $(wildcard src/client/*.h) src/common/defs.h src/common/strutil.h
# src/common/strutil.c is the one file the client shares with the daemon.
CLIENT_OBJS	:= $(CLIENT_SRCS:src/client/%.c=$(B)/client/%.o) \
		   $(B)/client/strutil.o
CLIENT_LIBOBJS	:= $(filter-out $(B)/client/argo.o,$(CLIENT_OBJS))
CLIENT_CFLAGS	= $(ARGO_CPPFLAGS) $(CPPFLAGS) -Isrc/common $(CFLAGS) $(WARNFLAGS)
CLIENT_UNITSRCS	:= $(wildcard tests/client/unit/test_*.c)
CLIENT_UNITBINS	:= $(CLIENT_UNITSRCS:tests/client/unit/%.c=$(B)/client/unit/%)
CLIENT_CMOCKA	:= $(shell pkg-config --libs cmocka 2>/dev/null || echo -lcmocka)
CLIENT_TESTS	?=
CLIENT_VALGRIND	= valgrind -q --error-exitcode=99 --leak-check=full \
		  --errors-for-leak-kinds=definite \
		  --suppressions=$(CURDIR)/tests/client/valgrind.supp

.PHONY: client client-unit client-check client-check-valgrind

client: argo

argo: $(B)/argo
	cp $(B)/argo $@

$(B)/argo: $(CLIENT_OBJS)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(CLIENT_OBJS)

$(B)/client/%.o: src/client/%.c $(CLIENT_HDRS) | $(B)/client
	$(CC) $(CLIENT_CFLAGS) -c -o $@ $<

$(B)/client/strutil.o: src/common/strutil.c src/common/strutil.h | $(B)/client
	$(CC) $(CLIENT_CFLAGS) -c -o $@ $<

$(B)/client $(B)/client/unit:
	mkdir -p $@

# cmocka tests of the parsers (hosts, replies) and of a job's stream,
# linked with the client's objects but main.
$(B)/client/unit/%: tests/client/unit/%.c $(CLIENT_LIBOBJS) | $(B)/client/unit
	$(CC) $(CLIENT_CFLAGS) -Isrc/client $(LDFLAGS) -o $@ $< \
		$(CLIENT_LIBOBJS) $(CLIENT_CMOCKA)

client-unit: $(CLIENT_UNITBINS)
	@set -e; for t in $(CLIENT_UNITBINS); do echo "== $$t"; $$t; done

client-check: $(B)/argo $(B)/argo-server client-unit
	ARGO_CLIENT=$(CURDIR)/$(B)/argo ARGO_BIN=$(CURDIR)/$(B)/argo-server \
		$(PYTEST) tests/client $(CLIENT_TESTS)

# The client under valgrind (the daemons are not: tests/e2e does that).
# Tests that cannot run under valgrind skip with their reason.
client-check-valgrind: $(B)/argo $(B)/argo-server
	ARGO_CLIENT_WRAPPER="$(CLIENT_VALGRIND)" \
	ARGO_CLIENT=$(CURDIR)/$(B)/argo ARGO_BIN=$(CURDIR)/$(B)/argo-server \
		$(PYTEST) tests/client -rs $(CLIENT_TESTS)
