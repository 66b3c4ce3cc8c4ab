# ctxd — build context minimizer for Docker.  GNU make, non-recursive.
# `make` builds, `make check` runs every test (also under ASan+UBSan),
# `make bench` runs the benchmarks, `make install` honours PREFIX and DESTDIR.

VERSION   := 0.1.0
PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
MANDIR    ?= $(PREFIX)/share/man
CC        ?= cc
PKG_CONFIG ?= pkg-config
B         ?= build

PKGS      := libpcre2-8 libcrypto jansson libsystemd libgit2
WARN      := -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wstrict-prototypes \
             -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Wwrite-strings -Wvla
HARDEN    := -fstack-protector-strong -fPIE
OPT       ?= -O2 -g -D_FORTIFY_SOURCE=3
CFLAGS    ?=
CPPFLAGS  += -Iinclude -DCTXD_VERSION='"$(VERSION)"'
ALLCFLAGS := -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(HARDEN) $(OPT) \
             $(shell $(PKG_CONFIG) --cflags $(PKGS)) $(CFLAGS)
LDLIBS    := $(shell $(PKG_CONFIG) --libs $(PKGS)) -lm -pthread
ALLLDFLAGS := -pie -Wl,-z,relro,-z,now $(LDFLAGS)

# The daemon's own files (main, socket, clients, commands) link into
# build/ctxd only; everything else in daemon/ is the engine library that
# ctxctl --no-daemon and the unit tests link too.
DAEMON_SRC := daemon/ctxd.c daemon/server.c daemon/conn.c \
              daemon/cmd.c daemon/registry.c
