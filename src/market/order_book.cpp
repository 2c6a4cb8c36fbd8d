#include "galfriday/market/order_book.hpp"

#include <algorithm>
#include <bit>
#include <cassert>
#include <charconv>
#include <cstring>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace galfriday {
namespace {

// Reflected CRC-32 polynomial of IEEE 802.3, as zlib uses it.
constexpr uint32_t kCrc32Polynomial = 0xEDB88320u;
constexpr size_t kCrcSlices = 8;

using CrcTables = std::array<std::array<uint32_t, 256>, kCrcSlices>;

// Slicing-by-8 tables: tables[0] is the classic byte table; tables[k][b] is the CRC of byte b
// followed by k zero bytes, so eight input bytes fold in with eight lookups.
constexpr CrcTables make_crc_tables() {
  CrcTables tables{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1u) != 0 ? kCrc32Polynomial ^ (crc >> 1) : crc >> 1;
    tables[0][byte] = crc;
  }
  for (uint32_t byte = 0; byte < 256; ++byte) {
    for (size_t slice = 1; slice < kCrcSlices; ++slice) {
      const uint32_t previous = tables[slice - 1][byte];
      tables[slice][byte] = (previous >> 8) ^ tables[0][previous & 0xFFu];
    }
  }
  return tables;
}

constexpr CrcTables kCrcTables = make_crc_tables();

// Up to this many levels per side, a message is applied level by level with a binary search
// each (the common case: Kraken updates carry a handful of levels). Larger messages (snapshots,
// bursts) are sorted and merged in one pass, so no input makes applying quadratic.
constexpr size_t kMaxLevelsAppliedInOrder = 16;

// Digits a plain decimal may have on the fast path: 10^18 - 1 fits an int64 with room to spare.
constexpr int kMaxFastPathDigits = 18;

constexpr std::array<int64_t, kMaxFastPathDigits + 1> make_powers_of_ten() {
  std::array<int64_t, kMaxFastPathDigits + 1> powers{};
  powers[0] = 1;
  for (size_t i = 1; i < powers.size(); ++i) powers[i] = powers[i - 1] * 10;
  return powers;
}
constexpr auto kPowersOfTen = make_powers_of_ten();

bool is_digit(char c) { return static_cast<unsigned char>(c - '0') <= 9; }

// Sets `raw` to the value of a plain decimal ("29431.1", "0.00100000", "4") at `precision` and
// returns true, or returns false when the text takes the general parser (FixedPoint::parse): an
// exponent, a sign, more than 18 digits at the precision, non-zero digits beyond it, or anything
// malformed. Kraken's book numbers almost always take this path; the general parser gives the
// same value or the error. (A bool and an out parameter rather than std::optional: the optional
// comes back through memory written in two parts and read in one, which stalls on every call.)
bool parse_plain_decimal_bytewise(std::string_view text, int precision, int64_t& raw) {
  const size_t size = text.size();
  const char* const chars = text.data();
  size_t integer_size = 0;
  int64_t value = 0;
  while (integer_size < size && is_digit(chars[integer_size])) {
    value = value * 10 + (chars[integer_size] - '0');
    ++integer_size;
    // Every digit is below 10^(integer_size + precision), so this bound rules out overflow.
    if (integer_size + static_cast<size_t>(precision) > kMaxFastPathDigits) return false;
  }
  if (integer_size == 0) return false;
  size_t decimals = 0;
  if (integer_size < size) {
    if (chars[integer_size] != '.' || integer_size + 1 == size) return false;
    const char* const fraction = chars + integer_size + 1;
    const size_t fraction_size = size - integer_size - 1;
    const size_t kept = std::min(fraction_size, static_cast<size_t>(precision));
    for (; decimals < kept; ++decimals) {
      if (!is_digit(fraction[decimals])) return false;
      value = value * 10 + (fraction[decimals] - '0');
    }
    for (size_t i = kept; i < fraction_size; ++i) {
      if (fraction[i] != '0') return false;  // digits beyond the precision, or not digits
    }
  }
  raw = value * kPowersOfTen[static_cast<size_t>(precision) - decimals];
  return true;
}

