#pragma once
// Every event of the trading pipeline and of the control plane. Events are immutable value
// types: a producer fills one in and publishes it; the bus stamps the sequence number.
// Prices, quantities and money are exact fixed-point values; features and model outputs are
// doubles. One status vocabulary (OrderStatus) is used everywhere an order's state appears.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "galfriday/core/fixed_point.hpp"
#include "galfriday/core/ids.hpp"
#include "galfriday/core/time.hpp"

namespace galfriday {

// Common to every event. sequence is assigned by the bus when the event enters the engine
// queue (dispatch order); ts_event is when it happened at the source (exchange time for
// market data), ts_init when this process created the event.
struct EventMeta {
  uint64_t sequence = 0;
  Timestamp ts_event{};
  Timestamp ts_init{};
  friend bool operator==(const EventMeta&, const EventMeta&) = default;
};

enum class Side { kBuy, kSell };
enum class OrderType { kMarket, kLimit, kStopLoss, kTakeProfit };
// Kraken's order statuses (WS v2 executions), plus rejected for orders the exchange refused.
enum class OrderStatus {
  kPendingNew,
  kNew,
  kPartiallyFilled,
  kFilled,
  kCanceled,
  kExpired,
  kRejected
};
// Why an order exists: entries come from approved signals, the rest manage a position.
enum class OrderPurpose { kEntry, kStopLoss, kTakeProfit, kExit };
enum class Liquidity { kMaker, kTaker };
enum class SystemState { kRunning, kHalted, kStopping };
// What a halt does with open positions (monitoring config halt.position_behavior).
enum class HaltAction { kMaintainPositions, kClosePositions };
enum class LogSeverity { kDebug, kInfo, kWarning, kError, kCritical };
// Reasons a risk check rejects a signal; each has a message with the numbers involved.
enum class RejectReason {
  kHalted,
  kUnknownInstrument,
  kInvalidSignal,
  kNoMarketPrice,
  kFatFinger,
  kInvalidStopLoss,
  kPositionTooSmall,
  kMaxOrderValue,
  kExposureLimit,
  kInsufficientBalance,
  kDrawdownLimit,
  kConsecutiveLosses,
  kExistingPosition,
};

bool is_terminal(OrderStatus status);

struct BookLevel {
  Price price;
  Quantity qty;
  friend bool operator==(const BookLevel&, const BookLevel&) = default;
};

// Top of the L2 book after a snapshot or an update was applied and its checksum verified.
struct MarketDataL2Event {
  EventMeta meta;
  InstrumentId instrument;
  std::vector<BookLevel> bids;  // best (highest) first
  std::vector<BookLevel> asks;  // best (lowest) first
  bool is_snapshot = false;
  std::optional<uint32_t> checksum;  // Kraken CRC32 of the top 10 levels
  friend bool operator==(const MarketDataL2Event&, const MarketDataL2Event&) = default;
};

struct MarketDataTradeEvent {
  EventMeta meta;
  InstrumentId instrument;
  Price price;
  Quantity qty;
  Side aggressor = Side::kBuy;  // the taker's side
  TradeId trade_id;
  friend bool operator==(const MarketDataTradeEvent&, const MarketDataTradeEvent&) = default;
};

// A closed bar: published once its interval has ended. meta.ts_event is the bar's close time
// (bar_start + interval), which is when its values became known.
struct MarketDataOHLCVEvent {
  EventMeta meta;
  InstrumentId instrument;
  Timestamp bar_start{};
  Duration interval{};
  Price open;
  Price high;
  Price low;
  Price close;
  Quantity volume;
  int64_t trade_count = 0;
  friend bool operator==(const MarketDataOHLCVEvent&, const MarketDataOHLCVEvent&) = default;
};

// Named feature values; the names are shared between events of one engine (same order).
struct FeatureVector {
  std::shared_ptr<const std::vector<std::string>> names;
  std::vector<double> values;

