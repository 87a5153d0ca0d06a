#include "channel.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fd.h"
#include "framing.h"
#include "scm_rights.h"
#include "syserror.h"

namespace tsrun {

void channel_send(int fd, uint32_t type, const uint8_t *payload, size_t len, int pass_fd) {
  if (send_message(fd, type, payload, len, pass_fd) < 0) throw_errno("sendmsg", "cannot send to tsrun-init");
}

std::optional<Message> channel_recv(int fd) {
  ReceivedMessage r;
  int rc = recv_message(fd, &r);
  if (rc == 0) return std::nullopt;
  if (rc < 0 && errno == EPROTO) throw SysError("recvmsg", EPROTO, "tsrun-init sent a malformed message (its frames disagree, or more than one fd)");
  if (rc < 0) throw_errno("recvmsg", "cannot read from tsrun-init");
  Message m;
  m.type = r.type;
  m.fd = r.fd;
  m.payload.assign(r.payload, r.payload + r.len);
  release_message(&r);
  return m;
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
