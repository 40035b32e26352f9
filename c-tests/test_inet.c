/* C3 addresses: uv_inet_pton, uv_inet_ntop, uv_ip4_addr, uv_ip6_addr,
 * uv_ip4_name, uv_ip6_name, uv_ip_name, uv_if_indextoname, uv_if_indextoiid.
 *
 * The expectations are libuv's observable behaviour on Linux (checked
 * against libuv itself): its own strict parser (dotted quads only, no
 * leading zeros), its printer (first longest zero run as "::", IPv4-mapped
 * and -compatible tails), the "%zone" handling of uv_inet_pton and
 * uv_ip6_addr, and the buffer-size contracts. */
#include "test.h"

#include <uv.h>

#include <net/if.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

/* ---- helpers ------------------------------------------------------------ */

static int pton4(const char* s, unsigned char out[4]) {
  return uv_inet_pton(AF_INET, s, out);
}

static int pton6(const char* s, unsigned char out[16]) {
  return uv_inet_pton(AF_INET6, s, out);
}

/* The canonical text of an IPv6 text, through pton and ntop. */
static const char* canon6(const char* s, char* buf, size_t size) {
  unsigned char a[16];
  if (pton6(s, a) != 0)
    return "(pton failed)";
  if (uv_inet_ntop(AF_INET6, a, buf, size) != 0)
    return "(ntop failed)";
  return buf;
}

/* ---- IPv4 --------------------------------------------------------------- */

TEST(inet_pton4_valid) {
  unsigned char a[4];
  static const unsigned char loopback[4] = {127, 0, 0, 1};
  static const unsigned char mixed[4] = {1, 0, 10, 100};

  ASSERT_OK(pton4("127.0.0.1", a));
  ASSERT_OK(memcmp(a, loopback, 4));
  ASSERT_OK(pton4("1.0.10.100", a));
  ASSERT_OK(memcmp(a, mixed, 4));
  ASSERT_OK(pton4("0.0.0.0", a));
  ASSERT_EQ(a[0] | a[1] | a[2] | a[3], 0);
  ASSERT_OK(pton4("255.255.255.255", a));
  ASSERT_EQ(a[0] & a[1] & a[2] & a[3], 255);
}

TEST(inet_pton4_invalid) {
  static const char* const bad[] = {
    "", "1", "1.2", "1.2.3", "1.2.3.4.", ".1.2.3.4", "1..2.3", "1.2.3.4.5",
    "256.0.0.0", "255.255.255.256", "2555.0.0.0", "01.2.3.4", "1.2.3.00",
    "0x7f.0.0.1", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1.2.3.4%lo",
    "255.255.255*000", "a.b.c.d", "::1", "1.2.3.4:80",
  };
  unsigned char a[4] = {9, 9, 9, 9};
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (pton4(bad[i], a) != UV_EINVAL)
      TEST_FAIL("uv_inet_pton(AF_INET, \"%s\") did not fail with UV_EINVAL",
                bad[i]);
  }
  /* Nothing is written on failure. */
  ASSERT_EQ(a[0], 9);
  ASSERT_EQ(a[3], 9);
}

TEST(inet_pton_bad_family) {
  unsigned char a[16];
  ASSERT_EQ(uv_inet_pton(AF_UNIX, "1.2.3.4", a), UV_EAFNOSUPPORT);
  ASSERT_EQ(uv_inet_pton(42, "127.0.0.1", a), UV_EAFNOSUPPORT);
  ASSERT_EQ(uv_inet_pton(AF_UNSPEC, "::1", a), UV_EAFNOSUPPORT);
}

TEST(inet_ntop4) {
  static const unsigned char ones[4] = {255, 255, 255, 255};
  static const unsigned char mixed[4] = {1, 20, 100, 9};
  char dst[16];

  ASSERT_OK(uv_inet_ntop(AF_INET, mixed, dst, sizeof(dst)));
  ASSERT_STR_EQ(dst, "1.20.100.9");
  ASSERT_OK(uv_inet_ntop(AF_INET, ones, dst, sizeof(dst)));
  ASSERT_STR_EQ(dst, "255.255.255.255");
  /* 15 characters need 16 bytes with the NUL. */
  memset(dst, 'x', sizeof(dst));
  ASSERT_EQ(uv_inet_ntop(AF_INET, ones, dst, 15), UV_ENOSPC);
  ASSERT_EQ(dst[0], 'x');
  ASSERT_EQ(uv_inet_ntop(AF_INET, ones, dst, 0), UV_ENOSPC);
  ASSERT_OK(uv_inet_ntop(AF_INET, mixed, dst, 11));
  ASSERT_STR_EQ(dst, "1.20.100.9");
  ASSERT_EQ(uv_inet_ntop(AF_INET, mixed, dst, 10), UV_ENOSPC);
}