  // nullopt when the feature is not in this vector.
  std::optional<double> get(std::string_view name) const;
  friend bool operator==(const FeatureVector& a, const FeatureVector& b);
};

struct FeatureEvent {
  EventMeta meta;
  InstrumentId instrument;
  FeatureVector features;
  friend bool operator==(const FeatureEvent&, const FeatureEvent&) = default;
};

struct PredictionEvent {
  EventMeta meta;
  InstrumentId instrument;
  std::string model_id;
  std::string target;  // what value estimates, e.g. "prob_price_up"
  double value = 0.0;  // for probability targets, in [0, 1]
  std::optional<double> confidence;
  uint64_t feature_event_sequence = 0;  // the FeatureEvent it was computed from
  FeatureVector features;               // inputs, for confirmation rules and audit
  friend bool operator==(const PredictionEvent&, const PredictionEvent&) = default;
};

struct TradeSignalProposedEvent {
  EventMeta meta;
  SignalId signal_id;
  InstrumentId instrument;
  std::string strategy_id;
  Side side = Side::kBuy;
  OrderType entry_type = OrderType::kMarket;  // kMarket or kLimit
  std::optional<Price> limit_price;           // required for kLimit
  Price reference_price;                      // market price the strategy saw
  Price stop_loss;
  std::optional<Price> take_profit;
  uint64_t prediction_sequence = 0;
  double prediction_value = 0.0;
  friend bool operator==(const TradeSignalProposedEvent&,
                         const TradeSignalProposedEvent&) = default;
};

// The risk manager's sized approval of a proposed signal: the execution handler's only input
// for new entries.
struct TradeSignalApprovedEvent {
  EventMeta meta;
  SignalId signal_id;
  InstrumentId instrument;
  std::string strategy_id;
  Side side = Side::kBuy;
  OrderType order_type = OrderType::kMarket;
  Quantity quantity;
  std::optional<Price> limit_price;
  Price stop_loss;
  std::optional<Price> take_profit;
  Money risk_amount;  // valuation currency lost if the stop is hit
  friend bool operator==(const TradeSignalApprovedEvent&,
                         const TradeSignalApprovedEvent&) = default;
};

struct TradeSignalRejectedEvent {
  EventMeta meta;
  SignalId signal_id;
  InstrumentId instrument;
  Side side = Side::kBuy;
  RejectReason reason = RejectReason::kInvalidSignal;
  std::string message;  // human-readable, with the numbers that failed
  friend bool operator==(const TradeSignalRejectedEvent&,
                         const TradeSignalRejectedEvent&) = default;
};

// One fill of an order.
struct Fill {
  TradeId trade_id;
  Price price;
  Quantity qty;
  Money fee;
  std::string fee_currency;
  Liquidity liquidity = Liquidity::kTaker;
  friend bool operator==(const Fill&, const Fill&) = default;
};

// The state of one order after a change: acknowledgement, fill, cancel, reject. The same
// type comes from the live Kraken handler and the simulated exchange.
struct ExecutionReportEvent {
  EventMeta meta;
  InstrumentId instrument;
  ClientOrderId client_order_id;
  std::optional<ExchangeOrderId> exchange_order_id;
  std::optional<SignalId> signal_id;
  OrderPurpose purpose = OrderPurpose::kEntry;
  OrderStatus status = OrderStatus::kNew;
  OrderType order_type = OrderType::kMarket;
  Side side = Side::kBuy;
  Quantity quantity_ordered;
  Quantity quantity_filled;  // cumulative
  std::optional<Price> average_fill_price;
  std::optional<Price> limit_price;
  std::optional<Price> stop_price;
  std::optional<Fill> last_fill;  // present when this report carries a new fill
  std::string message;            // reject or cancel reason
  friend bool operator==(const ExecutionReportEvent&, const ExecutionReportEvent&) = default;
};

// Close (part of) an open position now, e.g. strategy exit or halt with close_positions.
struct ClosePositionCommand {
  EventMeta meta;
  InstrumentId instrument;
  std::optional<Quantity> quantity;  // nullopt: the whole position
  std::string reason;
  std::string requested_by;  // component or operator
  friend bool operator==(const ClosePositionCommand&, const ClosePositionCommand&) = default;
};

// RUNNING / HALTED / STOPPING, published by the HaltCoordinator (module monitoring). On HALTED
// the risk manager rejects new signals and every execution handler refuses new entries and
// cancels its open entry orders (protective stop-loss/take-profit orders stay); positions are
// closed through ClosePositionCommand when halt_action is kClosePositions.
struct SystemStateEvent {
  EventMeta meta;
  SystemState state = SystemState::kRunning;
  std::string reason;
  std::optional<HaltAction> halt_action;
  friend bool operator==(const SystemStateEvent&, const SystemStateEvent&) = default;
};

// A condition that may warrant a halt; MonitoringService decides.
struct PotentialHaltTriggerEvent {
  EventMeta meta;
  std::string source;
  std::string reason;
  bool critical = false;  // critical triggers halt at once
  friend bool operator==(const PotentialHaltTriggerEvent&,
                         const PotentialHaltTriggerEvent&) = default;
};

struct SystemErrorEvent {
  EventMeta meta;
  std::string source;
  std::string message;
  bool critical = false;
  friend bool operator==(const SystemErrorEvent&, const SystemErrorEvent&) = default;
};

// Something MonitoringService counts toward a halt condition, reported by the component that
// saw it (often from an I/O thread, through PubSubManager::post).
enum class HealthSignal {
  kApiError,               // an exchange API call failed (error reply, transport failure)
  kBalanceQueryFailed,     // a balance query failed
  kBalanceQuerySucceeded,  // a balance query answered (ends a run of failures)
  kChecksumFailure,        // an order book failed its checksum (instrument set)
  kPersistencePressure,    // the database write queue's fill ratio (value, 0..1)
};

struct HealthSignalEvent {
  EventMeta meta;
  HealthSignal signal = HealthSignal::kApiError;
  std::string source;  // "kraken_rest", "feed", "async_writer"
  std::optional<InstrumentId> instrument;
  double value = 0.0;  // kPersistencePressure: queue fill ratio; otherwise 0
  std::string detail;
  friend bool operator==(const HealthSignalEvent&, const HealthSignalEvent&) = default;
};

// An operator's command (console, `galfriday ctl`, dashboard), executed on the engine thread by
// the CLI service. request_id pairs it with the requester waiting for the reply; 0 when nobody
// waits (and for commands read back from the event log).
struct OperatorCommandEvent {
  EventMeta meta;
  uint64_t request_id = 0;
  std::string command;  // "status", "halt", ...
  std::vector<std::string> args;
  std::string requested_by;  // "console", "ctl", "dashboard"
  friend bool operator==(const OperatorCommandEvent&, const OperatorCommandEvent&) = default;
};

struct LogEvent {
  EventMeta meta;
  LogSeverity severity = LogSeverity::kInfo;
  std::string source;
  std::string message;
  friend bool operator==(const LogEvent&, const LogEvent&) = default;
};

// The closed set of events the bus carries. Order matters only for serialisation names.
using Event = std::variant<MarketDataL2Event, MarketDataTradeEvent, MarketDataOHLCVEvent,
                           FeatureEvent, PredictionEvent, TradeSignalProposedEvent,
                           TradeSignalApprovedEvent, TradeSignalRejectedEvent, ExecutionReportEvent,
                           ClosePositionCommand, SystemStateEvent, PotentialHaltTriggerEvent,
                           SystemErrorEvent, LogEvent, HealthSignalEvent, OperatorCommandEvent>;

inline constexpr size_t kEventTypeCount = std::variant_size_v<Event>;

// Index of E in Event, at compile time.
template <typename E, size_t I = 0>
constexpr size_t event_index() {
  static_assert(I < kEventTypeCount, "not an event type");
  if constexpr (std::is_same_v<std::variant_alternative_t<I, Event>, E>) {
    return I;
  } else {
    return event_index<E, I + 1>();
  }
}

const EventMeta& meta_of(const Event& event);
EventMeta& meta_of(Event& event);

// "MarketDataOHLCVEvent" etc.
std::string_view event_type_name(const Event& event);

std::string_view to_string(Side side);
std::string_view to_string(OrderType type);
std::string_view to_string(OrderStatus status);
std::string_view to_string(OrderPurpose purpose);
std::string_view to_string(Liquidity liquidity);
std::string_view to_string(SystemState state);
std::string_view to_string(HaltAction action);
std::string_view to_string(LogSeverity severity);
std::string_view to_string(RejectReason reason);
std::string_view to_string(HealthSignal signal);

}  // namespace galfriday
