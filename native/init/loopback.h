// The loopback interface of a network namespace we made.
#pragma once

namespace tsrun {
namespace init {

// A new network namespace starts with `lo` down, so 127.0.0.1 is unreachable;
// runc brings it up and programs count on it. Only for a namespace we made:
// a joined one is someone else's to configure.
void bring_up_loopback();

}  // namespace init
}  // namespace tsrun
