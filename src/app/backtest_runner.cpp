#include "galfriday/app/backtest_runner.hpp"

#include <fstream>
#include <memory>

#include "galfriday/app/pipeline.hpp"
#include "galfriday/backtest/bar_replay.hpp"
#include "galfriday/backtest/html_report.hpp"
#include "galfriday/backtest/recording_replay.hpp"
#include "galfriday/core/scheduler.hpp"
#include "galfriday/feed/market_data_feed.hpp"

namespace galfriday::app {

Result<std::vector<BacktestInput>> resolve_data_arguments(const config::Config& config,
                                                          const std::vector<std::string>& arguments,
                                                          Duration default_interval) {
  std::vector<BacktestInput> inputs;
  for (const std::string& argument : arguments) {
    const auto equals = argument.find('=');
    if (equals != std::string::npos) {
      const std::string symbol = argument.substr(0, equals);
      if (config.find_pair(symbol) == nullptr) {
        return invalid_argument("--data " + argument + ": pair " + symbol +
                                " is not in the config's pairs");
      }
      inputs.push_back({InstrumentId(symbol), argument.substr(equals + 1), default_interval});
      continue;
    }
    const auto name = parse_kraken_csv_name(argument);
    if (!name) {
      return invalid_argument(
          "--data " + argument +
          ": cannot tell the pair from the file name; name it <ALTNAME>_<minutes>.csv "
          "(e.g. XBTUSD_1.csv) or pass SYMBOL=FILE (e.g. BTC/USD=" +
          argument + ")");
    }
    const config::PairConfig* pair = nullptr;
    for (const auto& candidate : config.pairs) {
      if (candidate.altname == name->altname) pair = &candidate;
    }
    if (pair == nullptr) {
      return invalid_argument("--data " + argument + ": no configured pair has altname " +
                              name->altname);
    }
    inputs.push_back(
        {InstrumentId(pair->symbol), argument, std::chrono::minutes(name->interval_minutes)});
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    for (size_t j = i + 1; j < inputs.size(); ++j) {
      if (inputs[i].instrument == inputs[j].instrument) {
        return invalid_argument("--data: two files for " + inputs[i].instrument.str());
      }
    }
  }
  if (inputs.empty()) return invalid_argument("no --data files given");
  return inputs;
}

namespace {

Result<backtest::BarReplay> open_replay(const InstrumentRegistry& instruments,
                                        const std::vector<BacktestInput>& inputs) {
  std::vector<OhlcvtCsvReader> readers;
  for (const BacktestInput& input : inputs) {
    const InstrumentSpec* spec = instruments.find(input.instrument);
    if (spec == nullptr) return invalid_argument("no configured pair " + input.instrument.str());
    auto reader = OhlcvtCsvReader::open(input.file, *spec, input.interval);
    if (!reader) return reader.status();
    readers.push_back(std::move(*reader));
  }
  return backtest::BarReplay::open(std::move(readers));
}

// The summary and final state of a finished run.
void finish_outcome(const Pipeline& pipeline, const PubSubManager& bus, int64_t bars,
                    BacktestOutcome& outcome) {
  const auto& portfolio = pipeline.portfolio();
  outcome.final_state = portfolio.state();
  outcome.trades = portfolio.closed_trades();
  outcome.summary = backtest::summarize(outcome.equity_curve, outcome.final_state, outcome.trades);
  outcome.summary.bars = bars;
  outcome.summary.signals_proposed = pipeline.strategy().proposals();
  outcome.summary.signals_approved = pipeline.risk().approved();
  outcome.summary.signals_rejected = pipeline.risk().rejected();
  for (const auto& [reason, count] : pipeline.risk().rejections_by_reason()) {
    outcome.summary.rejections_by_reason[std::string(to_string(reason))] = count;
  }
  outcome.events_dispatched = bus.dispatched();
  outcome.handler_failures = bus.handler_failures();
}

// One equity point per bar close. Bars of several pairs closing at one time make one point, the
// last and complete one; in a recording a pair's bar can be noticed after another pair's later
// bar: it joins the latest point, so the curve's times never go back.
void record_equity_point(const PortfolioManager& portfolio, Timestamp close_time,
                         BacktestOutcome& outcome) {
  backtest::EquityPoint point{close_time, portfolio.equity(), portfolio.total_exposure()};
  if (!outcome.equity_curve.empty() && outcome.equity_curve.back().time >= close_time) {
    point.time = outcome.equity_curve.back().time;
    outcome.equity_curve.back() = point;
  } else {
    outcome.equity_curve.push_back(point);
  }
}

// One replay: a simulated clock, its scheduler, a bus and a fresh pipeline, and the equity
// curve scored so far. Shared by bar replays and recording replays.
class ReplayRun {
 public:
  static Result<std::unique_ptr<ReplayRun>> create(const config::Config& config,
                                                   const InstrumentRegistry& instruments,
                                                   const BusObserver& observe) {
    auto run = std::unique_ptr<ReplayRun>(new ReplayRun());
    if (observe) observe(run->bus_);
    auto pipeline = Pipeline::create(config, instruments, run->clock_, run->bus_);
    if (!pipeline) return pipeline.status();
    run->pipeline_ = std::move(*pipeline);
    return run;
  }

