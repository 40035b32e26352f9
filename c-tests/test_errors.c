/* C1 foundation: error codes, names and messages.
 *
 * uv_err_name, uv_err_name_r, uv_strerror, uv_strerror_r and
 * uv_translate_sys_error, driven by the header's own UV_ERRNO_MAP X-macro,
 * so every code the header knows is checked against the library.  In the
 * Debian-header build (RSUV_SYSTEM_HEADER) the map is libuv 1.44.2's, a
 * subset of 1.52.1's; codes added later are checked by raw value. */
#include "test.h"

#include <uv.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* ---- helpers ------------------------------------------------------------ */

struct errmap_entry {
  int code;
  const char* name;
  const char* msg;
};

#define ERRMAP_ENTRY(code, msg) { UV_##code, #code, msg },
static const struct errmap_entry errmap_table[] = {
  UV_ERRNO_MAP(ERRMAP_ENTRY)
};
#undef ERRMAP_ENTRY

#define ERRMAP_COUNT (sizeof(errmap_table) / sizeof(errmap_table[0]))

/* Error codes that are plain negated errno values on Linux. */
struct syserr_entry {
  int uv_code;
  int sys_errno;
  const char* name;
};

#define SYSERR(name) { UV_##name, name, #name }
static const struct syserr_entry syserr_table[] = {
  SYSERR(E2BIG), SYSERR(EACCES), SYSERR(EADDRINUSE), SYSERR(EADDRNOTAVAIL),
  SYSERR(EAFNOSUPPORT), SYSERR(EAGAIN), SYSERR(EALREADY), SYSERR(EBADF),
  SYSERR(EBUSY), SYSERR(ECANCELED), SYSERR(ECONNABORTED),
  SYSERR(ECONNREFUSED), SYSERR(ECONNRESET), SYSERR(EDESTADDRREQ),
  SYSERR(EEXIST), SYSERR(EFAULT), SYSERR(EFBIG), SYSERR(EHOSTUNREACH),
  SYSERR(EINTR), SYSERR(EINVAL), SYSERR(EIO), SYSERR(EISCONN),
  SYSERR(EISDIR), SYSERR(ELOOP), SYSERR(EMFILE), SYSERR(EMSGSIZE),
  SYSERR(ENAMETOOLONG), SYSERR(ENETDOWN), SYSERR(ENETUNREACH),
  SYSERR(ENFILE), SYSERR(ENOBUFS), SYSERR(ENODEV), SYSERR(ENOENT),
  SYSERR(ENOMEM), SYSERR(ENONET), SYSERR(ENOPROTOOPT), SYSERR(ENOSPC),
  SYSERR(ENOSYS), SYSERR(ENOTCONN), SYSERR(ENOTDIR), SYSERR(ENOTEMPTY),
  SYSERR(ENOTSOCK), SYSERR(ENOTSUP), SYSERR(EOVERFLOW), SYSERR(EPERM),
  SYSERR(EPIPE), SYSERR(EPROTO), SYSERR(EPROTONOSUPPORT),
  SYSERR(EPROTOTYPE), SYSERR(ERANGE), SYSERR(EROFS), SYSERR(ESHUTDOWN),
  SYSERR(ESPIPE), SYSERR(ESRCH), SYSERR(ETIMEDOUT), SYSERR(ETXTBSY),
  SYSERR(EXDEV), SYSERR(ENXIO), SYSERR(EMLINK), SYSERR(EHOSTDOWN),
  SYSERR(EREMOTEIO), SYSERR(ENOTTY), SYSERR(EILSEQ), SYSERR(ESOCKTNOSUPPORT),
};
#undef SYSERR

#define SYSERR_COUNT (sizeof(syserr_table) / sizeof(syserr_table[0]))

/* Values that are not libuv error codes on Linux: not errors at all, errno
 * values libuv does not map, gaps in the EAI range, and the fallback values
 * libuv's errno.h uses only on platforms lacking the errno. */
