#include "plan-load.h"

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace tsrun {
namespace init {

bool load_plan(wire::Value *tree, LoadedPlan *out, plan::DecodeError *err) {
  *out = LoadedPlan{};
  out->tree = tree;
  const wire::Value *mode = wire::get(tree, "mode");
  if (mode && mode->kind == 's' && strcmp(mode->str, "create") == 0) {
    out->create = static_cast<plan::CreatePlan *>(calloc(1, sizeof(plan::CreatePlan)));
    return out->create && plan::decode(tree, out->create, err);
  }
  if (mode && mode->kind == 's' && strcmp(mode->str, "exec") == 0) {
    out->exec = static_cast<plan::ExecPlan *>(calloc(1, sizeof(plan::ExecPlan)));
    return out->exec && plan::decode(tree, out->exec, err);
  }
  snprintf(err->path, sizeof err->path, "/mode");
  if (mode && mode->kind == 's') snprintf(err->reason, sizeof err->reason, "\"%.64s\" is not \"create\" or \"exec\"", mode->str);
  else snprintf(err->reason, sizeof err->reason, "must be \"create\" or \"exec\"");
  return false;
}

void release_mounts(LoadedPlan *loaded) {
  if (!loaded->create) return;
  plan::List<plan::MountPlan> &mounts = loaded->create->mounts;
  for (uint32_t i = 0; i < mounts.count; i++) plan::release(&mounts.items[i]);
  free(mounts.items);
  mounts = {};
  wire::release(loaded->tree, "mounts");  // also trims the freed pages
}

}  // namespace init
}  // namespace tsrun
