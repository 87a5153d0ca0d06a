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
  HOOK_FAILED: 22,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** On exec.fifo: a startContainer hook failed, and its outcome follows (kHookFailedByte of native/protocol.h). */
export const HOOK_FAILED_BYTE = 0x68;
