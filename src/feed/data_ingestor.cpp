#include "galfriday/feed/data_ingestor.hpp"

#include <spdlog/spdlog.h>

#include <map>
#include <mutex>
#include <set>
#include <variant>

#include "galfriday/market/order_book.hpp"

namespace galfriday::feed {

uint64_t FeedCounters::decode_error_total() const {
  uint64_t total = 0;
  for (uint64_t count : decode_errors) total += count;
  return total;
}

namespace {

// JSON string literal for a symbol or channel name (configured text, but quoted safely).
std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      constexpr char kHex[] = "0123456789abcdef";
      out += "\\u00";
      out.push_back(kHex[(c >> 4) & 0xF]);
      out.push_back(kHex[c & 0xF]);
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
  return out;
}

std::string json_symbols(const std::vector<std::string>& symbols) {
  std::string out = "[";
  for (size_t i = 0; i < symbols.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += json_string(symbols[i]);
  }
  out.push_back(']');
  return out;
}

// Kinds of bad input beyond the decoder's, for the log-once set.
enum class Issue {
  kUnknownSymbol,
  kRejectedBook,
  kChecksum,
  kDuplicateTrade,
  kRejectedTrade,
  kLateCandle,
  kRejectedCandle,
  kSubscribeError,
  kPrecisionChange,
  kDecodeBase,  // + WsDecodeErrorKind
};

// An open (still changing) candle of one pair, parsed at the pair's precisions.
struct OpenBar {
  Timestamp start{};
  Price open, high, low, close;
  Quantity volume;
  int64_t trades = 0;
};

struct PairState {
  PairState(InstrumentSpec pair_spec, OrderBook pair_book)
      : spec(std::move(pair_spec)), book(std::move(pair_book)) {}

  InstrumentSpec spec;
  OrderBook book;
  std::optional<uint64_t> last_trade_id;
  std::optional<OpenBar> open_bar;
  std::optional<Timestamp> last_emitted_bar_start;
  Timestamp last_message{};
  bool stale_reported = false;
};

}  // namespace

struct DataIngestor::Impl {
  DataIngestorOptions options;
  EventSink sink;
  FrameSender sender;
  Duration bar_interval;

  mutable std::mutex mutex;
  kraken::WsDecoder decoder;
  kraken::WsMessage message;  // reused across frames
  std::map<std::string, PairState, std::less<>> pairs;
  FeedCounters counters;
  std::set<int> logged_issues;
  std::optional<kraken::SystemStatus> exchange_status;
  // The newest exchange time seen in the stream and how far ahead of the local receive time
  // it was: bars close on exchange time, which a simulator or a replay may run far from the
  // local clock.
  std::optional<Timestamp> exchange_time;
  Duration exchange_offset{};
  int64_t next_req_id = 1;

  Impl(DataIngestorOptions opts, EventSink s, FrameSender f)
      : options(std::move(opts)),
        sink(std::move(s)),
        sender(std::move(f)),
        bar_interval(std::chrono::minutes(options.ohlc_interval_minutes)),
        decoder(kraken::WsDecoderOptions{options.max_frame_bytes}) {}

  void log_once(int issue, const std::string& text) {
    if (!logged_issues.insert(issue).second) return;
    spdlog::warn("market data: {} (further occurrences of this kind are only counted)", text);
  }
  void log_once(Issue issue, const std::string& text) { log_once(static_cast<int>(issue), text); }

  std::vector<std::string> symbols() const {
    std::vector<std::string> out;
    for (const auto& [symbol, state] : pairs) out.push_back(symbol);
    return out;
  }

  std::string book_request(std::string_view method, const std::vector<std::string>& symbols) {
    return "{\"method\":" + json_string(method) +
           ",\"params\":{\"channel\":\"book\",\"symbol\":" + json_symbols(symbols) +
           ",\"depth\":" + std::to_string(options.book_depth) +
           (method == "subscribe" ? ",\"snapshot\":true" : "") +
           "},\"req_id\":" + std::to_string(next_req_id++) + "}";
  }