static const int errmap_unknown_codes[] = {
  0, 1, 2, 42, 4095, -4096 /* UV_ERRNO_MAX */, -4097, -9999, -9919,
  -EDOM, -ECHILD, -ENOTBLK, -3012, -3015, -2999, -4093, -4031, -4030,
  -4029, -4025, -4024, -4023, -4022, -4027, INT_MAX, -999999999,
  /* INT_MIN and other codes <= -1000000000 are left out: their text is 32
   * characters and libuv's uv_err_name/uv_strerror cut it to 31 (a 32-byte
   * buffer); the _r variants are checked with them below. */
};

#define UNKNOWN_COUNT (sizeof(errmap_unknown_codes) / sizeof(errmap_unknown_codes[0]))

static void unknown_text(int code, char* out, size_t outlen) {
  snprintf(out, outlen, "Unknown system error %d", code);
}

typedef char* (*errmap_r_fn)(int, char*, size_t);

/* Calls fn(code, buf, n) for n = 0 .. strlen(expected) + 2 and checks the
 * documented contract: a NUL-terminated prefix of `expected` of at most n
 * bytes (the whole string when it fits), nothing written at or past buf[n],
 * nothing written at all when n == 0, and buf returned. */
static void check_r_truncation(errmap_r_fn fn, int code, const char* expected) {
  char buf[256];
  size_t len = strlen(expected);
  size_t n;
  size_t i;

  ASSERT_LT(len + 3, sizeof(buf));
  for (n = 0; n <= len + 2; n++) {
    memset(buf, 'x', sizeof(buf));
    ASSERT(fn(code, buf, n) == buf);
    for (i = n; i < sizeof(buf); i++) {
      if (buf[i] != 'x')
        TEST_FAIL("code %d buflen %zu: byte %zu written (0x%02x)", code, n, i,
                  (unsigned char) buf[i]);
    }
    if (n == 0)
      continue;
    if (n > len) {
      ASSERT_STR_EQ(buf, expected);
    } else {
      /* Truncated: exactly n - 1 bytes of the text, then NUL. */
      if (buf[n - 1] != '\0')
        TEST_FAIL("code %d buflen %zu: not NUL-terminated at %zu", code, n,
                  n - 1);
      ASSERT_EQ(strlen(buf), n - 1);
      ASSERT_OK(memcmp(buf, expected, n - 1));
    }
  }
}

/* ---- tests ---------------------------------------------------------------- */

TEST(errmap_names_match_header_map) {
  size_t i;
  ASSERT_GE(ERRMAP_COUNT, 82);   /* 1.44.2 has 82 codes, 1.52.1 has 85 */
  for (i = 0; i < ERRMAP_COUNT; i++) {
    const char* name = uv_err_name(errmap_table[i].code);
    ASSERT_NOT_NULL(name);
    if (strcmp(name, errmap_table[i].name) != 0)
      TEST_FAIL("uv_err_name(%d) = \"%s\", want \"%s\"", errmap_table[i].code,
                name, errmap_table[i].name);
  }
}

TEST(errmap_messages_match_header_map) {
  size_t i;
  for (i = 0; i < ERRMAP_COUNT; i++) {
    const char* msg = uv_strerror(errmap_table[i].code);
    ASSERT_NOT_NULL(msg);
    if (strcmp(msg, errmap_table[i].msg) != 0)
      TEST_FAIL("uv_strerror(%d) [%s] = \"%s\", want \"%s\"",
                errmap_table[i].code, errmap_table[i].name, msg,
                errmap_table[i].msg);
  }
}

