#pragma once

// A small synchronous WebSocket client for tests and benchmarks (Boost.Beast): one connection, no
// threads of its own. Nothing happens on the connection between calls, so a client that is not
// asked to read is a client that does not read (the server's frames pile up in the kernel).
// Every call is bounded by its timeout. Not thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace salesos::testing {

class WsClient;

// The outcome of Connect: the client when the server answered 101, else the HTTP answer of the
// refused handshake (status, lower-cased headers, body), or `error` when there was none.
struct WsConnectResult {
  std::unique_ptr<WsClient> client;
  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string error;
  bool ok() const { return client != nullptr; }
};

class WsClient {
 public:
  ~WsClient();
  WsClient(const WsClient&) = delete;
  WsClient& operator=(const WsClient&) = delete;

  // Opens ws://host:port<target>. `subprotocols`, when not empty, is sent as the
  // Sec-WebSocket-Protocol header ("bearer, <token>").
  static WsConnectResult Connect(const std::string& host, const std::string& port,
                                 const std::string& target, const std::string& subprotocols = "",
                                 int timeout_ms = 5000);
  // The same with addr "host:port".
  static WsConnectResult ConnectAddr(const std::string& addr, const std::string& target,
                                     const std::string& subprotocols = "", int timeout_ms = 5000);

  // The next text or binary message; nullopt when none came within timeout_ms, or the connection
  // ended (then closed() is true). A read that timed out stays pending for the next call, so
  // nothing is lost.
  std::optional<std::string> ReadText(int timeout_ms);
  // Messages until one satisfies `done` (returned), the connection ends or timeout_ms pass
  // (nullopt). The messages passed over are appended to `skipped` when given.
  std::optional<std::string> ReadUntil(const std::function<bool(const std::string&)>& done,
                                       int timeout_ms, std::vector<std::string>* skipped = nullptr);
  // Sends a text message; false when it could not within timeout_ms.
  bool Send(const std::string& text, int timeout_ms = 5000);
  // The closing handshake (code 1000), bounded; the socket is closed in any case.
  void Close(int timeout_ms = 2000);

  // Whether the connection ended, the close code the server sent (0 when it sent none, e.g. the
  // socket was dropped) and the error that ended it.
  bool closed() const { return closed_; }
  int close_code() const;
  std::string close_reason() const;
  const std::string& error() const { return error_; }
  // The Sec-WebSocket-Protocol the server selected ("" for none).
  const std::string& subprotocol() const { return subprotocol_; }

 private:
  struct Impl;
  explicit WsClient(std::unique_ptr<Impl> impl);
  // Runs the client's I/O until `done` holds or timeout_ms pass; whether `done` holds.
  bool RunUntil(const std::function<bool()>& done, int timeout_ms);
  // RunUntil for an operation whose handler sets `done`; on timeout the socket is closed and the
  // operation run to its end. Whether it finished in time.
  bool Await(const bool& done, int timeout_ms);

  std::unique_ptr<Impl> impl_;
  bool closed_ = false;
  std::string error_;
  std::string subprotocol_;
};

}  // namespace salesos::testing
