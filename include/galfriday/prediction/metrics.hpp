#pragma once
// Classification metrics for binary probability models: ROC AUC, log loss, precision and recall
// at a threshold. Used by training (in-sample figures in the metadata sidecar) and by the
// retraining pipeline (holdout evaluation). Labels are 0 or 1; probabilities are in [0, 1].

#include <cstddef>
#include <optional>
#include <span>

#include "galfriday/core/status.hpp"

namespace galfriday {

// Area under the ROC curve: the probability that a random positive scores above a random
// negative, ties counting one half (Mann-Whitney U with mid-ranks). INVALID_ARGUMENT when the
// sizes differ, a label is not 0/1, a score is not finite, or one class is absent.
Result<double> roc_auc(std::span<const double> labels, std::span<const double> scores);

// Mean negative log-likelihood, natural log, probabilities clipped to [eps, 1 - eps] with
// eps = 1e-15 (as scikit-learn) so a confident miss costs about 34.5, not infinity.
Result<double> log_loss(std::span<const double> labels, std::span<const double> probabilities);

struct PrecisionRecall {
  size_t true_positives = 0;
  size_t false_positives = 0;
  size_t false_negatives = 0;
  size_t true_negatives = 0;
  std::optional<double> precision;  // nullopt when nothing was predicted positive
  std::optional<double> recall;     // nullopt when there is no positive label
};

// Predicted positive means probability >= threshold.
Result<PrecisionRecall> precision_recall(std::span<const double> labels,
                                         std::span<const double> probabilities,
                                         double threshold = 0.5);

struct ClassificationMetrics {
  size_t rows = 0;
  double positive_rate = 0.0;  // share of labels that are 1
  double auc = 0.0;
  double log_loss = 0.0;
  PrecisionRecall at_threshold;  // at 0.5
};

// All of the above at once (threshold 0.5).
Result<ClassificationMetrics> classification_metrics(std::span<const double> labels,
                                                     std::span<const double> probabilities);

}  // namespace galfriday
