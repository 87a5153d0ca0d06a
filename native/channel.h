// The parent's end of the init socket: one datagram per message.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace tsrun {

struct Message {
  uint32_t type;
  std::vector<uint8_t> payload;
};

void channel_send(int fd, uint32_t type, const uint8_t *payload, size_t len);
// Blocks until a message arrives; nullopt when init closed the socket (exited).
std::optional<Message> channel_recv(int fd);

}  // namespace tsrun