constexpr uint64_t kLow7BitsOfTwoLanes = 0x0000007F0000007FULL;
constexpr uint64_t kLowNibblesOfFourLanes = 0x000F000F000F000FULL;
constexpr uint64_t kEightAsciiZeros = 0x3030303030303030ULL;
constexpr uint64_t kTenToThe8 = 100000000ULL;
constexpr uint64_t kTenToThe16 = 10000000000000000ULL;
constexpr size_t kMaxUint64Digits = 20;

// The 8 decimal digits of v < 10^8 (leading zeros included), one per byte, the most
// significant in the lowest byte: split into two 4-digit lanes, each into two 2-digit lanes,
// each into two digits, by multiplications by reciprocals (P. Khuong, "How to print integers
// really fast"). Checked against std::to_chars by order_book_test.
uint64_t eight_digits(uint64_t v) {
  const uint64_t ten_thousands = (v / 10000) | ((v % 10000) << 32);
  const uint64_t high_hundreds = ((ten_thousands * 10486ULL) >> 20) & kLow7BitsOfTwoLanes;
  const uint64_t hundreds = ((ten_thousands - 100ULL * high_hundreds) << 16) + high_hundreds;
  uint64_t tens = ((hundreds * 103ULL) >> 10) & kLowNibblesOfFourLanes;
  tens += (hundreds - 10ULL * tens) << 8;
  return tens;
}

}  // namespace

namespace order_book_detail {

size_t format_decimal(uint64_t value, char* out) {
  if constexpr (std::endian::native != std::endian::little) {
    return static_cast<size_t>(std::to_chars(out, out + kMaxUint64Digits, value).ptr - out);
  }
  if (value < kTenToThe8) {
    const uint64_t digits = eight_digits(value);
    const int leading_zeros = value == 0 ? 7 : std::countr_zero(digits) / 8;
    const uint64_t ascii = (digits + kEightAsciiZeros) >> (8 * leading_zeros);
    std::memcpy(out, &ascii, sizeof(ascii));
    return static_cast<size_t>(8 - leading_zeros);
  }
  if (value < kTenToThe16) {
    const uint64_t high = eight_digits(value / kTenToThe8);
    const uint64_t low = eight_digits(value % kTenToThe8) + kEightAsciiZeros;
    const int leading_zeros = std::countr_zero(high) / 8;
    const uint64_t ascii = (high + kEightAsciiZeros) >> (8 * leading_zeros);
    std::memcpy(out, &ascii, sizeof(ascii));
    std::memcpy(out + 8 - leading_zeros, &low, sizeof(low));
    return static_cast<size_t>(16 - leading_zeros);
  }
  return static_cast<size_t>(std::to_chars(out, out + kMaxUint64Digits, value).ptr - out);
}

}  // namespace order_book_detail

namespace {

// `plain` at `precision` (fraction_digits <= precision), when it stays within 18 digits there
// like the byte-wise reader (so no overflow); beyond that false: the general parser decides.
bool scale_plain_decimal(PlainDecimal plain, int precision, int64_t& raw) {
  const auto scale = static_cast<size_t>(precision) - plain.fraction_digits;
  if (plain.digits >= static_cast<uint64_t>(kPowersOfTen[kMaxFastPathDigits - scale])) {
    return false;
  }
  raw = static_cast<int64_t>(plain.digits) * kPowersOfTen[scale];
  return true;
}

// parse_plain_decimal for a text without a recorded value: read a word at a time
// (core/plain_decimal.hpp) when it is a plain decimal that reader takes, else byte-wise, which
// also decides on digits beyond the precision (accepted only when they are zeros).
[[gnu::noinline]] bool parse_plain_decimal_text(const DecimalText& text, int precision,
                                                int64_t& raw) {
  PlainDecimal plain;
  const size_t size = text.view().size();  // 0 for too_long() text
  if (size == 0 || scan_plain_decimal(text.storage().data(), plain) != size ||
      plain.fraction_digits > static_cast<unsigned>(precision)) {
    return parse_plain_decimal_bytewise(text.view(), precision, raw);
  }
  return scale_plain_decimal(plain, precision, raw);
}

// parse_plain_decimal_bytewise's result for the same text, from the value the decoder recorded
// (DecimalText::plain_value) when there is one: inlined, as it runs for every number of every
// book message.
[[gnu::always_inline]] inline bool parse_plain_decimal(const DecimalText& text, int precision,
                                                       int64_t& raw) {
  if (const auto recorded = text.plain_value();
      recorded && recorded->fraction_digits <= static_cast<unsigned>(precision)) {
    return scale_plain_decimal(*recorded, precision, raw);
  }
  return parse_plain_decimal_text(text, precision, raw);
}

// Whether a price ranks ahead of another on a side: higher bids, lower asks.
template <bool kIsBid>
bool better(int64_t a, int64_t b) {
  if constexpr (kIsBid) {
    return a > b;
  } else {
    return a < b;
  }
}

}  // namespace

