#pragma once
// The troupe command-line tool as a function, so that a program hosting other actor types
// (the tests' variant) is the same tool.

#include <troupe/actors/registry.hpp>

namespace troupe::cli {

/// Runs `troupe` with argv, spawning actor types from `types`. Returns the exit code.
int main(int argc, char** argv, const actors::registry& types);

}  // namespace troupe::cli