TEST(inet_ntop_bad_family) {
  unsigned char a[16];
  char dst[64];
  memset(a, 0, sizeof(a));
  ASSERT_EQ(uv_inet_ntop(AF_UNIX, a, dst, sizeof(dst)), UV_EAFNOSUPPORT);
  ASSERT_EQ(uv_inet_ntop(42, a, dst, sizeof(dst)), UV_EAFNOSUPPORT);
}

TEST(inet_ip4_addr) {
  struct sockaddr_in addr;
  char dst[16];

  memset(&addr, 0x55, sizeof(addr));
  ASSERT_OK(uv_ip4_addr("192.168.1.20", 8080, &addr));
  ASSERT_EQ(addr.sin_family, AF_INET);
  ASSERT_EQ(addr.sin_port, htons(8080));
  ASSERT_EQ(addr.sin_addr.s_addr, htonl(0xc0a80114));
  ASSERT_EQ(addr.sin_zero[0], 0);
  ASSERT_EQ(addr.sin_zero[7], 0);
  ASSERT_OK(uv_ip4_name(&addr, dst, sizeof(dst)));
  ASSERT_STR_EQ(dst, "192.168.1.20");

  /* The port is truncated to 16 bits, as htons does. */
  ASSERT_OK(uv_ip4_addr("0.0.0.0", 65536 + 80, &addr));
  ASSERT_EQ(addr.sin_port, htons(80));
  ASSERT_EQ(addr.sin_addr.s_addr, 0);

  /* A bad address still leaves a zeroed AF_INET sockaddr with the port. */
  memset(&addr, 0x55, sizeof(addr));
  ASSERT_EQ(uv_ip4_addr("255.255.255.256", 1, &addr), UV_EINVAL);
  ASSERT_EQ(addr.sin_family, AF_INET);
  ASSERT_EQ(addr.sin_port, htons(1));
  ASSERT_EQ(addr.sin_addr.s_addr, 0);
  ASSERT_EQ(uv_ip4_addr("255", 1, &addr), UV_EINVAL);
  ASSERT_EQ(uv_ip4_addr("localhost", 1, &addr), UV_EINVAL);
}

/* ---- IPv6 --------------------------------------------------------------- */

TEST(inet_pton6_valid) {
  static const char* const good[] = {
    "::", "::1", "fe80::1", "fe80::", "FE80::1", "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::", "::2:3:4:5:6:7:8", "1::8",
    "fe80::2acf:daff:fedd:342a", "fe80:0:0:0:2acf:daff:fedd:342a",
    "fe80:0:0:0:2acf:daff:1.2.3.4", "::ffff:10.0.0.1", "::1.2.3.4",
    "1::1.2.3.4", "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255",
    "0000:0000:0000:0000:0000:ffff:255.255.255.255",
  };
  unsigned char a[16];
  static const unsigned char one[16] = {0, 0, 0, 0, 0, 0, 0, 0,
                                        0, 0, 0, 0, 0, 0, 0, 1};
  size_t i;

  for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
    if (pton6(good[i], a) != 0)
      TEST_FAIL("uv_inet_pton(AF_INET6, \"%s\") failed", good[i]);
  }
  ASSERT_OK(pton6("0:0:0:0:0:0:0:1", a));
  ASSERT_OK(memcmp(a, one, 16));
  ASSERT_OK(pton6("::ffff:1.2.3.4", a));
  ASSERT_EQ(a[10], 0xff);
  ASSERT_EQ(a[11], 0xff);
  ASSERT_EQ(a[12], 1);
  ASSERT_EQ(a[15], 4);
}

