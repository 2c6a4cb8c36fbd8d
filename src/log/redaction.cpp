// SecretRedactor and RedactingSink.

#include <algorithm>
#include <cctype>
#include <exception>
#include <utility>

#include "galfriday/core/encoding.hpp"
#include "galfriday/log/logger.hpp"

namespace galfriday::logging {
namespace {}  // namespace

void SecretRedactor::add_secret(std::string secret) {
  if (secret.size() < kMinSecretLength) return;
  std::string upper = percent_encode(secret, HexCase::kUpper);
  std::string lower = percent_encode(secret, HexCase::kLower);

  std::unique_lock lock(mutex_);
  for (std::string* form : {&secret, &upper, &lower}) {
    if (std::find(patterns_.begin(), patterns_.end(), *form) == patterns_.end()) {
      patterns_.push_back(std::move(*form));
    }
  }
  std::stable_sort(patterns_.begin(), patterns_.end(),
                   [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string SecretRedactor::redact(std::string_view text) const {
  // Half-open byte ranges [first, second) of text covered by some secret. Replacing the union
  // of all matches, rather than one secret after another, leaves no fragment of a secret that
  // overlaps another.
  std::vector<std::pair<size_t, size_t>> spans;
  {
    std::shared_lock lock(mutex_);
    for (const std::string& pattern : patterns_) {
      // Step by one byte so overlapping occurrences of the same secret are found too.
      for (size_t pos = text.find(pattern); pos != std::string_view::npos;
           pos = text.find(pattern, pos + 1)) {
        spans.emplace_back(pos, pos + pattern.size());
      }
    }
  }
  if (spans.empty()) return std::string(text);

  std::sort(spans.begin(), spans.end());
  std::string redacted;
  redacted.reserve(text.size());
  size_t copied_up_to = 0;
  for (size_t i = 0; i < spans.size();) {
    const size_t begin = spans[i].first;
    size_t end = spans[i].second;
    for (++i; i < spans.size() && spans[i].first <= end; ++i) end = std::max(end, spans[i].second);
    redacted.append(text.substr(copied_up_to, begin - copied_up_to));
    redacted.append(kPlaceholder);
    copied_up_to = end;
  }
  redacted.append(text.substr(copied_up_to));
  return redacted;
}

size_t SecretRedactor::pattern_count() const {
  std::shared_lock lock(mutex_);
  return patterns_.size();
}

RedactingSink::RedactingSink(std::shared_ptr<const SecretRedactor> redactor)
    : redactor_(std::move(redactor)) {}

void RedactingSink::add_sink(spdlog::sink_ptr wrapped) {
  std::lock_guard lock(mutex_);
  sinks_.push_back(std::move(wrapped));
}

void RedactingSink::sink_it_(const spdlog::details::log_msg& msg) {
  const std::string payload = redactor_->redact({msg.payload.data(), msg.payload.size()});
  const std::string source = redactor_->redact({msg.logger_name.data(), msg.logger_name.size()});
  spdlog::details::log_msg redacted = msg;
  redacted.payload = spdlog::string_view_t(payload.data(), payload.size());
  redacted.logger_name = spdlog::string_view_t(source.data(), source.size());

  // One failing sink (disk full) must not keep the message from the others; the first failure
  // is rethrown afterwards for the logger's error handler.
  std::exception_ptr first_failure;
  for (const spdlog::sink_ptr& wrapped : sinks_) {
    if (!wrapped->should_log(redacted.level)) continue;
    try {
      wrapped->log(redacted);
    } catch (...) {
      if (!first_failure) first_failure = std::current_exception();
    }
  }
  if (first_failure) std::rethrow_exception(first_failure);
}

void RedactingSink::flush_() {
  std::exception_ptr first_failure;
  for (const spdlog::sink_ptr& wrapped : sinks_) {
    try {
      wrapped->flush();
    } catch (...) {
      if (!first_failure) first_failure = std::current_exception();
    }
  }
  if (first_failure) std::rethrow_exception(first_failure);
}

void RedactingSink::set_pattern_(const std::string& pattern) {
  for (const spdlog::sink_ptr& wrapped : sinks_) wrapped->set_pattern(pattern);
}

void RedactingSink::set_formatter_(std::unique_ptr<spdlog::formatter> sink_formatter) {
  for (const spdlog::sink_ptr& wrapped : sinks_) wrapped->set_formatter(sink_formatter->clone());
}

}  // namespace galfriday::logging
