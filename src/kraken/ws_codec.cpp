#include "galfriday/kraken/ws_codec.hpp"

#include <simdjson.h>

#include <cstring>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "galfriday/core/plain_decimal.hpp"
#include "galfriday/core/time.hpp"

namespace galfriday::kraken {
namespace {

namespace od = simdjson::ondemand;
using simdjson::error_code;

constexpr size_t kNoIndex = std::numeric_limits<size_t>::max();
// Number tokens are copied into DecimalText with assign_from_padded, which reads kCapacity bytes
// from the token's start: the padding after the frame in the input buffer covers that.
static_assert(simdjson::SIMDJSON_PADDING >= DecimalText::kCapacity);
// read_number_text reads ahead of a token with scan_plain_decimal, as far as this.
static_assert(simdjson::SIMDJSON_PADDING >= kPlainDecimalReadBytes);
// Room for the levels of a typical book message (updates carry a few, depth-10 snapshots ten),
// so decoding one does not grow the vector level by level.
constexpr size_t kInitialLevelCapacity = 16;
// Years of the timestamps accepted (compared as text, so exactly four digits).
constexpr size_t kYearDigits = 4;
constexpr std::string_view kFirstYear = "1970";
constexpr std::string_view kLastYear = "2261";
// Longest piece of outside text quoted back in an error message.
constexpr size_t kMaxQuotedText = 64;

// Where in a message a value sits, formatted only when something is wrong there:
// "book asks[3].price".
struct Where {
  std::string_view message;
  std::string_view array = {};
  size_t index = kNoIndex;
  std::string_view field = {};

  Where at(size_t element) const { return {message, array, element, field}; }
  Where dot(std::string_view name) const { return {message, array, index, name}; }

  std::string str() const {
    std::string out(message);
    if (!array.empty()) {
      out += ' ';
      out.append(array);
    }
    if (index != kNoIndex) out += '[' + std::to_string(index) + ']';
    if (!field.empty()) {
      out += array.empty() && index == kNoIndex ? ' ' : '.';
      out.append(field);
    }
    return out;
  }
};

std::string quoted(std::string_view text) {
  std::string out = "'";
  out.append(text.substr(0, kMaxQuotedText));
  if (text.size() > kMaxQuotedText) out += "...";
  out += "'";
  return out;
}

std::string_view type_name(od::json_type type) {
  switch (type) {
    case od::json_type::array:
      return "an array";
    case od::json_type::object:
      return "an object";
    case od::json_type::number:
      return "a number";
    case od::json_type::string:
      return "a string";
    case od::json_type::boolean:
      return "a boolean";
    case od::json_type::null:
      return "null";
  }
  return "an unknown type";
}

WsDecodeErrorKind kind_of(error_code error) {
  switch (error) {
    case simdjson::INCORRECT_TYPE:
      return WsDecodeErrorKind::kWrongType;
    case simdjson::NO_SUCH_FIELD:
      return WsDecodeErrorKind::kMissingField;
    case simdjson::NUMBER_OUT_OF_RANGE:
      return WsDecodeErrorKind::kInvalidValue;
    default:
      return WsDecodeErrorKind::kMalformedJson;
  }
}

// The JSON number a raw token starts with (On Demand's raw token is the number plus the
// whitespace after it), or an empty view when the token is not a number of JSON's grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? followed only by whitespace.
// (read_number_text takes Kraken's usual plain decimals without coming here.)
std::string_view json_number(std::string_view token) {
  const char* const begin = token.data();
  const char* const end = begin + token.size();
  const char* at = begin;
  auto skip_digits = [&at, end] {
    const char* const start = at;
    while (at != end && static_cast<unsigned char>(*at - '0') <= 9) ++at;
    return at != start;
  };
  if (at != end && *at == '-') ++at;
  const char* const integer = at;
  if (!skip_digits()) return {};
  if (*integer == '0' && at - integer > 1) return {};  // no leading zeros
  if (at != end && *at == '.') {
    ++at;
    if (!skip_digits()) return {};
  }
  if (at != end && (*at == 'e' || *at == 'E')) {
    ++at;
    if (at != end && (*at == '+' || *at == '-')) ++at;
    if (!skip_digits()) return {};
  }
  const size_t length = static_cast<size_t>(at - begin);
  for (; at != end; ++at) {
    if (*at != ' ' && *at != '\t' && *at != '\n' && *at != '\r') return {};
  }
  return token.substr(0, length);
}

bool starts_like_number(std::string_view token) {
  return !token.empty() && (token[0] == '-' || (token[0] >= '0' && token[0] <= '9'));
}

// A required field of an object: its name, where it goes, and whether it was read.
template <typename T>
struct RequiredField {
  std::string_view name;
  T* out;
  bool seen;
};

// Empties a message for decoding into it again. The messages of the hot channels keep their
// vectors' capacity, so a connection that decodes into one WsMessage stops allocating. A field
// added to them must be reset here too (WsCodec.DecodeIntoReusesStorageWithoutStaleFields).
void clear_for_reuse(BookMessage& message) {
  // The symbol is kept: it is a required field, so every message that decodes sets it, and
  // read_string skips the copy when the frame's symbol is the one already there (the usual case
  // of a connection's book messages).
  message.is_snapshot = false;
  message.bids.clear();
  message.asks.clear();
  message.checksum = 0;
  message.timestamp.reset();
}
void clear_for_reuse(TradeMessage& message) {
  message.is_snapshot = false;
  message.trades.clear();
}
template <typename Message>
void clear_for_reuse(Message& message) {
  message = Message{};
}

// An empty Message held by `out`, reusing the one it holds when it is of that type.
template <typename Message>
Message& reuse_as(WsMessage& out) {
  if (auto* existing = std::get_if<Message>(&out)) {
    clear_for_reuse(*existing);
    return *existing;
  }
  return out.emplace<Message>();
}

// The fields of a message object still to be read, for a decoder that has read some already.
struct Fields {
  od::object_iterator next;
  od::object_iterator end;
};

// Decodes one parsed document. Every read returns false after recording the first failure,
// which the caller turns into the Status; nothing is decoded after a failure, as On Demand
// iterators cannot be trusted past an error.
class FrameDecoder {
 public:
  // `days` outlives the decoder: it carries the day of the last timestamp from frame to frame.
  explicit FrameDecoder(Iso8601DayCache& days) : days_(days) {}
  bool decode(od::document& doc, WsMessage& out);
  WsDecodeErrorKind failure_kind() const { return failure_kind_; }
  const std::string& failure_message() const { return failure_message_; }

