#pragma once
// OrderBook: the L2 book of one pair, maintained by Kraken's WebSocket v2 `book` rules, with
// Kraken's CRC32 checksum (docs.kraken.com/api/docs/guides/spot-ws-book-v2).
//
// Levels arrive as decimal text (the raw JSON number tokens, "0.566", "4.0", "1e-05") and are
// parsed here at the pair's price and quantity precisions, never through a double: the checksum
// needs every level re-printed at exactly those precisions. A snapshot replaces the book; an
// update applies its levels in message order (the same price may appear twice, the last one
// wins; qty 0 deletes); after either, each side is truncated to the subscribed depth, because
// Kraken sends no delete for levels pushed out of scope.
//
// Not thread-safe: one book belongs to the thread that feeds it (the WS reader or the engine).

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "galfriday/core/fixed_point.hpp"
#include "galfriday/core/ids.hpp"
#include "galfriday/core/plain_decimal.hpp"
#include "galfriday/core/status.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/market/instrument.hpp"

namespace galfriday {

// A decimal number's text exactly as the exchange wrote it ("0.566", "4.0", "1e-05"), stored
// inline so that holding one never allocates (decoding a book level is on the hot path).
// Kraken's numbers are at most about 20 characters. Text longer than kCapacity is not cut: it
// is kept as no text with too_long() set, which every parser refuses, so it can never be read
// as another number.
class DecimalText {
 public:
  static constexpr size_t kCapacity = 31;

  DecimalText() = default;
  DecimalText(std::string_view text) {  // NOLINT(google-explicit-constructor): {"1.5", "2"}
    assign(text);
  }
  DecimalText(const char* text) : DecimalText(std::string_view(text)) {}         // NOLINT
  DecimalText(const std::string& text) : DecimalText(std::string_view(text)) {}  // NOLINT

  // Replaces the text in place. The same as `*this = DecimalText(text)`, without building a
  // temporary: decoders fill the levels of a reused message with this, and copying a freshly
  // written temporary costs a store-forwarding stall per level on x86.
  void assign(std::string_view text) {
    plain_ = 0;
    if (text.size() > kCapacity) {
      size_ = kTooLong;
      return;
    }
    std::memcpy(chars_.data(), text.data(), text.size());
    size_ = static_cast<uint8_t>(text.size());
  }

  // The same for text inside a larger buffer that has at least kCapacity readable bytes from
  // text.data() on (a JSON parser's padded input): copies kCapacity bytes, a few instructions,
  // where a copy of the exact size is a call to memcpy. The bytes after the text are kept but
  // never read as part of it.
  void assign_from_padded(std::string_view text) {
    plain_ = 0;
    if (text.size() > kCapacity) {
      size_ = kTooLong;
      return;
    }
    std::memcpy(chars_.data(), text.data(), kCapacity);
    size_ = static_cast<uint8_t>(text.size());
  }

  // Records the value of the text just assigned when it is a plain decimal (see
  // core/plain_decimal.hpp), for a parser that has read every digit of it anyway (the WebSocket
  // decoder validates each number token), so that readers like OrderBook need not read the
  // digits again. The caller guarantees that `value` is the text's value; it is dropped by the
  // next assign. Ignored for too_long() text and values of more than kMaxPlainDecimalDigits.
  void set_plain_value(PlainDecimal value) {
    if (too_long() || value.digits >= kPlainDigitsLimit || value.fraction_digits > size_) return;
    plain_ = (static_cast<uint64_t>(value.fraction_digits + 1) << kPlainDigitsBits) | value.digits;
  }
  // The value given to set_plain_value since the last assign, if any.
  std::optional<PlainDecimal> plain_value() const {
    if (plain_ == 0) return std::nullopt;
    return PlainDecimal{plain_ & (kPlainDigitsLimit - 1),
                        static_cast<unsigned>(plain_ >> kPlainDigitsBits) - 1};
  }

