// DriftDetector: a planted shift raises drift events, an unshifted control does not; the PSI and
// KS it reports are the hand-computed ones; events are published and stored.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "galfriday/models/drift_detector.hpp"
#include "models_support.hpp"

namespace galfriday::models {
namespace {

using testing::HasSubstr;
using testing_support::Rng;

FeatureVector vector_of(const std::vector<std::string>& names, std::vector<double> values) {
  FeatureVector out;
  out.names = std::make_shared<const std::vector<std::string>>(names);
  out.values = std::move(values);
  return out;
}

// Reference: x ~ N(0, 1) and y ~ U(0, 1), 5000 rows; predictions ~ U(0.3, 0.7).
TrainingDistribution normal_reference() {
  Rng rng(1);
  Dataset data;
  data.feature_names = {"x", "y"};
  std::vector<double> predictions;
  for (int i = 0; i < 5000; ++i) {
    EXPECT_TRUE(data.add_row(std::vector<double>{rng.normal(), rng.uniform(0, 1)}, i % 2).is_ok());
    predictions.push_back(rng.uniform(0.3, 0.7));
  }
  auto distribution = training_distribution(data, &predictions);
  EXPECT_TRUE(distribution.is_ok()) << distribution.status().to_string();
  return *distribution;
}

DriftThresholds thresholds() {
  DriftThresholds t;
  t.psi = 0.2;
  t.ks_pvalue = 0.01;
  t.window = 1000;
  t.min_samples = 100;
  t.min_hit_rate = 0.5;
  t.min_outcomes = 200;
  return t;
}

TEST(DriftDetector, HandComputedPsiAndKsOnASmallReference) {
  // The reference 1..10 and live 6..15 of statistics_test: PSI 4.5469115, D = 0.5, p = 0.1108403.
  TrainingDistribution reference;
  auto x = reference_distribution("x", std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 4);
  ASSERT_TRUE(x.is_ok());
  reference.features.push_back(*x);
  DriftThresholds t = thresholds();
  t.window = 10;
  t.min_samples = 10;
  auto detector = DriftDetector::create("m", reference, t);
  ASSERT_TRUE(detector.is_ok()) << detector.status().to_string();
  for (int v = 6; v <= 15; ++v) {
    ASSERT_TRUE((*detector)->observe_features(vector_of({"x"}, {double(v)})).is_ok());
  }
  const DriftReport report = (*detector)->check(timestamp_from_seconds(100));
  ASSERT_EQ(report.features.size(), 1U);
  EXPECT_NEAR(report.features[0].psi, 4.5469115194, 1e-9);
  EXPECT_DOUBLE_EQ(report.features[0].ks.statistic, 0.5);
  EXPECT_NEAR(report.features[0].ks.p_value, 0.1108403374, 1e-9);
  // PSI crosses 0.2; KS p = 0.11 does not cross 0.01 with ten values: one event.
  ASSERT_EQ(report.events.size(), 1U);
  EXPECT_EQ(report.events[0].statistic, "psi");
  EXPECT_EQ(report.events[0].subject, "x");
  EXPECT_THAT(report.events[0].message, HasSubstr("feature x: PSI 4.54691"));
}

TEST(DriftDetector, PlantedShiftRaisesDriftWhileTheControlDoesNot) {
  const TrainingDistribution reference = normal_reference();
  auto control = DriftDetector::create("m", reference, thresholds());
  auto shifted = DriftDetector::create("m", reference, thresholds());
  ASSERT_TRUE(control.is_ok() && shifted.is_ok());
  Rng rng(99);  // a different seed from the reference: fresh draws of the same distributions
  for (int i = 0; i < 1000; ++i) {
    const double x = rng.normal();
    const double y = rng.uniform(0, 1);
    const double p = rng.uniform(0.3, 0.7);
    ASSERT_TRUE((*control)->observe_features(vector_of({"y", "x"}, {y, x})).is_ok());
    ASSERT_TRUE((*control)->observe_prediction(p).is_ok());
    // The shift: x's mean moves by one standard deviation; y and predictions are unchanged.
    ASSERT_TRUE((*shifted)->observe_features(vector_of({"x", "y"}, {x + 1.0, y})).is_ok());
    ASSERT_TRUE((*shifted)->observe_prediction(p).is_ok());
  }
  const DriftReport quiet = (*control)->check(timestamp_from_seconds(100));
  EXPECT_FALSE(quiet.drifted());
  for (const auto& feature : quiet.features) {
    EXPECT_LT(feature.psi, 0.05) << feature.name;
    EXPECT_GT(feature.ks.p_value, 0.01) << feature.name;
  }
  ASSERT_TRUE(quiet.prediction_psi.has_value());
  EXPECT_LT(*quiet.prediction_psi, 0.05);

  const DriftReport drift = (*shifted)->check(timestamp_from_seconds(100));
  ASSERT_TRUE(drift.drifted());
  ASSERT_EQ(drift.features.size(), 2U);
  EXPECT_TRUE(drift.features[0].drifted);
  EXPECT_GT(drift.features[0].psi, 0.5);
  EXPECT_LT(drift.features[0].ks.p_value, 1e-10);
  EXPECT_GT(drift.features[0].ks.statistic, 0.3);
  EXPECT_FALSE(drift.features[1].drifted);  // y did not move
  for (const auto& event : drift.events) {
    EXPECT_EQ(event.subject, "x");
    EXPECT_EQ(event.kind, DriftKind::kFeature);
  }
  EXPECT_EQ(drift.events.size(), 2U);  // PSI and KS of x

  // Too few live values: nothing is judged yet.
  auto young = DriftDetector::create("m", reference, thresholds());
  ASSERT_TRUE((*young)->observe_features(vector_of({"x", "y"}, {5.0, 0.5})).is_ok());
  EXPECT_TRUE((*young)->check(Timestamp{}).features.empty());
  EXPECT_THAT((*young)->observe_features(vector_of({"x"}, {1.0})).message(),
              HasSubstr("live features lack 'y'"));
  EXPECT_THAT((*young)->observe_features(vector_of({"x", "y"}, {NAN, 1.0})).message(),
              HasSubstr("live feature 'x' is not a finite number"));
  EXPECT_FALSE((*young)->observe_prediction(INFINITY).is_ok());
}

TEST(DriftDetector, PredictionDriftAndPerformanceDecay) {
  auto detector = DriftDetector::create("m", normal_reference(), thresholds());
  ASSERT_TRUE(detector.is_ok());
  Rng rng(5);
  for (int i = 0; i < 500; ++i) {
    ASSERT_TRUE((*detector)
                    ->observe_features(vector_of({"x", "y"}, {rng.normal(), rng.uniform(0, 1)}))
                    .is_ok());
    ASSERT_TRUE((*detector)->observe_prediction(rng.uniform(0.6, 0.9)).is_ok());  // turned bullish
  }
  for (int i = 0; i < 199; ++i) (*detector)->observe_outcome(i % 5 == 0);  // hit rate 0.2
  DriftReport report = (*detector)->check(Timestamp{});
  EXPECT_FALSE(report.hit_rate.has_value());  // 199 < min_outcomes
  (*detector)->observe_outcome(false);
  report = (*detector)->check(Timestamp{});
  ASSERT_TRUE(report.hit_rate.has_value());
  EXPECT_DOUBLE_EQ(*report.hit_rate, 40.0 / 200.0);
  std::vector<std::string> kinds;
  for (const auto& event : report.events) {
    kinds.push_back(std::string(to_string(event.kind)) + ":" + event.statistic);
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"prediction:psi", "prediction:ks_pvalue",
                                             "performance:hit_rate"}));
}

