#include "galfriday/net/http.hpp"

#include <algorithm>
#include <cctype>

namespace galfriday::net {

namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

}  // namespace

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& h : headers) {
    if (equals_ignore_case(h.name, name)) return h.value;
  }
  return {};
}

}  // namespace galfriday::net