  std::vector<std::string> subscribe_requests() {
    const auto all = symbols();
    std::vector<std::string> out;
    out.push_back(
        "{\"method\":\"subscribe\",\"params\":{\"channel\":\"instrument\",\"snapshot\":true},"
        "\"req_id\":" +
        std::to_string(next_req_id++) + "}");
    out.push_back(book_request("subscribe", all));
    out.push_back("{\"method\":\"subscribe\",\"params\":{\"channel\":\"trade\",\"symbol\":" +
                  json_symbols(all) +
                  ",\"snapshot\":false},\"req_id\":" + std::to_string(next_req_id++) + "}");
    out.push_back("{\"method\":\"subscribe\",\"params\":{\"channel\":\"ohlc\",\"symbol\":" +
                  json_symbols(all) +
                  ",\"interval\":" + std::to_string(options.ohlc_interval_minutes) +
                  ",\"snapshot\":true},\"req_id\":" + std::to_string(next_req_id++) + "}");
    return out;
  }

  void clear_books() {
    for (auto& [symbol, state] : pairs) state.book.clear();
  }

  void resubscribe_book(PairState& state) {
    state.book.clear();
    counters.book_resubscribes++;
    const std::vector<std::string> one{state.spec.id.str()};
    sender(book_request("unsubscribe", one));
    sender(book_request("subscribe", one));
  }

  PairState* find_pair(std::string_view symbol) {
    const auto it = pairs.find(symbol);
    if (it != pairs.end()) return &it->second;
    counters.unknown_symbols++;
    log_once(Issue::kUnknownSymbol, "data for symbol '" + std::string(symbol) +
                                        "', which is not a configured pair, ignored");
    return nullptr;
  }

  void emit(Event event) { sink(std::move(event)); }

  void emit_health(HealthSignal signal, Timestamp now, std::string detail,
                   std::optional<InstrumentId> instrument = std::nullopt) {
    HealthSignalEvent event;
    event.meta.ts_event = now;
    event.meta.ts_init = now;
    event.signal = signal;
    event.source = "feed";
    event.instrument = std::move(instrument);
    event.detail = std::move(detail);
    emit(std::move(event));
    counters.health_signals++;
  }

  void observe_exchange_time(Timestamp exchange, Timestamp received) {
    if (exchange_time && exchange <= *exchange_time) return;
    exchange_time = exchange;
    exchange_offset = exchange - received;
  }

  void handle(kraken::BookMessage& book, Timestamp received) {
    counters.book_messages++;
    PairState* state = find_pair(book.symbol);
    if (!state) return;
    state->last_message = received;
    state->stale_reported = false;
    if (book.timestamp) observe_exchange_time(*book.timestamp, received);
    if (!book.is_snapshot && !state->book.has_snapshot()) {
      // Expected right after a (re)subscription: updates may precede the new snapshot.
      counters.updates_without_snapshot++;
      return;
    }
    Status applied = book.is_snapshot ? state->book.apply_snapshot(book.bids, book.asks)
                                      : state->book.apply_update(book.bids, book.asks);
    if (!applied.is_ok()) {
      // The book is unchanged, but it missed a message: it can no longer be trusted.
      counters.rejected_book_messages++;
      log_once(Issue::kRejectedBook,
               "book message for " + book.symbol + " rejected: " + applied.to_string());
      resubscribe_book(*state);
      return;
    }
    const Status verified = state->book.verify(book.checksum);
    if (!verified.is_ok()) {
      counters.checksum_mismatches++;
      log_once(Issue::kChecksum, verified.message());
      resubscribe_book(*state);
      emit_health(HealthSignal::kChecksumFailure, received, verified.message(), state->spec.id);
      return;
    }
    EventMeta meta;
    meta.ts_event = book.timestamp.value_or(received);
    meta.ts_init = received;
    emit(state->book.to_event(options.book_depth, meta, book.is_snapshot, book.checksum));
    counters.l2_events++;
  }

