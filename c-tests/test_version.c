/* C1 foundation: uv_version, uv_version_string.
 *
 * The library under test is rsuv (libuv 1.52.1) in every build; only the
 * header differs.  With Debian's header (RSUV_SYSTEM_HEADER, libuv 1.44.2)
 * the compile-time version is older than the running library, which is
 * exactly the drop-in situation: runtime >= compile-time. */
#include "test.h"

#include <uv.h>

#include <stdio.h>
#include <string.h>

TEST(version_runtime_is_1_52_1) {
  ASSERT_EQ(uv_version(), 0x013401);
  ASSERT_STR_EQ(uv_version_string(), "1.52.1");
}

TEST(version_header_macros) {
#ifndef RSUV_SYSTEM_HEADER
  ASSERT_EQ(UV_VERSION_MAJOR, 1);
  ASSERT_EQ(UV_VERSION_MINOR, 52);
  ASSERT_EQ(UV_VERSION_PATCH, 1);
  ASSERT_EQ(UV_VERSION_IS_RELEASE, 1);
  ASSERT_STR_EQ(UV_VERSION_SUFFIX, "");
  ASSERT_EQ(UV_VERSION_HEX, 0x013401);
  ASSERT_EQ(uv_version(), UV_VERSION_HEX);
#else
  ASSERT_EQ(UV_VERSION_HEX, 0x012c02);
  ASSERT_GT(uv_version(), UV_VERSION_HEX);
#endif
  ASSERT_EQ(UV_VERSION_HEX,
            (UV_VERSION_MAJOR << 16) | (UV_VERSION_MINOR << 8) |
                UV_VERSION_PATCH);
  /* Same major version: the ABI promise a drop-in relies on. */
  ASSERT_EQ(uv_version() >> 16, UV_VERSION_MAJOR);
}

TEST(version_string_agrees_with_number) {
  const char* s = uv_version_string();
  unsigned int v = uv_version();
  unsigned int major = 0, minor = 0, patch = 0;
  int consumed = 0;
  char want[32];

  ASSERT_NOT_NULL(s);
  ASSERT_EQ(sscanf(s, "%u.%u.%u%n", &major, &minor, &patch, &consumed), 3);
  /* A release: nothing after the patch number (no "-dev" suffix). */
  ASSERT_EQ(s[consumed], '\0');
  ASSERT_EQ(major, (v >> 16) & 0xff);
  ASSERT_EQ(minor, (v >> 8) & 0xff);
  ASSERT_EQ(patch, v & 0xff);
  ASSERT_EQ(v >> 24, 0);

  snprintf(want, sizeof(want), "%u.%u.%u", (v >> 16) & 0xff, (v >> 8) & 0xff,
           v & 0xff);
  ASSERT_STR_EQ(s, want);
}

TEST(version_string_is_static) {
  /* A static string: the same pointer every call, unchanged after use. */
  const char* a = uv_version_string();
  const char* b = uv_version_string();
  ASSERT(a == b);
  ASSERT_STR_EQ(a, "1.52.1");
  ASSERT_EQ(uv_version(), uv_version());
}
