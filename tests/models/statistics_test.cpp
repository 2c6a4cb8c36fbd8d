// The drift and experiment statistics against values computed by hand (the arithmetic is in the
// comments) and against closed forms.

#include "galfriday/models/statistics.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

namespace galfriday::models {
namespace {

const std::vector<double> kOneToTen = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
const std::vector<double> kSixToFifteen = {6, 7, 8, 9, 10, 11, 12, 13, 14, 15};

TEST(QuantileBins, EdgesAreOrderStatisticsAndSharesMatch) {
  // n = 10, 4 bins: ranks ceil(10/4) = 3, ceil(20/4) = 5, ceil(30/4) = 8 → values 3, 5, 8.
  auto bins = quantile_bins(kOneToTen, 4);
  ASSERT_TRUE(bins.is_ok()) << bins.status().to_string();
  EXPECT_EQ(bins->edges, (std::vector<double>{3, 5, 8}));
  // {1,2,3} {4,5} {6,7,8} {9,10}
  EXPECT_EQ(bins->proportions, (std::vector<double>{0.3, 0.2, 0.3, 0.2}));
  // A value equal to an edge falls in the lower bin.
  EXPECT_EQ(bin_proportions(bins->edges, std::vector<double>{3, 5, 8, 8.5}),
            (std::vector<double>{0.25, 0.25, 0.25, 0.25}));
}

TEST(QuantileBins, ConstantFeatureCollapsesToOneBinAndBadInputIsRefused) {
  auto bins = quantile_bins(std::vector<double>(50, 1.5), 10);
  ASSERT_TRUE(bins.is_ok());
  EXPECT_TRUE(bins->edges.empty());
  EXPECT_EQ(bins->proportions, std::vector<double>{1.0});
  EXPECT_FALSE(quantile_bins(std::vector<double>{}, 10).is_ok());
  EXPECT_FALSE(quantile_bins(std::vector<double>{1.0, NAN}, 10).is_ok());
  EXPECT_FALSE(quantile_bins(kOneToTen, 1).is_ok());
}

TEST(PopulationStabilityIndex, MatchesHandComputedValue) {
  // Reference 1..10 in bins {≤3, ≤5, ≤8, >8}: 0.3 0.2 0.3 0.2. Live 6..15: 0 0 0.3 0.7.
  // Empty bins are floored at 1e-4:
  //   (1e-4 − 0.3)·ln(1e-4/0.3) = 2.401113...   (1e-4 − 0.2)·ln(1e-4/0.2) = 1.519420...
  //   (0.3 − 0.3)·ln 1 = 0                        (0.7 − 0.2)·ln(3.5)      = 0.626381...
  //   PSI = 4.5469115...
  auto bins = quantile_bins(kOneToTen, 4);
  ASSERT_TRUE(bins.is_ok());
  const auto live = bin_proportions(bins->edges, kSixToFifteen);
  EXPECT_EQ(live, (std::vector<double>{0.0, 0.0, 0.3, 0.7}));
  auto psi = population_stability_index(bins->proportions, live);
  ASSERT_TRUE(psi.is_ok());
  EXPECT_NEAR(*psi, 4.5469115194, 1e-9);
  // Same distribution: zero.
  EXPECT_NEAR(*population_stability_index(bins->proportions, bins->proportions), 0.0, 1e-15);
  EXPECT_FALSE(
      population_stability_index(std::vector<double>{0.5, 0.5}, std::vector<double>{1.0}).is_ok());
}

TEST(KolmogorovSmirnov, MatchesHandComputedValue) {
  // F_a − F_b is largest at x = 5 (0.5 − 0) and x = 10 (1 − 0.5): D = 0.5.
  // n_e = 10·10/20 = 5, λ = (√5 + 0.12 + 0.11/√5)·0.5 = 1.2026307...
  // Q(λ) = 2(e^{−2λ²} − e^{−8λ²} + ...) = 0.1108403...
  auto ks = ks_two_sample(kOneToTen, kSixToFifteen);
  ASSERT_TRUE(ks.is_ok());
  EXPECT_DOUBLE_EQ(ks->statistic, 0.5);
  EXPECT_NEAR(ks->p_value, 0.1108403374, 1e-9);
  // Identical samples: D = 0, p = 1. Ties between the samples count once.
  auto same = ks_two_sample(kOneToTen, kOneToTen);
  ASSERT_TRUE(same.is_ok());
  EXPECT_DOUBLE_EQ(same->statistic, 0.0);
  EXPECT_DOUBLE_EQ(same->p_value, 1.0);
  auto ties = ks_two_sample(std::vector<double>{1, 1, 2, 2}, std::vector<double>{1, 2, 2, 2});
  ASSERT_TRUE(ties.is_ok());
  EXPECT_DOUBLE_EQ(ties->statistic, 0.25);  // at x = 1: 2/4 vs 1/4
  EXPECT_FALSE(ks_two_sample(std::vector<double>{}, kOneToTen).is_ok());
}

TEST(StudentT, MatchesClosedForms) {
  // df = 1 is the Cauchy distribution; df = 2 has F(t) = 1/2 + t / (2√(2 + t²)).
  for (double t : {-3.0, -0.5, 0.0, 0.7, 2.5}) {
    EXPECT_NEAR(student_t_cdf(t, 1.0), 0.5 + std::atan(t) / std::numbers::pi, 1e-12) << t;
    EXPECT_NEAR(student_t_cdf(t, 2.0), 0.5 + t / (2.0 * std::sqrt(2.0 + t * t)), 1e-12) << t;
  }
  // Large df approaches the normal distribution.
  EXPECT_NEAR(student_t_cdf(1.96, 1e6), normal_cdf(1.96), 1e-6);
  EXPECT_NEAR(normal_cdf(1.959963984540054), 0.975, 1e-12);
}

TEST(TwoProportionZTest, MatchesHandComputedValue) {
  // 60/100 vs 45/100: pooled 0.525, SE = √(0.525·0.475·0.02) = 0.0706222...,
  // z = 0.15 / SE = 2.1239770, two-sided p = erfc(z/√2) = 0.0336721.
  auto test = two_proportion_z_test(60, 100, 45, 100);
  ASSERT_TRUE(test.is_ok());
  EXPECT_NEAR(test->statistic, 2.1239769762, 1e-9);
  EXPECT_NEAR(test->p_value, 0.0336720689, 1e-9);
  auto reversed = two_proportion_z_test(45, 100, 60, 100);
  EXPECT_NEAR(reversed->statistic, -2.1239769762, 1e-9);
  EXPECT_DOUBLE_EQ(two_proportion_z_test(10, 10, 5, 5)->p_value, 1.0);  // all succeed
  EXPECT_FALSE(two_proportion_z_test(1, 0, 1, 2).is_ok());
  EXPECT_FALSE(two_proportion_z_test(3, 2, 1, 2).is_ok());
}

TEST(WelchTTest, MatchesHandComputedValue) {
  // means 3 and 6, variances 2.5 and 10 → SE² = 0.5 + 2 = 2.5, t = −3/√2.5 = −1.8973666,
  // df = 2.5² / (0.5²/4 + 2²/4) = 6.25 / 1.0625 = 5.8823529.
  const std::vector<double> a = {1, 2, 3, 4, 5};
  const std::vector<double> b = {2, 4, 6, 8, 10};
  auto test = welch_t_test(a, b);
  ASSERT_TRUE(test.is_ok());
  EXPECT_NEAR(test->statistic, -1.8973665961, 1e-9);
  EXPECT_NEAR(test->degrees_of_freedom, 5.8823529412, 1e-9);
  EXPECT_NEAR(test->p_value, 2.0 * student_t_cdf(-1.8973665961, 5.8823529412), 1e-9);
  EXPECT_GT(test->p_value, 0.05);
  EXPECT_LT(test->p_value, 0.2);
  EXPECT_FALSE(welch_t_test(std::vector<double>{1}, b).is_ok());
}

}  // namespace
}  // namespace galfriday::models