  void handle(kraken::TradeMessage& message_in, Timestamp received) {
    counters.trade_messages++;
    for (const kraken::Trade& trade : message_in.trades) {
      PairState* state = find_pair(trade.symbol);
      if (!state) continue;
      state->last_message = received;
      state->stale_reported = false;
      observe_exchange_time(trade.timestamp, received);
      if (state->last_trade_id && trade.trade_id <= *state->last_trade_id) {
        counters.duplicate_trades++;
        log_once(Issue::kDuplicateTrade, "trade " + std::to_string(trade.trade_id) + " of " +
                                             trade.symbol + " is not after trade " +
                                             std::to_string(*state->last_trade_id) + "; dropped");
        continue;
      }
      auto price = state->spec.parse_price(trade.price);
      auto qty = state->spec.parse_qty(trade.qty);
      if (!price || !qty) {
        counters.rejected_trades++;
        log_once(Issue::kRejectedTrade, "trade " + std::to_string(trade.trade_id) + " of " +
                                            trade.symbol + ": " +
                                            (price ? qty.status() : price.status()).to_string());
        continue;
      }
      state->last_trade_id = trade.trade_id;
      MarketDataTradeEvent event;
      event.meta.ts_event = trade.timestamp;
      event.meta.ts_init = received;
      event.instrument = state->spec.id;
      event.price = *price;
      event.qty = *qty;
      event.aggressor = trade.side;
      event.trade_id = TradeId(std::to_string(trade.trade_id));
      emit(std::move(event));
      counters.trade_events++;
    }
  }

  void emit_bar(PairState& state, const OpenBar& bar, Timestamp detected) {
    MarketDataOHLCVEvent event;
    event.meta.ts_event = bar.start + bar_interval;
    event.meta.ts_init = detected;
    event.instrument = state.spec.id;
    event.bar_start = bar.start;
    event.interval = bar_interval;
    event.open = bar.open;
    event.high = bar.high;
    event.low = bar.low;
    event.close = bar.close;
    event.volume = bar.volume;
    event.trade_count = bar.trades;
    state.last_emitted_bar_start = bar.start;
    emit(std::move(event));
    counters.bar_events++;
  }

  // Emits the pair's open bar when its interval has ended by `exchange_now`; `local_now`
  // becomes the event's ts_init.
  void close_bar_if_ended(PairState& state, Timestamp exchange_now, Timestamp local_now) {
    if (state.open_bar && exchange_now >= state.open_bar->start + bar_interval) {
      const OpenBar bar = *state.open_bar;
      state.open_bar.reset();
      emit_bar(state, bar, local_now);
    }
  }

  void handle(kraken::OhlcMessage& ohlc, Timestamp received) {
    counters.ohlc_messages++;
    if (ohlc.timestamp) observe_exchange_time(*ohlc.timestamp, received);
    for (const kraken::Candle& candle : ohlc.candles) {
      PairState* state = find_pair(candle.symbol);
      if (!state) continue;
      state->last_message = received;
      state->stale_reported = false;
      if (candle.interval_minutes != options.ohlc_interval_minutes) {
        counters.rejected_candles++;
        log_once(Issue::kRejectedCandle, "candle of " + candle.symbol + " has interval " +
                                             std::to_string(candle.interval_minutes) +
                                             ", subscribed to " +
                                             std::to_string(options.ohlc_interval_minutes));
        continue;
      }
      if (state->last_emitted_bar_start &&
          candle.interval_begin <= *state->last_emitted_bar_start) {
        // A snapshot after a reconnect repeats bars already emitted; only updates are late.
        if (!ohlc.is_snapshot) {
          counters.late_candles++;
          log_once(Issue::kLateCandle, "update of the " + candle.symbol + " bar at " +
                                           format_iso8601(candle.interval_begin) +
                                           ", which was already closed; ignored");
        }
        continue;
      }
      if (state->open_bar && candle.interval_begin < state->open_bar->start) {
        counters.late_candles++;
        log_once(Issue::kLateCandle, "candle of " + candle.symbol + " at " +
                                         format_iso8601(candle.interval_begin) +
                                         " is older than the open one; ignored");
        continue;
      }
      auto open = state->spec.parse_price(candle.open);
      auto high = state->spec.parse_price(candle.high);
      auto low = state->spec.parse_price(candle.low);
      auto close = state->spec.parse_price(candle.close);
      auto volume = state->spec.parse_qty(candle.volume);
      if (!open || !high || !low || !close || !volume) {
        counters.rejected_candles++;
        const Status why = !open    ? open.status()
                           : !high  ? high.status()
                           : !low   ? low.status()
                           : !close ? close.status()
                                    : volume.status();
        log_once(Issue::kRejectedCandle, "candle of " + candle.symbol + ": " + why.to_string());
        continue;
      }
      if (state->open_bar && candle.interval_begin > state->open_bar->start) {
        const OpenBar finished = *state->open_bar;
        state->open_bar.reset();
        emit_bar(*state, finished, received);
      }
      state->open_bar =
          OpenBar{candle.interval_begin, *open, *high, *low, *close, *volume, candle.trades};
    }
  }

