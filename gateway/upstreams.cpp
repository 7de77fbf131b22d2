#include "upstreams.h"

#include <future>

namespace salesos::gateway {

void Upstreams::Add(const std::string& name, const std::string& addr) {
  addrs_[name] = addr;
  channels_[name] = rpc::MakeChannel(addr);
  stubs_[name] = std::make_unique<grpc::GenericStub>(channels_[name]);
}

void Upstreams::Call(const std::string& upstream, const std::string& grpc_method, UnaryCall* call,
                     std::function<void(grpc::Status)> done) {
  stubs_.at(upstream)->UnaryCall(&call->context, grpc_method, grpc::StubOptions(), &call->request,
                                 &call->response, std::move(done));
}

std::string Upstreams::HealthCheck(const std::string& upstream, int timeout_ms) {
  UnaryCall call;
  rpc::PrepareContext(call.context, timeout_ms);
  // HealthCheckRequest{service: ""} is the empty message: the server's overall health. An empty
  // but initialised buffer (a ByteBuffer with no slice at all is an invalid message to gRPC).
  grpc::Slice empty;
  call.request = grpc::ByteBuffer(&empty, 1);
  std::promise<grpc::Status> done;
  Call(upstream, "/grpc.health.v1.Health/Check", &call,
       [&done](grpc::Status st) { done.set_value(std::move(st)); });
  grpc::Status st = done.get_future().get();
  if (!st.ok()) {
    return "unreachable: " + st.error_message();
  }
  // HealthCheckResponse{status = 1}: field 1, varint → bytes 08 01 for SERVING.
  std::vector<grpc::Slice> slices;
  (void)call.response.Dump(&slices);
  std::string bytes;
  for (const auto& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  if (bytes.size() == 2 && bytes[0] == 0x08 && bytes[1] == 0x01) {
    return "SERVING";
  }
  return "NOT_SERVING";
}

}  // namespace salesos::gateway
