#include "channel.h"

#include "../scm_rights.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tsrun {
namespace init {

int g_sock = -1;
int g_received_fd = -1;

namespace {

void send_raw(uint32_t type, const uint8_t *payload, size_t len, int fd = -1) {
  if (g_sock < 0) return;
  uint8_t hdr[4] = {uint8_t(type), uint8_t(type >> 8), uint8_t(type >> 16), uint8_t(type >> 24)};
  struct iovec iov[2] = {{hdr, 4}, {const_cast<uint8_t *>(payload), len}};
  if (send_with_fd(g_sock, iov, 2, fd) < 0) _exit(1);  // the parent is gone; nobody is left to tell
}

}  // namespace

wire::Value *recv_message(uint32_t *type) {
  for (;;) {
    // Peek with MSG_TRUNC for the datagram's full size, then read it whole.
    ssize_t size = recv(g_sock, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (size < 0 && errno == EINTR) continue;
    if (size <= 0) return nullptr;
    uint8_t *buf = static_cast<uint8_t *>(malloc(size));
    if (!buf) fail("recv", ENOMEM, "", "cannot allocate %zd bytes for a message", size);
    struct iovec iov = {buf, static_cast<size_t>(size)};
    int fd;
    ssize_t got = recv_with_fd(g_sock, &iov, 1, &fd);
    if (fd >= 0) g_received_fd = fd;
    if (got != size || got < 4) {
      free(buf);
      return nullptr;
    }
    *type = buf[0] | (buf[1] << 8) | (buf[2] << 16) | (static_cast<uint32_t>(buf[3]) << 24);
    wire::Value *v = wire::decode(buf + 4, got - 4);
    free(buf);
    if (!v) fail("recv", EPROTO, "", "malformed message of type %u from the parent", *type);
    return v;
  }
}

void send_ints(uint32_t type, const char *const *keys, const int64_t *vals, int n) {
  uint8_t buf[512];
  wire::Writer w(buf, sizeof buf);
  w.map(n);
  for (int i = 0; i < n; i++) { w.key(keys[i]); w.i64(vals[i]); }
  send_raw(type, buf, w.len);
}

void send_empty(uint32_t type) { send_ints(type, nullptr, nullptr, 0); }

void send_fd(uint32_t type, int fd) {
  uint8_t buf[8];
  wire::Writer w(buf, sizeof buf);
  w.map(0);
  send_raw(type, buf, w.len, fd);
}

void wait_ack() {
  uint32_t type = 0;
  wire::Value *v = recv_message(&type);
  if (!v) _exit(1);  // the parent died or gave up: it cleans up, we just go
  wire::free_value(v);
  if (type != MSG_ACK) fail("sync", EPROTO, "", "expected ACK from the parent, got message %u", type);
}

void fail(const char *step, int err, const char *path, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (g_sock >= 0) {
    uint8_t buf[2048];
    wire::Writer w(buf, sizeof buf);
    w.map(4);
    w.key("step"); w.str(step);
    w.key("errno"); w.i64(err);
    w.key("path"); w.str(path ? path : "");
    w.key("message"); w.str(msg);
    send_raw(MSG_ERROR, buf, w.len);
  } else {
    dprintf(2, "tsrun: %s%s%s: %s\n", path && *path ? path : "", path && *path ? ": " : "", step, msg);
  }
  _exit(1);
}

const char *errstr(int err) {
  static char buf[128];
  snprintf(buf, sizeof buf, "%s", strerror(err));
  if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' && buf[1] <= 'Z')) buf[0] = buf[0] - 'A' + 'a';
  return buf;
}

void warn(const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (g_sock < 0) return;
  uint8_t buf[1200];
  wire::Writer w(buf, sizeof buf);
  w.map(1);
  w.key("message"); w.str(msg);
  send_raw(MSG_WARNING, buf, w.len);
}

}  // namespace init
}  // namespace tsrun
