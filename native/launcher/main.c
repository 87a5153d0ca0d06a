/*
 * bin/tsrun: tsrun's launcher. It starts node in an environment of its own
 * and then is node (execve: the pid engines track, LISTEN_PID, stays).
 *
 * Why C and not a #!/bin/sh script: every tsrun command pays for it, and on
 * slow-exec machines the script cost ~13 ms above running node directly
 * (dash's start-up, two $(...) forks, `env -i` as a second exec); one static
 * process that reads what it needs and execs node costs about 1 ms.
 *
 * Node acts on several environment variables before any JS runs, and tsrun
 * runs as root: NODE_OPTIONS (--require runs code), OPENSSL_CONF (can load a
 * provider .so), NODE_REDIRECT_WARNINGS (appends to any file), NODE_ICU_DATA,
 * NODE_V8_COVERAGE, NODE_EXTRA_CA_CERTS (~45 ms a start). So node gets only
 * what tsrun reads or passes on (to hooks without env, and to ps), from the
 * allow-list below.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* node dies below ~18 open files and tsrun needs ~28 (exec -t, run with a
 * terminal): say so here, before node can crash or throw EMFILE. */
#define NOFILE_MIN 64

/* The entry node runs, by the command word. The lite entry loads only state,
 * list, kill and start; the fast entry the rest of the lifecycle commands; the
 * create entry what create, run and exec need; anything else (or an entry
 * this build lacks) the whole CLI. */
static const struct {
  const char *word;
  const char *entry;
} entries[] = {
  {"state", "tsrun-lite-launch.cjs"},  {"list", "tsrun-lite-launch.cjs"},
  {"kill", "tsrun-lite-launch.cjs"},   {"start", "tsrun-lite-launch.cjs"},
  {"delete", "tsrun-fast-launch.cjs"},  {"pause", "tsrun-fast-launch.cjs"},
  {"resume", "tsrun-fast-launch.cjs"},  {"--version", "tsrun-fast-launch.cjs"},
  {"-v", "tsrun-fast-launch.cjs"},      {"create", "tsrun-create-launch.cjs"},
  {"run", "tsrun-create-launch.cjs"},   {"exec", "tsrun-create-launch.cjs"},
};
static const char default_entry[] = "tsrun-launch.cjs";

/* runc's global flags that take their value as the next argument. */
static const char *const flags_with_value[] = {"--root", "--log", "--log-format", "--criu", "--rootless"};

/* What passes to node: exact names, and prefixes (NAME*). */
static const char *const env_names[] = {
    "PATH",      "HOME",           "USER",       "LOGNAME",        "XDG_RUNTIME_DIR", "DBUS_SESSION_BUS_ADDRESS",
    "NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES", "DEBUG",           "LANG",
    "LANGUAGE",  "TZ",             "TERM",       "COLUMNS",        "LINES",
};
static const char *const env_prefixes[] = {"DEBUG_", "TSRUN_", "LC_"};

/* Set here from what the launcher itself finds; a caller's value is dropped
 * (TSRUN_INHERITED_FDS from outside would let --preserve-fds pass node's fds). */
