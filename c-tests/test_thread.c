/* Threads and synchronization primitives, as a libuv user calls them:
 * uv_thread_*, uv_mutex_*, uv_rwlock_*, uv_sem_*, uv_cond_*, uv_barrier_*,
 * uv_key_*, uv_once, uv_cpumask_size.
 *
 * Also compiled against Debian's libuv 1.44.2 header: functions added later
 * are guarded with THREAD_TEST_SINCE(minor). */
#include "test.h"

#include <uv.h>

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define THREAD_TEST_SINCE(minor) \
  (UV_VERSION_MAJOR > 1 || (UV_VERSION_MAJOR == 1 && UV_VERSION_MINOR >= (minor)))

#define NS_PER_MS UINT64_C(1000000)

/* ---- thread creation ------------------------------------------------------ */

struct create_arg {
  int value;
  uv_thread_t self;
  size_t stack_size;   /* as pthread_getattr_np reports it */
};

static void create_entry(void* p) {
  struct create_arg* a = (struct create_arg*) p;
  pthread_attr_t attr;
  void* addr;
  size_t size;

  a->value += 1;
  a->self = uv_thread_self();
  if (pthread_getattr_np(pthread_self(), &attr) == 0) {
    if (pthread_attr_getstack(&attr, &addr, &size) == 0)
      a->stack_size = size;
    pthread_attr_destroy(&attr);
  }
}

