/*
 * rsuv C test runner: main() for binaries built from test files using test.h.
 *
 *   ./tests                 run every registered test
 *   ./tests NAME|GLOB ...   run the tests whose name equals / fnmatch()es an arg
 *   ./tests --list          print the test names, one per line
 *
 * Each test runs in a forked child with a timeout.  Output is TAP version 13;
 * the last line is always "N passed, M failed" (", K skipped" appended when
 * K > 0).  Exit status is 0 iff no test failed.
 *
 * Environment:
 *   RSUV_TEST_TIMEOUT=SECS  default per-test timeout (default 10; 0 = none).
 *                           A test declared with TEST_TIMEOUT(name, S) gets
 *                           max(S, this value).
 *   RSUV_TEST_NOFORK=1      run the tests in this process, without timeouts
 *                           (for gdb: "break rsuv_test_failed").
 *
 * Compiles as C (C99/C11) and as C++ (C++11).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RSUV_DEFAULT_TIMEOUT 10.0
#define RSUV_EXIT_FAIL 1
#define RSUV_EXIT_SKIP 77

/* Registered tests (unsorted, in constructor order). */
static struct rsuv_test* rsuv_tests_head;
static size_t rsuv_tests_count;

/* State shared between the runner and a forked test child. */
struct rsuv_shared {
  volatile int completed;   /* test body returned normally */
  volatile int skipped;
  char skip_reason[512];
};
static struct rsuv_shared* rsuv_shared;
static struct rsuv_shared rsuv_shared_local;

/* In-process (RSUV_TEST_NOFORK) mode: assertion failures longjmp here. */
static int rsuv_nofork;
static jmp_buf rsuv_jmp;

enum { RSUV_RES_PASS, RSUV_RES_FAIL, RSUV_RES_SKIP };

void rsuv_test_register(struct rsuv_test* t) {
  t->next = rsuv_tests_head;
  rsuv_tests_head = t;
  rsuv_tests_count++;
}

/* ---- failure / skip reporting (called from the test) --------------------- */

void rsuv_test_failed(void) {
  fflush(NULL);
  if (rsuv_nofork)
    longjmp(rsuv_jmp, 1 + RSUV_RES_FAIL);
  /* _exit, not exit: don't run atexit handlers / library destructors from
   * inside what may be a half-broken event loop callback. */
  _exit(RSUV_EXIT_FAIL);
}

void rsuv_test_skip(const char* file, int line, const char* reason) {
  struct rsuv_shared* sh = rsuv_shared;
  (void) file;
  (void) line;
  if (reason == NULL)
    reason = "";
  sh->skipped = 1;
  snprintf(sh->skip_reason, sizeof(sh->skip_reason), "%s", reason);
  fflush(NULL);
  if (rsuv_nofork)
    longjmp(rsuv_jmp, 1 + RSUV_RES_SKIP);
  _exit(RSUV_EXIT_SKIP);
}

void rsuv_test_fail_msg(const char* file, int line, const char* fmt, ...) {
  va_list ap;
  fflush(stdout);
  printf("# %s:%d: ", file, line);
  va_start(ap, fmt);
  vprintf(fmt, ap);
  va_end(ap);
  printf("\n");
  rsuv_test_failed();
}

void rsuv_test_fail_ll(const char* file, int line, const char* what,
                       long long a, long long b) {
  rsuv_test_fail_msg(file, line, "%s failed: %lld vs %lld", what, a, b);
}

void rsuv_test_fail_ull(const char* file, int line, const char* what,
                        unsigned long long a, unsigned long long b) {
  rsuv_test_fail_msg(file, line, "%s failed: %llu vs %llu", what, a, b);
}

void rsuv_test_fail_str(const char* file, int line, const char* what,
                        const char* a, const char* b) {
  if (a == NULL && b == NULL)
    rsuv_test_fail_msg(file, line, "%s failed: NULL vs NULL", what);
  else if (a == NULL)
    rsuv_test_fail_msg(file, line, "%s failed: NULL vs \"%s\"", what, b);
  else if (b == NULL)
    rsuv_test_fail_msg(file, line, "%s failed: \"%s\" vs NULL", what, a);
  rsuv_test_fail_msg(file, line, "%s failed: \"%s\" vs \"%s\"", what, a, b);
}

