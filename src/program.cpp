#include "loyalty/program.hpp"

#include <algorithm>

namespace loyalty {

const point_type* program::find_point_type(std::string_view id) const noexcept {
  const auto it = std::find_if(point_types_.begin(), point_types_.end(),
                               [id](const point_type& t) { return t.id == id; });
  return it == point_types_.end() ? nullptr : &*it;
}

}  // namespace loyalty
