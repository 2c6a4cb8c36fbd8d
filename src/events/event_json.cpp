#include "galfriday/events/event_json.hpp"

#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>

namespace galfriday {
namespace {

// ordered_json keeps keys in insertion order, so feature names survive a round trip in order.
using Json = nlohmann::ordered_json;

// How many values each serialised enum has; the JSON form is its to_string() text.
template <typename E>
constexpr int kEnumSize = 0;
template <>
constexpr int kEnumSize<Side> = 2;
template <>
constexpr int kEnumSize<OrderType> = 4;
template <>
constexpr int kEnumSize<OrderStatus> = 7;
template <>
constexpr int kEnumSize<OrderPurpose> = 4;
template <>
constexpr int kEnumSize<Liquidity> = 2;
template <>
constexpr int kEnumSize<SystemState> = 3;
template <>
constexpr int kEnumSize<HaltAction> = 2;
template <>
constexpr int kEnumSize<LogSeverity> = 5;
template <>
constexpr int kEnumSize<RejectReason> = 13;
template <>
constexpr int kEnumSize<HealthSignal> = 5;

template <typename T>
struct IsFixedPoint : std::false_type {};
template <typename Tag>
struct IsFixedPoint<FixedPoint<Tag>> : std::true_type {};
template <typename T>
struct IsStrongId : std::false_type {};
template <typename Tag>
struct IsStrongId<StrongId<Tag>> : std::true_type {};
template <typename T>
struct IsOptional : std::false_type {};
template <typename T>
struct IsOptional<std::optional<T>> : std::true_type {};
template <typename T>
struct IsVector : std::false_type {};
template <typename T>
struct IsVector<std::vector<T>> : std::true_type {};

// The fields of each event and nested value, listed once and used in both directions.
template <typename V>
void fields(V& v, BookLevel& e) {
  v("price", e.price);
  v("qty", e.qty);
}
template <typename V>
void fields(V& v, Fill& e) {
  v("trade_id", e.trade_id);
  v("price", e.price);
  v("qty", e.qty);
  v("fee", e.fee);
  v("fee_currency", e.fee_currency);
  v("liquidity", e.liquidity);
}
template <typename V>
void fields(V& v, MarketDataL2Event& e) {
  v("instrument", e.instrument);
  v("bids", e.bids);
  v("asks", e.asks);
  v("is_snapshot", e.is_snapshot);
  v("checksum", e.checksum);
}
template <typename V>
void fields(V& v, MarketDataTradeEvent& e) {
  v("instrument", e.instrument);
  v("price", e.price);
  v("qty", e.qty);
  v("aggressor", e.aggressor);
  v("trade_id", e.trade_id);
}
template <typename V>
void fields(V& v, MarketDataOHLCVEvent& e) {
  v("instrument", e.instrument);
  v("bar_start", e.bar_start);
  v("interval", e.interval);
  v("open", e.open);
  v("high", e.high);
  v("low", e.low);
  v("close", e.close);
  v("volume", e.volume);
  v("trade_count", e.trade_count);
}
template <typename V>
void fields(V& v, FeatureEvent& e) {
  v("instrument", e.instrument);
  v("features", e.features);
}
template <typename V>
void fields(V& v, PredictionEvent& e) {
  v("instrument", e.instrument);
  v("model_id", e.model_id);
  v("target", e.target);
  v("value", e.value);
  v("confidence", e.confidence);
  v("feature_event_sequence", e.feature_event_sequence);
  v("features", e.features);
}
template <typename V>
void fields(V& v, TradeSignalProposedEvent& e) {
  v("signal_id", e.signal_id);
  v("instrument", e.instrument);
  v("strategy_id", e.strategy_id);
  v("side", e.side);
  v("entry_type", e.entry_type);
  v("limit_price", e.limit_price);
  v("reference_price", e.reference_price);
  v("stop_loss", e.stop_loss);
  v("take_profit", e.take_profit);
  v("prediction_sequence", e.prediction_sequence);
  v("prediction_value", e.prediction_value);
}
template <typename V>
void fields(V& v, TradeSignalApprovedEvent& e) {
  v("signal_id", e.signal_id);
  v("instrument", e.instrument);
  v("strategy_id", e.strategy_id);
  v("side", e.side);
  v("order_type", e.order_type);
  v("quantity", e.quantity);
  v("limit_price", e.limit_price);
  v("stop_loss", e.stop_loss);
  v("take_profit", e.take_profit);
  v("risk_amount", e.risk_amount);
}
template <typename V>
void fields(V& v, TradeSignalRejectedEvent& e) {
  v("signal_id", e.signal_id);
  v("instrument", e.instrument);
  v("side", e.side);
  v("reason", e.reason);
  v("message", e.message);
}
template <typename V>
void fields(V& v, ExecutionReportEvent& e) {
  v("instrument", e.instrument);
  v("client_order_id", e.client_order_id);
  v("exchange_order_id", e.exchange_order_id);
  v("signal_id", e.signal_id);
  v("purpose", e.purpose);
  v("status", e.status);
  v("order_type", e.order_type);
  v("side", e.side);
  v("quantity_ordered", e.quantity_ordered);
  v("quantity_filled", e.quantity_filled);
  v("average_fill_price", e.average_fill_price);
  v("limit_price", e.limit_price);
  v("stop_price", e.stop_price);
  v("last_fill", e.last_fill);
  v("message", e.message);
}
template <typename V>
void fields(V& v, ClosePositionCommand& e) {
  v("instrument", e.instrument);
  v("quantity", e.quantity);
  v("reason", e.reason);
  v("requested_by", e.requested_by);
}
template <typename V>
void fields(V& v, SystemStateEvent& e) {
  v("state", e.state);
  v("reason", e.reason);
  v("halt_action", e.halt_action);
}
template <typename V>
void fields(V& v, PotentialHaltTriggerEvent& e) {
  v("source", e.source);
  v("reason", e.reason);
  v("critical", e.critical);
}
template <typename V>
void fields(V& v, SystemErrorEvent& e) {
  v("source", e.source);
  v("message", e.message);
  v("critical", e.critical);
}
template <typename V>
void fields(V& v, LogEvent& e) {
  v("severity", e.severity);
  v("source", e.source);
  v("message", e.message);
}
template <typename V>
void fields(V& v, HealthSignalEvent& e) {
  v("signal", e.signal);
  v("source", e.source);
  v("instrument", e.instrument);
  v("value", e.value);
  v("detail", e.detail);
}
template <typename V>
void fields(V& v, OperatorCommandEvent& e) {
  v("request_id", e.request_id);
  v("command", e.command);
  v("args", e.args);
  v("requested_by", e.requested_by);
}

class Writer {
 public:
  explicit Writer(Json& out) : out_(out) {}

