#pragma once

// WebSocketSession: one dashboard's connection to GET /ws (docs/realtime.md), as in Beast's chat
// example: the strand of the connection it came from, one write queue, fan-out from the hub.
//
// It answers the upgrade request HttpSession handed over: refused with the HTTP error of DESIGN §4
// (401, 403, 400, 429, 503), or accepted. Once accepted it sends {"type":"ready"}, then, for
// ?since=, a {"type":"resync"} when the log cannot fill the gap and the events after `since`, then
// live events, skipping any it already replayed. It answers {"type":"ping"} with a pong, pings an
// idle client and drops one that stays silent, closes with
//   1008 "too slow: send queue full"   when its send queue passes its bound (SendQueueLimits),
//   1008 "too many messages"           when the client's messages and ping/pong frames pass
//                                      max_messages_per_second (a token bucket, message_burst
//                                      deep),
//   1009                               for a client message over max_message_bytes (Beast),
//   1001 "going away"                  when the gateway stops (GoAway),
//   4001 "token expired or revoked"    when its token no longer passes (checked every
//                                      reverify_interval_ms),
// and leaves the hub when it ends. A close that cannot get out (the client reads nothing) drops the
// connection after close_timeout_ms. Everything but Deliver and GoAway runs on its strand.

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "gateway.h"
#include "realtime_cursor.h"
#include "realtime_hub.h"
#include "send_queue.h"
#include "token_bucket.h"

namespace salesos::gateway {

class WebSocketSession final : public RealtimeSink,
                               public std::enable_shared_from_this<WebSocketSession> {
 public:
  WebSocketSession(boost::asio::ip::tcp::socket&& socket, RealtimeHub& hub, std::string remote_ip);
  ~WebSocketSession() override;

  // Answers the upgrade request `req`; call on the socket's strand.
  void Run(Request&& req);

  void Deliver(RealtimeFramePtr frame) override;
  void GoAway() override;

 private:
  void Refuse(const Status& status);
  void OnAccept(boost::beast::error_code ec);
  void CatchUp(Result<rpc::RealtimeReplay> replay);
  void OnEvent(RealtimeFramePtr frame);
  // Queues a frame for writing; false when that closed the session (queue full) or it is closing.
  bool Send(RealtimeFramePtr frame);
  void WriteNext();
  void OnWrite(boost::beast::error_code ec, size_t bytes);
  void DoRead();
  void OnRead(boost::beast::error_code ec, size_t bytes);
  // The client passed its message rate: closed with 1008.
  void Flooded();
  void ScheduleReverify();
  // Starts the closing handshake (once the frame being written is out) and bounds it.
  void CloseWith(uint16_t code, std::string reason);
  void SendClose();
  // The end: leaves the hub, drops the socket, logs why (reason_ if the server closed it, else
  // `reason`).
  void Finish(std::string reason);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  const boost::asio::any_io_executor strand_;
  RealtimeHub& hub_;
  const std::string remote_ip_;
  Request req_;
  RealtimeAdmission admission_;
  std::optional<uint64_t> hub_id_;  // while joined
  // Live events are held by it from Join until the replay is in (or, without since, the accept).
  std::optional<RealtimeCursor> cursor_;
  bool accepted_ = false;
  bool closing_ = false;
  bool finished_ = false;
  SendQueue queue_;
  TokenBucket inbound_;       // the client's messages and ping/pong frames
  RealtimeFramePtr writing_;  // the frame being written, out of the queue
  boost::beast::flat_buffer read_buffer_;
  boost::asio::steady_timer close_timer_;
  boost::asio::steady_timer reverify_timer_;
  uint16_t close_code_ = 0;
  std::string reason_;  // why the server closes it (the log's reason, before how it ended)
  int64_t opened_ms_ = 0;
};

}  // namespace salesos::gateway
