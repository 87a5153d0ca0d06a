// The hooks that run in the container's namespaces (config.md: createContainer
// and startContainer): init forks and execs each one, its state JSON on
// stdin, bounded by its timeout. prestart, createRuntime, poststart and
// poststop run in the runtime namespace, from node (src/runtime/hooks.ts).
#pragma once

#include "plan.h"
#include "wire.h"

namespace tsrun {
namespace init {

// The state JSON for the container's hooks, from the parent's HOOKS_READY ACK
// (the parent sends a state only when there are hooks for it). The strings
// live in ack, which run_create_container_hooks trims once they have run.
struct HookStates {
  const wire::Value *ack = nullptr;
  const char *create_container = nullptr;
  const char *start_container = nullptr;
};

// Sends HOOKS_READY {pid, as the container sees it} and waits while the parent
// runs prestart and createRuntime; returns the states its ACK carries.
HookStates sync_hooks();

// Runs the plan's createContainer hooks in order, before pivot_root, from the
// rootfs directory as runc does. The first failure fails create. Then their
// state is freed: with big annotations it is large.
// A failure goes to the parent as MSG_HOOK_FAILED (the outcome as data) and init exits.
void run_create_container_hooks(const plan::InitHooksPlan &hooks, const char *rootfs, HookStates &states);

// Runs the plan's startContainer hooks in order, after `start`, before the exec.
// The first failure is written to start_fd (kHookFailedByte and the outcome),
// for `tsrun start` to report, and init exits: the user's process never runs.
void run_start_container_hooks(const plan::InitHooksPlan &hooks, const HookStates &states, int start_fd);

}  // namespace init
}  // namespace tsrun
