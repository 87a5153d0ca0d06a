// Message numbers of the init protocol; native/protocol.h is the other half
// and test/unit/protocol.test.ts keeps the two in step.
export const MessageType = {
  PLAN: 1,
  ACK: 2,
  PIDFD_SOCKET: 3,
  USERNS_READY: 10,
  CGROUP_READY: 11,
  CHILD_PID: 12,
  HOOKS_READY: 13,
  CREATED: 14,
  SECCOMP_LISTENER: 15,
  ERROR: 20,
  WARNING: 21,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** kHookOutputLimit of native/protocol.h: how much of a failed hook's stdout and stderr its error message quotes. */
export const HOOK_OUTPUT_LIMIT = 256;
