#pragma once
// Internal: SHA-256 (FIPS 180-4) of a byte string, as 64 lower-case hex digits. Used to bind a
// model file to its metadata sidecar; the same digest is Python's
// hashlib.sha256(data).hexdigest(), so a user's training script can write it too.

#include <string>
#include <string_view>

namespace galfriday::prediction_internal {

std::string sha256_hex(std::string_view data);

}  // namespace galfriday::prediction_internal
