/* C7 system information: CPUs, parallelism, network interfaces, memory, load
 * average, uptime, resident set size and resource usage.
 *
 * Values are compared with what the C library and /proc say directly.
 * Functions newer than Debian's libuv 1.44.2 header are guarded with
 * UV_VERSION_HEX. */
#include "test.h"

#include <uv.h>

#include <arpa/inet.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

/* ---- CPUs -------------------------------------------------------------------- */

TEST(sysinfo_cpu_info) {
  uv_cpu_info_t* cpus;
  int count;
  int i;
  uint64_t busy = 0;

  ASSERT_OK(uv_cpu_info(&cpus, &count));
  ASSERT_NOT_NULL(cpus);
  /* /proc/stat lists the online CPUs. */
  ASSERT_EQ(count, sysconf(_SC_NPROCESSORS_ONLN));
  for (i = 0; i < count; i++) {
    ASSERT_NOT_NULL(cpus[i].model);
    ASSERT_GT(strlen(cpus[i].model), 0);
    ASSERT_LT(strlen(cpus[i].model), 64);
    ASSERT_GE(cpus[i].speed, 0);
    busy += cpus[i].cpu_times.user + cpus[i].cpu_times.sys +
            cpus[i].cpu_times.idle;
  }
  ASSERT_U64_GT(busy, 0);
  uv_free_cpu_info(cpus, count);
}

TEST(sysinfo_cpu_times_in_ms) {
  /* The times are the /proc/stat tick counts in milliseconds; the first CPU's
   * idle time only grows, so read /proc/stat before and after. */
  uv_cpu_info_t* cpus;
  int count;
  unsigned long long user, nice, sys, idle, before, after;
  long ms_per_tick = 1000 / sysconf(_SC_CLK_TCK);
  char line[512];
  FILE* f;

  f = fopen("/proc/stat", "r");
  ASSERT_NOT_NULL(f);
  ASSERT_NOT_NULL(fgets(line, sizeof(line), f)); /* aggregate */
  ASSERT_EQ(fscanf(f, "cpu%*u %llu %llu %llu %llu", &user, &nice, &sys, &idle),
            4);
  fclose(f);
  before = idle * ms_per_tick;

  ASSERT_OK(uv_cpu_info(&cpus, &count));
  ASSERT_GT(count, 0);
  after = cpus[0].cpu_times.idle;
  ASSERT_U64_GE(after, before);
  ASSERT_U64_LT(after - before, 60000); /* one minute of ticks at most */
  ASSERT_U64_GE(cpus[0].cpu_times.user, user * ms_per_tick);
  uv_free_cpu_info(cpus, count);
}

TEST(sysinfo_available_parallelism_follows_affinity) {
  cpu_set_t set;
  unsigned par;
  int cpu;

  par = uv_available_parallelism();
  ASSERT_GE(par, 1);
  ASSERT_OK(sched_getaffinity(0, sizeof(set), &set));
  ASSERT_LE(par, (unsigned) CPU_COUNT(&set));

  /* Pinned to one CPU: one. */
  for (cpu = 0; cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &set); cpu++) {
  }
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  ASSERT_OK(sched_setaffinity(0, sizeof(set), &set));
  ASSERT_EQ(uv_available_parallelism(), 1);
}

/* ---- network interfaces ------------------------------------------------------------ */

TEST(sysinfo_interface_addresses_has_loopback) {
  uv_interface_address_t* addrs;
  int count;
  int i;
  int lo4 = 0;
  char ip[64];

  ASSERT_OK(uv_interface_addresses(&addrs, &count));
  ASSERT_GT(count, 0);
  ASSERT_NOT_NULL(addrs);
  for (i = 0; i < count; i++) {
    int family = addrs[i].address.address4.sin_family;
    ASSERT_NOT_NULL(addrs[i].name);
    ASSERT(family == AF_INET || family == AF_INET6);
    ASSERT_EQ(addrs[i].netmask.netmask4.sin_family, family);
    if (strcmp(addrs[i].name, "lo") == 0) {
      ASSERT_EQ(addrs[i].is_internal, 1);
      /* The loopback device has no hardware address. */
      ASSERT_EQ(memcmp(addrs[i].phys_addr, "\0\0\0\0\0\0", 6), 0);
    }
    if (family == AF_INET &&
        addrs[i].address.address4.sin_addr.s_addr == htonl(INADDR_LOOPBACK)) {
      ASSERT_STR_EQ(addrs[i].name, "lo");
      ASSERT_EQ(addrs[i].is_internal, 1);
      ASSERT_OK(uv_ip4_name(&addrs[i].netmask.netmask4, ip, sizeof(ip)));
      ASSERT_STR_EQ(ip, "255.0.0.0");
      lo4++;
    }
  }
  ASSERT_EQ(lo4, 1);
  uv_free_interface_addresses(addrs, count);
}

