#include "transcoder.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/reflection.h>
#include <google/protobuf/stubs/common.h>
#include <google/protobuf/util/json_util.h>

#include <boost/json.hpp>
#include <charconv>
#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <vector>
#include <cstdlib>

#include "salesos/rpc/json.h"
#include "salesos/api/http_body.pb.h"
#include "salesos/crypto/encoding.h"

namespace salesos::gateway {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// "user.display_name" → "user.displayName": protobuf names fields by their proto names in type
// errors, clients know them by their JSON names.
std::string LowerCamelPath(const std::string& path) {
  std::string out;
  bool upper = false;
  for (char c : path) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    upper = false;
  }
  return out;
}

// protobuf's parse errors look like "user.emial: Cannot find field." or
// "(email): invalid value 5 for type TYPE_STRING"; turn them into a message and a field.
Status JsonError(std::string_view raw) {
  std::string msg(raw);
  auto colon = msg.find(": ");
  constexpr std::string_view kUnknown = "Cannot find field.";
  if (colon != std::string::npos && colon > 0) {
    std::string path = msg.substr(0, colon);
    std::string rest = msg.substr(colon + 2);
    if (path.front() == '(' && path.back() == ')') {
      path = path.substr(1, path.size() - 2);
    }
    bool looks_like_path = path.find_first_of(" \n\"") == std::string::npos;
    if (looks_like_path && rest.rfind(kUnknown, 0) == 0) {
      return FieldError(path, "unknown field");
    }
    if (looks_like_path) {
      for (auto [from, to] : {std::pair<std::string_view, std::string_view>{"TYPE_STRING", "string"},
                              {"TYPE_BOOL", "boolean"}, {"TYPE_INT32", "integer"},
                              {"TYPE_INT64", "integer"}, {"TYPE_UINT32", "integer"},
                              {"TYPE_UINT64", "integer"}, {"TYPE_DOUBLE", "number"},
                              {"TYPE_FLOAT", "number"}, {"TYPE_ENUM", "enum"},
                              {"TYPE_MESSAGE", "object"}, {"TYPE_BYTES", "base64 bytes"}}) {
        if (auto p = rest.find(from); p != std::string::npos) {
          rest.replace(p, from.size(), to);
        }
      }
      path = LowerCamelPath(path);
      return FieldError(path, rest);
    }
  }
  // A syntax error: keep the first line, without protobuf's excerpt of the input.
  auto nl = msg.find('\n');
  return InvalidArgument("malformed JSON body: " + msg.substr(0, nl));
}

const FieldDescriptor* FindQueryField(const google::protobuf::Descriptor* d, std::string_view name) {
  std::string n(name);
  if (const auto* f = d->FindFieldByName(n)) {
    return f;
  }
  return d->FindFieldByCamelcaseName(n);
}

template <typename T>
bool ParseNumber(std::string_view text, T* out) {
  if constexpr (std::is_floating_point_v<T>) {
    std::string s(text);
    char* end = nullptr;
    *out = static_cast<T>(std::strtod(s.c_str(), &end));
    return !s.empty() && end == s.c_str() + s.size();
  } else {
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && p == text.data() + text.size();
  }
}

// A media type as a header can carry it: "type/subtype" and parameters, printable ASCII only.
bool IsSafeContentType(std::string_view value) {
  if (value.empty() || value.find('/') == std::string_view::npos) {
    return false;
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return false;
    }
  }
  return true;
}

// RFC 8187 attr-char: what a filename* value may hold unescaped.
bool IsAttrChar(unsigned char c) {
  return std::isalnum(c) || std::string_view("!#$&+-.^_`|~").find(static_cast<char>(c)) !=
                                std::string_view::npos;
}

}  // namespace

