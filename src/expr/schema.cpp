#include <algorithm>
#include <cstdint>

#include "expr/program.hpp"

namespace loyalty {

namespace {

bool is_identifier(std::string_view s) {
  if (s.empty() || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_dotted_path(std::string_view path) {
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    if (!is_identifier(path.substr(start, dot == std::string_view::npos ? dot : dot - start))) {
      return false;
    }
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

}  // namespace

std::string_view to_string(value_kind kind) noexcept {
  switch (kind) {
    case value_kind::null:
      return "null";
    case value_kind::boolean:
      return "bool";
    case value_kind::integer:
      return "integer";
    case value_kind::decimal:
      return "decimal";
    case value_kind::string:
      return "text";
    case value_kind::enumeration:
      return "enum";
    case value_kind::list:
      return "list";
    case value_kind::date:
      return "date";
    case value_kind::timestamp:
      return "timestamp";
    case value_kind::duration:
      return "duration";
  }
  return "null";
}

std::string_view to_string(eval_status status) noexcept {
  switch (status) {
    case eval_status::ok:
      return "ok";
    case eval_status::overflow:
      return "overflow";
    case eval_status::division_by_zero:
      return "division by zero";
    case eval_status::missing_field:
      return "missing required field";
    case eval_status::type_mismatch:
      return "input of the wrong type";
    case eval_status::iteration_limit:
      return "iteration limit reached";
  }
  return "ok";
}

bool schema::add_enum(std::string_view name, std::vector<std::string> values) {
  if (!is_identifier(name) || find_enum(name) != nullptr || values.empty() || values.size() > 64) {
    return false;
  }
  std::vector<std::string> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) return false;
  enums_.push_back({std::string(name), std::move(values)});
  return true;
}

bool schema::valid_type(field_type& type) const {
  if (type.kind == value_kind::null) return false;
  if (type.kind == value_kind::decimal && (type.scale < 0 || type.scale > decimal::max_scale)) {
    return false;
  }
  if (type.kind == value_kind::enumeration) {
    const auto it = std::find_if(enums_.begin(), enums_.end(),
                                 [&](const enum_type& e) { return e.name == type.type_name; });
    if (it == enums_.end()) return false;
    type.enum_index = static_cast<std::uint16_t>(it - enums_.begin());
  }
  if (type.kind == value_kind::list) {
    const auto it = std::find_if(records_.begin(), records_.end(),
                                 [&](const record_type& r) { return r.name == type.type_name; });
    if (it == records_.end()) return false;
    type.enum_index = static_cast<std::uint16_t>(it - records_.begin());
  }
  return true;
}

bool schema::add_record(std::string_view name,
                        std::vector<std::pair<std::string, field_type>> fields) {
  if (!is_identifier(name) || find_record(name) != nullptr || fields.empty() ||
      fields.size() > 64) {
    return false;
  }
  for (std::size_t i = 0; i < fields.size(); ++i) {
    auto& [field_name, type] = fields[i];
    if (!is_identifier(field_name) || type.kind == value_kind::list || !valid_type(type))
      return false;
    for (std::size_t j = 0; j < i; ++j) {
      if (fields[j].first == field_name) return false;
    }
  }
  records_.push_back({std::string(name), std::move(fields)});
  return true;
}

const record_type* schema::find_record(std::string_view name) const noexcept {
  const auto it = std::find_if(records_.begin(), records_.end(),
                               [&](const record_type& r) { return r.name == name; });
  return it == records_.end() ? nullptr : &*it;
}

bool schema::add_field(std::string_view path, field_type type) {
  if (!is_dotted_path(path) || find_field(path) != nullptr || !valid_type(type)) return false;
  fields_.push_back(
      {std::string(path), std::move(type), static_cast<std::uint32_t>(fields_.size())});
  return true;
}

const field_decl* schema::find_field(std::string_view path) const noexcept {
  const auto it = std::find_if(fields_.begin(), fields_.end(),
                               [&](const field_decl& f) { return f.path == path; });
  return it == fields_.end() ? nullptr : &*it;
}

const enum_type* schema::find_enum(std::string_view name) const noexcept {
  const auto it = std::find_if(enums_.begin(), enums_.end(),
                               [&](const enum_type& e) { return e.name == name; });
  return it == enums_.end() ? nullptr : &*it;
}

int schema::enum_code(std::uint16_t enum_index, std::string_view v) const noexcept {
  if (enum_index >= enums_.size()) return -1;
  const auto& values = enums_[enum_index].values;
  const auto it = std::find(values.begin(), values.end(), v);
  return it == values.end() ? -1 : static_cast<int>(it - values.begin());
}

value value::of_string(std::string_view text) noexcept {
  return value(value_kind::string,
               static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(text.data())), 0,
               static_cast<std::uint32_t>(text.size()));
}

int schema::enum_code(std::string_view enum_name, std::string_view v) const noexcept {
  const enum_type* e = find_enum(enum_name);
  return e == nullptr ? -1 : enum_code(static_cast<std::uint16_t>(e - enums_.data()), v);
}

value value::of_list(const value* rows, std::uint32_t count, std::uint8_t width) noexcept {
  return value(value_kind::list, static_cast<std::int64_t>(reinterpret_cast<std::intptr_t>(rows)),
               width, count);
}

const value* value::rows() const noexcept {
  return reinterpret_cast<const value*>(static_cast<std::intptr_t>(bits_));
}

std::string_view value::as_string() const noexcept {
  return {reinterpret_cast<const char*>(static_cast<std::intptr_t>(bits_)), length_};
}

namespace detail {

std::vector<input_slot> input_slots(const schema& s) {
  std::vector<input_slot> types;
  types.reserve(s.fields().size());
  for (const field_decl& f : s.fields()) {
    const record_type* r =
        f.type.kind == value_kind::list ? &s.records()[f.type.enum_index] : nullptr;
    types.push_back({f.type.kind, f.type.scale, f.type.optional, r});
  }
  return types;
}

}  // namespace detail

expression_input::expression_input(const schema& s)
    : values_(s.fields().size()), types_(detail::input_slots(s)) {}

expression_batch::expression_batch(const schema& s, std::size_t rows)
    : rows_(rows), values_(s.fields().size() * rows), types_(detail::input_slots(s)) {}

namespace {

// A row value fits its record field: the declared kind (a number for a decimal field) with at most
// the declared scale, or missing when the field is optional.
bool fits(const value& v, const field_type& t) noexcept {
  if (v.is_null()) return t.optional;
  if (t.kind == value_kind::decimal) {
    return (v.kind() == value_kind::decimal || v.kind() == value_kind::integer) &&
           v.as_decimal().scale() <= t.scale;
  }
  return v.kind() == t.kind && (v.kind() != value_kind::integer || v.as_int() != INT64_MIN);
}

}  // namespace

bool detail::accept_input(const input_slot& t, value& v) noexcept {
  if (v.is_null()) return true;
  if (t.kind == value_kind::list) {
    // Rows stay in the host's memory, so they are checked here rather than converted.
    if (v.kind() != value_kind::list || v.width() != t.record->fields.size()) return false;
    for (std::uint32_t row = 0; row < v.count(); ++row) {
      for (std::size_t col = 0; col < t.record->fields.size(); ++col) {
        if (!fits(v.rows()[row * v.width() + col], t.record->fields[col].second)) return false;
      }
    }
    return true;
  }
  const bool number_into_decimal =
      t.kind == value_kind::decimal &&
      (v.kind() == value_kind::decimal || v.kind() == value_kind::integer);
  if (number_into_decimal) {
    // Exactly at the declared scale: rounding here would hide a wrong input.
    const decimal d = v.as_decimal();
    if (d.scale() > t.scale) {
      const decimal_result narrowed = d.rescale(t.scale, rounding_mode::down);
      if (!narrowed || narrowed.value != d) return false;
      v = value::of_decimal(narrowed.value);
      return true;
    }
    const decimal_result widened = d.rescale(t.scale, rounding_mode::down);
    if (!widened) return false;
    v = value::of_decimal(widened.value);
    return true;
  }
  // Integers share the decimals' symmetric range: -2^63 is refused.
  if (v.kind() != t.kind || (v.kind() == value_kind::integer && v.as_int() == INT64_MIN)) {
    return false;
  }
  return true;
}

bool expression_input::set_converted(std::uint32_t slot, value v) noexcept {
  const bool ok = detail::accept_input(types_[slot], v);
  values_[slot] = ok ? v : value();
  return ok;
}

bool expression_batch::set_converted(std::size_t row, std::uint32_t slot, value v) noexcept {
  const bool ok = detail::accept_input(types_[slot], v);
  values_[slot * rows_ + row] = ok ? v : value();
  return ok;
}

compiled_expression::compiled_expression(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
compiled_expression::~compiled_expression() = default;

field_type compiled_expression::result_type() const noexcept {
  return impl_->result;
}

expression_evaluator compiled_expression::evaluator() const noexcept {
  return impl_->vm.empty() ? expression_evaluator::tree : expression_evaluator::registers;
}

}  // namespace loyalty
