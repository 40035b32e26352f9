/* C7 utilities: shared libraries (uv_dl*), uv_random, the UTF-16 / WTF-8
 * conversions, and the rule that memory handed to the program comes from the
 * allocator set with uv_replace_allocator.
 *
 * Functions newer than Debian's libuv 1.44.2 header are guarded with
 * UV_VERSION_HEX. */
#include "test.h"

#include <uv.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- uv_dl* ------------------------------------------------------------------- */

TEST(misc_dlopen_dlsym) {
  uv_lib_t lib;
  void* sym = NULL;
  double (*cosine)(double);

  ASSERT_OK(uv_dlopen("libm.so.6", &lib));
  ASSERT_STR_EQ(uv_dlerror(&lib), "no error");
  ASSERT_OK(uv_dlsym(&lib, "cos", &sym));
  ASSERT_NOT_NULL(sym);
  memcpy(&cosine, &sym, sizeof(sym));
  ASSERT(cosine(0.0) == 1.0);
  ASSERT_STR_EQ(uv_dlerror(&lib), "no error");

  /* A missing symbol: -1, NULL, and a message naming it. */
  ASSERT_EQ(uv_dlsym(&lib, "rsuv_no_such_symbol", &sym), -1);
  ASSERT_NULL(sym);
  ASSERT_NOT_NULL(strstr(uv_dlerror(&lib), "rsuv_no_such_symbol"));
  /* The next error replaces the message. */
  ASSERT_EQ(uv_dlsym(&lib, "rsuv_other_symbol", &sym), -1);
  ASSERT_NOT_NULL(strstr(uv_dlerror(&lib), "rsuv_other_symbol"));
  ASSERT_NULL(strstr(uv_dlerror(&lib), "rsuv_no_such_symbol"));
  uv_dlclose(&lib);
  ASSERT_STR_EQ(uv_dlerror(&lib), "no error");
}

TEST(misc_dlopen_missing_library) {
  uv_lib_t lib;
  const char* msg;

  ASSERT_EQ(uv_dlopen("/nonexistent/librsuv_missing.so", &lib), -1);
  msg = uv_dlerror(&lib);
  ASSERT_NOT_NULL(msg);
  ASSERT_GT(strlen(msg), 0);
  ASSERT_STR_NE(msg, "no error");
  ASSERT_NOT_NULL(strstr(msg, "librsuv_missing.so"));
  uv_dlclose(&lib);
  ASSERT_STR_EQ(uv_dlerror(&lib), "no error");
}

TEST(misc_dlopen_main_program) {
  /* NULL opens the program itself, whose symbols include libuv's. */
  uv_lib_t lib;
  void* sym = NULL;

  ASSERT_OK(uv_dlopen(NULL, &lib));
  ASSERT_OK(uv_dlsym(&lib, "uv_version", &sym));
  ASSERT_NOT_NULL(sym);
  uv_dlclose(&lib);
}

/* ---- uv_random --------------------------------------------------------------- */

TEST(misc_random_sync) {
  unsigned char a[256];
  unsigned char b[256];
  unsigned char zero[256];

  memset(a, 0, sizeof(a));
  memset(b, 0, sizeof(b));
  memset(zero, 0, sizeof(zero));
  ASSERT_OK(uv_random(NULL, NULL, a, sizeof(a), 0, NULL));
  ASSERT_OK(uv_random(NULL, NULL, b, sizeof(b), 0, NULL));
  ASSERT(memcmp(a, zero, sizeof(a)) != 0);
  ASSERT(memcmp(a, b, sizeof(a)) != 0);
  ASSERT_OK(uv_random(NULL, NULL, a, 0, 0, NULL));

  ASSERT_EQ(uv_random(NULL, NULL, a, sizeof(a), 1, NULL), UV_EINVAL);
  ASSERT_EQ(uv_random(NULL, NULL, a, sizeof(a), ~0u, NULL), UV_EINVAL);
  ASSERT_EQ(uv_random(NULL, NULL, NULL, (size_t) 0x80000000u, 0, NULL), UV_E2BIG);
}

TEST(misc_random_large) {
  /* More than one getrandom chunk; every byte value shows up. */
  size_t n = 1 << 20;
  unsigned char* p = (unsigned char*) calloc(1, n);
  int seen[256];
  size_t i;
  int distinct = 0;

  ASSERT_NOT_NULL(p);
  ASSERT_OK(uv_random(NULL, NULL, p, n, 0, NULL));
  memset(seen, 0, sizeof(seen));
  for (i = 0; i < n; i++)
    seen[p[i]] = 1;
  for (i = 0; i < 256; i++)
    distinct += seen[i];
  ASSERT_EQ(distinct, 256);
  free(p);
}

static uv_thread_t misc_loop_thread;
static int misc_random_calls;
static int misc_random_status;
static void* misc_random_buf;
static size_t misc_random_len;

