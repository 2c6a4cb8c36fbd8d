#include "galfriday/prediction/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

namespace galfriday {
namespace {

constexpr double kLogLossEpsilon = 1e-15;

Status check_inputs(std::span<const double> labels, std::span<const double> values,
                    bool values_are_probabilities) {
  if (labels.size() != values.size()) {
    return invalid_argument(std::to_string(labels.size()) + " labels but " +
                            std::to_string(values.size()) + " predictions");
  }
  if (labels.empty()) return invalid_argument("no rows to evaluate");
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0.0 && labels[i] != 1.0) {
      return invalid_argument("label of row " + std::to_string(i) + " is " +
                              std::to_string(labels[i]) + ", not 0 or 1");
    }
    if (!std::isfinite(values[i])) {
      return invalid_argument("prediction of row " + std::to_string(i) + " is not finite");
    }
    if (values_are_probabilities && (values[i] < 0.0 || values[i] > 1.0)) {
      return invalid_argument("prediction of row " + std::to_string(i) + " is " +
                              std::to_string(values[i]) + ", not a probability");
    }
  }
  return Status::ok();
}

}  // namespace

Result<double> roc_auc(std::span<const double> labels, std::span<const double> scores) {
  GF_RETURN_IF_ERROR(check_inputs(labels, scores, false));
  std::vector<size_t> order(scores.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return scores[a] < scores[b]; });
  // Sum of the (mid-)ranks of the positives; ranks start at 1.
  double positive_rank_sum = 0.0;
  size_t positives = 0;
  for (size_t i = 0; i < order.size();) {
    size_t j = i;
    while (j < order.size() && scores[order[j]] == scores[order[i]]) ++j;
    const double mid_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2.0;
    for (size_t k = i; k < j; ++k) {
      if (labels[order[k]] == 1.0) {
        positive_rank_sum += mid_rank;
        ++positives;
      }
    }
    i = j;
  }
  const size_t negatives = labels.size() - positives;
  if (positives == 0 || negatives == 0) {
    return invalid_argument("AUC needs both classes; all " + std::to_string(labels.size()) +
                            " labels are " + (positives == 0 ? "0" : "1"));
  }
  const double p = static_cast<double>(positives);
  const double n = static_cast<double>(negatives);
  return (positive_rank_sum - p * (p + 1.0) / 2.0) / (p * n);
}

Result<double> log_loss(std::span<const double> labels, std::span<const double> probabilities) {
  GF_RETURN_IF_ERROR(check_inputs(labels, probabilities, true));
  double sum = 0.0;
  for (size_t i = 0; i < labels.size(); ++i) {
    const double p = std::clamp(probabilities[i], kLogLossEpsilon, 1.0 - kLogLossEpsilon);
    sum -= labels[i] == 1.0 ? std::log(p) : std::log(1.0 - p);
  }
  return sum / static_cast<double>(labels.size());
}

Result<PrecisionRecall> precision_recall(std::span<const double> labels,
                                         std::span<const double> probabilities, double threshold) {
  GF_RETURN_IF_ERROR(check_inputs(labels, probabilities, true));
  PrecisionRecall out;
  for (size_t i = 0; i < labels.size(); ++i) {
    const bool predicted = probabilities[i] >= threshold;
    const bool actual = labels[i] == 1.0;
    if (predicted && actual) ++out.true_positives;
    if (predicted && !actual) ++out.false_positives;
    if (!predicted && actual) ++out.false_negatives;
    if (!predicted && !actual) ++out.true_negatives;
  }
  const size_t predicted_positive = out.true_positives + out.false_positives;
  const size_t actual_positive = out.true_positives + out.false_negatives;
  if (predicted_positive > 0) {
    out.precision =
        static_cast<double>(out.true_positives) / static_cast<double>(predicted_positive);
  }
  if (actual_positive > 0) {
    out.recall = static_cast<double>(out.true_positives) / static_cast<double>(actual_positive);
  }
  return out;
}

Result<ClassificationMetrics> classification_metrics(std::span<const double> labels,
                                                     std::span<const double> probabilities) {
  auto auc = roc_auc(labels, probabilities);
  if (!auc) return auc.status();
  auto loss = log_loss(labels, probabilities);
  if (!loss) return loss.status();
  auto pr = precision_recall(labels, probabilities);
  if (!pr) return pr.status();
  ClassificationMetrics metrics;
  metrics.rows = labels.size();
  metrics.positive_rate = static_cast<double>(std::count(labels.begin(), labels.end(), 1.0)) /
                          static_cast<double>(labels.size());
  metrics.auc = *auc;
  metrics.log_loss = *loss;
  metrics.at_threshold = *pr;
  return metrics;
}

}  // namespace galfriday
