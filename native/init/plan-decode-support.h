// Hand-written support for the generated plan decoder (plan-decode.cc, made
// by scripts/gen-plan.js): the key path a failure names, and one reader per
// wire kind, each checking the kind and naming what is wrong. Only
// plan-decode.cc includes it.
#pragma once

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

namespace tsrun {
namespace plan {
namespace decode_support {

// A key path, linked through the stack and rendered only on failure.
struct Path {
  const Path *parent;
  const char *key;  // nullptr: an array index
  uint32_t index;
};

inline void render(const Path *p, char *buf, size_t cap, size_t *len) {
  if (!p) return;
  render(p->parent, buf, cap, len);
  int n = p->key ? snprintf(buf + *len, cap - *len, "/%s", p->key) : snprintf(buf + *len, cap - *len, "/%u", p->index);
  if (n > 0) *len = *len + static_cast<size_t>(n) < cap ? *len + static_cast<size_t>(n) : cap - 1;
}

inline bool fail(const Path *p, DecodeError *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
inline bool fail(const Path *p, DecodeError *err, const char *fmt, ...) {
  size_t len = 0;
  err->path[0] = 0;
  render(p, err->path, sizeof err->path, &len);
  if (!len) snprintf(err->path, sizeof err->path, "/");
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->reason, sizeof err->reason, fmt, ap);
  va_end(ap);
  return false;
}

inline const char *kind_name(char kind) {
  switch (kind) {
    case 'n': return "null";
    case 't': case 'f': return "a boolean";
    case 'i': return "an integer";
    case 's': return "a string";
    case 'a': return "an array";
    case 'm': return "a map";
  }
  return "unknown";
}

inline bool expect(const wire::Value *x, char kind, const Path *p, DecodeError *err) {
  if (x->kind == kind) return true;
  return fail(p, err, "must be %s, not %s", kind_name(kind), kind_name(x->kind));
}

template <class T>
inline T *alloc(uint32_t n) {
  return static_cast<T *>(calloc(n ? n : 1, sizeof(T)));
}

inline bool get_string(const wire::Value *x, const char **out, const Path *p, DecodeError *err) {
  if (!expect(x, 's', p, err)) return false;
  // init passes strings to the kernel as C strings: a NUL inside would cut them short.
  if (strlen(x->str) != x->len) return fail(p, err, "must not contain a NUL byte");
  *out = x->str;
  return true;
}

inline bool get_choice(const wire::Value *x, const char **out, const char *const *choices, int n, const Path *p, DecodeError *err) {
  if (!get_string(x, out, p, err)) return false;
  for (int i = 0; i < n; i++)
    if (strcmp(*out, choices[i]) == 0) return true;
  return fail(p, err, "\"%s\" is not one of the values the plan allows", *out);
}

inline bool get_int(const wire::Value *x, int64_t *out, const Path *p, DecodeError *err) {
  if (!expect(x, 'i', p, err)) return false;
  *out = x->num;
  return true;
}

inline bool get_int_equal(const wire::Value *x, int64_t want, const Path *p, DecodeError *err) {
  if (!expect(x, 'i', p, err)) return false;
  if (x->num != want) return fail(p, err, "is %lld; this tsrun-init takes %lld", static_cast<long long>(x->num), static_cast<long long>(want));
  return true;
}

inline bool get_int_tuple(const wire::Value *x, int64_t *out, uint32_t n, const Path *p, DecodeError *err) {
  if (!expect(x, 'a', p, err)) return false;
  if (x->len != n) return fail(p, err, "must have %u items, not %u", n, x->len);
  for (uint32_t i = 0; i < n; i++) {
    Path item{p, nullptr, i};
    if (!get_int(&x->items[i], &out[i], &item, err)) return false;
  }
  return true;
}

inline bool get_bool(const wire::Value *x, bool *out, const Path *p, DecodeError *err) {
  if (x->kind != 't' && x->kind != 'f') return fail(p, err, "must be a boolean, not %s", kind_name(x->kind));
  *out = x->kind == 't';
  return true;
}

inline bool get_bytes(const wire::Value *x, Bytes *out, const Path *p, DecodeError *err) {
  if (!expect(x, 's', p, err)) return false;
  out->data = reinterpret_cast<const uint8_t *>(x->str);
  out->len = x->len;
  return true;
}

template <class T>
inline bool decode_list(const wire::Value *x, List<T> *out, bool (*item)(const wire::Value *, T *, const Path *, DecodeError *), const Path *p,
                 DecodeError *err) {
  if (!expect(x, 'a', p, err)) return false;
  T *items = alloc<T>(x->len);
  if (!items) return fail(p, err, "out of memory");
  out->items = items;
  out->count = x->len;
  for (uint32_t i = 0; i < x->len; i++) {
    Path at{p, nullptr, i};
    if (!item(&x->items[i], &items[i], &at, err)) return false;
  }
  return true;
}

inline bool unknown_key(const wire::Value *x, uint32_t i, const Path *p, DecodeError *err) {
  Path at{p, x->keys[i], 0};
  return fail(&at, err, "is not a key of the plan this tsrun-init takes");
}

inline bool missing_key(const char *key, const Path *p, DecodeError *err) {
  Path at{p, key, 0};
  return fail(&at, err, "is missing");
}

}  // namespace decode_support
}  // namespace plan
}  // namespace tsrun
