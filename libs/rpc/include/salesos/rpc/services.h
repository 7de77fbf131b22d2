#pragma once

// The services of the suite and their default addresses: the one list the gateway, every
// service's peer flags (--<name>-addr) and the tests read.

#include <string>
#include <string_view>

namespace salesos::rpc {

struct ServiceInfo {
  std::string_view name;          // "ai_orchestration": folder, schema and log name
  std::string_view default_addr;  // "127.0.0.1:50055"
};

inline constexpr ServiceInfo kServices[] = {
    {"auth", "127.0.0.1:50051"},         {"campaign", "127.0.0.1:50052"},
    {"conversation", "127.0.0.1:50053"}, {"webhook_ingest", "127.0.0.1:50054"},
    {"ai_orchestration", "127.0.0.1:50055"}, {"analytics", "127.0.0.1:50056"},
};

// "ai-orchestration-addr" for "ai_orchestration": the flag (and, as SALESOS_AI_ORCHESTRATION_ADDR,
// the environment variable) naming where that service listens.
inline std::string AddrFlag(std::string_view service) {
  std::string flag = std::string(service) + "-addr";
  for (auto& c : flag) {
    c = c == '_' ? '-' : c;
  }
  return flag;
}

}  // namespace salesos::rpc
