#include "galfriday/events/events.hpp"

namespace galfriday {

bool is_terminal(OrderStatus status) {
  return status == OrderStatus::kFilled || status == OrderStatus::kCanceled ||
         status == OrderStatus::kExpired || status == OrderStatus::kRejected;
}

std::optional<double> FeatureVector::get(std::string_view name) const {
  if (!names) return std::nullopt;
  for (size_t i = 0; i < names->size() && i < values.size(); ++i) {
    if ((*names)[i] == name) return values[i];
  }
  return std::nullopt;
}

bool operator==(const FeatureVector& a, const FeatureVector& b) {
  const bool a_empty = !a.names || a.names->empty();
  const bool b_empty = !b.names || b.names->empty();
  if (a_empty || b_empty) return a_empty == b_empty && a.values == b.values;
  return *a.names == *b.names && a.values == b.values;
}

const EventMeta& meta_of(const Event& event) {
  return std::visit([](const auto& e) -> const EventMeta& { return e.meta; }, event);
}

EventMeta& meta_of(Event& event) {
  return std::visit([](auto& e) -> EventMeta& { return e.meta; }, event);
}

namespace {
template <typename T>
struct EventName;
#define GF_EVENT_NAME(Type)                          \
  template <>                                        \
  struct EventName<Type> {                           \
    static constexpr std::string_view value = #Type; \
  }
GF_EVENT_NAME(MarketDataL2Event);
GF_EVENT_NAME(MarketDataTradeEvent);
GF_EVENT_NAME(MarketDataOHLCVEvent);
GF_EVENT_NAME(FeatureEvent);
GF_EVENT_NAME(PredictionEvent);
GF_EVENT_NAME(TradeSignalProposedEvent);
GF_EVENT_NAME(TradeSignalApprovedEvent);
GF_EVENT_NAME(TradeSignalRejectedEvent);
GF_EVENT_NAME(ExecutionReportEvent);
GF_EVENT_NAME(ClosePositionCommand);
GF_EVENT_NAME(SystemStateEvent);
GF_EVENT_NAME(PotentialHaltTriggerEvent);
GF_EVENT_NAME(SystemErrorEvent);
GF_EVENT_NAME(LogEvent);
GF_EVENT_NAME(HealthSignalEvent);
GF_EVENT_NAME(OperatorCommandEvent);
#undef GF_EVENT_NAME
}  // namespace

std::string_view event_type_name(const Event& event) {
  return std::visit([](const auto& e) { return EventName<std::decay_t<decltype(e)>>::value; },
                    event);
}

std::string_view to_string(Side side) { return side == Side::kBuy ? "buy" : "sell"; }

std::string_view to_string(OrderType type) {
  switch (type) {
    case OrderType::kMarket:
      return "market";
    case OrderType::kLimit:
      return "limit";
    case OrderType::kStopLoss:
      return "stop-loss";
    case OrderType::kTakeProfit:
      return "take-profit";
  }
  return "?";
}

std::string_view to_string(OrderStatus status) {
  switch (status) {
    case OrderStatus::kPendingNew:
      return "pending_new";
    case OrderStatus::kNew:
      return "new";
    case OrderStatus::kPartiallyFilled:
      return "partially_filled";
    case OrderStatus::kFilled:
      return "filled";
    case OrderStatus::kCanceled:
      return "canceled";
    case OrderStatus::kExpired:
      return "expired";
    case OrderStatus::kRejected:
      return "rejected";
  }
  return "?";
}

std::string_view to_string(OrderPurpose purpose) {
  switch (purpose) {
    case OrderPurpose::kEntry:
      return "entry";
    case OrderPurpose::kStopLoss:
      return "stop_loss";
    case OrderPurpose::kTakeProfit:
      return "take_profit";
    case OrderPurpose::kExit:
      return "exit";
  }
  return "?";
}

std::string_view to_string(Liquidity liquidity) {
  return liquidity == Liquidity::kMaker ? "maker" : "taker";
}

std::string_view to_string(SystemState state) {
  switch (state) {
    case SystemState::kRunning:
      return "RUNNING";
    case SystemState::kHalted:
      return "HALTED";
    case SystemState::kStopping:
      return "STOPPING";
  }
  return "?";
}

std::string_view to_string(HaltAction action) {
  return action == HaltAction::kMaintainPositions ? "maintain" : "close";
}

std::string_view to_string(LogSeverity severity) {
  switch (severity) {
    case LogSeverity::kDebug:
      return "debug";
    case LogSeverity::kInfo:
      return "info";
    case LogSeverity::kWarning:
      return "warning";
    case LogSeverity::kError:
      return "error";
    case LogSeverity::kCritical:
      return "critical";
  }
  return "?";
}

std::string_view to_string(RejectReason reason) {
  switch (reason) {
    case RejectReason::kHalted:
      return "halted";
    case RejectReason::kUnknownInstrument:
      return "unknown_instrument";
    case RejectReason::kInvalidSignal:
      return "invalid_signal";
    case RejectReason::kNoMarketPrice:
      return "no_market_price";
    case RejectReason::kFatFinger:
      return "fat_finger";
    case RejectReason::kInvalidStopLoss:
      return "invalid_stop_loss";
    case RejectReason::kPositionTooSmall:
      return "position_too_small";
    case RejectReason::kMaxOrderValue:
      return "max_order_value";
    case RejectReason::kExposureLimit:
      return "exposure_limit";
    case RejectReason::kInsufficientBalance:
      return "insufficient_balance";
    case RejectReason::kDrawdownLimit:
      return "drawdown_limit";
    case RejectReason::kConsecutiveLosses:
      return "consecutive_losses";
    case RejectReason::kExistingPosition:
      return "existing_position";
  }
  return "?";
}

std::string_view to_string(HealthSignal signal) {
  switch (signal) {
    case HealthSignal::kApiError:
      return "api_error";
    case HealthSignal::kBalanceQueryFailed:
      return "balance_query_failed";
    case HealthSignal::kBalanceQuerySucceeded:
      return "balance_query_succeeded";
    case HealthSignal::kChecksumFailure:
      return "checksum_failure";
    case HealthSignal::kPersistencePressure:
      return "persistence_pressure";
  }
  return "?";
}

}  // namespace galfriday
