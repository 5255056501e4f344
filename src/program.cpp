#include "loyalty/program.hpp"

#include <algorithm>

namespace loyalty {

const point_type* program::find_point_type(std::string_view id) const noexcept {
  const auto it = std::find_if(point_types_.begin(), point_types_.end(),
                               [id](const point_type& t) { return t.id == id; });
  return it == point_types_.end() ? nullptr : &*it;
}

std::vector<wallet_policy> wallet_policies(const program& program) {
  std::vector<wallet_policy> out;
  out.reserve(program.point_types().size());
  for (const point_type& t : program.point_types()) {
    wallet_policy w;
    w.scale = t.scale;
    w.order = t.order;
    w.returns = t.returns;
    w.refund_min_validity = t.refund_min_validity;
    w.expiry = t.expiry;
    w.reset_on = t.reset_on;
    w.held_at_expiry = t.held_at_expiry;
    w.zone = program.zone();
    out.push_back(std::move(w));
  }
  return out;
}

}  // namespace loyalty
