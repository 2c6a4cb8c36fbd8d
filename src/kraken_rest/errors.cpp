#include "galfriday/kraken_rest/errors.hpp"

#include <array>
#include <charconv>

namespace galfriday::kraken_rest {

namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

struct Rule {
  std::string_view category;
  std::string_view message;  // matched exactly after trimming; "" matches any message
  KrakenErrorKind kind;
};

// Order matters only for the catch-all rules (empty message), which come last per category.
constexpr std::array kRules = {
    Rule{"EGeneral", "Invalid arguments", KrakenErrorKind::kInvalidArguments},
    Rule{"EGeneral", "Temporary lockout", KrakenErrorKind::kTemporaryLockout},
    Rule{"EGeneral", "Permission denied", KrakenErrorKind::kPermissionDenied},
    Rule{"EGeneral", "Internal error", KrakenErrorKind::kInternalError},
    Rule{"ETrade", "Invalid request", KrakenErrorKind::kInvalidArguments},
    Rule{"EService", "Unavailable", KrakenErrorKind::kServiceUnavailable},
    Rule{"EService", "Busy", KrakenErrorKind::kServiceUnavailable},
    Rule{"EService", "Deadline elapsed", KrakenErrorKind::kDeadlineElapsed},
    Rule{"EService", "Market in cancel_only mode", KrakenErrorKind::kMarketRestricted},
    Rule{"EService", "Market in post_only mode", KrakenErrorKind::kMarketRestricted},
    Rule{"EService", "Market in limit_only mode", KrakenErrorKind::kMarketRestricted},
    Rule{"EService", "Throttled", KrakenErrorKind::kThrottled},
    Rule{"EAPI", "Invalid key", KrakenErrorKind::kInvalidKey},
    Rule{"EAPI", "Invalid signature", KrakenErrorKind::kInvalidSignature},
    Rule{"EAPI", "Invalid nonce", KrakenErrorKind::kInvalidNonce},
    Rule{"EAPI", "Rate limit exceeded", KrakenErrorKind::kRateLimit},
    Rule{"EAPI", "Feature disabled", KrakenErrorKind::kPermissionDenied},
    Rule{"EAuth", "Rate limit exceeded", KrakenErrorKind::kRateLimit},
    Rule{"EAuth", "Too many requests", KrakenErrorKind::kRateLimit},
    Rule{"EAuth", "Account temporary disabled", KrakenErrorKind::kAccountDisabled},
    Rule{"EAuth", "Account unconfirmed", KrakenErrorKind::kAccountDisabled},
    Rule{"EAccount", "Invalid permissions", KrakenErrorKind::kPermissionDenied},
    Rule{"EQuery", "Unknown asset pair", KrakenErrorKind::kUnknownAssetPair},
    Rule{"EQuery", "Unknown asset", KrakenErrorKind::kUnknownAsset},
    Rule{"EOrder", "Insufficient funds", KrakenErrorKind::kInsufficientFunds},
    Rule{"EOrder", "Order minimum not met", KrakenErrorKind::kOrderMinimum},
    Rule{"EOrder", "Cost minimum not met", KrakenErrorKind::kCostMinimum},
    Rule{"EOrder", "Tick size check failed", KrakenErrorKind::kTickSize},
    Rule{"EOrder", "Invalid price", KrakenErrorKind::kInvalidPrice},
    Rule{"EOrder", "Unknown order", KrakenErrorKind::kUnknownOrder},
    Rule{"EOrder", "Unknown position", KrakenErrorKind::kUnknownPosition},
    Rule{"EOrder", "Rate limit exceeded", KrakenErrorKind::kRateLimit},
    Rule{"EOrder", "Domain rate limit exceeded", KrakenErrorKind::kRateLimit},
    Rule{"EOrder", "Orders limit exceeded", KrakenErrorKind::kOrdersLimit},
    Rule{"EOrder", "Positions limit exceeded", KrakenErrorKind::kOrdersLimit},
    Rule{"EOrder", "Scheduled orders limit exceeded", KrakenErrorKind::kOrdersLimit},
    Rule{"EOrder", "Margin allowance exceeded", KrakenErrorKind::kMargin},
    Rule{"EOrder", "Margin level too low", KrakenErrorKind::kMargin},
    Rule{"EOrder", "Margin position size exceeded", KrakenErrorKind::kMargin},
    Rule{"EOrder", "Insufficient margin", KrakenErrorKind::kMargin},
    Rule{"EOrder", "Cannot open position", KrakenErrorKind::kMargin},
    Rule{"EOrder", "Cannot open opposing position", KrakenErrorKind::kMargin},
    Rule{"EOrder", "Reduce only", KrakenErrorKind::kReduceOnly},
    Rule{"EBM", "limit exceeded", KrakenErrorKind::kOrdersLimit},
    Rule{"EFunding", "", KrakenErrorKind::kFundingError},
};

struct KindTraits {
  StatusCode code;
  bool safe_to_retry;
  bool rate_limited;
  bool outcome_unknown;
};

KindTraits traits_of(KrakenErrorKind kind) {
  using K = KrakenErrorKind;
  switch (kind) {
    case K::kInvalidArguments:
    case K::kInvalidPrice:
    case K::kOrderMinimum:
    case K::kCostMinimum:
    case K::kTickSize:
      return {StatusCode::kInvalidArgument, false, false, false};
    case K::kInsufficientFunds:
    case K::kMargin:
    case K::kReduceOnly:
    case K::kMarketRestricted:
    case K::kFundingError:
    case K::kUnrecognized:
      return {StatusCode::kFailedPrecondition, false, false, false};
    case K::kUnknownOrder:
    case K::kUnknownPosition:
    case K::kUnknownAssetPair:
    case K::kUnknownAsset:
      return {StatusCode::kNotFound, false, false, false};
    case K::kRateLimit:
    case K::kThrottled:
      return {StatusCode::kResourceExhausted, true, true, false};
    case K::kOrdersLimit:
      // Too many open orders/positions: waiting alone does not help.
      return {StatusCode::kResourceExhausted, false, false, false};
    case K::kInvalidNonce:
      // Not executed; a repeat with a larger nonce may pass (another process may share the key).
      return {StatusCode::kFailedPrecondition, true, false, false};
    case K::kInvalidKey:
    case K::kInvalidSignature:
    case K::kPermissionDenied:
    case K::kTemporaryLockout:
    case K::kAccountDisabled:
      return {StatusCode::kPermissionDenied, false, false, false};
    case K::kServiceUnavailable:
      return {StatusCode::kUnavailable, true, false, false};
    case K::kDeadlineElapsed:
      // Kraken rejected the request because its deadline passed before it was processed.
      return {StatusCode::kDeadlineExceeded, true, false, false};
    case K::kInternalError:
      return {StatusCode::kUnavailable, false, false, true};
  }
  return {StatusCode::kFailedPrecondition, false, false, false};
}

}  // namespace