TEST(sysinfo_interface_addresses_non_loopback) {
  /* Every non-loopback entry is external and, on an Ethernet-like device, has
   * the hardware address the kernel reports in sysfs. */
  uv_interface_address_t* addrs;
  int count;
  int i;
  int checked = 0;

  ASSERT_OK(uv_interface_addresses(&addrs, &count));
  for (i = 0; i < count; i++) {
    char path[128];
    char text[64];
    unsigned m[6];
    FILE* f;
    int k;

    if (strcmp(addrs[i].name, "lo") == 0)
      continue;
    ASSERT_EQ(addrs[i].is_internal, 0);
    snprintf(path, sizeof(path), "/sys/class/net/%s/address", addrs[i].name);
    f = fopen(path, "r");
    if (f == NULL)
      continue;
    if (fgets(text, sizeof(text), f) != NULL &&
        sscanf(text, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4],
               &m[5]) == 6) {
      for (k = 0; k < 6; k++)
        ASSERT_EQ((unsigned char) addrs[i].phys_addr[k], m[k]);
      checked++;
    }
    fclose(f);
  }
  uv_free_interface_addresses(addrs, count);
  if (checked == 0)
    TEST_SKIP("no non-loopback interface with a hardware address");
}

/* ---- memory ----------------------------------------------------------------- */

static uint64_t sysinfo_meminfo(const char* key) {
  char line[256];
  unsigned long long kb;
  size_t n = strlen(key);
  FILE* f = fopen("/proc/meminfo", "r");
  ASSERT_NOT_NULL(f);
  while (fgets(line, sizeof(line), f) != NULL) {
    if (strncmp(line, key, n) == 0 && line[n] == ':' &&
        sscanf(line + n + 1, "%llu", &kb) == 1) {
      fclose(f);
      return (uint64_t) kb * 1024;
    }
  }
  fclose(f);
  return 0;
}

TEST(sysinfo_memory) {
  uint64_t total = uv_get_total_memory();
  uint64_t free_mem = uv_get_free_memory();
  uint64_t constrained = uv_get_constrained_memory();

  ASSERT_U64_GT(total, 0);
  ASSERT_U64_GT(free_mem, 0);
  ASSERT_U64_GE(total, free_mem);
  ASSERT_U64_EQ(total, sysinfo_meminfo("MemTotal"));
  /* "Free" is MemAvailable, which moves: within 256 MiB of a fresh reading. */
  ASSERT_U64_LT(llabs((long long) (free_mem - sysinfo_meminfo("MemAvailable"))),
                UINT64_C(256) << 20);
  /* 0 (no mechanism), UINT64_MAX (no limit) or a limit. */
  ASSERT(constrained == 0 || constrained > (UINT64_C(1) << 20));
#if UV_VERSION_HEX >= 0x012d00 /* 1.45.0: uv_get_available_memory */
  ASSERT_U64_LE(uv_get_available_memory(), total);
#endif
}

TEST(sysinfo_constrained_memory_honours_rlimit) {
  struct rlimit rl;
  uint64_t limit = UINT64_C(1) << 40;

  if (uv_version() < 0x013400)
    TEST_SKIP("rlimits count from libuv 1.52");
  ASSERT_OK(getrlimit(RLIMIT_DATA, &rl));
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < limit)
    limit = rl.rlim_max;
  rl.rlim_cur = limit;
  ASSERT_OK(setrlimit(RLIMIT_DATA, &rl));
  ASSERT_U64_LE(uv_get_constrained_memory(), limit);
  ASSERT_U64_GT(uv_get_constrained_memory(), 0);
}

/* Kept in a global so the compiler cannot drop the allocation. */
static char* volatile sysinfo_big;

