#pragma once
// Internal: whole-file reads and crash-safe replacement of model artifacts.

#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "galfriday/core/status.hpp"

namespace galfriday::prediction_internal {

// NOT_FOUND when the file does not exist; PERMISSION_DENIED or UNAVAILABLE when it cannot be read.
Result<std::string> read_whole_file(const std::filesystem::path& path);

// Writes each (path, contents) to a temporary file next to it, flushes them to disk, then renames
// them over their targets in the given order and flushes the directories. A reader sees each
// file either whole-old or whole-new, never torn; between two renames it can see a new file with
// an old neighbour, which is why metadata carries the model's digest.
Status replace_files_atomically(
    const std::vector<std::pair<std::filesystem::path, std::string_view>>& files);

}  // namespace galfriday::prediction_internal
