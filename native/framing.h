// How one init-protocol message crosses the SOCK_SEQPACKET socket whatever its
// size. A datagram may not exceed the socket's send buffer (~208 KB by
// default: a plan with 2,000 mounts is larger), so a message goes as one or
// more frames, in order, each one datagram:
//   u32 type | u32 length of the whole payload | the next chunk of the payload
// (little-endian). The receiver allocates the length once and fills it; every
// frame must repeat the type and length and fit what is still missing. An fd
// (SCM_RIGHTS) may come with the first frame only. Header-only and
// exception-free, so the addon and tsrun-init share it.
#pragma once

#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "scm_rights.h"

namespace tsrun {

constexpr size_t kFrameHeader = 8;

inline void put_le32(uint8_t *p, uint32_t v) {
  p[0] = uint8_t(v), p[1] = uint8_t(v >> 8), p[2] = uint8_t(v >> 16), p[3] = uint8_t(v >> 24);
}
inline uint32_t get_le32(const uint8_t *p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (uint32_t(p[3]) << 24); }

// Payload bytes per frame: at most 64 KB, and well inside the send buffer
// (the kernel refuses a datagram above SO_SNDBUF less its own overhead).
inline size_t frame_chunk(int sock) {
  size_t chunk = 64 * 1024;
  int sndbuf = 0;
  socklen_t l = sizeof sndbuf;
  if (getsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, &l) == 0 && sndbuf > 0 && static_cast<size_t>(sndbuf) / 2 < chunk)
    chunk = static_cast<size_t>(sndbuf) / 2;
  return chunk > 2 * kFrameHeader ? chunk - kFrameHeader : kFrameHeader;
}

// Sends the message; fd >= 0 goes with the first frame. 0, or -1 with errno.
// Blocks while the receiver has not read earlier frames yet.
inline int send_message(int sock, uint32_t type, const uint8_t *payload, size_t len, int fd) {
  if (len > UINT32_MAX) {
    errno = EMSGSIZE;
    return -1;
  }
  uint8_t hdr[kFrameHeader];
  put_le32(hdr, type);
  put_le32(hdr + 4, static_cast<uint32_t>(len));
  const size_t chunk = frame_chunk(sock);
  size_t sent = 0;
  do {
    size_t n = len - sent < chunk ? len - sent : chunk;
    struct iovec iov[2] = {{hdr, kFrameHeader}, {const_cast<uint8_t *>(payload) + sent, n}};
    if (send_with_fd(sock, iov, 2, sent == 0 ? fd : -1) < 0) return -1;
    sent += n;
  } while (sent < len);
  return 0;
}

// A message as received. The payload is its own mapping, so that the memory
// of a large one goes back to the system at once (release_message); a
// created init must stay small.
struct ReceivedMessage {
  uint32_t type = 0;
  uint8_t *payload = nullptr;  // len bytes; nullptr when len is 0
  size_t len = 0;
  int fd = -1;  // the fd of the first frame (close-on-exec), or -1; the caller owns it
};

inline void release_message(ReceivedMessage *m) {
  if (m->payload) munmap(m->payload, m->len);
  m->payload = nullptr;
}

// Receives one message: 1, or 0 when the peer hung up (also midway through a
// message), or -1 with errno: EPROTO for frames that break the rules above,
// ENOMEM when the payload cannot be mapped. On 0 and -1 nothing is kept.
inline int recv_message(int sock, ReceivedMessage *m) {
  *m = ReceivedMessage{};
  auto give_up = [m](int rc, int err) {
    release_message(m);
    if (m->fd >= 0) close(m->fd);
    m->fd = -1;
    errno = err;
    return rc;
  };
  size_t filled = 0;
  bool first = true;
  // A peer that exited with frames of ours unread (it refused them) fails our
  // next recv once with ECONNRESET, while what it sent before (its error
  // report) is still queued: that one ECONNRESET is retried, wherever it comes.
  bool reset_seen = false;
  auto retry = [&reset_seen](ssize_t n) {
    if (n >= 0) return false;
    if (errno == EINTR) return true;
    if (errno != ECONNRESET || reset_seen) return false;
    reset_seen = true;
    return true;
  };
  do {
    uint8_t hdr[kFrameHeader];
    ssize_t size;
    // The header, and with MSG_TRUNC the frame's full size.
    do size = recv(sock, hdr, sizeof hdr, MSG_PEEK | MSG_TRUNC); while (retry(size));
    if (size == 0 || (size < 0 && errno == ECONNRESET)) return give_up(0, 0);
    if (size < 0) return give_up(-1, errno);
    if (static_cast<size_t>(size) < kFrameHeader) return give_up(-1, EPROTO);
    const uint32_t type = get_le32(hdr), total = get_le32(hdr + 4);
    const size_t chunk = static_cast<size_t>(size) - kFrameHeader;
    if (first) {
      m->type = type;
      m->len = total;
      if (total > 0) {
        void *p = mmap(nullptr, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) return give_up(-1, ENOMEM);
        m->payload = static_cast<uint8_t *>(p);
      }
    } else if (type != m->type || total != m->len || chunk == 0) {
      return give_up(-1, EPROTO);
    }
    if (chunk > m->len - filled) return give_up(-1, EPROTO);
    struct iovec iov[2] = {{hdr, kFrameHeader}, {m->payload + filled, chunk}};
    int fd = -1;
    ssize_t got;
    do got = recv_with_fd(sock, iov, 2, &fd); while (retry(got));
    if (got < 0 && errno == ECONNRESET) return give_up(0, 0);
    if (got < 0) return give_up(-1, errno);
    if (fd >= 0 && !first) {
      close(fd);
      return give_up(-1, EPROTO);
    }
    if (fd >= 0) m->fd = fd;
    if (got != size) return give_up(-1, EPROTO);
    filled += chunk;
    first = false;
  } while (filled < m->len);
  return 1;
}

}  // namespace tsrun