namespace {

// The CRC register (before the final inversion) after `size` more bytes, eight at a time.
uint32_t crc32_by_tables(uint32_t state, const unsigned char* data, size_t size) {
  const auto& t = kCrcTables;
  if constexpr (std::endian::native == std::endian::little) {
    while (size >= kCrcSlices) {
      uint32_t low = 0;
      uint32_t high = 0;
      std::memcpy(&low, data, sizeof(low));
      std::memcpy(&high, data + sizeof(low), sizeof(high));
      low ^= state;
      state = t[7][low & 0xFFu] ^ t[6][(low >> 8) & 0xFFu] ^ t[5][(low >> 16) & 0xFFu] ^
              t[4][low >> 24] ^ t[3][high & 0xFFu] ^ t[2][(high >> 8) & 0xFFu] ^
              t[1][(high >> 16) & 0xFFu] ^ t[0][high >> 24];
      data += kCrcSlices;
      size -= kCrcSlices;
    }
  }
  for (; size > 0; --size, ++data) state = (state >> 8) ^ t[0][(state ^ *data) & 0xFFu];
  return state;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define GF_CRC32_CLMUL 1

constexpr size_t kClmulMinBytes = 64;
constexpr size_t kClmulBlock = 16;

#define GF_TARGET_CLMUL __attribute__((target("sse4.1,pclmul")))

GF_TARGET_CLMUL inline __m128i load(const unsigned char* at) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(at));
}

// lane × constants (both 64-bit halves, carry-less), folded onto the next 16 bytes.
GF_TARGET_CLMUL inline __m128i fold(__m128i lane, __m128i constants, __m128i next) {
  const __m128i low = _mm_clmulepi64_si128(lane, constants, 0x00);
  const __m128i high = _mm_clmulepi64_si128(lane, constants, 0x11);
  return _mm_xor_si128(_mm_xor_si128(high, low), next);
}

