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

std::map<std::string, std::string> Upstreams::HealthCheckAll(int timeout_ms) {
  struct Probe {
    UnaryCall call;
    std::promise<grpc::Status> done;
  };
  std::map<std::string, std::unique_ptr<Probe>> probes;
  for (const auto& [name, stub] : stubs_) {
    auto probe = std::make_unique<Probe>();
    rpc::PrepareContext(probe->call.context, timeout_ms);
    // HealthCheckRequest{service: ""} is the empty message: the server's overall health. The
    // buffer must hold one (empty) slice: a ByteBuffer without any is an invalid message to gRPC.
    grpc::Slice empty;
    probe->call.request = grpc::ByteBuffer(&empty, 1);
    Probe* p = probe.get();
    Call(name, "/grpc.health.v1.Health/Check", &p->call,
         [p](grpc::Status st) { p->done.set_value(std::move(st)); });
    probes[name] = std::move(probe);
  }
  std::map<std::string, std::string> out;
  for (auto& [name, probe] : probes) {
    grpc::Status st = probe->done.get_future().get();  // bounded by the call's deadline
    if (!st.ok()) {
      out[name] = "unreachable: " + st.error_message();
      continue;
    }
    // HealthCheckResponse{status: SERVING (1)} is field 1 as a varint: the bytes 08 01.
    std::vector<grpc::Slice> slices;
    (void)probe->call.response.Dump(&slices);
    std::string bytes;
    for (const auto& s : slices) {
      bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    out[name] = bytes == std::string("\x08\x01", 2) ? "SERVING" : "NOT_SERVING";
  }
  return out;
}

}  // namespace salesos::gateway