static const char *const env_own[] = {"TSRUN_INHERITED_NOFILE", "TSRUN_INHERITED_FDS", "TSRUN_WARM_FD"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static _Noreturn void die(const char *what, const char *path, int code) {
  fprintf(stderr, "tsrun: %s %s: %s\n", what, path, strerror(errno));
  exit(code);
}

static void *xmalloc(size_t n) {
  void *p = malloc(n);
  if (!p) {
    fputs("tsrun: out of memory\n", stderr);
    exit(1);
  }
  return p;
}

/* a + b + c, freshly allocated. */
static char *concat(const char *a, const char *b, const char *c) {
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *s = xmalloc(la + lb + lc + 1);
  memcpy(s, a, la);
  memcpy(s + la, b, lb);
  memcpy(s + la + lb, c, lc + 1);
  return s;
}

/* The length of the name of a NAME=value entry, or 0 when the name is not a
 * valid identifier (or there is no '='). */
static size_t env_name_len(const char *kv) {
  size_t i = 0;
  if (!(kv[0] == '_' || (kv[0] >= 'A' && kv[0] <= 'Z') || (kv[0] >= 'a' && kv[0] <= 'z'))) return 0;
  for (i = 1; kv[i] && kv[i] != '='; i++) {
    char c = kv[i];
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return 0;
  }
  return kv[i] == '=' ? i : 0;
}

static int name_is(const char *kv, size_t len, const char *name) {
  return strlen(name) == len && memcmp(kv, name, len) == 0;
}

static int env_allowed(const char *kv, size_t len) {
  for (size_t i = 0; i < COUNT(env_own); i++)
    if (name_is(kv, len, env_own[i])) return 0;
  for (size_t i = 0; i < COUNT(env_names); i++)
    if (name_is(kv, len, env_names[i])) return 1;
  for (size_t i = 0; i < COUNT(env_prefixes); i++) {
    size_t pl = strlen(env_prefixes[i]);
    if (len >= pl && memcmp(kv, env_prefixes[i], pl) == 0) return 1;
  }
  return 0;
}

/* The first argument that is not one of runc's global flags or such a flag's
 * value, or NULL. */
static const char *command_word(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int takes_value = 0;
    for (size_t j = 0; j < COUNT(flags_with_value); j++)
      if (strcmp(a, flags_with_value[j]) == 0) takes_value = 1;
    if (takes_value) {
      i++;
      continue;
    }
    if (strcmp(a, "--debug") == 0 || strcmp(a, "--systemd-cgroup") == 0) continue;
    if (strncmp(a, "--", 2) == 0 && strchr(a, '=')) continue;
    return a;
  }
  return NULL;
}

static char *rlim_string(rlim_t v) {
  char buf[32];
  if (v == RLIM_INFINITY)
    snprintf(buf, sizeof buf, "unlimited");
  else
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
  return strdup(buf);
}

/* The package's dist directory: ../dist from the directory this binary is
 * really in (bin/tsrun may be reached by symlinks, e.g. npm's .bin). */
static char *dist_dir(void) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 0) die("cannot read", "/proc/self/exe", 1);
  exe[n] = '\0';
  for (int up = 0; up < 2; up++) {
    char *slash = strrchr(exe, '/');
    if (!slash) break;
    *slash = '\0';
  }
  return concat(exe, "/dist", "");
}

/* The absolute path of the node the build ran with (dist/node-path), or NULL. */
static char *recorded_node(const char *dist) {
  char *file = concat(dist, "/node-path", "");
  int fd = open(file, O_RDONLY | O_CLOEXEC);
  free(file);
  if (fd < 0) return NULL;
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return NULL;
  buf[n] = '\0';
  buf[strcspn(buf, "\n")] = '\0';
  struct stat st;
  if (buf[0] != '/' || stat(buf, &st) != 0 || !S_ISREG(st.st_mode) || access(buf, X_OK) != 0) return NULL;
  return strdup(buf);
}

/* The commands that move a process into a cgroup, and so pay the first
 * attach's grace period (src/runtime/cgroup-warm.ts). */
static const char *const attaching_words[] = {"create", "run", "exec", "restore"};

/* The cgroup.procs of our own cgroup in the unified hierarchy of a hybrid
 * host, opened for writing, or -1: on pure v2 the container is cloned into
 * its cgroup and nothing needs warming; a v1-only host, or cgroupfs mounted
 * elsewhere, is left to node's own warm-up. */
