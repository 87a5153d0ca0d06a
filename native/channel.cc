#include "channel.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd.h"
#include "scm_rights.h"
#include "syserror.h"

namespace tsrun {

void channel_send(int fd, uint32_t type, const uint8_t *payload, size_t len, int pass_fd) {
  uint8_t hdr[4] = {uint8_t(type), uint8_t(type >> 8), uint8_t(type >> 16), uint8_t(type >> 24)};
  struct iovec iov[2] = {{hdr, 4}, {const_cast<uint8_t *>(payload), len}};
  if (send_with_fd(fd, iov, 2, pass_fd) < 0) throw_errno("sendmsg", "cannot send to tsrun-init");
}

std::optional<Message> channel_recv(int fd) {
  for (;;) {
    ssize_t size = recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (size < 0 && errno == EINTR) continue;
    if (size < 0 && errno == ECONNRESET) return std::nullopt;
    if (size < 0) throw_errno("recv", "cannot read from tsrun-init");
    if (size == 0) return std::nullopt;
    std::vector<uint8_t> buf(size);
    struct iovec iov = {buf.data(), static_cast<size_t>(size)};
    Message m;
    // Room for one fd (a seccomp listener); more would be a protocol error.
    ssize_t got = recv_with_fd(fd, &iov, 1, &m.fd);
    if (got < 0 && errno == EPROTO) throw SysError("recvmsg", EPROTO, "tsrun-init sent more fds than expected");
    if (got < 0) throw_errno("recvmsg", "cannot read from tsrun-init");
    if (got < 4) {
      if (m.fd >= 0) close(m.fd);
      throw SysError("recvmsg", EPROTO, "short message from tsrun-init");
    }
    m.type = buf[0] | (buf[1] << 8) | (buf[2] << 16) | (uint32_t(buf[3]) << 24);
    m.payload.assign(buf.begin() + 4, buf.begin() + got);
    return m;
  }
}

socklen_t unix_address(const std::string &path, struct sockaddr_un *addr, const char *call, bool abstract) {
  *addr = {};
  addr->sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof addr->sun_path)
    throw SysError(call, ENAMETOOLONG, "socket path " + path + " is empty or longer than " +
                                           std::to_string(sizeof addr->sun_path - 1) + " bytes");
  memcpy(addr->sun_path, path.data(), path.size());
  if (abstract && path[0] == '@') {
    addr->sun_path[0] = '\0';
    return offsetof(struct sockaddr_un, sun_path) + path.size();
  }
  return offsetof(struct sockaddr_un, sun_path) + path.size() + 1;
}

int connect_unix(const std::string &path) {
  struct sockaddr_un addr;
  socklen_t len = unix_address(path, &addr, "connect", false);
  Fd s(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s.fd < 0) throw_errno("socket", "cannot make a unix socket");
  int rc;
  do rc = connect(s.fd, reinterpret_cast<struct sockaddr *>(&addr), len); while (rc < 0 && errno == EINTR);
  if (rc < 0) throw_errno("connect", "dial unix " + path);
  return s.release();
}

void send_fd_to_unix_socket(const std::string &path, const uint8_t *payload, size_t len, int fd) {
  Fd s(connect_unix(path));
  size_t sent = 0;
  do {
    // The fd goes with the first sendmsg only (config-linux.md, "The Container Process State").
    struct iovec iov = {const_cast<uint8_t *>(payload) + sent, len - sent};
    ssize_t n = send_with_fd(s.fd, &iov, 1, sent == 0 ? fd : -1);
    if (n < 0) throw_errno("sendmsg", "cannot send to " + path);
    sent += static_cast<size_t>(n);
  } while (sent < len);
}

}  // namespace tsrun
