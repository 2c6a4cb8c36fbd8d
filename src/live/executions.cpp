// WS v2 executions decoding with simdjson On Demand; numbers kept as their exact token text.

#include "galfriday/live/executions.hpp"

#include <simdjson.h>

#include <cstring>
#include <string>

#include "../kraken_rest/json_reader.hpp"

namespace galfriday::live {
namespace json = kraken_rest::json;
namespace {

namespace od = simdjson::ondemand;

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' ||
                           text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

Status field_error(std::string_view where, std::string_view what) {
  return invalid_argument("executions frame: " + std::string(where) + ": " + std::string(what));
}

Status json_error(std::string_view where, simdjson::error_code error) {
  return field_error(where, simdjson::error_message(error));
}

Result<std::string> read_string(od::value& value, std::string_view where) {
  std::string_view text;
  if (const auto error = value.get_string().get(text)) return json_error(where, error);
  return std::string(text);
}

Result<DecimalText> read_number_text(od::value& value, std::string_view where) {
  od::json_type type;
  if (const auto error = value.type().get(type)) return json_error(where, error);
  if (type != od::json_type::number) return field_error(where, "expected a number");
  const std::string_view token = trim(value.raw_json_token());
  if (token.size() > DecimalText::kCapacity) return field_error(where, "number text too long");
  return DecimalText(token);
}

Result<OrderStatus> parse_order_status(std::string_view text) {
  if (text == "pending_new") return OrderStatus::kPendingNew;
  if (text == "new") return OrderStatus::kNew;
  if (text == "partially_filled") return OrderStatus::kPartiallyFilled;
  if (text == "filled") return OrderStatus::kFilled;
  if (text == "canceled") return OrderStatus::kCanceled;
  if (text == "expired") return OrderStatus::kExpired;
  return field_error("order_status", "unknown status '" + std::string(text) + "'");
}

Status decode_fees(od::value& value, std::vector<ExecutionFee>& fees) {
  od::array array;
  if (const auto error = value.get_array().get(array)) return json_error("fees", error);
  for (auto element : array) {
    od::object object;
    if (const auto error = element.get_object().get(object)) return json_error("fees[]", error);
    ExecutionFee fee;
    for (auto field : object) {
      std::string_view key;
      if (const auto error = field.unescaped_key().get(key)) return json_error("fees[]", error);
      od::value field_value = field.value();
      if (key == "asset") {
        GF_JSON_ASSIGN_OR_RETURN(fee.asset, read_string(field_value, "fees[].asset"));
      } else if (key == "qty") {
        GF_JSON_ASSIGN_OR_RETURN(fee.qty, read_number_text(field_value, "fees[].qty"));
      }
    }
    fees.push_back(std::move(fee));
  }
  return Status::ok();
}

Status decode_execution(od::object& object, Execution& out) {
  for (auto field : object) {
    std::string_view key;
    if (const auto error = field.unescaped_key().get(key)) return json_error("data[]", error);
    od::value value = field.value();
    const std::string where = "data[]." + std::string(key);
    if (key == "order_id") {
      GF_JSON_ASSIGN_OR_RETURN(out.order_id, read_string(value, where));
    } else if (key == "exec_type") {
      GF_JSON_ASSIGN_OR_RETURN(out.exec_type, read_string(value, where));
    } else if (key == "cl_ord_id") {
      GF_JSON_ASSIGN_OR_RETURN(out.cl_ord_id, read_string(value, where));
    } else if (key == "order_userref") {
      int64_t userref = 0;
      if (const auto error = value.get_int64().get(userref)) return json_error(where, error);
      out.order_userref = userref;
    } else if (key == "order_status") {
      std::string text;
      GF_JSON_ASSIGN_OR_RETURN(text, read_string(value, where));
      GF_JSON_ASSIGN_OR_RETURN(out.order_status, parse_order_status(text));
    } else if (key == "symbol") {
      GF_JSON_ASSIGN_OR_RETURN(out.symbol, read_string(value, where));
    } else if (key == "side") {
      std::string text;
      GF_JSON_ASSIGN_OR_RETURN(text, read_string(value, where));
      if (text == "buy") {
        out.side = Side::kBuy;
      } else if (text == "sell") {
        out.side = Side::kSell;
      } else {
        return field_error(where, "unknown side '" + text + "'");
      }
    } else if (key == "order_type") {
      GF_JSON_ASSIGN_OR_RETURN(out.order_type, read_string(value, where));
    } else if (key == "order_qty") {
      GF_JSON_ASSIGN_OR_RETURN(out.order_qty, read_number_text(value, where));
    } else if (key == "limit_price") {
      GF_JSON_ASSIGN_OR_RETURN(out.limit_price, read_number_text(value, where));
    } else if (key == "exec_id") {
      GF_JSON_ASSIGN_OR_RETURN(out.exec_id, read_string(value, where));
    } else if (key == "trade_id") {
      uint64_t trade_id = 0;
      if (const auto error = value.get_uint64().get(trade_id)) return json_error(where, error);
      out.trade_id = trade_id;
    } else if (key == "last_qty") {
      GF_JSON_ASSIGN_OR_RETURN(out.last_qty, read_number_text(value, where));
    } else if (key == "last_price") {
      GF_JSON_ASSIGN_OR_RETURN(out.last_price, read_number_text(value, where));
    } else if (key == "cum_qty") {
      GF_JSON_ASSIGN_OR_RETURN(out.cum_qty, read_number_text(value, where));
    } else if (key == "avg_price") {
      GF_JSON_ASSIGN_OR_RETURN(out.avg_price, read_number_text(value, where));
    } else if (key == "liquidity_ind") {
      std::string text;
      GF_JSON_ASSIGN_OR_RETURN(text, read_string(value, where));
      if (text == "t") {
        out.liquidity = Liquidity::kTaker;
      } else if (text == "m") {
        out.liquidity = Liquidity::kMaker;
      } else {
        return field_error(where, "unknown liquidity indicator '" + text + "'");
      }
    } else if (key == "fees") {
      GF_RETURN_IF_ERROR(decode_fees(value, out.fees));
    } else if (key == "reason") {
      GF_JSON_ASSIGN_OR_RETURN(out.reason, read_string(value, where));
    } else if (key == "timestamp") {
      std::string text;
      GF_JSON_ASSIGN_OR_RETURN(text, read_string(value, where));
      auto ts = parse_iso8601(text);
      if (!ts) return field_error(where, ts.status().message());
      out.timestamp = *ts;
    }
    // Other fields (cum_cost, fee_usd_equiv, time_in_force, ...) are not needed for the books.
  }
  if (out.order_id.empty()) return field_error("data[]", "missing order_id");
  if (out.exec_type.empty()) return field_error("data[]", "missing exec_type");
  return Status::ok();
}

Result<PrivateFrame> decode_document(od::document& doc) {
  od::object root;
  if (const auto error = doc.get_object().get(root)) return json_error("message", error);
  std::string channel;
  std::string method;
  std::string type;
  std::optional<uint64_t> sequence;
  std::vector<Execution> executions;
  bool has_data = false;
  bool has_success = false;  // a server response, not our own request echoed in a sample
  ExecutionsSubscribed ack;
  std::string result_channel;
  for (auto field : root) {
    std::string_view key;
    if (const auto error = field.unescaped_key().get(key)) return json_error("message", error);
    od::value value = field.value();
    if (key == "channel") {
      GF_JSON_ASSIGN_OR_RETURN(channel, read_string(value, "channel"));
    } else if (key == "method") {
      GF_JSON_ASSIGN_OR_RETURN(method, read_string(value, "method"));
    } else if (key == "type") {
      GF_JSON_ASSIGN_OR_RETURN(type, read_string(value, "type"));
    } else if (key == "sequence") {
      uint64_t number = 0;
      if (const auto error = value.get_uint64().get(number)) return json_error("sequence", error);
      sequence = number;
    } else if (key == "success") {
      has_success = true;
      if (const auto error = value.get_bool().get(ack.success)) return json_error("success", error);
    } else if (key == "error") {
      GF_JSON_ASSIGN_OR_RETURN(ack.error, read_string(value, "error"));
    } else if (key == "result") {
      od::object result;
      if (value.get_object().get(result)) continue;  // results of other methods may differ
      for (auto result_field : result) {
        std::string_view result_key;
        if (const auto error = result_field.unescaped_key().get(result_key)) {
          return json_error("result", error);
        }
        od::value result_value = result_field.value();
        if (result_key == "channel") {
          GF_JSON_ASSIGN_OR_RETURN(result_channel, read_string(result_value, "result.channel"));
        } else if (result_key == "maxratecount") {
          int64_t count = 0;
          if (const auto error = result_value.get_int64().get(count)) {
            return json_error("result.maxratecount", error);
          }
          ack.max_rate_count = count;
        }
      }
    } else if (key == "data") {
      // Only executions data is decoded; other channels' data is skipped unread.
      if (channel != "executions") continue;
      has_data = true;
      od::array array;
      if (const auto error = value.get_array().get(array)) return json_error("data", error);
      for (auto element : array) {
        od::object object;
        if (const auto error = element.get_object().get(object)) return json_error("data[]", error);
        Execution execution;
        GF_RETURN_IF_ERROR(decode_execution(object, execution));
        executions.push_back(std::move(execution));
      }
    }
  }
  if (channel == "executions") {
    if (!has_data) return field_error("data", "missing");
    ExecutionsMessage message;
    message.is_snapshot = type == "snapshot";
    message.sequence = sequence;
    message.executions = std::move(executions);
    return PrivateFrame(std::move(message));
  }
  if (method == "subscribe" && has_success && (result_channel == "executions" || !ack.success)) {
    return PrivateFrame(std::move(ack));
  }
  return PrivateFrame(OtherPrivateFrame{!channel.empty() ? channel : method});
}

}  // namespace

struct ExecutionsDecoder::Impl {
  od::parser parser;
  std::string buffer;
};

ExecutionsDecoder::ExecutionsDecoder() : impl_(std::make_unique<Impl>()) {}
ExecutionsDecoder::~ExecutionsDecoder() = default;

Result<PrivateFrame> ExecutionsDecoder::decode(std::string_view frame) {
  const size_t padded_size = frame.size() + simdjson::SIMDJSON_PADDING;
  if (impl_->buffer.size() < padded_size) impl_->buffer.resize(padded_size);
  std::memcpy(impl_->buffer.data(), frame.data(), frame.size());
  std::memset(impl_->buffer.data() + frame.size(), 0, simdjson::SIMDJSON_PADDING);
  od::document doc;
  if (const auto error =
          impl_->parser.iterate(impl_->buffer.data(), frame.size(), impl_->buffer.size())
              .get(doc)) {
    return json_error("message", error);
  }
  // On Demand reports some errors (truncation, bad tokens) only while iterating.
  try {
    return decode_document(doc);
  } catch (const simdjson::simdjson_error& error) {
    return field_error("message", error.what());
  }
}

Result<OrderUpdateMessage> to_order_update(const Execution& execution, const InstrumentSpec& spec) {
  OrderUpdateMessage update;
  update.exchange_order_id = ExchangeOrderId(execution.order_id);
  update.status = execution.order_status;
  if (!update.status) {
    if (execution.exec_type == "canceled") update.status = OrderStatus::kCanceled;
    if (execution.exec_type == "expired") update.status = OrderStatus::kExpired;
    if (execution.exec_type == "filled") update.status = OrderStatus::kFilled;
    if (execution.exec_type == "new") update.status = OrderStatus::kNew;
    if (execution.exec_type == "pending_new") update.status = OrderStatus::kPendingNew;
  }
  if (execution.reason) update.reason = *execution.reason;
  if (execution.timestamp) update.ts = *execution.timestamp;
  const std::string where = "execution of order " + execution.order_id + ": ";
  if (execution.cum_qty) {
    auto cum = spec.parse_qty(*execution.cum_qty);
    if (!cum) return invalid_argument(where + "cum_qty: " + cum.status().message());
    update.cum_qty = *cum;
  }
  if (execution.exec_type != "trade") return update;

  if (!execution.exec_id || !execution.last_qty || !execution.last_price) {
    return invalid_argument(where + "a trade without exec_id, last_qty or last_price");
  }
  FillUpdate fill;
  fill.exec_id = *execution.exec_id;
  fill.trade_id = TradeId(*execution.exec_id);
  auto qty = spec.parse_qty(*execution.last_qty);
  if (!qty) return invalid_argument(where + "last_qty: " + qty.status().message());
  auto price = spec.parse_price(*execution.last_price);
  if (!price) return invalid_argument(where + "last_price: " + price.status().message());
  fill.qty = *qty;
  fill.price = *price;
  fill.liquidity = execution.liquidity.value_or(Liquidity::kTaker);
  fill.fee_currency = spec.quote;
  fill.fee = Money::from_raw(0, spec.cost_precision);
  if (!execution.fees.empty()) {
    // Exact at the precision the text shows (fees can carry more decimals than the cost).
    auto fee = Money::parse(execution.fees.front().qty);
    if (!fee) return invalid_argument(where + "fees[0].qty: " + fee.status().message());
    fill.fee = *fee;
    fill.fee_currency = execution.fees.front().asset;
  }
  update.fill = std::move(fill);
  return update;
}

}  // namespace galfriday::live
