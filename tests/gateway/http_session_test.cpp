// Sessions over real sockets, through a Gateway whose upstream is a real gRPC server of the
// routing test contract: the body limits chosen from the head (uploads get their own), and
// messages larger than gRPC's 4 MiB default both ways.
#include "http_session.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/impl/codegen/proto_utils.h>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "gateway.h"
#include "listener.h"
#include "router.h"
#include "salesos/api/http_body.pb.h"
#include "salesos/routing/v1/routing.pb.h"
#include "salesos/rpc/message_limits.h"
#include "support/http_client.h"
#include "upstreams.h"

namespace salesos::gateway {
namespace {

namespace net = boost::asio;
namespace rv1 = salesos::routing::v1;
using salesos::testing::HttpClient;

// RoutingService as a generic callback service: ImportItems says what it received, ExportItems
// answers a file of the size asked.
class RoutingUpstream final : public grpc::CallbackGenericService {
 public:
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext* ctx) override {
    return new Call(ctx->method());
  }

 private:
  class Call final : public grpc::ServerGenericBidiReactor {
   public:
    explicit Call(std::string method) : method_(std::move(method)) { StartRead(&request_); }
    void OnReadDone(bool ok) override {
      if (!ok) {
        Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request"));
        return;
      }
      grpc::Status st = Answer();
      if (!st.ok()) {
        Finish(st);
        return;
      }
      StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
    }
    void OnWriteDone(bool) override {}
    void OnDone() override { delete this; }

   private:
    template <typename T>
    bool Parse(T* msg) {
      return grpc::SerializationTraits<google::protobuf::Message>::Deserialize(&request_, msg).ok();
    }
    grpc::Status Reply(const google::protobuf::Message& msg) {
      bool own = false;
      return grpc::SerializationTraits<google::protobuf::Message>::Serialize(msg, &response_, &own);
    }
    grpc::Status Answer() {
      if (method_ == "/salesos.routing.v1.RoutingService/ImportItems") {
        rv1::ImportItemsRequest req;
        if (!Parse(&req)) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad request");
        }
        rv1::ImportItemsResponse resp;
        resp.set_bytes(static_cast<int64_t>(req.file().content().size()));
        resp.set_content_type(req.file().content_type());
        resp.set_dry_run(req.dry_run());
        return Reply(resp);
      }
      if (method_ == "/salesos.routing.v1.RoutingService/ExportItems") {
        rv1::ExportItemsRequest req;
        if (!Parse(&req)) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad request");
        }
        api::HttpBody file;
        file.set_content_type("text/csv");
        file.set_filename("items.csv");
        file.set_content(std::string(static_cast<size_t>(req.bytes()), 'x'));
        return Reply(file);
      }
      if (method_ == "/salesos.routing.v1.RoutingService/AddNote") {
        rv1::AddNoteRequest req;
        if (!Parse(&req)) {
          return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad request");
        }
        return Reply(req.note());
      }
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, method_);
    }

    std::string method_;
    grpc::ByteBuffer request_;
    grpc::ByteBuffer response_;
  };
};

// The upstream, a gateway routing to it, and a listener on 127.0.0.1:0 with `limits`, served by
// one I/O thread until the destructor.
class Edge {
 public:
  explicit Edge(SessionLimits limits) {
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    // A service's server, as rpc::ServiceServer builds it.
    builder.SetMaxReceiveMessageSize(rpc::kMaxMessageBytes);
    builder.SetMaxSendMessageSize(rpc::kMaxMessageBytes);
    builder.RegisterCallbackGenericService(&upstream_);
    server_ = builder.BuildAndStart();
    REQUIRE(server_ != nullptr);
    REQUIRE(port > 0);
    Router router;
    REQUIRE(router.AddUpstream("routing").ok());
    Upstreams upstreams;
    upstreams.Add("routing", "127.0.0.1:" + std::to_string(port));
    GatewayOptions options;
    options.access_log = false;
    gateway_ = std::make_unique<Gateway>(std::move(options), std::move(router),
                                         std::move(upstreams), nullptr, nullptr);
    listener_ = std::make_shared<Listener>(ioc_, *gateway_, limits);
    REQUIRE(listener_->Listen({net::ip::make_address("127.0.0.1"), 0}).ok());
    listener_->Start();
    io_ = std::thread([this] { ioc_.run(); });
  }
  ~Edge() {
    listener_->Stop();
    ioc_.stop();
    io_.join();
    server_->Shutdown();
  }
  std::string addr() const { return "127.0.0.1:" + std::to_string(listener_->port()); }

 private:
  RoutingUpstream upstream_;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<Gateway> gateway_;
  net::io_context ioc_{1};
  std::shared_ptr<Listener> listener_;
  std::thread io_;
};

SessionLimits SmallLimits() {
  SessionLimits limits;
  limits.max_body_bytes = 1024;
  limits.max_upload_body_bytes = 64 * 1024;
  return limits;
}

std::string Head(const std::string& method, const std::string& target,
                 const std::string& content_type, const std::string& framing) {
  return method + " " + target +
         " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: " + content_type + "\r\n" +
         framing + "\r\n";
}

std::string Chunked(const std::string& body) {
  std::string out;
  for (size_t i = 0; i < body.size(); i += 4096) {
    std::string piece = body.substr(i, 4096);
    char size[16];
    std::snprintf(size, sizeof size, "%zx", piece.size());
    out += std::string(size) + "\r\n" + piece + "\r\n";
  }
  return out + "0\r\n\r\n";
}

}  // namespace

