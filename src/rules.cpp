#include "loyalty/rules.hpp"

#include "loyalty/program.hpp"

namespace loyalty {

std::string_view to_string(rounding_basis b) noexcept {
  return b == rounding_basis::line ? "line" : "order";
}

std::string_view to_string(cap_period p) noexcept {
  switch (p) {
    case cap_period::day:
      return "day";
    case cap_period::week:
      return "week";
    case cap_period::month:
      return "month";
    case cap_period::quarter:
      return "quarter";
    case cap_period::year:
      return "year";
    case cap_period::lifetime:
      return "lifetime";
  }
  return "?";
}

std::string_view to_string(cap_measure m) noexcept {
  return m == cap_measure::count ? "count" : "amount";
}

std::string_view to_string(cap_scope s) noexcept {
  return s == cap_scope::event ? "event" : "customer";
}

std::string_view to_string(cap_overflow o) noexcept {
  return o == cap_overflow::reject ? "reject" : "reduce";
}

std::string_view to_string(stacking_mode m) noexcept {
  switch (m) {
    case stacking_mode::all:
      return "all";
    case stacking_mode::first:
      return "first";
    case stacking_mode::best:
      return "best";
  }
  return "?";
}

std::string_view to_string(return_action a) noexcept {
  return a == return_action::keep ? "keep" : "reverse";
}

std::string_view to_string(pending_kind k) noexcept {
  switch (k) {
    case pending_kind::immediate:
      return "immediate";
    case pending_kind::period:
      return "period";
    case pending_kind::until_event:
      return "until_event";
  }
  return "?";
}

std::uint16_t program::find_event_type(std::string_view id) const noexcept {
  for (std::size_t i = 0; i < event_types_.size(); ++i) {
    if (event_types_[i].id == id) return static_cast<std::uint16_t>(i);
  }
  return no_index;
}

std::optional<std::uint32_t> program::find_rule(std::string_view id) const noexcept {
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    if (rules_[i].id == id) return static_cast<std::uint32_t>(i);
  }
  return std::nullopt;
}

}  // namespace loyalty
