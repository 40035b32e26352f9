/* File system requests, as a libuv user calls them: uv_fs_* in their
 * synchronous (no callback) and asynchronous (threadpool) forms, the uv_fs_get_*
 * accessors, uv_fs_req_cleanup, uv_cancel of a queued fs request, and uv_cwd,
 * uv_chdir, uv_exepath.
 *
 * Every test works in its own directory, /tmp/rsuv-fs-<pid> (each test runs in
 * its own forked process), removed at the end of a passing test.
 *
 * Also compiled against Debian's libuv 1.44.2 header, which has every function
 * used here; UV_FS_UTIME_NOW/OMIT are newer macros, so they fall back to their
 * values (infinity and NaN). */
#include "test.h"

#include <uv.h>

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifndef UV_FS_UTIME_NOW
#define UV_FS_UTIME_NOW (INFINITY)
#endif
#ifndef UV_FS_UTIME_OMIT
#define UV_FS_UTIME_OMIT (NAN)
#endif

/* ---- helpers ------------------------------------------------------------------ */

static char fs_dir[64];

/* Creates this test's directory (and sets a known umask). */
static void fs_setup(void) {
  umask(022);
  snprintf(fs_dir, sizeof(fs_dir), "/tmp/rsuv-fs-%ld", (long) getpid());
  ASSERT_OK(mkdir(fs_dir, 0755));
}

static int fs_rm_cb(const char* path, const struct stat* st, int flag,
                    struct FTW* ftw) {
  (void) st;
  (void) flag;
  (void) ftw;
  return remove(path);
}

static void fs_teardown(void) {
  ASSERT_OK(nftw(fs_dir, fs_rm_cb, 16, FTW_DEPTH | FTW_PHYS));
}

/* fs_dir "/" name into out (PATH_MAX bytes). */
static char* fs_join(char* out, const char* name) {
  snprintf(out, PATH_MAX, "%s/%s", fs_dir, name);
  return out;
}

static void fs_write_file(const char* path, const char* data, size_t len,
                          int mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, data, len), (ssize_t) len);
  ASSERT_OK(close(fd));
}

static ssize_t fs_read_file(const char* path, char* buf, size_t len) {
  ssize_t n;
  int fd = open(path, O_RDONLY);
  ASSERT_GE(fd, 0);
  n = read(fd, buf, len);
  ASSERT_OK(close(fd));
  return n;
}

static int fs_exists(const char* path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

/* ---- open / write / read / close, synchronous ------------------------------------- */

TEST(fs_sync_roundtrip) {
  char path[PATH_MAX];
  char part1[] = "hello ";
  char part2[] = "world";
  char in[32];
  uv_buf_t bufs[2];
  uv_buf_t rbuf;
  uv_fs_t req;
  int fd;
  int r;

  fs_setup();
  fs_join(path, "file");

  fd = uv_fs_open(NULL, &req, path, UV_FS_O_WRONLY | UV_FS_O_CREAT | UV_FS_O_TRUNC,
                  0644, NULL);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(req.result, fd);
  ASSERT_EQ(req.type, UV_FS);
  ASSERT_EQ(req.fs_type, UV_FS_OPEN);
  ASSERT_EQ(uv_fs_get_type(&req), UV_FS_OPEN);
  ASSERT_EQ(uv_fs_get_result(&req), fd);
  ASSERT_EQ(req.path, path);  /* synchronous: the caller's string */
  ASSERT_EQ(uv_fs_get_path(&req), path);
  ASSERT_NULL(req.cb);
  ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);  /* always O_CLOEXEC */
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.path);

  bufs[0] = uv_buf_init(part1, 6);
  bufs[1] = uv_buf_init(part2, 5);
  r = uv_fs_write(NULL, &req, fd, bufs, 2, -1, NULL);
  ASSERT_EQ(r, 11);
  ASSERT_EQ(req.result, 11);
  ASSERT_EQ(req.fs_type, UV_FS_WRITE);
  uv_fs_req_cleanup(&req);

  /* Positional write: the file position stays where it is. */
  bufs[0] = uv_buf_init(part1, 1);  /* "h" over "w" */
  ASSERT_EQ(uv_fs_write(NULL, &req, fd, bufs, 1, 6, NULL), 1);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(lseek(fd, 0, SEEK_CUR), 11);

  ASSERT_OK(uv_fs_close(NULL, &req, fd, NULL));
  ASSERT_OK(req.result);
  ASSERT_EQ(req.fs_type, UV_FS_CLOSE);
  uv_fs_req_cleanup(&req);

  fd = uv_fs_open(NULL, &req, path, UV_FS_O_RDONLY, 0, NULL);
  ASSERT_GE(fd, 0);
  uv_fs_req_cleanup(&req);

  memset(in, 0, sizeof(in));
  rbuf = uv_buf_init(in, sizeof(in));
  ASSERT_EQ(uv_fs_read(NULL, &req, fd, &rbuf, 1, -1, NULL), 11);
  ASSERT_EQ(req.result, 11);
  ASSERT_EQ(req.fs_type, UV_FS_READ);
  ASSERT_OK(memcmp(in, "hello horld", 11));
  uv_fs_req_cleanup(&req);

  /* At the end of the file: 0. */
  ASSERT_OK(uv_fs_read(NULL, &req, fd, &rbuf, 1, -1, NULL));
  uv_fs_req_cleanup(&req);

  /* Positional read. */
  memset(in, 0, sizeof(in));
  ASSERT_EQ(uv_fs_read(NULL, &req, fd, &rbuf, 1, 6, NULL), 5);
  ASSERT_STR_EQ(in, "horld");
  uv_fs_req_cleanup(&req);

  /* Scattered read into two buffers. */
  memset(in, 0, sizeof(in));
  bufs[0] = uv_buf_init(in, 3);
  bufs[1] = uv_buf_init(in + 10, 4);
  ASSERT_EQ(uv_fs_read(NULL, &req, fd, bufs, 2, 0, NULL), 7);
  ASSERT_OK(memcmp(in, "hel", 3));
  ASSERT_OK(memcmp(in + 10, "lo h", 4));
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_fs_close(NULL, &req, fd, NULL));
  uv_fs_req_cleanup(&req);

  /* A closed descriptor: EBADF, in the return value and the request. */
  ASSERT_EQ(uv_fs_read(NULL, &req, fd, &rbuf, 1, -1, NULL), UV_EBADF);
  ASSERT_EQ(req.result, UV_EBADF);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_close(NULL, &req, fd, NULL), UV_EBADF);
  uv_fs_req_cleanup(&req);

  fs_teardown();
}

/* ---- open / write / read / close, asynchronous ------------------------------------- */

static char fs_async_path[PATH_MAX];
static uv_fs_t fs_async_req;
static uv_thread_t fs_loop_thread;
static int fs_async_step;
static int fs_async_fd;
static char fs_async_out[] = "asynchronous data";
static char fs_async_in[64];
static uv_buf_t fs_async_buf;

