#pragma once

// Small text helpers shared by parsers of settings, headers and files.

#include <string_view>

namespace salesos {

// `s` without the spaces and tabs at either end (an HTTP header value's OWS, a CSV cell, a
// comma-separated setting's entry).
inline std::string_view TrimBlanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
    s.remove_suffix(1);
  }
  return s;
}

}  // namespace salesos