/* ---- helpers -------------------------------------------------------------- */

static const char* rsuv_signame(int sig) {
  switch (sig) {
    case SIGHUP: return "SIGHUP";
    case SIGINT: return "SIGINT";
    case SIGQUIT: return "SIGQUIT";
    case SIGILL: return "SIGILL";
    case SIGTRAP: return "SIGTRAP";
    case SIGABRT: return "SIGABRT";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGKILL: return "SIGKILL";
    case SIGUSR1: return "SIGUSR1";
    case SIGSEGV: return "SIGSEGV";
    case SIGUSR2: return "SIGUSR2";
    case SIGPIPE: return "SIGPIPE";
    case SIGALRM: return "SIGALRM";
    case SIGTERM: return "SIGTERM";
    case SIGCHLD: return "SIGCHLD";
    case SIGCONT: return "SIGCONT";
    case SIGSTOP: return "SIGSTOP";
    case SIGTSTP: return "SIGTSTP";
    case SIGTTIN: return "SIGTTIN";
    case SIGTTOU: return "SIGTTOU";
    case SIGURG: return "SIGURG";
    case SIGXCPU: return "SIGXCPU";
    case SIGXFSZ: return "SIGXFSZ";
    case SIGVTALRM: return "SIGVTALRM";
    case SIGPROF: return "SIGPROF";
    case SIGWINCH: return "SIGWINCH";
    case SIGIO: return "SIGIO";
    case SIGSYS: return "SIGSYS";
    default: return NULL;
  }
}