  std::string_view view() const { return {chars_.data(), too_long() ? size_t{0} : size_t{size_}}; }
  // The inline storage: view() is its first size() bytes; the bytes after them are initialized
  // but meaningless. For parsers that read whole 8-byte words.
  const std::array<char, kCapacity>& storage() const { return chars_; }
  operator std::string_view() const { return view(); }  // NOLINT(google-explicit-constructor)
  std::string str() const { return std::string(view()); }
  bool empty() const { return size_ == 0; }
  bool too_long() const { return size_ == kTooLong; }

  friend bool operator==(const DecimalText& a, const DecimalText& b) {
    return a.size_ == b.size_ && a.view() == b.view();
  }

 private:
  static constexpr uint8_t kTooLong = 0xFF;
  // plain_ packs a PlainDecimal into one word, so that it adds 8 bytes to the 32 of the text: the
  // digits (below 10^16 < 2^56) in the low 56 bits, fraction_digits + 1 in the top 8; 0 is none.
  static constexpr unsigned kPlainDigitsBits = 56;
  static constexpr uint64_t kPlainDigitsLimit = uint64_t{1} << kPlainDigitsBits;
  static_assert(kPlainDigitsLimit > 9'999'999'999'999'999ULL, "16 digits must fit");
  static_assert(kMaxPlainDecimalDigits <= 16);
  // scan_plain_decimal reads storage() directly.
  static_assert(kCapacity >= kPlainDecimalReadBytes);

  std::array<char, kCapacity> chars_{};
  uint8_t size_ = 0;
  uint64_t plain_ = 0;
};

// One price level as the exchange wrote it.
struct BookLevelText {
  DecimalText price;
  DecimalText qty;  // "0" (or "0.0") deletes the level in an update
  friend bool operator==(const BookLevelText&, const BookLevelText&) = default;
};

// CRC-32 as zlib computes it (IEEE 802.3 polynomial, reflected, 0xFFFFFFFF in and out), continuing
// from `crc`: crc32_ieee(b, crc32_ieee(a)) == crc32_ieee(a + b). crc32_ieee("123456789") is
// 0xCBF43926.
// Uses carry-less multiplication (PCLMULQDQ) for long inputs when the CPU has it.
uint32_t crc32_ieee(std::string_view bytes, uint32_t crc = 0);

// crc32_ieee(bytes.substr(zero_prefix)) for `bytes` that start with zero_prefix (at most
// kCrc32MaxZeroPrefix) zero bytes: the same value, from a start state those zeros bring to the
// usual one. A caller pads a text to a multiple of 16 bytes this way so that carry-less folding
// covers all of it (no byte-at-a-time tail, whose table lookups form a long dependency chain).
inline constexpr size_t kCrc32MaxZeroPrefix = 15;
uint32_t crc32_ieee_after_zeros(std::string_view bytes, size_t zero_prefix);

// Longest second part crc32_combine takes, in bytes.
inline constexpr size_t kCrc32CombineMaxBytes = 1024;

// crc32_ieee(a + b) from crc32_ieee(a), crc32_ieee(b) and b.size() (<= kCrc32CombineMaxBytes), as
// zlib's crc32_combine: crc_a times x^(8 * size_b) modulo the polynomial, plus crc_b. One
// carry-less multiplication when the CPU has it, so a book recomputes only the side that changed.
uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t size_b);

namespace crc32_detail {
// The same CRC by table lookups only, the reference the accelerated path is tested against.
uint32_t crc32_ieee_portable(std::string_view bytes, uint32_t crc = 0);
// crc32_combine by shifts and table lookups only.
uint32_t crc32_combine_portable(uint32_t crc_a, uint32_t crc_b, size_t size_b);
}  // namespace crc32_detail

namespace order_book_detail {
// `value` in decimal without leading zeros ("0" for 0) at `out`; returns the number of digits.
// Stores whole 8-byte words below 10^16 (up to 16 bytes, whatever the number of digits), the
// digits only above; `out` needs room for max(16, digits) bytes. The
// checksum text of the book's levels is built with it; exposed to be tested against
// std::to_chars.
size_t format_decimal(uint64_t value, char* out);
}  // namespace order_book_detail

class OrderBook {
  // Longest checksum text of a level: two 64-bit values of at most 19 digits each. What
  // format_decimal stores beyond the digits fits too (at most 16 bytes for values below 10^16).
  static constexpr size_t kMaxLevelTextSize = 38;