TEST(errmap_r_variants_match_header_map) {
  size_t i;
  char buf[128];
  for (i = 0; i < ERRMAP_COUNT; i++) {
    memset(buf, 'x', sizeof(buf));
    ASSERT(uv_err_name_r(errmap_table[i].code, buf, sizeof(buf)) == buf);
    ASSERT_STR_EQ(buf, errmap_table[i].name);
    memset(buf, 'x', sizeof(buf));
    ASSERT(uv_strerror_r(errmap_table[i].code, buf, sizeof(buf)) == buf);
    ASSERT_STR_EQ(buf, errmap_table[i].msg);
  }
}

TEST(errmap_known_strings_are_stable) {
  /* Known codes return static strings: the same text on every call, and
   * never freed (still readable after many other calls). */
  const char* n1 = uv_err_name(UV_EINVAL);
  const char* m1 = uv_strerror(UV_ENOENT);
  size_t i;
  for (i = 0; i < ERRMAP_COUNT; i++) {
    (void) uv_err_name(errmap_table[i].code);
    (void) uv_strerror(errmap_table[i].code);
  }
  ASSERT_STR_EQ(n1, "EINVAL");
  ASSERT_STR_EQ(m1, "no such file or directory");
  ASSERT_STR_EQ(uv_err_name(UV_EINVAL), "EINVAL");
}

TEST(errmap_codes_distinct_and_in_range) {
  size_t i, j;
  for (i = 0; i < ERRMAP_COUNT; i++) {
    ASSERT_LT(errmap_table[i].code, 0);
    ASSERT_GT(errmap_table[i].code, UV_ERRNO_MAX);
    for (j = i + 1; j < ERRMAP_COUNT; j++) {
      if (errmap_table[i].code == errmap_table[j].code)
        TEST_FAIL("%s and %s share value %d", errmap_table[i].name,
                  errmap_table[j].name, errmap_table[i].code);
    }
  }
}

TEST(errmap_fixed_values) {
  /* libuv's own codes, identical on every platform. */
  ASSERT_EQ(UV_EOF, -4095);
  ASSERT_EQ(UV_UNKNOWN, -4094);
  ASSERT_EQ(UV_ERRNO_MAX, -4096);
  ASSERT_EQ(UV_EAI_ADDRFAMILY, -3000);
  ASSERT_EQ(UV_EAI_AGAIN, -3001);
  ASSERT_EQ(UV_EAI_BADFLAGS, -3002);
  ASSERT_EQ(UV_EAI_CANCELED, -3003);
  ASSERT_EQ(UV_EAI_FAIL, -3004);
  ASSERT_EQ(UV_EAI_FAMILY, -3005);
  ASSERT_EQ(UV_EAI_MEMORY, -3006);
  ASSERT_EQ(UV_EAI_NODATA, -3007);
  ASSERT_EQ(UV_EAI_NONAME, -3008);
  ASSERT_EQ(UV_EAI_OVERFLOW, -3009);
  ASSERT_EQ(UV_EAI_SERVICE, -3010);
  ASSERT_EQ(UV_EAI_SOCKTYPE, -3011);
  ASSERT_EQ(UV_EAI_BADHINTS, -3013);
  ASSERT_EQ(UV_EAI_PROTOCOL, -3014);
  /* No ECHARSET / EFTYPE errno on Linux: libuv's fallback values. */
  ASSERT_EQ(UV_ECHARSET, -4080);
  ASSERT_EQ(UV_EFTYPE, -4028);
  /* Aliases resolve to the same code. */
  ASSERT_EQ(UV_ECANCELED, -ECANCELED);
  ASSERT_EQ(UV_ECANCELED, -125);
  ASSERT_EQ(UV_EAGAIN, -EWOULDBLOCK);
  ASSERT_EQ(UV_ENOTSUP, -EOPNOTSUPP);

  ASSERT_STR_EQ(uv_err_name(UV_EOF), "EOF");
  ASSERT_STR_EQ(uv_strerror(UV_EOF), "end of file");
  ASSERT_STR_EQ(uv_err_name(UV_ECANCELED), "ECANCELED");
  ASSERT_STR_EQ(uv_strerror(UV_ECANCELED), "operation canceled");
  ASSERT_STR_EQ(uv_err_name(UV_UNKNOWN), "UNKNOWN");
  ASSERT_STR_EQ(uv_strerror(UV_UNKNOWN), "unknown error");
  ASSERT_STR_EQ(uv_err_name(-EWOULDBLOCK), "EAGAIN");
  ASSERT_STR_EQ(uv_err_name(-EOPNOTSUPP), "ENOTSUP");
}

