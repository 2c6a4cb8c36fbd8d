#pragma once
// Helpers shared by the prediction tests: temporary directories, synthetic datasets with a
// planted signal, fake models, and an engine loop for asynchronous results.

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "../support/temp_dir.hpp"
#include "galfriday/bus/pubsub.hpp"
#include "galfriday/prediction/prediction_model.hpp"
#include "galfriday/prediction/xgboost_training.hpp"

namespace galfriday::testing_support {

using TempDir = ::galfriday::test::TempDir;

inline std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

inline void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
}

// Deterministic uniform and normal draws, independent of the standard library's distributions.
class Rng {
 public:
  explicit Rng(uint64_t seed) : engine_(seed) {}
  double uniform(double lo, double hi) {
    const double u = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    return lo + (hi - lo) * u;
  }
  double normal() {
    const double u1 = uniform(1e-12, 1.0);
    const double u2 = uniform(0.0, 1.0);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  std::mt19937_64 engine_;
};

inline std::vector<std::string> feature_names(size_t count) {
  std::vector<std::string> names;
  for (size_t i = 0; i < count; ++i) names.push_back("x" + std::to_string(i));
  return names;
}

// Features uniform in [-1, 1]; label = x0 + 0.5 x1 + noise > 0. Features beyond x1 are noise.
inline Dataset planted_signal(size_t rows, size_t features, uint64_t seed, double noise_sd = 0.3) {
  Rng rng(seed);
  Dataset data;
  data.feature_names = feature_names(features);
  std::vector<double> row(features);
  for (size_t r = 0; r < rows; ++r) {
    for (double& v : row) v = rng.uniform(-1.0, 1.0);
    const double signal = row[0] + (features > 1 ? 0.5 * row[1] : 0.0) + noise_sd * rng.normal();
    EXPECT_TRUE(data.add_row(row, signal > 0.0 ? 1.0 : 0.0).is_ok());
  }
  return data;
}

inline TrainingParams small_params() {
  TrainingParams params;
  params.eta = 0.3;
  params.max_depth = 3;
  params.rounds = 20;
  params.seed = 42;
  params.nthread = 1;
  return params;
}

// A model that answers a fixed probability.
class ConstantModel final : public PredictionModel {
 public:
  ConstantModel(std::string id, std::vector<std::string> features, double value)
      : id_(std::move(id)), features_(std::move(features)), value_(value) {}
  const std::string& id() const override { return id_; }
  const std::vector<std::string>& feature_names() const override { return features_; }
  Result<double> predict(const std::vector<double>&) const override { return value_; }

 private:
  std::string id_;
  std::vector<std::string> features_;
  double value_;
};

// Blocks in predict() until released; tells when a call has entered.
class Gate {
 public:
  void enter_and_wait() {
    std::unique_lock lock(mutex_);
    ++entered_;
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
  }
  // Waits (real time, as a hang guard) until `count` calls have entered.
  bool wait_entered(int count) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::seconds(10), [&] { return entered_ >= count; });
  }
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  int entered_ = 0;
  bool open_ = false;
};

class GatedModel final : public PredictionModel {
 public:
  GatedModel(std::string id, std::vector<std::string> features, double value, Gate& gate)
      : id_(std::move(id)), features_(std::move(features)), value_(value), gate_(gate) {}
  const std::string& id() const override { return id_; }
  const std::vector<std::string>& feature_names() const override { return features_; }
  Result<double> predict(const std::vector<double>&) const override {
    gate_.enter_and_wait();
    return value_;
  }

 private:
  std::string id_;
  std::vector<std::string> features_;
  double value_;
  Gate& gate_;
};

// Runs the engine loop (dispatching posted results) until done() holds or ~10 s of real time
// pass; a guard against hangs, not a timing assertion.
inline bool pump_until(PubSubManager& bus, const std::function<bool()>& done) {
  constexpr int kRounds = 1000;
  for (int i = 0; i < kRounds; ++i) {
    bus.run_until_idle();
    if (done()) return true;
    bus.wait_for_posted(std::chrono::milliseconds(10));
  }
  bus.run_until_idle();
  return done();
}

}  // namespace galfriday::testing_support
