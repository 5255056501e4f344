// Recognising expressions that test one field against constants (slot_test.hpp).
#include "expr/slot_test.hpp"

#include <utility>

#include "expr/program.hpp"

namespace loyalty::internal::expr {

static_assert(static_cast<int>(compare::eq) == 0 && static_cast<int>(compare::ne) == 1 &&
                  static_cast<int>(compare::lt) == 2 && static_cast<int>(compare::le) == 3 &&
                  static_cast<int>(compare::gt) == 4 && static_cast<int>(compare::ge) == 5,
              "slot_test::bits_test numbers the comparisons as expr::compare does");

struct impl_access {
  static const compiled_expression::impl& of(const compiled_expression& e) noexcept {
    return *e.impl_;
  }
};

namespace {

/// Kinds whose present values compare as raw bits at any place they come from (a decimal's
/// units depend on its scale, which may differ between a field and a constant).
bool bits_kind(value_kind k) noexcept {
  return k != value_kind::decimal && one_int64(k);
}

}  // namespace

std::optional<slot_test> slot_test_of(const compiled_expression& e) noexcept {
  const compiled_expression::impl& p = impl_access::of(e);
  if (p.root >= p.nodes.size()) return std::nullopt;
  const node& n = p.nodes[p.root];
  slot_test t;
  switch (n.code) {
    case op::compare_slot: {
      if (n.slot >= p.slot_types.size() || !bits_kind(p.slot_types[n.slot].kind)) break;
      t.how = slot_test::form::bits;
      t.slot = n.slot;
      t.kind = p.slot_types[n.slot].kind;
      t.compare = n.aux;
      t.bits = n.constant.as_int();
      return t;
    }
    case op::in_mask_slot: {
      if (n.slot >= p.slot_types.size() || p.slot_types[n.slot].kind != value_kind::enumeration) {
        break;
      }
      t.how = slot_test::form::mask;
      t.slot = n.slot;
      t.kind = value_kind::enumeration;
      t.mask = n.mask;
      t.negate = n.digits != 0;
      return t;
    }
    case op::compare_str: {
      const auto c = static_cast<compare>(n.aux);
      if (c != compare::eq && c != compare::ne) break;
      if (n.a >= p.nodes.size() || n.b >= p.nodes.size()) break;
      const node* field = &p.nodes[n.a];
      const node* constant = &p.nodes[n.b];
      if (field->code != op::field) std::swap(field, constant);  // 'SKU-1' == line.sku
      if (field->code != op::field || constant->code != op::constant) break;
      if (constant->constant.kind() != value_kind::string) break;
      if (field->slot >= p.slot_types.size() ||
          p.slot_types[field->slot].kind != value_kind::string) {
        break;
      }
      t.how = slot_test::form::text;
      t.slot = field->slot;
      t.kind = value_kind::string;
      t.compare = n.aux;
      t.text = constant->constant.as_string();
      return t;
    }
    default:
      break;
  }
  return std::nullopt;
}

}  // namespace loyalty::internal::expr
