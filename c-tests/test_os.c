/* C7 system information: uv_os_* (environment, home and temp directories,
 * passwd and group entries, hostname, pids, priorities, uname) and
 * uv_get_osfhandle / uv_open_osfhandle.
 *
 * Every test runs in its own forked process, so changing the environment or
 * the priority here does not leak into other tests.  Functions newer than
 * Debian's libuv 1.44.2 header are guarded with UV_VERSION_HEX. */
#include "test.h"

#include <uv.h>

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

/* ---- environment ------------------------------------------------------------- */

TEST(os_env_round_trip) {
  char buf[64];
  size_t size;

  ASSERT_OK(uv_os_setenv("RSUV_TEST_VAR", "hello world"));
  ASSERT_STR_EQ(getenv("RSUV_TEST_VAR"), "hello world");

  size = sizeof(buf);
  ASSERT_OK(uv_os_getenv("RSUV_TEST_VAR", buf, &size));
  ASSERT_STR_EQ(buf, "hello world");
  ASSERT_EQ(size, strlen("hello world"));

  /* Overwrite, including with an empty value. */
  ASSERT_OK(uv_os_setenv("RSUV_TEST_VAR", ""));
  size = sizeof(buf);
  ASSERT_OK(uv_os_getenv("RSUV_TEST_VAR", buf, &size));
  ASSERT_STR_EQ(buf, "");
  ASSERT_EQ(size, 0);

  ASSERT_OK(uv_os_unsetenv("RSUV_TEST_VAR"));
  ASSERT_NULL(getenv("RSUV_TEST_VAR"));
  size = sizeof(buf);
  ASSERT_EQ(uv_os_getenv("RSUV_TEST_VAR", buf, &size), UV_ENOENT);
  ASSERT_EQ(size, sizeof(buf));
  /* Unsetting what is not set succeeds. */
  ASSERT_OK(uv_os_unsetenv("RSUV_TEST_VAR"));
}

TEST(os_env_buffer_contract) {
  char buf[16];
  size_t size;

  ASSERT_OK(setenv("RSUV_TEST_SIX", "abcdef", 1));

  /* Six characters need seven bytes. */
  size = 6;
  memset(buf, 'x', sizeof(buf));
  ASSERT_EQ(uv_os_getenv("RSUV_TEST_SIX", buf, &size), UV_ENOBUFS);
  ASSERT_EQ(size, 7);

  size = 7;
  ASSERT_OK(uv_os_getenv("RSUV_TEST_SIX", buf, &size));
  ASSERT_EQ(size, 6);
  ASSERT_STR_EQ(buf, "abcdef");

  size = 0;
  ASSERT_EQ(uv_os_getenv("RSUV_TEST_SIX", buf, &size), UV_EINVAL);
  size = sizeof(buf);
  ASSERT_EQ(uv_os_getenv(NULL, buf, &size), UV_EINVAL);
  ASSERT_EQ(uv_os_getenv("RSUV_TEST_SIX", NULL, &size), UV_EINVAL);
  ASSERT_EQ(uv_os_getenv("RSUV_TEST_SIX", buf, NULL), UV_EINVAL);
  ASSERT_EQ(uv_os_setenv(NULL, "x"), UV_EINVAL);
  ASSERT_EQ(uv_os_setenv("X", NULL), UV_EINVAL);
  ASSERT_EQ(uv_os_unsetenv(NULL), UV_EINVAL);
  /* A name with '=' is rejected by setenv(3). */
  ASSERT_EQ(uv_os_setenv("A=B", "x"), UV_EINVAL);
}

TEST(os_environ_lists_variables) {
  uv_env_item_t* items;
  int count;
  int i;
  int found_a = 0;
  int found_b = 0;
  int n = 0;
  char** e;

  ASSERT_OK(setenv("RSUV_ENV_A", "1=2", 1));
  ASSERT_OK(setenv("RSUV_ENV_B", "", 1));
  for (e = environ; *e != NULL; e++)
    n++;

  ASSERT_OK(uv_os_environ(&items, &count));
  ASSERT_NOT_NULL(items);
  ASSERT_EQ(count, n);
  for (i = 0; i < count; i++) {
    ASSERT_NOT_NULL(items[i].name);
    ASSERT_NOT_NULL(items[i].value);
    ASSERT_STR_EQ(getenv(items[i].name), items[i].value);
    if (strcmp(items[i].name, "RSUV_ENV_A") == 0) {
      /* Split at the first '=' only. */
      ASSERT_STR_EQ(items[i].value, "1=2");
      found_a++;
    }
    if (strcmp(items[i].name, "RSUV_ENV_B") == 0) {
      ASSERT_STR_EQ(items[i].value, "");
      found_b++;
    }
  }
  ASSERT_EQ(found_a, 1);
  ASSERT_EQ(found_b, 1);
  uv_os_free_environ(items, count);
}

