/* C1 foundation: what a libuv user relies on from <uv.h> itself, checked at
 * run time against the library: the field macros (UV_HANDLE_FIELDS, ...)
 * reproduce the public structs, uv_buf_t can be cast to struct iovec, the
 * UV_FS_O_* flags are the system's O_* flags, and the C1 prototypes have
 * libuv's exact types (a mismatch is a compile error in C++ and a
 * -Werror warning in C). */
#include "test.h"

#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef UV_EXTERN
#error "uv.h must define UV_EXTERN"
#endif
#ifndef UV_ERRNO_MAP
#error "uv.h must define UV_ERRNO_MAP"
#endif
#ifndef UV_HANDLE_TYPE_MAP
#error "uv.h must define UV_HANDLE_TYPE_MAP"
#endif
#ifndef UV_REQ_TYPE_MAP
#error "uv.h must define UV_REQ_TYPE_MAP"
#endif

/* A user's own handle-like struct built from the header's field macro.
 * (UV_HANDLE_FIELDS stays usable after <uv.h>; UV_STREAM_FIELDS and
 * UV_REQ_FIELDS do not, since uv.h #undefs the private macros they expand
 * to, in libuv too.) */
struct hdr_my_handle {
  UV_HANDLE_FIELDS
};

/* A user struct embedding a handle first: the usual container idiom. */
struct hdr_conn {
  uv_tcp_t tcp;
  int id;
};

#define HDR_SAME_FIELD(a, b, f)                                               \
  do {                                                                        \
    ASSERT_U64_EQ(offsetof(a, f), offsetof(b, f));                            \
    ASSERT_U64_EQ(sizeof(((a*) 0)->f), sizeof(((b*) 0)->f));                  \
  } while (0)

TEST(header_handle_fields_macro_layout) {
  ASSERT_U64_EQ(sizeof(struct hdr_my_handle), sizeof(uv_handle_t));
  ASSERT_U64_EQ(sizeof(struct hdr_my_handle), uv_handle_size(UV_HANDLE));
  HDR_SAME_FIELD(struct hdr_my_handle, uv_handle_t, data);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_handle_t, loop);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_handle_t, type);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_handle_t, close_cb);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_handle_t, handle_queue);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_handle_t, u);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_handle_t, next_closing);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_handle_t, flags);
  ASSERT_U64_EQ(offsetof(uv_handle_t, data), 0);
  ASSERT_U64_EQ(offsetof(uv_handle_t, loop), 8);
  ASSERT_U64_EQ(offsetof(uv_handle_t, type), 16);
  ASSERT_U64_EQ(offsetof(uv_handle_t, close_cb), 24);
  ASSERT_U64_EQ(offsetof(uv_handle_t, u), 48);
  ASSERT_U64_EQ(offsetof(uv_handle_t, flags), 88);
}

TEST(header_stream_layout) {
  /* A stream is the handle fields followed by the stream fields. */
  HDR_SAME_FIELD(struct hdr_my_handle, uv_stream_t, data);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_stream_t, loop);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_stream_t, type);
  HDR_SAME_FIELD(struct hdr_my_handle, uv_stream_t, flags);
  ASSERT_U64_EQ(offsetof(uv_stream_t, write_queue_size),
                sizeof(struct hdr_my_handle));
  ASSERT_U64_EQ(uv_handle_size(UV_STREAM), sizeof(uv_stream_t));
  /* Every stream type starts with the stream fields. */
  ASSERT_U64_EQ(offsetof(uv_tcp_t, write_queue_size),
                offsetof(uv_stream_t, write_queue_size));
  ASSERT_U64_EQ(offsetof(uv_pipe_t, read_cb), offsetof(uv_stream_t, read_cb));
  ASSERT_U64_EQ(offsetof(uv_tty_t, alloc_cb), offsetof(uv_stream_t, alloc_cb));
}

TEST(header_req_layout) {
  ASSERT_U64_EQ(uv_req_size(UV_REQ), sizeof(uv_req_t));
  ASSERT_U64_EQ(sizeof(uv_req_t), 64);
  ASSERT_U64_EQ(offsetof(uv_req_t, data), 0);
  ASSERT_U64_EQ(offsetof(uv_req_t, type), 8);
  ASSERT_U64_EQ(offsetof(uv_req_t, reserved), 16);
  ASSERT_U64_EQ(sizeof(((uv_req_t*) 0)->reserved), 6 * sizeof(void*));
  /* Every request type starts with data and type. */
  ASSERT_U64_EQ(offsetof(uv_fs_t, type), offsetof(uv_req_t, type));
  ASSERT_U64_EQ(offsetof(uv_write_t, data), offsetof(uv_req_t, data));
  ASSERT_U64_EQ(offsetof(uv_work_t, type), offsetof(uv_req_t, type));
}

