#pragma once
// Kraken's two spellings of an asset: REST Balance/BalanceEx and AssetPairs use the legacy
// codes with X/Z prefixes for the oldest assets ("XXBT", "ZUSD", "XETH"), WebSocket v2 and our
// instruments the plain names ("BTC", "USD", "ETH"). Assets listed later on Kraken have one
// name only ("SOL", "USDT").

#include <string>
#include <string_view>

namespace galfriday::live {

// "BTC" -> "XXBT", "USD" -> "ZUSD", "SOL" -> "SOL".
std::string kraken_rest_asset(std::string_view asset);
// "XXBT" -> "BTC", "ZUSD" -> "USD", "XBT" -> "BTC", "SOL" -> "SOL".
std::string kraken_ws_asset(std::string_view rest_asset);

}  // namespace galfriday::live