TEST(DriftDetector, OnTheBusTracksOutcomesPublishesAndStoresEvents) {
  testing_support::TempDir dir;
  SimulatedClock clock(timestamp_from_seconds(1704067200));
  auto db = testing_support::open_migrated(dir / "galfriday.db", clock);
  ASSERT_NE(db, nullptr);
  PubSubManager bus(clock);
  DriftThresholds t = thresholds();
  t.min_outcomes = 20;
  t.min_samples = 1000;  // only performance is judged in this test
  auto detector = DriftDetector::create("m", normal_reference(), t, LabelSpec{0.1, 2});
  ASSERT_TRUE(detector.is_ok());
  (*detector)->attach(bus);
  DriftEventStore store(*db);
  int sink_calls = 0;
  (*detector)->set_sink([&](const DriftReport& report) {
    ++sink_calls;
    EXPECT_TRUE(store_drift_events(store, report).is_ok());
  });
  std::vector<LogEvent> logs;
  bus.subscribe<LogEvent>([&](const LogEvent& log) { logs.push_back(log); });

  // Prices fall 0.2 % a bar while the model says "up" with 0.9: every outcome is a miss.
  auto bars = testing_support::planted_bars(1, 3);
  MarketDataOHLCVEvent bar = bars[0];
  for (int i = 0; i < 30; ++i) {
    bar.bar_start += std::chrono::minutes(1);
    bar.close = Price::from_raw(bar.close.raw() * 998 / 1000, 2);
    bus.publish(bar);
    PredictionEvent prediction;
    prediction.instrument = bar.instrument;
    prediction.model_id = "m";
    prediction.value = 0.9;
    bus.publish(prediction);
    PredictionEvent other = prediction;
    other.model_id = "another";  // ignored: not the monitored model
    bus.publish(other);
    bus.run_until_idle();
  }
  const DriftReport report = (*detector)->run_check();
  bus.run_until_idle();
  // 30 predictions, the last two still inside their 2-bar horizon.
  EXPECT_EQ(report.outcomes, 28U);
  EXPECT_DOUBLE_EQ(report.hit_rate.value_or(-1), 0.0);
  ASSERT_EQ(report.events.size(), 1U);
  EXPECT_EQ(sink_calls, 1);
  ASSERT_EQ(logs.size(), 1U);
  EXPECT_EQ(logs[0].source, "models.drift");
  EXPECT_EQ(logs[0].severity, LogSeverity::kWarning);
  EXPECT_THAT(logs[0].message, HasSubstr("live hit rate 0 < 0.5 over 28 realised outcomes"));
  auto stored = store.for_model("m");
  ASSERT_TRUE(stored.is_ok()) << stored.status().to_string();
  ASSERT_EQ(stored->size(), 1U);
  EXPECT_EQ((*stored)[0].kind, DriftKind::kPerformance);
  EXPECT_EQ((*stored)[0].detected_at, clock.now());
  EXPECT_DOUBLE_EQ((*stored)[0].threshold, 0.5);
}

}  // namespace
}  // namespace galfriday::models
