#include "websocket_session.h"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <chrono>

#include "salesos/core/log.h"
#include "salesos/metrics/metrics.h"
#include "salesos/core/time.h"

namespace salesos::gateway {

namespace {

// Frames of realtime events written to WebSockets, and events not delivered because a socket's
// send queue was full (the socket is then closed as too slow).
struct WebSocketMetrics {
  metrics::Counter& sent = metrics::DefaultRegistry()
                               .AddCounter("salesos_websocket_messages_sent_total",
                                           "Messages written to WebSocket clients (/ws).")
                               .Get();
  metrics::Counter& dropped =
      metrics::DefaultRegistry()
          .AddCounter("salesos_websocket_messages_dropped_total",
                      "Realtime events not delivered because a WebSocket's send queue was full "
                      "(the socket is closed as too slow).")
          .Get();
  metrics::Counter& flooded =
      metrics::DefaultRegistry()
          .AddCounter("salesos_websocket_flood_closed_total",
                      "WebSockets closed (1008) for sending messages or ping/pong frames faster "
                      "than --ws-max-messages-per-sec.")
          .Get();
  static WebSocketMetrics& Get() {
    static WebSocketMetrics* m = new WebSocketMetrics();
    return *m;
  }
};

}  // namespace

namespace beast = boost::beast;
namespace net = boost::asio;
namespace websocket = beast::websocket;
using std::chrono::milliseconds;

namespace {

constexpr uint16_t kTokenRejectedCode = 4001;  // private use (RFC 6455 §7.4.2)

// {"type":<type>,<fields>"ts":<now>}: the hub's own messages.
RealtimeFramePtr HubMessage(
    std::string_view type,
    std::initializer_list<std::pair<std::string_view, std::string_view>> fields = {}) {
  std::string text = "{\"type\":\"";
  text += type;
  text += "\",";
  for (const auto& [name, value] : fields) {
    text += "\"";
    text += name;
    text += "\":\"";
    log::AppendJsonEscaped(text, value);
    text += "\",";
  }
  text += "\"ts\":\"" + FormatRfc3339Millis(NowUnixMillis()) + "\"}";
  return std::make_shared<const RealtimeFrame>(RealtimeFrame{std::move(text), ""});
}

bool IsPing(std::string_view message) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(message, ec);
  if (ec || !v.is_object()) {
    return false;
  }
  const boost::json::value* type = v.as_object().if_contains("type");
  return type != nullptr && type->is_string() && type->as_string() == "ping";
}

}  // namespace

WebSocketSession::WebSocketSession(net::ip::tcp::socket&& socket, RealtimeHub& hub,
                                   std::string remote_ip)
    : ws_(std::move(socket)),
      strand_(ws_.get_executor()),
      hub_(hub),
      remote_ip_(std::move(remote_ip)),
      queue_(hub.options().send_queue),
      inbound_(hub.options().max_messages_per_second, hub.options().message_burst,
               MonotonicMillis()),
      close_timer_(strand_),
      reverify_timer_(strand_) {}

WebSocketSession::~WebSocketSession() {
  if (hub_id_) {
    hub_.Leave(admission_.caller.workspace_id, *hub_id_);
  }
}

void WebSocketSession::Run(Request&& req) {
  req_ = std::move(req);
  auto admission = hub_.Admit(req_);
  if (!admission.ok()) {
    Refuse(admission.status());
    return;
  }
  admission_ = std::move(*admission);
  cursor_.emplace(admission_.since, hub_.options().send_queue);
  // Joined before the handshake, so nothing published from now on is missed: the cursor holds it
  // until the client is caught up.
  auto joined = hub_.Join(admission_.caller.workspace_id, weak_from_this());
  if (!joined.ok()) {
    Refuse(joined.status());
    return;
  }
  hub_id_ = *joined;

  const RealtimeOptions& options = hub_.options();
  beast::get_lowest_layer(ws_).expires_never();  // the websocket's own timeouts from now on
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = milliseconds(options.handshake_timeout_ms);
  timeouts.idle_timeout = milliseconds(options.idle_timeout_ms);
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.read_message_max(options.max_message_bytes);
  // Ping and pong frames are answered inside Beast's read and never reach OnRead: they are
  // counted here. Nothing may be started on the stream from the callback, so the close is posted.
  ws_.control_callback([this](websocket::frame_type kind, beast::string_view) {
    if (kind != websocket::frame_type::close && !closing_ && !inbound_.Take(MonotonicMillis())) {
      net::post(strand_, [self = shared_from_this()] { self->Flooded(); });
    }
  });
  ws_.set_option(websocket::stream_base::decorator(
      [bearer = admission_.bearer_subprotocol](websocket::response_type& res) {
        res.set(http::field::server, "salesos-gateway");
        if (bearer) {
          res.set(http::field::sec_websocket_protocol, "bearer");
        }
      }));
  ws_.async_accept(req_,
                   beast::bind_front_handler(&WebSocketSession::OnAccept, shared_from_this()));
}