static void misc_random_cb(uv_random_t* req, int status, void* buf,
                           size_t buflen) {
  uv_thread_t self = uv_thread_self();
  ASSERT(uv_thread_equal(&self, &misc_loop_thread));
  ASSERT_EQ(req->type, UV_RANDOM);
  misc_random_calls++;
  misc_random_status = status;
  misc_random_buf = buf;
  misc_random_len = buflen;
}

TEST(misc_random_async) {
  uv_loop_t loop;
  uv_random_t req;
  unsigned char buf[64];
  unsigned char zero[64];

  memset(buf, 0, sizeof(buf));
  memset(zero, 0, sizeof(zero));
  misc_loop_thread = uv_thread_self();
  ASSERT_OK(uv_loop_init(&loop));

  ASSERT_EQ(uv_random(&loop, &req, buf, sizeof(buf), 7, misc_random_cb),
            UV_EINVAL);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  ASSERT_OK(uv_random(&loop, &req, buf, sizeof(buf), 0, misc_random_cb));
  ASSERT_EQ(uv_req_get_type((uv_req_t*) &req), UV_RANDOM);
  /* A pending request keeps the loop alive; the callback comes from uv_run. */
  ASSERT_EQ(uv_loop_alive(&loop), 1);
  ASSERT_EQ(misc_random_calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(misc_random_calls, 1);
  ASSERT_EQ(misc_random_status, 0);
  ASSERT(misc_random_buf == (void*) buf);
  ASSERT_EQ(misc_random_len, sizeof(buf));
  ASSERT(memcmp(buf, zero, sizeof(buf)) != 0);
  ASSERT_EQ(uv_loop_alive(&loop), 0);

  /* Zero bytes asynchronously: still a callback, status 0. */
  ASSERT_OK(uv_random(&loop, &req, buf, 0, 0, misc_random_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(misc_random_calls, 2);
  ASSERT_EQ(misc_random_status, 0);
  ASSERT_EQ(misc_random_len, 0);

  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- UTF-16 / WTF-8 ------------------------------------------------------------ */

#if UV_VERSION_HEX >= 0x012f00 /* 1.47.0 */
TEST(misc_utf16_to_wtf8) {
  /* "aé€😀" then a lone lead surrogate and a lone trail surrogate. */
  static const uint16_t in[] = {0x61, 0xE9, 0x20AC, 0xD83D, 0xDE00,
                                0xD800, 0x62, 0xDC00, 0};
  static const char want[] =
      "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xED\xA0\x80"
      "b\xED\xB0\x80";
  size_t want_len = sizeof(want) - 1;
  char* out = NULL;
  size_t len = 0;
  char buf[64];
  char* bufp;

  ASSERT_EQ(uv_utf16_length_as_wtf8(in, -1), want_len);
  ASSERT_EQ(uv_utf16_length_as_wtf8(in, 8), want_len);
  ASSERT_EQ(uv_utf16_length_as_wtf8(in, 4), 1 + 2 + 3 + 3); /* cut pair */

  /* Length only. */
  ASSERT_OK(uv_utf16_to_wtf8(in, -1, NULL, &len));
  ASSERT_EQ(len, want_len);

  /* Allocated result. */
  len = 0;
  ASSERT_OK(uv_utf16_to_wtf8(in, -1, &out, &len));
  ASSERT_NOT_NULL(out);
  ASSERT_EQ(len, want_len);
  ASSERT_EQ(memcmp(out, want, want_len + 1), 0);
  free(out); /* the default allocator is malloc */

  /* The caller's buffer, big enough: *len becomes the length used. */
  memset(buf, 'x', sizeof(buf));
  bufp = buf;
  len = sizeof(buf) - 1;
  ASSERT_OK(uv_utf16_to_wtf8(in, 8, &bufp, &len));
  ASSERT_EQ(len, want_len);
  ASSERT_STR_EQ(buf, want);

  /* Too small: ENOBUFS, the needed length, still NUL-terminated. */
  memset(buf, 'x', sizeof(buf));
  bufp = buf;
  len = 4; /* "a", "é", then one byte of "€" */
  ASSERT_EQ(uv_utf16_to_wtf8(in, -1, &bufp, &len), UV_ENOBUFS);
  ASSERT_EQ(len, want_len);
  ASSERT_EQ(memcmp(buf, "a\xC3\xA9", 3), 0);
  ASSERT_EQ(buf[4], '\0');

  /* Exactly the right size. */
  bufp = buf;
  len = want_len;
  ASSERT_OK(uv_utf16_to_wtf8(in, -1, &bufp, &len));
  ASSERT_EQ(len, want_len);
  ASSERT_STR_EQ(buf, want);

  /* Empty input. */
  out = NULL;
  ASSERT_OK(uv_utf16_to_wtf8(in + 8, -1, &out, &len));
  ASSERT_EQ(len, 0);
  ASSERT_STR_EQ(out, "");
  free(out);
}

TEST(misc_wtf8_to_utf16) {
  static const char in[] =
      "a\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80\xED\xA0\x80"
      "b\xED\xB0\x80";
  static const uint16_t want[] = {0x61, 0xE9, 0x20AC, 0xD83D, 0xDE00,
                                  0xD800, 0x62, 0xDC00, 0};
  uint16_t out[16];
  ssize_t n;

  n = uv_wtf8_length_as_utf16(in);
  ASSERT_EQ(n, 9); /* NUL included */
  memset(out, 0xAA, sizeof(out));
  uv_wtf8_to_utf16(in, out, (size_t) n);
  ASSERT_EQ(memcmp(out, want, sizeof(want)), 0);
  ASSERT_EQ(out[9], 0xAAAA); /* nothing written past the length */

  ASSERT_EQ(uv_wtf8_length_as_utf16(""), 1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xF4\x8F\xBF\xBF"), 3); /* U+10FFFF */

  /* Invalid input: -1. */
  ASSERT_EQ(uv_wtf8_length_as_utf16("\x80"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("a\xC3"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xC0\x80"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xF4\x90\x80\x80"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xF8\x88\x80\x80\x80"), -1);
  ASSERT_EQ(uv_wtf8_length_as_utf16("\xE2\x82"), -1);
}

TEST(misc_wtf8_round_trip) {
  /* Every BMP unit, surrogates included, one at a time and paired with 'x'. */
  uint32_t u;
  for (u = 1; u <= 0xFFFF; u++) {
    uint16_t in[3];
    uint16_t back[3];
    char buf[16];
    char* p = buf;
    size_t len = sizeof(buf) - 1;
    in[0] = (uint16_t) u;
    in[1] = 'x';
    in[2] = 0;
    ASSERT_OK(uv_utf16_to_wtf8(in, -1, &p, &len));
    ASSERT_EQ(uv_wtf8_length_as_utf16(buf), 3);
    uv_wtf8_to_utf16(buf, back, 3);
    ASSERT_EQ(back[0], u);
    ASSERT_EQ(back[1], 'x');
    ASSERT_EQ(back[2], 0);
  }
}
#endif

/* ---- the program's allocator --------------------------------------------------- */

static long misc_live;
static long misc_allocs;

static void* misc_malloc(size_t n) {
  void* p = malloc(n);
  if (p != NULL) {
    misc_live++;
    misc_allocs++;
  }
  return p;
}

static void* misc_realloc(void* p, size_t n) {
  void* q = realloc(p, n);
  if (p == NULL && q != NULL) {
    misc_live++;
    misc_allocs++;
  }
  return q;
}

static void* misc_calloc(size_t c, size_t n) {
  void* p = calloc(c, n);
  if (p != NULL) {
    misc_live++;
    misc_allocs++;
  }
  return p;
}

static void misc_free(void* p) {
  if (p != NULL)
    misc_live--;
  free(p);
}

TEST(misc_results_use_the_program_allocator) {
  uv_passwd_t pwd;
  uv_env_item_t* env;
  uv_cpu_info_t* cpus;
  uv_interface_address_t* ifs;
  uv_lib_t lib;
  int n;
  long before;

  ASSERT_OK(uv_replace_allocator(misc_malloc, misc_realloc, misc_calloc,
                                 misc_free));

  before = misc_allocs;
  ASSERT_OK(uv_os_get_passwd(&pwd));
  ASSERT_GT(misc_allocs, before);
  uv_os_free_passwd(&pwd);
  ASSERT_EQ(misc_live, 0);

  before = misc_allocs;
  ASSERT_OK(uv_os_environ(&env, &n));
  ASSERT_GT(misc_allocs, before);
  uv_os_free_environ(env, n);
  ASSERT_EQ(misc_live, 0);

  before = misc_allocs;
  ASSERT_OK(uv_cpu_info(&cpus, &n));
  ASSERT_GT(misc_allocs, before);
  uv_free_cpu_info(cpus, n);
  ASSERT_EQ(misc_live, 0);

  before = misc_allocs;
  ASSERT_OK(uv_interface_addresses(&ifs, &n));
  ASSERT_GT(misc_allocs, before);
  uv_free_interface_addresses(ifs, n);
  ASSERT_EQ(misc_live, 0);

  before = misc_allocs;
  ASSERT_EQ(uv_dlopen("/nonexistent/librsuv_missing.so", &lib), -1);
  ASSERT_GT(misc_allocs, before);
  uv_dlclose(&lib);
  ASSERT_EQ(misc_live, 0);

#if UV_VERSION_HEX >= 0x012d00 /* 1.45.0: uv_os_get_group */
  {
    uv_group_t grp;
    before = misc_allocs;
    ASSERT_OK(uv_os_get_group(&grp, 0));
    ASSERT_GT(misc_allocs, before);
    uv_os_free_group(&grp);
    ASSERT_EQ(misc_live, 0);
  }
#endif
#if UV_VERSION_HEX >= 0x012f00 /* 1.47.0: uv_utf16_to_wtf8 */
  {
    static const uint16_t in[] = {0x68, 0x69, 0};
    char* out = NULL;
    size_t len;
    before = misc_allocs;
    ASSERT_OK(uv_utf16_to_wtf8(in, -1, &out, &len));
    ASSERT_GT(misc_allocs, before);
    misc_free(out);
    ASSERT_EQ(misc_live, 0);
  }
#endif
}
