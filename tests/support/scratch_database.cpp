// The suites' PostgreSQL database: kept apart from postgres.cpp, whose Catch2 use would pull
// Catch's main into every binary that starts a Suite (benchmarks have their own main).
#include <cstdlib>
#include <iostream>
#include <stdexcept>

#include "salesos/core/ids.h"
#include "salesos/store/store.h"
#include "support/postgres.h"

namespace salesos::testing {

bool SuiteOnPostgres() {
  const char* engine = std::getenv("SALESOS_SUITE_DATABASE");
  return engine != nullptr && std::string(engine) == "postgresql";
}

std::string WithDatabase(const std::string& url, const std::string& database) {
  size_t scheme = url.find("://");
  size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  size_t query = url.find('?', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos || (query != std::string::npos && path > query)) {
    path = query == std::string::npos ? url.size() : query;
    return url.substr(0, path) + "/" + database + url.substr(path);
  }
  return url.substr(0, path + 1) + database +
         (query == std::string::npos ? "" : url.substr(query));
}

namespace {

store::StorePtr Admin(const std::string& cluster_url) {
  store::StoreOptions options;
  options.pool_size = 1;
  auto admin = store::OpenStore(cluster_url, options);
  if (!admin.ok()) {
    throw std::runtime_error("cannot reach PostgreSQL at " + cluster_url + ": " +
                             admin.status().ToString());
  }
  return std::move(admin).value();
}

}  // namespace

ScratchDatabase::ScratchDatabase(const std::string& cluster_url, const std::string& prefix)
    : cluster_url_(cluster_url), name_(prefix + "_" + RandomHex(6)) {
  url_ = WithDatabase(cluster_url_, name_);
  Status st = Admin(cluster_url_)->Exec("CREATE DATABASE \"" + name_ + "\"").status();
  if (!st.ok()) {
    throw std::runtime_error("cannot create database " + name_ + ": " + st.ToString());
  }
}

ScratchDatabase::~ScratchDatabase() {
  try {
    (void)Admin(cluster_url_)->Exec("DROP DATABASE IF EXISTS \"" + name_ + "\" WITH (FORCE)");
  } catch (const std::exception& e) {
    std::cerr << "database " << name_ << " not dropped: " << e.what() << "\n";
  }
}

}  // namespace salesos::testing
