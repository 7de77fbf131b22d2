#include "salesos/rpc/json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <cmath>
#include <string_view>

#include "salesos/core/log.h"

namespace salesos::rpc {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

void AppendString(std::string_view s, std::string& out) {
  out += '"';
  log::AppendJsonEscaped(out, s);
  out += '"';
}

template <typename T>
void AppendInteger(T v, std::string& out, bool quoted) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  if (quoted) {
    out += '"';
  }
  out.append(buf, end);
  if (quoted) {
    out += '"';
  }
}

template <typename T>
void AppendFloating(T v, std::string& out) {
  if (std::isnan(v)) {
    out += "\"NaN\"";
    return;
  }
  if (std::isinf(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

void AppendBase64(const std::string& bytes, std::string& out) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  out += '"';
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == bytes.size()) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += "==";
  } else if (i + 2 == bytes.size()) {
    uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += '=';
  }
  out += '"';
}

void AppendEnum(const FieldDescriptor* field, int number, std::string& out) {
  const EnumValueDescriptor* value = field->enum_type()->FindValueByNumber(number);
  if (field->enum_type()->full_name() == "google.protobuf.NullValue") {
    out += "null";
  } else if (value != nullptr) {
    AppendString(value->name(), out);
  } else {
    AppendInteger(number, out, false);
  }
}

void AppendValue(const Message& message, std::string& out);

// One element of a field: the singular value, or element `index` of a repeated field.
void AppendElement(const Message& m, const Reflection* r, const FieldDescriptor* f, int index,
                   std::string& out) {
  const bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      AppendInteger(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f), out, false);
      break;
    case FieldDescriptor::CPPTYPE_UINT32:
      AppendInteger(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f), out, false);
      break;
    case FieldDescriptor::CPPTYPE_INT64:
      AppendInteger(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f), out, true);
      break;
    case FieldDescriptor::CPPTYPE_UINT64:
      AppendInteger(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f), out, true);
      break;
    case FieldDescriptor::CPPTYPE_DOUBLE:
      AppendFloating(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f), out);
      break;
    case FieldDescriptor::CPPTYPE_FLOAT:
      AppendFloating(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f), out);
      break;
    case FieldDescriptor::CPPTYPE_BOOL:
      out += (rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f)) ? "true" : "false";
      break;
    case FieldDescriptor::CPPTYPE_ENUM:
      AppendEnum(f, rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f), out);
      break;
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& s = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                 : r->GetStringReference(m, f, &scratch);
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        AppendBase64(s, out);
      } else {
        AppendString(s, out);
      }
      break;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      AppendValue(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f), out);
      break;
  }
}

// A map entry's key as a JSON object key.
void AppendMapKey(const Message& entry, std::string& out) {
  const Reflection* r = entry.GetReflection();
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  std::string text;
  switch (key->cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING: text = r->GetString(entry, key); break;
    case FieldDescriptor::CPPTYPE_INT32: text = std::to_string(r->GetInt32(entry, key)); break;
    case FieldDescriptor::CPPTYPE_UINT32: text = std::to_string(r->GetUInt32(entry, key)); break;
    case FieldDescriptor::CPPTYPE_INT64: text = std::to_string(r->GetInt64(entry, key)); break;
    case FieldDescriptor::CPPTYPE_UINT64: text = std::to_string(r->GetUInt64(entry, key)); break;
    case FieldDescriptor::CPPTYPE_BOOL: text = r->GetBool(entry, key) ? "true" : "false"; break;
    default: break;
  }
  AppendString(text, out);
}

void AppendField(const Message& m, const Reflection* r, const FieldDescriptor* f,
                 std::string& out) {
  if (f->is_map()) {
    out += '{';
    const FieldDescriptor* value = f->message_type()->map_value();
    for (int i = 0, n = r->FieldSize(m, f); i < n; ++i) {
      const Message& entry = r->GetRepeatedMessage(m, f, i);
      if (i > 0) {
        out += ',';
      }
      AppendMapKey(entry, out);
      out += ':';
      AppendElement(entry, entry.GetReflection(), value, -1, out);
    }
    out += '}';
  } else if (f->is_repeated()) {
    out += '[';
    for (int i = 0, n = r->FieldSize(m, f); i < n; ++i) {
      if (i > 0) {
        out += ',';
      }
      AppendElement(m, r, f, i, out);
    }
    out += ']';
  } else {
    AppendElement(m, r, f, -1, out);
  }
}

void AppendObject(const Message& m, std::string& out) {
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  out += '{';
  bool first = true;
  for (int i = 0, n = d->field_count(); i < n; ++i) {
    const FieldDescriptor* f = d->field(i);
    if (f->has_presence() && !f->is_repeated() && !r->HasField(m, f)) {
      continue;
    }
    if (!first) {
      out += ',';
    }
    first = false;
    AppendString(f->json_name(), out);
    out += ':';
    AppendField(m, r, f, out);
  }
  out += '}';
}

// google.protobuf.Value: the JSON value it holds.
void AppendStructValue(const Message& m, std::string& out) {
  const Reflection* r = m.GetReflection();
  const Descriptor* d = m.GetDescriptor();
  const FieldDescriptor* kind = r->GetOneofFieldDescriptor(m, d->FindOneofByName("kind"));
  if (kind == nullptr || kind->name() == "null_value") {
    out += "null";
  } else {
    AppendElement(m, r, kind, -1, out);
  }
}

void AppendValue(const Message& m, std::string& out) {
  const std::string& type = m.GetDescriptor()->full_name();
  if (type.rfind("google.protobuf.", 0) != 0) {
    AppendObject(m, out);
    return;
  }
  const Reflection* r = m.GetReflection();
  if (type == "google.protobuf.Value") {
    AppendStructValue(m, out);
  } else if (type == "google.protobuf.Struct") {
    AppendField(m, r, m.GetDescriptor()->FindFieldByName("fields"), out);
  } else if (type == "google.protobuf.ListValue") {
    AppendField(m, r, m.GetDescriptor()->FindFieldByName("values"), out);
  } else {
    // Timestamp, Duration, wrappers, Any, FieldMask...: protobuf's own mapping.
    google::protobuf::util::JsonPrintOptions options;
    options.always_print_primitive_fields = true;
    std::string json;
    if (google::protobuf::util::MessageToJsonString(m, &json, options).ok()) {
      out += json;
    } else {
      out += "null";
    }
  }
}

}  // namespace

void AppendMessageJson(const Message& message, std::string& out) { AppendValue(message, out); }

std::string MessageToJson(const Message& message) {
  std::string out;
  out.reserve(256);
  AppendValue(message, out);
  return out;
}

}  // namespace salesos::rpc
