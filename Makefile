# rsuv: libuv v1.52.1 in Rust. See README.md.
#
#   make          library + headers in build/ (build/lib/libuv.so.1, libuv.so, libuv.a; include/)
#   make demo     build, then run the demo programs against the library
#   make test     every test: cargo test, header freshness, ABI probe, C/C++/Debian-header tests
#   make header   refresh the committed include/ from a fresh generation
#   make install  PREFIX=/usr/local DESTDIR=  (library + SONAME links, headers, libuv.pc,
#                 CMake package: find_package(libuv) -> libuv::uv, libuv::uv_a)

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCDIR ?= $(PREFIX)/include
DESTDIR ?=
CARGO ?= cargo
CC ?= gcc
CXX ?= g++
PROFILE ?= release

B := build
LIB := $(B)/lib
TARGET_DIR := target/$(PROFILE)
CARGO_FLAGS := $(if $(filter release,$(PROFILE)),--release,)

CWARN := -Wall -Wextra -Werror
CFLAGS_TEST := -std=gnu11 $(CWARN) -g -O1 -pthread
CXXFLAGS_TEST := -std=gnu++11 -Wall -Werror -g -O1 -pthread -x c++
LDLIBS_TEST := -L$(LIB) -luv -pthread -ldl -lm

TEST_SRCS := $(wildcard c-tests/test_*.c) c-tests/runner/runner.c
TEST_HDRS := $(wildcard c-tests/*.h c-tests/runner/*.h)
EXAMPLES := $(patsubst examples-c/%.c,$(B)/examples/%,$(wildcard examples-c/*.c))

.PHONY: all lib header header-check test test-c demo examples install clean bench

all: lib

lib:
	$(CARGO) build $(CARGO_FLAGS)
	@mkdir -p $(LIB)
	@# Replace atomically: running programs keep the old mapping instead of crashing.
	cp -f $(TARGET_DIR)/libuv.so $(LIB)/.libuv.so.1.tmp && mv -f $(LIB)/.libuv.so.1.tmp $(LIB)/libuv.so.1
	ln -sf libuv.so.1 $(LIB)/libuv.so
	cp -f $(TARGET_DIR)/libuv.a $(LIB)/.libuv.a.tmp && mv -f $(LIB)/.libuv.a.tmp $(LIB)/libuv.a

# The build regenerates target/gen-include on every build; include/ is the committed copy.
header: lib
	rm -rf include
	cp -r target/gen-include include

header-check: lib
	@if diff -r target/gen-include include >/dev/null; then \
	  echo "ok - include/ equals a fresh generation"; echo "1 passed, 0 failed"; \
	else \
	  diff -r target/gen-include include | head -40; \
	  echo "not ok - include/ differs from a fresh generation (run 'make header')"; \
	  echo "0 passed, 1 failed"; exit 1; fi

# Three builds of the same C test sources: C against our header, C++ against our header,
# C against Debian's libuv1-dev header (/usr/include/uv.h) -- all run on our library.
$(B)/tests/c: $(TEST_SRCS) $(TEST_HDRS) include/uv.h | lib
	@mkdir -p $(B)/tests
	$(CC) $(CFLAGS_TEST) -Iinclude -Ic-tests/runner -Ic-tests -o $@ $(TEST_SRCS) $(LDLIBS_TEST)

$(B)/tests/cxx: $(TEST_SRCS) $(TEST_HDRS) include/uv.h | lib
	@mkdir -p $(B)/tests
	$(CXX) $(CXXFLAGS_TEST) -Iinclude -Ic-tests/runner -Ic-tests -o $@ $(TEST_SRCS) $(LDLIBS_TEST)

$(B)/tests/debian: $(TEST_SRCS) $(TEST_HDRS) | lib
	@mkdir -p $(B)/tests
	$(CC) $(CFLAGS_TEST) -DRSUV_SYSTEM_HEADER -Ic-tests/runner -Ic-tests -o $@ $(TEST_SRCS) $(LDLIBS_TEST)

$(B)/tests/probe: c-tests/abi/probe.c c-tests/abi/expect.inc include/uv.h
	@mkdir -p $(B)/tests
	$(CC) -std=c11 $(CWARN) -Iinclude -Ic-tests/abi -o $@ c-tests/abi/probe.c

$(B)/tests/probe-cxx: c-tests/abi/probe.c c-tests/abi/expect.inc include/uv.h
	@mkdir -p $(B)/tests
	$(CXX) -std=c++11 -Wall -Werror -x c++ -Iinclude -Ic-tests/abi -o $@ c-tests/abi/probe.c

$(B)/tests/probe-debian: c-tests/abi/probe.c c-tests/abi/expect.inc
	@mkdir -p $(B)/tests
	$(CC) -std=gnu11 $(CWARN) -Ic-tests/abi -o $@ c-tests/abi/probe.c

test-c: $(B)/tests/c $(B)/tests/cxx $(B)/tests/debian $(B)/tests/probe $(B)/tests/probe-cxx $(B)/tests/probe-debian

test: lib test-c examples
	scripts/run-tests.sh

examples: $(EXAMPLES)

$(B)/examples/%: examples-c/%.c include/uv.h | lib
	@mkdir -p $(B)/examples
	$(CC) -std=gnu11 $(CWARN) -O2 -pthread -Iinclude -o $@ $< -L$(LIB) -luv -Wl,-rpath,'$$ORIGIN/../lib'

demo: lib examples
	scripts/demo.sh

install: lib
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCDIR)/uv $(DESTDIR)$(LIBDIR)/pkgconfig
	install -m 755 $(LIB)/libuv.so.1 $(DESTDIR)$(LIBDIR)/libuv.so.1.0.0
	ln -sf libuv.so.1.0.0 $(DESTDIR)$(LIBDIR)/libuv.so.1
	ln -sf libuv.so.1 $(DESTDIR)$(LIBDIR)/libuv.so
	install -m 644 $(LIB)/libuv.a $(DESTDIR)$(LIBDIR)/libuv.a
	install -m 644 include/uv.h $(DESTDIR)$(INCDIR)/uv.h
	install -m 644 include/uv/*.h $(DESTDIR)$(INCDIR)/uv/
	sed -e 's|@prefix@|$(PREFIX)|g' -e 's|@libdir@|$(LIBDIR)|g' -e 's|@includedir@|$(INCDIR)|g' \
	  libuv.pc.in > $(DESTDIR)$(LIBDIR)/pkgconfig/libuv.pc
	install -d $(DESTDIR)$(LIBDIR)/cmake/libuv
	sed -e 's|@libdir@|$(LIBDIR)|g' -e 's|@includedir@|$(INCDIR)|g' \
	  cmake/libuvConfig.cmake.in > $(DESTDIR)$(LIBDIR)/cmake/libuv/libuvConfig.cmake
	install -m 644 cmake/libuvConfigVersion.cmake $(DESTDIR)$(LIBDIR)/cmake/libuv/

clean:
	$(CARGO) clean
	rm -rf $(B)

# make bench [QUICK=1] [SYSCALLS=1] [BENCH_ARGS=...]: every bench/ program built against rsuv
# and against Debian's libuv 1.44.2 (libuv1-dev), run alternately on this machine; prints
# medians, ratio rsuv/libuv and peak RSS, plain and as markdown (build/bench/results.md).
# SYSCALLS=1 adds syscalls per operation (perf stat). Never fails on timing (bench/README.md).
bench: lib
	python3 bench/run.py $(if $(filter-out 0,$(QUICK)),--quick) \
	  $(if $(filter-out 0,$(SYSCALLS)),--syscalls) --cc '$(CC)' $(BENCH_ARGS)