TEST(os_environ_single_variable) {
  uv_env_item_t* items;
  int count = -1;

  ASSERT_OK(clearenv());
  ASSERT_OK(setenv("ONLY", "one", 1));
  ASSERT_OK(uv_os_environ(&items, &count));
  ASSERT_EQ(count, 1);
  ASSERT_STR_EQ(items[0].name, "ONLY");
  ASSERT_STR_EQ(items[0].value, "one");
  uv_os_free_environ(items, count);
}

/* ---- home and temp directories ---------------------------------------------------- */

TEST(os_homedir_prefers_home) {
  char buf[256];
  size_t size;

  ASSERT_OK(setenv("HOME", "/some/where/home", 1));
  size = sizeof(buf);
  ASSERT_OK(uv_os_homedir(buf, &size));
  ASSERT_STR_EQ(buf, "/some/where/home");
  ASSERT_EQ(size, strlen("/some/where/home"));

  size = 5;
  ASSERT_EQ(uv_os_homedir(buf, &size), UV_ENOBUFS);
  ASSERT_EQ(size, strlen("/some/where/home") + 1);

  size = 0;
  ASSERT_EQ(uv_os_homedir(buf, &size), UV_EINVAL);
  ASSERT_EQ(uv_os_homedir(NULL, &size), UV_EINVAL);
}

TEST(os_homedir_falls_back_to_passwd) {
  char buf[4096];
  size_t size;
  struct passwd* pw;

  ASSERT_OK(unsetenv("HOME"));
  pw = getpwuid(geteuid());
  if (pw == NULL)
    TEST_SKIP("no passwd entry for the effective uid");

  size = sizeof(buf);
  ASSERT_OK(uv_os_homedir(buf, &size));
  ASSERT_STR_EQ(buf, pw->pw_dir);
  ASSERT_EQ(size, strlen(pw->pw_dir));

  size = 1;
  ASSERT_EQ(uv_os_homedir(buf, &size), UV_ENOBUFS);
  ASSERT_EQ(size, strlen(pw->pw_dir) + 1);
}

static void os_clear_tmp_vars(void) {
  ASSERT_OK(unsetenv("TMPDIR"));
  ASSERT_OK(unsetenv("TMP"));
  ASSERT_OK(unsetenv("TEMP"));
  ASSERT_OK(unsetenv("TEMPDIR"));
}

TEST(os_tmpdir_sources_in_order) {
  char buf[256];
  size_t size;

  os_clear_tmp_vars();
  size = sizeof(buf);
  ASSERT_OK(uv_os_tmpdir(buf, &size));
  ASSERT_STR_EQ(buf, "/tmp");
  ASSERT_EQ(size, 4);

  ASSERT_OK(setenv("TEMPDIR", "/d", 1));
  size = sizeof(buf);
  ASSERT_OK(uv_os_tmpdir(buf, &size));
  ASSERT_STR_EQ(buf, "/d");
  ASSERT_OK(setenv("TEMP", "/c", 1));
  size = sizeof(buf);
  ASSERT_OK(uv_os_tmpdir(buf, &size));
  ASSERT_STR_EQ(buf, "/c");
  ASSERT_OK(setenv("TMP", "/b", 1));
  size = sizeof(buf);
  ASSERT_OK(uv_os_tmpdir(buf, &size));
  ASSERT_STR_EQ(buf, "/b");
  ASSERT_OK(setenv("TMPDIR", "/a", 1));
  size = sizeof(buf);
  ASSERT_OK(uv_os_tmpdir(buf, &size));
  ASSERT_STR_EQ(buf, "/a");
  ASSERT_EQ(size, 2);
}

