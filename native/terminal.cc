#include "terminal.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "scm_rights.h"
#include "syserror.h"

namespace tsrun {

std::pair<int, int> socket_pair(bool seqpacket) {
  int sv[2];
  if (socketpair(AF_UNIX, (seqpacket ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair", "cannot make a socket pair");
  return {sv[0], sv[1]};
}

int recv_fd(int sock) {
  char name[256];  // the master's name, which runc sends and nobody reads
  struct iovec iov = {name, sizeof name};
  int fd;
  ssize_t got = recv_with_fd(sock, &iov, 1, &fd);
  if (got < 0) throw_errno("recvmsg", "cannot receive the pty master");
  if (fd < 0) throw SysError("recvmsg", EPROTO, "the container's init sent no pty master");
  return fd;
}

ReceivedPacket recv_packet(int sock, size_t max_len) {
  ReceivedPacket p;
  p.data.resize(max_len);
  struct iovec iov = {p.data.data(), max_len};
  ssize_t got = recv_with_fd(sock, &iov, 1, &p.fd);
  if (got < 0) throw_errno("recvmsg", "cannot read from the socket");
  p.data.resize(static_cast<size_t>(got));
  return p;
}

void set_winsize(int fd, unsigned short rows, unsigned short cols) {
  struct winsize ws = {};
  ws.ws_row = rows;
  ws.ws_col = cols;
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) throw_errno("ioctl", "cannot resize the terminal");
}

}  // namespace tsrun