 private:
  bool fail(WsDecodeErrorKind kind, std::string message) {
    failure_kind_ = kind;
    failure_message_ = std::move(message);
    return false;
  }
  bool fail_json(error_code error, const Where& where, std::string_view expected = {},
                 od::value* value = nullptr) {
    const WsDecodeErrorKind kind = kind_of(error);
    std::string message = where.str() + ": ";
    if (kind == WsDecodeErrorKind::kWrongType && !expected.empty()) {
      message += "expected ";
      message.append(expected);
      od::json_type actual;
      if (value != nullptr && value->type().get(actual) == simdjson::SUCCESS) {
        message += ", got ";
        message.append(type_name(actual));
      }
    } else if (kind == WsDecodeErrorKind::kMissingField) {
      message += "missing";
    } else {
      message += simdjson::error_message(error);
    }
    return fail(kind, std::move(message));
  }
  bool fail_integer(error_code error, const Where& where, std::string_view expected,
                    od::value& value);
  bool missing(const Where& where) {
    return fail(WsDecodeErrorKind::kMissingField, where.str() + ": missing");
  }
  bool invalid(const Where& where, std::string_view what) {
    std::string message = where.str() + ": ";
    message.append(what);
    return fail(WsDecodeErrorKind::kInvalidValue, std::move(message));
  }

  template <typename OnField>
  bool for_each_field(Fields& fields, const Where& where, OnField&& on_field);
  template <typename OnField>
  bool for_each_field(od::object& object, const Where& where, OnField&& on_field);
  template <typename OnField>
  bool for_each_field(od::value& value, const Where& where, OnField&& on_field);
  template <typename OnElement>
  bool for_each_element(od::value& value, const Where& where, OnElement&& on_element);

  bool read_string_view(od::value& value, const Where& where, std::string_view& out);
  bool read_string(od::value& value, const Where& where, std::string& out);
  // `field` of `where`: where.dot(field), built only for an error message.
  // Inlined: it runs for every price and quantity of every book level.
  [[gnu::always_inline]] bool read_number_text(od::value& value, const Where& where,
                                               std::string_view field, DecimalText& out);
  // read_number_text for a token that is not a plain decimal: the rest of JSON's numbers, or
  // the error. Kept out of line so that the common case inlines.
  [[gnu::noinline]] bool read_other_number_text(od::value& value, std::string_view token,
                                                const Where& where, std::string_view field,
                                                DecimalText& out);
  bool read_uint64(od::value& value, const Where& where, uint64_t& out);
  bool read_int64(od::value& value, const Where& where, int64_t& out);
  bool read_int(od::value& value, const Where& where, int64_t min, int64_t max, int& out);
  bool read_bool(od::value& value, const Where& where, bool& out);
  bool read_timestamp(od::value& value, const Where& where, Timestamp& out);
  bool read_is_snapshot(od::value& value, const Where& where, bool& out);

  bool decode_channel(Fields& root, std::string_view channel, WsMessage& out);
  bool decode_method(Fields& root, std::string_view method, WsMessage& out);
  bool decode_book(Fields& root, BookMessage& out);
  bool decode_book_entry(od::value& value, const Where& where, BookMessage& out);
  bool decode_levels(od::value& value, const Where& where, std::vector<BookLevelText>& out);
  bool decode_trade(Fields& root, TradeMessage& out);
  bool decode_ohlc(Fields& root, OhlcMessage& out);
  bool decode_instrument(Fields& root, InstrumentMessage& out);
  bool decode_pair(od::value& value, const Where& where, InstrumentPair& out);
  bool decode_asset(od::value& value, const Where& where, InstrumentAsset& out);
  bool decode_status(Fields& root, StatusMessage& out);
  bool decode_heartbeat(Fields& root);
  bool decode_pong(Fields& root, Pong& out);
  bool decode_ack(Fields& root, SubscriptionMethod method, SubscribeAck& out);
  bool read_warnings(od::value& value, const Where& where, std::vector<std::string>& out);

  // Decodes a channel message whose "data" holds exactly one object (book, status).
  template <typename OnEntry>
  bool read_single_entry(od::value& value, const Where& where, OnEntry&& on_entry);