  struct Entry {
    int64_t price = 0;  // raw, at price_precision_
    int64_t qty = 0;    // raw, at qty_precision_, always positive
    // This level's part of the checksum text (price digits, then qty digits), formatted when
    // the level changes rather than on every checksum.
    std::array<char, kMaxLevelTextSize> text{};
    uint8_t price_text_size = 0;
    uint8_t text_size = 0;
  };

 public:
  // Kraken's checksum covers the top 10 levels of each side, whatever the subscribed depth.
  static constexpr size_t kChecksumLevels = 10;

  // A read-only view of one side, best level first, valid until the book next changes.
  class LevelsView {
   public:
    class Iterator {
     public:
      using iterator_concept = std::forward_iterator_tag;
      using value_type = BookLevel;
      using difference_type = std::ptrdiff_t;

      Iterator() = default;
      BookLevel operator*() const { return view_->operator[](index_); }
      Iterator& operator++() {
        ++index_;
        return *this;
      }
      Iterator operator++(int) {
        Iterator before = *this;
        ++index_;
        return before;
      }
      friend bool operator==(const Iterator& a, const Iterator& b) { return a.index_ == b.index_; }

     private:
      friend class LevelsView;
      Iterator(const LevelsView* view, size_t index) : view_(view), index_(index) {}
      const LevelsView* view_ = nullptr;
      size_t index_ = 0;
    };

    size_t size() const { return entries_.size(); }
    bool empty() const { return entries_.empty(); }
    BookLevel operator[](size_t index) const;
    Iterator begin() const { return {this, 0}; }
    Iterator end() const { return {this, entries_.size()}; }

   private:
    friend class OrderBook;
    LevelsView(std::span<const Entry> entries, int price_precision, int qty_precision)
        : entries_(entries), price_precision_(price_precision), qty_precision_(qty_precision) {}

    std::span<const Entry> entries_;
    int price_precision_;
    int qty_precision_;
  };

  // An empty book for `spec`'s pair at its price and quantity precisions (from the instrument
  // channel's price_precision/qty_precision, or AssetPairs pair_decimals/lot_decimals), keeping
  // `depth` levels per side: the depth subscribed to (Kraken allows 10, 25, 100, 500, 1000).
  // kInvalidArgument for a depth of 0 or a precision outside 0..18.
  static Result<OrderBook> create(const InstrumentSpec& spec, size_t depth);
  static Result<OrderBook> create(InstrumentId instrument, int price_precision, int qty_precision,
                                  size_t depth);

  // Replaces the book with the snapshot's levels (in any order; a zero quantity is skipped).
  // Updates apply these levels to the book. Both truncate each side to depth afterwards.
  //
  // Every level is parsed before the book changes, so on error the book is as it was. Errors:
  // kInvalidArgument for text that is not a decimal (or too_long()), has non-zero digits beyond
  // the pair's precision, or is a non-positive price or negative quantity; kOutOfRange for a value
  // too large for 64 bits at the precision; kFailedPrecondition for an update before any snapshot
  // (after clear(), updates are refused until the next snapshot).
  Status apply_snapshot(std::span<const BookLevelText> bids, std::span<const BookLevelText> asks);
  Status apply_update(std::span<const BookLevelText> bids, std::span<const BookLevelText> asks);

  // Kraken's CRC32 over the top 10 asks (low to high) then the top 10 bids (high to low), each
  // level as its price then its quantity printed at the pair's precision with the '.' removed
  // and leading zeros stripped.
  uint32_t checksum() const;