static double rsuv_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void rsuv_sleep(double secs) {
  struct timespec ts;
  ts.tv_sec = (time_t) secs;
  ts.tv_nsec = (long) ((secs - (double) ts.tv_sec) * 1e9);
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

static int rsuv_cmp_tests(const void* pa, const void* pb) {
  const struct rsuv_test* a = *(const struct rsuv_test* const*) pa;
  const struct rsuv_test* b = *(const struct rsuv_test* const*) pb;
  int r = strcmp(a->file, b->file);
  if (r != 0)
    return r;
  if (a->line != b->line)
    return a->line < b->line ? -1 : 1;
  return strcmp(a->name, b->name);
}

static int rsuv_name_matches(const char* name, int npat, char** pats) {
  int i;
  if (npat == 0)
    return 1;
  for (i = 0; i < npat; i++)
    if (strcmp(pats[i], name) == 0 || fnmatch(pats[i], name, 0) == 0)
      return 1;
  return 0;
}

/* With a controlling terminal, children stay in our process group so that
 * tty tests (tcsetattr & co.) are not stopped with SIGTTOU.  Without one
 * (CI), each child gets its own group and the whole group is killed when
 * the test ends, so stray grandchildren cannot keep pipes open. */
static int rsuv_use_pgroups(void) {
  int fd = open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return 1;
  close(fd);
  return 0;
}

/* ---- running one test ----------------------------------------------------- */

static int rsuv_run_nofork(const struct rsuv_test* t) {
  rsuv_shared->completed = 0;
  rsuv_shared->skipped = 0;
  rsuv_shared->skip_reason[0] = '\0';
  switch (setjmp(rsuv_jmp)) {
    case 0:
      t->fn();
      fflush(NULL);
      return RSUV_RES_PASS;
    case 1 + RSUV_RES_SKIP:
      return RSUV_RES_SKIP;
    default:
      return RSUV_RES_FAIL;
  }
}

static int rsuv_run_forked(const struct rsuv_test* t, double timeout,
                           int pgroups) {
  pid_t pid;
  siginfo_t info;
  double start, delay;
  int status, timed_out;

  rsuv_shared->completed = 0;
  rsuv_shared->skipped = 0;
  rsuv_shared->skip_reason[0] = '\0';

  fflush(NULL);
  pid = fork();
  if (pid < 0) {
    printf("# fork() failed: %s\n", strerror(errno));
    return RSUV_RES_FAIL;
  }

  if (pid == 0) {
    if (pgroups)
      setpgid(0, 0);
    t->fn();
    rsuv_shared->completed = 1;
    fflush(NULL);
    exit(0);
  }

  if (pgroups)
    setpgid(pid, pid);  /* also done by the child; whichever runs first */

  /* Poll for the child's exit without reaping it (WNOWAIT), so its pid (and
   * process group id) stays reserved until we have killed the group. */
  start = rsuv_now();
  delay = 0.0005;
  timed_out = 0;
  for (;;) {
    memset(&info, 0, sizeof(info));
    if (waitid(P_PID, (id_t) pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0) {
      if (errno == EINTR)
        continue;
      printf("# waitid() failed: %s\n", strerror(errno));
      break;
    }
    if (info.si_pid == pid)
      break;
    if (timeout > 0 && rsuv_now() - start >= timeout) {
      timed_out = 1;
      if (pgroups)
        kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      continue;  /* wait for it to die */
    }
    rsuv_sleep(delay);
    if (delay < 0.01)
      delay *= 2;
  }

  if (pgroups)
    kill(-pid, SIGKILL);  /* leftovers the test may have spawned */

  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      printf("# waitpid() failed: %s\n", strerror(errno));
      return RSUV_RES_FAIL;
    }
  }
  fflush(NULL);

  if (timed_out) {
    printf("# timed out after %g s\n", timeout);
    return RSUV_RES_FAIL;
  }
  if (WIFSIGNALED(status)) {
    int sig = WTERMSIG(status);
    const char* name = rsuv_signame(sig);
    if (name != NULL)
      printf("# killed by signal %s (%d)%s\n", name, sig,
             WCOREDUMP(status) ? ", core dumped" : "");
    else
      printf("# killed by signal %d%s\n", sig,
             WCOREDUMP(status) ? ", core dumped" : "");
    return RSUV_RES_FAIL;
  }
  if (WIFEXITED(status)) {
    int code = WEXITSTATUS(status);
    if (code == RSUV_EXIT_SKIP && rsuv_shared->skipped)
      return RSUV_RES_SKIP;
    if (code == 0 && rsuv_shared->completed)
      return RSUV_RES_PASS;
    if (code == 0)
      printf("# exited with status 0 before the test completed\n");
    else if (code != RSUV_EXIT_FAIL)
      printf("# exited with status %d\n", code);
    return RSUV_RES_FAIL;
  }
  printf("# unexpected wait status 0x%x\n", (unsigned) status);
  return RSUV_RES_FAIL;
}

/* ---- main ------------------------------------------------------------------ */

static void rsuv_usage(const char* argv0) {
  printf("usage: %s [--list] [NAME|GLOB ...]\n"
         "  no arguments: run every test; otherwise run the tests whose name\n"
         "  equals or fnmatch()es an argument.\n"
         "  env: RSUV_TEST_TIMEOUT=SECS (default 10, 0 = none),"
         " RSUV_TEST_NOFORK=1\n",
         argv0);
}

