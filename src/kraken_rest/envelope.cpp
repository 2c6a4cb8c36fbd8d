#include "galfriday/kraken_rest/envelope.hpp"

#include "json_reader.hpp"

namespace galfriday::kraken_rest {

Result<KrakenEnvelope> parse_kraken_envelope(std::string_view endpoint, std::string_view body) {
  simdjson::padded_string padded(body);
  json::od::parser parser;
  json::od::document doc;
  if (auto error = parser.iterate(padded).get(doc))
    return json::json_error(endpoint, "body", error);
  json::od::object root;
  if (auto error = doc.get_object().get(root))
    return json::json_error(endpoint, "body (expected a JSON object)", error);

  KrakenEnvelope envelope;
  bool saw_error_field = false;
  for (auto field_result : root) {
    if (auto error = field_result.error()) return json::json_error(endpoint, "body", error);
    json::od::field& field = field_result.value_unsafe();
    std::string_view key;
    if (auto error = field.unescaped_key().get(key))
      return json::json_error(endpoint, "body key", error);
    if (key == "error") {
      saw_error_field = true;
      json::od::array entries;
      if (auto error = field.value().get_array().get(entries))
        return json::json_error(endpoint, "error (expected an array of strings)", error);
      for (auto entry_result : entries) {
        std::string_view text;
        if (auto error = entry_result.get_string().get(text))
          return json::json_error(endpoint, "error[] (expected strings)", error);
        if (!text.empty() && text.front() == 'W') {
          envelope.warnings.emplace_back(text);
        } else {
          // Anything not marked as a warning fails the call, even without the 'E' prefix.
          envelope.errors.push_back(classify_kraken_error(text));
        }
      }
    } else if (key == "result") {
      auto raw = json::raw_json(field.value(), endpoint, "result");
      if (!raw) return raw.status();
      envelope.result_json = std::string(*raw);
    }
  }
  GF_RETURN_IF_ERROR(json::expect_end(doc, endpoint));
  if (!saw_error_field) return json::shape_error(endpoint, "body", "no \"error\" field");
  return envelope;
}

namespace {

Status http_status_error(std::string_view endpoint, int status) {
  const std::string message = "Kraken " + std::string(endpoint) + ": HTTP status " +
                              std::to_string(status) +
                              " (the request did not reach Kraken "
                              "properly)";
  if (status == 429) return Status(StatusCode::kResourceExhausted, message);
  if (status == 401 || status == 403) return permission_denied(message);
  if (status == 404) return not_found(message);
  return unavailable(message);
}

}  // namespace

Result<KrakenEnvelope> check_kraken_response(std::string_view endpoint,
                                             const net::HttpResponse& response) {
  auto envelope = parse_kraken_envelope(endpoint, response.body);
  if (response.status != 200) {
    // A gateway may answer with a Kraken envelope (the simulator does); its errors say more.
    if (envelope && !envelope->errors.empty())
      return kraken_errors_status(endpoint, envelope->errors)
          .with_context("HTTP " + std::to_string(response.status));
    return http_status_error(endpoint, response.status);
  }
  if (!envelope) return envelope.status();
  if (!envelope->errors.empty()) return kraken_errors_status(endpoint, envelope->errors);
  if (!envelope->result_json)
    return json::shape_error(endpoint, "body", "no \"result\" and no error");
  return envelope;
}

}  // namespace galfriday::kraken_rest
