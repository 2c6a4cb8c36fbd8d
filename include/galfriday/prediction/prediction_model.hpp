#pragma once
// PredictionModel: the interface every model backend implements (momentum rule, XGBoost, test
// fakes), so PredictionService and ensembles do not care which backend answers.

#include <optional>
#include <string>
#include <vector>

#include "galfriday/core/status.hpp"

namespace galfriday {

// Contract for implementations:
// - predict() is const and may be called from several threads at once (the inference pool);
//   a model is immutable after construction.
// - predict() rejects inputs that are not finite numbers with an error Status, naming the
//   feature: a NaN is a broken feature pipeline, never "missing, guess a default".
// - predict() returns errors as values; it must not throw.
class PredictionModel {
 public:
  virtual ~PredictionModel() = default;
  virtual const std::string& id() const = 0;
  // The features the model reads, by name.
  virtual const std::vector<std::string>& feature_names() const = 0;
  // The probability of the target given the features (values in feature_names() order).
  virtual Result<double> predict(const std::vector<double>& inputs) const = 0;
  // The target the model was trained for ("prob_price_up"), when the model knows it. A service
  // refuses a model trained for another target.
  virtual std::optional<std::string> target() const { return std::nullopt; }
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

}  // namespace galfriday
