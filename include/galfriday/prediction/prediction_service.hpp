#pragma once
// PredictionService: runs a model on each FeatureEvent and publishes a PredictionEvent.
// Models sit behind PredictionModel so backends (momentum rule, XGBoost) are interchangeable.

#include <memory>
#include <string>
#include <vector>

#include "galfriday/bus/pubsub.hpp"
#include "galfriday/config/config.hpp"

namespace galfriday {

class PredictionModel {
 public:
  virtual ~PredictionModel() = default;
  virtual const std::string& id() const = 0;
  // The features the model reads, by name.
  virtual const std::vector<std::string>& feature_names() const = 0;
  // The probability of the target given the features (values in feature_names() order).
  virtual Result<double> predict(const std::vector<double>& inputs) const = 0;
};

// A transparent baseline: P(up) = logistic(sensitivity × ma_spread_<fast>_<slow>). A rising
// fast average over the slow one reads as momentum up. Used until a trained model is
// configured.
class MomentumModel final : public PredictionModel {
 public:
  MomentumModel(std::string id, double sensitivity, std::string spread_feature);
  const std::string& id() const override { return id_; }
  const std::vector<std::string>& feature_names() const override { return feature_names_; }
  Result<double> predict(const std::vector<double>& inputs) const override;

 private:
  std::string id_;
  double sensitivity_;
  std::vector<std::string> feature_names_;
};

// Builds the configured model; the momentum model reads the ma_spread feature of `features`.
// An unknown model type is an error.
Result<std::unique_ptr<PredictionModel>> make_model(const config::PredictionConfig& config,
                                                    const config::FeaturesConfig& features);

class PredictionService {
 public:
  // Fails when the model needs a feature the engine does not produce.
  static Result<std::unique_ptr<PredictionService>> create(
      std::unique_ptr<PredictionModel> model, std::string target,
      const std::vector<std::string>& available_features);

  void attach(PubSubManager& bus);
  uint64_t failures() const { return failures_; }

 private:
  PredictionService(std::unique_ptr<PredictionModel> model, std::string target,
                    std::vector<size_t> input_indices);
  void on_features(const FeatureEvent& event);

  std::unique_ptr<PredictionModel> model_;
  std::string target_;
  std::vector<size_t> input_indices_;  // model input i is feature input_indices_[i]
  std::vector<double> inputs_;
  PubSubManager* bus_ = nullptr;
  uint64_t failures_ = 0;
};

}  // namespace galfriday