static void fs_async_cb(uv_fs_t* req) {
  uv_thread_t self = uv_thread_self();
  uv_loop_t* loop = req->loop;

  ASSERT_EQ(req, &fs_async_req);
  ASSERT(uv_thread_equal(&self, &fs_loop_thread));
  switch (fs_async_step++) {
  case 0:  /* opened for writing */
    ASSERT_EQ(req->fs_type, UV_FS_OPEN);
    ASSERT_GE(req->result, 0);
    ASSERT_NE(req->path, fs_async_path);  /* asynchronous: a copy */
    ASSERT_STR_EQ(req->path, fs_async_path);
    fs_async_fd = (int) req->result;
    uv_fs_req_cleanup(req);
    fs_async_buf = uv_buf_init(fs_async_out, (unsigned) strlen(fs_async_out));
    ASSERT_OK(uv_fs_write(loop, req, fs_async_fd, &fs_async_buf, 1, -1,
                          fs_async_cb));
    break;
  case 1:
    ASSERT_EQ(req->fs_type, UV_FS_WRITE);
    ASSERT_EQ(req->result, (ssize_t) strlen(fs_async_out));
    uv_fs_req_cleanup(req);
    ASSERT_OK(uv_fs_close(loop, req, fs_async_fd, fs_async_cb));
    break;
  case 2:
    ASSERT_EQ(req->fs_type, UV_FS_CLOSE);
    ASSERT_OK(req->result);
    uv_fs_req_cleanup(req);
    ASSERT_OK(uv_fs_open(loop, req, fs_async_path, UV_FS_O_RDONLY, 0,
                         fs_async_cb));
    break;
  case 3:
    ASSERT_GE(req->result, 0);
    fs_async_fd = (int) req->result;
    uv_fs_req_cleanup(req);
    fs_async_buf = uv_buf_init(fs_async_in, sizeof(fs_async_in));
    ASSERT_OK(uv_fs_read(loop, req, fs_async_fd, &fs_async_buf, 1, 0,
                         fs_async_cb));
    break;
  case 4:
    ASSERT_EQ(req->fs_type, UV_FS_READ);
    ASSERT_EQ(req->result, (ssize_t) strlen(fs_async_out));
    ASSERT_STR_EQ(fs_async_in, fs_async_out);
    uv_fs_req_cleanup(req);
    ASSERT_OK(uv_fs_close(loop, req, fs_async_fd, fs_async_cb));
    break;
  case 5:
    ASSERT_OK(req->result);
    uv_fs_req_cleanup(req);
    break;
  default:
    TEST_FAIL("too many callbacks");
  }
}

TEST(fs_async_roundtrip) {
  uv_loop_t loop;

  fs_setup();
  fs_join(fs_async_path, "async_file");
  fs_loop_thread = uv_thread_self();
  memset(fs_async_in, 0, sizeof(fs_async_in));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_open(&loop, &fs_async_req, fs_async_path,
                       UV_FS_O_WRONLY | UV_FS_O_CREAT, 0600, fs_async_cb));
  ASSERT_EQ(fs_async_req.type, UV_FS);
  ASSERT_EQ(fs_async_req.loop, &loop);
  ASSERT_NE(uv_loop_alive(&loop), 0);  /* a pending request keeps it alive */
  ASSERT_EQ(uv_loop_close(&loop), UV_EBUSY);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_async_step, 6);
  ASSERT_OK(uv_loop_alive(&loop));
  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- many buffers ------------------------------------------------------------------ */

static int fs_many_calls;
static void fs_many_cb(uv_fs_t* req) {
  ASSERT_EQ(req->result, 26);
  ASSERT_NULL(req->bufs);  /* the copy is gone once written */
  fs_many_calls++;
  uv_fs_req_cleanup(req);
}

static void fs_many_read_cb(uv_fs_t* req) {
  ASSERT_EQ(req->fs_type, UV_FS_READ);
  ASSERT_EQ(req->result, 26);
  fs_many_calls++;
  uv_fs_req_cleanup(req);
}

