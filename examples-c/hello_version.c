/* Prints which libuv this program runs on, and a few of its error names and messages.
 * Build it against any libuv 1.x header; run it with rsuv's libuv.so.1. */
#include <stdio.h>
#include <uv.h>

int main(void) {
  static const int codes[] = { UV_EOF, UV_EAGAIN, UV_ECONNREFUSED, UV_ECANCELED, UV_EAI_NONAME };
  char buf[64];
  unsigned i;

  printf("compiled against libuv %d.%d.%d, running on libuv %s (0x%06x)\n",
         UV_VERSION_MAJOR, UV_VERSION_MINOR, UV_VERSION_PATCH,
         uv_version_string(), uv_version());
  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
    printf("  %6d  %-16s %s\n", codes[i], uv_err_name(codes[i]),
           uv_strerror_r(codes[i], buf, sizeof(buf)));
  printf("  %6d  %s\n", -99999, uv_strerror(-99999));
  printf("uv_loop_t is %zu bytes, uv_tcp_t %zu, uv_fs_t %zu; monotonic clock %llu ns\n",
         uv_loop_size(), uv_handle_size(UV_TCP), uv_req_size(UV_FS),
         (unsigned long long) uv_hrtime());
  return 0;
}