TEST(inet_pton6_invalid) {
  static const char* const bad[] = {
    "", ":", ":::", ":::1", "1:::2", "1::2::3", ":1::", ":1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:8:", "1:2:3:4:5:6:7:8::", "::1:2:3:4:5:6:7:8",
    "1:2:3:4::5:6:7:8", "1:2:3:4:5:6:7", "1:2:3:4:5:6:7:8:9", "abcde::1",
    "g::1", "fe80:0:0:0:2acf:daff:fedd:342a:5678",
    "fe80:0:0:0:2acf:daff:abcd:1.2.3.4", "fe80:0:0:2acf:daff:1.2.3.4.5",
    "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255.255",
    "1:2:3:4:5:6::1.2.3.4", "1.2.3.4", "1.2.3.4::", "::1.2.3.4:1",
    "::1.2.3", "::01.2.3.4", "::1 ", " ::1", "[::1]", "%lo",
  };
  unsigned char a[16];
  size_t i;

  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    if (pton6(bad[i], a) != UV_EINVAL)
      TEST_FAIL("uv_inet_pton(AF_INET6, \"%s\") did not fail with UV_EINVAL",
                bad[i]);
  }
}

TEST(inet_pton6_zone_suffix) {
  unsigned char a[16];
  unsigned char b[16];
  /* 45 characters: the longest valid text. */
  static const char longest[] = "0000:0000:0000:0000:0000:ffff:255.255.255.255";
  char text[128];

  ASSERT_EQ(strlen(longest), 45);
  /* Everything from the first '%' on is ignored by uv_inet_pton. */
  ASSERT_OK(pton6("fe80::1", a));
  ASSERT_OK(pton6("fe80::1%lo", b));
  ASSERT_OK(memcmp(a, b, 16));
  ASSERT_OK(pton6("fe80::1%%%%", b));
  ASSERT_OK(pton6("fe80::1%en1:1.2.3.4", b));
  ASSERT_OK(memcmp(a, b, 16));
  ASSERT_EQ(pton6("fe80::1::%lo", b), UV_EINVAL);

  snprintf(text, sizeof(text), "%s%%eth0", longest);
  ASSERT_OK(pton6(text, a));
  snprintf(text, sizeof(text), "0%s%%eth0", longest);
  ASSERT_EQ(pton6(text, a), UV_EINVAL);
  snprintf(text, sizeof(text), "0%s", longest);
  ASSERT_EQ(pton6(text, a), UV_EINVAL);
}

TEST(inet_ntop6_canonical) {
  static const char* const cases[][2] = {
    {"::", "::"},
    {"0:0:0:0:0:0:0:1", "::1"},
    {"1::", "1::"},
    {"FE80:0000:0000:0000:2ACF:DAFF:FEDD:342A", "fe80::2acf:daff:fedd:342a"},
    {"1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"},       /* single zeros stay */
    {"1:0:0:2:0:0:3:4", "1::2:0:0:3:4"},          /* first longest run */
    {"1:0:0:2:0:0:0:4", "1:0:0:2::4"},            /* longest run */
    {"1:2:3:4:5:6:0:0", "1:2:3:4:5:6::"},
    {"0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"}, /* IPv4-mapped */
    {"::ffff:0:0", "::ffff:0.0.0.0"},
    {"::102:304", "::1.2.3.4"},                   /* IPv4-compatible */
    {"::0.1.0.0", "::0.1.0.0"},
    {"::0.0.1.0", "::100"},
    {"::fffe:1.2.3.4", "::fffe:102:304"},
    {"1::ffff:1.2.3.4", "1::ffff:102:304"},
    {"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
     "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"},
  };
  char buf[64];
  size_t i;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
    ASSERT_STR_EQ(canon6(cases[i][0], buf, sizeof(buf)), cases[i][1]);
}

TEST(inet_ntop6_enospc) {
  unsigned char a[16];
  char buf[64];

  ASSERT_OK(pton6("fe80::1", a));
  ASSERT_OK(uv_inet_ntop(AF_INET6, a, buf, 8)); /* "fe80::1" + NUL */
  ASSERT_STR_EQ(buf, "fe80::1");
  memset(buf, 'x', sizeof(buf));
  ASSERT_EQ(uv_inet_ntop(AF_INET6, a, buf, 7), UV_ENOSPC);
  ASSERT_EQ(buf[0], 'x');
  ASSERT_EQ(uv_inet_ntop(AF_INET6, a, buf, 0), UV_ENOSPC);

  ASSERT_OK(pton6("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", a));
  ASSERT_EQ(uv_inet_ntop(AF_INET6, a, buf, 39), UV_ENOSPC);
  ASSERT_OK(uv_inet_ntop(AF_INET6, a, buf, 40));
  ASSERT_EQ(strlen(buf), 39);
}

