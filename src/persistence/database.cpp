#include "galfriday/persistence/database.hpp"

namespace galfriday::persistence {

std::optional<std::string> Row::text(size_t column) const {
  const SqlValue& value = values_.at(column);
  if (!value.is_text()) return std::nullopt;
  return value.text();
}

std::optional<int64_t> Row::integer(size_t column) const {
  const SqlValue& value = values_.at(column);
  if (!value.is_integer()) return std::nullopt;
  return value.integer();
}

std::string multi_row_sql(std::string_view head, size_t columns, size_t rows,
                          std::string_view tail) {
  std::string tuple = "(";
  for (size_t c = 0; c < columns; ++c) tuple += c == 0 ? "?" : ", ?";
  tuple += ")";
  std::string sql;
  sql.reserve(head.size() + tail.size() + rows * (tuple.size() + 2) + 2);
  sql.append(head).append(" ");
  for (size_t r = 0; r < rows; ++r) sql.append(r == 0 ? "" : ", ").append(tuple);
  if (!tail.empty()) sql.append(" ").append(tail);
  return sql;
}

size_t multi_row_chunk(size_t rows_left) {
  size_t count = kMaxRowsPerInsert;
  while (count > 1 && count > rows_left) count /= 4;
  return count;
}

std::string number_placeholders(std::string_view sql) {
  enum class State { kCode, kString, kIdentifier, kLineComment, kBlockComment };
  State state = State::kCode;
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  for (size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    const char following = i + 1 < sql.size() ? sql[i + 1] : '\0';
    switch (state) {
      case State::kCode:
        if (c == '?') {
          out += '$';
          out += std::to_string(next++);
          continue;
        }
        if (c == '\'') state = State::kString;
        if (c == '"') state = State::kIdentifier;
        if ((c == '-' && following == '-') || (c == '/' && following == '*')) {
          state = c == '-' ? State::kLineComment : State::kBlockComment;
          out += c;
          out += following;
          ++i;
          continue;
        }
        break;
      case State::kString:  // '' inside a literal leaves and re-enters the state: same result
        if (c == '\'') state = State::kCode;
        break;
      case State::kIdentifier:
        if (c == '"') state = State::kCode;
        break;
      case State::kLineComment:
        if (c == '\n') state = State::kCode;
        break;
      case State::kBlockComment:
        if (c == '*' && following == '/') {
          out += "*/";
          ++i;
          state = State::kCode;
          continue;
        }
        break;
    }
    out += c;
  }
  return out;
}

}  // namespace galfriday::persistence