// CRC register after `size` bytes (size >= 64, a multiple of 16) by carry-less multiplication:
// four 128-bit lanes are folded 64 bytes at a time, then into one lane, then Barrett-reduced.
// This is the folding of Intel's "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ"
// with its constants for the bit-reflected IEEE polynomial (the same as zlib's and Linux's
// crc32-pclmul). Checked against the table version over random inputs in order_book_test.
GF_TARGET_CLMUL uint32_t crc32_by_clmul(uint32_t state, const unsigned char* data, size_t size) {
  alignas(16) static constexpr uint64_t kK1K2[] = {0x0154442bd4, 0x01c6e41596};
  alignas(16) static constexpr uint64_t kK3K4[] = {0x01751997d0, 0x00ccaa009e};
  alignas(16) static constexpr uint64_t kK5K0[] = {0x0163cd6124, 0x0000000000};
  alignas(16) static constexpr uint64_t kPoly[] = {0x01db710641, 0x01f7011641};
  __m128i x1 = _mm_xor_si128(load(data), _mm_cvtsi32_si128(static_cast<int>(state)));
  __m128i x2 = load(data + 16);
  __m128i x3 = load(data + 32);
  __m128i x4 = load(data + 48);
  data += kClmulMinBytes;
  size -= kClmulMinBytes;

  __m128i k = _mm_load_si128(reinterpret_cast<const __m128i*>(kK1K2));
  for (; size >= kClmulMinBytes; data += kClmulMinBytes, size -= kClmulMinBytes) {
    x1 = fold(x1, k, load(data));
    x2 = fold(x2, k, load(data + 16));
    x3 = fold(x3, k, load(data + 32));
    x4 = fold(x4, k, load(data + 48));
  }

  k = _mm_load_si128(reinterpret_cast<const __m128i*>(kK3K4));
  x1 = fold(x1, k, x2);
  x1 = fold(x1, k, x3);
  x1 = fold(x1, k, x4);
  for (; size >= kClmulBlock; data += kClmulBlock, size -= kClmulBlock) {
    x1 = fold(x1, k, load(data));
  }

  // 128 bits to 64.
  const __m128i mask32 = _mm_setr_epi32(~0, 0, ~0, 0);
  x2 = _mm_clmulepi64_si128(x1, k, 0x10);
  x1 = _mm_xor_si128(_mm_srli_si128(x1, 8), x2);
  k = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(kK5K0));
  x2 = _mm_srli_si128(x1, 4);
  x1 = _mm_xor_si128(_mm_clmulepi64_si128(_mm_and_si128(x1, mask32), k, 0x00), x2);

  // Barrett reduction to 32 bits.
  k = _mm_load_si128(reinterpret_cast<const __m128i*>(kPoly));
  x2 = _mm_and_si128(x1, mask32);
  x2 = _mm_clmulepi64_si128(x2, k, 0x10);
  x2 = _mm_and_si128(x2, mask32);
  x2 = _mm_clmulepi64_si128(x2, k, 0x00);
  x1 = _mm_xor_si128(x1, x2);
  return static_cast<uint32_t>(_mm_extract_epi32(x1, 1));
}

bool cpu_has_clmul() {
  static const bool has = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return has;
}
#endif

}  // namespace

namespace {

// The CRC register after `size` more bytes: carry-less folding for the multiple of 16 bytes
// when there are at least 64 and the CPU has it, tables for the rest.
uint32_t crc32_register(uint32_t state, const unsigned char* data, size_t size) {
#ifdef GF_CRC32_CLMUL
  if (size >= kClmulMinBytes && cpu_has_clmul()) {
    const size_t folded = size & ~(kClmulBlock - 1);
    state = crc32_by_clmul(state, data, folded);
    data += folded;
    size -= folded;
  }
#endif
  return crc32_by_tables(state, data, size);
}

// kZeroPrefixStates[k]: the register that k zero bytes bring to 0xFFFFFFFF, the usual start.
// Found by running the byte step backwards: its table's top bytes are all different, so the
// top byte of a register names the table entry that produced it.
using ZeroPrefixStates = std::array<uint32_t, kCrc32MaxZeroPrefix + 1>;
constexpr ZeroPrefixStates make_zero_prefix_states() {
  std::array<uint8_t, 256> entry_of_top_byte{};
  for (uint32_t byte = 0; byte < 256; ++byte) {
    entry_of_top_byte[kCrcTables[0][byte] >> 24] = static_cast<uint8_t>(byte);
  }
  ZeroPrefixStates states{};
  uint32_t state = 0xFFFFFFFFu;
  for (size_t k = 0; k < states.size(); ++k) {
    states[k] = state;
    const uint8_t entry = entry_of_top_byte[state >> 24];
    state = ((state ^ kCrcTables[0][entry]) << 8) | entry;
  }
  return states;
}
constexpr ZeroPrefixStates kZeroPrefixStates = make_zero_prefix_states();

}  // namespace

