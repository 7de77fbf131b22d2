#include "salesos/rpc/caller.h"

#include <array>
#include <mutex>
#include <unordered_map>

#include "salesos/core/log.h"

namespace salesos::rpc {
namespace {

// Verification results by call, sharded so concurrent calls rarely share a lock.
class CallerRegistry {
 public:
  void Put(const void* key, Result<Caller> caller) {
    Shard& s = ShardOf(key);
    std::lock_guard lock(s.mu);
    s.map.insert_or_assign(key, std::move(caller));
  }
  void Erase(const void* key) {
    Shard& s = ShardOf(key);
    std::lock_guard lock(s.mu);
    s.map.erase(key);
  }
  Result<Caller> Get(const void* key) {
    Shard& s = ShardOf(key);
    std::lock_guard lock(s.mu);
    auto it = s.map.find(key);
    if (it == s.map.end()) {
      return Unauthenticated("missing bearer token");
    }
    return it->second;
  }

 private:
  struct Shard {
    std::mutex mu;
    std::unordered_map<const void*, Result<Caller>> map;
  };
  Shard& ShardOf(const void* key) {
    return shards_[(reinterpret_cast<uintptr_t>(key) >> 6) % shards_.size()];
  }
  std::array<Shard, 16> shards_;
};

CallerRegistry& Registry() {
  static CallerRegistry* registry = new CallerRegistry();
  return *registry;
}

std::string MetadataValue(const grpc::ServerContextBase* ctx, std::string_view key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) {
    return "";
  }
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

Result<Caller> CallerOf(const grpc::ServerContextBase* ctx) { return Registry().Get(ctx); }

int RoleRank(std::string_view role) {
  if (role == "viewer") return 1;
  if (role == "agent") return 2;
  if (role == "admin") return 3;
  if (role == "owner") return 4;
  if (role == "superadmin") return 100;
  return 0;
}

std::string RequestIdOf(const grpc::ServerContextBase* ctx) {
  return MetadataValue(ctx, "x-request-id");
}

std::string TraceIdOf(const grpc::ServerContextBase* ctx) {
  // traceparent: version-traceid-parentid-flags
  std::string tp = MetadataValue(ctx, "traceparent");
  if (tp.size() >= 35 && tp[2] == '-') {
    return tp.substr(3, 32);
  }
  return "";
}

std::string TraceparentOf(const grpc::ServerContextBase* ctx) {
  std::string tp = MetadataValue(ctx, "traceparent");
  return log::IsTraceparent(tp) ? tp : "";
}

namespace internal {
void RecordCaller(const grpc::ServerContextBase* ctx, Result<Caller> caller) {
  Registry().Put(ctx, std::move(caller));
}
void ForgetCaller(const grpc::ServerContextBase* ctx) { Registry().Erase(ctx); }
}  // namespace internal

}  // namespace salesos::rpc