  Iso8601DayCache& days_;
  WsDecodeErrorKind failure_kind_ = WsDecodeErrorKind::kMalformedJson;
  std::string failure_message_;
};

template <typename OnField>
bool FrameDecoder::for_each_field(Fields& fields, const Where& where, OnField&& on_field) {
  for (; fields.next != fields.end; ++fields.next) {
    auto field_result = *fields.next;
    if (const auto error = field_result.error()) return fail_json(error, where);
    od::field& field = field_result.value_unsafe();  // checked just above; saves a copy
    if (!on_field(field.key(), field.value())) return false;
  }
  return true;
}

template <typename OnField>
bool FrameDecoder::for_each_field(od::object& object, const Where& where, OnField&& on_field) {
  Fields fields;
  if (const auto error = object.begin().get(fields.next)) return fail_json(error, where);
  if (const auto error = object.end().get(fields.end)) return fail_json(error, where);
  return for_each_field(fields, where, std::forward<OnField>(on_field));
}

template <typename OnField>
bool FrameDecoder::for_each_field(od::value& value, const Where& where, OnField&& on_field) {
  od::object object;
  if (const auto error = value.get_object().get(object)) {
    return fail_json(error, where, "an object", &value);
  }
  return for_each_field(object, where, std::forward<OnField>(on_field));
}

template <typename OnElement>
bool FrameDecoder::for_each_element(od::value& value, const Where& where, OnElement&& on_element) {
  od::array array;
  if (const auto error = value.get_array().get(array)) {
    return fail_json(error, where, "an array", &value);
  }
  size_t index = 0;
  for (auto element_result : array) {
    if (const auto error = element_result.error()) return fail_json(error, where.at(index));
    od::value& element = element_result.value_unsafe();  // checked just above; saves a copy
    if (!on_element(element, index)) return false;
    ++index;
  }
  return true;
}

bool FrameDecoder::read_string_view(od::value& value, const Where& where, std::string_view& out) {
  if (const auto error = value.get_string().get(out)) {
    return fail_json(error, where, "a string", &value);
  }
  return true;
}

// Whether `value` is the JSON string `text` exactly as written, with no escape: read from the
// raw token (from the opening quote to the next structural character) without unescaping it.
// False leaves the answer to get_string. Market data repeats the same short strings in every
// message ("book", "update", the pair's symbol), and this is much cheaper than unescaping them.
bool is_unescaped_string(od::value& value, std::string_view text) {
  const std::string_view token = value.raw_json_token();
  // A '"' in `text` cannot match: in the frame it would close the string. A backslash could
  // (the quote after it would be escaped), so such texts are left to get_string.
  return token.size() >= text.size() + 2 && token[0] == '"' && token[text.size() + 1] == '"' &&
         std::memcmp(token.data() + 1, text.data(), text.size()) == 0 &&
         std::memchr(text.data(), '\\', text.size()) == nullptr;
}

bool FrameDecoder::read_string(od::value& value, const Where& where, std::string& out) {
  // Decoders reuse messages: the symbol already in `out` is usually the one this frame has.
  if (is_unescaped_string(value, out)) return true;
  std::string_view text;
  if (!read_string_view(value, where, text)) return false;
  out.assign(text);
  return true;
}

inline bool FrameDecoder::read_number_text(od::value& value, const Where& where,
                                           std::string_view field, DecimalText& out) {
  // The token exactly as Kraken wrote it, a view into the frame; never through a double.
  const std::string_view token = value.raw_json_token();
  // Kraken's numbers are plain decimals ("29430.2", "0.00011621"): read a word at a time, their
  // value kept with the text so that the book does not read the digits again. The token is a
  // view into the decoder's input buffer, padded by SIMDJSON_PADDING bytes, so reading ahead
  // (scan_plain_decimal, assign_from_padded) stays inside it.
  PlainDecimal plain;
  const size_t plain_size = scan_plain_decimal(token.data(), plain);
  const bool leading_zero = plain_size > 1 && token[0] == '0' && token[1] != '.';
  if (plain_size == token.size() && plain_size != 0 && !leading_zero) [[likely]] {
    out.assign_from_padded(token);
    out.set_plain_value(plain);
    return true;
  }
  return read_other_number_text(value, token, where, field, out);
}

bool FrameDecoder::read_other_number_text(od::value& value, std::string_view token,
                                          const Where& where, std::string_view field,
                                          DecimalText& out) {
  // The place (`where` and `field`) is only put together when something is wrong.
  if (!starts_like_number(token)) {
    od::json_type type;
    if (const auto error = value.type().get(type)) return fail_json(error, where.dot(field));
    return fail(
        WsDecodeErrorKind::kWrongType,
        where.dot(field).str() + ": expected a number, got " + std::string(type_name(type)));
  }
  const std::string_view number = json_number(token);
  if (number.empty()) {
    return fail(WsDecodeErrorKind::kMalformedJson,
                where.dot(field).str() + ": " + quoted(token) + " is not a JSON number");
  }
  if (number.size() > DecimalText::kCapacity) {
    return invalid(where.dot(field), quoted(number) + " is longer than " +
                                         std::to_string(DecimalText::kCapacity) + " characters");
  }
  out.assign_from_padded(number);
  return true;
}

bool FrameDecoder::fail_integer(error_code error, const Where& where, std::string_view expected,
                                od::value& value) {
  // A JSON number that is fractional or out of range has the right type but the wrong value.
  od::json_type type;
  if (error == simdjson::INCORRECT_TYPE && value.type().get(type) == simdjson::SUCCESS &&
      type == od::json_type::number) {
    const std::string_view token = json_number(value.raw_json_token());
    if (!token.empty()) return invalid(where, quoted(token) + " is not " + std::string(expected));
  }
  return fail_json(error, where, expected, &value);
}

bool FrameDecoder::read_uint64(od::value& value, const Where& where, uint64_t& out) {
  // Up to 15 digits (Kraken's checksums, trade ids) read from the token a word at a time: the
  // token is in the padded input buffer. Longer numbers, other spellings and errors take
  // simdjson's reader.
  const std::string_view token = value.raw_json_token();
  if (const size_t digits = scan_plain_integer(token.data(), out);
      digits == token.size() && digits != 0 && (token[0] != '0' || digits == 1)) {
    return true;
  }
  if (const auto error = value.get_uint64().get(out)) {
    return fail_integer(error, where, "an unsigned 64-bit integer", value);
  }
  return true;
}

bool FrameDecoder::read_int64(od::value& value, const Where& where, int64_t& out) {
  if (const auto error = value.get_int64().get(out)) {
    return fail_integer(error, where, "a 64-bit integer", value);
  }
  return true;
}

bool FrameDecoder::read_int(od::value& value, const Where& where, int64_t min, int64_t max,
                            int& out) {
  int64_t wide = 0;
  if (!read_int64(value, where, wide)) return false;
  if (wide < min || wide > max) {
    return invalid(where, std::to_string(wide) + " is outside " + std::to_string(min) + ".." +
                              std::to_string(max));
  }
  out = static_cast<int>(wide);
  return true;
}

bool FrameDecoder::read_bool(od::value& value, const Where& where, bool& out) {
  if (const auto error = value.get_bool().get(out)) {
    return fail_json(error, where, "a boolean", &value);
  }
  return true;
}

bool FrameDecoder::read_timestamp(od::value& value, const Where& where, Timestamp& out) {
  std::string_view text;
  if (!read_string_view(value, where, text)) return false;
  if (days_.parse_same_day(text, out)) return true;
  // Years outside what Kraken can send are refused here, naming the field (parse_iso8601 itself
  // takes 1678..2261, the range of int64 nanoseconds since 1970).
  const std::string_view year = text.substr(0, kYearDigits);
  if (year.size() < kYearDigits || year < kFirstYear || year > kLastYear) {
    return invalid(where, quoted(text) + " is not a timestamp from " + std::string(kFirstYear) +
                              " to " + std::string(kLastYear));
  }
  auto parsed = parse_iso8601(text);
  if (!parsed) return invalid(where, parsed.status().message());
  out = *parsed;
  days_.remember(text, out);
  return true;
}

bool FrameDecoder::read_is_snapshot(od::value& value, const Where& where, bool& out) {
  if (is_unescaped_string(value, "update")) {
    out = false;
    return true;
  }
  std::string_view text;
  if (!read_string_view(value, where, text)) return false;
  if (text == "snapshot") {
    out = true;
  } else if (text == "update") {
    out = false;
  } else {
    return invalid(where, quoted(text) + " is neither 'snapshot' nor 'update'");
  }
  return true;
}

template <typename OnEntry>
bool FrameDecoder::read_single_entry(od::value& value, const Where& where, OnEntry&& on_entry) {
  size_t count = 0;
  const bool ok = for_each_element(value, where, [&](od::value& element, size_t index) {
    if (index > 0) return invalid(where, "holds more than one entry");
    ++count;
    return on_entry(element, where.at(index));
  });
  if (!ok) return false;
  if (count == 0) return invalid(where, "is empty");
  return true;
}

bool FrameDecoder::decode(od::document& doc, WsMessage& out) {
  const Where where{"message"};
  od::object root;
  if (const auto error = doc.get_object().get(root)) {
    if (error == simdjson::INCORRECT_TYPE) {
      return fail(WsDecodeErrorKind::kNotAnObject, "the message is not a JSON object");
    }
    return fail_json(error, where);
  }

  // What the message is. Kraken puts "channel" first: then the channel's decoder reads the
  // fields after it, without a second pass over the object. Otherwise "channel" (or else
  // "method") is looked up, and the decoder reads every field from the start.
  auto read_channel = [&](od::value& value, std::string_view& channel) {
    if (is_unescaped_string(value, "book")) {
      channel = "book";
      return true;
    }
    return read_string_view(value, where.dot("channel"), channel);
  };
  Fields fields;
  if (const auto error = root.begin().get(fields.next)) return fail_json(error, where);
  if (const auto error = root.end().get(fields.end)) return fail_json(error, where);
  bool channel_first = false;
  if (fields.next != fields.end) {
    auto first_result = *fields.next;
    if (const auto error = first_result.error()) return fail_json(error, where);
    od::field& first = first_result.value_unsafe();  // checked just above; saves a copy
    if (first.key() == "channel") {
      channel_first = true;
      std::string_view channel;
      if (!read_channel(first.value(), channel)) return false;
      ++fields.next;
      if (!decode_channel(fields, channel, out)) return false;
    }
  }
  if (!channel_first) {
    std::string_view channel;
    std::string_view method;
    od::value discriminator;
    if (const auto reset_error = root.reset().error()) return fail_json(reset_error, where);
    auto error = root.find_field_unordered("channel").get(discriminator);
    const bool has_channel = error == simdjson::SUCCESS;
    if (has_channel) {
      if (!read_channel(discriminator, channel)) return false;
    } else if (error == simdjson::NO_SUCH_FIELD) {
      error = root.find_field_unordered("method").get(discriminator);
      if (error == simdjson::NO_SUCH_FIELD) {
        return fail(WsDecodeErrorKind::kUnknownMessage,
                    "the message has neither 'channel' nor 'method'");
      }
      if (error != simdjson::SUCCESS) return fail_json(error, where);
      if (!read_string_view(discriminator, where.dot("method"), method)) return false;
    } else {
      return fail_json(error, where);
    }
    if (const auto reset_error = root.reset().error()) return fail_json(reset_error, where);
    if (const auto begin_error = root.begin().get(fields.next))
      return fail_json(begin_error, where);
    if (!(has_channel ? decode_channel(fields, channel, out)
                      : decode_method(fields, method, out))) {
      return false;
    }
  }

  // The whole object was read; anything after it makes the frame malformed JSON.
  const char* trailing = nullptr;
  if (doc.current_location().get(trailing) == simdjson::SUCCESS) {
    return fail(WsDecodeErrorKind::kMalformedJson,
                "unexpected " + quoted(std::string_view(trailing, std::strlen(trailing))) +
                    " after the message");
  }
  return true;
}

bool FrameDecoder::decode_channel(Fields& root, std::string_view channel, WsMessage& out) {
  if (channel == "book") {
    return decode_book(root, reuse_as<BookMessage>(out));
  }
  if (channel == "trade") {
    return decode_trade(root, reuse_as<TradeMessage>(out));
  }
  if (channel == "ohlc") {
    return decode_ohlc(root, reuse_as<OhlcMessage>(out));
  }
  if (channel == "instrument") {
    return decode_instrument(root, reuse_as<InstrumentMessage>(out));
  }
  if (channel == "status") {
    return decode_status(root, reuse_as<StatusMessage>(out));
  }
  if (channel == "heartbeat") {
    reuse_as<Heartbeat>(out);
    return decode_heartbeat(root);
  }
  return fail(WsDecodeErrorKind::kUnsupportedChannel,
              "channel " + quoted(channel) + " is not decoded");
}

bool FrameDecoder::decode_method(Fields& root, std::string_view method, WsMessage& out) {
  if (method == "pong") return decode_pong(root, reuse_as<Pong>(out));
  if (method == "subscribe" || method == "unsubscribe") {
    const auto kind =
        method == "subscribe" ? SubscriptionMethod::kSubscribe : SubscriptionMethod::kUnsubscribe;
    return decode_ack(root, kind, reuse_as<SubscribeAck>(out));
  }
  return fail(WsDecodeErrorKind::kUnsupportedMethod,
              "method " + quoted(method) + " is not decoded");
}

bool FrameDecoder::decode_book(Fields& root, BookMessage& out) {
  const Where where{"book"};
  bool has_type = false;
  bool has_data = false;
  const bool ok = for_each_field(root, where, [&](od::raw_json_string key, od::value& value) {
    if (key == "type") {
      has_type = true;
      return read_is_snapshot(value, where.dot("type"), out.is_snapshot);
    }
    if (key == "data") {
      has_data = true;
      return read_single_entry(
          value, Where{where.message, "data"},
          [&](od::value& entry, const Where& at) { return decode_book_entry(entry, at, out); });
    }
    return true;
  });
  if (!ok) return false;
  if (!has_type) return missing(where.dot("type"));
  if (!has_data) return missing(where.dot("data"));
  return true;
}

bool FrameDecoder::decode_book_entry(od::value& value, const Where& where, BookMessage& out) {
  bool has_symbol = false;
  bool has_checksum = false;
  const bool ok = for_each_field(value, where, [&](od::raw_json_string key, od::value& field) {
    if (key == "symbol") {
      has_symbol = true;
      return read_string(field, where.dot("symbol"), out.symbol);
    }
    if (key == "bids") return decode_levels(field, {"book", "bids"}, out.bids);
    if (key == "asks") return decode_levels(field, {"book", "asks"}, out.asks);
    if (key == "checksum") {
      has_checksum = true;
      uint64_t checksum = 0;
      if (!read_uint64(field, where.dot("checksum"), checksum)) return false;
      if (checksum > std::numeric_limits<uint32_t>::max()) {
        return invalid(where.dot("checksum"), std::to_string(checksum) + " is not a CRC32");
      }
      out.checksum = static_cast<uint32_t>(checksum);
      return true;
    }
    if (key == "timestamp") {
      Timestamp timestamp;
      if (!read_timestamp(field, where.dot("timestamp"), timestamp)) return false;
      out.timestamp = timestamp;
      return true;
    }
    return true;
  });
  if (!ok) return false;
  if (!has_symbol) return missing(where.dot("symbol"));
  if (!has_checksum) return missing(where.dot("checksum"));
  return true;
}

bool FrameDecoder::decode_levels(od::value& value, const Where& where,
                                 std::vector<BookLevelText>& out) {
  out.reserve(kInitialLevelCapacity);
  return for_each_element(value, where, [&](od::value& element, size_t index) {
    const Where at = where.at(index);
    // Read in place into the new level (on an error the message is dropped anyway).
    BookLevelText& level = out.emplace_back();
    bool has_price = false;
    bool has_qty = false;
    const bool ok = for_each_field(element, at, [&](od::raw_json_string key, od::value& field) {
      if (key == "price") {
        has_price = true;
        return read_number_text(field, at, "price", level.price);
      }
      if (key == "qty") {
        has_qty = true;
        return read_number_text(field, at, "qty", level.qty);
      }
      return true;
    });
    if (!ok) return false;
    if (!has_price) return missing(at.dot("price"));
    if (!has_qty) return missing(at.dot("qty"));
    return true;
  });
}

bool FrameDecoder::decode_trade(Fields& root, TradeMessage& out) {
  const Where where{"trade"};
  bool has_type = false;
  bool has_data = false;
  const bool ok = for_each_field(root, where, [&](od::raw_json_string key, od::value& value) {
    if (key == "type") {
      has_type = true;
      return read_is_snapshot(value, where.dot("type"), out.is_snapshot);
    }
    if (key != "data") return true;
    has_data = true;
    const Where data{"trade", "data"};
    return for_each_element(value, data, [&](od::value& element, size_t index) {
      const Where at = data.at(index);
      Trade& trade = out.trades.emplace_back();
      // Bit per required field, set as each is read.
      enum : unsigned {
        kSymbol = 1,
        kSide = 2,
        kPrice = 4,
        kQty = 8,
        kOrdType = 16,
        kTradeId = 32,
        kTimestamp = 64
      };
      unsigned seen = 0;
      const bool trade_ok = for_each_field(element, at, [&](od::raw_json_string k, od::value& f) {
        if (k == "symbol") {
          seen |= kSymbol;
          return read_string(f, at.dot("symbol"), trade.symbol);
        }
        if (k == "side") {
          seen |= kSide;
          std::string_view side;
          if (!read_string_view(f, at.dot("side"), side)) return false;
          if (side == "buy") {
            trade.side = Side::kBuy;
          } else if (side == "sell") {
            trade.side = Side::kSell;
          } else {
            return invalid(at.dot("side"), quoted(side) + " is neither 'buy' nor 'sell'");
          }
          return true;
        }
        if (k == "price") {
          seen |= kPrice;
          return read_number_text(f, at, "price", trade.price);
        }
        if (k == "qty") {
          seen |= kQty;
          return read_number_text(f, at, "qty", trade.qty);
        }
        if (k == "ord_type") {
          seen |= kOrdType;
          std::string_view type;
          if (!read_string_view(f, at.dot("ord_type"), type)) return false;
          if (type == "limit") {
            trade.ord_type = OrderType::kLimit;
          } else if (type == "market") {
            trade.ord_type = OrderType::kMarket;
          } else {
            return invalid(at.dot("ord_type"), quoted(type) + " is neither 'limit' nor 'market'");
          }
          return true;
        }
        if (k == "trade_id") {
          seen |= kTradeId;
          return read_uint64(f, at.dot("trade_id"), trade.trade_id);
        }
        if (k == "timestamp") {
          seen |= kTimestamp;
          return read_timestamp(f, at.dot("timestamp"), trade.timestamp);
        }
        return true;
      });
      if (!trade_ok) return false;
      if ((seen & kSymbol) == 0) return missing(at.dot("symbol"));
      if ((seen & kSide) == 0) return missing(at.dot("side"));
      if ((seen & kPrice) == 0) return missing(at.dot("price"));
      if ((seen & kQty) == 0) return missing(at.dot("qty"));
      if ((seen & kOrdType) == 0) return missing(at.dot("ord_type"));
      if ((seen & kTradeId) == 0) return missing(at.dot("trade_id"));
      if ((seen & kTimestamp) == 0) return missing(at.dot("timestamp"));
      return true;
    });
  });
  if (!ok) return false;
  if (!has_type) return missing(where.dot("type"));
  if (!has_data) return missing(where.dot("data"));
  return true;
}

bool FrameDecoder::decode_ohlc(Fields& root, OhlcMessage& out) {
  const Where where{"ohlc"};
  bool has_type = false;
  bool has_data = false;
  const bool ok = for_each_field(root, where, [&](od::raw_json_string key, od::value& value) {
    if (key == "type") {
      has_type = true;
      return read_is_snapshot(value, where.dot("type"), out.is_snapshot);
    }
    if (key == "timestamp") {
      Timestamp timestamp;
      if (!read_timestamp(value, where.dot("timestamp"), timestamp)) return false;
      out.timestamp = timestamp;
      return true;
    }
    if (key != "data") return true;
    has_data = true;
    const Where data{"ohlc", "data"};
    return for_each_element(value, data, [&](od::value& element, size_t index) {
      const Where at = data.at(index);
      Candle& candle = out.candles.emplace_back();
      std::array<RequiredField<DecimalText>, 6> numbers{{{"open", &candle.open, false},
                                                         {"high", &candle.high, false},
                                                         {"low", &candle.low, false},
                                                         {"close", &candle.close, false},
                                                         {"vwap", &candle.vwap, false},
                                                         {"volume", &candle.volume, false}}};
      bool has_symbol = false;
      bool has_trades = false;
      bool has_begin = false;
      bool has_interval = false;
      const bool candle_ok = for_each_field(element, at, [&](od::raw_json_string k, od::value& f) {
        for (auto& number : numbers) {
          if (k == number.name) {
            number.seen = true;
            return read_number_text(f, at, number.name, *number.out);
          }
        }
        if (k == "symbol") {
          has_symbol = true;
          return read_string(f, at.dot("symbol"), candle.symbol);
        }
        if (k == "trades") {
          has_trades = true;
          return read_int64(f, at.dot("trades"), candle.trades);
        }
        if (k == "interval_begin") {
          has_begin = true;
          return read_timestamp(f, at.dot("interval_begin"), candle.interval_begin);
        }
        if (k == "interval") {
          has_interval = true;
          return read_int(f, at.dot("interval"), 1, std::numeric_limits<int>::max(),
                          candle.interval_minutes);
        }
        return true;
      });
      if (!candle_ok) return false;
      if (!has_symbol) return missing(at.dot("symbol"));
      for (const auto& number : numbers) {
        if (!number.seen) return missing(at.dot(number.name));
      }
      if (!has_trades) return missing(at.dot("trades"));
      if (!has_begin) return missing(at.dot("interval_begin"));
      if (!has_interval) return missing(at.dot("interval"));
      return true;
    });
  });
  if (!ok) return false;
  if (!has_type) return missing(where.dot("type"));
  if (!has_data) return missing(where.dot("data"));
  return true;
}

bool FrameDecoder::decode_instrument(Fields& root, InstrumentMessage& out) {
  const Where where{"instrument"};
  bool has_type = false;
  bool has_data = false;
  const bool ok = for_each_field(root, where, [&](od::raw_json_string key, od::value& value) {
    if (key == "type") {
      has_type = true;
      return read_is_snapshot(value, where.dot("type"), out.is_snapshot);
    }
    if (key != "data") return true;
    has_data = true;
    return for_each_field(value, where.dot("data"), [&](od::raw_json_string k, od::value& list) {
      if (k == "pairs") {
        const Where pairs{"instrument", "pairs"};
        return for_each_element(list, pairs, [&](od::value& element, size_t index) {
          return decode_pair(element, pairs.at(index), out.pairs.emplace_back());
        });
      }
      if (k == "assets") {
        const Where assets{"instrument", "assets"};
        return for_each_element(list, assets, [&](od::value& element, size_t index) {
          return decode_asset(element, assets.at(index), out.assets.emplace_back());
        });
      }
      return true;
    });
  });
  if (!ok) return false;
  if (!has_type) return missing(where.dot("type"));
  if (!has_data) return missing(where.dot("data"));
  return true;
}

bool FrameDecoder::decode_pair(od::value& value, const Where& where, InstrumentPair& out) {
  std::array<RequiredField<std::string>, 4> strings{{{"symbol", &out.symbol, false},
                                                     {"base", &out.base, false},
                                                     {"quote", &out.quote, false},
                                                     {"status", &out.status, false}}};
  std::array<RequiredField<DecimalText>, 3> numbers{
      {{"price_increment", &out.price_increment, false},
       {"qty_increment", &out.qty_increment, false},
       {"qty_min", &out.qty_min, false}}};
  bool has_price_precision = false;
  bool has_qty_precision = false;
  const bool ok = for_each_field(value, where, [&](od::raw_json_string key, od::value& field) {
    for (auto& text : strings) {
      if (key == text.name) {
        text.seen = true;
        return read_string(field, where.dot(text.name), *text.out);
      }
    }
    for (auto& number : numbers) {
      if (key == number.name) {
        number.seen = true;
        return read_number_text(field, where, number.name, *number.out);
      }
    }
    if (key == "price_precision") {
      has_price_precision = true;
      return read_int(field, where.dot("price_precision"), 0, kMaxPrecision, out.price_precision);
    }
    if (key == "qty_precision") {
      has_qty_precision = true;
      return read_int(field, where.dot("qty_precision"), 0, kMaxPrecision, out.qty_precision);
    }
    if (key == "cost_precision") {
      int precision = 0;
      if (!read_int(field, where.dot("cost_precision"), 0, kMaxPrecision, precision)) return false;
      out.cost_precision = precision;
      return true;
    }
    if (key == "cost_min") {
      return read_number_text(field, where, "cost_min", out.cost_min.emplace());
    }
    return true;
  });
  if (!ok) return false;
  for (const auto& text : strings) {
    if (!text.seen) return missing(where.dot(text.name));
  }
  for (const auto& number : numbers) {
    if (!number.seen) return missing(where.dot(number.name));
  }
  if (!has_price_precision) return missing(where.dot("price_precision"));
  if (!has_qty_precision) return missing(where.dot("qty_precision"));
  return true;
}

bool FrameDecoder::decode_asset(od::value& value, const Where& where, InstrumentAsset& out) {
  bool has_id = false;
  bool has_status = false;
  bool has_precision = false;
  const bool ok = for_each_field(value, where, [&](od::raw_json_string key, od::value& field) {
    if (key == "id") {
      has_id = true;
      return read_string(field, where.dot("id"), out.id);
    }
    if (key == "status") {
      has_status = true;
      return read_string(field, where.dot("status"), out.status);
    }
    if (key == "precision") {
      has_precision = true;
      return read_int(field, where.dot("precision"), 0, kMaxPrecision, out.precision);
    }
    if (key == "precision_display") {
      int precision = 0;
      if (!read_int(field, where.dot("precision_display"), 0, kMaxPrecision, precision)) {
        return false;
      }
      out.precision_display = precision;
      return true;
    }
    return true;
  });
  if (!ok) return false;
  if (!has_id) return missing(where.dot("id"));
  if (!has_status) return missing(where.dot("status"));
  if (!has_precision) return missing(where.dot("precision"));
  return true;
}

bool FrameDecoder::decode_status(Fields& root, StatusMessage& out) {
  const Where where{"status"};
  bool has_data = false;
  const bool ok = for_each_field(root, where, [&](od::raw_json_string key, od::value& value) {
    if (key != "data") return true;
    has_data = true;
    return read_single_entry(
        value, Where{where.message, "data"}, [&](od::value& entry, const Where& at) {
          bool has_system = false;
          const bool entry_ok = for_each_field(entry, at, [&](od::raw_json_string k, od::value& f) {
            if (k == "system") {
              has_system = true;
              if (!read_string(f, at.dot("system"), out.system_text)) return false;
              const std::string& text = out.system_text;
              out.system = text == "online"        ? SystemStatus::kOnline
                           : text == "cancel_only" ? SystemStatus::kCancelOnly
                           : text == "maintenance" ? SystemStatus::kMaintenance
                           : text == "post_only"   ? SystemStatus::kPostOnly
                                                   : SystemStatus::kUnknown;
              return true;
            }
            if (k == "api_version") return read_string(f, at.dot("api_version"), out.api_version);
            if (k == "version") return read_string(f, at.dot("version"), out.version);
            if (k == "connection_id") {
              uint64_t id = 0;
              if (!read_uint64(f, at.dot("connection_id"), id)) return false;
              out.connection_id = id;
              return true;
            }
            return true;
          });
          if (!entry_ok) return false;
          if (!has_system) return missing(at.dot("system"));
          return true;
        });
  });
  if (!ok) return false;
  if (!has_data) return missing(where.dot("data"));
  return true;
}

bool FrameDecoder::decode_heartbeat(Fields& root) {
  // Nothing to read, but every field is walked so a broken frame is still refused.
  return for_each_field(root, {"heartbeat"}, [](od::raw_json_string, od::value&) { return true; });
}

bool FrameDecoder::decode_pong(Fields& root, Pong& out) {
  const Where where{"pong"};
  return for_each_field(root, where, [&](od::raw_json_string key, od::value& value) {
    if (key == "req_id") return read_int64(value, where.dot("req_id"), out.req_id.emplace());
    if (key == "time_in") {
      return read_timestamp(value, where.dot("time_in"), out.time_in.emplace());
    }
    if (key == "time_out") {
      return read_timestamp(value, where.dot("time_out"), out.time_out.emplace());
    }
    return true;
  });
}

bool FrameDecoder::read_warnings(od::value& value, const Where& where,
                                 std::vector<std::string>& out) {
  return for_each_element(value, where, [&](od::value& element, size_t index) {
    return read_string(element, where.at(index), out.emplace_back());
  });
}

bool FrameDecoder::decode_ack(Fields& root, SubscriptionMethod method, SubscribeAck& out) {
  const Where where{method == SubscriptionMethod::kSubscribe ? "subscribe" : "unsubscribe"};
  out.method = method;
  bool has_success = false;
  bool has_result = false;
  bool has_channel = false;
  const bool ok = for_each_field(root, where, [&](od::raw_json_string key, od::value& value) {
    if (key == "success") {
      has_success = true;
      return read_bool(value, where.dot("success"), out.success);
    }
    if (key == "error") return read_string(value, where.dot("error"), out.error);
    if (key == "symbol") return read_string(value, where.dot("symbol"), out.symbol);
    if (key == "req_id") return read_int64(value, where.dot("req_id"), out.req_id.emplace());
    if (key == "time_in") {
      return read_timestamp(value, where.dot("time_in"), out.time_in.emplace());
    }
    if (key == "time_out") {
      return read_timestamp(value, where.dot("time_out"), out.time_out.emplace());
    }
    if (key == "warnings") return read_warnings(value, where.dot("warnings"), out.warnings);
    if (key != "result") return true;
    has_result = true;
    const Where result{where.message, "result"};
    return for_each_field(value, result, [&](od::raw_json_string k, od::value& f) {
      if (k == "channel") {
        has_channel = true;
        return read_string(f, result.dot("channel"), out.channel);
      }
      if (k == "symbol") return read_string(f, result.dot("symbol"), out.symbol);
      if (k == "warnings") return read_warnings(f, result.dot("warnings"), out.warnings);
      return true;
    });
  });
  if (!ok) return false;
  if (!has_success) return missing(where.dot("success"));
  if (out.success && !has_result) return missing(where.dot("result"));
  if (has_result && !has_channel) return missing({where.message, "result", kNoIndex, "channel"});
  return true;
}

}  // namespace

std::string_view to_string(WsDecodeErrorKind kind) {
  switch (kind) {
    case WsDecodeErrorKind::kFrameTooLarge:
      return "frame_too_large";
    case WsDecodeErrorKind::kMalformedJson:
      return "malformed_json";
    case WsDecodeErrorKind::kNotAnObject:
      return "not_an_object";
    case WsDecodeErrorKind::kUnknownMessage:
      return "unknown_message";
    case WsDecodeErrorKind::kUnsupportedChannel:
      return "unsupported_channel";
    case WsDecodeErrorKind::kUnsupportedMethod:
      return "unsupported_method";
    case WsDecodeErrorKind::kMissingField:
      return "missing_field";
    case WsDecodeErrorKind::kWrongType:
      return "wrong_type";
    case WsDecodeErrorKind::kInvalidValue:
      return "invalid_value";
  }
  return "unknown";
}

struct WsDecoder::Impl {
  explicit Impl(WsDecoderOptions decoder_options)
      : options(decoder_options), parser(decoder_options.max_frame_bytes) {}

