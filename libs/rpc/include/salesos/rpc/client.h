#pragma once

// Client side of service-to-service calls: channels, and a context for each call with a deadline
// (every call has one) and the caller's identity and ids passed on as metadata.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <string_view>

#include "salesos/rpc/token_verifier.h"

namespace salesos::rpc {

// An insecure channel (the mesh or network policy is the boundary) with keepalive, so a peer
// restarted behind the same address is found again, sending and receiving messages up to
// kMaxMessageBytes (message_limits.h), and round-robin over every address the target resolves to
// (dns:///name:port over a headless Service: every ready replica).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& addr);

struct CallMetadata {
  std::string authorization;  // "Bearer ..." of the caller, passed on unchanged
  std::string request_id;
  std::string traceparent;
};

// Sets a deadline of timeout_ms from now and the metadata that is not empty. An empty request_id
// or traceparent is taken from the thread's log context (log::CurrentRequestId /
// CurrentTraceparent), so every call made while handling a call or a stream entry carries its
// trace on. The traceparent goes on unchanged (the suite records no spans of its own: the trace id
// is what ties the log lines of every process together).
void PrepareContext(grpc::ClientContext& ctx, int timeout_ms, const CallMetadata& md = {});

// A KeySource reading auth's GetJwks rpc.
KeySource AuthJwksSource(std::shared_ptr<grpc::Channel> auth_channel, int timeout_ms = 2000);

}  // namespace salesos::rpc
