#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "channel.h"
#include "fd.h"
#include "scm_rights.h"
#include "syserror.h"

namespace tsrun {

namespace {

long long now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

// poll with EINTR retried against the deadline; true when fd is ready.
bool wait_readable(int fd, int timeout_ms, const char *what) {
  long long deadline = now_ms() + timeout_ms;
  for (;;) {
    struct pollfd p = {fd, POLLIN, 0};
    long long left = deadline - now_ms();
    int r = poll(&p, 1, left > 0 ? static_cast<int>(left) : 0);
    if (r > 0) return true;
    if (r == 0) return false;
    if (errno != EINTR) throw_errno("poll", what);
  }
}

void send_all(int s, const std::string &msg, int pass_fd) {
  struct iovec iov = {const_cast<char *>(msg.data()), msg.size()};
  if (send_with_fd(s, &iov, 1, pass_fd) < 0) throw_errno("sendmsg", "cannot notify the NOTIFY_SOCKET host");
}

}  // namespace

int notify_bind(const std::string &path) {
  struct sockaddr_un addr;
  socklen_t len = unix_address(path, &addr, "bind", true);
  Fd s(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.fd < 0) throw_errno("socket", "cannot make a unix datagram socket");
  if (bind(s.fd, reinterpret_cast<struct sockaddr *>(&addr), len) < 0) throw_errno("bind", "listen unixgram " + path + ": bind");
  if (chmod(path.c_str(), 0777) < 0) throw_errno("chmod", "chmod " + path);
  return s.release();
}

std::optional<std::string> notify_recv_ready(int fd, int timeout_ms) {
  long long deadline = now_ms() + timeout_ms;
  char buf[4096];
  for (;;) {
    long long left = deadline - now_ms();
    if (!wait_readable(fd, left > 0 ? static_cast<int>(left) : 0, "cannot wait on the notify socket")) return std::nullopt;
    // recv, not recvmsg: fds a sender attached are closed by the kernel, not leaked to us.
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n < 0) throw_errno("recv", "cannot read the notify socket");
    std::string msg(buf, n);
    // Only a datagram that starts with READY= counts (sd_notify sends one per call).
    if (msg.compare(0, 6, "READY=") == 0) return msg.substr(0, msg.find('\n'));
  }
}

int notify_connect(const std::string &host) {
  struct sockaddr_un addr;
  socklen_t len = unix_address(host, &addr, "connect", true);
  Fd s(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (s.fd < 0) throw_errno("socket", "cannot make a unix datagram socket");
  int rc;
  do rc = connect(s.fd, reinterpret_cast<struct sockaddr *>(&addr), len); while (rc < 0 && errno == EINTR);
  if (rc < 0) throw_errno("connect", "dial unixgram " + host + ": connect");
  return s.release();
}

bool notify_ready(int sock, const std::string &ready, int main_pid, int barrier_timeout_ms) {
  send_all(sock, ready + "\n", -1);
  // The host then watches the container's init (or, for a foreground run, us).
  send_all(sock, "MAINPID=" + std::to_string(main_pid) + "\n", -1);
  // sd_notify_barrier: the host closes the pipe's write end once it has read
  // everything before it, so we do not exit with READY still unread.
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) throw_errno("pipe2", "cannot make the barrier pipe");
  Fd rd(p[0]);
  {
    Fd wr(p[1]);
    send_all(sock, "BARRIER=1", wr.fd);
  }
  if (!wait_readable(rd.fd, barrier_timeout_ms, "cannot wait for the notify barrier")) return false;
  char c;
  ssize_t n;
  do n = read(rd.fd, &c, 1); while (n < 0 && errno == EINTR);
  if (n < 0) throw_errno("read", "cannot read the notify barrier pipe");
  if (n > 0) throw SysError("read", EPROTO, "unexpected read from synchronization pipe");
  return true;
}

}  // namespace tsrun
