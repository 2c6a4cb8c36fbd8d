#pragma once
// The Kraken REST error vocabulary (../shared/kraken/PROTOCOL.md §2, docs.kraken.com
// spot-errors and spot-rest-ratelimits) mapped to our StatusCode, with what a caller may do
// about each error. Used by the public client here and by the private (signed) calls in `live`.
//
// Kraken error strings are "<severity><category>:<message>[:<detail>]": severity E (error) or
// W (warning), e.g. "EOrder:Invalid price:XXBTZEUR price can only be specified up to 1
// decimals." A response fails when any entry starts with 'E'; warnings ride along a result.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"

namespace galfriday::kraken_rest {

enum class KrakenErrorKind {
  kInvalidArguments,    // EGeneral:Invalid arguments[:field], ETrade:Invalid request
  kInvalidPrice,        // EOrder:Invalid price[:detail]
  kOrderMinimum,        // EOrder:Order minimum not met
  kCostMinimum,         // EOrder:Cost minimum not met
  kTickSize,            // EOrder:Tick size check failed
  kInsufficientFunds,   // EOrder:Insufficient funds
  kMargin,              // EOrder:Margin *, Insufficient margin, Cannot open (opposing) position
  kReduceOnly,          // EOrder:Reduce only:*
  kUnknownOrder,        // EOrder:Unknown order
  kUnknownPosition,     // EOrder:Unknown position
  kUnknownAssetPair,    // EQuery:Unknown asset pair
  kUnknownAsset,        // EQuery:Unknown asset
  kRateLimit,           // EAPI:Rate limit exceeded, EOrder:Rate limit exceeded, EAuth:Rate limit
                        // exceeded, EAuth:Too many requests, EOrder:Domain rate limit exceeded
  kThrottled,           // EService: Throttled: <unix time> (too many concurrent requests)
  kOrdersLimit,         // EOrder:Orders limit exceeded, Positions/Scheduled orders limit
                        // exceeded, EBM:limit exceeded:CAL
  kInvalidKey,          // EAPI:Invalid key
  kInvalidSignature,    // EAPI:Invalid signature
  kInvalidNonce,        // EAPI:Invalid nonce
  kPermissionDenied,    // EGeneral:Permission denied, EAccount:Invalid permissions
  kTemporaryLockout,    // EGeneral:Temporary lockout (after repeated invalid keys)
  kAccountDisabled,     // EAuth:Account temporary disabled, EAuth:Account unconfirmed
  kServiceUnavailable,  // EService:Unavailable, EService:Busy
  kDeadlineElapsed,     // EService:Deadline elapsed (the request's deadline passed unprocessed)
  kMarketRestricted,    // EService:Market in cancel_only / post_only / limit_only mode
  kInternalError,       // EGeneral:Internal error[:code]: the outcome is unknown
  kFundingError,        // EFunding:* (e.g. Max fee exceeded)
  kUnrecognized,        // any other E... text: treated as a rejection we cannot classify
};

std::string_view to_string(KrakenErrorKind kind);

struct KrakenError {
  std::string text;      // verbatim, "EOrder:Invalid price:XXBTZEUR price can only ..."
  std::string category;  // with the severity letter: "EOrder", "EAPI", "EService"
  std::string message;   // "Invalid price"
  std::string detail;    // after the message's ':' ("XXBTZEUR price can only ..."), or empty
  KrakenErrorKind kind = KrakenErrorKind::kUnrecognized;
  StatusCode code = StatusCode::kFailedPrecondition;
  // The request was certainly not executed, and repeating it later (after a backoff; with a
  // fresh nonce for kInvalidNonce) may succeed. False for kInternalError: the exchange may have
  // acted, so a side-effecting call must query before repeating.
  bool safe_to_retry = false;
  // A rate or concurrency limit: slow down before the next call.
  bool rate_limited = false;
  // Whether the request's side effect (an order) may have happened anyway.
  bool outcome_unknown = false;
  // kThrottled: the Unix time (seconds) Kraken asks to wait until, when given.
  std::optional<int64_t> retry_at_unix;
};

// Classifies one error string (with severity E). Never fails: unknown text is kUnrecognized.
KrakenError classify_kraken_error(std::string_view text);

// The Status for a failed call: the first error's code, and a message naming the endpoint and
// every error verbatim ("Kraken AddOrder: EOrder:Insufficient funds").
Status kraken_errors_status(std::string_view endpoint, const std::vector<KrakenError>& errors);

}  // namespace galfriday::kraken_rest
