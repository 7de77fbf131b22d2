#include <string>
#include <string_view>

#include "engines.h"
#include "salesos/store/store.h"

namespace salesos::store {
namespace {

constexpr std::string_view kUrlForms =
    "sqlite:///absolute/path.db, sqlite://relative/path.db, sqlite::memory: or "
    "postgresql://user:pass@host:port/db";

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

}  // namespace

Result<StorePtr> OpenStore(std::string_view url, const StoreOptions& options) {
  if (options.pool_size < 1) {
    return InvalidArgument("store pool_size must be at least 1, got " +
                           std::to_string(options.pool_size));
  }
  if (options.timeout_ms < 1) {
    return InvalidArgument("store timeout_ms must be at least 1, got " +
                           std::to_string(options.timeout_ms));
  }
  if (url == "sqlite::memory:") {
    return internal::OpenSqliteStore(":memory:", options);
  }
  if (StartsWith(url, "sqlite://")) {
    // sqlite:///abs/path keeps its leading '/', sqlite://rel/path is relative to the cwd.
    std::string_view path = url.substr(std::string_view("sqlite://").size());
    if (path.empty()) {
      return InvalidArgument("store url \"sqlite://\" has no file path; use " +
                             std::string(kUrlForms));
    }
    return internal::OpenSqliteStore(std::string(path), options);
  }
  if (StartsWith(url, "postgresql://") || StartsWith(url, "postgres://")) {
    return internal::OpenPostgresStore(std::string(url), options);
  }
  // Only the scheme is echoed: the rest of a URL may hold a password.
  const size_t colon = url.find(':');
  const std::string scheme(colon == std::string_view::npos ? url : url.substr(0, colon));
  return InvalidArgument("store url scheme \"" + scheme + "\" is not supported; use " +
                         std::string(kUrlForms));
}

}  // namespace salesos::store
