#pragma once
// Deterministic client order ids (Kraken cl_ord_id) so that a retried request can never create
// a second order: the same signal and leg always give the same id, and Kraken refuses or
// reports the existing order for an id it has seen, which we query before any retry.
//
// Kraken accepts three cl_ord_id forms (AddOrder docs): a long UUID
// ("6d1b345e-2821-40e2-ad83-4ecb18a06876"), a 32-hex-digit UUID without hyphens, or free
// text of at most 18 characters. Signal ids are longer than 18 characters, so we use the long
// UUID form: the first 128 bits of SHA-256("galfriday-cl-ord-id\n" origin "\n" leg "\n"
// revision), marked as an RFC 9562 version-8 (custom) UUID.

#include <cstdint>
#include <string_view>

#include "galfriday/core/ids.hpp"
#include "galfriday/events/events.hpp"

namespace galfriday::live {

// `origin` names what the order comes from: the signal id for entries and their stop-loss /
// take-profit, or a stable key of a close command for exits. `revision` distinguishes a
// replacement of the same leg (a stop re-placed at a new size), 0 for the first.
ClientOrderId derive_client_order_id(std::string_view origin, OrderPurpose leg,
                                     uint32_t revision = 0);
inline ClientOrderId derive_client_order_id(const SignalId& signal, OrderPurpose leg,
                                            uint32_t revision = 0) {
  return derive_client_order_id(std::string_view(signal.str()), leg, revision);
}

// Whether `text` is a cl_ord_id Kraken accepts (one of the three forms above; free text is
// printable ASCII without spaces).
bool is_valid_kraken_cl_ord_id(std::string_view text);

}  // namespace galfriday::live