static int open_own_unified_procs(void) {
  if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) != 0) return -1;
  int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[8192];
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -1;
  buf[n] = '\0';
  char *line = strstr(buf, "\n0::");
  line = strncmp(buf, "0::", 3) == 0 ? buf : line ? line + 1 : NULL;
  if (!line) return -1;
  line += 3;
  line[strcspn(line, "\n")] = '\0';
  char *procs = concat("/sys/fs/cgroup/unified", line, "/cgroup.procs");
  fd = open(procs, O_WRONLY | O_CLOEXEC);
  free(procs);
  return fd;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Pays the first cgroup attach's RCU grace period while node starts: a
 * detached grandchild (so that no zombie of it outlives its use under a
 * long-lived `run`) writes "0" to procs, a no-op migration of itself, now and
 * every WARM_INTERVAL_MS (cgroup-warm.ts has why that helps). It stops when
 * the pipe's write end, which node inherits as TSRUN_WARM_FD, is closed (node
 * keeps it instead of starting a warm-up of its own, and closes it when the
 * container's attaches are done; or node exits), or after WARM_CAP_MS (the
 * interval and cap are cgroup-warm.ts's).
 *
 * One runs at a time, host-wide: each write takes the lock every fork and
 * exit on the host waits behind, so ten concurrent creates each warming made
 * the whole batch slower than none warming, while one warm-up keeps the
 * window open for all of them. The running one holds an flock on WARM_LOCK
 * (root's, 0600: no other user can hold it to stop the warm-up; the lock
 * goes with the process, even on kill -9; the empty file stays, as
 * iptables' /run/xtables.lock does). A launcher that finds it held starts
 * none and tells node so (WARM_ELSEWHERE).
 *
 * Returns the write end, WARM_NONE when nothing was started, or
 * WARM_ELSEWHERE. */
#define WARM_INTERVAL_MS 4
#define WARM_CAP_MS 500
#define WARM_LOCK "/run/tsrun-warm-up.lock"
#define WARM_NONE (-1)
#define WARM_ELSEWHERE (-2)

/* An fd holding WARM_LOCK, WARM_ELSEWHERE when another process holds it, or
 * WARM_NONE when there is no lock to take (no /run): then every launcher
 * warms, as before there was a lock. */
static int take_warm_lock(void) {
  int fd = open(WARM_LOCK, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, 0600);
  if (fd < 0) return WARM_NONE;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return WARM_NONE;
  }
  /* Made by something else with another owner or mode: ours again. */
  if (st.st_uid != 0 || st.st_gid != 0) (void)!fchown(fd, 0, 0);
  if ((st.st_mode & 07777) != 0600) (void)!fchmod(fd, 0600);
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int held = errno == EWOULDBLOCK;
    close(fd);
    return held ? WARM_ELSEWHERE : WARM_NONE;
  }
  return fd;
}

static int start_early_warm_up(void) {
  int procs = open_own_unified_procs();
  if (procs < 0) return WARM_NONE;
  int lock = take_warm_lock();
  if (lock == WARM_ELSEWHERE) {
    close(procs);
    return WARM_ELSEWHERE;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) {
    close(procs);
    if (lock >= 0) close(lock);
    return WARM_NONE;
  }
  pid_t mid = fork();
  if (mid < 0) {
    close(procs), close(p[0]), close(p[1]);
    if (lock >= 0) close(lock);
    return WARM_NONE;
  }
  if (mid == 0) {
    if (fork() != 0) _exit(0);
    /* Nothing of the caller's stays open here: an engine reading our stdout
     * to its end must not wait for this process. */
    close(p[1]);
    /* Out of the way first: the caller may have left 0-2 closed. */
    int kept_procs = fcntl(procs, F_DUPFD, 16), kept_pipe = fcntl(p[0], F_DUPFD, 16);
    int kept_lock = lock >= 0 ? fcntl(lock, F_DUPFD, 16) : -1;
    if (kept_procs < 0 || kept_pipe < 0 || (lock >= 0 && kept_lock < 0)) _exit(0);
    int null = open("/dev/null", O_RDWR | O_CLOEXEC);
    for (int i = 0; i < 3; i++) null >= 0 ? dup2(null, i) : close(i);
    if (dup2(kept_procs, 3) < 0 || dup2(kept_pipe, 4) < 0) _exit(0);
    /* The lock, held for as long as this process runs. */
    if (kept_lock >= 0 && dup2(kept_lock, 5) < 0) _exit(0);
    int first_unused = kept_lock >= 0 ? 6 : 5;
    if (syscall(SYS_close_range, first_unused, ~0U, 0) != 0)
      for (int i = first_unused; i < 1024; i++) close(i);
    const long long end = now_ms() + WARM_CAP_MS;
    struct pollfd hup = {.fd = 4, .events = POLLIN};
    while (now_ms() < end && write(3, "0", 1) == 1 && poll(&hup, 1, WARM_INTERVAL_MS) == 0) {
    }
    _exit(0);
  }
  close(procs);
  close(p[0]);
  /* The lock stays the grandchild's alone (one open file, shared by fork). */
  if (lock >= 0) close(lock);
  waitpid(mid, NULL, 0);
  /* Node must inherit the write end. */
  if (fcntl(p[1], F_SETFD, 0) != 0) {
    close(p[1]);
    return WARM_NONE;
  }
  return p[1];
}