void WebSocketSession::Refuse(const Status& status) {
  finished_ = true;
  std::string request_id = Gateway::RequestIdFor(req_);
  auto res = std::make_shared<Response>(Gateway::Error(req_.version(), false, status, request_id));
  log::Info("ws refused", {{"status", static_cast<int>(res->result_int())},
                           {"error", status.message()},
                           {"requestId", request_id},
                           {"remote", remote_ip_}});
  auto& stream = beast::get_lowest_layer(ws_);
  stream.expires_after(milliseconds(hub_.options().handshake_timeout_ms));
  http::async_write(stream, *res, [self = shared_from_this(), res](beast::error_code, size_t) {
    auto& s = beast::get_lowest_layer(self->ws_);
    beast::error_code ignored;
    s.socket().shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    s.close();
  });
}

void WebSocketSession::OnAccept(beast::error_code ec) {
  if (ec) {
    Finish("handshake failed: " + ec.message());
    return;
  }
  accepted_ = true;
  opened_ms_ = MonotonicMillis();
  const rpc::Caller& caller = admission_.caller;
  log::Info("ws connected", {{"workspaceId", caller.workspace_id},
                             {"userId", caller.user_id},
                             {"since", admission_.since.value_or("")},
                             {"remote", remote_ip_}});
  DoRead();
  if (closing_) {  // GoAway during the handshake
    SendClose();
    return;
  }
  ScheduleReverify();
  // ready first: the subscription is live from here, whatever the replay brings.
  if (!Send(HubMessage("ready",
                       {{"workspaceId", caller.workspace_id}, {"userId", caller.user_id}}))) {
    return;
  }
  if (!admission_.since) {
    CatchUp(rpc::RealtimeReplay{});
    return;
  }
  hub_.Replay(caller.workspace_id, *admission_.since,
              [weak = weak_from_this(), strand = strand_](Result<rpc::RealtimeReplay> replay) {
                net::post(strand, [weak, replay = std::move(replay)]() mutable {
                  if (auto self = weak.lock()) {
                    self->CatchUp(std::move(replay));
                  }
                });
              });
}

void WebSocketSession::CatchUp(Result<rpc::RealtimeReplay> replay) {
  if (closing_) {
    return;
  }
  if (!replay.ok()) {
    log::Warn("ws replay failed", {{"workspaceId", admission_.caller.workspace_id},
                                   {"error", replay.status().message()}});
  }
  RealtimeCursor::CatchUpPlan plan = cursor_->CatchUp(std::move(replay));
  if (plan.resync &&
      !Send(HubMessage("resync", {{"workspaceId", admission_.caller.workspace_id}}))) {
    return;
  }
  for (auto& frame : plan.frames) {
    if (!Send(std::move(frame))) {
      return;
    }
  }
}

void WebSocketSession::Deliver(RealtimeFramePtr frame) {
  net::post(strand_, [self = shared_from_this(), frame = std::move(frame)]() mutable {
    self->OnEvent(std::move(frame));
  });
}

void WebSocketSession::GoAway() {
  net::post(strand_, [self = shared_from_this()] {
    self->CloseWith(static_cast<uint16_t>(websocket::close_code::going_away), "going away");
  });
}

void WebSocketSession::OnEvent(RealtimeFramePtr frame) {
  if (!closing_ && cursor_->Live(frame)) {
    Send(std::move(frame));
  }
}

bool WebSocketSession::Send(RealtimeFramePtr frame) {
  if (closing_) {
    return false;
  }
  if (!queue_.Push(std::move(frame))) {
    WebSocketMetrics::Get().dropped.Inc();
    log::Warn("ws client too slow", {{"workspaceId", admission_.caller.workspace_id},
                                     {"queuedFrames", static_cast<int64_t>(queue_.frames())},
                                     {"queuedBytes", static_cast<int64_t>(queue_.bytes())},
                                     {"remote", remote_ip_}});
    CloseWith(static_cast<uint16_t>(websocket::close_code::policy_error),
              "too slow: send queue full");
    return false;
  }
  WriteNext();
  return true;
}