  template <typename T>
  void operator()(const char* name, const T& value) {
    if constexpr (IsOptional<T>::value) {
      if (!value) return;  // absent optionals are omitted
      out_[name] = encode(*value);
    } else {
      out_[name] = encode(value);
    }
  }

  template <typename T>
  static Json encode(const T& value) {
    if constexpr (IsFixedPoint<T>::value) {
      return value.to_string();
    } else if constexpr (IsStrongId<T>::value) {
      return value.str();
    } else if constexpr (std::is_same_v<T, Timestamp>) {
      return format_iso8601(value);
    } else if constexpr (std::is_same_v<T, Duration>) {
      return value.count();
    } else if constexpr (std::is_enum_v<T>) {
      return std::string(to_string(value));
    } else if constexpr (IsVector<T>::value) {
      Json array = Json::array();
      for (const auto& item : value) array.push_back(encode(item));
      return array;
    } else if constexpr (std::is_same_v<T, FeatureVector>) {
      Json object = Json::object();
      if (value.names) {
        for (size_t i = 0; i < value.names->size() && i < value.values.size(); ++i) {
          object[(*value.names)[i]] = value.values[i];
        }
      }
      return object;
    } else if constexpr (std::is_class_v<T> && !std::is_same_v<T, std::string>) {
      Json object = Json::object();
      Writer writer(object);
      // fields() takes a mutable reference so one listing serves reading too; the writer
      // only reads through it.
      fields(writer, const_cast<T&>(value));
      return object;
    } else {
      return value;
    }
  }

 private:
  Json& out_;
};

class Reader {
 public:
  Reader(const Json& in, std::string path) : in_(in), path_(std::move(path)) {}

  const Status& status() const { return status_; }

  template <typename T>
  void operator()(const char* name, T& value) {
    if (!status_.is_ok()) return;
    const std::string path = path_.empty() ? name : path_ + "." + name;
    const auto it = in_.find(name);
    if constexpr (IsOptional<T>::value) {
      if (it == in_.end() || it->is_null()) {
        value.reset();
        return;
      }
      typename T::value_type inner{};
      status_ = decode(*it, inner, path);
      if (status_.is_ok()) value = std::move(inner);
    } else {
      if (it == in_.end()) {
        status_ = invalid_argument("missing field '" + path + "'");
        return;
      }
      status_ = decode(*it, value, path);
    }
  }

