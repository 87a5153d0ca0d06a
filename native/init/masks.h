// linux.readonlyPaths and linux.maskedPaths, applied after pivot_root.
#pragma once

#include "plan.h"

namespace tsrun {
namespace init {

// Readonly paths first (a bind remounted read-only), then masked paths
// (/dev/null over a file, a read-only empty tmpfs over a directory). Paths
// that do not exist are skipped, as the spec allows.
void apply_path_masks(const plan::CreatePlan &plan);

}  // namespace init
}  // namespace tsrun
