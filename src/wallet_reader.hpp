// Reading a point type's wallet keys: `expiry`, `consumption_order`, `return_policy` and
// `refund_min_validity` (docs/reference.md#wallet-keys). Check phase only.
#pragma once

#include <string_view>
#include <vector>

#include "loyalty/program.hpp"
#include "schema_reader.hpp"

namespace loyalty::internal {

/// Reads the wallet keys of `what` (such as "point type 'points'") from `m` into `t`, reporting
/// every problem in one pass; a key with a problem leaves its field at the default. Looks the
/// keys up in `m`, so the caller's finish() knows them. With `reset_events`, a name in
/// `expiry: reset_on` that is no operation is taken for an event type and added there (the
/// caller resolves it once the events are known); without, it is an error here.
void read_wallet_keys(schema_reader& reader, map_reader& m, std::string_view what, point_type& t,
                      std::vector<const raw_node*>* reset_events = nullptr);

/// Reads an `expiry:` mapping (the value `node`, or nothing when null) of `what` into t.expiry
/// (and t.reset_on), as read_wallet_keys() does; for a rule's own expiry.
void read_expiry(schema_reader& reader, const raw_node* node, std::string_view what, point_type& t,
                 std::vector<const raw_node*>* reset_events = nullptr);

}  // namespace loyalty::internal
