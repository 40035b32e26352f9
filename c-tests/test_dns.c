/* DNS: uv_getaddrinfo and uv_getnameinfo, synchronous (no callback) and on
 * the threadpool, error mapping (EAI_* to UV_EAI_*), argument checks,
 * cancellation, uv_freeaddrinfo.
 *
 * There is no network here: names come from /etc/hosts ("localhost") and
 * services from /etc/services; failures come from AI_NUMERICHOST, unknown
 * services and bad hints, never from a resolver.  Every expectation was checked against libuv 1.52.1. */
#include "test.h"

#include <uv.h>

#include "net_util.h"

#include <netdb.h>
#include <pthread.h>

/* The first IPv4 address of a result, as "a.b.c.d:port". */
static void dns_first4(const struct addrinfo* ai, char* out, size_t size) {
  char ip[64];
  for (; ai != NULL; ai = ai->ai_next) {
    if (ai->ai_family == AF_INET) {
      const struct sockaddr_in* a = (const struct sockaddr_in*) ai->ai_addr;
      ASSERT_OK(uv_ip4_name(a, ip, sizeof(ip)));
      snprintf(out, size, "%s:%d", ip, ntohs(a->sin_port));
      return;
    }
  }
  TEST_FAIL("no IPv4 address in the result");
}

static void dns_hints(struct addrinfo* hints, int family, int flags) {
  memset(hints, 0, sizeof(*hints));
  hints->ai_family = family;
  hints->ai_socktype = SOCK_STREAM;
  hints->ai_flags = flags;
}

TEST(dns_getaddrinfo_localhost_sync) {
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  char text[80];

  ASSERT_OK(uv_loop_init(&loop));
  dns_hints(&hints, AF_INET, 0);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, NULL, "localhost", "80", &hints));
  ASSERT_EQ(req.type, UV_GETADDRINFO);
  ASSERT_NOT_NULL(req.addrinfo);
  dns_first4(req.addrinfo, text, sizeof(text));
  ASSERT_STR_EQ(text, "127.0.0.1:80");
  /* The copies are gone; the request no longer counts. */
  ASSERT_NULL(req.hostname);
  ASSERT_NULL(req.service);
  ASSERT_NULL(req.hints);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  uv_freeaddrinfo(req.addrinfo);

  /* A service name from /etc/services, no hints. */
  ASSERT_OK(uv_getaddrinfo(&loop, &req, NULL, "localhost", "http", NULL));
  ASSERT_NOT_NULL(req.addrinfo);
  dns_first4(req.addrinfo, text, sizeof(text));
  ASSERT_STR_EQ(text, "127.0.0.1:80");
  uv_freeaddrinfo(req.addrinfo);

  /* Synchronous calls need no loop. */
  ASSERT_OK(uv_getaddrinfo(NULL, &req, NULL, "127.0.0.1", NULL, &hints));
  ASSERT_NOT_NULL(req.addrinfo);
  uv_freeaddrinfo(req.addrinfo);
  ASSERT_OK(uv_loop_close(&loop));
}

static struct {
  int calls;
  int status;
  pthread_t thread;
  char text[80];
  struct addrinfo* res;
} ga;

static void ga_cb(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  ga.calls++;
  ga.status = status;
  ga.thread = pthread_self();
  ga.res = res;
  ASSERT_EQ(req->addrinfo, res);
  ASSERT_NULL(req->hostname);
  if (status == 0)
    dns_first4(res, ga.text, sizeof(ga.text));
  else
    ASSERT_NULL(res);
  uv_freeaddrinfo(res);
}