TEST(os_tmpdir_strips_trailing_slash) {
  char buf[256];
  size_t size;

  os_clear_tmp_vars();
  ASSERT_OK(setenv("TMPDIR", "/var/tmp/", 1));
  size = sizeof(buf);
  ASSERT_OK(uv_os_tmpdir(buf, &size));
  ASSERT_STR_EQ(buf, "/var/tmp");
  ASSERT_EQ(size, strlen("/var/tmp"));

  /* The size check counts the variable as set, slash included. */
  size = strlen("/var/tmp/");
  ASSERT_EQ(uv_os_tmpdir(buf, &size), UV_ENOBUFS);
  ASSERT_EQ(size, strlen("/var/tmp/") + 1);

  /* The root stays the root. */
  ASSERT_OK(setenv("TMPDIR", "/", 1));
  size = sizeof(buf);
  ASSERT_OK(uv_os_tmpdir(buf, &size));
  ASSERT_STR_EQ(buf, "/");
  ASSERT_EQ(size, 1);

  size = 0;
  ASSERT_EQ(uv_os_tmpdir(buf, &size), UV_EINVAL);
  ASSERT_EQ(uv_os_tmpdir(NULL, &size), UV_EINVAL);
}

/* ---- passwd and group ----------------------------------------------------------- */

TEST(os_get_passwd_matches_getpwuid) {
  uv_passwd_t pwd;
  struct passwd* pw;

  pw = getpwuid(geteuid());
  if (pw == NULL)
    TEST_SKIP("no passwd entry for the effective uid");
  ASSERT_OK(uv_os_get_passwd(&pwd));
  ASSERT_EQ(pwd.uid, geteuid());
  ASSERT_EQ(pwd.gid, pw->pw_gid);
  ASSERT_STR_EQ(pwd.username, pw->pw_name);
  ASSERT_STR_EQ(pwd.homedir, pw->pw_dir);
  ASSERT_STR_EQ(pwd.shell, pw->pw_shell);
  uv_os_free_passwd(&pwd);
  ASSERT_NULL(pwd.username);
  ASSERT_NULL(pwd.homedir);
  ASSERT_NULL(pwd.shell);
  /* Freeing twice or NULL is harmless. */
  uv_os_free_passwd(&pwd);
  uv_os_free_passwd(NULL);
  ASSERT_EQ(uv_os_get_passwd(NULL), UV_EINVAL);
}

#if UV_VERSION_HEX >= 0x012d00 /* 1.45.0: uv_os_get_passwd2, uv_os_get_group */
TEST(os_get_passwd2_and_group) {
  uv_passwd_t pwd;
  uv_group_t grp;
  struct group* gr;
  int n;

  ASSERT_OK(uv_os_get_passwd2(&pwd, 0));
  ASSERT_EQ(pwd.uid, 0);
  ASSERT_STR_EQ(pwd.username, "root");
  uv_os_free_passwd(&pwd);

  /* A uid with no entry. */
  ASSERT_EQ(uv_os_get_passwd2(&pwd, 0x7ffffff0), UV_ENOENT);
  ASSERT_EQ(uv_os_get_passwd2(NULL, 0), UV_EINVAL);

  gr = getgrgid(0);
  if (gr == NULL)
    TEST_SKIP("no group 0");
  ASSERT_OK(uv_os_get_group(&grp, 0));
  ASSERT_EQ(grp.gid, 0);
  ASSERT_STR_EQ(grp.groupname, gr->gr_name);
  ASSERT_NOT_NULL(grp.members);
  for (n = 0; gr->gr_mem[n] != NULL; n++)
    ASSERT_STR_EQ(grp.members[n], gr->gr_mem[n]);
  ASSERT_NULL(grp.members[n]);
  uv_os_free_group(&grp);
  ASSERT_NULL(grp.members);
  ASSERT_NULL(grp.groupname);
  uv_os_free_group(NULL);

  ASSERT_EQ(uv_os_get_group(&grp, 0x7ffffff0), UV_ENOENT);
  ASSERT_EQ(uv_os_get_group(NULL, 0), UV_EINVAL);
}

TEST(os_get_group_members) {
  /* A group with members, if the system has one: compare every member. */
  struct group* gr;
  uv_group_t grp;
  int n;

  setgrent();
  while ((gr = getgrent()) != NULL && gr->gr_mem[0] == NULL) {
  }
  if (gr == NULL) {
    endgrent();
    TEST_SKIP("no group with members");
  }
  {
    gid_t gid = gr->gr_gid;
    endgrent();
    gr = getgrgid(gid);
    ASSERT_NOT_NULL(gr);
    ASSERT_OK(uv_os_get_group(&grp, gid));
  }
  ASSERT_STR_EQ(grp.groupname, gr->gr_name);
  for (n = 0; gr->gr_mem[n] != NULL; n++)
    ASSERT_STR_EQ(grp.members[n], gr->gr_mem[n]);
  ASSERT_GT(n, 0);
  ASSERT_NULL(grp.members[n]);
  uv_os_free_group(&grp);
}
#endif