  // Time moves to `time`, firing any timers due, then the event and everything it causes is
  // dispatched.
  void publish_at(Timestamp time, Event event) {
    scheduler_.advance_to(clock_, time);
    bus_.publish(std::move(event));
    bus_.run_until_idle();
  }

  // Scores one bar closed at `close_time`.
  void score_bar(Timestamp close_time) {
    ++bars_;
    record_equity_point(pipeline_->portfolio(), close_time, outcome_);
  }

  int64_t bars() const { return bars_; }

  BacktestOutcome finish() {
    finish_outcome(*pipeline_, bus_, bars_, outcome_);
    return std::move(outcome_);
  }

 private:
  ReplayRun() : scheduler_(clock_), bus_(clock_) {}

  SimulatedClock clock_;
  Scheduler scheduler_;
  PubSubManager bus_;
  std::unique_ptr<Pipeline> pipeline_;
  BacktestOutcome outcome_;
  int64_t bars_ = 0;
};

// The bar replay shared by the streaming and the in-memory runs. `next` yields bars in replay
// order, nullopt at the end. A bar is published at its close (its values are known then).
template <typename NextBar>
Result<BacktestOutcome> replay_through_pipeline(const config::Config& config,
                                                const InstrumentRegistry& instruments,
                                                NextBar&& next, const ScoreWindow& window,
                                                const BusObserver& observe) {
  auto run = ReplayRun::create(config, instruments, observe);
  if (!run) return run.status();
  while (true) {
    Result<std::optional<MarketDataOHLCVEvent>> bar = next();
    if (!bar) return bar.status();
    if (!*bar) break;
    const Timestamp close_time = (*bar)->meta.ts_event;
    (*run)->publish_at(close_time, std::move(**bar));
    if (window.score_after && close_time <= *window.score_after) continue;
    (*run)->score_bar(close_time);
  }
  if ((*run)->bars() == 0) {
    return invalid_argument(window.score_after ? "no bars close after the scoring start " +
                                                     format_iso8601(*window.score_after)
                                               : std::string("the data files hold no bars"));
  }
  return (*run)->finish();
}

// Replays a recording's events through a fresh pipeline (run_replay_backtest), each at its
// local receive time.
Result<BacktestOutcome> replay_recording_through_pipeline(const config::Config& config,
                                                          const InstrumentRegistry& instruments,
                                                          backtest::RecordingReplay& replay,
                                                          const std::string& source,
                                                          const BusObserver& observe) {
  auto run = ReplayRun::create(config, instruments, observe);
  if (!run) return run.status();
  while (true) {
    auto next = replay.next();
    if (!next) return next.status();
    if (!*next) break;
    const auto* bar = std::get_if<MarketDataOHLCVEvent>(&(*next)->event);
    const std::optional<Timestamp> close_time =
        bar ? std::optional<Timestamp>(bar->meta.ts_event) : std::nullopt;
    (*run)->publish_at((*next)->received, std::move((*next)->event));
    if (close_time) (*run)->score_bar(*close_time);
  }
  if ((*run)->bars() == 0) {
    const feed::FeedCounters counters = replay.counters();
    return invalid_argument(
        "the recording " + source + " holds no closed bar of a configured pair (" +
        std::to_string(counters.frames) + " frames, " + std::to_string(counters.ohlc_messages) +
        " ohlc messages, market_data.ohlc_interval_minutes " +
        std::to_string(config.market_data.ohlc_interval_minutes) + "): nothing to score");
  }
  return (*run)->finish();
}

}  // namespace

Result<BacktestOutcome> run_backtest(const config::Config& config,
                                     const std::vector<BacktestInput>& inputs,
                                     const BusObserver& observe) {
  auto instruments = build_instruments(config);
  if (!instruments) return instruments.status();
  auto replay = open_replay(*instruments, inputs);
  if (!replay) return replay.status();
  return replay_through_pipeline(
      config, *instruments, [&] { return replay->next(); }, ScoreWindow{}, observe);
}

Result<BacktestOutcome> run_replay_backtest(const config::Config& config,
                                            const std::filesystem::path& recording,
                                            const BusObserver& observe) {
  auto instruments = build_instruments(config);
  if (!instruments) return instruments.status();
  const feed::DataIngestorOptions options =
      feed::market_data_feed_options(config, instruments->all()).ingestor;
  auto replay = backtest::RecordingReplay::open(recording, options);
  if (!replay) return replay.status();
  return replay_recording_through_pipeline(config, *instruments, *replay, recording.string(),
                                           observe);
}

Result<std::vector<MarketDataOHLCVEvent>> load_bars(const config::Config& config,
                                                    const std::vector<BacktestInput>& inputs) {
  auto instruments = build_instruments(config);
  if (!instruments) return instruments.status();
  auto replay = open_replay(*instruments, inputs);
  if (!replay) return replay.status();
  std::vector<MarketDataOHLCVEvent> bars;
  while (true) {
    auto bar = replay->next();
    if (!bar) return bar.status();
    if (!*bar) break;
    bars.push_back(std::move(**bar));
  }
  if (bars.empty()) return invalid_argument("the data files hold no bars");
  return bars;
}

Result<BacktestOutcome> run_backtest_on_bars(const config::Config& config,
                                             std::span<const MarketDataOHLCVEvent> bars,
                                             const ScoreWindow& window,
                                             const BusObserver& observe) {
  auto instruments = build_instruments(config);
  if (!instruments) return instruments.status();
  size_t next_index = 0;
  auto next = [&]() -> Result<std::optional<MarketDataOHLCVEvent>> {
    if (next_index == bars.size()) return std::optional<MarketDataOHLCVEvent>();
    return std::optional<MarketDataOHLCVEvent>(bars[next_index++]);
  };
  return replay_through_pipeline(config, *instruments, next, window, observe);
}

namespace {

Status write_file_atomically(const std::filesystem::path& path, const std::string& content) {
  const std::filesystem::path temporary = path.string() + ".tmp";
  {
    std::ofstream out(temporary, std::ios::trunc | std::ios::binary);
    if (!out) return permission_denied("cannot write " + temporary.string());
    out << content;
    out.close();
    if (!out) return data_loss("writing " + temporary.string() + " failed (disk full?)");
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return data_loss("cannot rename " + temporary.string() + ": " + ec.message());
  return Status::ok();
}

}  // namespace

Status write_backtest_report(const BacktestOutcome& outcome, const std::filesystem::path& directory,
                             const std::string& currency) {
  std::error_code ec;
  std::filesystem::create_directories(directory, ec);
  if (ec)
    return permission_denied("cannot create report directory " + directory.string() + ": " +
                             ec.message());
  std::string equity = "time,equity,exposure\n";
  for (const auto& point : outcome.equity_curve) {
    equity += format_iso8601(point.time) + "," + point.equity.to_string() + "," +
              point.exposure.to_string() + "\n";
  }
  GF_RETURN_IF_ERROR(write_file_atomically(directory / "summary.txt",
                                           backtest::format_summary(outcome.summary, currency)));
  GF_RETURN_IF_ERROR(write_file_atomically(directory / "summary.json",
                                           backtest::summary_to_json(outcome.summary, currency)));
  GF_RETURN_IF_ERROR(
      write_file_atomically(directory / "trades.csv", backtest::trades_to_csv(outcome.trades)));
  GF_RETURN_IF_ERROR(write_file_atomically(directory / "equity.csv", equity));
  GF_RETURN_IF_ERROR(write_file_atomically(
      directory / "report.html",
      backtest::render_html_report("Gal-Friday backtest", outcome.summary, outcome.equity_curve,
                                   outcome.trades, currency)));
  return Status::ok();
}

}  // namespace galfriday::app