uint32_t crc32_ieee(std::string_view bytes, uint32_t crc) {
  return ~crc32_register(~crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

uint32_t crc32_ieee_after_zeros(std::string_view bytes, size_t zero_prefix) {
  assert(zero_prefix <= kCrc32MaxZeroPrefix && zero_prefix <= bytes.size());
  return ~crc32_register(kZeroPrefixStates[zero_prefix],
                         reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

namespace {

// x^(8n) modulo the polynomial for n = 0..kCrc32CombineMaxBytes, as reflected registers (bit 31
// is x^0): n zero bytes through the byte table, one at a time.
using CrcShifts = std::array<uint32_t, kCrc32CombineMaxBytes + 1>;
constexpr CrcShifts make_crc_shifts() {
  CrcShifts shifts{};
  shifts[0] = 0x80000000u;
  for (size_t n = 1; n < shifts.size(); ++n) {
    shifts[n] = (shifts[n - 1] >> 8) ^ kCrcTables[0][shifts[n - 1] & 0xFFu];
  }
  return shifts;
}
constexpr CrcShifts kCrcShifts = make_crc_shifts();

// a(x) * b(x) modulo the polynomial, both reflected registers, one bit at a time (zlib's
// multmodp).
uint32_t multiply_mod_p_bitwise(uint32_t a, uint32_t b) {
  uint32_t product = 0;
  for (uint32_t bit = 0x80000000u; bit != 0; bit >>= 1) {
    if ((a & bit) != 0) product ^= b;
    b = (b & 1u) != 0 ? (b >> 1) ^ kCrc32Polynomial : b >> 1;
  }
  return product;
}

#ifdef GF_CRC32_CLMUL
// The same by one carry-less multiplication. For reflected registers, bit k of the 64-bit
// product is the coefficient of x^(62 - k), so product << 1 is the 64-bit reflected register
// of a(x) * b(x): its low half holds x^63..x^32, its high half x^31..x^0. The low half times x^32
// is four zero bytes through the slicing tables.
GF_TARGET_CLMUL uint32_t multiply_mod_p_clmul(uint32_t a, uint32_t b) {
  const __m128i product = _mm_clmulepi64_si128(_mm_cvtsi32_si128(static_cast<int>(a)),
                                               _mm_cvtsi32_si128(static_cast<int>(b)), 0x00);
  const auto wide = static_cast<uint64_t>(_mm_cvtsi128_si64(product)) << 1;
  const auto high_degrees = static_cast<uint32_t>(wide);
  const auto low_degrees = static_cast<uint32_t>(wide >> 32);
  const auto& t = kCrcTables;
  return t[3][high_degrees & 0xFFu] ^ t[2][(high_degrees >> 8) & 0xFFu] ^
         t[1][(high_degrees >> 16) & 0xFFu] ^ t[0][high_degrees >> 24] ^ low_degrees;
}
#endif

}  // namespace

uint32_t crc32_combine(uint32_t crc_a, uint32_t crc_b, size_t size_b) {
  assert(size_b <= kCrc32CombineMaxBytes);
#ifdef GF_CRC32_CLMUL
  if (cpu_has_clmul()) return multiply_mod_p_clmul(kCrcShifts[size_b], crc_a) ^ crc_b;
#endif
  return multiply_mod_p_bitwise(kCrcShifts[size_b], crc_a) ^ crc_b;
}

namespace crc32_detail {

uint32_t crc32_combine_portable(uint32_t crc_a, uint32_t crc_b, size_t size_b) {
  assert(size_b <= kCrc32CombineMaxBytes);
  return multiply_mod_p_bitwise(kCrcShifts[size_b], crc_a) ^ crc_b;
}

uint32_t crc32_ieee_portable(std::string_view bytes, uint32_t crc) {
  return ~crc32_by_tables(~crc, reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

}  // namespace crc32_detail

BookLevel OrderBook::LevelsView::operator[](size_t index) const {
  assert(index < entries_.size());
  const Entry& entry = entries_[index];
  return {Price::from_raw(entry.price, price_precision_),
          Quantity::from_raw(entry.qty, qty_precision_)};
}

Result<OrderBook> OrderBook::create(const InstrumentSpec& spec, size_t depth) {
  return create(spec.id, spec.price_precision, spec.qty_precision, depth);
}

Result<OrderBook> OrderBook::create(InstrumentId instrument, int price_precision, int qty_precision,
                                    size_t depth) {
  if (depth == 0) return invalid_argument(instrument.str() + " book: depth must be at least 1");
  for (const int precision : {price_precision, qty_precision}) {
    if (precision < 0 || precision > kMaxPrecision) {
      return invalid_argument(instrument.str() + " book: precision " + std::to_string(precision) +
                              " is outside 0.." + std::to_string(kMaxPrecision));
    }
  }
  return OrderBook(std::move(instrument), price_precision, qty_precision, depth);
}

OrderBook::OrderBook(InstrumentId instrument, int price_precision, int qty_precision, size_t depth)
    : instrument_(std::move(instrument)),
      price_precision_(price_precision),
      qty_precision_(qty_precision),
      depth_(depth) {}

template <bool kIsBid>
bool OrderBook::build_sorted_side(std::span<const BookLevelText> levels,
                                  std::vector<Entry>& out) const {
  out.clear();
  out.reserve(std::min(levels.size(), depth_));
  int64_t previous = 0;
  for (const BookLevelText& level : levels) {
    int64_t price = 0;
    int64_t qty = 0;
    if (!parse_plain_decimal(level.price, price_precision_, price) ||
        !parse_plain_decimal(level.qty, qty_precision_, qty) || price <= 0) {
      return false;
    }
    if (qty == 0) continue;
    if (!out.empty() && !better<kIsBid>(previous, price)) return false;
    previous = price;
    // Levels past the depth are still read: a bad one refuses the whole snapshot.
    if (out.size() < depth_) set_level(out.emplace_back(), price, qty);
  }
  return true;
}

Status OrderBook::apply_snapshot(std::span<const BookLevelText> bids,
                                 std::span<const BookLevelText> asks) {
  // Kraken sends snapshots best level first on each side: such a side is built in one pass into
  // scratch space and swapped in, the book untouched until both sides are read. Anything else
  // (levels out of order, repeated prices, text the fast path does not take) goes through the
  // general path below, which sorts and words errors.
  if (build_sorted_side<true>(bids, snapshot_bids_) &&
      build_sorted_side<false>(asks, snapshot_asks_)) {
    bids_.swap(snapshot_bids_);
    asks_.swap(snapshot_asks_);
    asks_crc_.reset();
    bids_crc_.reset();
    has_snapshot_ = true;
    return Status::ok();
  }
  GF_RETURN_IF_ERROR(parse_levels(bids, "bids", parsed_bids_));
  GF_RETURN_IF_ERROR(parse_levels(asks, "asks", parsed_asks_));
  bids_.clear();
  asks_.clear();
  asks_crc_.reset();
  bids_crc_.reset();
  apply_levels(Side::kBid, parsed_bids_);
  apply_levels(Side::kAsk, parsed_asks_);
  has_snapshot_ = true;
  return Status::ok();
}

Status OrderBook::apply_update(std::span<const BookLevelText> bids,
                               std::span<const BookLevelText> asks) {
  if (!has_snapshot_) {
    return failed_precondition(instrument_.str() +
                               " book: update before a snapshot (waiting for a fresh snapshot)");
  }
  GF_RETURN_IF_ERROR(parse_levels(bids, "bids", parsed_bids_));
  GF_RETURN_IF_ERROR(parse_levels(asks, "asks", parsed_asks_));
  apply_levels(Side::kBid, parsed_bids_);
  apply_levels(Side::kAsk, parsed_asks_);
  return Status::ok();
}

Status OrderBook::parse_levels(std::span<const BookLevelText> levels, std::string_view side_name,
                               std::vector<ParsedLevel>& out) const {
  out.clear();
  out.reserve(levels.size());
  for (size_t i = 0; i < levels.size(); ++i) {
    const BookLevelText& level = levels[i];
    int64_t price = 0;
    int64_t qty = 0;
    if (parse_plain_decimal(level.price, price_precision_, price) &&
        parse_plain_decimal(level.qty, qty_precision_, qty) && price > 0) {
      out.push_back({price, qty});
      continue;
    }
    // The general parser accepts what the fast path leaves (exponents, signs) and words errors.
    auto where = [&](std::string_view field) {
      std::string context = instrument_.str() + " book ";
      context.append(side_name);
      context += '[' + std::to_string(i) + "].";
      context.append(field);
      return context;
    };
    for (const auto& [field, text] :
         {std::pair{"price", &level.price}, std::pair{"qty", &level.qty}}) {
      if (text->too_long()) {
        return invalid_argument(where(field) + ": longer than " +
                                std::to_string(DecimalText::kCapacity) + " characters");
      }
    }
    auto full_price = Price::parse(level.price, price_precision_);
    if (!full_price) return full_price.status().with_context(where("price"));
    if (!full_price->is_positive()) {
      return invalid_argument(where("price") + ": " + level.price.str() + " is not positive");
    }
    auto full_qty = Quantity::parse(level.qty, qty_precision_);
    if (!full_qty) return full_qty.status().with_context(where("qty"));
    if (full_qty->is_negative()) {
      return invalid_argument(where("qty") + ": " + level.qty.str() + " is negative");
    }
    out.push_back({full_price->raw(), full_qty->raw()});
  }
  return Status::ok();
}

void OrderBook::apply_levels(Side side, std::vector<ParsedLevel>& levels) {
  if (levels.empty()) return;
  (side == Side::kAsk ? asks_crc_ : bids_crc_).reset();
  if (levels.size() <= kMaxLevelsAppliedInOrder) {
    apply_in_order(side, levels);
  } else {
    apply_by_merge(side, levels);
  }
  auto& side_entries = entries(side);
  if (side_entries.size() > depth_) {
    side_entries.erase(side_entries.begin() + static_cast<std::ptrdiff_t>(depth_),
                       side_entries.end());
  }
}

void OrderBook::apply_in_order(Side side, std::span<const ParsedLevel> levels) {
  auto apply = [&]<bool kIsBid>(std::vector<Entry>& side_entries) {
    for (const ParsedLevel& level : levels) {
      const auto it = std::lower_bound(
          side_entries.begin(), side_entries.end(), level.price,
          [](const Entry& entry, int64_t price) { return better<kIsBid>(entry.price, price); });
      const bool exists = it != side_entries.end() && it->price == level.price;
      if (level.qty == 0) {
        if (exists) side_entries.erase(it);
      } else if (exists) {
        set_qty(*it, level.qty);
      } else {
        set_level(*side_entries.emplace(it), level.price, level.qty);
      }
    }
  };
  if (side == Side::kBid) {
    apply.template operator()<true>(bids_);
  } else {
    apply.template operator()<false>(asks_);
  }
}

void OrderBook::apply_by_merge(Side side, std::vector<ParsedLevel>& levels) {
  auto merge = [&]<bool kIsBid>(std::vector<Entry>& side_entries) {
    // Sorting stably keeps message order among equal prices; only the last of each survives,
    // which is what applying the levels one after another would leave.
    std::stable_sort(levels.begin(), levels.end(), [](const ParsedLevel& a, const ParsedLevel& b) {
      return better<kIsBid>(a.price, b.price);
    });
    size_t kept = 0;
    for (size_t i = 0; i < levels.size(); ++i) {
      if (i + 1 < levels.size() && levels[i + 1].price == levels[i].price) continue;
      levels[kept++] = levels[i];
    }
    levels.resize(kept);

    merged_.clear();
    merged_.reserve(side_entries.size() + levels.size());
    size_t old_index = 0;
    size_t new_index = 0;
    while (old_index < side_entries.size() || new_index < levels.size()) {
      const bool take_old =
          new_index == levels.size() ||
          (old_index < side_entries.size() &&
           better<kIsBid>(side_entries[old_index].price, levels[new_index].price));
      if (take_old) {
        merged_.push_back(side_entries[old_index++]);
        continue;
      }
      const ParsedLevel& level = levels[new_index++];
      if (old_index < side_entries.size() && side_entries[old_index].price == level.price) {
        ++old_index;  // replaced or deleted by the message
      }
      if (level.qty != 0) set_level(merged_.emplace_back(), level.price, level.qty);
    }
    side_entries.swap(merged_);
  };
  if (side == Side::kBid) {
    merge.template operator()<true>(bids_);
  } else {
    merge.template operator()<false>(asks_);
  }
}

void OrderBook::set_level(Entry& entry, int64_t price, int64_t qty) {
  // At a fixed precision, "remove the '.' and strip leading zeros" is the raw integer in decimal.
  entry.price = price;
  entry.price_text_size = static_cast<uint8_t>(
      order_book_detail::format_decimal(static_cast<uint64_t>(price), entry.text.data()));
  set_qty(entry, qty);
}

void OrderBook::set_qty(Entry& entry, int64_t qty) {
  entry.qty = qty;
  const size_t size = order_book_detail::format_decimal(static_cast<uint64_t>(qty),
                                                        entry.text.data() + entry.price_text_size);
  entry.text_size = static_cast<uint8_t>(entry.price_text_size + size);
}

namespace {

// Writes the checksum text of a side's top levels from `out` on and returns its size. Each
// level's text is copied whole (a fixed-size copy the compiler inlines) and the end moved by its
// real size, so `out` needs kMaxLevelTextSize bytes of slack.
template <typename EntryType>
size_t write_checksum_text(const std::vector<EntryType>& side, size_t levels, char* out) {
  size_t size = 0;
  const size_t count = std::min(side.size(), levels);
  for (size_t i = 0; i < count; ++i) {
    std::memcpy(out + size, side[i].text.data(), side[i].text.size());
    size += side[i].text_size;
  }
  return size;
}

}  // namespace

OrderBook::SideCrc OrderBook::side_crc(const std::vector<Entry>& side) const {
  // The text goes after kCrc32MaxZeroPrefix zero bytes, at most 10 levels plus slack for the last
  // fixed-size copy. Hashed with as many of the zeros before it as make its length a multiple of
  // 16, it is folded by carry-less multiplication to the end, with no byte-wise tail.
  constexpr size_t kPrefix = kCrc32MaxZeroPrefix;
  static_assert(kPrefix == 15);
  std::array<char, kPrefix + 1 + (kChecksumLevels + 1) * kMaxLevelTextSize> buffer;
  std::memset(buffer.data(), 0, kPrefix + 1);
  const size_t size = write_checksum_text(side, kChecksumLevels, buffer.data() + kPrefix + 1);
  const size_t zeros = (16 - size % 16) % 16;
  const std::string_view padded(buffer.data() + kPrefix + 1 - zeros, zeros + size);
  return {crc32_ieee_after_zeros(padded, zeros), static_cast<uint32_t>(size)};
}

uint32_t OrderBook::checksum() const {
  static_assert(kChecksumLevels * kMaxLevelTextSize <= kCrc32CombineMaxBytes);
  if (!asks_crc_) asks_crc_ = side_crc(asks_);
  if (!bids_crc_) bids_crc_ = side_crc(bids_);
  return crc32_combine(asks_crc_->crc, bids_crc_->crc, bids_crc_->size);
}

Status OrderBook::verify(uint32_t expected) const {
  const uint32_t computed = checksum();
  if (computed == expected) return Status::ok();
  return data_loss(instrument_.str() + " book checksum mismatch: Kraken sent " +
                   std::to_string(expected) + ", the local book gives " + std::to_string(computed) +
                   "; drop the book and resubscribe");
}

void OrderBook::clear() {
  bids_.clear();
  asks_.clear();
  asks_crc_.reset();
  bids_crc_.reset();
  has_snapshot_ = false;
}

std::optional<BookLevel> OrderBook::best_bid() const {
  if (bids_.empty()) return std::nullopt;
  return level_of(bids_.front());
}

std::optional<BookLevel> OrderBook::best_ask() const {
  if (asks_.empty()) return std::nullopt;
  return level_of(asks_.front());
}

bool OrderBook::is_crossed() const {
  return !bids_.empty() && !asks_.empty() && bids_.front().price >= asks_.front().price;
}

BookLevel OrderBook::level_of(const Entry& entry) const {
  return {Price::from_raw(entry.price, price_precision_),
          Quantity::from_raw(entry.qty, qty_precision_)};
}

MarketDataL2Event OrderBook::to_event(size_t max_levels, EventMeta meta, bool is_snapshot,
                                      std::optional<uint32_t> checksum) const {
  MarketDataL2Event event;
  event.meta = meta;
  event.instrument = instrument_;
  event.is_snapshot = is_snapshot;
  event.checksum = checksum;
  auto copy = [&](const std::vector<Entry>& side_entries, std::vector<BookLevel>& out) {
    const size_t count = std::min(side_entries.size(), max_levels);
    out.reserve(count);
    for (size_t i = 0; i < count; ++i) out.push_back(level_of(side_entries[i]));
  };
  copy(bids_, event.bids);
  copy(asks_, event.asks);
  return event;
}

}  // namespace galfriday