/* ---- host and process ---------------------------------------------------------- */

TEST(os_gethostname_matches_libc) {
  char want[256];
  char buf[UV_MAXHOSTNAMESIZE];
  size_t size;
  size_t len;

  ASSERT_OK(gethostname(want, sizeof(want)));
  len = strlen(want);

  size = sizeof(buf);
  ASSERT_OK(uv_os_gethostname(buf, &size));
  ASSERT_STR_EQ(buf, want);
  ASSERT_EQ(size, len);

  size = len; /* no room for the NUL */
  ASSERT_EQ(uv_os_gethostname(buf, &size), UV_ENOBUFS);
  ASSERT_EQ(size, len + 1);

  size = 0;
  ASSERT_EQ(uv_os_gethostname(buf, &size), UV_EINVAL);
  ASSERT_EQ(uv_os_gethostname(NULL, &size), UV_EINVAL);
  ASSERT_EQ(uv_os_gethostname(buf, NULL), UV_EINVAL);
}

TEST(os_getpid_getppid) {
  ASSERT_EQ(uv_os_getpid(), getpid());
  ASSERT_EQ(uv_os_getppid(), getppid());
  ASSERT_GT(uv_os_getppid(), 0);
}

TEST(os_priority_round_trip) {
  int prio;
  int want;

  ASSERT_OK(uv_os_getpriority(0, &prio));
  errno = 0;
  ASSERT_EQ(prio, getpriority(PRIO_PROCESS, 0));

  /* Lowering the priority (raising the nice value) is always allowed. */
  want = prio < UV_PRIORITY_LOW ? prio + 1 : UV_PRIORITY_LOW;
  ASSERT_OK(uv_os_setpriority(0, want));
  ASSERT_OK(uv_os_getpriority(0, &prio));
  ASSERT_EQ(prio, want);
  ASSERT_OK(uv_os_getpriority(uv_os_getpid(), &prio));
  ASSERT_EQ(prio, want);

  ASSERT_OK(uv_os_setpriority(uv_os_getpid(), UV_PRIORITY_LOW));
  ASSERT_OK(uv_os_getpriority(0, &prio));
  ASSERT_EQ(prio, UV_PRIORITY_LOW);

  ASSERT_EQ(uv_os_setpriority(0, UV_PRIORITY_LOW + 1), UV_EINVAL);
  ASSERT_EQ(uv_os_setpriority(0, UV_PRIORITY_HIGHEST - 1), UV_EINVAL);
  ASSERT_EQ(uv_os_getpriority(0, NULL), UV_EINVAL);
  /* Raising it back needs privileges (or an RLIMIT_NICE that allows it). */
  {
    struct rlimit rl;
    ASSERT_OK(getrlimit(RLIMIT_NICE, &rl));
    if (geteuid() != 0 && rl.rlim_cur == 0)
      ASSERT_EQ(uv_os_setpriority(0, UV_PRIORITY_HIGHEST), UV_EACCES);
  }
}

TEST(os_priority_of_missing_process) {
  int prio;
  /* pid_max is at most 4194304. */
  ASSERT_EQ(uv_os_getpriority(0x7ffffff0, &prio), UV_ESRCH);
  ASSERT_EQ(uv_os_setpriority(0x7ffffff0, 0), UV_ESRCH);
}

TEST(os_uname_matches_libc) {
  uv_utsname_t u;
  struct utsname want;

  ASSERT_OK(uname(&want));
  ASSERT_OK(uv_os_uname(&u));
  ASSERT_STR_EQ(u.sysname, "Linux");
  ASSERT_STR_EQ(u.release, want.release);
  ASSERT_STR_EQ(u.version, want.version);
  ASSERT_STR_EQ(u.machine, want.machine);
  ASSERT_EQ(uv_os_uname(NULL), UV_EINVAL);
}

TEST(os_osfhandle_is_identity) {
  ASSERT_EQ(uv_get_osfhandle(0), 0);
  ASSERT_EQ(uv_get_osfhandle(17), 17);
  ASSERT_EQ(uv_open_osfhandle(2), 2);
  ASSERT_EQ(uv_open_osfhandle(uv_get_osfhandle(-1)), -1);
}
