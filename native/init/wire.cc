#include "wire.h"

#include <malloc.h>
#include <stdlib.h>
#include <string.h>

namespace tsrun {
namespace wire {
namespace {

struct Reader {
  const uint8_t *p;
  const uint8_t *end;
  bool ok = true;
  bool need(size_t n) {
    if (!ok || static_cast<size_t>(end - p) < n) ok = false;
    return ok;
  }
  uint32_t u32() {
    if (!need(4)) return 0;
    uint32_t v = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    p += 4;
    return v;
  }
  char *bytes(uint32_t n) {
    if (!need(n)) return nullptr;
    char *s = static_cast<char *>(malloc(n + 1));
    if (!s) { ok = false; return nullptr; }
    memcpy(s, p, n);
    s[n] = 0;
    p += n;
    return s;
  }
};

// Depth-limited so a hostile or corrupt buffer cannot exhaust the stack.
bool read_value(Reader &r, Value *v, int depth) {
  if (depth > 32 || !r.need(1)) return false;
  v->kind = static_cast<char>(*r.p++);
  switch (v->kind) {
    case 'n': case 't': case 'f':
      return true;
    case 'i': {
      if (!r.need(8)) return false;
      uint64_t n = 0;
      for (int i = 7; i >= 0; i--) n = (n << 8) | r.p[i];
      r.p += 8;
      v->num = static_cast<int64_t>(n);
      return true;
    }
    case 's':
      v->len = r.u32();
      v->str = r.bytes(v->len);
      return r.ok;
    case 'a': case 'm': {
      uint32_t n = r.u32();
      // Each element takes at least one byte: reject counts the buffer cannot hold.
      if (!r.ok || n > static_cast<size_t>(r.end - r.p)) return false;
      v->len = n;
      v->items = static_cast<Value *>(calloc(n ? n : 1, sizeof(Value)));
      if (!v->items) return false;
      if (v->kind == 'm') {
        v->keys = static_cast<const char **>(calloc(n ? n : 1, sizeof(char *)));
        if (!v->keys) return false;
      }
      for (uint32_t i = 0; i < n; i++) {
        if (v->kind == 'm') {
          uint32_t klen = r.u32();
          v->keys[i] = r.bytes(klen);
          if (!r.ok) return false;
        }
        if (!read_value(r, &v->items[i], depth + 1)) return false;
      }
      return true;
    }
    default:
      return false;
  }
}

void free_children(Value *v) {
  if (v->kind == 's') free(const_cast<char *>(v->str));
  if (v->kind == 'a' || v->kind == 'm') {
    for (uint32_t i = 0; v->items && i < v->len; i++) {
      free_children(&v->items[i]);
      if (v->keys) free(const_cast<char *>(v->keys[i]));
    }
    free(v->items);
    free(v->keys);
  }
}

}  // namespace

Value *decode(const uint8_t *buf, size_t size) {
  Reader r{buf, buf + size};
  Value *v = static_cast<Value *>(calloc(1, sizeof(Value)));
  if (!v) return nullptr;
  if (!read_value(r, v, 0) || r.p != r.end) {
    free_value(v);
    return nullptr;
  }
  return v;
}

void free_value(Value *v) {
  if (!v) return;
  free_children(v);
  free(v);
}

const Value *get(const Value *map, const char *key) {
  if (!map || map->kind != 'm') return nullptr;
  for (uint32_t i = 0; i < map->len; i++)
    if (strcmp(map->keys[i], key) == 0) return &map->items[i];
  return nullptr;
}

void release(const Value *map, const char *key) {
  Value *v = const_cast<Value *>(get(map, key));
  if (!v) return;
  free_children(v);
  *v = Value{};
  // Freed small blocks stay resident until trimmed; this returns whole free pages.
  malloc_trim(0);
}

const char *get_str(const Value *map, const char *key) {
  const Value *v = get(map, key);
  return v && v->kind == 's' ? v->str : nullptr;
}

namespace {
void put(Writer &w, const void *data, size_t n) {
  if (w.failed || w.cap - w.len < n) { w.failed = true; return; }
  memcpy(w.buf + w.len, data, n);
  w.len += n;
}
void put_u32(Writer &w, uint32_t n) {
  uint8_t b[4] = {uint8_t(n), uint8_t(n >> 8), uint8_t(n >> 16), uint8_t(n >> 24)};
  put(w, b, 4);
}
}  // namespace

void Writer::map(uint32_t pairs) { put(*this, "m", 1); put_u32(*this, pairs); }
void Writer::key(const char *k) { uint32_t n = strlen(k); put_u32(*this, n); put(*this, k, n); }
void Writer::str(const char *s) { bytes(s, strlen(s)); }
void Writer::bytes(const void *data, uint32_t n) { put(*this, "s", 1); put_u32(*this, n); put(*this, data, n); }
void Writer::i64(int64_t n) {
  uint8_t b[9] = {'i'};
  for (int i = 0; i < 8; i++) b[i + 1] = uint8_t(static_cast<uint64_t>(n) >> (8 * i));
  put(*this, b, 9);
}

}  // namespace wire
}  // namespace tsrun