int main(int argc, char **argv) {
  /* The fds the caller passed: 3, 4, ... up to the first one not open,
   * counted before this opens anything. --preserve-fds and LISTEN_FDS may
   * pass only these to the container, never one of node's. */
  int fd = 3;
  while (fcntl(fd, F_GETFD) != -1) fd++;
  int inherited_fds = fd - 3;

  /* Node raises its soft RLIMIT_NOFILE to the hard limit at start-up: the
   * container gets the caller's soft limit, recorded here. */
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) != 0) die("cannot read", "RLIMIT_NOFILE", 1);
  if (nofile.rlim_max != RLIM_INFINITY && nofile.rlim_max < NOFILE_MIN) {
    fprintf(stderr, "tsrun: the hard open-file limit (ulimit -Hn) is %llu; tsrun needs at least %d\n",
            (unsigned long long)nofile.rlim_max, NOFILE_MIN);
    return 1;
  }

  char *dist = dist_dir();
  char *node = recorded_node(dist);
  if (!node) fprintf(stderr, "tsrun: %s/node-path names no node (run npm run build:ts); using node from PATH\n", dist);

  const char *word = command_word(argc, argv);
  const char *entry_name = default_entry;
  for (size_t i = 0; word && i < COUNT(entries); i++)
    if (strcmp(word, entries[i].word) == 0) entry_name = entries[i].entry;
  char *entry = concat(dist, "/", entry_name);
  int attaching = 0;
  for (size_t i = 0; word && i < COUNT(attaching_words); i++) attaching |= strcmp(word, attaching_words[i]) == 0;
  /* A build without that entry (a partial build): the whole CLI. */
  if (entry_name != default_entry && access(entry, F_OK) != 0) entry = concat(dist, "/", default_entry);

  /* The environment: the allow-list's, first of each name, then our own. */
  size_t envc = 0;
  for (char **e = environ; *e; e++) envc++;
  char **env = xmalloc((envc + COUNT(env_own) + 1) * sizeof *env);
  size_t n = 0;
  for (char **e = environ; *e; e++) {
    size_t len = env_name_len(*e);
    if (!len || !env_allowed(*e, len)) continue;
    int seen = 0;
    for (size_t i = 0; i < n && !seen; i++) seen = strncmp(env[i], *e, len + 1) == 0;
    if (!seen) env[n++] = *e;
  }
  env[n++] = concat("TSRUN_INHERITED_NOFILE=", rlim_string(nofile.rlim_cur), "");
  char count[16];
  snprintf(count, sizeof count, "%d", inherited_fds);
  env[n++] = concat("TSRUN_INHERITED_FDS=", count, "");
  /* Root only: a rootless caller moves nothing into a v1 hierarchy. */
  int warm_fd = attaching && geteuid() == 0 ? start_early_warm_up() : WARM_NONE;
  if (warm_fd >= 0) {
    char wfd[16];
    snprintf(wfd, sizeof wfd, "%d", warm_fd);
    env[n++] = concat("TSRUN_WARM_FD=", wfd, "");
  } else if (warm_fd == WARM_ELSEWHERE) {
    /* Node starts no thread of its own either (cgroup-warm.ts). */
    env[n++] = "TSRUN_WARM_FD=elsewhere";
  }
  env[n] = NULL;

  /* --preserve-symlinks-main: entry is a real path already (dist/ beside our
   * own real path), and node's resolving it again, a JS lstat of each
   * component, cost every command about 0.3 ms of CPU. A node option, not a
   * V8 flag: the code caches still fit. */
  char **args = xmalloc((argc + 3) * sizeof *args);
  args[0] = node ? node : "node";
  args[1] = "--preserve-symlinks-main";
  args[2] = entry;
  for (int i = 1; i < argc; i++) args[i + 2] = argv[i];
  args[argc + 2] = NULL;

  if (node) {
    execve(node, args, env);
    die("cannot run", node, 127);
  }
  execvpe("node", args, env);
  die("cannot run", "node from PATH", 127);
}