TEST(errmap_codes_are_negated_errno) {
  size_t i;
  for (i = 0; i < SYSERR_COUNT; i++) {
    const struct syserr_entry* e = &syserr_table[i];
    if (e->uv_code != -e->sys_errno)
      TEST_FAIL("UV_%s = %d, want -%d", e->name, e->uv_code, e->sys_errno);
    ASSERT_STR_EQ(uv_err_name(-e->sys_errno), e->name);
  }
}

TEST(errmap_codes_newer_than_1_44) {
  /* Added after libuv 1.44.2 (absent from Debian's header): the library is
   * 1.52.1 in every build, so it knows them by value. */
  char buf[64];
  ASSERT_STR_EQ(uv_err_name(-ENODATA), "ENODATA");
  ASSERT_STR_EQ(uv_strerror(-ENODATA), "no data available");
  ASSERT_STR_EQ(uv_err_name(-EUNATCH), "EUNATCH");
  ASSERT_STR_EQ(uv_strerror(-EUNATCH), "protocol driver not attached");
  ASSERT_STR_EQ(uv_err_name(-ENOEXEC), "ENOEXEC");
  ASSERT_STR_EQ(uv_strerror(-ENOEXEC), "exec format error");
  ASSERT_STR_EQ(uv_err_name_r(-ENOEXEC, buf, sizeof(buf)), "ENOEXEC");
  ASSERT_STR_EQ(uv_strerror_r(-ENODATA, buf, sizeof(buf)), "no data available");
#ifndef RSUV_SYSTEM_HEADER
  ASSERT_EQ(UV_ENODATA, -ENODATA);
  ASSERT_EQ(UV_EUNATCH, -EUNATCH);
  ASSERT_EQ(UV_ENOEXEC, -ENOEXEC);
  ASSERT_EQ(ERRMAP_COUNT, 85);
#else
  ASSERT_EQ(ERRMAP_COUNT, 82);
#endif
}

TEST(errmap_unknown_codes) {
  size_t i;
  char want[64];
  for (i = 0; i < UNKNOWN_COUNT; i++) {
    int code = errmap_unknown_codes[i];
    const char* name = uv_err_name(code);
    const char* msg = uv_strerror(code);
    unknown_text(code, want, sizeof(want));
    ASSERT_NOT_NULL(name);
    ASSERT_NOT_NULL(msg);
    if (strcmp(name, want) != 0)
      TEST_FAIL("uv_err_name(%d) = \"%s\", want \"%s\"", code, name, want);
    if (strcmp(msg, want) != 0)
      TEST_FAIL("uv_strerror(%d) = \"%s\", want \"%s\"", code, msg, want);
  }
}

TEST(errmap_unknown_codes_r) {
  size_t i;
  char want[64];
  char buf[64];
  for (i = 0; i < UNKNOWN_COUNT; i++) {
    int code = errmap_unknown_codes[i];
    unknown_text(code, want, sizeof(want));
    memset(buf, 'x', sizeof(buf));
    ASSERT(uv_err_name_r(code, buf, sizeof(buf)) == buf);
    ASSERT_STR_EQ(buf, want);
    memset(buf, 'x', sizeof(buf));
    ASSERT(uv_strerror_r(code, buf, sizeof(buf)) == buf);
    ASSERT_STR_EQ(buf, want);
  }
}

