#include "channel.h"

#include <errno.h>
#include <sys/socket.h>

#include "syserror.h"

namespace tsrun {

void channel_send(int fd, uint32_t type, const uint8_t *payload, size_t len) {
  uint8_t hdr[4] = {uint8_t(type), uint8_t(type >> 8), uint8_t(type >> 16), uint8_t(type >> 24)};
  struct iovec iov[2] = {{hdr, 4}, {const_cast<uint8_t *>(payload), len}};
  struct msghdr mh = {};
  mh.msg_iov = iov;
  mh.msg_iovlen = 2;
  while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0)
    if (errno != EINTR) throw_errno("sendmsg", "cannot send to tsrun-init");
}

std::optional<Message> channel_recv(int fd) {
  for (;;) {
    ssize_t size = recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC);
    if (size < 0 && errno == EINTR) continue;
    if (size < 0 && errno == ECONNRESET) return std::nullopt;
    if (size < 0) throw_errno("recv", "cannot read from tsrun-init");
    if (size == 0) return std::nullopt;
    std::vector<uint8_t> buf(size);
    ssize_t got;
    do got = recv(fd, buf.data(), size, 0); while (got < 0 && errno == EINTR);
    if (got < 0) throw_errno("recv", "cannot read from tsrun-init");
    if (got < 4) throw SysError("recv", EPROTO, "short message from tsrun-init");
    Message m;
    m.type = buf[0] | (buf[1] << 8) | (buf[2] << 16) | (uint32_t(buf[3]) << 24);
    m.payload.assign(buf.begin() + 4, buf.begin() + got);
    return m;
  }
}

}  // namespace tsrun
