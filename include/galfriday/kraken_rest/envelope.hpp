#pragma once
// The Kraken REST response envelope: {"error":[...], "result":{...}}. Kraken answers HTTP 200
// for API errors; a non-200 status means the request did not reach Kraken properly.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/status.hpp"
#include "galfriday/kraken_rest/errors.hpp"
#include "galfriday/net/http.hpp"

namespace galfriday::kraken_rest {

struct KrakenEnvelope {
  std::vector<KrakenError> errors;    // the E... entries, in order
  std::vector<std::string> warnings;  // the W... entries, verbatim
  // The raw JSON text of "result" (numbers exactly as sent); nullopt when absent, as in
  // error-only responses.
  std::optional<std::string> result_json;
};

// Parses an envelope. kDataLoss naming `endpoint` when the body is not JSON, is not an
// object, or has an "error" that is not an array of strings.
Result<KrakenEnvelope> parse_kraken_envelope(std::string_view endpoint, std::string_view body);

// The whole check of one REST answer: the HTTP status (429 -> kResourceExhausted, 5xx ->
// kUnavailable, 401/403 -> kPermissionDenied, 404 -> kNotFound, other non-200 ->
// kUnavailable), the envelope, the errors (kraken_errors_status), and the presence of a
// result (kDataLoss when missing). On success the envelope has a result_json.
Result<KrakenEnvelope> check_kraken_response(std::string_view endpoint,
                                             const net::HttpResponse& response);

}  // namespace galfriday::kraken_rest