TEST(header_user_struct_embedding_handle) {
  struct hdr_conn c;
  uv_loop_t fake_loop;
  memset(&c, 0, sizeof(c));
  c.id = 77;
  c.tcp.type = UV_TCP;
  c.tcp.loop = &fake_loop;
  uv_handle_set_data((uv_handle_t*) &c.tcp, &c);
  ASSERT(uv_handle_get_data((uv_handle_t*) &c) == &c);
  ASSERT_EQ(((struct hdr_conn*) uv_handle_get_data((uv_handle_t*) &c))->id, 77);
  ASSERT_U64_GE(sizeof(struct hdr_conn), uv_handle_size(UV_TCP) + sizeof(int));
}

TEST(header_loop_size) {
  ASSERT_U64_EQ(uv_loop_size(), sizeof(uv_loop_t));
  ASSERT_U64_EQ(uv_loop_size(), 848);
  ASSERT_U64_EQ(offsetof(uv_loop_t, data), 0);
}

TEST(header_buf_is_iovec) {
  /* "may be cast to struct iovec" (unix.h): same size and field placement. */
  ASSERT_U64_EQ(sizeof(uv_buf_t), sizeof(struct iovec));
  ASSERT_U64_EQ(offsetof(uv_buf_t, base), offsetof(struct iovec, iov_base));
  ASSERT_U64_EQ(offsetof(uv_buf_t, len), offsetof(struct iovec, iov_len));
  ASSERT_U64_EQ(sizeof(((uv_buf_t*) 0)->len), sizeof(size_t));
}

TEST(header_buf_array_through_writev) {
  /* An array of uv_buf_t from uv_buf_init, handed to writev() as iovecs. */
  char a[] = "hello, ";
  char b[] = "libuv ";
  char c[] = "world";
  uv_buf_t bufs[3];
  int fds[2];
  char out[64];
  ssize_t n;

  bufs[0] = uv_buf_init(a, (unsigned int) strlen(a));
  bufs[1] = uv_buf_init(b, (unsigned int) strlen(b));
  bufs[2] = uv_buf_init(c, (unsigned int) strlen(c));
  ASSERT_OK(pipe(fds));
  n = writev(fds[1], (const struct iovec*) bufs, 3);
  ASSERT_EQ(n, 18);
  memset(out, 0, sizeof(out));
  ASSERT_EQ(read(fds[0], out, sizeof(out) - 1), 18);
  ASSERT_STR_EQ(out, "hello, libuv world");
  close(fds[0]);
  close(fds[1]);
}

TEST(header_fs_open_flags) {
  ASSERT_EQ(UV_FS_O_APPEND, O_APPEND);
  ASSERT_EQ(UV_FS_O_CREAT, O_CREAT);
  ASSERT_EQ(UV_FS_O_DIRECT, O_DIRECT);
  ASSERT_EQ(UV_FS_O_DIRECT, 0x4000);
  ASSERT_EQ(UV_FS_O_DIRECTORY, O_DIRECTORY);
  ASSERT_EQ(UV_FS_O_DSYNC, O_DSYNC);
  ASSERT_EQ(UV_FS_O_EXCL, O_EXCL);
  ASSERT_EQ(UV_FS_O_NOATIME, O_NOATIME);
  ASSERT_EQ(UV_FS_O_NOCTTY, O_NOCTTY);
  ASSERT_EQ(UV_FS_O_NOFOLLOW, O_NOFOLLOW);
  ASSERT_EQ(UV_FS_O_NONBLOCK, O_NONBLOCK);
  ASSERT_EQ(UV_FS_O_RDONLY, O_RDONLY);
  ASSERT_EQ(UV_FS_O_RDWR, O_RDWR);
  ASSERT_EQ(UV_FS_O_SYNC, O_SYNC);
  ASSERT_EQ(UV_FS_O_TRUNC, O_TRUNC);
  ASSERT_EQ(UV_FS_O_WRONLY, O_WRONLY);
  /* Windows-only flags are 0 on Unix. */
  ASSERT_EQ(UV_FS_O_EXLOCK, 0);
  ASSERT_EQ(UV_FS_O_SYMLINK, 0);
  ASSERT_EQ(UV_FS_O_FILEMAP, 0);
  ASSERT_EQ(UV_FS_O_RANDOM, 0);
  ASSERT_EQ(UV_FS_O_SHORT_LIVED, 0);
  ASSERT_EQ(UV_FS_O_SEQUENTIAL, 0);
  ASSERT_EQ(UV_FS_O_TEMPORARY, 0);
}