  template <typename T>
  static Status decode(const Json& j, T& value, const std::string& path) {
    auto wrong = [&](std::string_view expected) {
      return invalid_argument("field '" + path + "': expected " + std::string(expected) + ", got " +
                              j.dump().substr(0, 64));
    };
    if constexpr (IsFixedPoint<T>::value) {
      if (!j.is_string()) return wrong("a decimal string");
      auto parsed = T::parse(j.get<std::string>());
      if (!parsed) return parsed.status().with_context("field '" + path + "'");
      value = *parsed;
    } else if constexpr (IsStrongId<T>::value) {
      if (!j.is_string()) return wrong("a string id");
      value = T(j.get<std::string>());
    } else if constexpr (std::is_same_v<T, Timestamp>) {
      if (!j.is_string()) return wrong("an RFC 3339 timestamp");
      auto parsed = parse_iso8601(j.get<std::string>());
      if (!parsed) return parsed.status().with_context("field '" + path + "'");
      value = *parsed;
    } else if constexpr (std::is_same_v<T, Duration>) {
      if (!j.is_number_integer()) return wrong("nanoseconds as an integer");
      value = Duration(j.get<int64_t>());
    } else if constexpr (std::is_enum_v<T>) {
      if (!j.is_string()) return wrong("a string");
      const auto text = j.get<std::string>();
      for (int i = 0; i < kEnumSize<T>; ++i) {
        if (to_string(static_cast<T>(i)) == text) {
          value = static_cast<T>(i);
          return Status::ok();
        }
      }
      return wrong("a known value");
    } else if constexpr (IsVector<T>::value) {
      if (!j.is_array()) return wrong("an array");
      value.clear();
      for (size_t i = 0; i < j.size(); ++i) {
        typename T::value_type item{};
        GF_RETURN_IF_ERROR(decode(j[i], item, path + "[" + std::to_string(i) + "]"));
        value.push_back(std::move(item));
      }
    } else if constexpr (std::is_same_v<T, FeatureVector>) {
      if (!j.is_object()) return wrong("an object of feature values");
      auto names = std::make_shared<std::vector<std::string>>();
      value.values.clear();
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!it->is_number()) return wrong("numeric feature values");
        names->push_back(it.key());
        value.values.push_back(it->get<double>());
      }
      value.names = std::move(names);
    } else if constexpr (std::is_same_v<T, std::string>) {
      if (!j.is_string()) return wrong("a string");
      value = j.get<std::string>();
    } else if constexpr (std::is_same_v<T, bool>) {
      if (!j.is_boolean()) return wrong("true or false");
      value = j.get<bool>();
    } else if constexpr (std::is_integral_v<T>) {
      if (!j.is_number_integer()) return wrong("an integer");
      if constexpr (std::is_unsigned_v<T>) {
        if (j.is_number_unsigned() || j.get<int64_t>() >= 0) {
          const auto number = j.get<uint64_t>();
          if (number > std::numeric_limits<T>::max()) return wrong("a smaller integer");
          value = static_cast<T>(number);
        } else {
          return wrong("a non-negative integer");
        }
      } else {
        value = j.get<T>();
      }
    } else if constexpr (std::is_floating_point_v<T>) {
      if (!j.is_number()) return wrong("a number");
      value = j.get<T>();
    } else {
      if (!j.is_object()) return wrong("an object");
      Reader reader(j, path);
      fields(reader, value);
      return reader.status();
    }
    return Status::ok();
  }

 private:
  const Json& in_;
  std::string path_;
  Status status_;
};

template <size_t I = 0>
Result<Event> make_event_named(std::string_view type) {
  if constexpr (I == kEventTypeCount) {
    return invalid_argument("unknown event type '" + std::string(type) + "'");
  } else {
    Event candidate{std::in_place_index<I>};
    if (event_type_name(candidate) == type) return candidate;
    return make_event_named<I + 1>(type);
  }
}

}  // namespace

std::string event_to_json(const Event& event) {
  Json out = Json::object();
  out["type"] = std::string(event_type_name(event));
  const EventMeta& meta = meta_of(event);
  out["sequence"] = meta.sequence;
  out["ts_event"] = format_iso8601(meta.ts_event);
  out["ts_init"] = format_iso8601(meta.ts_init);
  std::visit(
      [&](const auto& e) {
        Writer writer(out);
        using E = std::decay_t<decltype(e)>;
        fields(writer, const_cast<E&>(e));  // read-only use, see Writer::encode
      },
      event);
  return out.dump();
}

Result<Event> event_from_json(std::string_view json) {
  Json in = Json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded()) return invalid_argument("event is not valid JSON");
  if (!in.is_object()) return invalid_argument("event JSON must be an object");
  const auto type_it = in.find("type");
  if (type_it == in.end() || !type_it->is_string()) {
    return invalid_argument("missing field 'type'");
  }
  auto event = make_event_named(type_it->get<std::string>());
  if (!event) return event.status();
  EventMeta& meta = meta_of(*event);
  Reader reader(in, "");
  reader("sequence", meta.sequence);
  reader("ts_event", meta.ts_event);
  reader("ts_init", meta.ts_init);
  std::visit([&](auto& e) { fields(reader, e); }, *event);
  if (!reader.status().is_ok()) return reader.status();
  return std::move(*event);
}

}  // namespace galfriday
