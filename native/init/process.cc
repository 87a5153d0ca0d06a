#include "process.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "channel.h"
#include "console.h"
#include "mempolicy.h"
#include "home.h"
#include "identity.h"
#include "limits.h"
#include "lsm.h"
#include "paths.h"
#include "sched.h"
#include "seccomp.h"

namespace tsrun {
namespace init {
namespace {

// 0 if path is a regular file we may execute, else an errno.
int check_executable(const char *path) {
  struct stat st;
  if (stat(path, &st) < 0) return errno;
  if (S_ISDIR(st.st_mode)) return EACCES;
  if (access(path, X_OK) < 0) return errno;
  return 0;
}

void resolve_args0(const char *arg0, char **envp, Exec *ex) {
  if (strchr(arg0, '/')) {
    int err = check_executable(arg0);
    if (err == ENOENT || err == ENOTDIR)
      fail("exec", err, "/process/args/0", "exec: \"%s\": stat %s: %s", arg0, arg0, errstr(err));
    if (err) fail("exec", err, "/process/args/0", "exec: \"%s\": %s", arg0, errstr(err));
    snprintf(ex->path, sizeof ex->path, "%s", arg0);
    return;
  }
  const char *path = nullptr;
  for (char **e = envp; *e; e++)
    if (strncmp(*e, "PATH=", 5) == 0) path = *e + 5;
  int first_err = 0;
  // An empty PATH entry means the current directory, as execvp treats it.
  for (const char *p = path; p;) {
    const char *colon = strchr(p, ':');
    size_t dlen = colon ? static_cast<size_t>(colon - p) : strlen(p);
    snprintf(ex->path, sizeof ex->path, "%.*s%s%s", static_cast<int>(dlen), dlen ? p : ".", "/", arg0);
    int err = check_executable(ex->path);
    if (!err) return;
    if (err != ENOENT && err != ENOTDIR && !first_err) first_err = err;
    p = colon ? colon + 1 : nullptr;
  }
  if (first_err) fail("exec", first_err, "/process/args/0", "exec: \"%s\": %s", arg0, errstr(first_err));
  fail("exec", ENOENT, "/process/args/0", "exec: \"%s\": executable file not found in $PATH", arg0);
}

// Every disposition back to default, through the raw syscall: glibc's
// sigaction refuses 32 and 33, which node's process may have left ignored.
void reset_signals() {
  struct {
    void *handler;
    unsigned long flags;
    void *restorer;
    uint64_t mask;
  } dfl = {};  // SIG_DFL is 0
  for (int sig = 1; sig <= 64; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) syscall(SYS_rt_sigaction, sig, &dfl, nullptr, sizeof dfl.mask);
  uint64_t none = 0;
  syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, nullptr, sizeof none);
}

// A NOTIFY listener fd goes to the parent, which hands it to listenerPath.
void load_seccomp_and_hand_off(const plan::SeccompPlan &seccomp) {
  int listener = load_seccomp(seccomp);
  if (listener < 0) return;
  send_fd(MSG_SECCOMP_LISTENER, listener);
  wait_ack();
  close(listener);
}

// The kernel's refusal of execve(E2BIG), worded with the config path: one
// string above MAX_ARG_STRLEN, or all of them above its total (a quarter of
// RLIMIT_STACK, at least 128 KiB).
[[noreturn]] void fail_too_big(const Exec *ex) {
  const size_t kMaxArgStrlen = 32 * 4096;  // MAX_ARG_STRLEN, NUL included
  size_t total = 0;
  const char *const kinds[] = {"args", "env"};
  char **const lists[] = {ex->argv, ex->envp};
  for (int k = 0; k < 2; k++)
    for (size_t i = 0; lists[k][i]; i++) {
      size_t len = strlen(lists[k][i]) + 1;
      total += len + sizeof(char *);
      if (len <= kMaxArgStrlen) continue;
      char cfg[48];
      snprintf(cfg, sizeof cfg, "/process/%s/%zu", kinds[k], i);
      fail("exec", E2BIG, cfg,
           "exec %s: argument list too long: this %s string is %zu bytes, and the kernel takes at most %zu bytes "
           "(MAX_ARG_STRLEN) per argument or environment string; shorten it",
           ex->path, kinds[k], len - 1, kMaxArgStrlen - 1);
    }
  fail("exec", E2BIG, "/process/args",
       "exec %s: argument list too long: /process/args and /process/env take %zu bytes together, above what the "
       "kernel allows (a quarter of the stack rlimit, at least 128 KiB); make them smaller",
       ex->path, total);
}

}  // namespace

char **string_array(const plan::List<const char *> &list) {
  char **out = static_cast<char **>(calloc(list.count + 1, sizeof(char *)));
  if (!out) fail("alloc", ENOMEM, "", "out of memory");
  for (uint32_t i = 0; i < list.count; i++) out[i] = const_cast<char *>(list[i]);
  return out;
}

void open_fifo(const char *fifo, Exec *ex) {
  ex->fifo_fd = open(fifo, O_PATH | O_CLOEXEC);
  if (ex->fifo_fd < 0) fail("open", errno, "", "cannot open exec.fifo %s: %s", fifo, errstr(errno));
}

void setup_container(const plan::ProcessPlan &proc, bool bind_console, const char *hostname, const char *domainname,
                     const char *keyring) {
  // A session of its own, as runc gives it: the container's init leads its
  // session and process group, and no terminal of the caller's is its own.
  if (setsid() < 0) fail("setsid", errno, "", "%s", errstr(errno));
  // The terminal, made now that we lead a session; only the container's init
  // (create) gets it as /dev/console too.
  setup_terminal(proc, g_received_fd, bind_console);
  if (hostname && sethostname(hostname, strlen(hostname)) < 0)
    fail("sethostname", errno, "/hostname", "cannot set hostname %s: %s", hostname, errstr(errno));
  if (domainname && setdomainname(domainname, strlen(domainname)) < 0)
    fail("setdomainname", errno, "/domainname", "cannot set domainname %s: %s", domainname, errstr(errno));

  // A session keyring of its own, so the container cannot read the host's keys.
  if (keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, keyring) < 0 && errno != ENOSYS &&
      errno != EDQUOT)
    fail("keyctl", errno, "", "cannot join a new session keyring: %s", errstr(errno));
}

