#include "galfriday/core/fixed_point.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace galfriday {
namespace {

Price price(std::string_view text, int precision) { return Price::parse(text, precision).value(); }
Quantity qty(std::string_view text, int precision) {
  return Quantity::parse(text, precision).value();
}

TEST(FixedPoint, ParsesAndPrintsAtExactPrecision) {
  EXPECT_EQ(price("37500", 1).to_string(), "37500.0");
  EXPECT_EQ(price("30306.1", 1).raw(), 303061);
  EXPECT_EQ(qty("0.00100000", 8).to_string(), "0.00100000");
  EXPECT_EQ(qty("1.25", 8).to_string(), "1.25000000");
  EXPECT_EQ(price("-0.5", 3).to_string(), "-0.500");
  EXPECT_EQ(price("0", 0).to_string(), "0");
  EXPECT_EQ(price("42", 0).to_string(), "42");
  EXPECT_EQ(price("0.0001", 4).to_string(), "0.0001");
}

TEST(FixedPoint, KrakenPrecisionsFromAssetPairs) {
  // XXBTZUSD: pair_decimals 1, lot_decimals 8, ordermin "0.0001", costmin "0.5".
  EXPECT_EQ(qty("0.0001", 8).raw(), 10000);
  EXPECT_EQ(Money::parse("0.5", 5).value().to_string(), "0.50000");
  // XETHXXBT: pair_decimals 5, tick_size "0.00001".
  EXPECT_EQ(price("0.00001", 5).raw(), 1);
  // MATIC/USD book levels: price 4 dp, qty 8 dp as in the checksum docs example.
  EXPECT_EQ(price("0.5666", 4).to_string(), "0.5666");
  EXPECT_EQ(qty("4831.75496356", 8).raw(), 483175496356);
}

TEST(FixedPoint, AcceptsTrailingZerosBeyondPrecision) {
  // REST often pads prices to 8 decimals even when the pair has fewer.
  EXPECT_EQ(price("30306.10000000", 1).to_string(), "30306.1");
}

TEST(FixedPoint, RejectsExcessPrecisionWithClearError) {
  auto result = Price::parse("30306.15", 1);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("'30306.15' has more decimals than the allowed 1"),
            std::string::npos)
      << result.status().message();
}

TEST(FixedPoint, RejectsMalformedText) {
  for (const char* text : {"", "-", ".", "abc", "1.2.3", "1,5", " 1", "1 ", "--1", "1e", "nan",
                           "inf", "0x10", "1e+"}) {
    EXPECT_FALSE(Price::parse(text, 4).is_ok()) << text;
  }
}

TEST(FixedPoint, ParsesExponentNotationFromJsonFloats) {
  EXPECT_EQ(qty("1e-05", 8).to_string(), "0.00001000");
  EXPECT_EQ(price("4.5e3", 1).to_string(), "4500.0");
  EXPECT_EQ(price("1.5E+2", 0).to_string(), "150");
  EXPECT_FALSE(Quantity::parse("1e-9", 8).is_ok());
}

TEST(FixedPoint, MaxAndMinValuesRoundTrip) {
  const int64_t max = std::numeric_limits<int64_t>::max();
  const int64_t min = std::numeric_limits<int64_t>::min();
  EXPECT_EQ(Quantity::parse("92233720368.54775807", 8).value().raw(), max);
  EXPECT_EQ(Quantity::parse("-92233720368.54775808", 8).value().raw(), min);
  EXPECT_EQ(Quantity::from_raw(max, 8).to_string(), "92233720368.54775807");
  EXPECT_EQ(Quantity::from_raw(min, 8).to_string(), "-92233720368.54775808");
}