  void handle(kraken::InstrumentMessage& instrument, Timestamp received) {
    counters.instrument_messages++;
    for (const kraken::InstrumentPair& pair : instrument.pairs) {
      const auto it = pairs.find(pair.symbol);
      if (it == pairs.end()) continue;  // Kraken sends every pair it lists
      PairState& state = it->second;
      state.last_message = received;
      if (pair.price_precision == state.spec.price_precision &&
          pair.qty_precision == state.spec.qty_precision)
        continue;
      auto rebuilt = OrderBook::create(state.spec.id, pair.price_precision, pair.qty_precision,
                                       options.book_depth);
      if (!rebuilt) {
        counters.rejected_book_messages++;
        log_once(Issue::kPrecisionChange,
                 "instrument " + pair.symbol + ": " + rebuilt.status().to_string());
        continue;
      }
      counters.instrument_precision_changes++;
      log_once(Issue::kPrecisionChange,
               "instrument " + pair.symbol + " has price/qty precision " +
                   std::to_string(pair.price_precision) + "/" + std::to_string(pair.qty_precision) +
                   ", configured " + std::to_string(state.spec.price_precision) + "/" +
                   std::to_string(state.spec.qty_precision) + "; using Kraken's");
      state.spec.price_precision = pair.price_precision;
      state.spec.qty_precision = pair.qty_precision;
      const bool had_snapshot = state.book.has_snapshot();
      state.book = std::move(*rebuilt);
      if (had_snapshot) resubscribe_book(state);
    }
  }

  void handle(kraken::StatusMessage& status, Timestamp received) {
    counters.status_messages++;
    const bool was_online =
        !exchange_status.has_value() || *exchange_status == kraken::SystemStatus::kOnline;
    exchange_status = status.system;
    if (status.system != kraken::SystemStatus::kOnline && was_online) {
      PotentialHaltTriggerEvent event;
      event.meta.ts_event = received;
      event.meta.ts_init = received;
      event.source = "market_data";
      event.reason = "Kraken reports system status '" + status.system_text + "'";
      emit(std::move(event));
      counters.halt_triggers++;
    }
  }

  void handle(kraken::Heartbeat&, Timestamp) { counters.heartbeats++; }
  void handle(kraken::Pong&, Timestamp) { counters.pongs++; }

  void handle(kraken::SubscribeAck& ack, Timestamp) {
    counters.subscribe_acks++;
    if (ack.success) return;
    counters.subscribe_errors++;
    log_once(Issue::kSubscribeError, "Kraken refused a subscription (" + ack.channel + " " +
                                         ack.symbol + "): " + ack.error);
  }

  void check_time(Timestamp now) {
    for (auto& [symbol, state] : pairs) {
      if (exchange_time) close_bar_if_ended(state, now + exchange_offset, now);
      if (state.stale_reported || state.last_message == Timestamp{}) continue;
      if (now - state.last_message < options.staleness) continue;
      state.stale_reported = true;
      PotentialHaltTriggerEvent event;
      event.meta.ts_event = now;
      event.meta.ts_init = now;
      event.source = "market_data";
      event.reason =
          "no market data for " + symbol + " since " + format_iso8601(state.last_message) +
          " (staleness limit " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::seconds>(options.staleness).count()) +
          " s)";
      emit(std::move(event));
      counters.halt_triggers++;
    }
  }
};

