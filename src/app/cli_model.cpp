// galfriday model list|show|register|promote|archive|train and experiment start|status|stop.
// Exit codes as the rest of the CLI: 0 success, 1 the operation failed (including a stage move
// the rules refuse), 2 bad input (arguments, config, unknown model, unreadable files).

#include "cli_model.hpp"

#include <stdlib.h>

#include <cstdlib>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <sstream>

#include "galfriday/app/backtest_runner.hpp"
#include "galfriday/app/pipeline.hpp"
#include "galfriday/ingest/ohlcvt_csv.hpp"
#include "galfriday/models/experiments.hpp"
#include "galfriday/models/model_registry.hpp"
#include "galfriday/models/retraining.hpp"
#include "galfriday/persistence/migrations.hpp"
#include "galfriday/persistence/open_database.hpp"

namespace galfriday::app {
namespace {

// Everything a model command needs: the config, the database (schema up to date) and the
// registry over it.
struct Context {
  config::Config config;
  std::unique_ptr<persistence::Database> db;
  LiveClock clock;
  std::unique_ptr<models::ModelRegistry> registry;
};

Result<std::unique_ptr<Context>> open_context(const std::string& config_path) {
  auto loaded = config::load_config_file(config_path);
  for (const auto& warning : loaded.warnings) {
    std::cerr << config_path << ": warning: " << warning.to_string() << "\n";
  }
  if (!loaded.config) {
    std::string message = config_path + ": invalid configuration";
    for (const auto& error : loaded.errors) message += "\n  " + error.to_string();
    return invalid_argument(message);
  }
  auto context = std::make_unique<Context>();
  context->config = std::move(*loaded.config);
  auto target = persistence::resolve_database(context->config.database, context->config.data_dir,
                                              std::getenv(persistence::kDatabaseUrlEnv));
  if (!target) return target.status();
  const std::string db_path = target->description;  // never the password
  auto db = persistence::open_database(*target);
  if (!db) return db.status().with_context(db_path);
  auto status = persistence::migration_status(**db);
  if (!status) return status.status().with_context(db_path);
  if (!status->up_to_date()) {
    return failed_precondition(db_path + " is at schema version " +
                               std::to_string(status->current_version) + " of " +
                               std::to_string(status->latest_version) +
                               "; run `galfriday db migrate --config " + config_path + "` first");
  }
  context->db = std::move(*db);
  std::filesystem::path registry_dir = context->config.models.registry_dir;
  if (registry_dir.is_relative()) registry_dir = context->config.data_dir / registry_dir;
  context->registry =
      std::make_unique<models::ModelRegistry>(*context->db, context->clock, registry_dir);
  return context;
}

std::string fixed(double value, int decimals = 4) {
  std::ostringstream out;
  out.setf(std::ios::fixed);
  out.precision(decimals);
  out << value;
  return out.str();
}

int run_list(const std::string& config_path, const std::string& target) {
  auto context = open_context(config_path);
  if (!context) return fail(context.status());
  auto models = (*context)->registry->list(
      target.empty() ? std::nullopt : std::optional<std::string_view>(target));
  if (!models) return fail(models.status());
  if (models->empty()) {
    std::cout << "no models registered\n";
    return kExitOk;
  }
  std::cout << std::left << std::setw(44) << "MODEL" << std::setw(12) << "STAGE" << std::setw(18)
            << "TARGET" << std::setw(12) << "VALID_AUC"
            << "REGISTERED\n";
  for (const auto& model : *models) {
    const auto auc = model.metrics.find("valid_auc");
    std::cout << std::left << std::setw(44) << model.model_id << std::setw(12)
              << models::to_string(model.stage) << std::setw(18) << model.target << std::setw(12)
              << (auc == model.metrics.end() ? std::string("-") : fixed(auc->second))
              << format_iso8601(model.created_at) << "\n";
  }
  return kExitOk;
}

int run_show(const std::string& config_path, const std::string& model_id) {
  auto context = open_context(config_path);
  if (!context) return fail(context.status());
  auto model = (*context)->registry->get(model_id);
  if (!model) return fail(model.status());
  std::cout << "model      " << model->model_id << "\n"
            << "stage      " << models::to_string(model->stage) << "\n"
            << "target     " << model->target << "\n"
            << "artifact   " << model->artifact_path << "\n"
            << "sha256     " << model->sha256 << "\n"
            << "features   ";
  for (size_t i = 0; i < model->feature_names.size(); ++i) {
    std::cout << (i ? ", " : "") << model->feature_names[i];
  }
  std::cout << "\ntraining   "
            << (model->training_start ? format_iso8601(*model->training_start) : "?") << " .. "
            << (model->training_end ? format_iso8601(*model->training_end) : "?") << "\n"
            << "params     " << model->params_json << "\n"
            << "drift ref  " << (model->distribution_json ? "stored" : "none") << "\n"
            << "metrics\n";
  for (const auto& [name, value] : model->metrics) {
    std::cout << "  " << std::left << std::setw(28) << name << fixed(value, 6) << "\n";
  }
  auto history = (*context)->registry->history(model_id);
  if (!history) return fail(history.status());
  std::cout << "history\n";
  for (const auto& change : *history) {
    std::cout << "  " << format_iso8601(change.at) << "  "
              << (change.from ? std::string(models::to_string(*change.from)) : "(new)") << " -> "
              << models::to_string(change.to) << "  " << change.reason << "\n";
  }
  // The same load a serving process does: SHA-256 against the registry, then XGBoost checks.
  auto loaded = (*context)->registry->load(model_id);
  if (!loaded) {
    std::cout << "integrity  FAILED\n";
    return fail(loaded.status());
  }
  std::cout << "integrity  ok (sha256 verified, model loads)\n";
  return kExitOk;
}

int run_register(const std::string& config_path, const std::string& file,
                 const std::string& stage_text) {
  auto stage = models::parse_model_stage(stage_text);
  if (!stage) return fail(stage.status());
  auto context = open_context(config_path);
  if (!context) return fail(context.status());
  auto record = (*context)->registry->register_artifact(file, *stage, "registered from " + file);
  if (!record) return fail(record.status());
  std::cout << "registered " << record->model_id << " in " << models::to_string(record->stage)
            << " (sha256 " << record->sha256 << ")\n";
  return kExitOk;
}

int run_move(const std::string& config_path, const std::string& model_id,
             const std::string& stage_text, const std::string& reason) {
  auto stage = models::parse_model_stage(stage_text);
  if (!stage) return fail(stage.status());
  auto context = open_context(config_path);
  if (!context) return fail(context.status());
  auto moved =
      (*context)->registry->move(model_id, *stage, reason.empty() ? "operator:cli" : reason);
  if (!moved) return fail(moved.status());
  std::cout << model_id << " is now in " << models::to_string(*stage) << "\n";
  if (moved->has_value()) std::cout << "archived the previous production model " << **moved << "\n";
  return kExitOk;
}

// The holdout backtest: the bars go to a temporary Kraken CSV, the candidate model file into the
// config, and the full backtest pipeline runs over them.
models::BacktestFn backtest_with(const config::Config& config, const InstrumentSpec& spec,
                                 Duration interval) {
  return [config, spec, interval](
             const std::filesystem::path& model_path,
             const std::vector<MarketDataOHLCVEvent>& bars) -> Result<models::BacktestFigures> {
    std::string pattern = (std::filesystem::temp_directory_path() / "gf_holdout_XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      return unavailable("cannot create a temporary directory for the holdout backtest");
    }
    const std::filesystem::path dir = pattern;
    const std::filesystem::path file =
        dir / (spec.altname + "_" +
               std::to_string(std::chrono::duration_cast<std::chrono::minutes>(interval).count()) +
               ".csv");
    {
      std::ofstream out(file);
      for (const auto& bar : bars) out << format_ohlcvt_row(bar) << "\n";
      if (!out) return unavailable("cannot write " + file.string());
    }
    config::Config with_model = config;
    with_model.prediction.model_type = "xgboost";
    with_model.prediction.model_path = model_path;
    with_model.prediction.target = config.models.target;
    auto outcome = run_backtest(with_model, {BacktestInput{spec.id, file, interval}});
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    if (!outcome) return outcome.status();
    const auto& summary = outcome->summary;
    return models::BacktestFigures{summary.final_equity - summary.initial_equity,
                                   summary.total_return_pct, summary.trades, summary.win_rate_pct};
  };
}

int run_train(const std::string& config_path, const std::string& data, int interval_minutes) {
  auto context = open_context(config_path);
  if (!context) return fail(context.status());
  const config::Config& config = (*context)->config;
  auto inputs = resolve_data_arguments(config, {data}, std::chrono::minutes(interval_minutes));
  if (!inputs) return fail(inputs.status());
  auto instruments = build_instruments(config);
  if (!instruments) return fail(instruments.status());
  const BacktestInput input = inputs->front();
  const InstrumentSpec* spec = instruments->find(input.instrument);
  if (spec == nullptr) return fail(not_found("no configured pair " + input.instrument.str()));
  // The last training_window_days of the file.
  models::BarSource bars =
      [input, spec = *spec,
       days = config.models.training_window_days]() -> Result<std::vector<MarketDataOHLCVEvent>> {
    auto reader = OhlcvtCsvReader::open(input.file, spec, input.interval);
    if (!reader) return reader.status();
    std::vector<MarketDataOHLCVEvent> out;
    while (true) {
      auto bar = reader->next();
      if (!bar) return bar.status();
      if (!bar->has_value()) break;
      out.push_back(std::move(**bar));
    }
    if (!out.empty()) {
      const Timestamp from = out.back().bar_start - std::chrono::hours(24) * days;
      std::erase_if(out, [&](const MarketDataOHLCVEvent& bar) { return bar.bar_start <= from; });
    }
    return out;
  };
  models::RetrainingPipeline pipeline(*(*context)->registry, *(*context)->db, (*context)->clock,
                                      models::retraining_options_from(config), std::move(bars),
                                      backtest_with(config, *spec, input.interval));
  auto report = pipeline.run("on demand (cli)");
  if (!report) return fail(report.status());
  std::cout << models::describe(*report) << "\n";
  return kExitOk;
}

int run_experiment_start(const std::string& config_path, const std::string& name,
                         const std::string& a, const std::string& b, double split) {
  auto context = open_context(config_path);
  if (!context) return fail(context.status());
  models::ExperimentManager manager(*(*context)->registry, *(*context)->db, (*context)->clock,
                                    models::experiment_settings_from((*context)->config.models));
  auto record =
      manager.start(name, a, b, split > 0.0 ? std::optional<double>(split) : std::nullopt);
  if (!record) return fail(record.status());
  std::cout << "started experiment " << record->name << ": a " << record->model_a << ", b "
            << record->model_b << ", " << fixed(record->traffic_split * 100.0, 1)
            << " % of keys to b\n";
  return kExitOk;
}

int run_experiment_status(const std::string& config_path, const std::string& name, bool stop,
                          bool promote, const std::string& reason) {
  auto context = open_context(config_path);
  if (!context) return fail(context.status());
  models::ExperimentManager manager(*(*context)->registry, *(*context)->db, (*context)->clock,
                                    models::experiment_settings_from((*context)->config.models));
  auto status = stop ? manager.stop(name, reason.empty() ? "stopped by operator" : reason, promote)
                     : manager.status(name);
  if (!status) return fail(status.status());
  std::cout << models::describe(*status) << "\n";
  if (stop && promote && status->record.winner) {
    std::cout << "promoted " << *status->record.winner << " to production\n";
  }
  return kExitOk;
}

}  // namespace

std::vector<CliCommand> register_model_commands(CLI::App& cli) {
  struct Options {
    std::string config;
    std::string target;
    std::string model_id;
    std::string file;
    std::string stage = "development";
    std::string to = "production";
    std::string reason;
    std::string data;
    int interval = 1;
    std::string name;
    std::string a;
    std::string b;
    double split = 0.0;
    bool promote = false;
  };
  auto options = std::make_shared<Options>();

  auto* model = cli.add_subcommand("model", "Model registry and retraining (docs/models.md)");
  model->require_subcommand(1);
  const auto with_config = [&](CLI::App* command) {
    command->add_option("--config,-c", options->config, "config.yaml")->required();
  };
  auto* list = model->add_subcommand("list", "List registered models, newest first");
  with_config(list);
  list->add_option("--target", options->target, "only models of this target");
  auto* show = model->add_subcommand("show", "A model's metadata, metrics and stage history");
  with_config(show);
  show->add_option("model_id", options->model_id, "model id")->required();
  auto* reg = model->add_subcommand("register", "Copy a model file (+ sidecar) into the registry");
  with_config(reg);
  reg->add_option("--file,-f", options->file, "model .json/.ubj with its .meta.json")->required();
  reg->add_option("--stage", options->stage, "development or staging")->capture_default_str();
  auto* promote = model->add_subcommand("promote", "Move a model to another stage");
  with_config(promote);
  promote->add_option("model_id", options->model_id, "model id")->required();
  promote->add_option("--to", options->to, "staging, production, development")
      ->capture_default_str();
  promote->add_option("--reason", options->reason, "recorded in the stage history");
  auto* archive = model->add_subcommand("archive", "Archive a model");
  with_config(archive);
  archive->add_option("model_id", options->model_id, "model id")->required();
  archive->add_option("--reason", options->reason, "recorded in the stage history");
  auto* train = model->add_subcommand(
      "train", "Retrain now on a bar file; registers in staging, promotes if better");
  with_config(train);
  train->add_option("--data,-d", options->data, "<ALTNAME>_<minutes>.csv or SYMBOL=FILE")
      ->required();
  train->add_option("--interval", options->interval, "bar minutes for SYMBOL=FILE")
      ->check(CLI::Range(1, 21600));

  auto* experiment = cli.add_subcommand("experiment", "A/B experiments between two models");
  experiment->require_subcommand(1);
  auto* start = experiment->add_subcommand("start", "Start an A/B experiment");
  with_config(start);
  start->add_option("--name", options->name, "experiment name")->required();
  start->add_option("--a", options->a, "model of arm a (control)")->required();
  start->add_option("--b", options->b, "model of arm b (challenger)")->required();
  start->add_option("--split", options->split, "share of keys to b (default: config)")
      ->check(CLI::Range(0.0, 1.0));
  auto* status = experiment->add_subcommand("status", "Outcomes, tests and the decision");
  with_config(status);
  status->add_option("--name", options->name, "experiment name")->required();
  auto* stop = experiment->add_subcommand("stop", "Stop an experiment");
  with_config(stop);
  stop->add_option("--name", options->name, "experiment name")->required();
  stop->add_flag("--promote", options->promote, "promote the winner (if any) to production");
  stop->add_option("--reason", options->reason, "recorded with the experiment");

  return {
      {list,
       [options] {
         const Options& o = *options;
         return run_list(o.config, o.target);
       }},
      {show,
       [options] {
         const Options& o = *options;
         return run_show(o.config, o.model_id);
       }},
      {reg,
       [options] {
         const Options& o = *options;
         return run_register(o.config, o.file, o.stage);
       }},
      {promote,
       [options] {
         const Options& o = *options;
         return run_move(o.config, o.model_id, o.to, o.reason);
       }},
      {archive,
       [options] {
         const Options& o = *options;
         return run_move(o.config, o.model_id, "archived", o.reason);
       }},
      {train,
       [options] {
         const Options& o = *options;
         return run_train(o.config, o.data, o.interval);
       }},
      {start,
       [options] {
         const Options& o = *options;
         return run_experiment_start(o.config, o.name, o.a, o.b, o.split);
       }},
      {status,
       [options] {
         const Options& o = *options;
         return run_experiment_status(o.config, o.name, false, false, "");
       }},
      {stop,
       [options] {
         const Options& o = *options;
         return run_experiment_status(o.config, o.name, true, o.promote, o.reason);
       }},
  };
}

}  // namespace galfriday::app