ENGINE_SRC := $(filter-out $(DAEMON_SRC),$(sort $(wildcard daemon/*.c)))
CLI_SRC    := $(sort $(wildcard cli/*.c))
TEST_SRC   := $(sort $(wildcard tests/unit/test_*.c))
ENGINE_OBJ := $(ENGINE_SRC:%.c=$(B)/%.o)
CLI_OBJ    := $(CLI_SRC:%.c=$(B)/%.o)
DAEMON_OBJ := $(DAEMON_SRC:%.c=$(B)/%.o)
TESTS      := $(TEST_SRC:tests/unit/%.c=$(B)/tests/%)
LIB        := $(B)/libctxd.a

.PHONY: all check check-unit check-integ check-oracle check-san bench \
        check-units install uninstall clean format fuzz valgrind
all: $(B)/ctxctl $(B)/ctxd

$(B)/%.o: %.c $(wildcard include/*.h)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(ALLCFLAGS) -c -o $@ $<

$(LIB): $(ENGINE_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/ctxctl: $(CLI_OBJ) $(LIB)
	$(CC) $(ALLCFLAGS) $(ALLLDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/ctxd: $(DAEMON_OBJ) $(LIB)
	$(CC) $(ALLCFLAGS) $(ALLLDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: tests/unit/%.c $(LIB) $(wildcard include/*.h) tests/unit/testutil.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(ALLCFLAGS) -Wno-missing-prototypes $(ALLLDFLAGS) \
	    -o $@ $< $(LIB) $(LDLIBS) $$($(PKG_CONFIG) --libs cmocka)

# Unit tests run from the top directory (they read tests/data and ../shared).
check-unit: $(TESTS)
	@for t in $(TESTS); do echo "== $$t"; $$t || exit 1; done

# Each suite gets a private daemon socket (the commands without --no-daemon
# start ctxd there), stopped afterwards.
check-integ: $(B)/ctxctl $(B)/ctxd
	@for t in tests/integ/*.sh; do echo "== $$t"; rt=$$(mktemp -d); \
	    env -u DOCKER_BUILDKIT CTXD_SOCKET=$$rt/ctxd.sock CTXCTL=$(CURDIR)/$(B)/ctxctl \
	        CTXD=$(CURDIR)/$(B)/ctxd bash $$t; rc=$$?; \
	    $(B)/ctxctl --socket $$rt/ctxd.sock shutdown 2>/dev/null; rm -rf $$rt; \
	    [ $$rc = 0 ] || exit 1; done

check-oracle: $(B)/ctxctl
	CTXCTL=$(CURDIR)/$(B)/ctxctl bash tests/oracle.sh

# The same suites under AddressSanitizer + UndefinedBehaviorSanitizer, no recovery.
check-san:
	$(MAKE) B=build-san OPT='-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all' \
	    LDFLAGS='-fsanitize=address,undefined' check-unit check-integ check-oracle

check: check-unit check-integ check-oracle check-san

# bench/daemon's timing helper: plain C, no library (see bench/ctxbench.c).
$(B)/ctxbench: bench/ctxbench.c
	@mkdir -p $(@D)
	$(CC) -std=c11 -D_GNU_SOURCE -pthread $(WARN) $(HARDEN) $(OPT) $(CFLAGS) \
	    $(ALLLDFLAGS) -o $@ $< -pthread

bench: $(B)/ctxctl $(B)/ctxd $(B)/ctxbench
	bash bench/run
	bash bench/daemon

UNITDIR ?= $(PREFIX)/lib/systemd/user
install: $(B)/ctxctl $(B)/ctxd
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(UNITDIR)
	install -m 0755 $(B)/ctxctl $(DESTDIR)$(BINDIR)/ctxctl
	install -m 0755 $(B)/ctxd $(DESTDIR)$(BINDIR)/ctxd
	install -m 0644 man/ctxctl.1 $(DESTDIR)$(MANDIR)/man1/ctxctl.1
	install -m 0644 man/ctxd.8 $(DESTDIR)$(MANDIR)/man8/ctxd.8
	install -m 0644 systemd/ctxd.socket $(DESTDIR)$(UNITDIR)/ctxd.socket
	sed 's|@BINDIR@|$(BINDIR)|g' systemd/ctxd.service >$(DESTDIR)$(UNITDIR)/ctxd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ctxd.service

# systemd-analyze verify on the units as installed (man pages reachable).
check-units: $(B)/ctxctl $(B)/ctxd
	@d=$$(mktemp -d); $(MAKE) -s install PREFIX=$$d/usr && \
	    XDG_RUNTIME_DIR=$$d MANPATH=$$d/usr/share/man systemd-analyze verify --user \
	        $$d/usr/lib/systemd/user/ctxd.socket $$d/usr/lib/systemd/user/ctxd.service; \
	    rc=$$?; rm -rf $$d; exit $$rc

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ctxctl $(DESTDIR)$(BINDIR)/ctxd \
	    $(DESTDIR)$(MANDIR)/man1/ctxctl.1 $(DESTDIR)$(MANDIR)/man8/ctxd.8 \
	    $(DESTDIR)$(UNITDIR)/ctxd.socket $(DESTDIR)$(UNITDIR)/ctxd.service

# Unit tests and the CLI suite under valgrind (PCRE2's JIT code suppressed).
VALGRIND := valgrind -q --error-exitcode=9 --leak-check=full \
            --suppressions=$(CURDIR)/tests/valgrind.supp
valgrind: $(TESTS) $(B)/ctxctl $(B)/ctxd
	@for t in $(TESTS); do echo "== valgrind $$t"; $(VALGRIND) $$t >/dev/null || exit 1; done
	CTXCTL="$(VALGRIND) $(CURDIR)/$(B)/ctxctl" bash tests/integ/cli.sh
	B=$(B) bash tests/valgrind-daemon.sh

# libFuzzer targets for every parser (clang): FUZZ_SECONDS each.
FUZZ_SRC     := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS ?= 60
fuzz:
	@mkdir -p build-fuzz
	@for f in $(FUZZ_SRC); do \
	    n=$$(basename $$f .c); echo "== $$n ($(FUZZ_SECONDS) s)"; \
	    clang -std=c11 -D_GNU_SOURCE -Iinclude -g -O1 -pthread \
	        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	        $$($(PKG_CONFIG) --cflags $(PKGS)) -o build-fuzz/$$n $$f $(ENGINE_SRC) \
	        $(LDLIBS) || exit 1; \
	    mkdir -p build-fuzz/corpus-$$n; \
	    build-fuzz/$$n -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	        build-fuzz/corpus-$$n 2>&1 | tail -n 2 || exit 1; \
	done

format:
	clang-format -i $(ENGINE_SRC) $(CLI_SRC) include/*.h $(TEST_SRC)

clean:
	rm -rf build build-san build-fuzz