Status SetFieldFromText(Message* msg, const FieldDescriptor* f, std::string_view text,
                        std::string_view label) {
  const auto* refl = msg->GetReflection();
  bool rep = f->is_repeated();
  std::string l(label);
  auto bad = [&](std::string_view want) { return FieldError(l, "must be " + std::string(want)); };
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string v(text);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        auto decoded = crypto::Base64Decode(text);
        if (!decoded.ok()) {
          return bad("base64");
        }
        v = *decoded;
      } else if (!google::protobuf::internal::IsStructurallyValidUTF8(
                     text.data(), static_cast<int>(text.size()))) {
        // A string field holds UTF-8 only: the service could not even parse the request.
        return bad("UTF-8 text");
      }
      rep ? refl->AddString(msg, f, v) : refl->SetString(msg, f, v);
      return OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT32: {
      int32_t v;
      if (!ParseNumber(text, &v)) return bad("an integer");
      rep ? refl->AddInt32(msg, f, v) : refl->SetInt32(msg, f, v);
      return OkStatus();
    }
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v;
      if (!ParseNumber(text, &v)) return bad("an integer");
      rep ? refl->AddInt64(msg, f, v) : refl->SetInt64(msg, f, v);
      return OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v;
      if (!ParseNumber(text, &v)) return bad("a non-negative integer");
      rep ? refl->AddUInt32(msg, f, v) : refl->SetUInt32(msg, f, v);
      return OkStatus();
    }
    case FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v;
      if (!ParseNumber(text, &v)) return bad("a non-negative integer");
      rep ? refl->AddUInt64(msg, f, v) : refl->SetUInt64(msg, f, v);
      return OkStatus();
    }
    case FieldDescriptor::CPPTYPE_DOUBLE: {
      double v;
      if (!ParseNumber(text, &v)) return bad("a number");
      rep ? refl->AddDouble(msg, f, v) : refl->SetDouble(msg, f, v);
      return OkStatus();
    }
    case FieldDescriptor::CPPTYPE_FLOAT: {
      float v;
      if (!ParseNumber(text, &v)) return bad("a number");
      rep ? refl->AddFloat(msg, f, v) : refl->SetFloat(msg, f, v);
      return OkStatus();
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool v;
      if (text == "true" || text == "1") {
        v = true;
      } else if (text == "false" || text == "0") {
        v = false;
      } else {
        return bad("true or false");
      }
      rep ? refl->AddBool(msg, f, v) : refl->SetBool(msg, f, v);
      return OkStatus();
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* value = f->enum_type()->FindValueByName(std::string(text));
      int number;
      if (value == nullptr && ParseNumber(text, &number)) {
        value = f->enum_type()->FindValueByNumber(number);
      }
      if (value == nullptr) {
        std::string names;
        for (int i = 0; i < f->enum_type()->value_count(); ++i) {
          names += (i ? ", " : "") + f->enum_type()->value(i)->name();
        }
        return FieldError(l, "must be one of " + names);
      }
      rep ? refl->AddEnum(msg, f, value) : refl->SetEnum(msg, f, value);
      return OkStatus();
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return FieldError(l, "cannot be set from the URL; send it in the JSON body");
  }
  return FieldError(l, "has an unsupported type");
}

Status BuildRequest(const Route& route, const PathParams& params, std::string_view query,
                    std::string_view body, Message* out, std::string_view content_type) {
  if (route.raw_body) {
    if (body.empty()) {
      return FieldError(route.body_field->json_name(), "the request body is empty: send the file");
    }
    Message* file = out->GetReflection()->MutableMessage(out, route.body_field);
    const auto* d = file->GetDescriptor();
    const auto* refl = file->GetReflection();
    // The header may carry any byte (obs-text); the proto field holds UTF-8 only.
    if (!google::protobuf::internal::IsStructurallyValidUTF8(
            content_type.data(), static_cast<int>(content_type.size()))) {
      return FieldError("Content-Type", "must be UTF-8 text");
    }
    refl->SetString(file, d->FindFieldByName("content"), std::string(body));
    refl->SetString(file, d->FindFieldByName("content_type"), std::string(content_type));
  } else if (route.body == "*" || route.body_field != nullptr) {
    std::string_view trimmed = body;
    while (!trimmed.empty() && std::isspace(static_cast<unsigned char>(trimmed.front()))) {
      trimmed.remove_prefix(1);
    }
    if (!trimmed.empty()) {
      Message* target = route.body_field == nullptr
                            ? out
                            : out->GetReflection()->MutableMessage(out, route.body_field);
      google::protobuf::util::JsonParseOptions options;
      options.ignore_unknown_fields = false;
      auto st = google::protobuf::util::JsonStringToMessage(
          google::protobuf::StringPiece(body.data(), body.size()), target, options);
      if (!st.ok()) {
        Status err = JsonError(std::string(st.message()));
        if (route.body_field != nullptr && err.violations().size() == 1) {
          // The body is the named field: name what is wrong in it as a path from the request.
          const FieldViolation& v = err.violations().front();
          return FieldError(route.body_field->json_name() + "." + v.field, v.description);
        }
        return err;
      }
    }
  }
  const auto* desc = out->GetDescriptor();
  SALESOS_ASSIGN_OR_RETURN(QueryParams query_params, DecodeQuery(query));
  for (const auto& [key, value] : query_params) {
    const FieldDescriptor* f = FindQueryField(desc, key);
    if (f == nullptr) {
      return FieldError(key, "unknown query parameter");
    }
    SALESOS_RETURN_IF_ERROR(SetFieldFromText(out, f, value, key));
  }
  for (const auto& [name, value] : params) {
    const FieldDescriptor* f = desc->FindFieldByName(name);
    if (f->is_repeated()) {
      out->GetReflection()->ClearField(out, f);
    }
    SALESOS_RETURN_IF_ERROR(SetFieldFromText(out, f, value, f->json_name()));
  }
  return OkStatus();
}

