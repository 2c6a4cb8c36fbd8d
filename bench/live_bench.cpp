// Tick-to-order latency of the live execution path: one Kraken WS v2 book frame in (decode,
// apply, checksum: the real BTC/USD recording) -> a limit buy at the best ask with a
// deterministic cl_ord_id -> the signed AddOrder HTTP request (nonce, form body, API-Sign) out.
// Reports p50/p99 per frame; target (DESIGN.md) p99 <= 50 us. The strategy and model between
// the book and the order are not in this path (they have their own benchmarks). Numbers only:
// nothing here passes or fails on timing.

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "galfriday/kraken/ws_codec.hpp"
#include "galfriday/live/client_order_id.hpp"
#include "galfriday/live/private_client.hpp"
#include "galfriday/market/order_book.hpp"

namespace galfriday::live {
namespace {

// Kraken's documented example secret: the benchmark signs, it never sends.
constexpr std::string_view kSecret =
    "kQH5HW/8p1uGOVjbgWA7FunAmGO8lsSUXNsu3eow76sz84Q18fWxnyRzBHCd3pd5nE9qa99HAZtuZuj6F1huXg==";

class NoNetwork final : public net::HttpTransport {
 public:
  Result<net::HttpResponse> send(const net::HttpRequest&, std::chrono::milliseconds) override {
    return unavailable("benchmark: no network");
  }
};

std::vector<std::string> book_frames() {
  std::ifstream in(std::string(GF_SAMPLES_DIR) + "/ws_v2_book_snapshot_and_updates.jsonl");
  std::vector<std::string> frames;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') frames.push_back(line);
  }
  return frames;
}

double percentile(std::vector<double>& samples, double p) {
  if (samples.empty()) return 0;
  const size_t index =
      std::min(samples.size() - 1, static_cast<size_t>(p * static_cast<double>(samples.size())));
  std::nth_element(samples.begin(), samples.begin() + static_cast<std::ptrdiff_t>(index),
                   samples.end());
  return samples[index];
}

void BM_TickToSignedAddOrder(benchmark::State& state) {
  const auto frames = book_frames();
  const auto nonce_file = std::filesystem::temp_directory_path() / "galfriday_live_bench_nonce";
  std::filesystem::remove(nonce_file);
  LiveClock clock;
  ThreadSleeper sleeper;
  NoNetwork transport;
  auto nonces = NonceGenerator::open(nonce_file, clock).value();
  auto client =
      KrakenPrivateClient::create(transport, *nonces, clock, sleeper, "bench-key", kSecret).value();
  kraken::WsDecoder decoder;
  kraken::WsMessage message;
  OrderBook book = OrderBook::create(InstrumentId("BTC/USD"), 1, 8, 10).value();
  const Quantity volume = *Quantity::parse("0.01000000", 8);

  std::vector<double> latencies_us;
  latencies_us.reserve(1 << 20);
  uint64_t signal_number = 0;
  size_t frame_index = 0;
  for (auto _ : state) {
    const std::string& frame = frames[frame_index];
    frame_index = frame_index + 1 == frames.size() ? 0 : frame_index + 1;
    const auto start = std::chrono::steady_clock::now();

    if (!decoder.decode_into(frame, message).is_ok()) {
      state.SkipWithError("decode failed");
      return;
    }
    const auto& update = std::get<kraken::BookMessage>(message);
    Status applied = update.is_snapshot ? book.apply_snapshot(update.bids, update.asks)
                                        : book.apply_update(update.bids, update.asks);
    if (applied.is_ok()) applied = book.verify(update.checksum);
    const auto ask = book.best_ask();
    if (!applied.is_ok() || !ask) {
      state.SkipWithError("book failed");
      return;
    }
    const ClientOrderId cl_ord_id = derive_client_order_id(
        "bench-signal-" + std::to_string(++signal_number), OrderPurpose::kEntry);
    auto request = client->build_request("AddOrder", {{"ordertype", "limit"},
                                                      {"type", "buy"},
                                                      {"volume", volume.to_string()},
                                                      {"pair", "XBTUSD"},
                                                      {"price", ask->price.to_string()},
                                                      {"cl_ord_id", cl_ord_id.str()}});
    benchmark::DoNotOptimize(request);

    const auto end = std::chrono::steady_clock::now();
    latencies_us.push_back(std::chrono::duration<double, std::micro>(end - start).count());
  }
  state.counters["p50_us"] = percentile(latencies_us, 0.50);
  state.counters["p99_us"] = percentile(latencies_us, 0.99);
  state.counters["max_us"] = *std::max_element(latencies_us.begin(), latencies_us.end());
  std::filesystem::remove(nonce_file);
}
BENCHMARK(BM_TickToSignedAddOrder);

// The signature alone (SHA-256 + HMAC-SHA512 + base64) of a typical AddOrder body.
void BM_SignAddOrder(benchmark::State& state) {
  const RequestSigner signer = RequestSigner::create(kSecret).value();
  const std::string body =
      "nonce=1700000000123456789&ordertype=limit&type=buy&volume=0.01000000&pair=XBTUSD&price="
      "37500.0&cl_ord_id=6d1b345e-2821-80e2-ad83-4ecb18a06876";
  std::array<char, kApiSignLength> out{};
  for (auto _ : state) {
    signer.sign_into("/0/private/AddOrder", "1700000000123456789", body, out);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_SignAddOrder);

}  // namespace
}  // namespace galfriday::live

BENCHMARK_MAIN();
