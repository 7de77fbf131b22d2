#include "salesos/rpc/access.h"

#include <google/protobuf/descriptor.h>

#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace salesos::rpc {
namespace {

const char* RoleName(api::Role role) {
  switch (role) {
    case api::VIEWER: return "viewer";
    case api::AGENT: return "agent";
    case api::ADMIN: return "admin";
    case api::OWNER: return "owner";
    default: return "viewer";
  }
}

}  // namespace

const api::AccessRule& AccessRuleFor(std::string_view grpc_method) {
  static std::shared_mutex mu;
  static auto* cache = new std::unordered_map<std::string, api::AccessRule>();
  std::string key(grpc_method);
  {
    std::shared_lock lock(mu);
    if (auto it = cache->find(key); it != cache->end()) {
      return it->second;
    }
  }
  api::AccessRule rule;
  // "/pkg.Service/Method" → "pkg.Service.Method"
  std::string full = key.size() > 1 && key[0] == '/' ? key.substr(1) : key;
  if (auto slash = full.find('/'); slash != std::string::npos) {
    full[slash] = '.';
  }
  const auto* method = google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full);
  if (method == nullptr) {
    rule.set_anonymous(true);  // grpc.health.v1, reflection: infrastructure, not data
  } else if (method->options().HasExtension(api::access)) {
    rule = method->options().GetExtension(api::access);
  }
  std::unique_lock lock(mu);
  return cache->emplace(std::move(key), std::move(rule)).first->second;
}

Result<Caller> Decide(const api::AccessRule& rule, Result<Caller> caller) {
  if (rule.anonymous()) {
    return caller.ok() ? std::move(caller) : Result<Caller>(Caller{});
  }
  if (!caller.ok()) {
    return caller;
  }
  if (rule.service_only()) {
    if (!caller->is_service()) {
      return PermissionDenied("only SalesOS services may call this");
    }
    return caller;
  }
  if (caller->is_service()) {
    return caller;
  }
  api::Role min = rule.min_role() == api::ROLE_UNSPECIFIED ? api::VIEWER : rule.min_role();
  if (RoleRank(caller->role) < static_cast<int>(min)) {
    return PermissionDenied(std::string("this needs the ") + RoleName(min) +
                            " role or higher; you are " +
                            (caller->role.empty() ? std::string("no member") : caller->role));
  }
  return caller;
}

}  // namespace salesos::rpc
