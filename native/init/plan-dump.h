// A decoded plan as JSON (plan-dump.cc, generated): what the round-trip test
// binary prints so the test can compare it with the plan TS encoded.
#pragma once

#include <stdint.h>
#include <stdio.h>

#include "plan.h"

namespace tsrun {
namespace plan {

inline void dump_string(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = reinterpret_cast<const unsigned char *>(s); *p; p++) {
    if (*p == '"' || *p == '\\') fprintf(f, "\\%c", *p);
    else if (*p < 0x20) fprintf(f, "\\u%04x", *p);
    else fputc(*p, f);
  }
  fputc('"', f);
}

// BigInt fields as strings: JSON numbers lose precision past 2^53.
inline void dump_int(FILE *f, int64_t n, bool big) { fprintf(f, big ? "\"%lld\"" : "%lld", static_cast<long long>(n)); }

inline void dump_bytes(FILE *f, const Bytes &b) {
  fputc('"', f);
  for (uint32_t i = 0; i < b.len; i++) fprintf(f, "%02x", b.data[i]);
  fputc('"', f);
}

void dump(FILE *f, const CreatePlan &v);
void dump(FILE *f, const ExecPlan &v);

}  // namespace plan
}  // namespace tsrun