std::string_view to_string(KrakenErrorKind kind) {
  using K = KrakenErrorKind;
  switch (kind) {
    case K::kInvalidArguments:
      return "invalid_arguments";
    case K::kInvalidPrice:
      return "invalid_price";
    case K::kOrderMinimum:
      return "order_minimum";
    case K::kCostMinimum:
      return "cost_minimum";
    case K::kTickSize:
      return "tick_size";
    case K::kInsufficientFunds:
      return "insufficient_funds";
    case K::kMargin:
      return "margin";
    case K::kReduceOnly:
      return "reduce_only";
    case K::kUnknownOrder:
      return "unknown_order";
    case K::kUnknownPosition:
      return "unknown_position";
    case K::kUnknownAssetPair:
      return "unknown_asset_pair";
    case K::kUnknownAsset:
      return "unknown_asset";
    case K::kRateLimit:
      return "rate_limit";
    case K::kThrottled:
      return "throttled";
    case K::kOrdersLimit:
      return "orders_limit";
    case K::kInvalidKey:
      return "invalid_key";
    case K::kInvalidSignature:
      return "invalid_signature";
    case K::kInvalidNonce:
      return "invalid_nonce";
    case K::kPermissionDenied:
      return "permission_denied";
    case K::kTemporaryLockout:
      return "temporary_lockout";
    case K::kAccountDisabled:
      return "account_disabled";
    case K::kServiceUnavailable:
      return "service_unavailable";
    case K::kDeadlineElapsed:
      return "deadline_elapsed";
    case K::kMarketRestricted:
      return "market_restricted";
    case K::kInternalError:
      return "internal_error";
    case K::kFundingError:
      return "funding_error";
    case K::kUnrecognized:
      return "unrecognized";
  }
  return "unrecognized";
}

KrakenError classify_kraken_error(std::string_view text) {
  KrakenError error;
  error.text = std::string(text);
  const size_t first_colon = text.find(':');
  error.category = std::string(trim(text.substr(0, first_colon)));
  if (first_colon != std::string_view::npos) {
    std::string_view rest = text.substr(first_colon + 1);
    const size_t second_colon = rest.find(':');
    error.message = std::string(trim(rest.substr(0, second_colon)));
    if (second_colon != std::string_view::npos)
      error.detail = std::string(trim(rest.substr(second_colon + 1)));
  }
  for (const Rule& rule : kRules) {
    if (rule.category == error.category &&
        (rule.message.empty() || rule.message == error.message)) {
      error.kind = rule.kind;
      break;
    }
  }
  const KindTraits traits = traits_of(error.kind);
  error.code = traits.code;
  error.safe_to_retry = traits.safe_to_retry;
  error.rate_limited = traits.rate_limited;
  error.outcome_unknown = traits.outcome_unknown;
  if (error.kind == KrakenErrorKind::kThrottled && !error.detail.empty()) {
    int64_t when = 0;
    const auto [end, ec] =
        std::from_chars(error.detail.data(), error.detail.data() + error.detail.size(), when);
    if (ec == std::errc{} && end == error.detail.data() + error.detail.size())
      error.retry_at_unix = when;
  }
  return error;
}

Status kraken_errors_status(std::string_view endpoint, const std::vector<KrakenError>& errors) {
  if (errors.empty()) return Status::ok();
  std::string message = "Kraken " + std::string(endpoint) + ": ";
  for (size_t i = 0; i < errors.size(); ++i) {
    if (i > 0) message += "; ";
    message += errors[i].text;
  }
  return Status(errors.front().code, std::move(message));
}

}  // namespace galfriday::kraken_rest