TEST(fs_write_many_bufs) {
  char path[PATH_MAX];
  char letters[] = "abcdefghijklmnopqrstuvwxyz";
  char in[64];
  uv_buf_t bufs[26];
  uv_loop_t loop;
  uv_fs_t req;
  int fd;
  int i;

  fs_setup();
  fs_join(path, "many");
  for (i = 0; i < 26; i++)
    bufs[i] = uv_buf_init(letters + i, 1);

  fd = uv_fs_open(NULL, &req, path, UV_FS_O_RDWR | UV_FS_O_CREAT, 0644, NULL);
  ASSERT_GE(fd, 0);
  uv_fs_req_cleanup(&req);

  /* Synchronous: all 26 buffers, at offset 0. */
  ASSERT_EQ(uv_fs_write(NULL, &req, fd, bufs, 26, 0, NULL), 26);
  uv_fs_req_cleanup(&req);
  uv_fs_req_cleanup(&req);  /* twice is harmless */

  /* Asynchronous at offset 26; the caller's array may change right away. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_write(&loop, &req, fd, bufs, 26, 26, fs_many_cb));
  memset(bufs, 0, sizeof(bufs));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_many_calls, 1);

  /* Read back through 8 buffers (more than fit in the request), both ways. */
  memset(in, 0, sizeof(in));
  for (i = 0; i < 8; i++)
    bufs[i] = uv_buf_init(in + i * 8, 8);
  ASSERT_EQ(uv_fs_read(NULL, &req, fd, bufs, 8, 0, NULL), 52);
  ASSERT_OK(memcmp(in, "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz", 52));
  uv_fs_req_cleanup(&req);
  memset(in, 0, sizeof(in));
  ASSERT_OK(uv_fs_read(&loop, &req, fd, bufs, 8, 26, fs_many_read_cb));
  memset(bufs, 0, sizeof(bufs));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_many_calls, 2);
  ASSERT_OK(memcmp(in, "abcdefghijklmnopqrstuvwxyz", 26));

  ASSERT_OK(uv_fs_close(NULL, &req, fd, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- bad arguments ------------------------------------------------------------------ */

static void fs_never_cb(uv_fs_t* req) {
  (void) req;
  TEST_FAIL("callback of a rejected request");
}

TEST(fs_invalid_arguments) {
  uv_loop_t loop;
  uv_fs_t req;
  uv_buf_t buf = uv_buf_init(NULL, 0);
  uv_dir_t dir;

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_EQ(uv_fs_read(NULL, &req, 0, NULL, 0, -1, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_write(NULL, &req, 0, &buf, 0, -1, NULL), UV_EINVAL);
  ASSERT_NULL(req.path);
  ASSERT_NULL(req.ptr);
  ASSERT_NULL(req.bufs);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_read(&loop, &req, 0, NULL, 0, -1, fs_never_cb), UV_EINVAL);
  ASSERT_EQ(uv_fs_write(&loop, &req, 0, &buf, 0, -1, fs_never_cb), UV_EINVAL);
  ASSERT_OK(uv_loop_alive(&loop));  /* nothing was queued */

  ASSERT_EQ(uv_fs_open(NULL, NULL, "x", 0, 0, NULL), UV_EINVAL);
  ASSERT_EQ(uv_fs_close(NULL, NULL, 0, NULL), UV_EINVAL);
  ASSERT_EQ(uv_fs_stat(NULL, NULL, "x", NULL), UV_EINVAL);
  ASSERT_EQ(uv_fs_fstat(NULL, NULL, 0, NULL), UV_EINVAL);
  ASSERT_EQ(uv_fs_sendfile(NULL, NULL, 0, 0, 0, 0, NULL), UV_EINVAL);
  ASSERT_EQ(uv_fs_copyfile(&loop, &req, "a", "b", 8, fs_never_cb), UV_EINVAL);
  ASSERT_EQ(uv_fs_readdir(&loop, &req, NULL, fs_never_cb), UV_EINVAL);
  memset(&dir, 0, sizeof(dir));
  ASSERT_EQ(uv_fs_readdir(&loop, &req, &dir, fs_never_cb), UV_EINVAL);
  ASSERT_EQ(uv_fs_closedir(&loop, &req, NULL, fs_never_cb), UV_EINVAL);
  uv_fs_req_cleanup(NULL);  /* a no-op */
  ASSERT_OK(uv_loop_alive(&loop));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_loop_close(&loop));
}

/* ---- stat ----------------------------------------------------------------------- */

static int fs_stat_calls;
static void fs_stat_cb(uv_fs_t* req) {
  uv_stat_t* st = (uv_stat_t*) req->ptr;
  ASSERT_OK(req->result);
  ASSERT_EQ(st, &req->statbuf);
  ASSERT_U64_EQ(st->st_size, 1234);
  ASSERT(S_ISREG(st->st_mode));
  fs_stat_calls++;
  uv_fs_req_cleanup(req);
}

TEST(fs_stat_sizes_modes) {
  char path[PATH_MAX];
  char link[PATH_MAX];
  char data[1234];
  uv_loop_t loop;
  uv_fs_t req;
  uv_stat_t* st;
  time_t now = time(NULL);
  int fd;

  fs_setup();
  memset(data, 'x', sizeof(data));
  fs_write_file(fs_join(path, "f"), data, sizeof(data), 0640);
  ASSERT_OK(symlink(path, fs_join(link, "l")));

  ASSERT_OK(uv_fs_stat(NULL, &req, path, NULL));
  ASSERT_OK(req.result);
  st = (uv_stat_t*) req.ptr;
  ASSERT_EQ(st, &req.statbuf);
  ASSERT_EQ(uv_fs_get_statbuf(&req), &req.statbuf);
  ASSERT_EQ(uv_fs_get_ptr(&req), &req.statbuf);
  ASSERT_U64_EQ(st->st_size, 1234);
  ASSERT(S_ISREG(st->st_mode));
  ASSERT_U64_EQ(st->st_mode & 07777, 0640);
  ASSERT_U64_EQ(st->st_nlink, 1);
  ASSERT_U64_EQ(st->st_uid, getuid());
  ASSERT_U64_GT(st->st_ino, 0);
  ASSERT_U64_GT(st->st_blksize, 0);
  ASSERT_GE(st->st_mtim.tv_sec, (long) now - 5);
  ASSERT_LE(st->st_mtim.tv_sec, (long) now + 5);
  ASSERT_LT(st->st_mtim.tv_nsec, 1000000000);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.ptr);

  /* stat follows the symlink, lstat does not. */
  ASSERT_OK(uv_fs_stat(NULL, &req, link, NULL));
  ASSERT(S_ISREG(req.statbuf.st_mode));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_lstat(NULL, &req, link, NULL));
  ASSERT(S_ISLNK(req.statbuf.st_mode));
  ASSERT_U64_EQ(req.statbuf.st_size, strlen(path));
  uv_fs_req_cleanup(&req);

  /* A directory. */
  ASSERT_OK(uv_fs_stat(NULL, &req, fs_dir, NULL));
  ASSERT(S_ISDIR(req.statbuf.st_mode));
  uv_fs_req_cleanup(&req);

  /* fstat agrees with stat. */
  fd = open(path, O_RDONLY);
  ASSERT_GE(fd, 0);
  ASSERT_OK(uv_fs_fstat(NULL, &req, fd, NULL));
  ASSERT_U64_EQ(req.statbuf.st_size, 1234);
  ASSERT_U64_EQ(req.statbuf.st_mode & 07777, 0640);
  ASSERT_EQ(req.ptr, &req.statbuf);
  uv_fs_req_cleanup(&req);

  /* Missing: ENOENT, and no stat buffer handed out. */
  ASSERT_EQ(uv_fs_stat(NULL, &req, fs_join(link, "missing"), NULL), UV_ENOENT);
  ASSERT_NULL(req.ptr);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_fstat(NULL, &req, -1, NULL), UV_EBADF);
  uv_fs_req_cleanup(&req);

  /* Asynchronously. */
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_stat(&loop, &req, path, fs_stat_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_fs_fstat(&loop, &req, fd, fs_stat_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_fs_lstat(&loop, &req, path, fs_stat_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_stat_calls, 3);
  ASSERT_OK(uv_loop_close(&loop));
  ASSERT_OK(close(fd));
  fs_teardown();
}

TEST(fs_statfs) {
  uv_statfs_t* sfs;
  uv_fs_t req;

  ASSERT_OK(uv_fs_statfs(NULL, &req, "/tmp", NULL));
  ASSERT_OK(req.result);
  sfs = (uv_statfs_t*) req.ptr;
  ASSERT_NOT_NULL(sfs);
  ASSERT_U64_GT(sfs->f_bsize, 0);
  ASSERT_U64_GT(sfs->f_blocks, 0);
  ASSERT_U64_GE(sfs->f_blocks, sfs->f_bfree);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.ptr);

  ASSERT_EQ(uv_fs_statfs(NULL, &req, "/does/not/exist", NULL), UV_ENOENT);
  ASSERT_EQ(uv_fs_get_system_error(&req), ENOENT);
  ASSERT_NULL(req.ptr);
  uv_fs_req_cleanup(&req);
}

/* ---- scandir ------------------------------------------------------------------- */

static int fs_scandir_calls;
static void fs_scandir_cb(uv_fs_t* req) {
  uv_dirent_t ent;
  ASSERT_EQ(req->fs_type, UV_FS_SCANDIR);
  ASSERT_EQ(req->result, 5);
  ASSERT_OK(uv_fs_scandir_next(req, &ent));
  ASSERT_STR_EQ(ent.name, "C");
  fs_scandir_calls++;
  uv_fs_req_cleanup(req);  /* before the end: frees the rest */
}