namespace {

constexpr std::string_view kSegmentRule = "salesos.common.v1.SegmentRule";

// Whether `type` holds a SegmentRule anywhere below it (cached: descriptors live for the process).
bool HoldsSegmentRule(const google::protobuf::Descriptor* type) {
  static std::mutex mu;
  static std::map<const google::protobuf::Descriptor*, bool> known;
  std::lock_guard<std::mutex> lock(mu);
  std::function<bool(const google::protobuf::Descriptor*, std::set<const void*>&)> walk =
      [&](const google::protobuf::Descriptor* d, std::set<const void*>& seen) -> bool {
    if (d->full_name() == kSegmentRule) {
      return true;
    }
    if (auto it = known.find(d); it != known.end()) {
      return it->second;
    }
    if (!seen.insert(d).second) {
      return false;
    }
    bool holds = false;
    for (int i = 0; i < d->field_count() && !holds; ++i) {
      if (const auto* sub = d->field(i)->message_type()) {
        holds = walk(sub, seen);
      }
    }
    known[d] = holds;
    return holds;
  };
  std::set<const void*> seen;
  return walk(type, seen);
}

// A SegmentRule node is a group or a condition; printing every field would give each node the
// other kind's empty half ("op":"","conditions":[] on a condition). Drop it, and `not` when false,
// so answers read as the tree was written (docs/segments.md).
void CompactRules(boost::json::value& v) {
  if (auto* list = v.if_array()) {
    for (auto& item : *list) {
      CompactRules(item);
    }
    return;
  }
  auto* obj = v.if_object();
  if (obj == nullptr) {
    return;
  }
  const bool rule_shaped = obj->contains("op") && obj->contains("conditions") &&
                           obj->contains("field") && obj->contains("operator") &&
                           obj->contains("not");
  if (rule_shaped) {
    const auto* field = obj->at("field").if_string();
    const bool condition = field != nullptr && !field->empty();
    const auto* no = obj->at("not").if_bool();
    const bool drop_not = no != nullptr && !*no;
    // Rebuilt rather than erased from: object::erase moves the last key into the gap.
    boost::json::object kept;
    for (auto& [key, child] : *obj) {
      const bool group_half = key == "op" || key == "conditions";
      const bool condition_half = key == "field" || key == "operator" || key == "value";
      if ((condition ? group_half : condition_half) || (key == "not" && drop_not)) {
        continue;
      }
      kept.emplace(key, std::move(child));
    }
    *obj = std::move(kept);
  }
  for (auto& [key, child] : *obj) {
    CompactRules(child);
  }
}

}  // namespace

std::string ToJson(const Message& message) {
  std::string out = rpc::MessageToJson(message);
  if (HoldsSegmentRule(message.GetDescriptor())) {
    boost::system::error_code ec;
    boost::json::value tree = boost::json::parse(out, ec);
    if (!ec) {
      CompactRules(tree);
      out = boost::json::serialize(tree);
    }
  }
  return out;
}

std::string AttachmentDisposition(std::string_view filename) {
  std::string name;
  for (unsigned char c : filename) {
    if (c < 0x20 || c == 0x7f) {
      continue;  // would split the header, and has no place in a file name
    }
    name += (c == '/' || c == '\\') ? '_' : static_cast<char>(c);
  }
  if (name.empty()) {
    return "attachment";
  }
  std::string fallback;
  bool plain = true;
  for (unsigned char c : name) {
    if (c >= 0x80) {
      plain = false;
      if ((c & 0xc0) != 0x80) {
        fallback += '_';  // a UTF-8 lead byte: one '_' per character
      }
    } else if (c == '"') {
      plain = false;
      fallback += "\\\"";
    } else {
      fallback += static_cast<char>(c);
    }
  }
  std::string out = "attachment; filename=\"" + fallback + "\"";
  if (!plain) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    out += "; filename*=UTF-8''";
    for (unsigned char c : name) {
      if (IsAttrChar(c)) {
        out += static_cast<char>(c);
      } else {
        out += '%';
        out += kHex[c >> 4];
        out += kHex[c & 0xf];
      }
    }
  }
  return out;
}

HttpAnswer ToHttpAnswer(const Message& message) {
  if (message.GetDescriptor() != api::HttpBody::descriptor()) {
    return {"application/json", "", ToJson(message)};
  }
  // The generated factory makes the generated class; a dynamic message is copied into one.
  api::HttpBody copy;
  const auto* file = dynamic_cast<const api::HttpBody*>(&message);
  if (file == nullptr) {
    copy.CopyFrom(message);
    file = &copy;
  }
  return {IsSafeContentType(file->content_type()) ? file->content_type()
                                                  : "application/octet-stream",
          AttachmentDisposition(file->filename()), file->content()};
}

}  // namespace salesos::gateway