Result<std::unique_ptr<DataIngestor>> DataIngestor::create(DataIngestorOptions options,
                                                           EventSink sink, FrameSender sender) {
  if (options.pairs.empty()) return invalid_argument("market data: no pairs to subscribe to");
  if (options.ohlc_interval_minutes <= 0) {
    return invalid_argument("market data: ohlc interval must be positive");
  }
  if (options.staleness <= Duration::zero()) {
    return invalid_argument("market data: staleness must be positive");
  }
  if (!sink || !sender) return invalid_argument("market data: sink and sender are required");
  auto impl = std::make_unique<Impl>(options, std::move(sink), std::move(sender));
  for (const InstrumentSpec& spec : options.pairs) {
    auto book = OrderBook::create(spec, options.book_depth);
    if (!book) return book.status().with_context("market data: pair " + spec.id.str());
    auto [it, inserted] = impl->pairs.try_emplace(spec.id.str(), spec, std::move(*book));
    if (!inserted) return invalid_argument("market data: pair " + spec.id.str() + " listed twice");
  }
  return std::unique_ptr<DataIngestor>(new DataIngestor(std::move(impl)));
}

DataIngestor::DataIngestor(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
DataIngestor::~DataIngestor() = default;

void DataIngestor::on_connected(Timestamp now) {
  std::lock_guard lock(impl_->mutex);
  Impl& impl = *impl_;
  impl.counters.connections++;
  if (impl.counters.connections > 1) impl.counters.reconnects++;
  impl.clear_books();
  for (auto& [symbol, state] : impl.pairs) {
    // Staleness counts from the connection, not from the last message before an outage.
    state.last_message = now;
    state.stale_reported = false;
  }
  for (std::string& request : impl.subscribe_requests()) impl.sender(std::move(request));
}

void DataIngestor::on_frame(std::string_view frame, Timestamp received) {
  std::lock_guard lock(impl_->mutex);
  Impl& impl = *impl_;
  impl.counters.frames++;
  const Status decoded = impl.decoder.decode_into(frame, impl.message);
  if (!decoded.is_ok()) {
    const auto kind =
        impl.decoder.last_error_kind().value_or(kraken::WsDecodeErrorKind::kMalformedJson);
    impl.counters.decode_errors[static_cast<size_t>(kind)]++;
    impl.log_once(
        static_cast<int>(Issue::kDecodeBase) + static_cast<int>(kind),
        "undecodable frame (" + std::string(kraken::to_string(kind)) + "): " + decoded.message());
    return;
  }
  std::visit([&](auto& message) { impl.handle(message, received); }, impl.message);
  // Bars also close on the passage of exchange time seen in the stream, so a replay closes
  // them at the same frames as the live run did.
  if (impl.exchange_time) {
    for (auto& [symbol, state] : impl.pairs) {
      impl.close_bar_if_ended(state, *impl.exchange_time, received);
    }
  }
}

void DataIngestor::on_disconnected(Timestamp now) {
  std::lock_guard lock(impl_->mutex);
  impl_->counters.disconnects++;
  impl_->clear_books();
  impl_->emit_health(HealthSignal::kApiError, now, "market data connection dropped");
}

void DataIngestor::on_connect_failed(Timestamp now, std::string_view reason) {
  std::lock_guard lock(impl_->mutex);
  impl_->counters.connect_failures++;
  impl_->emit_health(HealthSignal::kApiError, now,
                     "market data connection attempt failed: " + std::string(reason));
}

void DataIngestor::on_timer(Timestamp now) {
  std::lock_guard lock(impl_->mutex);
  impl_->check_time(now);
}

FeedCounters DataIngestor::counters() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->counters;
}

std::optional<BookState> DataIngestor::book(const InstrumentId& pair) const {
  std::lock_guard lock(impl_->mutex);
  const auto it = impl_->pairs.find(pair.str());
  if (it == impl_->pairs.end()) return std::nullopt;
  const OrderBook& book = it->second.book;
  BookState out;
  out.has_snapshot = book.has_snapshot();
  for (BookLevel level : book.bids()) out.bids.push_back(level);
  for (BookLevel level : book.asks()) out.asks.push_back(level);
  out.checksum = book.checksum();
  return out;
}

const DataIngestorOptions& DataIngestor::options() const { return impl_->options; }

std::vector<std::string> DataIngestor::subscribe_requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->subscribe_requests();
}

}  // namespace galfriday::feed