TEST(fs_scandir_order_and_eof) {
  static const char* const expect[] = { "C", "a", "a2", "b", "dir1" };
  char path[PATH_MAX];
  uv_dirent_t ent;
  uv_loop_t loop;
  uv_fs_t req;
  int i;

  fs_setup();
  fs_write_file(fs_join(path, "b"), "", 0, 0644);
  fs_write_file(fs_join(path, "a"), "", 0, 0644);
  fs_write_file(fs_join(path, "C"), "", 0, 0644);
  fs_write_file(fs_join(path, "a2"), "", 0, 0644);
  ASSERT_OK(mkdir(fs_join(path, "dir1"), 0755));

  ASSERT_EQ(uv_fs_scandir(NULL, &req, fs_dir, 0, NULL), 5);
  ASSERT_EQ(req.result, 5);
  for (i = 0; i < 5; i++) {
    ASSERT_OK(uv_fs_scandir_next(&req, &ent));
    ASSERT_STR_EQ(ent.name, expect[i]);
    ASSERT_EQ(ent.type, i == 4 ? UV_DIRENT_DIR : UV_DIRENT_FILE);
  }
  ASSERT_EQ(uv_fs_scandir_next(&req, &ent), UV_EOF);
  ASSERT_EQ(uv_fs_scandir_next(&req, &ent), UV_EOF);
  uv_fs_req_cleanup(&req);
  uv_fs_req_cleanup(&req);

  /* Stopping early: cleanup frees what is left. */
  ASSERT_EQ(uv_fs_scandir(NULL, &req, fs_dir, 0, NULL), 5);
  ASSERT_OK(uv_fs_scandir_next(&req, &ent));
  ASSERT_OK(uv_fs_scandir_next(&req, &ent));
  ASSERT_STR_EQ(ent.name, "a");
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.ptr);

  /* Empty directory: 0 entries, then UV_EOF. */
  ASSERT_OK(mkdir(fs_join(path, "empty"), 0755));
  ASSERT_OK(uv_fs_scandir(NULL, &req, path, 0, NULL));
  ASSERT_NULL(req.ptr);
  ASSERT_EQ(uv_fs_scandir_next(&req, &ent), UV_EOF);
  uv_fs_req_cleanup(&req);

  /* Errors come back from scandir_next too. */
  ASSERT_EQ(uv_fs_scandir(NULL, &req, fs_join(path, "nope"), 0, NULL), UV_ENOENT);
  ASSERT_EQ(uv_fs_scandir_next(&req, &ent), UV_ENOENT);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_scandir(NULL, &req, fs_join(path, "a"), 0, NULL), UV_ENOTDIR);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(rmdir(fs_join(path, "empty")));
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_scandir(&loop, &req, fs_dir, 0, fs_scandir_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_scandir_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- opendir / readdir / closedir ------------------------------------------------------ */

static uv_dirent_t fs_dirents[2];
static int fs_dir_seen[5];
static int fs_dir_batches[8];
static int fs_dir_nbatches;
static uv_dir_t* fs_async_dir;

static void fs_dir_record(uv_dirent_t* ents, int n) {
  int i;
  fs_dir_batches[fs_dir_nbatches++] = n;
  for (i = 0; i < n; i++) {
    ASSERT_EQ(ents[i].type, UV_DIRENT_FILE);
    ASSERT_EQ(strlen(ents[i].name), 2);
    ASSERT_EQ(ents[i].name[0], 'f');
    fs_dir_seen[ents[i].name[1] - '0']++;
  }
}

static void fs_readdir_cb(uv_fs_t* req);

static void fs_closedir_cb(uv_fs_t* req) {
  ASSERT_EQ(req->fs_type, UV_FS_CLOSEDIR);
  ASSERT_OK(req->result);
  uv_fs_req_cleanup(req);
}

static void fs_readdir_cb(uv_fs_t* req) {
  ASSERT_EQ(req->fs_type, UV_FS_READDIR);
  ASSERT_GE(req->result, 0);
  fs_dir_record(fs_dirents, (int) req->result);
  if (req->result == 0) {
    uv_fs_req_cleanup(req);
    ASSERT_OK(uv_fs_closedir(req->loop, req, fs_async_dir, fs_closedir_cb));
    return;
  }
  uv_fs_req_cleanup(req);
  ASSERT_OK(uv_fs_readdir(req->loop, req, fs_async_dir, fs_readdir_cb));
}

static void fs_opendir_cb(uv_fs_t* req) {
  ASSERT_EQ(req->fs_type, UV_FS_OPENDIR);
  ASSERT_OK(req->result);
  fs_async_dir = (uv_dir_t*) req->ptr;
  ASSERT_NOT_NULL(fs_async_dir);
  fs_async_dir->dirents = fs_dirents;
  fs_async_dir->nentries = 2;
  uv_fs_req_cleanup(req);  /* the uv_dir_t stays */
  ASSERT_OK(uv_fs_readdir(req->loop, req, fs_async_dir, fs_readdir_cb));
}

TEST(fs_opendir_readdir_batches) {
  char path[PATH_MAX];
  char name[8];
  uv_loop_t loop;
  uv_fs_t req;
  uv_dir_t* dir;
  int i;
  int r;

  fs_setup();
  for (i = 0; i < 5; i++) {
    snprintf(name, sizeof(name), "f%d", i);
    fs_write_file(fs_join(path, name), "", 0, 0644);
  }

  ASSERT_OK(uv_fs_opendir(NULL, &req, fs_dir, NULL));
  dir = (uv_dir_t*) req.ptr;
  ASSERT_NOT_NULL(dir);
  uv_fs_req_cleanup(&req);
  dir->dirents = fs_dirents;
  dir->nentries = 2;
  do {
    r = uv_fs_readdir(NULL, &req, dir, NULL);
    ASSERT_GE(r, 0);
    ASSERT_EQ(req.result, r);
    fs_dir_record(fs_dirents, r);
    uv_fs_req_cleanup(&req);
    ASSERT_NULL(fs_dirents[0].name);  /* cleanup released the names */
  } while (r > 0);
  ASSERT_EQ(fs_dir_nbatches, 4);
  ASSERT_EQ(fs_dir_batches[0], 2);
  ASSERT_EQ(fs_dir_batches[1], 2);
  ASSERT_EQ(fs_dir_batches[2], 1);
  ASSERT_EQ(fs_dir_batches[3], 0);
  for (i = 0; i < 5; i++)
    ASSERT_EQ(fs_dir_seen[i], 1);
  ASSERT_OK(uv_fs_closedir(NULL, &req, dir, NULL));
  uv_fs_req_cleanup(&req);

  /* Not a directory / missing. */
  ASSERT_EQ(uv_fs_opendir(NULL, &req, path, NULL), UV_ENOTDIR);
  ASSERT_NULL(req.ptr);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_opendir(NULL, &req, "/does/not/exist", NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  /* The same, asynchronously. */
  memset(fs_dir_seen, 0, sizeof(fs_dir_seen));
  fs_dir_nbatches = 0;
  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_opendir(&loop, &req, fs_dir, fs_opendir_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_dir_nbatches, 4);
  for (i = 0; i < 5; i++)
    ASSERT_EQ(fs_dir_seen[i], 1);
  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- mkdtemp / mkstemp ------------------------------------------------------------ */

static int fs_mkdtemp_calls;
static void fs_mkdtemp_cb(uv_fs_t* req) {
  struct stat st;
  ASSERT_EQ(req->fs_type, UV_FS_MKDTEMP);
  ASSERT_OK(req->result);
  ASSERT_OK(stat(req->path, &st));
  ASSERT(S_ISDIR(st.st_mode));
  fs_mkdtemp_calls++;
  ASSERT_OK(rmdir(req->path));
  uv_fs_req_cleanup(req);
}

TEST(fs_mkdtemp_mkstemp) {
  char tpl[PATH_MAX];
  char bad[PATH_MAX];
  struct stat st;
  uv_loop_t loop;
  uv_fs_t req;
  uv_fs_t req2;
  int fd;

  fs_setup();
  fs_join(tpl, "tmp_XXXXXX");

  ASSERT_OK(uv_fs_mkdtemp(NULL, &req, tpl, NULL));
  ASSERT_NE(req.path, tpl);  /* always a copy */
  ASSERT_EQ(strlen(req.path), strlen(tpl));
  ASSERT_OK(strncmp(req.path, tpl, strlen(tpl) - 6));
  ASSERT_STR_NE(req.path, tpl);
  ASSERT_STR_EQ(tpl + strlen(tpl) - 6, "XXXXXX");  /* the template is untouched */
  ASSERT_OK(stat(req.path, &st));
  ASSERT(S_ISDIR(st.st_mode));
  ASSERT_EQ(st.st_mode & 0777, 0700);

  ASSERT_OK(uv_fs_mkdtemp(NULL, &req2, tpl, NULL));
  ASSERT_STR_NE(req.path, req2.path);
  ASSERT_OK(rmdir(req.path));
  ASSERT_OK(rmdir(req2.path));
  uv_fs_req_cleanup(&req);
  uv_fs_req_cleanup(&req2);
  uv_fs_req_cleanup(&req2);

  fd = uv_fs_mkstemp(NULL, &req, tpl, NULL);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(req.result, fd);
  ASSERT_EQ(req.fs_type, UV_FS_MKSTEMP);
  ASSERT_OK(fstat(fd, &st));
  ASSERT(S_ISREG(st.st_mode));
  ASSERT_EQ(st.st_mode & 0777, 0600);
  ASSERT(fcntl(fd, F_GETFD) & FD_CLOEXEC);
  ASSERT_EQ(write(fd, "x", 1), 1);
  ASSERT_OK(close(fd));
  ASSERT_OK(unlink(req.path));
  uv_fs_req_cleanup(&req);

  /* Templates must end in XXXXXX. */
  fs_join(bad, "tmp_XXXXXXy");
  ASSERT_EQ(uv_fs_mkstemp(NULL, &req, bad, NULL), UV_EINVAL);
  ASSERT_STR_EQ(req.path, "");
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_mkdtemp(NULL, &req, bad, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_mkdtemp(NULL, &req, "/does/not/exist/XXXXXX", NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_mkdtemp(&loop, &req, tpl, fs_mkdtemp_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_mkdtemp_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- copyfile ------------------------------------------------------------------ */

static int fs_copy_calls;
static void fs_copy_cb(uv_fs_t* req) {
  ASSERT_EQ(req->fs_type, UV_FS_COPYFILE);
  ASSERT_EQ(req->result, UV_EEXIST);
  fs_copy_calls++;
  uv_fs_req_cleanup(req);
}

TEST(fs_copyfile) {
  char src[PATH_MAX];
  char dst[PATH_MAX];
  char big[100000];
  char in[100001];
  struct stat st;
  uv_loop_t loop;
  uv_fs_t req;
  size_t i;
  int r;

  fs_setup();
  for (i = 0; i < sizeof(big); i++)
    big[i] = (char) ('a' + i % 26);
  fs_write_file(fs_join(src, "src"), big, sizeof(big), 0604);
  ASSERT_OK(chmod(src, 0604));
  fs_join(dst, "dst");

  ASSERT_OK(uv_fs_copyfile(NULL, &req, src, dst, 0, NULL));
  ASSERT_OK(req.result);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(fs_read_file(dst, in, sizeof(in)), (ssize_t) sizeof(big));
  ASSERT_OK(memcmp(in, big, sizeof(big)));
  ASSERT_OK(stat(dst, &st));
  ASSERT_EQ(st.st_mode & 07777, 0604);  /* the mode is preserved */

  /* EXCL onto an existing file: EEXIST, and the file is left alone. */
  ASSERT_EQ(uv_fs_copyfile(NULL, &req, src, dst, UV_FS_COPYFILE_EXCL, NULL),
            UV_EEXIST);
  ASSERT_EQ(req.result, UV_EEXIST);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(fs_read_file(dst, in, sizeof(in)), (ssize_t) sizeof(big));

  /* Without EXCL an existing (longer) file is replaced. */
  fs_write_file(src, "short", 5, 0644);
  ASSERT_OK(uv_fs_copyfile(NULL, &req, src, dst, 0, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(fs_read_file(dst, in, sizeof(in)), 5);
  ASSERT_OK(memcmp(in, "short", 5));

  /* Onto itself: nothing happens. */
  ASSERT_OK(uv_fs_copyfile(NULL, &req, src, src, 0, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(fs_read_file(src, in, sizeof(in)), 5);

  /* FICLONE falls back to copying; FICLONE_FORCE may fail where clones are
   * unsupported. */
  ASSERT_OK(unlink(dst));
  ASSERT_OK(uv_fs_copyfile(NULL, &req, src, dst, UV_FS_COPYFILE_FICLONE, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(fs_read_file(dst, in, sizeof(in)), 5);
  ASSERT_OK(unlink(dst));
  r = uv_fs_copyfile(NULL, &req, src, dst, UV_FS_COPYFILE_FICLONE_FORCE, NULL);
  ASSERT_LE(r, 0);
  ASSERT_EQ(req.result, r);
  uv_fs_req_cleanup(&req);
  if (r == 0)
    ASSERT_EQ(fs_read_file(dst, in, sizeof(in)), 5);
  else
    ASSERT(!fs_exists(dst));  /* a failed copy leaves nothing behind */

  /* A missing source creates nothing. */
  ASSERT_EQ(uv_fs_copyfile(NULL, &req, "/does/not/exist", dst, 0, NULL),
            UV_ENOENT);
  uv_fs_req_cleanup(&req);

  /* Unknown flags. */
  ASSERT_EQ(uv_fs_copyfile(NULL, &req, src, dst, 0x100, NULL), UV_EINVAL);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_copyfile(&loop, &req, src, src, UV_FS_COPYFILE_EXCL, fs_copy_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_copy_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- rename / unlink / mkdir / rmdir / link --------------------------------------------- */

TEST(fs_rename_unlink_rmdir) {
  char a[PATH_MAX];
  char b[PATH_MAX];
  char d[PATH_MAX];
  char inner[PATH_MAX];
  char in[8];
  struct stat st;
  uv_fs_t req;

  fs_setup();
  fs_write_file(fs_join(a, "a"), "A", 1, 0644);
  fs_join(b, "b");

  ASSERT_OK(uv_fs_rename(NULL, &req, a, b, NULL));
  ASSERT_EQ(req.fs_type, UV_FS_RENAME);
  ASSERT_EQ(req.path, a);
  ASSERT_EQ(req.new_path, b);
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.new_path);
  ASSERT(!fs_exists(a));
  ASSERT_EQ(fs_read_file(b, in, sizeof(in)), 1);
  ASSERT_EQ(uv_fs_rename(NULL, &req, a, b, NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  /* Hard link. */
  ASSERT_OK(uv_fs_link(NULL, &req, b, a, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(stat(a, &st));
  ASSERT_EQ(st.st_nlink, 2);
  ASSERT_EQ(uv_fs_link(NULL, &req, b, a, NULL), UV_EEXIST);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_fs_unlink(NULL, &req, a, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT(!fs_exists(a));
  ASSERT_EQ(uv_fs_unlink(NULL, &req, a, NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  /* mkdir, rmdir of a non-empty directory, rmdir. */
  ASSERT_OK(uv_fs_mkdir(NULL, &req, fs_join(d, "d"), 0750, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(stat(d, &st));
  ASSERT(S_ISDIR(st.st_mode));
  ASSERT_EQ(st.st_mode & 0777, 0750);
  ASSERT_EQ(uv_fs_mkdir(NULL, &req, d, 0755, NULL), UV_EEXIST);
  uv_fs_req_cleanup(&req);
  fs_join(inner, "d/x");
  fs_write_file(inner, "", 0, 0644);
  ASSERT_EQ(uv_fs_rmdir(NULL, &req, d, NULL), UV_ENOTEMPTY);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_rmdir(NULL, &req, inner, NULL), UV_ENOTDIR);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_unlink(NULL, &req, d, NULL), UV_EISDIR);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(unlink(inner));
  ASSERT_OK(uv_fs_rmdir(NULL, &req, d, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT(!fs_exists(d));

  fs_teardown();
}

/* ---- symlink / readlink / realpath ------------------------------------------------- */

static int fs_readlink_calls;
static void fs_readlink_cb(uv_fs_t* req) {
  ASSERT_EQ(req->fs_type, UV_FS_READLINK);
  ASSERT_OK(req->result);
  ASSERT_STR_EQ((const char*) req->ptr, "target");
  fs_readlink_calls++;
  uv_fs_req_cleanup(req);
  ASSERT_NULL(req->ptr);
}

TEST(fs_symlink_readlink_realpath) {
  char target[PATH_MAX];
  char link[PATH_MAX];
  char expect[PATH_MAX];
  char longname[300];
  uv_loop_t loop;
  uv_fs_t req;

  fs_setup();
  fs_write_file(fs_join(target, "target"), "t", 1, 0644);
  fs_join(link, "link");

  ASSERT_OK(uv_fs_symlink(NULL, &req, "target", link, 0, NULL));
  ASSERT_EQ(req.fs_type, UV_FS_SYMLINK);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_symlink(NULL, &req, "target", link, UV_FS_SYMLINK_DIR, NULL),
            UV_EEXIST);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_fs_readlink(NULL, &req, link, NULL));
  ASSERT_STR_EQ((const char*) req.ptr, "target");
  uv_fs_req_cleanup(&req);
  ASSERT_NULL(req.ptr);
  ASSERT_EQ(uv_fs_readlink(NULL, &req, target, NULL), UV_EINVAL);
  ASSERT_NULL(req.ptr);
  uv_fs_req_cleanup(&req);

  /* A long target. */
  memset(longname, 'n', sizeof(longname) - 1);
  longname[sizeof(longname) - 1] = '\0';
  ASSERT_OK(uv_fs_symlink(NULL, &req, longname, fs_join(expect, "long"), 0, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_readlink(NULL, &req, expect, NULL));
  ASSERT_STR_EQ((const char*) req.ptr, longname);
  uv_fs_req_cleanup(&req);

  ASSERT_NOT_NULL(realpath(target, expect));
  ASSERT_OK(uv_fs_realpath(NULL, &req, link, NULL));
  ASSERT_STR_EQ((const char*) req.ptr, expect);
  uv_fs_req_cleanup(&req);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_realpath(NULL, &req, "/does/not/exist", NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_readlink(&loop, &req, link, fs_readlink_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_readlink_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- utime / futime / lutime ------------------------------------------------------- */

static void fs_check_times(const char* path, int follow, double atime,
                           double mtime) {
  uv_fs_t req;
  if (follow)
    ASSERT_OK(uv_fs_stat(NULL, &req, path, NULL));
  else
    ASSERT_OK(uv_fs_lstat(NULL, &req, path, NULL));
  ASSERT_EQ(req.statbuf.st_atim.tv_sec, (long) floor(atime));
  ASSERT_EQ(req.statbuf.st_atim.tv_nsec,
            (long) ((atime - floor(atime)) * 1e9));
  ASSERT_EQ(req.statbuf.st_mtim.tv_sec, (long) floor(mtime));
  ASSERT_EQ(req.statbuf.st_mtim.tv_nsec,
            (long) ((mtime - floor(mtime)) * 1e9));
  uv_fs_req_cleanup(&req);
}

TEST(fs_utime_futime_lutime) {
  char path[PATH_MAX];
  char link[PATH_MAX];
  uv_fs_t req;
  time_t now;
  int fd;

  fs_setup();
  fs_write_file(fs_join(path, "f"), "", 0, 0644);
  ASSERT_OK(symlink(path, fs_join(link, "l")));

  ASSERT_OK(uv_fs_utime(NULL, &req, path, 400497753.25, 1291404900.5, NULL));
  ASSERT_EQ(req.fs_type, UV_FS_UTIME);
  uv_fs_req_cleanup(&req);
  fs_check_times(path, 1, 400497753.25, 1291404900.5);

  /* Before 1970. */
  ASSERT_OK(uv_fs_utime(NULL, &req, path, -14245440.25, -14245440.25, NULL));
  uv_fs_req_cleanup(&req);
  fs_check_times(path, 1, -14245440.25, -14245440.25);

  /* OMIT keeps a time, NOW sets it to the present. */
  ASSERT_OK(uv_fs_utime(NULL, &req, path, 100.0, UV_FS_UTIME_OMIT, NULL));
  uv_fs_req_cleanup(&req);
  fs_check_times(path, 1, 100.0, -14245440.25);
  now = time(NULL);
  ASSERT_OK(uv_fs_utime(NULL, &req, path, UV_FS_UTIME_OMIT, UV_FS_UTIME_NOW, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_stat(NULL, &req, path, NULL));
  ASSERT_EQ(req.statbuf.st_atim.tv_sec, 100);
  ASSERT_GE(req.statbuf.st_mtim.tv_sec, (long) now - 2);
  ASSERT_LE(req.statbuf.st_mtim.tv_sec, (long) now + 2);
  uv_fs_req_cleanup(&req);

  fd = open(path, O_RDWR);
  ASSERT_GE(fd, 0);
  ASSERT_OK(uv_fs_futime(NULL, &req, fd, 200.75, 300.0, NULL));
  ASSERT_EQ(req.fs_type, UV_FS_FUTIME);
  uv_fs_req_cleanup(&req);
  fs_check_times(path, 1, 200.75, 300.0);
  ASSERT_OK(close(fd));

  /* lutime changes the link itself, not its target. */
  ASSERT_OK(uv_fs_lutime(NULL, &req, link, 5000.5, 6000.25, NULL));
  ASSERT_EQ(req.fs_type, UV_FS_LUTIME);
  uv_fs_req_cleanup(&req);
  fs_check_times(link, 0, 5000.5, 6000.25);
  fs_check_times(path, 1, 200.75, 300.0);

  ASSERT_EQ(uv_fs_utime(NULL, &req, "/does/not/exist", 1.0, 1.0, NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);
  fs_teardown();
}

/* ---- ftruncate / fsync / fdatasync / chmod / fchmod / chown ------------------------------ */

static int fs_trunc_calls;
static void fs_trunc_cb(uv_fs_t* req) {
  ASSERT_EQ(req->fs_type, UV_FS_FTRUNCATE);
  ASSERT_OK(req->result);
  fs_trunc_calls++;
  uv_fs_req_cleanup(req);
}

TEST(fs_ftruncate_sync_chmod_chown) {
  char path[PATH_MAX];
  char data[100];
  struct stat st;
  uv_loop_t loop;
  uv_fs_t req;
  int fd;

  fs_setup();
  memset(data, 'd', sizeof(data));
  fs_write_file(fs_join(path, "f"), data, sizeof(data), 0644);
  fd = open(path, O_RDWR);
  ASSERT_GE(fd, 0);

  ASSERT_OK(uv_fs_ftruncate(NULL, &req, fd, 10, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(fstat(fd, &st));
  ASSERT_EQ(st.st_size, 10);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_ftruncate(&loop, &req, fd, 4096, fs_trunc_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_trunc_calls, 1);
  ASSERT_OK(fstat(fd, &st));
  ASSERT_EQ(st.st_size, 4096);

  ASSERT_OK(uv_fs_fsync(NULL, &req, fd, NULL));
  ASSERT_EQ(req.fs_type, UV_FS_FSYNC);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_fdatasync(NULL, &req, fd, NULL));
  ASSERT_EQ(req.fs_type, UV_FS_FDATASYNC);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_fsync(NULL, &req, -1, NULL), UV_EBADF);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_fs_chmod(NULL, &req, path, 0600, NULL));
  ASSERT_EQ(req.fs_type, UV_FS_CHMOD);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(stat(path, &st));
  ASSERT_EQ(st.st_mode & 07777, 0600);
  ASSERT_OK(uv_fs_fchmod(NULL, &req, fd, 0640, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(stat(path, &st));
  ASSERT_EQ(st.st_mode & 07777, 0640);
  ASSERT_EQ(uv_fs_chmod(NULL, &req, "/does/not/exist", 0600, NULL), UV_ENOENT);
  uv_fs_req_cleanup(&req);

  /* chown to -1/-1 changes nothing and is always allowed. */
  ASSERT_OK(uv_fs_chown(NULL, &req, path, (uv_uid_t) -1, (uv_gid_t) -1, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_fchown(NULL, &req, fd, (uv_uid_t) -1, (uv_gid_t) -1, NULL));
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_lchown(NULL, &req, path, getuid(), getgid(), NULL));
  ASSERT_EQ(req.fs_type, UV_FS_LCHOWN);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(close(fd));
  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- sendfile ------------------------------------------------------------------- */

static int fs_sendfile_calls;
static void fs_sendfile_cb(uv_fs_t* req) {
  ASSERT_EQ(req->fs_type, UV_FS_SENDFILE);
  ASSERT_EQ(req->result, 100);
  fs_sendfile_calls++;
  uv_fs_req_cleanup(req);
}

TEST(fs_sendfile) {
  char src[PATH_MAX];
  char dst[PATH_MAX];
  char data[10000];
  char in[10000];
  uv_loop_t loop;
  uv_fs_t req;
  int pipefd[2];
  int in_fd;
  int out_fd;
  size_t i;

  fs_setup();
  for (i = 0; i < sizeof(data); i++)
    data[i] = (char) (i * 7);
  fs_write_file(fs_join(src, "src"), data, sizeof(data), 0644);
  in_fd = open(src, O_RDONLY);
  ASSERT_GE(in_fd, 0);
  out_fd = open(fs_join(dst, "dst"), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ASSERT_GE(out_fd, 0);

  /* File to file, from an offset; the input position does not move. */
  ASSERT_EQ(uv_fs_sendfile(NULL, &req, out_fd, in_fd, 100, 5000, NULL), 5000);
  ASSERT_EQ(req.result, 5000);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(lseek(in_fd, 0, SEEK_CUR), 0);
  ASSERT_EQ(fs_read_file(dst, in, sizeof(in)), 5000);
  ASSERT_OK(memcmp(in, data + 100, 5000));

  /* Past the end: what is there. */
  ASSERT_EQ(uv_fs_sendfile(NULL, &req, out_fd, in_fd, 9900, 5000, NULL), 100);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(uv_fs_sendfile(NULL, &req, out_fd, in_fd, 10000, 5000, NULL));
  uv_fs_req_cleanup(&req);

  /* File to pipe. */
  ASSERT_OK(pipe(pipefd));
  ASSERT_EQ(uv_fs_sendfile(NULL, &req, pipefd[1], in_fd, 0, 3000, NULL), 3000);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(read(pipefd[0], in, sizeof(in)), 3000);
  ASSERT_OK(memcmp(in, data, 3000));

  /* Pipe to file (no positions on the input). */
  ASSERT_EQ(write(pipefd[1], data, 1000), 1000);
  ASSERT_OK(close(pipefd[1]));
  ASSERT_EQ(uv_fs_sendfile(NULL, &req, out_fd, pipefd[0], 0, 5000, NULL), 1000);
  uv_fs_req_cleanup(&req);
  ASSERT_OK(close(pipefd[0]));

  ASSERT_EQ(uv_fs_sendfile(NULL, &req, out_fd, -1, 0, 10, NULL), UV_EBADF);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_loop_init(&loop));
  ASSERT_OK(uv_fs_sendfile(&loop, &req, out_fd, in_fd, 0, 100, fs_sendfile_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_sendfile_calls, 1);
  ASSERT_OK(uv_loop_close(&loop));

  ASSERT_OK(close(in_fd));
  ASSERT_OK(close(out_fd));
  ASSERT_EQ(fs_read_file(dst, in, sizeof(in)), 5000 + 100 + 1000 + 100);
  fs_teardown();
}

/* ---- errors: the same codes synchronously and asynchronously ------------------------ */

static ssize_t fs_err_result;
static int fs_err_calls;
static void fs_err_cb(uv_fs_t* req) {
  fs_err_result = req->result;
  fs_err_calls++;
  uv_fs_req_cleanup(req);
}

/* Runs the request `call` (with loop/cb substituted) both ways; returns the code. */
#define FS_BOTH(loop, req, expect, call_sync, call_async)                     \
  do {                                                                        \
    int rs_ = (call_sync);                                                    \
    ASSERT_EQ(rs_, (expect));                                                 \
    ASSERT_EQ((req).result, (expect));                                        \
    uv_fs_req_cleanup(&(req));                                                \
    fs_err_calls = 0;                                                         \
    fs_err_result = 12345;                                                    \
    ASSERT_OK(call_async);                                                    \
    ASSERT_OK(uv_run((loop), UV_RUN_DEFAULT));                                \
    ASSERT_EQ(fs_err_calls, 1);                                               \
    ASSERT_EQ(fs_err_result, (expect));                                       \
  } while (0)

TEST(fs_errors_sync_and_async) {
  char missing[PATH_MAX];
  char file[PATH_MAX];
  uv_loop_t loop;
  uv_fs_t req;

  fs_setup();
  fs_join(missing, "missing");
  fs_write_file(fs_join(file, "file"), "x", 1, 0644);
  ASSERT_OK(uv_loop_init(&loop));

  FS_BOTH(&loop, req, UV_ENOENT,
          uv_fs_access(NULL, &req, missing, F_OK, NULL),
          uv_fs_access(&loop, &req, missing, F_OK, fs_err_cb));
  FS_BOTH(&loop, req, 0,
          uv_fs_access(NULL, &req, file, R_OK | W_OK, NULL),
          uv_fs_access(&loop, &req, file, R_OK | W_OK, fs_err_cb));
  FS_BOTH(&loop, req, UV_ENOENT,
          uv_fs_open(NULL, &req, missing, UV_FS_O_RDONLY, 0, NULL),
          uv_fs_open(&loop, &req, missing, UV_FS_O_RDONLY, 0, fs_err_cb));
  FS_BOTH(&loop, req, UV_EEXIST,
          uv_fs_open(NULL, &req, file, UV_FS_O_CREAT | UV_FS_O_EXCL, 0644, NULL),
          uv_fs_open(&loop, &req, file, UV_FS_O_CREAT | UV_FS_O_EXCL, 0644,
                     fs_err_cb));
  FS_BOTH(&loop, req, UV_ENOENT,
          uv_fs_stat(NULL, &req, missing, NULL),
          uv_fs_stat(&loop, &req, missing, fs_err_cb));
  FS_BOTH(&loop, req, UV_ENOTEMPTY,
          uv_fs_rmdir(NULL, &req, fs_dir, NULL),
          uv_fs_rmdir(&loop, &req, fs_dir, fs_err_cb));
  FS_BOTH(&loop, req, UV_EEXIST,
          uv_fs_mkdir(NULL, &req, fs_dir, 0755, NULL),
          uv_fs_mkdir(&loop, &req, fs_dir, 0755, fs_err_cb));
  FS_BOTH(&loop, req, UV_ENOENT,
          uv_fs_rename(NULL, &req, missing, file, NULL),
          uv_fs_rename(&loop, &req, missing, file, fs_err_cb));
  FS_BOTH(&loop, req, UV_EBADF,
          uv_fs_fstat(NULL, &req, -1, NULL),
          uv_fs_fstat(&loop, &req, -1, fs_err_cb));
  FS_BOTH(&loop, req, UV_ENOTDIR,
          uv_fs_scandir(NULL, &req, file, 0, NULL),
          uv_fs_scandir(&loop, &req, file, 0, fs_err_cb));
  FS_BOTH(&loop, req, UV_ENOENT,
          uv_fs_readlink(NULL, &req, missing, NULL),
          uv_fs_readlink(&loop, &req, missing, fs_err_cb));

  ASSERT_EQ(uv_fs_unlink(NULL, &req, missing, NULL), UV_ENOENT);
  ASSERT_EQ(uv_fs_get_result(&req), UV_ENOENT);
  ASSERT_EQ(uv_fs_get_system_error(&req), ENOENT);
  uv_fs_req_cleanup(&req);

  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- uv_fs_req_cleanup ----------------------------------------------------------- */

static void fs_cleanup_twice_cb(uv_fs_t* req) {
  uv_fs_req_cleanup(req);
  ASSERT_NULL(req->path);
  ASSERT_NULL(req->ptr);
  uv_fs_req_cleanup(req);
}

TEST(fs_req_cleanup_twice) {
  char path[PATH_MAX];
  char link[PATH_MAX];
  uv_dirent_t ent;
  uv_loop_t loop;
  uv_fs_t req;

  fs_setup();
  fs_write_file(fs_join(path, "f"), "x", 1, 0644);
  ASSERT_OK(symlink(path, fs_join(link, "l")));
  ASSERT_OK(uv_loop_init(&loop));

  ASSERT_OK(uv_fs_stat(&loop, &req, path, fs_cleanup_twice_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_fs_readlink(&loop, &req, link, fs_cleanup_twice_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_fs_rename(&loop, &req, path, path, fs_cleanup_twice_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_fs_scandir(&loop, &req, fs_dir, 0, fs_cleanup_twice_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_OK(uv_fs_statfs(&loop, &req, fs_dir, fs_cleanup_twice_cb));
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));

  ASSERT_EQ(uv_fs_scandir(NULL, &req, fs_dir, 0, NULL), 2);
  ASSERT_OK(uv_fs_scandir_next(&req, &ent));
  uv_fs_req_cleanup(&req);
  uv_fs_req_cleanup(&req);
  ASSERT_EQ(uv_fs_scandir_next(&req, &ent), UV_EOF);

  ASSERT_OK(uv_loop_close(&loop));
  fs_teardown();
}

/* ---- uv_cancel of a queued request ----------------------------------------------------- */

static uv_sem_t fs_block;
static uv_sem_t fs_started;
static int fs_cancel_status;
static int fs_cancel_calls;
static int fs_work_done;

static void fs_blocking_work(uv_work_t* req) {
  (void) req;
  uv_sem_post(&fs_started);
  uv_sem_wait(&fs_block);
}

static void fs_blocking_after(uv_work_t* req, int status) {
  (void) req;
  ASSERT_OK(status);
  fs_work_done++;
}

static void fs_cancelled_cb(uv_fs_t* req) {
  fs_cancel_status = (int) req->result;
  fs_cancel_calls++;
  uv_fs_req_cleanup(req);
}

TEST(fs_cancel_queued_request) {
  uv_work_t work[4];
  uv_fs_t reqs[3];
  uv_buf_t bufs[6];
  char data[6];
  uv_loop_t loop;
  int i;

  ASSERT_OK(setenv("UV_THREADPOOL_SIZE", "4", 1));
  ASSERT_OK(uv_sem_init(&fs_block, 0));
  ASSERT_OK(uv_sem_init(&fs_started, 0));
  ASSERT_OK(uv_loop_init(&loop));
  for (i = 0; i < 4; i++)
    ASSERT_OK(uv_queue_work(&loop, &work[i], fs_blocking_work, fs_blocking_after));
  for (i = 0; i < 4; i++)
    uv_sem_wait(&fs_started);  /* every thread is busy now */

  /* Queued behind them: a stat, a write with its buffer copy, a mkdtemp. */
  ASSERT_OK(uv_fs_stat(&loop, &reqs[0], "/", fs_cancelled_cb));
  for (i = 0; i < 6; i++)
    bufs[i] = uv_buf_init(data + i, 1);
  ASSERT_OK(uv_fs_write(&loop, &reqs[1], 1, bufs, 6, -1, fs_cancelled_cb));
  ASSERT_OK(uv_fs_mkdtemp(&loop, &reqs[2], "/tmp/rsuv-never-XXXXXX",
                          fs_cancelled_cb));
  for (i = 0; i < 3; i++)
    ASSERT_OK(uv_cancel((uv_req_t*) &reqs[i]));

  for (i = 0; i < 4; i++)
    uv_sem_post(&fs_block);
  ASSERT_OK(uv_run(&loop, UV_RUN_DEFAULT));
  ASSERT_EQ(fs_cancel_calls, 3);
  ASSERT_EQ(fs_cancel_status, UV_ECANCELED);
  ASSERT_EQ(reqs[0].result, UV_ECANCELED);
  ASSERT_EQ(fs_work_done, 4);
  ASSERT_OK(uv_loop_close(&loop));
  uv_sem_destroy(&fs_block);
  uv_sem_destroy(&fs_started);
}

/* ---- uv_cwd / uv_chdir / uv_exepath ------------------------------------------------ */

TEST(fs_cwd_chdir) {
  char orig[PATH_MAX];
  char buf[PATH_MAX];
  char expect[PATH_MAX];
  char small[4];
  size_t size;

  fs_setup();
  size = sizeof(orig);
  ASSERT_OK(uv_cwd(orig, &size));
  ASSERT_EQ(size, strlen(orig));

  ASSERT_OK(uv_chdir(fs_dir));
  ASSERT_NOT_NULL(realpath(fs_dir, expect));
  size = sizeof(buf);
  ASSERT_OK(uv_cwd(buf, &size));
  ASSERT_STR_EQ(buf, expect);
  ASSERT_EQ(size, strlen(expect));

  /* Too small: ENOBUFS and the room needed, NUL included. */
  size = sizeof(small);
  ASSERT_EQ(uv_cwd(small, &size), UV_ENOBUFS);
  ASSERT_EQ(size, strlen(expect) + 1);
  size = strlen(expect) + 1;
  ASSERT_OK(uv_cwd(buf, &size));

  /* The root keeps its slash. */
  ASSERT_OK(uv_chdir("/"));
  size = sizeof(buf);
  ASSERT_OK(uv_cwd(buf, &size));
  ASSERT_STR_EQ(buf, "/");
  ASSERT_EQ(size, 1);

  size = 0;
  ASSERT_EQ(uv_cwd(buf, &size), UV_EINVAL);
  size = sizeof(buf);
  ASSERT_EQ(uv_cwd(NULL, &size), UV_EINVAL);
  ASSERT_EQ(uv_cwd(buf, NULL), UV_EINVAL);

  ASSERT_EQ(uv_chdir("/does/not/exist"), UV_ENOENT);
  ASSERT_OK(uv_chdir(orig));
  fs_teardown();
}

TEST(fs_exepath) {
  char buf[PATH_MAX];
  char expect[PATH_MAX];
  char small[5];
  const char* name = program_invocation_short_name;
  size_t size;
  size_t len;

  size = sizeof(buf);
  ASSERT_OK(uv_exepath(buf, &size));
  ASSERT_EQ(size, strlen(buf));
  ASSERT_NOT_NULL(realpath("/proc/self/exe", expect));
  ASSERT_STR_EQ(buf, expect);
  len = strlen(name);
  ASSERT_GT(size, len);
  ASSERT_STR_EQ(buf + size - len, name);
  ASSERT_EQ(buf[size - len - 1], '/');

  /* Truncated to fit, NUL-terminated. */
  size = sizeof(small);
  ASSERT_OK(uv_exepath(small, &size));
  ASSERT_EQ(size, 4);
  ASSERT_OK(strncmp(small, expect, 4));
  ASSERT_EQ(small[4], '\0');

  size = 0;
  ASSERT_EQ(uv_exepath(buf, &size), UV_EINVAL);
  ASSERT_EQ(uv_exepath(NULL, &size), UV_EINVAL);
  ASSERT_EQ(uv_exepath(buf, NULL), UV_EINVAL);
}
