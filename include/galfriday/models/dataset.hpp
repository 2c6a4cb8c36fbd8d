#pragma once
// Labelled training data from bars, through the same FeatureEngine code that computes live
// features (FeatureEngine::update), so a model is trained on exactly the numbers it will see.
// And the training distribution saved with a model, which drift detection compares live data
// against.

#include <optional>
#include <string>
#include <vector>

#include "galfriday/config/config.hpp"
#include "galfriday/events/events.hpp"
#include "galfriday/models/statistics.hpp"
#include "galfriday/prediction/xgboost_training.hpp"

namespace galfriday::models {

// Label 1 when some close among the next horizon_bars bars is at least min_return above the
// current close (min_return 0.001 = 0.1 %), else 0. Compared exactly on the fixed-point prices
// (in parts per million), never through floating point.
struct LabelSpec {
  double min_return_pct = 0.1;
  int horizon_bars = 5;
};

LabelSpec label_spec_from(const config::ModelsConfig& config);

// 1 / 0 for the bar at `index` of `bars` (one instrument, in time order); nullopt when fewer
// than horizon bars follow it.
std::optional<double> label_at(const std::vector<MarketDataOHLCVEvent>& bars, size_t index,
                               const LabelSpec& spec);

struct LabelledDataset {
  Dataset data;
  std::vector<Timestamp> times;  // per row: the close time of the bar the features describe
};

// Feeds `bars` (one instrument, in time order) through a fresh FeatureEngine built from
// `features` and labels every warmed-up bar that has horizon_bars successors. Rows keep the bars'
// order. Fails on an invalid feature config, bars of several instruments or out of order, a
// non-positive close, or a label spec out of range.
Result<LabelledDataset> build_labelled_dataset(const std::vector<MarketDataOHLCVEvent>& bars,
                                               const config::FeaturesConfig& features,
                                               const LabelSpec& spec);

// The rows [begin, end) of a dataset (same features).
Dataset slice_rows(const Dataset& data, size_t begin, size_t end);

// ---- Training distribution ----------------------------------------------------------------

// What drift detection compares against, per feature and for the model's own predictions:
// quantile bins with the training shares (for PSI) and a reference sample of evenly spaced order
// statistics (for the two-sample KS test; the whole sample when it has at most
// kReferenceSampleSize values).
inline constexpr size_t kReferenceSampleSize = 1000;
inline constexpr int kDriftBins = 10;

struct ReferenceDistribution {
  std::string name;
  QuantileBins bins;
  std::vector<double> sample;  // ascending
  friend bool operator==(const ReferenceDistribution&, const ReferenceDistribution&) = default;
};

struct TrainingDistribution {
  std::vector<ReferenceDistribution> features;      // in the model's feature order
  std::optional<ReferenceDistribution> prediction;  // of the model's outputs on its training rows
  friend bool operator==(const TrainingDistribution&, const TrainingDistribution&) = default;
};

Result<ReferenceDistribution> reference_distribution(std::string name,
                                                     std::span<const double> values,
                                                     int bins = kDriftBins);

// Per feature of `data`, plus the predictions when given (one per row).
Result<TrainingDistribution> training_distribution(const Dataset& data,
                                                   const std::vector<double>* predictions);

std::string serialize_distribution(const TrainingDistribution& distribution);
// DATA_LOSS naming `source` when the text is not a distribution this code wrote.
Result<TrainingDistribution> parse_distribution(std::string_view json, std::string_view source);

}  // namespace galfriday::models
