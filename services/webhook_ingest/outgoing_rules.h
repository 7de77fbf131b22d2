#pragma once

// The rules of outgoing webhooks (docs/webhooks.md), without gRPC, SQL or sockets: which event
// types can be subscribed to, what a subscription accepts, the JSON body of a delivery, its
// signature and the retry schedule. Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/core/status.h"
#include "salesos/events/v1/events.pb.h"

namespace salesos::webhook_ingest {

inline constexpr int kMaxWebhooksPerWorkspace = 20;
inline constexpr size_t kMaxWebhookUrlLength = 2000;
inline constexpr int kMaxWebhookEventTypes = 50;
inline constexpr size_t kMinWebhookSecretLength = 16;
inline constexpr size_t kMaxWebhookSecretLength = 200;
inline constexpr size_t kMaxWebhookDescriptionLength = 500;
inline constexpr int kDeliveryTimeoutMs = 10'000;
inline constexpr int64_t kDefaultRetryBaseMs = 30'000;
inline constexpr int64_t kMaxRetryDelayMs = 3'600'000;             // 1 h
inline constexpr int64_t kRetryWindowMs = 24LL * 3'600'000;        // after the first attempt
inline constexpr int64_t kDeliveryLogRetentionMs = 30LL * 86'400'000;
inline constexpr char kAllEvents[] = "*";
// Goes to the one webhook its payload names, whatever that webhook subscribes to.
inline constexpr char kAutomationWebhookType[] = "automation.webhook";
inline constexpr char kUserAgent[] = "SalesOS-Webhooks/1";

// The event types a webhook may subscribe to (besides "*"), in the order docs/webhooks.md lists
// them.
const std::vector<std::string>& SubscribableEventTypes();

// The subscription's types, de-duplicated in their order: 1..50 of SubscribableEventTypes() or
// "*"; FieldError("events", ...) otherwise.
Result<std::vector<std::string>> ValidateEventTypes(const std::vector<std::string>& events);

// Whether a webhook subscribed to `events` gets an event of `type` (automation.webhook aside,
// which goes by webhook id).
bool Subscribes(const std::vector<std::string>& events, std::string_view type);

// The secret a CreateWebhook gave: 16..200 printable ASCII characters (FieldError("secret")), or
// a new random one ("whsec_" and 48 hex digits) when it gave none.
Result<std::string> ResolveSecret(const std::string& given);

// "…" and the secret's last four characters.
std::string SecretHint(std::string_view secret);

// The JSON posted for an event: {"id","type","workspaceId","occurredAt","data"}, data being the
// payload message of the type in protobuf's JSON mapping (lowerCamelCase names, every field
// printed, 64-bit integers as strings); {} for a type without a payload message here or a payload
// that does not parse.
std::string EventBody(const events::v1::EventEnvelope& envelope);

// The X-SalesOS-Signature value: "t=<unix_seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>".
std::string SignatureHeader(std::string_view secret, int64_t unix_seconds, std::string_view body);

// The wait after the n-th failed attempt (n >= 1): base, 2·base, 4·base, ... at most 1 h.
int64_t RetryDelayMs(int failed_attempts, int64_t base_ms);

// When to try again after the n-th failed attempt ended at now_ms, or nullopt when that falls more
// than 24 h after the first attempt (the delivery has failed for good).
std::optional<int64_t> NextAttemptMs(int failed_attempts, int64_t first_attempt_ms, int64_t now_ms,
                                     int64_t base_ms);

}  // namespace salesos::webhook_ingest
