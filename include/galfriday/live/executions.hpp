#pragma once
// Kraken WS v2 private `executions` channel (wss://ws-auth.kraken.com/v2): decoding of its
// frames (simdjson, in src/live) and the mapping of one execution to an OrderUpdateMessage for
// the OrderStateMachine.
//
// Every field of an execution is optional (Kraken sends only what the exec_type carries: a
// cancel may hold just order_id, exec_type and timestamp). Numbers are kept as the exact text of
// their JSON token and parsed at the pair's precisions by to_order_update(), never through a
// double.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/core/time.hpp"
#include "galfriday/live/order_state.hpp"
#include "galfriday/market/instrument.hpp"
#include "galfriday/market/order_book.hpp"

namespace galfriday::live {

struct ExecutionFee {
  std::string asset;  // "USD"
  DecimalText qty;
  friend bool operator==(const ExecutionFee&, const ExecutionFee&) = default;
};

// One element of an executions message's data[].
struct Execution {
  std::string order_id;
  std::string exec_type;  // pending_new, new, trade, filled, canceled, expired, amended, ...
  std::optional<std::string> cl_ord_id;
  std::optional<int64_t> order_userref;
  std::optional<OrderStatus> order_status;
  std::optional<std::string> symbol;
  std::optional<Side> side;
  std::optional<std::string> order_type;
  std::optional<DecimalText> order_qty;
  std::optional<DecimalText> limit_price;
  std::optional<std::string> exec_id;
  std::optional<uint64_t> trade_id;
  std::optional<DecimalText> last_qty;
  std::optional<DecimalText> last_price;
  std::optional<DecimalText> cum_qty;
  std::optional<DecimalText> avg_price;
  std::optional<Liquidity> liquidity;
  std::vector<ExecutionFee> fees;
  std::optional<std::string> reason;
  std::optional<Timestamp> timestamp;
  friend bool operator==(const Execution&, const Execution&) = default;
};

// {"channel":"executions","type":"snapshot"|"update","data":[...],"sequence":N}
struct ExecutionsMessage {
  bool is_snapshot = false;
  std::optional<uint64_t> sequence;
  std::vector<Execution> executions;
};

// The subscribe acknowledgement: {"method":"subscribe","result":{"channel":"executions",
// "maxratecount":125,...},"success":true}. success false carries Kraken's error string.
struct ExecutionsSubscribed {
  bool success = false;
  std::optional<int64_t> max_rate_count;
  std::string error;
};

// Frames of the private socket that are not about executions (heartbeat, status, balances,
// pong, acks of other channels): the handler ignores them.
struct OtherPrivateFrame {
  std::string channel_or_method;
};

using PrivateFrame = std::variant<ExecutionsMessage, ExecutionsSubscribed, OtherPrivateFrame>;

// Not thread-safe: one per connection (it reuses its parser and buffer).
class ExecutionsDecoder {
 public:
  ExecutionsDecoder();
  ~ExecutionsDecoder();
  ExecutionsDecoder(const ExecutionsDecoder&) = delete;
  ExecutionsDecoder& operator=(const ExecutionsDecoder&) = delete;

  // kInvalidArgument naming the field for malformed JSON, wrong types or unknown enum text.
  Result<PrivateFrame> decode(std::string_view frame);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The order update an execution describes, with prices and quantities parsed at the pair's
// precisions. exec_type "trade" carries a fill (exec_id, last_qty, last_price, the first fee);
// exec_type canceled/expired/filled imply that status when order_status is absent.
// kInvalidArgument when a number does not fit the pair's precision or a trade lacks its fill
// fields.
Result<OrderUpdateMessage> to_order_update(const Execution& execution, const InstrumentSpec& spec);

}  // namespace galfriday::live
