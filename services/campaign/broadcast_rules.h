#pragma once

// The pure rules of broadcasts (docs/broadcasts.md): what a broadcast and a WhatsApp template may
// hold, the platforms' default rates, the token bucket that paces an integration, what a send's
// outcome means for its recipient (retry when, give up when), and the message rendered for one
// recipient. No gRPC, no SQL, no clock: times are passed in.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/campaign/v1/campaign.pb.h"
#include "salesos/core/status.h"

namespace salesos::campaign {

inline constexpr size_t kMaxBroadcastNameLength = 200;
inline constexpr size_t kMaxBroadcastTextLength = 4000;
inline constexpr int64_t kMaxUnfinishedBroadcasts = 20;
inline constexpr int64_t kMaxScheduleAheadMs = 90LL * 24 * 3600 * 1000;
inline constexpr int32_t kDefaultAttributionHours = 72;
inline constexpr int32_t kMaxAttributionHours = 720;
inline constexpr int32_t kDefaultBroadcastMaxRate = 1000;
// Tries of one recipient before it is given up as failed.
inline constexpr int32_t kMaxSendAttempts = 8;
// At most one message to a contact in this long, across the broadcasts of an integration.
inline constexpr int64_t kPerContactGapMs = 6000;
inline constexpr size_t kMaxWhatsAppTemplateParameters = 20;

// Broadcast statuses.
inline constexpr char kBroadcastScheduled[] = "scheduled";
inline constexpr char kBroadcastRunning[] = "running";
inline constexpr char kBroadcastPaused[] = "paused";
inline constexpr char kBroadcastCompleted[] = "completed";
inline constexpr char kBroadcastCancelled[] = "cancelled";

// The platform's default messages a second: WhatsApp 80, Messenger and Instagram 40.
int32_t DefaultRatePerSecond(std::string_view platform);

// A WhatsApp template as Meta takes it: name [a-z0-9_]{1,512}, a language code (letters and '_',
// 2..15), components "header" | "body" (each at most once), at most 20 text parameters each, whose
// {{variables}} are catalogue variables. kInvalidArgument naming paths under `path`.
Status ValidateWhatsAppTemplate(const v1::WhatsAppTemplate& t, const std::string& path);

// A paced stream of permits: `rate` a second, up to `burst` saved. Pause holds every permit back
// until a time (rate-limit answers). Not thread-safe: its owner serialises.
class TokenBucket {
 public:
  TokenBucket(double rate_per_second, double burst);
  // Takes a permit when one is there at now_ms.
  bool TryTake(int64_t now_ms);
  // When the next permit is there (now_ms or later).
  int64_t NextAt(int64_t now_ms) const;
  // Changes the rate (permits saved so far are kept, up to the new burst).
  void SetRate(double rate_per_second, double burst);
  // Nothing is handed out before until_ms; a pause only ever lengthens.
  void PauseUntil(int64_t until_ms);
  int64_t paused_until() const { return paused_until_ms_; }
  double rate() const { return rate_; }

 private:
  void Refill(int64_t now_ms);
  double rate_;
  double burst_;
  double tokens_;
  int64_t last_ms_ = -1;
  int64_t paused_until_ms_ = 0;
};

// Graph's throughput limits: the whole integration (number or page) slows down.
bool IsIntegrationRateLimit(int64_t error_code);  // 130429, 4, 613
// The pair rate limit (131056): only messages to that one contact wait.
inline constexpr int64_t kPairRateLimitCode = 131056;

// The integration's pause after its `consecutive`-th throughput refusal in a row (1, 2, ...):
// 1 s doubling, at most 60 s, and never less than the platform's retry_after_ms.
int64_t IntegrationBackoffMs(int consecutive, int64_t retry_after_ms);

// What becomes of a recipient after a send that did not succeed.
struct SendRetry {
  bool give_up = false;              // failed for good
  int64_t next_attempt_ms = 0;       // when not given up: when to try again
  int64_t pause_integration_ms = 0;  // > 0: pause the integration's bucket until this time
};
// `attempts`: the tries made so far, this one included. `consecutive_integration_limits`: the
// integration's throughput refusals in a row, this one included (for its backoff).
SendRetry DecideRetry(bool retryable, int64_t error_code, int64_t retry_after_ms, int attempts,
                      int consecutive_integration_limits, int64_t now_ms);

// WhatsApp template parameters in one text column: "<bytes>:<value>" each, concatenated.
std::string EncodeParams(const std::vector<std::string>& params);
std::vector<std::string> DecodeParams(std::string_view encoded);

// The message one recipient gets: the body rendered with its values (text), or the WhatsApp
// template's body parameters rendered. `error` ("render: ...") when it cannot be sent: the body
// does not render, or a parameter renders empty (WhatsApp refuses empty ones).
struct RecipientMessage {
  std::string text;
  std::vector<std::string> params;
  std::string error;
};
// `body` "" with a template: only the template is sent. `values` by variable name;
// `today` YYYY-MM-DD.
RecipientMessage RenderForRecipient(const std::string& body, const v1::WhatsAppTemplate* wa,
                                    const std::map<std::string, std::string>& values,
                                    std::string_view today);

}  // namespace salesos::campaign
