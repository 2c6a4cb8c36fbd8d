#include "galfriday/models/dataset.hpp"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "galfriday/features/feature_engine.hpp"

namespace galfriday::models {
namespace {

using fixed_point_detail::Int128;
constexpr int64_t kPartsPerMillion = 1'000'000;

}  // namespace

LabelSpec label_spec_from(const config::ModelsConfig& config) {
  return LabelSpec{config.target_min_return_pct, config.target_horizon_bars};
}

std::optional<double> label_at(const std::vector<MarketDataOHLCVEvent>& bars, size_t index,
                               const LabelSpec& spec) {
  const auto horizon = static_cast<size_t>(spec.horizon_bars);
  if (index + horizon >= bars.size()) return std::nullopt;
  // close[j] >= close[i] · (1 + r)  ⇔  close[j] · 10^6 >= close[i] · (10^6 + r·10^6).
  const auto ppm = static_cast<int64_t>(std::llround(spec.min_return_pct / 100.0 * 1e6));
  const Price base = bars[index].close;
  for (size_t j = index + 1; j <= index + horizon; ++j) {
    const Price later = bars[j].close.rescaled(base.precision(), Rounding::kHalfEven);
    if (static_cast<Int128>(later.raw()) * kPartsPerMillion >=
        static_cast<Int128>(base.raw()) * (kPartsPerMillion + ppm)) {
      return 1.0;
    }
  }
  return 0.0;
}

Result<LabelledDataset> build_labelled_dataset(const std::vector<MarketDataOHLCVEvent>& bars,
                                               const config::FeaturesConfig& features,
                                               const LabelSpec& spec) {
  if (spec.horizon_bars < 1) {
    return invalid_argument("label horizon must be at least 1 bar, got " +
                            std::to_string(spec.horizon_bars));
  }
  if (!(spec.min_return_pct > 0.0) || !(spec.min_return_pct < 100.0)) {
    return invalid_argument("label min_return_pct must be in (0, 100)");
  }
  auto engine = FeatureEngine::create(features);
  if (!engine) return engine.status().with_context("building the training dataset");
  LabelledDataset out;
  out.data.feature_names = *(*engine)->names();
  for (size_t i = 0; i < bars.size(); ++i) {
    const MarketDataOHLCVEvent& bar = bars[i];
    if (i > 0) {
      if (bar.instrument != bars[0].instrument) {
        return invalid_argument("training bars mix instruments: " + bars[0].instrument.str() +
                                " and " + bar.instrument.str() + " (train one pair at a time)");
      }
      if (bar.bar_start <= bars[i - 1].bar_start) {
        return invalid_argument("training bars of " + bar.instrument.str() +
                                " are not in time order at " + format_iso8601(bar.bar_start));
      }
    }
    if (!bar.close.is_positive()) {
      return invalid_argument("bar at " + format_iso8601(bar.bar_start) + " of " +
                              bar.instrument.str() + " has a non-positive close");
    }
    auto vector = (*engine)->update(bar);
    if (!vector) continue;
    const auto label = label_at(bars, i, spec);
    if (!label) continue;
    GF_RETURN_IF_ERROR(out.data.add_row(vector->values, *label));
    out.times.push_back(bar.meta.ts_event);
  }
  return out;
}

Dataset slice_rows(const Dataset& data, size_t begin, size_t end) {
  Dataset out;
  out.feature_names = data.feature_names;
  const size_t width = data.feature_names.size();
  end = std::min(end, data.rows());
  begin = std::min(begin, end);
  out.values.assign(data.values.begin() + static_cast<std::ptrdiff_t>(begin * width),
                    data.values.begin() + static_cast<std::ptrdiff_t>(end * width));
  out.labels.assign(data.labels.begin() + static_cast<std::ptrdiff_t>(begin),
                    data.labels.begin() + static_cast<std::ptrdiff_t>(end));
  return out;
}

Result<ReferenceDistribution> reference_distribution(std::string name,
                                                     std::span<const double> values, int bins) {
  auto binned = quantile_bins(values, bins);
  if (!binned) return binned.status().with_context("distribution of " + name);
  ReferenceDistribution out;
  out.name = std::move(name);
  out.bins = std::move(*binned);
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  if (sorted.size() <= kReferenceSampleSize) {
    out.sample = std::move(sorted);
  } else {
    // Evenly spaced order statistics keep the empirical CDF within 1/kReferenceSampleSize.
    out.sample.reserve(kReferenceSampleSize);
    for (size_t k = 0; k < kReferenceSampleSize; ++k) {
      const size_t rank = ((2 * k + 1) * sorted.size()) / (2 * kReferenceSampleSize);
      out.sample.push_back(sorted[rank]);
    }
  }
  return out;
}

Result<TrainingDistribution> training_distribution(const Dataset& data,
                                                   const std::vector<double>* predictions) {
  TrainingDistribution out;
  const size_t width = data.feature_names.size();
  std::vector<double> column(data.rows());
  for (size_t f = 0; f < width; ++f) {
    for (size_t r = 0; r < data.rows(); ++r) column[r] = data.values[r * width + f];
    auto reference = reference_distribution(data.feature_names[f], column);
    if (!reference) return reference.status();
    out.features.push_back(std::move(*reference));
  }
  if (predictions != nullptr) {
    auto reference = reference_distribution("prediction", *predictions);
    if (!reference) return reference.status();
    out.prediction = std::move(*reference);
  }
  return out;
}

namespace {

nlohmann::json reference_json(const ReferenceDistribution& reference) {
  return {{"name", reference.name},
          {"edges", reference.bins.edges},
          {"proportions", reference.bins.proportions},
          {"sample", reference.sample}};
}

Result<ReferenceDistribution> reference_from(const nlohmann::json& json, std::string_view source) {
  const auto bad = [&](std::string_view what) {
    return data_loss(std::string(source) + ": training distribution " + std::string(what));
  };
  if (!json.is_object() || !json.contains("name") || !json["name"].is_string()) {
    return bad("entry without a name");
  }
  ReferenceDistribution out;
  out.name = json["name"].get<std::string>();
  for (const char* key : {"edges", "proportions", "sample"}) {
    if (!json.contains(key) || !json[key].is_array()) {
      return bad("'" + out.name + "' lacks the array '" + key + "'");
    }
    for (const auto& value : json[key]) {
      if (!value.is_number()) return bad("'" + out.name + "." + key + "' holds a non-number");
    }
  }
  out.bins.edges = json["edges"].get<std::vector<double>>();
  out.bins.proportions = json["proportions"].get<std::vector<double>>();
  out.sample = json["sample"].get<std::vector<double>>();
  if (out.bins.proportions.size() != out.bins.edges.size() + 1 || out.sample.empty()) {
    return bad("'" + out.name + "' has inconsistent bins or an empty sample");
  }
  return out;
}

}  // namespace

std::string serialize_distribution(const TrainingDistribution& distribution) {
  nlohmann::json features = nlohmann::json::array();
  for (const auto& reference : distribution.features) features.push_back(reference_json(reference));
  nlohmann::json out = {{"format_version", 1}, {"features", features}};
  if (distribution.prediction) out["prediction"] = reference_json(*distribution.prediction);
  return out.dump();
}

Result<TrainingDistribution> parse_distribution(std::string_view json, std::string_view source) {
  const auto parsed = nlohmann::json::parse(json, nullptr, false);
  if (parsed.is_discarded() || !parsed.is_object() || parsed.value("format_version", 0) != 1 ||
      !parsed.contains("features") || !parsed["features"].is_array()) {
    return data_loss(std::string(source) + ": not a training distribution (format_version 1)");
  }
  TrainingDistribution out;
  for (const auto& entry : parsed["features"]) {
    auto reference = reference_from(entry, source);
    if (!reference) return reference.status();
    out.features.push_back(std::move(*reference));
  }
  if (parsed.contains("prediction")) {
    auto reference = reference_from(parsed["prediction"], source);
    if (!reference) return reference.status();
    out.prediction = std::move(*reference);
  }
  return out;
}

}  // namespace galfriday::models
