#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../protocol.h"
#include "channel.h"
#include "process.h"

namespace tsrun {
namespace init {
namespace {

// Of each stream, what fits in an error message (fail() formats 1 KB).
constexpr size_t kOutputLimit = kHookOutputLimit;

bool write_all(int fd, const char *s, size_t len) {
  while (len > 0) {
    ssize_t w = write(fd, s, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    s += w;
    len -= static_cast<size_t>(w);
  }
  return true;
}

// fd onto target for the exec: dup2 leaves an fd already in place close-on-exec.
void place_fd(int fd, int target) {
  if (fd == target) fcntl(fd, F_SETFD, 0);
  else dup2(fd, target);
}

// In the forked child: a clean slate for the hook, then execve. Reports a
// failed chdir or execve as an errno on report_fd. Never returns.
[[noreturn]] void exec_hook(const char *path, char **argv, char **envp, const char *cwd, int in, int out, int err,
                            int report_fd) {
  // Default dispositions, nothing blocked: ours (and node's ignored ones) are
  // not the hook's. Raw syscall, as glibc refuses signals 32 and 33.
  struct {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
  } dfl = {};
  for (int sig = 1; sig <= 64; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
  place_fd(in, 0);
  place_fd(out, 1);
  place_fd(err, 2);
  // Only stdio reaches the hook: not our socket, exec.fifo or --preserve-fds.
  if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = 3; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
  int e = 0;
  if (cwd && chdir(cwd) < 0) e = errno;
  if (!e) {
    execve(path, argv, envp);
    e = errno;
  }
  ssize_t ignored = write(report_fd, &e, sizeof e);
  (void)ignored;
  _exit(127);
}

int64_t now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Waits for pid until timeout_s (0: no limit); returns false if it ran past
// it. A pidfd lets poll sleep until exit; without one (an old kernel, or a
// seccomp filter that refuses pidfd_open) we look every 10 ms. If the
// parent hangs up meanwhile (create was killed), the hook is killed and we go.
bool wait_until(pid_t pid, int64_t timeout_s) {
  int64_t deadline = timeout_s > 0 ? now_ms() + timeout_s * 1000 : -1;
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  bool exited = false;
  while (!exited) {
    int64_t left = deadline < 0 ? -1 : deadline - now_ms();
    if (deadline >= 0 && left <= 0) break;
    if (pidfd >= 0) {
      struct pollfd p[2] = {{pidfd, POLLIN, 0}, {g_sock, POLLRDHUP, 0}};
      int r = poll(p, g_sock >= 0 ? 2 : 1, static_cast<int>(left > INT32_MAX ? INT32_MAX : left));
      if (r > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR))) {
        kill(pid, SIGKILL);
        _exit(1);
      }
      if (r > 0) exited = true;
      else if (r < 0 && errno != EINTR) break;
    } else {
      siginfo_t si = {};
      if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid == pid) {
        exited = true;
      } else {
        struct timespec ten_ms = {0, 10 * 1000 * 1000};
        nanosleep(&ten_ms, nullptr);
      }
    }
  }
  if (pidfd >= 0) close(pidfd);
  return exited;
}

// A bounded, escaped excerpt of what the hook wrote to fd, for one error
// line: at most kOutputLimit bytes, control bytes and NUL as \xNN, then
// "... (N more bytes)" if cut; trailing whitespace goes when all of it fits.
// outputExcerpt in src/runtime/hooks.ts does exactly the same.
void read_output(int fd, char *out, size_t out_len) {
  unsigned char head[kOutputLimit];
  ssize_t n = pread(fd, head, sizeof head, 0);
  if (n < 0) n = 0;
  struct stat st;
  int64_t total = fstat(fd, &st) == 0 ? st.st_size : n;
  if (n >= total) {
    while (n > 0 && (head[n - 1] == '\n' || head[n - 1] == ' ' || head[n - 1] == '\r' || head[n - 1] == '\t')) n--;
    total = n;
  }
  size_t len = 0;
  int64_t used = 0;
  for (; used < n; used++) {
    unsigned char c = head[used];
    char piece[5];
    if (c == '\t') snprintf(piece, sizeof piece, "\\t");
    else if (c == '\n') snprintf(piece, sizeof piece, "\\n");
    else if (c == '\r') snprintf(piece, sizeof piece, "\\r");
    else if (c == '\\') snprintf(piece, sizeof piece, "\\\\");
    else if (c < 0x20 || c == 0x7f) snprintf(piece, sizeof piece, "\\x%02x", c);
    else piece[0] = static_cast<char>(c), piece[1] = 0;
    size_t plen = strlen(piece);
    if (len + plen > kOutputLimit) break;
    memcpy(out + len, piece, plen);
    len += plen;
  }
  out[len] = 0;
  if (used < total) snprintf(out + len, out_len - len, "... (%lld more bytes)", static_cast<long long>(total - used));
}

// Runs one hook; on failure fills why ("hook /x exited with status 3, ...",
// as src/runtime/hooks.ts words it) and returns false.
// after_pivot: a startContainer hook, looked up inside the container as the process's user.
bool run_hook(const plan::InitHookPlan &hook, const char *state, const char *cwd, bool after_pivot, char *why, size_t why_len) {
  const char *path = hook.path;
  // memfds, not pipes: the state need not fit a pipe buffer, and a daemon
  // the hook leaves behind cannot keep us waiting for EOF.
  int in = memfd_create("hook-state", MFD_CLOEXEC);
  int out = memfd_create("hook-stdout", MFD_CLOEXEC);
  int err = memfd_create("hook-stderr", MFD_CLOEXEC);
  int report[2] = {-1, -1};
  bool ready = in >= 0 && out >= 0 && err >= 0 && pipe2(report, O_CLOEXEC) == 0 &&
               write_all(in, state, strlen(state)) && lseek(in, 0, SEEK_SET) == 0;
  pid_t pid = -1;
  if (ready) {
    char **argv = string_array(hook.args);
    char **envp = string_array(hook.env);
    pid = fork();
    if (pid == 0) exec_hook(path, argv, envp, cwd, in, out, err, report[1]);
    free(argv);
    free(envp);
  }
  int setup_err = errno;
  if (report[1] >= 0) close(report[1]);
  bool ok = false;
  if (pid < 0) {
    snprintf(why, why_len, "cannot start hook %s: %s", path, errstr(setup_err));
  } else {
    int64_t timeout = hook.timeout;
    bool in_time = wait_until(pid, timeout);
    if (!in_time) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int exec_errno = 0;
    ssize_t got;
    do got = read(report[0], &exec_errno, sizeof exec_errno); while (got < 0 && errno == EINTR);
    char sout[kOutputLimit + 48], serr[kOutputLimit + 48];
    read_output(out, sout, sizeof sout);
    read_output(err, serr, sizeof serr);
    char reason[224];
    if (got == static_cast<ssize_t>(sizeof exec_errno) && (exec_errno == EACCES || exec_errno == EPERM) && after_pivot) {
      // A startContainer hook is looked up in the container, after pivot_root,
      // as the process's user (runc's are too): say so, or a host path that
      // "exists" looks like a permission problem of the hook file itself.
      snprintf(reason, sizeof reason,
               "could not be executed: %s (startContainer hooks run inside the container as uid %u gid %u: "
               "the path and every directory above it must be reachable there by that user)",
               errstr(exec_errno), getuid(), getgid());
    } else if (got == static_cast<ssize_t>(sizeof exec_errno)) {
      snprintf(reason, sizeof reason, "could not be executed: %s", errstr(exec_errno));
    } else if (!in_time) {
      snprintf(reason, sizeof reason, "did not finish within its timeout of %llds and was killed",
               static_cast<long long>(timeout));
    } else if (WIFSIGNALED(status)) {
      snprintf(reason, sizeof reason, "was killed by signal SIG%s", sigabbrev_np(WTERMSIG(status)) ?: "?");
    } else if (WEXITSTATUS(status) != 0) {
      snprintf(reason, sizeof reason, "exited with status %d", WEXITSTATUS(status));
    } else {
      ok = true;
    }
    if (!ok)
      snprintf(why, why_len, "hook %s %s%s%s%s%s", path, reason, *sout ? ", stdout: " : "", sout,
               *serr ? ", stderr: " : "", serr);
  }
  const int fds[] = {in, out, err, report[0]};
  for (int fd : fds)
    if (fd >= 0) close(fd);
  return ok;
}

}  // namespace

HookStates sync_hooks() {
  static const char *const keys[] = {"pid"};
  const int64_t vals[] = {getpid()};
  send_ints(MSG_HOOKS_READY, keys, vals, 1);
  uint32_t type = 0;
  wire::Value *ack = recv_message(&type);
  if (!ack) _exit(1);  // the parent died or gave up: it cleans up
  if (type != MSG_ACK) fail("sync", EPROTO, "", "expected ACK from the parent, got message %u", type);
  // Kept until the hooks have run: the strings live in it.
  return {ack, wire::get_str(ack, "createContainerState"), wire::get_str(ack, "startContainerState")};
}

void run_create_container_hooks(const plan::List<plan::InitHookPlan> &hooks, const char *rootfs, HookStates &states) {
  for (const plan::InitHookPlan &hook : hooks) {
    const char *cfg = hook.config_path;
    if (!states.create_container) fail("hooks", EPROTO, cfg, "the parent sent no state for the createContainer hooks");
    char why[900];
    if (!run_hook(hook, states.create_container, rootfs, false, why, sizeof why)) fail("hooks", 0, cfg, "%s", why);
  }
  states.create_container = nullptr;
  wire::release(states.ack, "createContainerState");
}

void run_start_container_hooks(const plan::List<plan::InitHookPlan> &hooks, const HookStates &states, int start_fd) {
  for (const plan::InitHookPlan &hook : hooks) {
    const char *cfg = hook.config_path;
    char why[900];
    bool ok = states.start_container != nullptr;
    if (!ok) snprintf(why, sizeof why, "the parent sent no state for the startContainer hooks");
    else ok = run_hook(hook, states.start_container, nullptr, true, why, sizeof why);
    if (!ok) {
      // `start` reads this from exec.fifo and exits non-zero with it.
      char msg[1024];
      int n = snprintf(msg, sizeof msg, "config.json: %s: %s", cfg, why);
      write_all(start_fd, msg, static_cast<size_t>(n < static_cast<int>(sizeof msg) ? n : sizeof msg - 1));
      _exit(1);
    }
  }
}

}  // namespace init
}  // namespace tsrun
