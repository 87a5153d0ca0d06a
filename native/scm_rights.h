// One fd sent or received alongside a message (SCM_RIGHTS). Header-only and
// exception-free, so the addon and tsrun-init share it.
#pragma once

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

namespace tsrun {

// sendmsg of iov with fd attached (none when fd < 0); EINTR is retried.
inline ssize_t send_with_fd(int sock, struct iovec *iov, size_t iovlen, int fd) {
  struct msghdr mh = {};
  mh.msg_iov = iov;
  mh.msg_iovlen = iovlen;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  if (fd >= 0) {
    mh.msg_control = control;
    mh.msg_controllen = sizeof control;
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
  }
  ssize_t n;
  do n = sendmsg(sock, &mh, MSG_NOSIGNAL); while (n < 0 && errno == EINTR);
  return n;
}

// recvmsg into iov; *fd gets the one fd that came along (close-on-exec), or
// -1. More than one fd (MSG_CTRUNC) closes what arrived and fails with EPROTO.
inline ssize_t recv_with_fd(int sock, struct iovec *iov, size_t iovlen, int *fd) {
  *fd = -1;
  struct msghdr mh = {};
  mh.msg_iov = iov;
  mh.msg_iovlen = iovlen;
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  mh.msg_control = control;
  mh.msg_controllen = sizeof control;
  ssize_t got;
  do got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC); while (got < 0 && errno == EINTR);
  if (got < 0) return got;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS && c->cmsg_len == CMSG_LEN(sizeof(int)))
      memcpy(fd, CMSG_DATA(c), sizeof(int));
  if (mh.msg_flags & MSG_CTRUNC) {
    if (*fd >= 0) close(*fd);
    *fd = -1;
    errno = EPROTO;
    return -1;
  }
  return got;
}

}  // namespace tsrun
