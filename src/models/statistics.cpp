#include "galfriday/models/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace galfriday::models {
namespace {

Status check_finite(std::span<const double> values, std::string_view what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return invalid_argument(std::string(what) + ": value " + std::to_string(i) +
                              " is not a finite number");
    }
  }
  return Status::ok();
}

size_t bin_of(std::span<const double> edges, double x) {
  // First edge >= x: x <= edges[i] falls in bin i.
  return static_cast<size_t>(std::lower_bound(edges.begin(), edges.end(), x) - edges.begin());
}

// Continued fraction of the incomplete beta function (modified Lentz), as Numerical Recipes'
// betacf; converges quickly for x < (a + 1) / (a + b + 2).
double beta_continued_fraction(double a, double b, double x) {
  constexpr int kMaxIterations = 300;
  constexpr double kEpsilon = 1e-15;
  constexpr double kTiny = 1e-300;
  const double qab = a + b;
  const double qap = a + 1.0;
  const double qam = a - 1.0;
  double c = 1.0;
  double d = 1.0 - qab * x / qap;
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= kMaxIterations; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEpsilon) break;
  }
  return h;
}

// Regularized incomplete beta I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double log_front =
      std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) + b * std::log1p(-x);
  const double front = std::exp(log_front);
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b;
}

double mean_of(std::span<const double> values) {
  double sum = 0.0;
  for (double v : values) sum += v;
  return sum / static_cast<double>(values.size());
}

double sample_variance(std::span<const double> values, double mean) {
  double sum = 0.0;
  for (double v : values) sum += (v - mean) * (v - mean);
  return sum / static_cast<double>(values.size() - 1);
}

}  // namespace

Result<QuantileBins> quantile_bins(std::span<const double> sample, int bins) {
  if (bins < 2)
    return invalid_argument("quantile bins: need at least 2 bins, got " + std::to_string(bins));
  if (sample.empty()) return invalid_argument("quantile bins: the reference sample is empty");
  GF_RETURN_IF_ERROR(check_finite(sample, "quantile bins"));
  std::vector<double> sorted(sample.begin(), sample.end());
  std::sort(sorted.begin(), sorted.end());
  const size_t n = sorted.size();
  const auto count = static_cast<size_t>(bins);
  QuantileBins out;
  for (size_t i = 1; i < count; ++i) {
    const size_t rank = (i * n + count - 1) / count;  // ceil(i·n / bins)
    const double edge = sorted[rank == 0 ? 0 : rank - 1];
    // The maximum as an edge would leave the last bin empty by construction.
    if (edge >= sorted.back()) break;
    if (out.edges.empty() || edge > out.edges.back()) out.edges.push_back(edge);
  }
  out.proportions = bin_proportions(out.edges, sorted);
  return out;
}

std::vector<double> bin_proportions(std::span<const double> edges, std::span<const double> sample) {
  std::vector<double> shares(edges.size() + 1, 0.0);
  if (sample.empty()) return shares;
  for (double x : sample) shares[bin_of(edges, x)] += 1.0;
  for (double& share : shares) share /= static_cast<double>(sample.size());
  return shares;
}

Result<double> population_stability_index(std::span<const double> expected,
                                          std::span<const double> actual, double epsilon) {
  if (expected.size() != actual.size()) {
    return invalid_argument("PSI: " + std::to_string(expected.size()) + " expected bins but " +
                            std::to_string(actual.size()) + " actual bins");
  }
  if (expected.empty()) return invalid_argument("PSI: no bins");
  double psi = 0.0;
  for (size_t i = 0; i < expected.size(); ++i) {
    const double e = std::max(expected[i], epsilon);
    const double a = std::max(actual[i], epsilon);
    psi += (a - e) * std::log(a / e);
  }
  return psi;
}

double kolmogorov_survival(double lambda) {
  if (lambda <= 0.0) return 1.0;
  double sum = 0.0;
  double sign = 1.0;
  double previous_term = 0.0;
  for (int j = 1; j <= 100; ++j) {
    const double term = sign * 2.0 * std::exp(-2.0 * j * j * lambda * lambda);
    sum += term;
    // The series converges fast except for tiny lambda, where the answer is 1.
    if (std::fabs(term) <= 1e-12 * std::fabs(sum) || std::fabs(term) <= 1e-8 * previous_term) {
      return std::clamp(sum, 0.0, 1.0);
    }
    sign = -sign;
    previous_term = std::fabs(term);
  }
  return 1.0;  // did not converge: lambda is so small that the two samples are indistinguishable
}