void setup_process(const plan::ProcessPlan &proc, Exec *ex) {
  // libcontainer's order: limits and labels while we are still root with
  // every capability, then no_new_privs, the bounding set, the uid change
  // and the final capability sets; cwd and args[0] are checked as the user.
  // The rlimits themselves bind only at exec (exec_process).
  raise_hard_rlimits(proc);
  apply_scheduler(proc);
  apply_memory_policy(proc);
  apply_io_priority(proc);
  set_exec_labels(proc);
  // HOME from the container's /etc/passwd: read while we are still root, and
  // before a seccomp filter might refuse the open.
  ex->envp = with_home(string_array(proc.env), static_cast<uid_t>(proc.uid));
  if (proc.no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    fail("prctl", errno, "/process/noNewPrivileges", "cannot set no_new_privs: %s", errstr(errno));
  ex->seccomp = proc.seccomp;
  // Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: load it now.
  // A listener fd must reach the parent while the socket is open: also now.
  if (ex->seccomp && (!proc.no_new_privileges || ex->seccomp->notify)) {
    load_seccomp_and_hand_off(*ex->seccomp);
    ex->seccomp = nullptr;
  }
  drop_bounding_set(proc);
  become_user(proc);
  // A uid change resets dumpable (to fs.suid_dumpable): stay non-dumpable, so
  // no container process can reach our fds or exe (the CVE-2019-5736 class).
  prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

  enter_cwd(proc.cwd);
  ex->argv = string_array(proc.args);
  if (!ex->argv[0]) fail("exec", EINVAL, "/process/args", "args is empty");
  resolve_args0(ex->argv[0], ex->envp, ex);
}

void check_fifo_reachable(const Exec *ex) {
  // exec.fifo is reopened through /proc/self/fd: check now that it will work.
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", ex->fifo_fd);
  if (access(p, F_OK) < 0)
    fail("exec.fifo", errno, "/mounts", "cannot reach exec.fifo through %s (the container needs /proc mounted): %s", p,
         errstr(errno));
}

int wait_for_start(Exec *ex) {
  // As PID 1 of its namespace, init would drop every signal it has no handler
  // for. runc's init (Go) exits on these while it waits; so do we, so that
  // `kill <id> TERM` of a created container stops it as it does with runc.
  struct sigaction sa = {};
  sa.sa_handler = [](int sig) { _exit(128 + sig); };
  static const int kExitOn[] = {SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGTERM};
  for (int sig : kExitOn) sigaction(sig, &sa, nullptr);
  char p[64];
  snprintf(p, sizeof p, "/proc/self/fd/%d", ex->fifo_fd);
  int fd;
  do fd = open(p, O_WRONLY | O_CLOEXEC); while (fd < 0 && errno == EINTR);
  if (fd < 0) fail("exec.fifo", errno, "", "cannot open exec.fifo: %s", errstr(errno));
  close(ex->fifo_fd);
  return fd;
}

void signal_start(int start_fd) {
  // The fd stays open (close-on-exec): `start` sees EOF once we have exec'd.
  ssize_t w;
  do w = write(start_fd, &kStartedByte, 1); while (w < 0 && errno == EINTR);
  if (w != 1) fail("exec.fifo", errno, "", "cannot signal start: %s", errstr(errno));
}

void exec_process(const plan::ProcessPlan &proc, Exec *ex) {
  apply_cpu_affinity(proc.cpu_affinity_final, "/process/execCPUAffinity/final");
  if (proc.personality.present && personality(static_cast<unsigned long>(proc.personality.value)) < 0)
    fail("personality", errno, "/linux/personality", "cannot set the personality: %s", errstr(errno));
  // libuv may have set O_NONBLOCK on the stdio it touched; the process expects blocking fds.
  for (int fd = 0; fd < 3; fd++) {
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }
  // Nothing of ours beyond stdio and --preserve-fds may reach the process.
  unsigned int first = 3 + static_cast<unsigned int>(proc.preserve_fds);
  if (syscall(SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = first; fd < 65536; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);

  reset_signals();
  umask(static_cast<mode_t>(proc.umask));
  // Now that nothing of ours needs a new fd, a process, or memory: a limit as
  // small as RLIMIT_NOFILE 3 binds the user's process and not our setup. Before
  // the filter, which may not allow prlimit64.
  apply_rlimits(proc);
  // With no_new_privs the filter goes on last, so it need not allow our own setup.
  if (ex->seccomp) load_seccomp_and_hand_off(*ex->seccomp);
  execve(ex->path, ex->argv, ex->envp);
  if (errno == E2BIG) fail_too_big(ex);
  fail("exec", errno, "/process/args/0", "exec %s: %s", ex->path, errstr(errno));
}

}  // namespace init
}  // namespace tsrun
