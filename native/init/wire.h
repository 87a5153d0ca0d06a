// A small self-describing binary encoding for plain data (the plan and the
// messages). It carries the same shapes as JSON, plus raw byte strings, with no
// escaping, so tsrun-init can decode it without a JSON parser.
//
//   'n' null | 't' true | 'f' false
//   'i' int64 (8 bytes, little-endian)
//   's' u32 length + bytes (a string or a blob)
//   'a' u32 count + values
//   'm' u32 count + (u32 key length + key bytes + value) pairs
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace tsrun {
namespace wire {

struct Value {
  char kind = 'n';
  int64_t num = 0;
  const char *str = nullptr;  // NUL-terminated copy for 's'
  uint32_t len = 0;           // bytes in str, or items/pairs in 'a'/'m'
  Value *items = nullptr;     // 'a' and 'm' values
  const char **keys = nullptr;  // 'm' keys
};

// Decodes buf into a tree allocated with malloc; returns nullptr if malformed.
Value *decode(const uint8_t *buf, size_t size);
void free_value(Value *v);

// map[key], or nullptr. The plan is never read this way: plan-load.cc decodes
// it strictly into plan.h's structs. These are for the small protocol
// messages (an ACK's hook states).
const Value *get(const Value *map, const char *key);
// map[key] if it is a string, else nullptr.
const char *get_str(const Value *map, const char *key);

// Frees what map[key] holds, leaves null in its place, and gives the freed
// pages back to the system: for the one step that reads a large part of a
// tree (the plan's mounts, a hook state), once it is done with it, so that a
// created init stays small. Trees are handed out const; this is the exception.
void release(const Value *map, const char *key);

// An append-only encoder into a fixed buffer. Overflow marks it failed.
struct Writer {
  uint8_t *buf;
  size_t cap;
  size_t len = 0;
  bool failed = false;
  Writer(uint8_t *b, size_t c) : buf(b), cap(c) {}
  void map(uint32_t pairs);
  void key(const char *k);
  void str(const char *s);
  void bytes(const void *data, uint32_t n);  // an 's' of raw bytes
  void i64(int64_t n);
};

}  // namespace wire
}  // namespace tsrun
