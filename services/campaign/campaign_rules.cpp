#include "campaign_rules.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <memory>

#include "salesos/core/ids.h"

namespace salesos::campaign {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Versioned so a later change of what a token holds can refuse old ones cleanly.

const char* Article(std::string_view word) {
  return !word.empty() && std::string_view("aeiou").find(word.front()) != std::string_view::npos
             ? "an"
             : "a";
}

std::string Indexed(std::string_view field, size_t i) {
  return std::string(field) + "[" + std::to_string(i) + "]";
}

// Collects every violation of a request, so a client fixes them all in one round.
class Violations {
 public:
  void Add(std::string field, std::string description) {
    list_.push_back({std::move(field), std::move(description)});
  }
  void Text(std::string_view value, const std::string& field, size_t max = kMaxTextLength) {
    long length = Utf8Length(value);
    if (length < 0) {
      Add(field, "is not valid UTF-8");
    } else if (static_cast<size_t>(length) > max) {
      Add(field, "must be at most " + std::to_string(max) + " characters");
    } else if (value.find('\0') != std::string_view::npos) {
      // PostgreSQL TEXT cannot hold NUL, and no text a person writes has one.
      Add(field, "must not contain NUL characters");
    }
  }
  template <typename List>
  void Texts(const List& values, const std::string& field, size_t max_items,
             size_t max_length = kMaxTextLength) {
    if (static_cast<size_t>(values.size()) > max_items) {
      Add(field, "must have at most " + std::to_string(max_items) + " items");
      return;
    }
    for (int i = 0; i < values.size(); ++i) {
      Text(values[i], Indexed(field, static_cast<size_t>(i)), max_length);
    }
  }
  Status ToStatus() const {
    if (list_.empty()) {
      return OkStatus();
    }
    std::string message = list_.front().field + ": " + list_.front().description;
    if (list_.size() > 1) {
      message += " (and " + std::to_string(list_.size() - 1) + " more)";
    }
    return Status(Code::kInvalidArgument, std::move(message), list_);
  }

 private:
  std::vector<FieldViolation> list_;
};

const FieldDescriptor* FindField(const Descriptor* d, std::string_view name) {
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->json_name() == name || f->name() == name) {
      return f;
    }
  }
  return nullptr;
}

// Top-level fields the server owns: never taken from a client's update.
bool IsWritable(const FieldDescriptor* f) {
  static constexpr std::string_view kReadOnly[] = {
      "id", "status", "stats", "created_at", "updated_at", "activated_at", "completed_at"};
  return std::find(std::begin(kReadOnly), std::end(kReadOnly), f->name()) == std::end(kReadOnly);
}

// Replaces field `f` of `dst` by the one of `src` (same type), whatever its kind.
void ReplaceField(const Message& src, Message* dst, const FieldDescriptor* f) {
  std::unique_ptr<Message> copy(src.New());
  copy->CopyFrom(src);
  dst->GetReflection()->SwapFields(copy.get(), dst, {f});
}

// Fields present in `src` replace those of `dst`; singular messages merge field by field.
void MergePresent(const Message& src, Message* dst, bool top_level) {
  std::vector<const FieldDescriptor*> present;
  src.GetReflection()->ListFields(src, &present);
  for (const FieldDescriptor* f : present) {
    if (top_level && !IsWritable(f)) {
      continue;
    }
    if (f->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE && !f->is_repeated()) {
      MergePresent(src.GetReflection()->GetMessage(src, f),
                   dst->GetReflection()->MutableMessage(dst, f), false);
    } else {
      ReplaceField(src, dst, f);
    }
  }
}

std::vector<std::string> SplitPaths(const std::vector<std::string>& mask) {
  std::vector<std::string> out;
  for (const auto& entry : mask) {
    size_t start = 0;
    while (true) {
      size_t comma = entry.find(',', start);
      std::string path =
          entry.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      path.erase(0, path.find_first_not_of(' '));
      path.erase(path.find_last_not_of(' ') + 1);
      out.push_back(path);
      if (comma == std::string::npos) {
        break;
      }
      start = comma + 1;
    }
  }
  return out;
}

