#pragma once

// Pure rules for campaigns: the lifecycle, the limits of a campaign's content, prices as exact
// minor units of ISO 4217 currencies, partial updates, names of copies and list paging. No gRPC,
// no SQL. Errors are kInvalidArgument naming the field in lowerCamelCase
// ("chatFlow.qualificationQuestions"), or kAborted for a lifecycle step the status does not allow
// (the gateway answers 409).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "salesos/campaign/v1/campaign.pb.h"
#include "salesos/core/money.h"
#include "salesos/core/status.h"

namespace salesos::campaign {

inline constexpr size_t kMaxNameLength = 200;
inline constexpr size_t kMaxTextLength = 4000;
inline constexpr size_t kMaxQualificationQuestions = 50;
inline constexpr size_t kMaxObjections = 50;
inline constexpr size_t kMaxImages = 20;
// Not in the issue: bounds so one campaign cannot grow without end; generous for real use.
inline constexpr size_t kMaxListItems = 50;
inline constexpr size_t kMaxReferralIdLength = 200;
inline constexpr int64_t kMaxPriceMinor = kMaxMinorUnits;

inline constexpr char kDraft[] = "draft";
inline constexpr char kActive[] = "active";
inline constexpr char kPaused[] = "paused";
inline constexpr char kCompleted[] = "completed";
// What Transition answers for a delete that is allowed: the campaign stops existing.
inline constexpr char kDeleted[] = "deleted";
inline constexpr char kDefaultPlatform[] = "all";

enum class Action { kActivate, kPause, kComplete, kDelete, kDuplicate };

// "activate", "pause", ...: for messages and event names.
const char* ActionName(Action action);

// The status after `action` on a campaign in `status`: draft→active, active→paused,
// paused→active, active|paused→completed, delete of a draft → kDeleted, duplicate of any → draft
// (the copy's status). Anything else is kAborted naming the current status ("cannot pause a draft
// campaign"); an unknown status is kInternal.
Result<std::string> Transition(const std::string& status, Action action);

bool IsKnownStatus(std::string_view status);
// facebook | instagram | whatsapp | all.
bool IsTargetPlatform(std::string_view platform);
// facebook | instagram | whatsapp: where a conversation can come from.
bool IsChannelPlatform(std::string_view platform);

// Prices: exact minor units of an ISO 4217 currency (libs/core money.h), naming the product's
// fields in errors by default.
using salesos::CurrencyExponent;
using salesos::FormatPrice;
using salesos::MinorToMajor;
using salesos::NormalizeCurrency;
using salesos::PriceToMinor;

// Length in code points; -1 for invalid UTF-8.
long Utf8Length(std::string_view s);

// Ids are UUIDs we made: "" is kInvalidArgument naming `field` ("is required"); anything else
// that is not a UUID cannot name a row, and is kNotFound with `not_found` (as an id of another
// workspace is) without asking the database.
Status RequireId(const std::string& id, const char* field, const char* not_found);

// C0, DEL and C1 control characters (NUL cannot even be stored in a PostgreSQL TEXT column);
// with allow_line_breaks, LF, CR and TAB are fine.
bool HasControlCharacters(std::string_view s, bool allow_line_breaks);

// Every limit of a campaign's writable content, the name (1..200), the target platform and the
// currency and price. Every violation is listed, each naming its field.
Status ValidateCampaign(const v1::Campaign& campaign);

// What activation needs: product name, product price > 0, chat flow greeting, at least one
// qualification question; kInvalidArgument listing every missing field.
Status CheckReadyToActivate(const v1::Campaign& campaign);

// Applies a partial update to `current`. Without `mask`, every field present in `patch` replaces
// the stored one (messages merge field by field, lists replace); status, stats, id and times in
// `patch` are ignored. With `mask`, exactly those paths (lowerCamelCase or proto names,
// "product.price", "chatFlow") are copied from `patch`, absent ones cleared; an unknown path or
// one that is not writable (status, stats, id, times) is kInvalidArgument naming "updateMask".
Result<v1::Campaign> ApplyUpdate(const v1::Campaign& current, const v1::Campaign& patch,
                                 const std::vector<std::string>& mask);

// "<name> (copy)", the name cut (at a character boundary) so the whole stays within 200.
std::string CopyName(std::string_view name);

// The kind of the campaign list's page tokens (rpc/paging.h).
inline constexpr std::string_view kCampaignPageKind = "c1";

}  // namespace salesos::campaign