void WebSocketSession::WriteNext() {
  if (writing_ || queue_.empty()) {
    return;
  }
  writing_ = queue_.front();
  queue_.Pop();
  ws_.text(true);
  ws_.async_write(net::buffer(writing_->text),
                  beast::bind_front_handler(&WebSocketSession::OnWrite, shared_from_this()));
}

void WebSocketSession::OnWrite(beast::error_code ec, size_t) {
  writing_.reset();
  if (ec) {
    Finish("write failed: " + ec.message());
    return;
  }
  WebSocketMetrics::Get().sent.Inc();
  if (closing_) {
    SendClose();
    return;
  }
  WriteNext();
}

void WebSocketSession::DoRead() {
  ws_.async_read(read_buffer_,
                 beast::bind_front_handler(&WebSocketSession::OnRead, shared_from_this()));
}

void WebSocketSession::OnRead(beast::error_code ec, size_t) {
  if (ec) {
    std::string why;
    if (ec == websocket::error::closed) {
      why = "closed by the client (" + std::to_string(ws_.reason().code) + ")";
    } else if (ec == websocket::error::message_too_big) {
      why = "client message larger than " + std::to_string(hub_.options().max_message_bytes) +
            " bytes";
    } else if (ec == beast::error::timeout) {
      why = "timed out";
    } else {
      why = ec.message();
    }
    Finish(std::move(why));
    return;
  }
  if (!closing_ && !inbound_.Take(MonotonicMillis())) {
    Flooded();
    read_buffer_.consume(read_buffer_.size());
    DoRead();  // for the client's close frame
    return;
  }
  if (ws_.got_text() && !closing_) {
    std::string_view message(static_cast<const char*>(read_buffer_.cdata().data()),
                             read_buffer_.size());
    if (IsPing(message)) {  // anything else is ignored
      Send(HubMessage("pong"));
    }
  }
  read_buffer_.consume(read_buffer_.size());
  DoRead();
}

void WebSocketSession::Flooded() {
  if (closing_) {
    return;
  }
  WebSocketMetrics::Get().flooded.Inc();
  log::Warn("ws client over its message rate",
            {{"workspaceId", admission_.caller.workspace_id},
             {"perSecond", hub_.options().max_messages_per_second},
             {"remote", remote_ip_}});
  CloseWith(static_cast<uint16_t>(websocket::close_code::policy_error), "too many messages");
}

void WebSocketSession::ScheduleReverify() {
  reverify_timer_.expires_after(milliseconds(hub_.options().reverify_interval_ms));
  reverify_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    auto self = weak.lock();
    if (ec || !self || self->closing_) {
      return;
    }
    if (!self->hub_.Reverify(self->admission_.token).ok()) {
      self->CloseWith(kTokenRejectedCode, "token expired or revoked");
      return;
    }
    self->ScheduleReverify();
  });
}

void WebSocketSession::CloseWith(uint16_t code, std::string reason) {
  if (closing_ || finished_) {
    return;
  }
  closing_ = true;
  close_code_ = code;
  reason_ = std::move(reason);
  queue_.Clear();
  reverify_timer_.cancel();
  // A client that reads nothing never lets the frame being written (or the close frame) out:
  // it is dropped after the bound.
  close_timer_.expires_after(milliseconds(hub_.options().close_timeout_ms));
  close_timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (auto self = weak.lock(); self && !ec) {
      self->Finish("close not completed in time");
    }
  });
  if (accepted_ && !writing_) {
    SendClose();
  }
  // Otherwise OnAccept or OnWrite sends it.
}

void WebSocketSession::SendClose() {
  websocket::close_reason reason;
  reason.code = close_code_;
  reason.reason = reason_;
  ws_.async_close(reason, [self = shared_from_this()](beast::error_code ec) {
    if (ec) {
      self->Finish("close failed: " + ec.message());
    }
    // Otherwise the read loop ends with the client's answer.
  });
}

void WebSocketSession::Finish(std::string reason) {
  if (finished_) {
    return;
  }
  finished_ = true;
  closing_ = true;
  close_timer_.cancel();
  reverify_timer_.cancel();
  queue_.Clear();
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).socket().close(ignored);
  if (hub_id_) {
    hub_.Leave(admission_.caller.workspace_id, *hub_id_);
    hub_id_.reset();
  }
  log::Info("ws disconnected",
            {{"workspaceId", admission_.caller.workspace_id},
             {"userId", admission_.caller.user_id},
             {"reason", reason_.empty() ? reason : reason_},
             {"durationMs", opened_ms_ > 0 ? MonotonicMillis() - opened_ms_ : int64_t{0}},
             {"remote", remote_ip_}});
}

}  // namespace salesos::gateway
