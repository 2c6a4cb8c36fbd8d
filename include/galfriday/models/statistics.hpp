#pragma once
// The statistics of the model lifecycle: distribution comparison for drift (quantile bins,
// Population Stability Index, two-sample Kolmogorov-Smirnov) and significance tests for A/B
// experiments (two-proportion z-test, Welch's t-test). Pure functions of their inputs, so tests
// check them against hand-computed values.

#include <cstdint>
#include <span>
#include <vector>

#include "galfriday/core/status.hpp"

namespace galfriday::models {

// Quantile bins of a reference sample: `edges` are the inner cut points (ascending, distinct),
// so there are edges.size() + 1 bins; bin i holds x with edges[i-1] < x <= edges[i] (the first
// bin everything <= edges[0], the last everything above the last edge). Edge i is the sample's
// order statistic at rank ceil(i·n/bins) - 1, and equal edges collapse (a feature with few
// distinct values gets fewer bins instead of empty ones).
struct QuantileBins {
  std::vector<double> edges;
  std::vector<double> proportions;  // share of the reference sample in each bin; sums to 1
  friend bool operator==(const QuantileBins&, const QuantileBins&) = default;
};

// INVALID_ARGUMENT when the sample is empty, a value is not finite, or bins < 2.
Result<QuantileBins> quantile_bins(std::span<const double> sample, int bins);

// Share of `sample` in each bin of `edges` (same bin rule as above). Empty sample: all zero.
std::vector<double> bin_proportions(std::span<const double> edges, std::span<const double> sample);

// PSI = Σ (actual_i − expected_i) · ln(actual_i / expected_i), each share floored at `epsilon`
// first so an empty bin costs a large but finite amount. Rule of thumb: < 0.1 stable, 0.1–0.25
// moderate shift, > 0.25 major shift. INVALID_ARGUMENT on different sizes or an empty input.
Result<double> population_stability_index(std::span<const double> expected,
                                          std::span<const double> actual, double epsilon = 1e-4);

struct TestResult {
  double statistic = 0.0;
  double p_value = 1.0;             // two-sided
  double degrees_of_freedom = 0.0;  // Welch's t-test only
};

// Two-sample Kolmogorov-Smirnov: D = sup |F_a(x) − F_b(x)| over the empirical CDFs, with the
// asymptotic p-value Q_KS((√n_e + 0.12 + 0.11/√n_e)·D), n_e = n_a·n_b/(n_a + n_b) (Stephens'
// approximation, as in Numerical Recipes' kstwo). INVALID_ARGUMENT on an empty or non-finite
// sample.
Result<TestResult> ks_two_sample(std::span<const double> a, std::span<const double> b);

// Q_KS(λ) = 2 Σ_{j≥1} (−1)^{j−1} exp(−2 j² λ²): the probability that the Kolmogorov statistic
// exceeds λ.
double kolmogorov_survival(double lambda);

// Standard normal CDF.
double normal_cdf(double x);
// Student's t CDF with `df` > 0 degrees of freedom (through the regularized incomplete beta).
double student_t_cdf(double t, double df);

// H0: both arms have the same success rate. z = (p_a − p_b) / √(p̂(1 − p̂)(1/n_a + 1/n_b)) with
// the pooled rate p̂; positive z means arm a is better. INVALID_ARGUMENT when an arm has no
// trials or more successes than trials; a pooled rate of 0 or 1 gives z = 0, p = 1.
Result<TestResult> two_proportion_z_test(uint64_t successes_a, uint64_t trials_a,
                                         uint64_t successes_b, uint64_t trials_b);

// Welch's unequal-variance t-test on the means; positive t means a's mean is higher. Degrees of
// freedom by Welch–Satterthwaite. INVALID_ARGUMENT when a sample has fewer than 2 values or a
// value is not finite; both variances zero gives t = 0, p = 1 when the means agree and p = 0
// otherwise.
Result<TestResult> welch_t_test(std::span<const double> a, std::span<const double> b);

}  // namespace galfriday::models