  // OK when checksum() equals `expected` (the message's checksum). Otherwise kDataLoss, naming
  // both values: the book no longer matches Kraken's, and the caller must clear() it and
  // resubscribe to get a fresh snapshot (the book does not clear itself).
  Status verify(uint32_t expected) const;

  // Empties the book; updates are refused until the next snapshot.
  void clear();

  // True once a snapshot was applied (and not cleared since).
  bool has_snapshot() const { return has_snapshot_; }

  std::optional<BookLevel> best_bid() const;
  std::optional<BookLevel> best_ask() const;
  // True when both sides exist and the best bid is at or above the best ask. Kraken's books can
  // be crossed even when their checksums pass, so consumers should check before using a mid.
  bool is_crossed() const;

  LevelsView bids() const { return {bids_, price_precision_, qty_precision_}; }  // high to low
  LevelsView asks() const { return {asks_, price_precision_, qty_precision_}; }  // low to high

  // The top `max_levels` of each side as a market data event; the caller fills in the meta
  // (ts_event from the message timestamp, ts_init from its clock; the bus sets the sequence).
  MarketDataL2Event to_event(size_t max_levels, EventMeta meta, bool is_snapshot,
                             std::optional<uint32_t> checksum) const;

  const InstrumentId& instrument() const { return instrument_; }
  int price_precision() const { return price_precision_; }
  int qty_precision() const { return qty_precision_; }
  size_t depth() const { return depth_; }

 private:
  // A level parsed from its text, before it is applied.
  struct ParsedLevel {
    int64_t price = 0;
    int64_t qty = 0;  // 0 deletes
  };

  enum class Side { kBid, kAsk };

  OrderBook(InstrumentId instrument, int price_precision, int qty_precision, size_t depth);

  Status parse_levels(std::span<const BookLevelText> levels, std::string_view side_name,
                      std::vector<ParsedLevel>& out) const;
  // One side of a snapshot into `out` (cleared first), truncated to depth, when every level is
  // a plain decimal the fast path reads and prices strictly go from best to worst (zero
  // quantities skipped); false otherwise, `out` then meaningless.
  template <bool kIsBid>
  bool build_sorted_side(std::span<const BookLevelText> levels, std::vector<Entry>& out) const;
  void apply_levels(Side side, std::vector<ParsedLevel>& levels);
  void apply_in_order(Side side, std::span<const ParsedLevel> levels);
  void apply_by_merge(Side side, std::vector<ParsedLevel>& levels);
  std::vector<Entry>& entries(Side side) { return side == Side::kBid ? bids_ : asks_; }
  // Sets a level's price and quantity and formats its checksum text, in place: building an
  // Entry elsewhere and copying it in reads back bytes just written one by one, which stalls.
  static void set_level(Entry& entry, int64_t price, int64_t qty);
  static void set_qty(Entry& entry, int64_t qty);
  BookLevel level_of(const Entry& entry) const;

  InstrumentId instrument_;
  int price_precision_;
  int qty_precision_;
  size_t depth_;
  bool has_snapshot_ = false;
  std::vector<Entry> bids_;  // sorted by price, highest first
  std::vector<Entry> asks_;  // sorted by price, lowest first
  // The CRC of one side's part of the checksum text, and its length.
  struct SideCrc {
    uint32_t crc = 0;
    uint32_t size = 0;
  };
  SideCrc side_crc(const std::vector<Entry>& side) const;
  // Each side's part, kept until that side changes: a message changes one side (most do), and
  // only that part is hashed again; crc32_combine joins the two.
  mutable std::optional<SideCrc> asks_crc_;
  mutable std::optional<SideCrc> bids_crc_;
  // Scratch space reused across messages so applying a message does not allocate.
  std::vector<ParsedLevel> parsed_bids_;
  std::vector<ParsedLevel> parsed_asks_;
  std::vector<Entry> merged_;
  std::vector<Entry> snapshot_bids_;
  std::vector<Entry> snapshot_asks_;
};

}  // namespace galfriday
