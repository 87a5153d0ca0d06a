// tsrun-init's side of the socket to the parent, and how it reports failure.
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "../protocol.h"
#include "wire.h"

namespace tsrun {
namespace init {

// The socket fd; -1 once closed (after CREATED), when errors go to stderr.
extern int g_sock;
// The fd that came with the last message that carried one (close-on-exec), or -1.
extern int g_received_fd;

// Receives one message; returns its decoded payload (nullptr on EOF, which
// means the parent is gone: the caller exits).
wire::Value *recv_message(uint32_t *type);
// Sends a message whose payload is a map of the given integer fields.
void send_ints(uint32_t type, const char *const *keys, const int64_t *vals, int n);
void send_empty(uint32_t type);
// Sends a message whose payload is already wire-encoded.
void send_bytes(uint32_t type, const uint8_t *payload, size_t len);
// Sends an empty-payload message carrying fd (SCM_RIGHTS).
void send_fd(uint32_t type, int fd);
// Waits for the parent's ACK; exits quietly if the parent went away.
void wait_ack();

// Reports {step, errno, path, message} to the parent (or stderr) and exits 1.
// step names what init was doing ("mount", "pivot_root"), path is the config
// path it was working on ("/mounts/3"), or "" when there is none.
[[noreturn]] void fail(const char *step, int err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
// strerror with a lowercase first letter, as Go (and so runc) words errors:
// engines search error text for "permission denied", "no such file or directory".
const char *errstr(int err);

void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

}  // namespace init
}  // namespace tsrun
