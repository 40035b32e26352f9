/* C1 foundation: handle and request type tables and accessors, the loop's
 * data accessors, uv_buf_init, uv_replace_allocator, uv_library_shutdown.
 *
 * No loop is initialised here (that is C2): handles and requests are
 * zero-filled by the test and their public fields set by hand, which is all
 * the accessors read or write. */
#include "test.h"

#include <uv.h>

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- handle types ----------------------------------------------------------- */

TEST(typemap_handle_names) {
  int count = 0;
#define XX(uc, lc)                                                            \
  ASSERT_STR_EQ(uv_handle_type_name(UV_##uc), #lc);                           \
  count++;
  UV_HANDLE_TYPE_MAP(XX)
#undef XX
  ASSERT_EQ(count, 16);
  ASSERT_STR_EQ(uv_handle_type_name(UV_FILE), "file");
  ASSERT_NULL(uv_handle_type_name(UV_UNKNOWN_HANDLE));
  ASSERT_NULL(uv_handle_type_name(UV_HANDLE_TYPE_MAX));
  ASSERT_NULL(uv_handle_type_name((uv_handle_type) (UV_HANDLE_TYPE_MAX + 1)));
  ASSERT_NULL(uv_handle_type_name((uv_handle_type) 1000));
  ASSERT_NULL(uv_handle_type_name((uv_handle_type) -1));
}

TEST(typemap_handle_sizes) {
  /* lc names the struct: NAMED_PIPE -> uv_pipe_t, HANDLE -> uv_handle_t,
   * STREAM -> uv_stream_t. */
#define XX(uc, lc)                                                            \
  ASSERT_U64_EQ(uv_handle_size(UV_##uc), sizeof(uv_##lc##_t));
  UV_HANDLE_TYPE_MAP(XX)
#undef XX
  ASSERT_U64_EQ(uv_handle_size(UV_NAMED_PIPE), sizeof(uv_pipe_t));
  ASSERT_U64_EQ(uv_handle_size(UV_HANDLE), sizeof(uv_handle_t));
  ASSERT_U64_EQ(uv_handle_size(UV_STREAM), sizeof(uv_stream_t));
  /* libuv 1.52.1 on x86_64 Linux. */
  ASSERT_U64_EQ(uv_handle_size(UV_HANDLE), 96);
  ASSERT_U64_EQ(uv_handle_size(UV_TCP), 248);
  ASSERT_U64_EQ(uv_handle_size(UV_NAMED_PIPE), 264);
  ASSERT_U64_EQ(uv_handle_size(UV_TTY), 312);
  ASSERT_U64_EQ(uv_handle_size(UV_TIMER), 152);
  /* Not a handle struct, or not a type at all. */
  ASSERT_U64_EQ(uv_handle_size(UV_FILE), (size_t) -1);
  ASSERT_U64_EQ(uv_handle_size(UV_UNKNOWN_HANDLE), (size_t) -1);
  ASSERT_U64_EQ(uv_handle_size(UV_HANDLE_TYPE_MAX), (size_t) -1);
  ASSERT_U64_EQ(uv_handle_size((uv_handle_type) 1000), (size_t) -1);
  ASSERT_U64_EQ(uv_handle_size((uv_handle_type) -1), (size_t) -1);
}

TEST(typemap_handle_enum_values) {
  /* The enum is UV_UNKNOWN_HANDLE, then the map in order, then UV_FILE and
   * UV_HANDLE_TYPE_MAX. */
  int expect = 1;
  ASSERT_EQ(UV_UNKNOWN_HANDLE, 0);
#define XX(uc, lc) ASSERT_EQ(UV_##uc, expect); expect++;
  UV_HANDLE_TYPE_MAP(XX)
#undef XX
  ASSERT_EQ(UV_FILE, expect);
  ASSERT_EQ(UV_HANDLE_TYPE_MAX, expect + 1);
  ASSERT_EQ(UV_SIGNAL, 16);
  ASSERT_EQ(UV_HANDLE_TYPE_MAX, 18);
}

/* ---- request types ------------------------------------------------------------ */

TEST(typemap_req_names) {
  int count = 0;
#define XX(uc, lc)                                                            \
  ASSERT_STR_EQ(uv_req_type_name(UV_##uc), #lc);                              \
  count++;
  UV_REQ_TYPE_MAP(XX)
#undef XX
  ASSERT_EQ(count, 10);
  ASSERT_NULL(uv_req_type_name(UV_UNKNOWN_REQ));
  ASSERT_NULL(uv_req_type_name(UV_REQ_TYPE_MAX));
  ASSERT_NULL(uv_req_type_name((uv_req_type) (UV_REQ_TYPE_MAX + 1)));
  ASSERT_NULL(uv_req_type_name((uv_req_type) 1000));
  ASSERT_NULL(uv_req_type_name((uv_req_type) -1));
}

TEST(typemap_req_sizes) {
#define XX(uc, lc)                                                            \
  ASSERT_U64_EQ(uv_req_size(UV_##uc), sizeof(uv_##lc##_t));
  UV_REQ_TYPE_MAP(XX)
#undef XX
  ASSERT_U64_EQ(uv_req_size(UV_REQ), sizeof(uv_req_t));
  ASSERT_U64_EQ(uv_req_size(UV_REQ), 64);
  ASSERT_U64_EQ(uv_req_size(UV_FS), 440);
  ASSERT_U64_EQ(uv_req_size(UV_GETNAMEINFO), 1320);
  ASSERT_U64_EQ(uv_req_size(UV_UNKNOWN_REQ), (size_t) -1);
  ASSERT_U64_EQ(uv_req_size(UV_REQ_TYPE_MAX), (size_t) -1);
  ASSERT_U64_EQ(uv_req_size((uv_req_type) 1000), (size_t) -1);
  ASSERT_U64_EQ(uv_req_size((uv_req_type) -1), (size_t) -1);
}

TEST(typemap_req_enum_values) {
  int expect = 1;
  ASSERT_EQ(UV_UNKNOWN_REQ, 0);
#define XX(uc, lc) ASSERT_EQ(UV_##uc, expect); expect++;
  UV_REQ_TYPE_MAP(XX)
#undef XX
  /* No private request types on Unix. */
  ASSERT_EQ(UV_REQ_TYPE_MAX, expect);
  ASSERT_EQ(UV_REQ_TYPE_MAX, 11);
}

/* ---- handle accessors --------------------------------------------------------- */

TEST(handle_accessors_data_loop_type) {
  uv_timer_t timer;
  uv_loop_t fake_loop;            /* never initialised: only its address */
  uv_handle_t* h = (uv_handle_t*) &timer;
  int x = 0;

  memset(&timer, 0, sizeof(timer));
  timer.type = UV_TIMER;
  timer.loop = &fake_loop;

  ASSERT_NULL(uv_handle_get_data(h));
  uv_handle_set_data(h, &x);
  ASSERT(timer.data == &x);        /* writes the public field */
  ASSERT(uv_handle_get_data(h) == &x);
  ASSERT(h->data == &x);

  timer.data = &fake_loop;         /* reads the public field */
  ASSERT(uv_handle_get_data(h) == &fake_loop);

  uv_handle_set_data(h, NULL);
  ASSERT_NULL(timer.data);
  ASSERT_NULL(uv_handle_get_data(h));

  ASSERT(uv_handle_get_loop(h) == &fake_loop);
  ASSERT_EQ(uv_handle_get_type(h), UV_TIMER);
  ASSERT_STR_EQ(uv_handle_type_name(uv_handle_get_type(h)), "timer");

  /* Nothing but data changes. */
  ASSERT_EQ(timer.type, UV_TIMER);
  ASSERT(timer.loop == &fake_loop);
}

TEST(handle_accessors_every_type) {
  /* One buffer big enough for any handle, typed by hand. */
  union {
    uv_handle_t h;
    uv_tcp_t tcp;
    uv_pipe_t pipe;
    uv_tty_t tty;
    uv_udp_t udp;
    uv_process_t process;
    uv_fs_event_t fs_event;
    void* align;
  } u;
  uv_loop_t fake_loop;
  int t;

  for (t = UV_UNKNOWN_HANDLE; t <= UV_HANDLE_TYPE_MAX; t++) {
    memset(&u, 0, sizeof(u));
    u.h.type = (uv_handle_type) t;
    u.h.loop = &fake_loop;
    ASSERT_EQ(uv_handle_get_type(&u.h), t);
    ASSERT(uv_handle_get_loop(&u.h) == &fake_loop);
    uv_handle_set_data(&u.h, &u);
    ASSERT(uv_handle_get_data(&u.h) == &u);
    ASSERT(u.h.data == &u);
  }
}

TEST(handle_accessors_on_derived_struct) {
  /* The accessors take uv_handle_t*; a uv_tcp_t starts with the handle
   * fields, so its data/loop/type are the same memory. */
  uv_tcp_t tcp;
  uv_loop_t fake_loop;
  uintptr_t token = (uintptr_t) 0xdeadbeefu;

  memset(&tcp, 0xa5, sizeof(tcp));
  tcp.type = UV_TCP;
  tcp.loop = &fake_loop;
  uv_handle_set_data((uv_handle_t*) &tcp, (void*) token);
  ASSERT((uintptr_t) tcp.data == token);
  ASSERT((uintptr_t) uv_handle_get_data((const uv_handle_t*) &tcp) == token);
  ASSERT_EQ(uv_handle_get_type((const uv_handle_t*) &tcp), UV_TCP);
  ASSERT(uv_handle_get_loop((const uv_handle_t*) &tcp) == &fake_loop);
  /* set_data leaves the rest of the struct alone. */
  ASSERT_U64_EQ(tcp.write_queue_size, UINT64_C(0xa5a5a5a5a5a5a5a5));
}

/* ---- request accessors ---------------------------------------------------------- */

TEST(req_accessors_data_type) {
  uv_write_t w;
  uv_req_t* r = (uv_req_t*) &w;
  int x = 0;

  memset(&w, 0, sizeof(w));
  w.type = UV_WRITE;

  ASSERT_NULL(uv_req_get_data(r));
  uv_req_set_data(r, &x);
  ASSERT(w.data == &x);
  ASSERT(uv_req_get_data(r) == &x);

  w.data = &w;
  ASSERT(uv_req_get_data(r) == &w);

  uv_req_set_data(r, NULL);
  ASSERT_NULL(w.data);
  ASSERT_NULL(uv_req_get_data(r));

  ASSERT_EQ(uv_req_get_type(r), UV_WRITE);
  ASSERT_STR_EQ(uv_req_type_name(uv_req_get_type(r)), "write");
  ASSERT_EQ(w.type, UV_WRITE);
}

TEST(req_accessors_every_type) {
  union {
    uv_req_t r;
    uv_fs_t fs;
    uv_getnameinfo_t gni;
    uv_udp_send_t send;
    void* align;
  } u;
  int t;
  for (t = UV_UNKNOWN_REQ; t <= UV_REQ_TYPE_MAX; t++) {
    memset(&u, 0, sizeof(u));
    u.r.type = (uv_req_type) t;
    ASSERT_EQ(uv_req_get_type(&u.r), t);
    uv_req_set_data(&u.r, &t);
    ASSERT(uv_req_get_data(&u.r) == &t);
    ASSERT(u.r.data == &t);
  }
}

TEST(req_accessors_on_fs_req) {
  uv_fs_t fs;
  memset(&fs, 0, sizeof(fs));
  fs.type = UV_FS;
  fs.result = 1234;
  uv_req_set_data((uv_req_t*) &fs, &fs);
  ASSERT(fs.data == &fs);
  ASSERT(uv_req_get_data((const uv_req_t*) &fs) == &fs);
  ASSERT_EQ(uv_req_get_type((const uv_req_t*) &fs), UV_FS);
  ASSERT_EQ(fs.result, 1234);
}

/* ---- loop data ---------------------------------------------------------------- */

TEST(loop_data_accessors) {
  uv_loop_t loop;
  int x = 0;
  memset(&loop, 0, sizeof(loop));
  ASSERT_NULL(uv_loop_get_data(&loop));
  uv_loop_set_data(&loop, &x);
  ASSERT(loop.data == &x);
  ASSERT(uv_loop_get_data(&loop) == &x);
  loop.data = &loop;
  ASSERT(uv_loop_get_data(&loop) == &loop);
  uv_loop_set_data(&loop, NULL);
  ASSERT_NULL(loop.data);
  ASSERT_NULL(uv_loop_get_data(&loop));
}

TEST(loop_size_heap_loop) {
  /* The opaque-loop idiom: allocate uv_loop_size() bytes, use accessors. */
  size_t n = uv_loop_size();
  uv_loop_t* loop;
  ASSERT_U64_EQ(n, 848);
  ASSERT_U64_EQ(n, sizeof(uv_loop_t));
  loop = (uv_loop_t*) calloc(1, n);
  ASSERT_NOT_NULL(loop);
  uv_loop_set_data(loop, loop);
  ASSERT(uv_loop_get_data(loop) == loop);
  ASSERT(*(void**) loop == loop);   /* data is the first field */
  free(loop);
}

/* ---- uv_buf_init ----------------------------------------------------------------- */

TEST(buf_init_fields) {
  char storage[16];
  uv_buf_t b = uv_buf_init(storage, sizeof(storage));
  ASSERT(b.base == storage);
  ASSERT_U64_EQ(b.len, 16);

  b = uv_buf_init(NULL, 0);
  ASSERT_NULL(b.base);
  ASSERT_U64_EQ(b.len, 0);

  /* len is unsigned int in, size_t out: no sign extension. */
  b = uv_buf_init(storage + 3, UINT_MAX);
  ASSERT(b.base == storage + 3);
  ASSERT_U64_EQ(b.len, UINT_MAX);
  b = uv_buf_init(storage, 0x80000000u);
  ASSERT_U64_EQ(b.len, UINT64_C(0x80000000));
}

TEST(buf_init_does_not_touch_memory) {
  char storage[8];
  uv_buf_t b;
  memcpy(storage, "abcdefg", 8);
  b = uv_buf_init(storage, 4);
  ASSERT_STR_EQ(storage, "abcdefg");
  ASSERT_OK(memcmp(b.base, "abcd", b.len));
}

/* ---- uv_replace_allocator ------------------------------------------------------- */

static int alloc_mallocs;
static int alloc_reallocs;
static int alloc_callocs;
static int alloc_frees;

static void* counting_malloc(size_t n) {
  alloc_mallocs++;
  return malloc(n);
}

static void* counting_realloc(void* p, size_t n) {
  alloc_reallocs++;
  return realloc(p, n);
}

static void* counting_calloc(size_t c, size_t n) {
  alloc_callocs++;
  return calloc(c, n);
}

static void counting_free(void* p) {
  alloc_frees++;
  free(p);
}

TEST(allocator_rejects_null) {
  ASSERT_EQ(uv_replace_allocator(NULL, realloc, calloc, free), UV_EINVAL);
  ASSERT_EQ(uv_replace_allocator(malloc, NULL, calloc, free), UV_EINVAL);
  ASSERT_EQ(uv_replace_allocator(malloc, realloc, NULL, free), UV_EINVAL);
  ASSERT_EQ(uv_replace_allocator(malloc, realloc, calloc, NULL), UV_EINVAL);
  ASSERT_EQ(uv_replace_allocator(NULL, NULL, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(uv_replace_allocator(counting_malloc, counting_realloc,
                                 counting_calloc, NULL),
            UV_EINVAL);
  /* A rejected call installs nothing: none of the counters moves. */
  (void) uv_strerror(-7001);
  ASSERT_EQ(alloc_mallocs + alloc_reallocs + alloc_callocs + alloc_frees, 0);
}

TEST(allocator_replace_and_restore) {
  const char* s;
  ASSERT_OK(uv_replace_allocator(counting_malloc, counting_realloc,
                                 counting_calloc, counting_free));
  /* The library keeps working with the replacement installed. */
  s = uv_strerror(-7002);
  ASSERT_STR_EQ(s, "Unknown system error -7002");
  s = uv_err_name(-7003);
  ASSERT_STR_EQ(s, "Unknown system error -7003");
  ASSERT_STR_EQ(uv_err_name(UV_EINVAL), "EINVAL");
  /* Replacing again (no memory outstanding that matters) and restoring the
   * standard functions both succeed. */
  ASSERT_OK(uv_replace_allocator(counting_malloc, counting_realloc,
                                 counting_calloc, counting_free));
  ASSERT_OK(uv_replace_allocator(malloc, realloc, calloc, free));
  s = uv_strerror(-7004);
  ASSERT_STR_EQ(s, "Unknown system error -7004");
}

TEST(allocator_replacement_survives_unknown_error_strings) {
  /* uv_strerror/uv_err_name keep a heap string for unknown codes.  With a
   * replacement allocator installed that string is valid and is never handed
   * to the user's free (libuv leaks it by design).  (libuv 1.52.1 also
   * allocates it with the user's malloc; rsuv caches it per code, outside
   * the user's allocator, so the malloc count is not asserted here.) */
  const char* a;
  const char* b;
  ASSERT_OK(uv_replace_allocator(counting_malloc, counting_realloc,
                                 counting_calloc, counting_free));
  alloc_mallocs = alloc_reallocs = alloc_callocs = alloc_frees = 0;
  a = uv_strerror(-7005);
  b = uv_err_name(-7005);
  ASSERT_STR_EQ(a, "Unknown system error -7005");
  ASSERT_STR_EQ(b, "Unknown system error -7005");
  ASSERT_OK(uv_replace_allocator(malloc, realloc, calloc, free));
  ASSERT_STR_EQ(a, "Unknown system error -7005");
  ASSERT_STR_EQ(b, "Unknown system error -7005");
  ASSERT_EQ(alloc_frees, 0);
  ASSERT_EQ(alloc_reallocs, 0);
}

/* ---- uv_library_shutdown ----------------------------------------------------------- */

TEST(library_shutdown_after_use) {
  /* Use the library, then release its global state.  Nothing may call into
   * libuv afterwards (documented), so this is the test's last action. */
  char buf[32];
  ASSERT_STR_EQ(uv_strerror(-7006), "Unknown system error -7006");
  ASSERT_STR_EQ(uv_err_name_r(UV_EINVAL, buf, sizeof(buf)), "EINVAL");
  ASSERT_GT(uv_hrtime(), 0);
  uv_library_shutdown();
}

TEST(library_shutdown_first_call) {
  /* Calling it before anything else is allowed too. */
  uv_library_shutdown();
}
