#include "galfriday/prediction/prediction_service.hpp"

#include <algorithm>
#include <cmath>

namespace galfriday {

MomentumModel::MomentumModel(std::string id, double sensitivity, std::string spread_feature)
    : id_(std::move(id)), sensitivity_(sensitivity), feature_names_{std::move(spread_feature)} {}

Result<double> MomentumModel::predict(const std::vector<double>& inputs) const {
  if (inputs.size() != 1) return invalid_argument("momentum model expects 1 input");
  if (!std::isfinite(inputs[0])) return invalid_argument(feature_names_[0] + " is not a finite number");
  return 1.0 / (1.0 + std::exp(-sensitivity_ * inputs[0]));
}

Result<std::unique_ptr<PredictionModel>> make_model(const config::PredictionConfig& config,
                                                    const config::FeaturesConfig& features) {
  if (config.model_type == "momentum") {
    const std::string spread =
        "ma_spread_" + std::to_string(features.fast_window) + "_" + std::to_string(features.slow_window);
    return std::unique_ptr<PredictionModel>(
        std::make_unique<MomentumModel>(config.model_id, config.momentum_sensitivity, spread));
  }
  return invalid_argument("prediction.model_type '" + config.model_type + "' is not supported (use 'momentum')");
}

Result<std::unique_ptr<PredictionService>> PredictionService::create(
    std::unique_ptr<PredictionModel> model, std::string target,
    const std::vector<std::string>& available_features) {
  std::vector<size_t> indices;
  for (const std::string& name : model->feature_names()) {
    const auto it = std::find(available_features.begin(), available_features.end(), name);
    if (it == available_features.end()) {
      return invalid_argument("model '" + model->id() + "' needs feature '" + name +
                              "', which the feature engine does not produce");
    }
    indices.push_back(static_cast<size_t>(it - available_features.begin()));
  }
  return std::unique_ptr<PredictionService>(
      new PredictionService(std::move(model), std::move(target), std::move(indices)));
}

PredictionService::PredictionService(std::unique_ptr<PredictionModel> model, std::string target,
                                     std::vector<size_t> input_indices)
    : model_(std::move(model)), target_(std::move(target)), input_indices_(std::move(input_indices)) {}

void PredictionService::attach(PubSubManager& bus) {
  bus_ = &bus;
  bus.subscribe<FeatureEvent>([this](const FeatureEvent& e) { on_features(e); }, "prediction_service");
}

void PredictionService::on_features(const FeatureEvent& event) {
  inputs_.clear();
  for (size_t index : input_indices_) {
    const double value = index < event.features.values.size() ? event.features.values[index] : NAN;
    inputs_.push_back(value);
  }
  auto value = model_->predict(inputs_);
  if (value && (!std::isfinite(*value) || *value < 0.0 || *value > 1.0)) {
    value = out_of_range("model output " + std::to_string(*value) + " is not a probability");
  }
  if (!value) {
    // A model that cannot answer must be visible, not silently skipped.
    ++failures_;
    SystemErrorEvent error;
    error.source = "prediction_service";
    error.message = "model '" + model_->id() + "' failed on " + event.instrument.str() + ": " +
                    value.status().message();
    bus_->publish(std::move(error));
    return;
  }
  PredictionEvent prediction;
  prediction.meta.ts_event = event.meta.ts_event;
  prediction.instrument = event.instrument;
  prediction.model_id = model_->id();
  prediction.target = target_;
  prediction.value = *value;
  prediction.confidence = std::abs(*value - 0.5) * 2.0;
  prediction.feature_event_sequence = event.meta.sequence;
  prediction.features = event.features;
  bus_->publish(std::move(prediction));
}

}  // namespace galfriday