TEST(dns_getaddrinfo_localhost_async) {
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  struct addrinfo hints;

  memset(&ga, 0, sizeof(ga));
  ASSERT_OK(uv_loop_init(&loop));
  dns_hints(&hints, AF_INET, 0);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, ga_cb, "localhost", "8080", &hints));
  /* The hints were copied: the program's struct may change now. */
  dns_hints(&hints, AF_INET6, AI_NUMERICHOST);
  ASSERT_EQ(ga.calls, 0);
  ASSERT_EQ(uv_loop_alive(&loop), 1);    /* the request keeps the loop alive */
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(ga.calls, 1);
  ASSERT_OK(ga.status);
  ASSERT(pthread_equal(ga.thread, pthread_self()));
  ASSERT_STR_EQ(ga.text, "127.0.0.1:8080");
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(dns_getaddrinfo_failures) {
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  struct addrinfo hints;

  ASSERT_OK(uv_loop_init(&loop));
  /* Not a numeric address: EAI_NONAME. */
  dns_hints(&hints, AF_INET, AI_NUMERICHOST);
  ASSERT_EQ(uv_getaddrinfo(&loop, &req, NULL, "localhost", NULL, &hints), UV_EAI_NONAME);
  ASSERT_NULL(req.addrinfo);
  /* An unknown service. */
  dns_hints(&hints, AF_INET, 0);
  ASSERT_EQ(uv_getaddrinfo(&loop, &req, NULL, "localhost", "no-such-service-xyz", &hints),
            UV_EAI_SERVICE);
  /* A bad family. */
  dns_hints(&hints, 12345, 0);
  ASSERT_EQ(uv_getaddrinfo(&loop, &req, NULL, "localhost", NULL, &hints), UV_EAI_FAMILY);
  /* A bad flag. */
  dns_hints(&hints, AF_INET, 0x7fff0000);
  ASSERT_EQ(uv_getaddrinfo(&loop, &req, NULL, "localhost", NULL, &hints), UV_EAI_BADFLAGS);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(dns_getaddrinfo_failure_async) {
  uv_loop_t loop;
  uv_getaddrinfo_t req;
  struct addrinfo hints;

  memset(&ga, 0, sizeof(ga));
  ASSERT_OK(uv_loop_init(&loop));
  dns_hints(&hints, AF_INET, AI_NUMERICHOST);
  ASSERT_OK(uv_getaddrinfo(&loop, &req, ga_cb, "localhost", NULL, &hints));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(ga.calls, 1);
  ASSERT_EQ(ga.status, UV_EAI_NONAME);
  ASSERT_NULL(ga.res);
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(dns_getaddrinfo_einval) {
  uv_loop_t loop;
  uv_getaddrinfo_t req;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_EQ(uv_getaddrinfo(&loop, NULL, NULL, "localhost", NULL, NULL), UV_EINVAL);
  ASSERT_EQ(uv_getaddrinfo(&loop, &req, NULL, NULL, NULL, NULL), UV_EINVAL);
  ASSERT_EQ(uv_getaddrinfo(&loop, &req, ga_cb, NULL, NULL, NULL), UV_EINVAL);
  /* A callback needs a loop. */
  ASSERT_EQ(uv_getaddrinfo(NULL, &req, ga_cb, "localhost", NULL, NULL), UV_EINVAL);
  /* Host names go through libuv's IDNA conversion: empty or bad UTF-8 is
   * refused before any lookup. */
  ASSERT_EQ(uv_getaddrinfo(&loop, &req, NULL, "", NULL, NULL), UV_EINVAL);
  ASSERT_EQ(uv_getaddrinfo(&loop, &req, NULL, "bad\xff.invalid", NULL, NULL), UV_EINVAL);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_OK(uv_loop_close(&loop));
}

/* Non-ASCII names are converted (Punycode) and then looked up: they fail
 * like any name that is not numeric, not with UV_EINVAL. */
TEST(dns_getaddrinfo_idna) {
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  int r;

  dns_hints(&hints, AF_INET, AI_NUMERICHOST);
  r = uv_getaddrinfo(NULL, &req, NULL, "b\xc3\xbc" "cher.invalid", NULL, &hints);
  ASSERT_EQ(r, UV_EAI_NONAME);
}

/* Service only: the wildcard or loopback address. */
TEST(dns_getaddrinfo_service_only) {
  uv_getaddrinfo_t req;
  struct addrinfo hints;
  char text[80];

  dns_hints(&hints, AF_INET, AI_PASSIVE);
  ASSERT_OK(uv_getaddrinfo(NULL, &req, NULL, NULL, "4321", &hints));
  dns_first4(req.addrinfo, text, sizeof(text));
  ASSERT_STR_EQ(text, "0.0.0.0:4321");
  uv_freeaddrinfo(req.addrinfo);
  uv_freeaddrinfo(NULL);                  /* no-op */
}

/* Many lookups at once, each callback once. */
#define DNS_CONCURRENT 12

static int gc_calls[DNS_CONCURRENT];

static void gc_cb(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  int i = (int) (intptr_t) req->data;
  ASSERT_OK(status);
  ASSERT_NOT_NULL(res);
  gc_calls[i]++;
  uv_freeaddrinfo(res);
}

TEST(dns_getaddrinfo_concurrent) {
  uv_loop_t loop;
  uv_getaddrinfo_t reqs[DNS_CONCURRENT];
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < DNS_CONCURRENT; i++) {
    reqs[i].data = (void*) (intptr_t) i;
    ASSERT_OK(uv_getaddrinfo(&loop, &reqs[i], gc_cb, "localhost", NULL, NULL));
  }
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  for (i = 0; i < DNS_CONCURRENT; i++)
    ASSERT_EQ(gc_calls[i], 1);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- cancellation ---------------------------------------------------------- */

static uv_sem_t dc_sem;
static int dc_blocked;
static int dc_ga_status = 1;
static int dc_gn_status = 1;
static const char* dc_gn_host = "unset";

static void dc_block_work(uv_work_t* req) {
  (void) req;
  uv_sem_wait(&dc_sem);
}

static void dc_block_done(uv_work_t* req, int status) {
  (void) req;
  (void) status;
  dc_blocked--;
}

static void dc_ga_cb(uv_getaddrinfo_t* req, int status, struct addrinfo* res) {
  (void) req;
  dc_ga_status = status;
  uv_freeaddrinfo(res);
}

static void dc_gn_cb(uv_getnameinfo_t* req, int status, const char* host,
                     const char* service) {
  (void) req;
  (void) service;
  dc_gn_status = status;
  dc_gn_host = host;
}

TEST(dns_cancel) {
  uv_loop_t loop;
  uv_work_t blockers[4];
  uv_getaddrinfo_t ga_req;
  uv_getnameinfo_t gn_req;
  struct sockaddr_in addr;
  int r1, r2;
  int i;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_sem_init(&dc_sem, 0));
  /* Keep every thread of the default pool (4) busy, so the lookups wait. */
  for (i = 0; i < 4; i++) {
    ASSERT_OK(uv_queue_work(&loop, &blockers[i], dc_block_work, dc_block_done));
    dc_blocked++;
  }
  nu_addr4(&addr, 80);
  ASSERT_OK(uv_getaddrinfo(&loop, &ga_req, dc_ga_cb, "localhost", NULL, NULL));
  ASSERT_OK(uv_getnameinfo(&loop, &gn_req, dc_gn_cb, (const struct sockaddr*) &addr, 0));
  r1 = uv_cancel((uv_req_t*) &ga_req);
  r2 = uv_cancel((uv_req_t*) &gn_req);
  for (i = 0; i < 4; i++)
    uv_sem_post(&dc_sem);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(dc_blocked, 0);
  /* With a bigger pool (UV_THREADPOOL_SIZE) a lookup may have started. */
  if (r1 == 0)
    ASSERT_EQ(dc_ga_status, UV_EAI_CANCELED);
  else
    ASSERT_EQ(r1, UV_EBUSY);
  if (r2 == 0) {
    ASSERT_EQ(dc_gn_status, UV_EAI_CANCELED);
    ASSERT_NULL(dc_gn_host);
  } else {
    ASSERT_EQ(r2, UV_EBUSY);
  }
  ASSERT_NE(dc_ga_status, 1);
  ASSERT_NE(dc_gn_status, 1);
  uv_sem_destroy(&dc_sem);
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- getnameinfo ------------------------------------------------------------ */

TEST(dns_getnameinfo_sync) {
  uv_loop_t loop;
  uv_getnameinfo_t req;
  struct sockaddr_in addr;

  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&addr, 80);
  ASSERT_OK(uv_getnameinfo(&loop, &req, NULL, (const struct sockaddr*) &addr,
                           NI_NUMERICHOST | NI_NUMERICSERV));
  ASSERT_EQ(req.type, UV_GETNAMEINFO);
  ASSERT_STR_EQ(req.host, "127.0.0.1");
  ASSERT_STR_EQ(req.service, "80");
  /* Names from /etc/hosts and /etc/services. */
  ASSERT_OK(uv_getnameinfo(&loop, &req, NULL, (const struct sockaddr*) &addr, 0));
  ASSERT_STR_EQ(req.host, "localhost");
  ASSERT_STR_EQ(req.service, "http");
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_OK(uv_loop_close(&loop));
}

static struct {
  int calls;
  int status;
  char host[128];
  char service[64];
} gn;

static void gn_cb(uv_getnameinfo_t* req, int status, const char* host,
                  const char* service) {
  gn.calls++;
  gn.status = status;
  ASSERT_EQ(host, req->host);
  ASSERT_EQ(service, req->service);
  snprintf(gn.host, sizeof(gn.host), "%s", host);
  snprintf(gn.service, sizeof(gn.service), "%s", service);
}

TEST(dns_getnameinfo_async) {
  uv_loop_t loop;
  uv_getnameinfo_t req;
  struct sockaddr_in addr;
  struct sockaddr_in6 addr6;

  memset(&gn, 0, sizeof(gn));
  ASSERT_OK(uv_loop_init(&loop));
  nu_addr4(&addr, 443);
  ASSERT_OK(uv_getnameinfo(&loop, &req, gn_cb, (const struct sockaddr*) &addr,
                           NI_NUMERICHOST));
  /* The address was copied. */
  memset(&addr, 0, sizeof(addr));
  ASSERT_EQ(gn.calls, 0);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(gn.calls, 1);
  ASSERT_OK(gn.status);
  ASSERT_STR_EQ(gn.host, "127.0.0.1");
  ASSERT_STR_EQ(gn.service, "https");

  ASSERT_OK(uv_ip6_addr("::1", 22, &addr6));
  ASSERT_OK(uv_getnameinfo(&loop, &req, gn_cb, (const struct sockaddr*) &addr6,
                           NI_NUMERICHOST | NI_NUMERICSERV));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(gn.calls, 2);
  ASSERT_OK(gn.status);
  ASSERT_STR_EQ(gn.host, "::1");
  ASSERT_STR_EQ(gn.service, "22");
  ASSERT_OK(uv_loop_close(&loop));
}

TEST(dns_getnameinfo_einval) {
  uv_loop_t loop;
  uv_getnameinfo_t req;
  struct sockaddr_un un;
  struct sockaddr_in addr;

  ASSERT_OK(uv_loop_init(&loop));
  memset(&un, 0, sizeof(un));
  un.sun_family = AF_UNIX;
  nu_addr4(&addr, 80);
  ASSERT_EQ(uv_getnameinfo(&loop, &req, NULL, (const struct sockaddr*) &un, 0), UV_EINVAL);
  ASSERT_EQ(uv_getnameinfo(&loop, &req, NULL, NULL, 0), UV_EINVAL);
  ASSERT_EQ(uv_getnameinfo(&loop, NULL, NULL, (const struct sockaddr*) &addr, 0), UV_EINVAL);
  ASSERT_EQ(uv_loop_alive(&loop), 0);
  ASSERT_OK(uv_loop_close(&loop));
}