Status ApplyPath(const v1::Campaign& patch, v1::Campaign* out, const std::string& path) {
  const std::string bad = "has an unknown path \"" + path.substr(0, 64) + "\"";
  if (path.empty()) {
    return FieldError("updateMask", "has an empty path");
  }
  const Message* src = &patch;
  Message* dst = out;
  size_t start = 0;
  bool first = true;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part =
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    const FieldDescriptor* f = FindField(src->GetDescriptor(), part);
    if (f == nullptr) {
      return FieldError("updateMask", bad);
    }
    if (first && !IsWritable(f)) {
      return FieldError("updateMask", "\"" + path.substr(0, 64) +
                                          "\" is not writable: status changes through activate, "
                                          "pause and complete; stats, ids and times are the "
                                          "server's");
    }
    first = false;
    if (dot == std::string::npos) {
      ReplaceField(*src, dst, f);
      return OkStatus();
    }
    if (f->cpp_type() != FieldDescriptor::CPPTYPE_MESSAGE || f->is_repeated()) {
      return FieldError("updateMask", bad);
    }
    src = &src->GetReflection()->GetMessage(*src, f);
    dst = dst->GetReflection()->MutableMessage(dst, f);
    start = dot + 1;
  }
}

}  // namespace

const char* ActionName(Action action) {
  switch (action) {
    case Action::kActivate:
      return "activate";
    case Action::kPause:
      return "pause";
    case Action::kComplete:
      return "complete";
    case Action::kDelete:
      return "delete";
    case Action::kDuplicate:
      return "duplicate";
  }
  return "change";
}

bool IsKnownStatus(std::string_view status) {
  return status == kDraft || status == kActive || status == kPaused || status == kCompleted;
}

Result<std::string> Transition(const std::string& status, Action action) {
  if (!IsKnownStatus(status)) {
    return Internal("campaign has an unknown status \"" + status + "\"");
  }
  std::string next;
  switch (action) {
    case Action::kActivate:
      next = status == kDraft || status == kPaused ? kActive : "";
      break;
    case Action::kPause:
      next = status == kActive ? kPaused : "";
      break;
    case Action::kComplete:
      next = status == kActive || status == kPaused ? kCompleted : "";
      break;
    case Action::kDelete:
      if (status != kDraft) {
        std::string message = std::string("cannot delete ") + Article(status) + " " + status +
                              " campaign: only drafts can be deleted";
        if (status != kCompleted) {
          message += "; complete it instead";
        }
        return Status(Code::kAborted, message);
      }
      return std::string(kDeleted);
    case Action::kDuplicate:
      // Any campaign can be copied; the copy starts over as a draft.
      return std::string(kDraft);
  }
  if (next.empty()) {
    return Status(Code::kAborted, std::string("cannot ") + ActionName(action) + " " +
                                      Article(status) + " " + status + " campaign");
  }
  return next;
}

bool IsTargetPlatform(std::string_view platform) {
  return IsChannelPlatform(platform) || platform == "all";
}

bool IsChannelPlatform(std::string_view platform) {
  return platform == "facebook" || platform == "instagram" || platform == "whatsapp";
}

Status RequireId(const std::string& id, const char* field, const char* not_found) {
  if (id.empty()) {
    return FieldError(field, "is required");
  }
  return IsUuid(id) ? OkStatus() : NotFound(not_found);
}

bool HasControlCharacters(std::string_view s, bool allow_line_breaks) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    auto next = i + 1 < s.size() ? static_cast<unsigned char>(s[i + 1]) : 0;
    if (allow_line_breaks && (c == '\n' || c == '\r' || c == '\t')) {
      continue;
    }
    if (c < 0x20 || c == 0x7f || (c == 0xc2 && next >= 0x80 && next <= 0x9f)) {
      return true;
    }
  }
  return false;
}

long Utf8Length(std::string_view s) {
  long count = 0;
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xe  ? 3
                 : (c >> 3) == 0x1e ? 4
                                    : 0;
    if (len == 0 || i + len > s.size()) {
      return -1;
    }
    for (size_t k = 1; k < len; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80) {
        return -1;
      }
    }
    i += len;
    ++count;
  }
  return count;
}

