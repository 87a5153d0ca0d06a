// The init protocol shared by the addon (parent side) and tsrun-init (child side).
// Every message is a type and a payload in the wire format described in wire.h,
// sent over a SOCK_SEQPACKET socket as one or more frames (framing.h), so that
// no size of config is too large for it. src/runtime/init-protocol.ts
// mirrors these numbers; test/unit/protocol.test.ts checks that the two agree.
#pragma once

#include <stdint.h>

namespace tsrun {

enum MessageType : uint32_t {
  // parent -> init
  MSG_PLAN = 1,          // the whole plan, sent once, first
  MSG_ACK = 2,           // a sync point is done on the parent's side; go on
  MSG_PIDFD_SOCKET = 3,  // {} + the connected --pidfd-socket (SCM_RIGHTS): right after the plan, when its process has pidfdSocket
  // init -> parent
  MSG_USERNS_READY = 10, // {pid}: write uid_map/gid_map for pid, then ACK
  MSG_CGROUP_READY = 11, // {pid, unifiedByClone}: place pid in the container's cgroup (all but the unified hierarchy when
                         // unifiedByClone: its child is cloned into that one with clone3), then ACK
  MSG_CHILD_PID = 12,    // {pid}: the container's init (exec: the new process, which then waits for ACK), as the host sees it
  MSG_HOOKS_READY = 13,  // {pid}: mounts done, before pivot_root (pid: init's, as the container sees it):
                         // run prestart/createRuntime hooks, then ACK {createContainerState,
                         // startContainerState}: the state JSON init's own hooks get on stdin
                         // (each only when there are such hooks)
  MSG_CREATED = 14,      // about to wait on exec.fifo: record the state, then ACK
  MSG_SECCOMP_LISTENER = 15, // {} + a seccomp notify fd (SCM_RIGHTS): hand it to listenerPath, then ACK
  MSG_ERROR = 20,        // {step, errno, path, message}: init failed and exits
  MSG_WARNING = 21,      // {message}: logged by the parent, init goes on
  MSG_HOOK_FAILED = 22,  // a createContainer hook failed (its outcome, see hooks.cc): init exits
};

// exec.fifo, once the socket is closed: `tsrun start` opens it for reading;
// init, whose open for writing then returns, runs the startContainer hooks and
// writes kStartedByte, keeping the fd (close-on-exec) until its execve, so
// `start` reads EOF only once the process runs. If a hook fails, init writes
// kHookFailedByte and the hook's outcome (a wire map, as MSG_HOOK_FAILED
// carries) instead, and exits. The words for it are all TS's (hooks.ts).
constexpr char kStartedByte = '0';
constexpr char kHookFailedByte = 'h';

// The environment variable that tells tsrun-init which fd is its socket.
constexpr const char *kInitSocketEnv = "_TSRUN_INIT_SOCKET";

}  // namespace tsrun