TEST_CASE("an upload over --max-body-bytes but under --max-upload-bytes reaches its service",
          "[gateway][session][upload]") {
  Edge edge(SmallLimits());
  HttpClient client(edge.addr());
  std::string csv(40 * 1024, 'a');
  std::string raw =
      client.Raw(Head("POST", "/api/v1/items/import?dryRun=true", "text/csv; charset=utf-8",
                      "Content-Length: " + std::to_string(csv.size()) + "\r\n") +
                 csv);
  CHECK_THAT(raw, Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(raw, Catch::Contains("\"bytes\":\"40960\""));
  CHECK_THAT(raw, Catch::Contains("\"contentType\":\"text/csv; charset=utf-8\""));
  CHECK_THAT(raw, Catch::Contains("\"dryRun\":true"));
}

TEST_CASE("an upload over --max-upload-bytes is refused with 413 before its body is read",
          "[gateway][session][upload]") {
  Edge edge(SmallLimits());
  HttpClient client(edge.addr());
  size_t length = 64 * 1024 + 1;
  std::string raw = client.Raw(Head("POST", "/api/v1/items/import", "text/csv",
                                    "Content-Length: " + std::to_string(length) + "\r\n") +
                               std::string(1024, 'a'));
  CHECK_THAT(raw, Catch::StartsWith("HTTP/1.1 413"));
  CHECK_THAT(raw, Catch::Contains("request body is larger than 65536 bytes"));
  CHECK_THAT(raw, Catch::Contains("\"requestId\""));
}

TEST_CASE("a chunked upload gets the upload limit too, counted as it arrives",
          "[gateway][session][upload]") {
  Edge edge(SmallLimits());
  HttpClient client(edge.addr());
  std::string under(8 * 1024, 'b');
  std::string ok = client.Raw(Head("POST", "/api/v1/items/import", "text/csv; charset=utf-8",
                                   "Transfer-Encoding: chunked\r\n") +
                              Chunked(under));
  CHECK_THAT(ok, Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(ok, Catch::Contains("\"bytes\":\"8192\""));
  std::string over(64 * 1024 + 4096, 'c');
  std::string refused = client.Raw(
      Head("POST", "/api/v1/items/import", "text/csv", "Transfer-Encoding: chunked\r\n") +
      Chunked(over));
  CHECK_THAT(refused, Catch::StartsWith("HTTP/1.1 413"));
}

TEST_CASE("a JSON body over --max-body-bytes is refused with 413 even on an upload's path prefix",
          "[gateway][session][upload]") {
  Edge edge(SmallLimits());
  HttpClient client(edge.addr());
  std::string note = R"({"text":")" + std::string(2048, 'n') + R"("})";
  std::string raw = client.Raw(Head("POST", "/api/v1/items/it-1/notes", "application/json",
                                    "Content-Length: " + std::to_string(note.size()) + "\r\n") +
                               note);
  CHECK_THAT(raw, Catch::StartsWith("HTTP/1.1 413"));
  CHECK_THAT(raw, Catch::Contains("request body is larger than 1024 bytes"));
  // The same route under the limit is served, and so is an upload's path with another method.
  auto small = client.Request("POST", "/api/v1/items/it-1/notes", R"({"text":"hi"})",
                              {{"Content-Type", "application/json"}});
  CHECK(small.status == 200);
  std::string get =
      client.Raw(Head("GET", "/api/v1/items/import", "text/csv", "Content-Length: 2048\r\n") +
                 std::string(2048, 'g'));
  CHECK_THAT(get, Catch::StartsWith("HTTP/1.1 413"));
}

TEST_CASE("messages larger than gRPC's 4 MiB default pass between the gateway and a service",
          "[gateway][session][upload]") {
  SessionLimits limits;
  limits.max_upload_body_bytes = 12 * 1024 * 1024;
  Edge edge(limits);
  HttpClient client(edge.addr());
  // An upload of 10 MiB goes up as one request message...
  std::string csv(10 * 1024 * 1024, 'u');
  auto up = client.Request("POST", "/api/v1/items/import", csv, {{"Content-Type", "text/csv"}});
  INFO(up.body.substr(0, 300));
  REQUIRE(up.status == 200);
  CHECK(up.body.find("\"bytes\":\"10485760\"") != std::string::npos);
  // ...and a download of 10 MiB comes back as one answer.
  auto down = client.Get("/api/v1/items/export?bytes=10485760");
  INFO(down.body.substr(0, 300));
  REQUIRE(down.status == 200);
  CHECK(down.body.size() == 10u * 1024 * 1024);
  CHECK(down.Header("content-type") == "text/csv");
}

TEST_CASE("a request with Connection: close is answered before the connection closes",
          "[gateway][session]") {
  Edge edge(SmallLimits());
  HttpClient client(edge.addr());
  // The answer comes from the upstream, after the session has nothing left to read.
  std::string raw = client.Raw(
      Head("POST", "/api/v1/items/it-1/notes", "application/json", "Content-Length: 13\r\n") +
      R"({"text":"hi"})");
  CHECK_THAT(raw, Catch::StartsWith("HTTP/1.1 200"));
  CHECK_THAT(raw, Catch::Contains(R"("text":"hi")"));
  CHECK_THAT(raw, Catch::Contains("Connection: close"));
}

}  // namespace salesos::gateway