TEST(inet_round_trip) {
  static const char* const canonical[] = {
    "::", "::1", "fe80::1", "2001:db8::ff00:42:8329", "::ffff:192.0.2.128",
    "1:2:3:4:5:6:7:8", "1::", "1:0:0:2::", "abc:de:f:10::", "::1.2.3.4",
    "127.0.0.1", "0.0.0.0", "255.255.255.255", "10.1.2.3",
  };
  unsigned char a[16];
  char buf[64];
  size_t i;

  for (i = 0; i < sizeof(canonical) / sizeof(canonical[0]); i++) {
    int af = strchr(canonical[i], ':') != NULL ? AF_INET6 : AF_INET;
    ASSERT_OK(uv_inet_pton(af, canonical[i], a));
    ASSERT_OK(uv_inet_ntop(af, a, buf, sizeof(buf)));
    ASSERT_STR_EQ(buf, canonical[i]);
  }
}

TEST(inet_ip6_addr_scope_id) {
  struct sockaddr_in6 addr;
  unsigned int lo = if_nametoindex("lo");
  char dst[64];

  if (lo == 0)
    TEST_SKIP("no loopback interface");

  memset(&addr, 0x55, sizeof(addr));
  ASSERT_OK(uv_ip6_addr("fe80::1%lo", 9000, &addr));
  ASSERT_EQ(addr.sin6_family, AF_INET6);
  ASSERT_EQ(addr.sin6_port, htons(9000));
  ASSERT_EQ(addr.sin6_scope_id, lo);
  ASSERT_EQ(addr.sin6_flowinfo, 0);
  ASSERT_OK(uv_ip6_name(&addr, dst, sizeof(dst)));
  ASSERT_STR_EQ(dst, "fe80::1");

  /* Without a zone, or with an unknown one, the scope id is 0; the zone is
   * an interface name (a number is looked up as a name, too). */
  ASSERT_OK(uv_ip6_addr("fe80::1", 9000, &addr));
  ASSERT_EQ(addr.sin6_scope_id, 0);
  ASSERT_OK(uv_ip6_addr("fe80::1%no-such-if0", 9000, &addr));
  ASSERT_EQ(addr.sin6_scope_id, 0);
  ASSERT_OK(uv_ip6_addr("fe80::1%", 9000, &addr));
  ASSERT_EQ(addr.sin6_scope_id, 0);

  /* The zone is looked up even when the address is bad. */
  ASSERT_EQ(uv_ip6_addr("fe80::1::%lo", 9000, &addr), UV_EINVAL);
  ASSERT_EQ(addr.sin6_scope_id, lo);
  ASSERT_EQ(uv_ip6_addr("1.2.3.4", 1, &addr), UV_EINVAL);
}

TEST(inet_ip6_addr_long_address_part) {
  struct sockaddr_in6 addr;
  unsigned char want[16];
  static const char full[] = "1111:2222:3333:4444:5555:6666:7777:8888";
  static const char longest[] = "0000:0000:0000:0000:0000:ffff:255.255.255.255";
  char text[128];

  /* uv_ip6_addr keeps at most 39 bytes before the '%' (the rest is cut). */
  ASSERT_EQ(strlen(full), 39);
  ASSERT_OK(pton6(full, want));
  snprintf(text, sizeof(text), "%sjunk%%lo", full);
  ASSERT_OK(uv_ip6_addr(text, 1, &addr));
  ASSERT_OK(memcmp(&addr.sin6_addr, want, 16));

  ASSERT_OK(uv_ip6_addr(longest, 1, &addr));
  snprintf(text, sizeof(text), "%s%%lo", longest);
  ASSERT_EQ(uv_ip6_addr(text, 1, &addr), UV_EINVAL);
}

/* ---- uv_ip_name --------------------------------------------------------- */

