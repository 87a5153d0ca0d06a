#include "terminal.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "syserror.h"

namespace tsrun {

std::pair<int, int> socket_pair() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair", "cannot make a socket pair");
  return {sv[0], sv[1]};
}

int recv_fd(int sock) {
  char name[256];
  struct iovec iov = {name, sizeof name};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr mh = {};
  mh.msg_iov = &iov;
  mh.msg_iovlen = 1;
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t got;
  do got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC); while (got < 0 && errno == EINTR);
  if (got < 0) throw_errno("recvmsg", "cannot receive the pty master");
  struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
  if (got == 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
    throw SysError("recvmsg", EPROTO, "the container's init sent no pty master");
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  return fd;
}

void set_winsize(int fd, unsigned short rows, unsigned short cols) {
  struct winsize ws = {};
  ws.ws_row = rows;
  ws.ws_col = cols;
  if (ioctl(fd, TIOCSWINSZ, &ws) < 0) throw_errno("ioctl", "cannot resize the terminal");
}

}  // namespace tsrun
