// The one place tsrun-init decodes the plan (plan.h, generated from
// src/runtime/plan-schema.ts): mode picks the struct, the decode is strict.
#pragma once

#include "plan.h"
#include "wire.h"

namespace tsrun {
namespace init {

struct LoadedPlan {
  wire::Value *tree = nullptr;  // the strings of the plan point in here
  plan::CreatePlan *create = nullptr;
  plan::ExecPlan *exec = nullptr;
};

// Decodes tree as the plan its "mode" names; false with err set on any
// unknown, missing or mistyped key. tree must outlive out.
bool load_plan(wire::Value *tree, LoadedPlan *out, plan::DecodeError *err);

// Frees the create plan's mounts (decoded and wire tree), once they are made,
// so that a created init stays small.
void release_mounts(LoadedPlan *loaded);

}  // namespace init
}  // namespace tsrun
