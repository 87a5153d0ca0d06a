// tsrun-plan-check: the round-trip test binary (test/unit/plan-contract.test.ts).
// Reads one wire-encoded plan on stdin, decodes it as tsrun-init does
// (plan-load.cc) and prints the structs as JSON, or the decode error and
// exit status 1. Built beside tsrun-init; not installed or run by tsrun.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "plan-dump.h"
#include "plan-load.h"

using namespace tsrun;

int main() {
  size_t cap = 1 << 16, len = 0;
  uint8_t *buf = static_cast<uint8_t *>(malloc(cap));
  for (;;) {
    if (len == cap && !(buf = static_cast<uint8_t *>(realloc(buf, cap *= 2)))) return 2;
    ssize_t n = read(0, buf + len, cap - len);
    if (n < 0) return 2;
    if (n == 0) break;
    len += static_cast<size_t>(n);
  }
  wire::Value *tree = wire::decode(buf, len);
  if (!tree) {
    fprintf(stderr, "malformed wire data\n");
    return 1;
  }
  init::LoadedPlan loaded;
  plan::DecodeError err;
  if (!init::load_plan(tree, &loaded, &err)) {
    fprintf(stderr, "%s: %s\n", err.path, err.reason);
    return 1;
  }
  if (loaded.create) plan::dump(stdout, *loaded.create);
  else plan::dump(stdout, *loaded.exec);
  fputc('\n', stdout);
  return 0;
}