  WsDecoderOptions options;
  od::parser parser;
  // The frame copied with the zeroed padding simdjson reads past the end of its input.
  std::vector<char> buffer;
  std::array<uint64_t, kWsDecodeErrorKindCount> error_counts{};
  std::optional<WsDecodeErrorKind> last_error_kind;
  Iso8601DayCache timestamp_days;

  Status failed(WsDecodeErrorKind kind, std::string_view message) {
    last_error_kind = kind;
    ++error_counts[static_cast<size_t>(kind)];
    const StatusCode code = kind == WsDecodeErrorKind::kFrameTooLarge
                                ? StatusCode::kResourceExhausted
                                : StatusCode::kInvalidArgument;
    std::string text = "kraken ws: ";
    text.append(message);
    return {code, std::move(text)};
  }
};

WsDecoder::WsDecoder(WsDecoderOptions options) : impl_(std::make_unique<Impl>(options)) {}
WsDecoder::~WsDecoder() = default;
WsDecoder::WsDecoder(WsDecoder&&) noexcept = default;
WsDecoder& WsDecoder::operator=(WsDecoder&&) noexcept = default;

Result<WsMessage> WsDecoder::decode(std::string_view frame) {
  WsMessage message;
  GF_RETURN_IF_ERROR(decode_into(frame, message));
  return message;
}

Status WsDecoder::decode_into(std::string_view frame, WsMessage& out) {
  Impl& impl = *impl_;
  if (frame.size() > impl.options.max_frame_bytes) {
    return impl.failed(WsDecodeErrorKind::kFrameTooLarge,
                       "frame of " + std::to_string(frame.size()) + " bytes exceeds the limit of " +
                           std::to_string(impl.options.max_frame_bytes));
  }
  const size_t padded_size = frame.size() + simdjson::SIMDJSON_PADDING;
  if (impl.buffer.size() < padded_size) impl.buffer.resize(padded_size);
  std::memcpy(impl.buffer.data(), frame.data(), frame.size());
  std::memset(impl.buffer.data() + frame.size(), 0, simdjson::SIMDJSON_PADDING);

  od::document doc;
  if (const auto error =
          impl.parser.iterate(impl.buffer.data(), frame.size(), impl.buffer.size()).get(doc)) {
    return impl.failed(error == simdjson::CAPACITY ? WsDecodeErrorKind::kFrameTooLarge
                                                   : WsDecodeErrorKind::kMalformedJson,
                       std::string("message: ") + simdjson::error_message(error));
  }
  FrameDecoder decoder(impl.timestamp_days);
  if (!decoder.decode(doc, out)) {
    return impl.failed(decoder.failure_kind(), decoder.failure_message());
  }
  impl.last_error_kind.reset();
  return Status::ok();
}

std::optional<WsDecodeErrorKind> WsDecoder::last_error_kind() const {
  return impl_->last_error_kind;
}

uint64_t WsDecoder::error_count(WsDecodeErrorKind kind) const {
  return impl_->error_counts[static_cast<size_t>(kind)];
}

Result<InstrumentSpec> to_instrument_spec(const InstrumentPair& pair) {
  InstrumentSpec spec;
  spec.id = InstrumentId(pair.symbol);
  spec.base = pair.base;
  spec.quote = pair.quote;
  spec.price_precision = pair.price_precision;
  spec.qty_precision = pair.qty_precision;
  spec.cost_precision = pair.cost_precision.value_or(0);
  const std::string context = "instrument " + pair.symbol;
  auto ordermin = Quantity::parse(pair.qty_min, pair.qty_precision);
  if (!ordermin) return ordermin.status().with_context(context + " qty_min");
  spec.ordermin = *ordermin;
  if (pair.cost_min) {
    // Without a cost_precision, cost_min keeps the decimals it was written with.
    auto costmin = pair.cost_precision ? Money::parse(*pair.cost_min, *pair.cost_precision)
                                       : Money::parse(*pair.cost_min);
    if (!costmin) return costmin.status().with_context(context + " cost_min");
    spec.costmin = *costmin;
    if (!pair.cost_precision) spec.cost_precision = costmin->precision();
  }
  auto tick = Price::parse(pair.price_increment, pair.price_precision);
  if (!tick) return tick.status().with_context(context + " price_increment");
  spec.tick_size = *tick;
  return spec;
}

}  // namespace galfriday::kraken