TEST(sysinfo_resident_set_memory) {
  size_t rss = 0;
  size_t after = 0;
  long pages_before = 0;
  long resident = 0;
  size_t big = 64u << 20;
  char* p;
  FILE* f;

  ASSERT_OK(uv_resident_set_memory(&rss));
  ASSERT_GT(rss, 0);
  f = fopen("/proc/self/statm", "r");
  ASSERT_NOT_NULL(f);
  ASSERT_EQ(fscanf(f, "%ld %ld", &pages_before, &resident), 2);
  fclose(f);
  ASSERT_LT(llabs((long long) rss - resident * sysconf(_SC_PAGESIZE)),
            8 << 20);

  /* Touching 64 MiB grows it by about that much. */
  p = (char*) malloc(big);
  ASSERT_NOT_NULL(p);
  sysinfo_big = p;
  memset(sysinfo_big, 1, big);
  ASSERT_OK(uv_resident_set_memory(&after));
  ASSERT_GT(after, rss + big / 2);
  ASSERT_EQ(sysinfo_big[big - 1], 1);
  free(sysinfo_big);
}

/* ---- load, uptime --------------------------------------------------------------- */

TEST(sysinfo_loadavg) {
  double avg[3] = {-1, -1, -1};
  double want[3];
  int i;

  uv_loadavg(avg);
  ASSERT_EQ(getloadavg(want, 3), 3);
  for (i = 0; i < 3; i++) {
    ASSERT(avg[i] >= 0);
    ASSERT(fabs(avg[i] - want[i]) < 1.0);
  }
}

TEST(sysinfo_uptime) {
  double up = 0;
  double up2 = 0;
  struct timespec ts = {0, 30 * 1000 * 1000};

  ASSERT_OK(uv_uptime(&up));
  ASSERT(up > 0);
  nanosleep(&ts, NULL);
  ASSERT_OK(uv_uptime(&up2));
  ASSERT(up2 > up);
  ASSERT(up2 - up < 5);
}

/* ---- resource usage -------------------------------------------------------------- */

static volatile unsigned long sysinfo_sink;

static void sysinfo_burn_ms(int ms) {
  struct timespec a, b;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &a);
  do {
    int i;
    for (i = 0; i < 10000; i++)
      sysinfo_sink += (unsigned long) i * 7;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
  } while ((b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

static double sysinfo_cpu_s(const uv_rusage_t* r) {
  return (double) r->ru_utime.tv_sec + r->ru_utime.tv_usec / 1e6 +
         (double) r->ru_stime.tv_sec + r->ru_stime.tv_usec / 1e6;
}

TEST(sysinfo_getrusage) {
  uv_rusage_t r;
  struct rusage want;

  sysinfo_burn_ms(50);
  ASSERT_OK(uv_getrusage(&r));
  ASSERT_OK(getrusage(RUSAGE_SELF, &want));
  ASSERT_GE(r.ru_utime.tv_usec, 0);
  ASSERT_LT(r.ru_utime.tv_usec, 1000000);
  ASSERT_LT(r.ru_stime.tv_usec, 1000000);
  ASSERT(sysinfo_cpu_s(&r) >= 0.04);
  ASSERT_U64_GT(r.ru_maxrss, 0);
  ASSERT_U64_LE(r.ru_maxrss, (uint64_t) want.ru_maxrss);
  ASSERT_U64_LE(r.ru_minflt, (uint64_t) want.ru_minflt);
  ASSERT_U64_LE(r.ru_nvcsw, (uint64_t) want.ru_nvcsw);
}

#if UV_VERSION_HEX >= 0x013200 /* 1.50.0: uv_getrusage_thread */
static void* sysinfo_burner(void* arg) {
  (void) arg;
  sysinfo_burn_ms(200);
  return NULL;
}

TEST(sysinfo_getrusage_thread_is_per_thread) {
  uv_rusage_t self_before, self_after, proc;
  pthread_t t;

  ASSERT_OK(uv_getrusage_thread(&self_before));
  ASSERT_OK(pthread_create(&t, NULL, sysinfo_burner, NULL));
  ASSERT_OK(pthread_join(t, NULL));
  ASSERT_OK(uv_getrusage_thread(&self_after));
  ASSERT_OK(uv_getrusage(&proc));
  /* The other thread's 200 ms count for the process, not for this thread. */
  ASSERT(sysinfo_cpu_s(&self_after) - sysinfo_cpu_s(&self_before) < 0.1);
  ASSERT(sysinfo_cpu_s(&proc) - sysinfo_cpu_s(&self_after) >= 0.15);
}
#endif