Status ValidateCampaign(const v1::Campaign& c) {
  Violations v;
  long name_length = Utf8Length(c.name());
  if (c.name().find_first_not_of(" \t\r\n") == std::string::npos) {
    v.Add("name", "is required");
  } else {
    v.Text(c.name(), "name", kMaxNameLength);
    if (name_length > 0 && c.name().find_first_of("\r\n") != std::string::npos) {
      v.Add("name", "must be one line");
    }
  }
  if (!c.target_platform().empty() && !IsTargetPlatform(c.target_platform())) {
    v.Add("targetPlatform", "must be facebook, instagram, whatsapp or all");
  }
  const v1::Product& p = c.product();
  v.Text(p.name(), "product.name");
  v.Text(p.description(), "product.description");
  v.Texts(p.images(), "product.images", kMaxImages);
  v.Texts(p.features(), "product.features", kMaxListItems);
  auto currency = NormalizeCurrency(p.currency());
  if (!currency.ok()) {
    v.Add("product.currency", currency.status().violations().front().description);
  } else {
    auto minor = PriceToMinor(p.price(), *currency);
    if (!minor.ok()) {
      v.Add("product.price", minor.status().violations().front().description);
    }
  }
  const v1::ChatFlow& f = c.chat_flow();
  v.Text(f.greeting(), "chatFlow.greeting");
  v.Texts(f.qualification_questions(), "chatFlow.qualificationQuestions",
          kMaxQualificationQuestions);
  if (static_cast<size_t>(f.objection_handling_size()) > kMaxObjections) {
    v.Add("chatFlow.objectionHandling",
          "must have at most " + std::to_string(kMaxObjections) + " items");
  } else {
    for (int i = 0; i < f.objection_handling_size(); ++i) {
      std::string field = Indexed("chatFlow.objectionHandling", static_cast<size_t>(i));
      v.Text(f.objection_handling(i).objection(), field + ".objection");
      v.Text(f.objection_handling(i).response(), field + ".response");
    }
  }
  v.Text(f.closing_message(), "chatFlow.closingMessage");
  const v1::TargetAudience& a = c.target_audience();
  v.Text(a.demographics().age_range(), "targetAudience.demographics.ageRange");
  v.Texts(a.demographics().location(), "targetAudience.demographics.location", kMaxListItems);
  v.Texts(a.demographics().interests(), "targetAudience.demographics.interests", kMaxListItems);
  v.Text(a.persona(), "targetAudience.persona");
  v.Text(c.outreach_message(), "outreachMessage");
  v.Texts(c.referral_ids(), "referralIds", kMaxListItems, kMaxReferralIdLength);
  for (int i = 0; i < c.referral_ids_size(); ++i) {
    if (c.referral_ids(i).empty()) {
      v.Add(Indexed("referralIds", static_cast<size_t>(i)), "must not be empty");
    }
  }
  return v.ToStatus();
}

Status CheckReadyToActivate(const v1::Campaign& c) {
  Violations v;
  auto blank = [](const std::string& s) {
    return s.find_first_not_of(" \t\r\n") == std::string::npos;
  };
  if (blank(c.product().name())) {
    v.Add("product.name", "is required to activate");
  }
  if (!(c.product().price() > 0)) {
    v.Add("product.price", "must be more than 0 to activate");
  }
  if (blank(c.chat_flow().greeting())) {
    v.Add("chatFlow.greeting", "is required to activate");
  }
  const auto& questions = c.chat_flow().qualification_questions();
  if (std::none_of(questions.begin(), questions.end(),
                   [&](const std::string& q) { return !blank(q); })) {
    v.Add("chatFlow.qualificationQuestions", "needs at least one question to activate");
  }
  Status st = v.ToStatus();
  if (st.ok()) {
    return st;
  }
  return Status(Code::kInvalidArgument, "campaign is not ready to activate: " + st.message(),
                st.violations());
}

Result<v1::Campaign> ApplyUpdate(const v1::Campaign& current, const v1::Campaign& patch,
                                 const std::vector<std::string>& mask) {
  v1::Campaign out = current;
  if (mask.empty()) {
    MergePresent(patch, &out, true);
    return out;
  }
  for (const std::string& path : SplitPaths(mask)) {
    SALESOS_RETURN_IF_ERROR(ApplyPath(patch, &out, path));
  }
  return out;
}

std::string CopyName(std::string_view name) {
  static constexpr std::string_view kSuffix = " (copy)";
  const size_t keep = kMaxNameLength - kSuffix.size();
  size_t i = 0;
  size_t chars = 0;
  while (i < name.size() && chars < keep) {
    auto c = static_cast<unsigned char>(name[i]);
    i += c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : 4;
    ++chars;
  }
  return std::string(name.substr(0, std::min(i, name.size()))) + std::string(kSuffix);
}

}  // namespace salesos::campaign