TEST(inet_ip_name) {
  struct sockaddr_in a4;
  struct sockaddr_in6 a6;
  struct sockaddr_un un;
  struct sockaddr_storage ss;
  char dst[64];

  ASSERT_OK(uv_ip4_addr("10.11.12.13", 1, &a4));
  ASSERT_OK(uv_ip_name((const struct sockaddr*) &a4, dst, sizeof(dst)));
  ASSERT_STR_EQ(dst, "10.11.12.13");
  ASSERT_EQ(uv_ip_name((const struct sockaddr*) &a4, dst, 11), UV_ENOSPC);
  ASSERT_OK(uv_ip_name((const struct sockaddr*) &a4, dst, 12));

  ASSERT_OK(uv_ip6_addr("2001:db8::1", 1, &a6));
  ASSERT_OK(uv_ip_name((const struct sockaddr*) &a6, dst, sizeof(dst)));
  ASSERT_STR_EQ(dst, "2001:db8::1");
  ASSERT_EQ(uv_ip_name((const struct sockaddr*) &a6, dst, 11), UV_ENOSPC);

  /* Through a sockaddr_storage, as programs usually hold addresses. */
  memset(&ss, 0, sizeof(ss));
  memcpy(&ss, &a6, sizeof(a6));
  ASSERT_OK(uv_ip_name((const struct sockaddr*) &ss, dst, sizeof(dst)));
  ASSERT_STR_EQ(dst, "2001:db8::1");

  memset(&un, 0, sizeof(un));
  un.sun_family = AF_UNIX;
  strcpy(un.sun_path, "/tmp/sock");
  ASSERT_EQ(uv_ip_name((const struct sockaddr*) &un, dst, sizeof(dst)),
            UV_EAFNOSUPPORT);
  ss.ss_family = AF_UNSPEC;
  ASSERT_EQ(uv_ip_name((const struct sockaddr*) &ss, dst, sizeof(dst)),
            UV_EAFNOSUPPORT);
}

/* ---- interface names ---------------------------------------------------- */

TEST(inet_if_indextoname) {
  unsigned int lo = if_nametoindex("lo");
  char name[UV_IF_NAMESIZE];
  char small[2];
  size_t size;

  if (lo == 0)
    TEST_SKIP("no loopback interface");

  size = sizeof(name);
  ASSERT_OK(uv_if_indextoname(lo, name, &size));
  ASSERT_STR_EQ(name, "lo");
  ASSERT_EQ(size, 2); /* the length, without the NUL */

  /* Exactly enough room. */
  size = 3;
  ASSERT_OK(uv_if_indextoname(lo, name, &size));
  ASSERT_EQ(size, 2);

  /* Too small: UV_ENOBUFS and the size needed, NUL included. */
  memset(small, 'x', sizeof(small));
  size = sizeof(small);
  ASSERT_EQ(uv_if_indextoname(lo, small, &size), UV_ENOBUFS);
  ASSERT_EQ(size, 3);
  ASSERT_EQ(small[0], 'x');
  size = 1;
  ASSERT_EQ(uv_if_indextoname(lo, small, &size), UV_ENOBUFS);
  ASSERT_EQ(size, 3);
}

TEST(inet_if_indextoname_errors) {
  char name[UV_IF_NAMESIZE];
  size_t size;

  size = 0;
  ASSERT_EQ(uv_if_indextoname(1, name, &size), UV_EINVAL);
  ASSERT_EQ(uv_if_indextoname(1, name, NULL), UV_EINVAL);
  size = sizeof(name);
  ASSERT_EQ(uv_if_indextoname(1, NULL, &size), UV_EINVAL);

  /* An index no interface has: the system's error (ENXIO on Linux). */
  size = sizeof(name);
  ASSERT_EQ(uv_if_indextoname((unsigned int) -1, name, &size), UV_ENXIO);
  ASSERT_EQ(size, sizeof(name));
  ASSERT_EQ(uv_if_indextoname(0, name, &size), UV_ENXIO);
}

TEST(inet_if_indextoiid) {
  unsigned int lo = if_nametoindex("lo");
  char name[UV_IF_NAMESIZE];
  char small[1];
  size_t size;

  if (lo == 0)
    TEST_SKIP("no loopback interface");

  /* On Unix the interface identifier is the interface name. */
  size = sizeof(name);
  ASSERT_OK(uv_if_indextoiid(lo, name, &size));
  ASSERT_STR_EQ(name, "lo");
  ASSERT_EQ(size, 2);
  size = sizeof(small);
  ASSERT_EQ(uv_if_indextoiid(lo, small, &size), UV_ENOBUFS);
  ASSERT_EQ(size, 3);
  size = 0;
  ASSERT_EQ(uv_if_indextoiid(lo, name, &size), UV_EINVAL);
}