TEST(errmap_unknown_strings_are_distinct_per_code) {
  /* The unknown-code text is built per call: an earlier result is not
   * overwritten by a later call with another code (libuv leaks, it does not
   * reuse a static buffer). */
  const char* a = uv_err_name(-9999);
  const char* b = uv_err_name(-8888);
  const char* c = uv_strerror(-7777);
  const char* d = uv_strerror(12345);
  ASSERT_STR_EQ(a, "Unknown system error -9999");
  ASSERT_STR_EQ(b, "Unknown system error -8888");
  ASSERT_STR_EQ(c, "Unknown system error -7777");
  ASSERT_STR_EQ(d, "Unknown system error 12345");
}

TEST(errmap_r_truncation_known) {
  check_r_truncation(uv_err_name_r, UV_EINVAL, "EINVAL");
  check_r_truncation(uv_strerror_r, UV_EINVAL, "invalid argument");
  check_r_truncation(uv_err_name_r, UV_EAI_ADDRFAMILY, "EAI_ADDRFAMILY");
  check_r_truncation(uv_strerror_r, UV_ESHUTDOWN,
                     "cannot send after transport endpoint shutdown");
  check_r_truncation(uv_err_name_r, UV_EOF, "EOF");
  check_r_truncation(uv_strerror_r, UV_EOF, "end of file");
}

TEST(errmap_r_truncation_unknown) {
  check_r_truncation(uv_err_name_r, -9999, "Unknown system error -9999");
  check_r_truncation(uv_strerror_r, -9999, "Unknown system error -9999");
  check_r_truncation(uv_err_name_r, 7, "Unknown system error 7");
  check_r_truncation(uv_strerror_r, INT_MIN, "Unknown system error -2147483648");
  check_r_truncation(uv_err_name_r, INT_MIN + 1,
                     "Unknown system error -2147483647");
}

TEST(errmap_r_zero_buflen_null_buf) {
  /* buflen 0: nothing is written, so even a NULL buffer is fine. */
  ASSERT_NULL(uv_err_name_r(UV_EINVAL, NULL, 0));
  ASSERT_NULL(uv_strerror_r(UV_EINVAL, NULL, 0));
  ASSERT_NULL(uv_err_name_r(-9999, NULL, 0));
  ASSERT_NULL(uv_strerror_r(-9999, NULL, 0));
}

TEST(errmap_translate_sys_error) {
  size_t i;
  ASSERT_EQ(uv_translate_sys_error(EINVAL), UV_EINVAL);
  ASSERT_EQ(uv_translate_sys_error(ENOENT), UV_ENOENT);
  ASSERT_EQ(uv_translate_sys_error(EAGAIN), UV_EAGAIN);
  ASSERT_EQ(uv_translate_sys_error(EWOULDBLOCK), UV_EAGAIN);
  for (i = 0; i < SYSERR_COUNT; i++)
    ASSERT_EQ(uv_translate_sys_error(syserr_table[i].sys_errno),
              syserr_table[i].uv_code);
  /* Positive values are negated even when libuv has no name for them. */
  ASSERT_EQ(uv_translate_sys_error(EDOM), -EDOM);
  ASSERT_EQ(uv_translate_sys_error(4242), -4242);
  ASSERT_EQ(uv_translate_sys_error(INT_MAX), -INT_MAX);
  /* Zero and negative values (already libuv errors) pass through. */
  ASSERT_EQ(uv_translate_sys_error(0), 0);
  ASSERT_EQ(uv_translate_sys_error(-1), -1);
  ASSERT_EQ(uv_translate_sys_error(UV_EINVAL), UV_EINVAL);
  ASSERT_EQ(uv_translate_sys_error(UV_EOF), UV_EOF);
  ASSERT_EQ(uv_translate_sys_error(UV_EAI_NONAME), UV_EAI_NONAME);
  ASSERT_EQ(uv_translate_sys_error(-123456), -123456);
  ASSERT_EQ(uv_translate_sys_error(INT_MIN), INT_MIN);
}
