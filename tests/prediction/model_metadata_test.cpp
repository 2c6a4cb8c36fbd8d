#include "galfriday/prediction/model_metadata.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "galfriday/prediction/metrics.hpp"
#include "sha256.hpp"

namespace galfriday {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

nlohmann::json valid_sidecar() {
  return {{"format_version", 1},
          {"model_id", "btc_up_v3"},
          {"target", "prob_price_up"},
          {"target_description", "P(close[t+5m] > close[t])"},
          {"objective", "binary:logistic"},
          {"feature_names", {"ma_spread", "return_5"}},
          {"training_window", {{"start", "2024-01-01T00:00:00Z"}, {"end", "2024-06-30T23:59:00Z"}}},
          {"params", {{"eta", 0.1}, {"max_depth", 6}, {"tree_method", "hist"}}},
          {"metrics", {{"valid_auc", 0.61}, {"valid_log_loss", 0.68}}},
          {"model_sha256", std::string(64, 'a')},
          {"xgboost_version", "1.7.4"},
          {"created_at", "2024-07-01T12:00:00Z"}};
}

Status parse_error(const nlohmann::json& sidecar) {
  return parse_model_metadata(sidecar.dump(), "m.meta.json").status();
}

TEST(ModelMetadata, ParsesEveryFieldAndRoundTrips) {
  auto parsed = parse_model_metadata(valid_sidecar().dump(), "m.meta.json");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  const ModelMetadata& m = *parsed;
  EXPECT_EQ(m.model_id, "btc_up_v3");
  EXPECT_EQ(m.target, "prob_price_up");
  EXPECT_EQ(m.target_description, "P(close[t+5m] > close[t])");
  EXPECT_EQ(m.objective, "binary:logistic");
  EXPECT_THAT(m.feature_names, ElementsAre("ma_spread", "return_5"));
  EXPECT_EQ(m.training_start, timestamp_from_seconds(1704067200));
  EXPECT_EQ(m.training_end, timestamp_from_seconds(1719791940));
  EXPECT_EQ(nlohmann::json::parse(m.params_json).at("max_depth"), 6);
  EXPECT_EQ(m.metrics.at("valid_auc"), 0.61);
  EXPECT_EQ(m.model_sha256, std::string(64, 'a'));
  EXPECT_EQ(m.xgboost_version, "1.7.4");
  EXPECT_EQ(m.created_at, timestamp_from_seconds(1719835200));

  const auto text = serialize_model_metadata(m);
  ASSERT_TRUE(text.is_ok());
  auto again = parse_model_metadata(*text, "again");
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ(*again, m);
}

TEST(ModelMetadata, OptionalFieldsMayBeLeftOut) {
  const nlohmann::json minimal = {{"format_version", 1},
                                  {"model_id", "m"},
                                  {"target", "prob_price_up"},
                                  {"objective", "binary:logistic"},
                                  {"feature_names", {"a"}}};
  auto parsed = parse_model_metadata(minimal.dump(), "m.meta.json");
  ASSERT_TRUE(parsed.is_ok()) << parsed.status().to_string();
  EXPECT_FALSE(parsed->model_sha256.has_value());
  EXPECT_FALSE(parsed->training_start.has_value());
  EXPECT_EQ(parsed->params_json, "{}");
  EXPECT_TRUE(parsed->metrics.empty());
}

TEST(ModelMetadata, ErrorsNameTheFileAndTheKey) {
  auto change = [](const std::function<void(nlohmann::json&)>& edit) {
    nlohmann::json sidecar = valid_sidecar();
    edit(sidecar);
    return parse_error(sidecar);
  };
  const Status not_json = parse_model_metadata("{\"model_id\": ", "m.meta.json").status();
  EXPECT_THAT(not_json.message(), HasSubstr("m.meta.json is not valid JSON"));
  EXPECT_THAT(change([](auto& j) { j.erase("feature_names"); }).message(),
              HasSubstr("model metadata m.meta.json: 'feature_names' is required"));
  EXPECT_THAT(change([](auto& j) { j["feature_names"] = nlohmann::json::array(); }).message(),
              HasSubstr("'feature_names' must be a non-empty array"));
  EXPECT_THAT(change([](auto& j) {
                j["feature_names"] = {"a", "a"};
              }).message(),
              HasSubstr("names 'a' twice"));
  EXPECT_THAT(change([](auto& j) {
                j["feature_names"] = {"a", 3};
              }).message(),
              HasSubstr("must hold non-empty strings, got 3"));
  EXPECT_THAT(change([](auto& j) { j["format_version"] = 2; }).message(),
              HasSubstr("'format_version' must be 1, got 2"));
  EXPECT_THAT(change([](auto& j) { j.erase("model_id"); }).message(),
              HasSubstr("'model_id' is required"));
  EXPECT_THAT(change([](auto& j) { j["target"] = ""; }).message(),
              HasSubstr("'target' must not be empty"));
  EXPECT_THAT(change([](auto& j) { j["feature_name"] = {"a"}; }).message(),
              HasSubstr("'feature_name' is not a metadata key"));
  EXPECT_THAT(change([](auto& j) { j["training_window"]["start"] = "yesterday"; }).message(),
              HasSubstr("'training_window.start' is not a time"));
  EXPECT_THAT(
      change([](auto& j) { j["training_window"]["start"] = "2024-07-01T00:00:00Z"; }).message(),
      HasSubstr("ends before it starts"));
  EXPECT_THAT(change([](auto& j) { j["metrics"]["auc"] = "high"; }).message(),
              HasSubstr("'metrics.auc' must be a finite number"));
  EXPECT_THAT(change([](auto& j) { j["model_sha256"] = "ABC"; }).message(),
              HasSubstr("'model_sha256' must be 64 lower-case hex digits"));
  EXPECT_THAT(change([](auto& j) { j["params"] = 3; }).message(),
              HasSubstr("'params' must be an object"));
}

TEST(ModelMetadata, SidecarSitsNextToTheModel) {
  EXPECT_EQ(metadata_path_for("models/btc_up_v3.json"), "models/btc_up_v3.meta.json");
  EXPECT_EQ(metadata_path_for("models/btc_up_v3.ubj"), "models/btc_up_v3.meta.json");
  EXPECT_EQ(metadata_path_for("m"), "m.meta.json");
}

TEST(Sha256, MatchesTheFipsExamples) {
  using prediction_internal::sha256_hex;
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 56 bytes: the padding needs a second block.
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

// --- Metrics -----------------------------------------------------------------------------------

TEST(Metrics, AucCountsOrderedPairsWithTiesAsHalf) {
  const std::vector<double> labels = {0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(*roc_auc(labels, std::vector<double>{0.1, 0.4, 0.35, 0.8}), 0.75);
  EXPECT_DOUBLE_EQ(*roc_auc(labels, std::vector<double>{0.1, 0.2, 0.3, 0.4}), 1.0);
  EXPECT_DOUBLE_EQ(*roc_auc(labels, std::vector<double>{0.4, 0.3, 0.2, 0.1}), 0.0);
  EXPECT_DOUBLE_EQ(*roc_auc(labels, std::vector<double>{0.5, 0.5, 0.5, 0.5}), 0.5);
  // One tie between a positive and a negative: 3 ordered pairs + 1/2.
  EXPECT_DOUBLE_EQ(*roc_auc(labels, std::vector<double>{0.1, 0.3, 0.3, 0.8}), 0.875);
  EXPECT_THAT(roc_auc(std::vector<double>{1, 1}, std::vector<double>{0.2, 0.3}).status().message(),
              HasSubstr("needs both classes"));
}

TEST(Metrics, LogLossIsTheMeanNegativeLogLikelihoodClipped) {
  const std::vector<double> labels = {1, 0};
  EXPECT_NEAR(*log_loss(labels, std::vector<double>{0.8, 0.4}),
              -(std::log(0.8) + std::log(0.6)) / 2.0, 1e-15);
  // A confident miss is large but finite.
  EXPECT_NEAR(*log_loss(std::vector<double>{1}, std::vector<double>{0.0}), -std::log(1e-15), 1e-9);
  EXPECT_FALSE(log_loss(labels, std::vector<double>{1.2, 0.1}).is_ok());
  EXPECT_FALSE(log_loss(labels, std::vector<double>{0.5}).is_ok());
}

TEST(Metrics, PrecisionAndRecallAtTheThreshold) {
  const std::vector<double> labels = {1, 1, 1, 0, 0, 0};
  const std::vector<double> p = {0.9, 0.5, 0.2, 0.7, 0.1, 0.49};
  const auto pr = precision_recall(labels, p);
  ASSERT_TRUE(pr.is_ok());
  EXPECT_EQ(pr->true_positives, 2u);
  EXPECT_EQ(pr->false_positives, 1u);
  EXPECT_EQ(pr->false_negatives, 1u);
  EXPECT_EQ(pr->true_negatives, 2u);
  EXPECT_DOUBLE_EQ(*pr->precision, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*pr->recall, 2.0 / 3.0);
  // Nothing predicted positive: precision is undefined, not zero.
  const auto none = precision_recall(labels, std::vector<double>(6, 0.1));
  EXPECT_FALSE(none->precision.has_value());
  EXPECT_DOUBLE_EQ(*none->recall, 0.0);

  const auto all = classification_metrics(labels, p);
  ASSERT_TRUE(all.is_ok());
  EXPECT_EQ(all->rows, 6u);
  EXPECT_DOUBLE_EQ(all->positive_rate, 0.5);
  EXPECT_DOUBLE_EQ(all->auc, *roc_auc(labels, p));
}

}  // namespace
}  // namespace galfriday