TEST(thread_create_join_arg) {
  uv_thread_t tid;
  struct create_arg a;

  memset(&a, 0, sizeof(a));
  a.value = 41;
  ASSERT_OK(uv_thread_create(&tid, create_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.value, 42);
  ASSERT(uv_thread_equal(&tid, &a.self));
}

TEST(thread_create_many) {
  enum { N = 16 };
  uv_thread_t tids[N];
  struct create_arg args[N];
  int i;

  for (i = 0; i < N; i++) {
    memset(&args[i], 0, sizeof(args[i]));
    args[i].value = i;
    ASSERT_OK(uv_thread_create(&tids[i], create_entry, &args[i]));
  }
  for (i = 0; i < N; i++) {
    ASSERT_OK(uv_thread_join(&tids[i]));
    ASSERT_EQ(args[i].value, i + 1);
  }
  for (i = 0; i < N; i++)
    ASSERT(uv_thread_equal(&tids[i], &args[i].self));
}

TEST(thread_create_ex_stack_size) {
  uv_thread_t tid;
  uv_thread_options_t options;
  struct create_arg a;

  memset(&a, 0, sizeof(a));
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = 1024 * 1024;
  ASSERT_OK(uv_thread_create_ex(&tid, &options, create_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.value, 1);
  ASSERT_GE(a.stack_size, 1024 * 1024);
  ASSERT_LT(a.stack_size, 2 * 1024 * 1024);
}

TEST(thread_create_ex_tiny_stack_rounded_up) {
  uv_thread_t tid;
  uv_thread_options_t options;
  struct create_arg a;
  size_t sizes[] = { 1, 100, 4097 };
  size_t i;

  for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
    memset(&a, 0, sizeof(a));
    options.flags = UV_THREAD_HAS_STACK_SIZE;
    options.stack_size = sizes[i];
    ASSERT_OK(uv_thread_create_ex(&tid, &options, create_entry, &a));
    ASSERT_OK(uv_thread_join(&tid));
    ASSERT_EQ(a.value, 1);
    /* At least libuv's floor (8 KiB) and PTHREAD_STACK_MIN. */
    ASSERT_GE(a.stack_size, 8192);
    ASSERT_GE(a.stack_size, (size_t) sysconf(_SC_THREAD_STACK_MIN));
    ASSERT_EQ(a.stack_size % (size_t) getpagesize(), 0);
  }
}

TEST(thread_create_ex_default_stack_follows_rlimit) {
  uv_thread_t tid;
  uv_thread_options_t options;
  struct create_arg a;
  struct rlimit lim;
  size_t expected;
  size_t min_stack = (size_t) sysconf(_SC_THREAD_STACK_MIN);

  /* Without UV_THREAD_HAS_STACK_SIZE (and with it but size 0), threads get
   * RLIMIT_STACK's soft limit, or 2 MiB when it is unlimited. */
  ASSERT_OK(getrlimit(RLIMIT_STACK, &lim));
  if (min_stack < 8192)
    min_stack = 8192;
  expected = 2 << 20;
  if (lim.rlim_cur != RLIM_INFINITY) {
    size_t rounded =
        (size_t) (lim.rlim_cur - lim.rlim_cur % (rlim_t) getpagesize());
    if (rounded >= min_stack)
      expected = rounded;
  }

  memset(&a, 0, sizeof(a));
  options.flags = UV_THREAD_NO_FLAGS;
  options.stack_size = 12345;  /* ignored without the flag */
  ASSERT_OK(uv_thread_create_ex(&tid, &options, create_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_GE(a.stack_size, expected);
  ASSERT_LE(a.stack_size, expected + 65536);

  memset(&a, 0, sizeof(a));
  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = 0;
  ASSERT_OK(uv_thread_create_ex(&tid, &options, create_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_GE(a.stack_size, expected);
  ASSERT_LE(a.stack_size, expected + 65536);
}

/* Uses a good part of a 256 KiB stack, to prove the size is really used. */
static void deep_stack_entry(void* p) {
  volatile char big[160 * 1024];
  size_t i;
  for (i = 0; i < sizeof(big); i += 512)
    big[i] = (char) (i / 512);
  *(int*) p = big[512] + 1;
}

TEST(thread_create_ex_stack_is_usable) {
  uv_thread_t tid;
  uv_thread_options_t options;
  int out = 0;

  options.flags = UV_THREAD_HAS_STACK_SIZE;
  options.stack_size = 256 * 1024;
  ASSERT_OK(uv_thread_create_ex(&tid, &options, deep_stack_entry, &out));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(out, 2);
}

TEST(thread_self_equal) {
  uv_thread_t main_a = uv_thread_self();
  uv_thread_t main_b = uv_thread_self();
  uv_thread_t tid;
  struct create_arg a;

  ASSERT(uv_thread_equal(&main_a, &main_b));
  memset(&a, 0, sizeof(a));
  ASSERT_OK(uv_thread_create(&tid, create_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT(!uv_thread_equal(&main_a, &a.self));
  ASSERT(uv_thread_equal(&tid, &a.self));
}

TEST(thread_join_self_is_deadlock) {
  uv_thread_t self = uv_thread_self();
  ASSERT_EQ(uv_thread_join(&self), -EDEADLK);  /* no UV_EDEADLK: a raw -errno */
}

#if THREAD_TEST_SINCE(50)
static uv_sem_t detach_sem;

static void detach_entry(void* p) {
  (void) p;
  uv_sem_post(&detach_sem);
}

TEST(thread_detach) {
  uv_thread_t tid;

  ASSERT_OK(uv_sem_init(&detach_sem, 0));
  ASSERT_OK(uv_thread_create(&tid, detach_entry, NULL));
  ASSERT_OK(uv_thread_detach(&tid));
  uv_sem_wait(&detach_sem);
  uv_sem_destroy(&detach_sem);
}
#endif

/* ---- names ---------------------------------------------------------------- */

#if THREAD_TEST_SINCE(50)
struct name_arg {
  uv_sem_t named;
  uv_sem_t done;
  const char* name;
  int set_result;
};

static void name_entry(void* p) {
  struct name_arg* a = (struct name_arg*) p;
  a->set_result = uv_thread_setname(a->name);
  uv_sem_post(&a->named);
  uv_sem_wait(&a->done);
}

TEST(thread_setname_getname) {
  uv_thread_t self = uv_thread_self();
  char buf[64];

  ASSERT_OK(uv_thread_setname("rsuv-worker"));
  memset(buf, 'x', sizeof(buf));
  ASSERT_OK(uv_thread_getname(&self, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "rsuv-worker");

  /* Linux's limit: 15 characters and the NUL. */
  ASSERT_OK(uv_thread_setname("0123456789abcdefghijklmnop"));
  ASSERT_OK(uv_thread_getname(&self, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "0123456789abcde");
  ASSERT_EQ(strlen(buf), 15);

  /* A small buffer gets a truncated, NUL-terminated name. */
  memset(buf, 'x', sizeof(buf));
  ASSERT_OK(uv_thread_getname(&self, buf, 4));
  ASSERT_STR_EQ(buf, "012");
  ASSERT_EQ(buf[4], 'x');
  ASSERT_OK(uv_thread_getname(&self, buf, 1));
  ASSERT_EQ(buf[0], '\0');

  ASSERT_OK(uv_thread_setname(""));
  ASSERT_OK(uv_thread_getname(&self, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "");
}

TEST(thread_name_errors) {
  uv_thread_t self = uv_thread_self();
  char buf[16];

  ASSERT_EQ(uv_thread_setname(NULL), UV_EINVAL);
  ASSERT_EQ(uv_thread_getname(&self, NULL, sizeof(buf)), UV_EINVAL);
  ASSERT_EQ(uv_thread_getname(&self, buf, 0), UV_EINVAL);
}

TEST(thread_getname_of_other_thread) {
  uv_thread_t tid;
  struct name_arg a;
  char buf[32];

  ASSERT_OK(uv_sem_init(&a.named, 0));
  ASSERT_OK(uv_sem_init(&a.done, 0));
  a.name = "other-thread-name-too-long";
  a.set_result = -1;
  ASSERT_OK(uv_thread_create(&tid, name_entry, &a));
  uv_sem_wait(&a.named);
  ASSERT_OK(a.set_result);
  ASSERT_OK(uv_thread_getname(&tid, buf, sizeof(buf)));
  ASSERT_STR_EQ(buf, "other-thread-na");
  uv_sem_post(&a.done);
  ASSERT_OK(uv_thread_join(&tid));
  uv_sem_destroy(&a.named);
  uv_sem_destroy(&a.done);
}
#endif

/* ---- affinity and CPU ----------------------------------------------------- */

#if THREAD_TEST_SINCE(45)
TEST(thread_cpumask_size) {
  ASSERT_EQ(uv_cpumask_size(), 1024);
}

TEST(thread_affinity_round_trip) {
  uv_thread_t self = uv_thread_self();
  int n = uv_cpumask_size();
  char* mask = (char*) calloc((size_t) n, 1);
  char* old = (char*) calloc((size_t) n, 1);
  char* back = (char*) calloc((size_t) n, 1);
  int i;
  int count = 0;
  int first = -1;

  ASSERT_NOT_NULL(mask);
  ASSERT_NOT_NULL(old);
  ASSERT_NOT_NULL(back);
  ASSERT_OK(uv_thread_getaffinity(&self, mask, (size_t) n));
  for (i = 0; i < n; i++) {
    ASSERT(mask[i] == 0 || mask[i] == 1);
    if (mask[i]) {
      count++;
      if (first < 0)
        first = i;
    }
  }
  ASSERT_GE(count, 1);

  /* Set it to what it is; the old mask comes back equal. */
  memset(old, 7, (size_t) n);
  ASSERT_OK(uv_thread_setaffinity(&self, mask, old, (size_t) n));
  ASSERT_OK(memcmp(mask, old, (size_t) n));
  ASSERT_OK(uv_thread_getaffinity(&self, back, (size_t) n));
  ASSERT_OK(memcmp(mask, back, (size_t) n));

  /* Pin to the first CPU; any non-zero byte means "set". */
  memset(back, 0, (size_t) n);
  back[first] = 42;
  ASSERT_OK(uv_thread_setaffinity(&self, back, NULL, (size_t) n));
  ASSERT_OK(uv_thread_getaffinity(&self, old, (size_t) n));
  for (i = 0; i < n; i++)
    ASSERT_EQ(old[i], i == first);
  ASSERT_EQ(uv_thread_getcpu(), first);

  /* Restore. */
  ASSERT_OK(uv_thread_setaffinity(&self, mask, NULL, (size_t) n));
  ASSERT_OK(uv_thread_getaffinity(&self, back, (size_t) n));
  ASSERT_OK(memcmp(mask, back, (size_t) n));

  free(mask);
  free(old);
  free(back);
}

TEST(thread_affinity_errors) {
  uv_thread_t self = uv_thread_self();
  int n = uv_cpumask_size();
  char* mask = (char*) calloc((size_t) n, 1);
  char* zero = (char*) calloc((size_t) n, 1);

  ASSERT_NOT_NULL(mask);
  ASSERT_NOT_NULL(zero);
  ASSERT_EQ(uv_thread_getaffinity(&self, mask, (size_t) n - 1), UV_EINVAL);
  ASSERT_EQ(uv_thread_setaffinity(&self, mask, NULL, (size_t) n - 1), UV_EINVAL);
  /* An empty mask is refused by the kernel. */
  ASSERT_EQ(uv_thread_setaffinity(&self, zero, NULL, (size_t) n), UV_EINVAL);
  free(mask);
  free(zero);
}

struct affinity_arg {
  uv_sem_t ready;
  uv_sem_t done;
};

static void affinity_entry(void* p) {
  struct affinity_arg* a = (struct affinity_arg*) p;
  uv_sem_post(&a->ready);
  uv_sem_wait(&a->done);
}

TEST(thread_affinity_of_other_thread) {
  uv_thread_t tid;
  struct affinity_arg a;
  int n = uv_cpumask_size();
  char* mask = (char*) calloc((size_t) n, 1);
  char* pinned = (char*) calloc((size_t) n, 1);
  char* back = (char*) calloc((size_t) n, 1);
  int i;
  int last = -1;

  ASSERT_NOT_NULL(mask);
  ASSERT_NOT_NULL(pinned);
  ASSERT_NOT_NULL(back);
  ASSERT_OK(uv_sem_init(&a.ready, 0));
  ASSERT_OK(uv_sem_init(&a.done, 0));
  ASSERT_OK(uv_thread_create(&tid, affinity_entry, &a));
  uv_sem_wait(&a.ready);

  ASSERT_OK(uv_thread_getaffinity(&tid, mask, (size_t) n));
  for (i = 0; i < n; i++)
    if (mask[i])
      last = i;
  ASSERT_GE(last, 0);
  pinned[last] = 1;
  ASSERT_OK(uv_thread_setaffinity(&tid, pinned, back, (size_t) n));
  ASSERT_OK(memcmp(mask, back, (size_t) n));
  ASSERT_OK(uv_thread_getaffinity(&tid, back, (size_t) n));
  ASSERT_OK(memcmp(pinned, back, (size_t) n));

  uv_sem_post(&a.done);
  ASSERT_OK(uv_thread_join(&tid));
  uv_sem_destroy(&a.ready);
  uv_sem_destroy(&a.done);
  free(mask);
  free(pinned);
  free(back);
}

TEST(thread_getcpu) {
  uv_thread_t self = uv_thread_self();
  int n = uv_cpumask_size();
  char* mask = (char*) calloc((size_t) n, 1);
  int cpu = uv_thread_getcpu();

  ASSERT_NOT_NULL(mask);
  ASSERT_GE(cpu, 0);
  ASSERT_LT(cpu, n);
  ASSERT_OK(uv_thread_getaffinity(&self, mask, (size_t) n));
  /* The CPU may change between the calls, but only within the mask. */
  cpu = uv_thread_getcpu();
  ASSERT_EQ(mask[cpu], 1);
  free(mask);
}
#endif

/* ---- priority ------------------------------------------------------------- */

#if THREAD_TEST_SINCE(48)
struct priority_arg {
  int initial;
  int get_initial;
  int set_lowest;
  int after;
  int get_after;
  int bad_high;
  int bad_low;
  uv_sem_t ready;
  uv_sem_t done;
};

static void priority_entry(void* p) {
  struct priority_arg* a = (struct priority_arg*) p;
  uv_thread_t self = uv_thread_self();

  a->get_initial = uv_thread_getpriority(self, &a->initial);
  a->bad_high = uv_thread_setpriority(self, UV_THREAD_PRIORITY_HIGHEST + 1);
  a->bad_low = uv_thread_setpriority(self, UV_THREAD_PRIORITY_LOWEST - 1);
  /* Lowering one's own priority needs no privilege (nice 4). */
  a->set_lowest = uv_thread_setpriority(self, UV_THREAD_PRIORITY_LOWEST);
  a->get_after = uv_thread_getpriority(self, &a->after);
  uv_sem_post(&a->ready);
  uv_sem_wait(&a->done);
}

TEST(thread_priority) {
  uv_thread_t self = uv_thread_self();
  uv_thread_t tid;
  struct priority_arg a;
  int prio = 12345;

  ASSERT_EQ(uv_thread_getpriority(self, NULL), UV_EINVAL);
  ASSERT_OK(uv_thread_getpriority(self, &prio));
  ASSERT_EQ(prio, getpriority(PRIO_PROCESS, 0));  /* the main thread's nice value */

  memset(&a, 0, sizeof(a));
  ASSERT_OK(uv_sem_init(&a.ready, 0));
  ASSERT_OK(uv_sem_init(&a.done, 0));
  ASSERT_OK(uv_thread_create(&tid, priority_entry, &a));
  uv_sem_wait(&a.ready);
  ASSERT_OK(a.get_initial);
  ASSERT_EQ(a.bad_high, UV_EINVAL);
  ASSERT_EQ(a.bad_low, UV_EINVAL);
  if (a.initial <= 4) {
    ASSERT_OK(a.set_lowest);
    ASSERT_OK(a.get_after);
    ASSERT_EQ(a.after, 4);
  }
  /* Seen from another thread, a SCHED_OTHER thread's static priority is 0. */
  prio = 12345;
  ASSERT_OK(uv_thread_getpriority(tid, &prio));
  ASSERT_EQ(prio, 0);
  /* For another SCHED_OTHER thread every level maps to static priority 0. */
  ASSERT_OK(uv_thread_setpriority(tid, UV_THREAD_PRIORITY_NORMAL));
  uv_sem_post(&a.done);
  ASSERT_OK(uv_thread_join(&tid));
  uv_sem_destroy(&a.ready);
  uv_sem_destroy(&a.done);
}
#endif

/* ---- mutexes -------------------------------------------------------------- */

struct try_arg {
  uv_mutex_t* mutex;
  uv_rwlock_t* rwlock;
  int result;
  int result2;
};

static void mutex_trylock_entry(void* p) {
  struct try_arg* a = (struct try_arg*) p;
  a->result = uv_mutex_trylock(a->mutex);
  if (a->result == 0)
    uv_mutex_unlock(a->mutex);
}

TEST(thread_mutex_lock_trylock) {
  uv_mutex_t mutex;
  uv_thread_t tid;
  struct try_arg a;

  ASSERT_OK(uv_mutex_init(&mutex));
  memset(&a, 0, sizeof(a));
  a.mutex = &mutex;

  uv_mutex_lock(&mutex);
  a.result = 1;
  ASSERT_OK(uv_thread_create(&tid, mutex_trylock_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.result, UV_EBUSY);
  uv_mutex_unlock(&mutex);

  a.result = 1;
  ASSERT_OK(uv_thread_create(&tid, mutex_trylock_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_OK(a.result);

  ASSERT_OK(uv_mutex_trylock(&mutex));
  uv_mutex_unlock(&mutex);
  uv_mutex_destroy(&mutex);
}

TEST(thread_mutex_recursive) {
  uv_mutex_t mutex;
  uv_thread_t tid;
  struct try_arg a;

  ASSERT_OK(uv_mutex_init_recursive(&mutex));
  memset(&a, 0, sizeof(a));
  a.mutex = &mutex;

  uv_mutex_lock(&mutex);
  uv_mutex_lock(&mutex);
  ASSERT_OK(uv_mutex_trylock(&mutex));

  a.result = 1;
  ASSERT_OK(uv_thread_create(&tid, mutex_trylock_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.result, UV_EBUSY);

  uv_mutex_unlock(&mutex);
  uv_mutex_unlock(&mutex);
  a.result = 1;
  ASSERT_OK(uv_thread_create(&tid, mutex_trylock_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.result, UV_EBUSY);  /* still held once */

  uv_mutex_unlock(&mutex);
  a.result = 1;
  ASSERT_OK(uv_thread_create(&tid, mutex_trylock_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_OK(a.result);
  uv_mutex_destroy(&mutex);
}

struct counter_arg {
  uv_mutex_t mutex;
  long counter;
};

enum { COUNTER_THREADS = 4, COUNTER_ROUNDS = 20000 };

static void counter_entry(void* p) {
  struct counter_arg* a = (struct counter_arg*) p;
  int i;
  for (i = 0; i < COUNTER_ROUNDS; i++) {
    uv_mutex_lock(&a->mutex);
    a->counter++;
    uv_mutex_unlock(&a->mutex);
  }
}

TEST(thread_mutex_excludes) {
  uv_thread_t tids[COUNTER_THREADS];
  struct counter_arg a;
  int i;

  ASSERT_OK(uv_mutex_init(&a.mutex));
  a.counter = 0;
  for (i = 0; i < COUNTER_THREADS; i++)
    ASSERT_OK(uv_thread_create(&tids[i], counter_entry, &a));
  for (i = 0; i < COUNTER_THREADS; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  ASSERT_EQ(a.counter, (long) COUNTER_THREADS * COUNTER_ROUNDS);
  uv_mutex_destroy(&a.mutex);
}

/* ---- read-write locks ----------------------------------------------------- */

static void rwlock_try_entry(void* p) {
  struct try_arg* a = (struct try_arg*) p;
  a->result = uv_rwlock_trywrlock(a->rwlock);
  if (a->result == 0)
    uv_rwlock_wrunlock(a->rwlock);
  a->result2 = uv_rwlock_tryrdlock(a->rwlock);
  if (a->result2 == 0)
    uv_rwlock_rdunlock(a->rwlock);
}

TEST(thread_rwlock) {
  uv_rwlock_t rwlock;
  uv_thread_t tid;
  struct try_arg a;

  ASSERT_OK(uv_rwlock_init(&rwlock));
  memset(&a, 0, sizeof(a));
  a.rwlock = &rwlock;

  /* Read-locked here: another thread can read but not write. */
  uv_rwlock_rdlock(&rwlock);
  ASSERT_OK(uv_rwlock_tryrdlock(&rwlock));  /* readers share */
  uv_rwlock_rdunlock(&rwlock);
  a.result = a.result2 = 1;
  ASSERT_OK(uv_thread_create(&tid, rwlock_try_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.result, UV_EBUSY);
  ASSERT_OK(a.result2);
  uv_rwlock_rdunlock(&rwlock);

  /* Write-locked here: another thread can do neither. */
  uv_rwlock_wrlock(&rwlock);
  a.result = a.result2 = 1;
  ASSERT_OK(uv_thread_create(&tid, rwlock_try_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(a.result, UV_EBUSY);
  ASSERT_EQ(a.result2, UV_EBUSY);
  uv_rwlock_wrunlock(&rwlock);

  /* Unlocked: both work. */
  a.result = a.result2 = 1;
  ASSERT_OK(uv_thread_create(&tid, rwlock_try_entry, &a));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_OK(a.result);
  ASSERT_OK(a.result2);

  ASSERT_OK(uv_rwlock_trywrlock(&rwlock));
  uv_rwlock_wrunlock(&rwlock);
  uv_rwlock_destroy(&rwlock);
}

/* ---- semaphores ----------------------------------------------------------- */

TEST(thread_sem_trywait) {
  uv_sem_t sem;

  ASSERT_OK(uv_sem_init(&sem, 0));
  ASSERT_EQ(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_post(&sem);
  ASSERT_OK(uv_sem_trywait(&sem));
  ASSERT_EQ(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_destroy(&sem);

  ASSERT_OK(uv_sem_init(&sem, 3));
  ASSERT_OK(uv_sem_trywait(&sem));
  ASSERT_OK(uv_sem_trywait(&sem));
  uv_sem_wait(&sem);
  ASSERT_EQ(uv_sem_trywait(&sem), UV_EAGAIN);
  uv_sem_destroy(&sem);
}

struct pingpong_arg {
  uv_sem_t ping;
  uv_sem_t pong;
  int rounds;
  int seen;
};

static void pong_entry(void* p) {
  struct pingpong_arg* a = (struct pingpong_arg*) p;
  int i;
  for (i = 0; i < a->rounds; i++) {
    uv_sem_wait(&a->ping);
    a->seen++;
    uv_sem_post(&a->pong);
  }
}

TEST(thread_sem_across_threads) {
  uv_thread_t tid;
  struct pingpong_arg a;
  int i;

  ASSERT_OK(uv_sem_init(&a.ping, 0));
  ASSERT_OK(uv_sem_init(&a.pong, 0));
  a.rounds = 1000;
  a.seen = 0;
  ASSERT_OK(uv_thread_create(&tid, pong_entry, &a));
  for (i = 0; i < a.rounds; i++) {
    uv_sem_post(&a.ping);
    uv_sem_wait(&a.pong);
    ASSERT_EQ(a.seen, i + 1);
  }
  ASSERT_OK(uv_thread_join(&tid));
  uv_sem_destroy(&a.ping);
  uv_sem_destroy(&a.pong);
}

/* ---- condition variables -------------------------------------------------- */

TEST(thread_cond_timedwait_times_out) {
  uv_cond_t cond;
  uv_mutex_t mutex;
  uint64_t timeout = 50 * NS_PER_MS;
  uint64_t start;
  uint64_t elapsed;
  int r;

  ASSERT_OK(uv_cond_init(&cond));
  ASSERT_OK(uv_mutex_init(&mutex));
  uv_mutex_lock(&mutex);
  start = uv_hrtime();
  do  /* a spurious wakeup returns 0 early */
    r = uv_cond_timedwait(&cond, &mutex, timeout);
  while (r == 0 && uv_hrtime() - start < timeout);
  elapsed = uv_hrtime() - start;
  ASSERT_EQ(r, UV_ETIMEDOUT);
  ASSERT_U64_GE(elapsed, timeout);
  ASSERT_U64_LT(elapsed, 5000 * NS_PER_MS);

  /* A zero timeout returns at once. */
  ASSERT_EQ(uv_cond_timedwait(&cond, &mutex, 0), UV_ETIMEDOUT);
  uv_mutex_unlock(&mutex);
  uv_mutex_destroy(&mutex);
  uv_cond_destroy(&cond);
}

struct cond_arg {
  uv_cond_t cond;
  uv_mutex_t mutex;
  int ready;      /* waiters that are waiting */
  int go;         /* the condition */
  int woken;
  int timed;      /* wait with uv_cond_timedwait */
  int timed_result;
};

static void cond_waiter_entry(void* p) {
  struct cond_arg* a = (struct cond_arg*) p;
  uv_mutex_lock(&a->mutex);
  a->ready++;
  uv_cond_broadcast(&a->cond);  /* tell the main thread (waits on the same cond) */
  while (!a->go) {
    if (a->timed) {
      a->timed_result = uv_cond_timedwait(&a->cond, &a->mutex, 10000 * NS_PER_MS);
      if (a->timed_result != 0)
        break;
    } else {
      uv_cond_wait(&a->cond, &a->mutex);
    }
  }
  a->woken++;
  uv_mutex_unlock(&a->mutex);
}

static void cond_run(int nthreads, int timed, int broadcast) {
  uv_thread_t tids[8];
  struct cond_arg a;
  uint64_t start;
  int i;

  memset(&a, 0, sizeof(a));
  a.timed = timed;
  ASSERT_OK(uv_cond_init(&a.cond));
  ASSERT_OK(uv_mutex_init(&a.mutex));
  for (i = 0; i < nthreads; i++)
    ASSERT_OK(uv_thread_create(&tids[i], cond_waiter_entry, &a));

  uv_mutex_lock(&a.mutex);
  while (a.ready < nthreads)
    uv_cond_wait(&a.cond, &a.mutex);
  start = uv_hrtime();
  a.go = 1;
  if (broadcast)
    uv_cond_broadcast(&a.cond);
  else
    for (i = 0; i < nthreads; i++)
      uv_cond_signal(&a.cond);
  uv_mutex_unlock(&a.mutex);

  for (i = 0; i < nthreads; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  ASSERT_EQ(a.woken, nthreads);
  ASSERT_OK(a.timed_result);
  ASSERT_U64_LT(uv_hrtime() - start, 5000 * NS_PER_MS);
  uv_mutex_destroy(&a.mutex);
  uv_cond_destroy(&a.cond);
}

TEST(thread_cond_signal_wakes_waiter) {
  cond_run(1, 0, 0);
}

TEST(thread_cond_signal_wakes_timedwait) {
  cond_run(1, 1, 0);
}

TEST(thread_cond_broadcast_wakes_all) {
  cond_run(8, 0, 1);
  cond_run(8, 1, 1);
}

/* ---- barriers ------------------------------------------------------------- */

enum { BARRIER_THREADS = 8, BARRIER_ROUNDS = 5 };

struct barrier_arg {
  uv_barrier_t* barrier;
  int serial[BARRIER_ROUNDS];
};

static void barrier_entry(void* p) {
  struct barrier_arg* a = (struct barrier_arg*) p;
  int round;
  for (round = 0; round < BARRIER_ROUNDS; round++)
    a->serial[round] = uv_barrier_wait(a->barrier);
}

TEST(thread_barrier_one_serial_thread) {
  uv_barrier_t barrier;
  uv_thread_t tids[BARRIER_THREADS];
  struct barrier_arg args[BARRIER_THREADS];
  int i;
  int round;

  ASSERT_OK(uv_barrier_init(&barrier, BARRIER_THREADS));
  for (i = 0; i < BARRIER_THREADS; i++) {
    memset(&args[i], 0xff, sizeof(args[i]));
    args[i].barrier = &barrier;
    ASSERT_OK(uv_thread_create(&tids[i], barrier_entry, &args[i]));
  }
  for (i = 0; i < BARRIER_THREADS; i++)
    ASSERT_OK(uv_thread_join(&tids[i]));
  for (round = 0; round < BARRIER_ROUNDS; round++) {
    int serial = 0;
    for (i = 0; i < BARRIER_THREADS; i++) {
      ASSERT_GE(args[i].serial[round], 0);
      if (args[i].serial[round] > 0)
        serial++;
    }
    ASSERT_EQ(serial, 1);
  }
  uv_barrier_destroy(&barrier);
}

TEST(thread_barrier_single_and_errors) {
  uv_barrier_t barrier;

  ASSERT_EQ(uv_barrier_init(&barrier, 0), UV_EINVAL);
  ASSERT_OK(uv_barrier_init(&barrier, 1));
  ASSERT_GT(uv_barrier_wait(&barrier), 0);
  ASSERT_GT(uv_barrier_wait(&barrier), 0);
  uv_barrier_destroy(&barrier);
}

static uv_barrier_t* serial_destroy_barrier;

static void serial_destroy_entry(void* p) {
  /* The documented idiom: the serial thread cleans up. */
  if (uv_barrier_wait(serial_destroy_barrier) > 0) {
    uv_barrier_destroy(serial_destroy_barrier);
    *(int*) p = 1;
  }
}

TEST(thread_barrier_serial_thread_destroys) {
  uv_barrier_t barrier;
  uv_thread_t tids[4];
  int destroyed[4] = { 0, 0, 0, 0 };
  int i;
  int total = 0;

  serial_destroy_barrier = &barrier;
  ASSERT_OK(uv_barrier_init(&barrier, 4));
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_thread_create(&tids[i], serial_destroy_entry, &destroyed[i]));
  for (i = 0; i < 4; i++) {
    ASSERT_OK(uv_thread_join(&tids[i]));
    total += destroyed[i];
  }
  ASSERT_EQ(total, 1);
}

/* ---- thread-local storage ------------------------------------------------- */

struct key_arg {
  uv_key_t* key;
  void* initial;
  void* after;
};

static void key_entry(void* p) {
  struct key_arg* a = (struct key_arg*) p;
  a->initial = uv_key_get(a->key);
  uv_key_set(a->key, a);
  a->after = uv_key_get(a->key);
}

TEST(thread_key_per_thread_values) {
  uv_key_t key;
  uv_thread_t tids[2];
  struct key_arg args[2];
  int mine;
  int i;

  ASSERT_OK(uv_key_create(&key));
  ASSERT_NULL(uv_key_get(&key));
  uv_key_set(&key, &mine);
  ASSERT(uv_key_get(&key) == &mine);

  for (i = 0; i < 2; i++) {
    args[i].key = &key;
    args[i].initial = &mine;
    args[i].after = NULL;
    ASSERT_OK(uv_thread_create(&tids[i], key_entry, &args[i]));
  }
  for (i = 0; i < 2; i++) {
    ASSERT_OK(uv_thread_join(&tids[i]));
    ASSERT_NULL(args[i].initial);
    ASSERT(args[i].after == &args[i]);
  }
  ASSERT(uv_key_get(&key) == &mine);
  uv_key_set(&key, NULL);
  ASSERT_NULL(uv_key_get(&key));
  uv_key_delete(&key);
}

TEST(thread_key_many) {
  enum { N = 64 };
  uv_key_t keys[N];
  int values[N];
  int i;

  for (i = 0; i < N; i++) {
    ASSERT_OK(uv_key_create(&keys[i]));
    uv_key_set(&keys[i], &values[i]);
  }
  for (i = 0; i < N; i++)
    ASSERT(uv_key_get(&keys[i]) == &values[i]);
  for (i = 0; i < N; i++)
    uv_key_delete(&keys[i]);
}

/* ---- once ----------------------------------------------------------------- */

static uv_once_t once_guard = UV_ONCE_INIT;
static int once_calls;
static uv_mutex_t once_mutex;  /* only to read once_calls race-free */

static void once_cb(void) {
  uv_sleep(10);  /* widen the window for racing callers */
  once_calls++;
}

static void once_entry(void* p) {
  int* seen = (int*) p;
  uv_once(&once_guard, once_cb);
  uv_mutex_lock(&once_mutex);
  *seen = once_calls;  /* every caller returns after the callback ran */
  uv_mutex_unlock(&once_mutex);
}

TEST(thread_once_runs_once) {
  enum { N = 8 };
  uv_thread_t tids[N];
  int seen[N];
  int i;

  ASSERT_OK(uv_mutex_init(&once_mutex));
  for (i = 0; i < N; i++) {
    seen[i] = -1;
    ASSERT_OK(uv_thread_create(&tids[i], once_entry, &seen[i]));
  }
  for (i = 0; i < N; i++) {
    ASSERT_OK(uv_thread_join(&tids[i]));
    ASSERT_EQ(seen[i], 1);
  }
  uv_once(&once_guard, once_cb);
  ASSERT_EQ(once_calls, 1);
  uv_mutex_destroy(&once_mutex);
}

static uv_once_t once_guard2 = UV_ONCE_INIT;
static int once_calls2;

static void once_cb2(void) {
  once_calls2++;
}

TEST(thread_once_guards_are_independent) {
  uv_once(&once_guard2, once_cb2);
  uv_once(&once_guard2, once_cb2);
  ASSERT_EQ(once_calls2, 1);
}

/* ---- unwinding through the library ------------------------------------------ */

static void exit_entry(void* p) {
  *(int*) p = 1;
  pthread_exit(NULL);  /* forced unwinding through the library's thread start */
}

TEST(thread_entry_may_call_pthread_exit) {
  uv_thread_t tid;
  int ran = 0;

  ASSERT_OK(uv_thread_create(&tid, exit_entry, &ran));
  ASSERT_OK(uv_thread_join(&tid));
  ASSERT_EQ(ran, 1);
}

#ifdef __cplusplus
static uv_once_t throw_guard = UV_ONCE_INIT;
static int throw_calls;

static void throwing_once_cb(void) {
  if (throw_calls++ == 0)
    throw 42;
}

TEST(thread_once_exception_propagates) {
  int caught = 0;

  try {
    uv_once(&throw_guard, throwing_once_cb);
  } catch (int v) {
    caught = v;
  }
  ASSERT_EQ(caught, 42);
  /* The once did not complete, so the next call runs the callback again. */
  uv_once(&throw_guard, throwing_once_cb);
  ASSERT_EQ(throw_calls, 2);
  uv_once(&throw_guard, throwing_once_cb);
  ASSERT_EQ(throw_calls, 2);
}
#endif
