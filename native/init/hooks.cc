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

// How one hook ended, as data: the parent words it (src/runtime/hooks.ts), so
// the hooks init runs and those node runs fail in the same words.
struct Outcome {
  bool ok = false;
  int setup_errno = 0;  // it could not be started (memfd, pipe, fork)
  int exec_errno = 0;   // chdir or execve failed in the child
  bool timed_out = false;
  int signal = 0;       // what killed it, or 0
  int status = 0;       // its exit status
};

// The outcome as a wire map (MSG_HOOK_FAILED's payload; after kHookFailedByte
// on exec.fifo): the hook, how it ended, and the first output_limit bytes of
// its stdout and stderr with their whole lengths. malloc'd; *len its size.
uint8_t *encode_outcome(const plan::InitHookPlan &hook, const Outcome &o, bool after_pivot, int64_t output_limit, int out,
                        int err, size_t *len) {
  size_t limit = output_limit > 0 ? static_cast<size_t>(output_limit) : 0;
  size_t cap = 2 * limit + strlen(hook.path) + strlen(hook.config_path) + 512;
  uint8_t *buf = static_cast<uint8_t *>(malloc(cap));
  uint8_t *head = static_cast<uint8_t *>(malloc(limit ? limit : 1));
  if (!buf || !head) fail("hooks", ENOMEM, hook.config_path, "out of memory");
  wire::Writer w(buf, cap);
  w.map(15);
  w.key("configPath"), w.str(hook.config_path);
  w.key("path"), w.str(hook.path);
  w.key("setupErrno"), w.i64(o.setup_errno);
  w.key("execErrno"), w.i64(o.exec_errno);
  w.key("timedOut"), w.i64(o.timed_out);
  w.key("timeout"), w.i64(hook.timeout);
  w.key("signal"), w.i64(o.signal);
  w.key("status"), w.i64(o.status);
  // A startContainer hook is looked up inside the container as the process's user.
  w.key("afterPivot"), w.i64(after_pivot);
  w.key("uid"), w.i64(getuid());
  w.key("gid"), w.i64(getgid());
  const char *const names[] = {"stdout", "stderr"};
  const int fds[] = {out, err};
  for (int i = 0; i < 2; i++) {
    ssize_t n = fds[i] >= 0 ? pread(fds[i], head, limit, 0) : 0;
    if (n < 0) n = 0;
    struct stat st;
    int64_t total = fds[i] >= 0 && fstat(fds[i], &st) == 0 ? st.st_size : n;
    char total_key[16];
    snprintf(total_key, sizeof total_key, "%sTotal", names[i]);
    w.key(names[i]), w.bytes(head, static_cast<uint32_t>(n));
    w.key(total_key), w.i64(total);
  }
  free(head);
  if (w.failed) fail("hooks", ENOBUFS, hook.config_path, "cannot encode the hook's outcome");
  *len = w.len;
  return buf;
}

// Runs one hook and says how it ended (out and err: memfds its stdout and
// stderr went to, left open for encode_outcome; -1 if not made).
Outcome run_hook(const plan::InitHookPlan &hook, const char *state, const char *cwd, int *out_fd, int *err_fd) {
  Outcome o;
  // memfds, not pipes: the state need not fit a pipe buffer, and a daemon
  // the hook leaves behind cannot keep us waiting for EOF.
  int in = memfd_create("hook-state", MFD_CLOEXEC);
  int out = *out_fd = memfd_create("hook-stdout", MFD_CLOEXEC);
  int err = *err_fd = memfd_create("hook-stderr", MFD_CLOEXEC);
  int report[2] = {-1, -1};
  bool ready = in >= 0 && out >= 0 && err >= 0 && pipe2(report, O_CLOEXEC) == 0 &&
               write_all(in, state, strlen(state)) && lseek(in, 0, SEEK_SET) == 0;
  pid_t pid = -1;
  if (ready) {
    char **argv = string_array(hook.args);
    char **envp = string_array(hook.env);
    pid = fork();
    if (pid == 0) exec_hook(hook.path, argv, envp, cwd, in, out, err, report[1]);
    free(argv);
    free(envp);
  }
  int setup_err = errno;
  if (report[1] >= 0) close(report[1]);
  if (pid < 0) {
    o.setup_errno = setup_err ? setup_err : EIO;
  } else {
    bool in_time = wait_until(pid, hook.timeout);
    if (!in_time) kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    int exec_errno = 0;
    ssize_t got;
    do got = read(report[0], &exec_errno, sizeof exec_errno); while (got < 0 && errno == EINTR);
    if (got == static_cast<ssize_t>(sizeof exec_errno)) o.exec_errno = exec_errno;
    else if (!in_time) o.timed_out = true;
    else if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    else if (WEXITSTATUS(status) != 0) o.status = WEXITSTATUS(status);
    else o.ok = true;
  }
  const int fds[] = {in, report[0]};
  for (int fd : fds)
    if (fd >= 0) close(fd);
  return o;
}

void close_outputs(int out, int err) {
  if (out >= 0) close(out);
  if (err >= 0) close(err);
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

void run_create_container_hooks(const plan::InitHooksPlan &hooks, const char *rootfs, HookStates &states) {
  for (const plan::InitHookPlan &hook : hooks.create_container) {
    const char *cfg = hook.config_path;
    if (!states.create_container) fail("hooks", EPROTO, cfg, "the parent sent no state for the createContainer hooks");
    int out = -1, err = -1;
    Outcome o = run_hook(hook, states.create_container, rootfs, &out, &err);
    if (!o.ok) {
      size_t len = 0;
      uint8_t *payload = encode_outcome(hook, o, false, hooks.output_limit, out, err, &len);
      send_bytes(MSG_HOOK_FAILED, payload, len);
      _exit(1);
    }
    close_outputs(out, err);
  }
  states.create_container = nullptr;
  wire::release(states.ack, "createContainerState");
}

void run_start_container_hooks(const plan::InitHooksPlan &hooks, const HookStates &states, int start_fd) {
  for (const plan::InitHookPlan &hook : hooks.start_container) {
    if (!states.start_container) {
      // Not a hook's outcome but a broken exchange with the parent: `start` reports the text.
      char msg[512];
      int n = snprintf(msg, sizeof msg, "config.json: %s: the parent sent no state for the startContainer hooks", hook.config_path);
      write_all(start_fd, msg, static_cast<size_t>(n < static_cast<int>(sizeof msg) ? n : sizeof msg - 1));
      _exit(1);
    }
    int out = -1, err = -1;
    Outcome o = run_hook(hook, states.start_container, nullptr, &out, &err);
    if (!o.ok) {
      // `start` reads this from exec.fifo, words it and exits non-zero.
      size_t len = 0;
      uint8_t *payload = encode_outcome(hook, o, true, hooks.output_limit, out, err, &len);
      write_all(start_fd, &kHookFailedByte, 1);
      write_all(start_fd, reinterpret_cast<const char *>(payload), len);
      _exit(1);
    }
    close_outputs(out, err);
  }
}

}  // namespace init
}  // namespace tsrun