TEST(FixedPoint, RejectsValuesOutsideTheRange) {
  // 9.3e9 units at 1e-9 scale does not fit 64 bits: Kraken quantities can be that large, so the
  // failure must be a clear error, not a wrap-around.
  auto result = Quantity::parse("9300000000", 9);
  ASSERT_FALSE(result.is_ok());
  EXPECT_EQ(result.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(result.status().message().find("too large"), std::string::npos);
  EXPECT_FALSE(Quantity::parse("92233720368.54775808", 8).is_ok());
  EXPECT_FALSE(Quantity::parse("1e30", 0).is_ok());
  // The same quantity fits at the instrument's lot precision.
  EXPECT_TRUE(Quantity::parse("9300000000", 5).is_ok());
}

TEST(FixedPoint, InfersPrecisionFromText) {
  EXPECT_EQ(Price::parse("1.2300").value().precision(), 4);
  EXPECT_EQ(Price::parse("17").value().precision(), 0);
  EXPECT_EQ(Price::parse("1e-3").value().to_string(), "0.001");
  EXPECT_FALSE(Price::parse("0.0000000000000000001").is_ok());
}

TEST(FixedPoint, ComparesByValueAcrossPrecisions) {
  EXPECT_EQ(price("1.0", 1), price("1.00", 2));
  EXPECT_LT(price("1.09", 2), price("1.1", 1));
  EXPECT_GT(price("-1.09", 2), price("-1.1", 1));
  EXPECT_EQ(std::hash<Price>{}(price("1.0", 1)), std::hash<Price>{}(price("1.00", 2)));
}

TEST(FixedPoint, AddsAtTheLargerPrecision) {
  const Price sum = price("1.5", 1) + price("0.25", 2);
  EXPECT_EQ(sum.to_string(), "1.75");
  EXPECT_EQ((price("1.5", 1) - price("2.25", 2)).to_string(), "-0.75");
}

TEST(FixedPoint, ArithmeticOverflowThrows) {
  const Money max = Money::from_raw(std::numeric_limits<int64_t>::max(), 2);
  EXPECT_THROW(max + Money::from_raw(1, 2), ArithmeticOverflow);
  EXPECT_THROW(-Money::from_raw(std::numeric_limits<int64_t>::min(), 2), ArithmeticOverflow);
  EXPECT_THROW(max.rescaled(4, Rounding::kHalfEven), ArithmeticOverflow);
}

TEST(FixedPoint, RescaleRoundsInEveryMode) {
  const Price p = price("2.345", 3);
  const Price n = price("-2.345", 3);
  EXPECT_EQ(p.rescaled(2, Rounding::kTowardZero).to_string(), "2.34");
  EXPECT_EQ(p.rescaled(2, Rounding::kAwayFromZero).to_string(), "2.35");
  EXPECT_EQ(p.rescaled(2, Rounding::kHalfEven).to_string(), "2.34");
  EXPECT_EQ(price("2.355", 3).rescaled(2, Rounding::kHalfEven).to_string(), "2.36");
  EXPECT_EQ(price("2.3451", 4).rescaled(2, Rounding::kHalfEven).to_string(), "2.35");
  EXPECT_EQ(n.rescaled(2, Rounding::kFloor).to_string(), "-2.35");
  EXPECT_EQ(n.rescaled(2, Rounding::kCeiling).to_string(), "-2.34");
  EXPECT_EQ(n.rescaled(2, Rounding::kTowardZero).to_string(), "-2.34");
  EXPECT_EQ(p.rescaled(6, Rounding::kTowardZero).to_string(), "2.345000");
}

TEST(FixedPoint, NotionalIsExactThrough128Bits) {
  // 1.25 BTC at 37500.0 USD.
  EXPECT_EQ(notional(price("37500.0", 1), qty("1.25", 8), 5, Rounding::kHalfEven).to_string(),
            "46875.00000");
  // Both raws near 1e15: the product needs 128 bits before rounding back down.
  const Price big_price = price("9999999.9", 1);
  const Quantity big_qty = qty("999999.99999999", 8);
  EXPECT_EQ(notional(big_price, big_qty, 2, Rounding::kHalfEven).to_string(), "9999999899999.90");
  EXPECT_EQ(notional(price("0.1", 1), qty("0.00000001", 8), 8, Rounding::kTowardZero).to_string(),
            "0.00000000");
  EXPECT_EQ(notional(price("0.1", 1), qty("0.00000005", 8), 8, Rounding::kAwayFromZero).to_string(),
            "0.00000001");
  EXPECT_THROW(notional(big_price, big_qty, 18, Rounding::kHalfEven), ArithmeticOverflow);
}

TEST(FixedPoint, QuantityForMoneyRoundsDownToLotPrecision) {
  // 500 USD at 30000.0 USD/BTC = 0.016666... BTC -> 0.01666666 at lot_decimals 8.
  const Money amount = Money::parse("500", 2).value();
  EXPECT_EQ(quantity_for(amount, price("30000.0", 1), 8, Rounding::kTowardZero).to_string(),
            "0.01666666");
  EXPECT_EQ(quantity_for(amount, price("30000.0", 1), 8, Rounding::kHalfEven).to_string(),
            "0.01666667");
  EXPECT_THROW(quantity_for(amount, price("0", 1), 8, Rounding::kTowardZero),
               std::invalid_argument);
}

TEST(FixedPoint, ScaledAppliesRatiosExactly) {
  // A 2 % stop below 30306.1 at pair precision 1: 30306.1 × 0.98 = 29699.978 -> 29699.9 (down).
  EXPECT_EQ(price("30306.1", 1).scaled(98, 100, 1, Rounding::kFloor).to_string(), "29699.9");
  EXPECT_EQ(price("30306.1", 1).scaled(102, 100, 1, Rounding::kCeiling).to_string(), "30912.3");
  EXPECT_THROW(price("1", 0).scaled(1, 0, 0, Rounding::kFloor), std::invalid_argument);
}

}  // namespace
}  // namespace galfriday
