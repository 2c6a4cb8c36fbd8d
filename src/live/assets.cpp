#include "galfriday/live/assets.hpp"

#include <array>
#include <utility>

namespace galfriday::live {
namespace {

// The legacy codes (AssetPairs base/quote of Kraken's oldest pairs).
constexpr std::array<std::pair<std::string_view, std::string_view>, 15> kLegacy{{
    {"BTC", "XXBT"},
    {"ETH", "XETH"},
    {"LTC", "XLTC"},
    {"XRP", "XXRP"},
    {"XLM", "XXLM"},
    {"XMR", "XXMR"},
    {"ZEC", "XZEC"},
    {"ETC", "XETC"},
    {"DOGE", "XXDG"},
    {"USD", "ZUSD"},
    {"EUR", "ZEUR"},
    {"GBP", "ZGBP"},
    {"JPY", "ZJPY"},
    {"CAD", "ZCAD"},
    {"AUD", "ZAUD"},
}};

}  // namespace

std::string kraken_rest_asset(std::string_view asset) {
  for (const auto& [plain, legacy] : kLegacy) {
    if (asset == plain) return std::string(legacy);
  }
  return std::string(asset);
}

std::string kraken_ws_asset(std::string_view rest_asset) {
  for (const auto& [plain, legacy] : kLegacy) {
    if (rest_asset == legacy) return std::string(plain);
  }
  if (rest_asset == "XBT") return "BTC";
  if (rest_asset == "XDG") return "DOGE";
  return std::string(rest_asset);
}

}  // namespace galfriday::live
