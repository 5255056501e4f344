// The allocation tests' counter: this test binary replaces every form of the global operator new
// (alloc_counter.cpp) and counts the calls.
#pragma once

#include <cstddef>

namespace alloc_test {

/// operator new calls in this process so far.
std::size_t count() noexcept;

}  // namespace alloc_test