Result<TestResult> ks_two_sample(std::span<const double> a, std::span<const double> b) {
  if (a.empty() || b.empty()) return invalid_argument("KS test: a sample is empty");
  GF_RETURN_IF_ERROR(check_finite(a, "KS test, first sample"));
  GF_RETURN_IF_ERROR(check_finite(b, "KS test, second sample"));
  std::vector<double> x(a.begin(), a.end());
  std::vector<double> y(b.begin(), b.end());
  std::sort(x.begin(), x.end());
  std::sort(y.begin(), y.end());
  const double na = static_cast<double>(x.size());
  const double nb = static_cast<double>(y.size());
  size_t i = 0;
  size_t j = 0;
  double d = 0.0;
  // Walk both sorted samples; at each distinct value step every tie past it before comparing.
  while (i < x.size() && j < y.size()) {
    const double value = std::min(x[i], y[j]);
    while (i < x.size() && x[i] <= value) ++i;
    while (j < y.size() && y[j] <= value) ++j;
    d = std::max(d, std::fabs(static_cast<double>(i) / na - static_cast<double>(j) / nb));
  }
  const double ne = na * nb / (na + nb);
  const double root = std::sqrt(ne);
  TestResult result;
  result.statistic = d;
  result.p_value = kolmogorov_survival((root + 0.12 + 0.11 / root) * d);
  return result;
}

double normal_cdf(double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); }

double student_t_cdf(double t, double df) {
  const double tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
  return t >= 0.0 ? 1.0 - tail : tail;
}

Result<TestResult> two_proportion_z_test(uint64_t successes_a, uint64_t trials_a,
                                         uint64_t successes_b, uint64_t trials_b) {
  if (trials_a == 0 || trials_b == 0) return invalid_argument("z-test: an arm has no trials");
  if (successes_a > trials_a || successes_b > trials_b) {
    return invalid_argument("z-test: more successes than trials");
  }
  const double na = static_cast<double>(trials_a);
  const double nb = static_cast<double>(trials_b);
  const double pa = static_cast<double>(successes_a) / na;
  const double pb = static_cast<double>(successes_b) / nb;
  const double pooled = static_cast<double>(successes_a + successes_b) / (na + nb);
  TestResult result;
  const double variance = pooled * (1.0 - pooled) * (1.0 / na + 1.0 / nb);
  if (variance <= 0.0) return result;  // every trial succeeded (or none did): no difference
  result.statistic = (pa - pb) / std::sqrt(variance);
  result.p_value = 2.0 * normal_cdf(-std::fabs(result.statistic));
  return result;
}

Result<TestResult> welch_t_test(std::span<const double> a, std::span<const double> b) {
  if (a.size() < 2 || b.size() < 2) {
    return invalid_argument("Welch t-test: each sample needs at least 2 values (got " +
                            std::to_string(a.size()) + " and " + std::to_string(b.size()) + ")");
  }
  GF_RETURN_IF_ERROR(check_finite(a, "Welch t-test, first sample"));
  GF_RETURN_IF_ERROR(check_finite(b, "Welch t-test, second sample"));
  const double na = static_cast<double>(a.size());
  const double nb = static_cast<double>(b.size());
  const double mean_a = mean_of(a);
  const double mean_b = mean_of(b);
  const double va = sample_variance(a, mean_a) / na;
  const double vb = sample_variance(b, mean_b) / nb;
  TestResult result;
  if (va + vb <= 0.0) {
    result.p_value = mean_a == mean_b ? 1.0 : 0.0;
    result.statistic = mean_a == mean_b ? 0.0 : (mean_a > mean_b ? HUGE_VAL : -HUGE_VAL);
    return result;
  }
  result.statistic = (mean_a - mean_b) / std::sqrt(va + vb);
  result.degrees_of_freedom = (va + vb) * (va + vb) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
  result.p_value = 2.0 * student_t_cdf(-std::fabs(result.statistic), result.degrees_of_freedom);
  return result;
}

}  // namespace galfriday::models
