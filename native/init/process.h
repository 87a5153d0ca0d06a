// The user's process: finding args[0], the exec.fifo wait, and the exec.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

struct Exec {
  char path[4096];   // args[0] resolved inside the container
  char **argv;
  char **envp;
  int fifo_fd;       // O_PATH fd of exec.fifo, opened before pivot_root
  const plan::SeccompPlan *seccomp;  // a filter still to load just before exec
};

// A NULL-terminated argv/envp over a list of the plan's strings (no copies).
char **string_array(const plan::List<const char *> &list);
// Before pivot_root: opens exec.fifo by its host path (O_PATH).
void open_fifo(const char *fifo_path, Exec *ex);
// After pivot_root (create) or setns (exec): session, terminal (made
// /dev/console too when bind_console: create), hostname and domainname (create
// plans only have them; nullptr: none), session keyring (nullptr: none).
void setup_container(const plan::ProcessPlan &proc, bool bind_console, const char *hostname, const char *domainname,
                     const char *session_keyring);
// For create and exec: limits, labels, seccomp, capabilities and user, then
// cwd and args[0] looked up in $PATH as the user, as runc does at create
// time, so a bad path fails create, not start.
void setup_process(const plan::ProcessPlan &proc, Exec *ex);
// Create only: exec.fifo must be reachable through /proc/self/fd.
void check_fifo_reachable(const Exec *ex);
// Blocks until `tsrun start` opens exec.fifo for reading; returns the write
// end (close-on-exec), for signal_start or a startContainer hook's error.
int wait_for_start(Exec *ex);
// Tells `start` the process is being exec'd (native/protocol.h, exec.fifo).
void signal_start(int start_fd);
// Restores what node changed, closes our fds and execs. Does not return.
[[noreturn]] void exec_process(const plan::ProcessPlan &proc, Exec *ex);

}  // namespace init
}  // namespace tsrun