int main(int argc, char** argv) {
  struct rsuv_test** all;
  struct rsuv_test** sel;
  struct rsuv_test* t;
  size_t n, nsel, i, j;
  int list = 0, npat = 0, pgroups;
  char** pats;
  double default_timeout = RSUV_DEFAULT_TIMEOUT;
  const char* env;
  unsigned long passed = 0, failed = 0, skipped = 0;

  /* Line-buffered stdout: output order survives pipes and killed children. */
  setvbuf(stdout, NULL, _IOLBF, 0);

  pats = (char**) calloc((size_t) argc + 1, sizeof(*pats));
  if (pats == NULL)
    return 2;
  for (i = 1; i < (size_t) argc; i++) {
    if (strcmp(argv[i], "--list") == 0 || strcmp(argv[i], "-l") == 0)
      list = 1;
    else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      rsuv_usage(argv[0]);
      return 0;
    } else if (strcmp(argv[i], "--") == 0) {
      for (i++; i < (size_t) argc; i++)
        pats[npat++] = argv[i];
    } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
      fprintf(stderr, "%s: unknown option '%s'\n", argv[0], argv[i]);
      rsuv_usage(argv[0]);
      return 2;
    } else {
      pats[npat++] = argv[i];
    }
  }

  /* Collect and sort (by file, then line) for a stable order. */
  n = rsuv_tests_count;
  all = (struct rsuv_test**) calloc(n + 1, sizeof(*all));
  sel = (struct rsuv_test**) calloc(n + 1, sizeof(*sel));
  if (all == NULL || sel == NULL)
    return 2;
  for (i = 0, t = rsuv_tests_head; t != NULL; t = t->next)
    all[i++] = t;
  qsort(all, n, sizeof(*all), rsuv_cmp_tests);

  for (i = 0; i < n; i++)
    for (j = i + 1; j < n; j++)
      if (strcmp(all[i]->name, all[j]->name) == 0) {
        printf("Bail out! duplicate test name '%s' (%s:%d and %s:%d)\n",
               all[i]->name, all[i]->file, all[i]->line, all[j]->file,
               all[j]->line);
        return 2;
      }

  for (i = 0; i < (size_t) npat; i++) {
    for (j = 0; j < n; j++)
      if (rsuv_name_matches(all[j]->name, 1, &pats[i]))
        break;
    if (j == n) {
      fprintf(stderr, "%s: no test matches '%s' (try --list)\n", argv[0],
              pats[i]);
      return 2;
    }
  }

  nsel = 0;
  for (i = 0; i < n; i++)
    if (rsuv_name_matches(all[i]->name, npat, pats))
      sel[nsel++] = all[i];

  if (list) {
    for (i = 0; i < nsel; i++)
      printf("%s\n", sel[i]->name);
    return 0;
  }

  env = getenv("RSUV_TEST_TIMEOUT");
  if (env != NULL && *env != '\0') {
    char* end;
    double v = strtod(env, &end);
    if (*end != '\0' || v < 0) {
      fprintf(stderr, "%s: bad RSUV_TEST_TIMEOUT '%s'\n", argv[0], env);
      return 2;
    }
    default_timeout = v;
  }
  env = getenv("RSUV_TEST_NOFORK");
  rsuv_nofork = env != NULL && *env != '\0' && strcmp(env, "0") != 0;

  if (rsuv_nofork) {
    rsuv_shared = &rsuv_shared_local;
  } else {
    void* p = mmap(NULL, sizeof(struct rsuv_shared), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      printf("Bail out! mmap: %s\n", strerror(errno));
      return 2;
    }
    rsuv_shared = (struct rsuv_shared*) p;
  }
  pgroups = rsuv_use_pgroups();

  printf("TAP version 13\n");
  printf("1..%lu\n", (unsigned long) nsel);

  for (i = 0; i < nsel; i++) {
    double timeout = default_timeout;
    int res;
    t = sel[i];
    if (timeout > 0 && t->timeout > timeout)
      timeout = t->timeout;
    if (rsuv_nofork)
      res = rsuv_run_nofork(t);
    else
      res = rsuv_run_forked(t, timeout, pgroups);

    if (res == RSUV_RES_PASS) {
      passed++;
      printf("ok %lu - %s\n", (unsigned long) (i + 1), t->name);
    } else if (res == RSUV_RES_SKIP) {
      skipped++;
      printf("ok %lu - %s # SKIP %s\n", (unsigned long) (i + 1), t->name,
             rsuv_shared->skip_reason);
    } else {
      failed++;
      printf("not ok %lu - %s\n", (unsigned long) (i + 1), t->name);
    }
    fflush(stdout);
  }

  if (skipped > 0)
    printf("%lu passed, %lu failed, %lu skipped\n", passed, failed, skipped);
  else
    printf("%lu passed, %lu failed\n", passed, failed);
  fflush(stdout);
  free(all);
  free(sel);
  free(pats);
  return failed == 0 ? 0 : 1;
}