TEST(header_c1_prototypes) {
  /* Each C1 function assigned to a pointer of libuv's exact type. */
  unsigned int (*p_version)(void) = uv_version;
  const char* (*p_version_string)(void) = uv_version_string;
  const char* (*p_strerror)(int) = uv_strerror;
  char* (*p_strerror_r)(int, char*, size_t) = uv_strerror_r;
  const char* (*p_err_name)(int) = uv_err_name;
  char* (*p_err_name_r)(int, char*, size_t) = uv_err_name_r;
  int (*p_translate)(int) = uv_translate_sys_error;
  uv_buf_t (*p_buf_init)(char*, unsigned int) = uv_buf_init;
  int (*p_replace)(uv_malloc_func, uv_realloc_func, uv_calloc_func,
                   uv_free_func) = uv_replace_allocator;
  void (*p_shutdown)(void) = uv_library_shutdown;
  size_t (*p_handle_size)(uv_handle_type) = uv_handle_size;
  size_t (*p_req_size)(uv_req_type) = uv_req_size;
  const char* (*p_handle_type_name)(uv_handle_type) = uv_handle_type_name;
  const char* (*p_req_type_name)(uv_req_type) = uv_req_type_name;
  void* (*p_handle_get_data)(const uv_handle_t*) = uv_handle_get_data;
  void (*p_handle_set_data)(uv_handle_t*, void*) = uv_handle_set_data;
  uv_loop_t* (*p_handle_get_loop)(const uv_handle_t*) = uv_handle_get_loop;
  uv_handle_type (*p_handle_get_type)(const uv_handle_t*) = uv_handle_get_type;
  void* (*p_req_get_data)(const uv_req_t*) = uv_req_get_data;
  void (*p_req_set_data)(uv_req_t*, void*) = uv_req_set_data;
  uv_req_type (*p_req_get_type)(const uv_req_t*) = uv_req_get_type;
  size_t (*p_loop_size)(void) = uv_loop_size;
  void* (*p_loop_get_data)(const uv_loop_t*) = uv_loop_get_data;
  void (*p_loop_set_data)(uv_loop_t*, void*) = uv_loop_set_data;
  uint64_t (*p_hrtime)(void) = uv_hrtime;
  int (*p_gettimeofday)(uv_timeval64_t*) = uv_gettimeofday;
  void (*p_sleep)(unsigned int) = uv_sleep;
#if UV_VERSION_HEX >= 0x012d00
  int (*p_clock_gettime)(uv_clock_id, uv_timespec64_t*) = uv_clock_gettime;
#endif
  char buf[16];

#if UV_VERSION_HEX >= 0x012d00
  ASSERT_EQ(p_clock_gettime(UV_CLOCK_REALTIME, NULL), UV_EFAULT);
#endif

  /* Calls through the pointers reach the library. */
  ASSERT_EQ(p_version(), 0x013401);
  ASSERT_STR_EQ(p_version_string(), "1.52.1");
  ASSERT_STR_EQ(p_strerror(UV_EOF), "end of file");
  ASSERT_STR_EQ(p_strerror_r(UV_EOF, buf, sizeof(buf)), "end of file");
  ASSERT_STR_EQ(p_err_name(UV_EOF), "EOF");
  ASSERT_STR_EQ(p_err_name_r(UV_EOF, buf, sizeof(buf)), "EOF");
  ASSERT_EQ(p_translate(EBADF), UV_EBADF);
  ASSERT_U64_EQ(p_buf_init(buf, 3).len, 3);
  ASSERT_EQ(p_replace(NULL, NULL, NULL, NULL), UV_EINVAL);
  ASSERT_U64_EQ(p_handle_size(UV_IDLE), sizeof(uv_idle_t));
  ASSERT_U64_EQ(p_req_size(UV_WORK), sizeof(uv_work_t));
  ASSERT_STR_EQ(p_handle_type_name(UV_IDLE), "idle");
  ASSERT_STR_EQ(p_req_type_name(UV_WORK), "work");
  ASSERT_U64_EQ(p_loop_size(), sizeof(uv_loop_t));
  ASSERT_U64_GT(p_hrtime(), 0);
  ASSERT_EQ(p_gettimeofday(NULL), UV_EINVAL);
  ASSERT_NOT_NULL((void*) p_shutdown);
  ASSERT_NOT_NULL((void*) p_handle_get_data);
  ASSERT_NOT_NULL((void*) p_handle_set_data);
  ASSERT_NOT_NULL((void*) p_handle_get_loop);
  ASSERT_NOT_NULL((void*) p_handle_get_type);
  ASSERT_NOT_NULL((void*) p_req_get_data);
  ASSERT_NOT_NULL((void*) p_req_set_data);
  ASSERT_NOT_NULL((void*) p_req_get_type);
  ASSERT_NOT_NULL((void*) p_loop_get_data);
  ASSERT_NOT_NULL((void*) p_loop_set_data);
  ASSERT_NOT_NULL((void*) p_sleep);
}
