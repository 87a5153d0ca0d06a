#include "channel.h"

#include "../framing.h"

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
  if (send_message(g_sock, type, payload, len, fd) < 0) _exit(1);  // the parent is gone; nobody is left to tell
}

}  // namespace

wire::Value *recv_message(uint32_t *type) {
  ReceivedMessage m;
  int rc = tsrun::recv_message(g_sock, &m);
  if (rc == 0) return nullptr;
  if (rc < 0) fail("recv", errno, "", "cannot receive a message from the parent: %s", errstr(errno));
  if (m.fd >= 0) g_received_fd = m.fd;
  *type = m.type;
  // The tree copies what it keeps; the payload's pages go back at once.
  wire::Value *v = wire::decode(m.payload, m.len);
  release_message(&m);
  if (!v) fail("recv", EPROTO, "", "malformed message of type %u from the parent", *type);
  return v;
}

void send_ints(uint32_t type, const char *const *keys, const int64_t *vals, int n) {
  uint8_t buf[512];
  wire::Writer w(buf, sizeof buf);
  w.map(n);
  for (int i = 0; i < n; i++) { w.key(keys[i]); w.i64(vals[i]); }
  send_raw(type, buf, w.len);
}

void send_empty(uint32_t type) { send_ints(type, nullptr, nullptr, 0); }

void send_bytes(uint32_t type, const uint8_t *payload, size_t len) { send_raw(type, payload, len); }

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
