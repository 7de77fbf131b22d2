#include "salesos/rpc/json.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <limits>
#include <random>
#include <set>

namespace salesos::rpc {
namespace {

namespace json = boost::json;
namespace pb = google::protobuf;

std::string Reference(const pb::Message& m) {
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  REQUIRE(pb::util::MessageToJsonString(m, &out, options).ok());
  return out;
}

// Whether two JSON values are the same, numbers within float precision (protobuf prints a float
// with up to 9 digits, MessageToJson with its shortest form: the same float).
bool Same(const json::value& a, const json::value& b, std::string& where) {
  if (a.is_number() && b.is_number()) {
    double x = a.to_number<double>();
    double y = b.to_number<double>();
    if (x == y || std::fabs(x - y) <= 1e-6 * std::max(std::fabs(x), std::fabs(y))) {
      return true;
    }
    where = json::serialize(a) + " vs " + json::serialize(b);
    return false;
  }
  if (a.kind() != b.kind()) {
    where = json::serialize(a) + " vs " + json::serialize(b);
    return false;
  }
  if (a.is_object()) {
    const auto& x = a.as_object();
    const auto& y = b.as_object();
    if (x.size() != y.size()) {
      where = "keys: " + json::serialize(a) + " vs " + json::serialize(b);
      return false;
    }
    for (const auto& [k, v] : x) {
      auto it = y.find(k);
      if (it == y.end()) {
        where = "missing " + std::string(k) + " in " + json::serialize(b);
        return false;
      }
      if (!Same(v, it->value(), where)) {
        where = std::string(k) + ": " + where;
        return false;
      }
    }
    return true;
  }
  if (a.is_array()) {
    const auto& x = a.as_array();
    const auto& y = b.as_array();
    if (x.size() != y.size()) {
      where = "lengths: " + json::serialize(a) + " vs " + json::serialize(b);
      return false;
    }
    for (size_t i = 0; i < x.size(); ++i) {
      if (!Same(x[i], y[i], where)) {
        return false;
      }
    }
    return true;
  }
  if (a != b) {
    where = json::serialize(a) + " vs " + json::serialize(b);
    return false;
  }
  return true;
}

const char* const kStrings[] = {"", "plain", "quote \" and \\ backslash", "new\nline\ttab",
                                "\x01\x1f control", "é ü 漢字 😀", "</script><b>"};

void Fill(pb::Message* m, std::mt19937& rng, int depth);

void FillValue(pb::Message* m, const pb::FieldDescriptor* f, std::mt19937& rng, int depth) {
  const pb::Reflection* r = m->GetReflection();
  const bool rep = f->is_repeated();
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  switch (f->cpp_type()) {
    case pb::FieldDescriptor::CPPTYPE_INT32: {
      int32_t v[] = {0, 1, -7, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min()};
      rep ? r->AddInt32(m, f, v[pick(5)]) : r->SetInt32(m, f, v[pick(5)]);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT32: {
      uint32_t v[] = {0, 1, 4000000000u};
      rep ? r->AddUInt32(m, f, v[pick(3)]) : r->SetUInt32(m, f, v[pick(3)]);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_INT64: {
      int64_t v[] = {0, -1, 1763719200123, std::numeric_limits<int64_t>::max(),
                     std::numeric_limits<int64_t>::min()};
      rep ? r->AddInt64(m, f, v[pick(5)]) : r->SetInt64(m, f, v[pick(5)]);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_UINT64: {
      uint64_t v[] = {0, 1, std::numeric_limits<uint64_t>::max()};
      rep ? r->AddUInt64(m, f, v[pick(3)]) : r->SetUInt64(m, f, v[pick(3)]);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_DOUBLE: {
      double v[] = {0, 49.99, -0.1, 1e20, 1.5e-7, 123456789.125, 2.0 / 3};
      rep ? r->AddDouble(m, f, v[pick(7)]) : r->SetDouble(m, f, v[pick(7)]);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_FLOAT: {
      float v[] = {0, 0.1f, -2.5f, 3.4e38f, 1.0f / 3};
      rep ? r->AddFloat(m, f, v[pick(5)]) : r->SetFloat(m, f, v[pick(5)]);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_BOOL:
      rep ? r->AddBool(m, f, pick(2) == 1) : r->SetBool(m, f, pick(2) == 1);
      break;
    case pb::FieldDescriptor::CPPTYPE_ENUM: {
      const auto* e = f->enum_type();
      int number = e->value(pick(e->value_count()))->number();
      rep ? r->AddEnumValue(m, f, number) : r->SetEnumValue(m, f, number);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_STRING: {
      std::string s = kStrings[pick(7)];
      if (f->type() == pb::FieldDescriptor::TYPE_BYTES) {
        s += std::string("\0\xff\x10", 3).substr(0, pick(4));
      }
      rep ? r->AddString(m, f, s) : r->SetString(m, f, s);
      break;
    }
    case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
      pb::Message* child = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      Fill(child, rng, depth + 1);
      break;
    }
  }
}

void FillStructValue(pb::Value* v, std::mt19937& rng, int depth) {
  switch (rng() % (depth > 2 ? 4 : 6)) {
    case 0: v->set_null_value(pb::NULL_VALUE); break;
    case 1: v->set_number_value(12.5); break;
    case 2: v->set_string_value("tier \"gold\""); break;
    case 3: v->set_bool_value(true); break;
    case 4: FillStructValue(v->mutable_list_value()->add_values(), rng, depth + 1); break;
    default: FillStructValue(&(*v->mutable_struct_value()->mutable_fields())["k"], rng, depth + 1);
  }
}

void Fill(pb::Message* m, std::mt19937& rng, int depth) {
  if (auto* v = dynamic_cast<pb::Value*>(m)) {
    FillStructValue(v, rng, depth);
    return;
  }
  const pb::Descriptor* d = m->GetDescriptor();
  if (d->full_name().rfind("google.protobuf.", 0) == 0 && d->full_name() != "google.protobuf.Struct" &&
      d->full_name() != "google.protobuf.ListValue") {
    return;
  }
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE && depth >= 3) {
      continue;
    }
    if (rng() % 3 == 0) {
      continue;  // left unset
    }
    if (f->is_map()) {
      for (int n = static_cast<int>(rng() % 3); n > 0; --n) {
        pb::Message* entry = m->GetReflection()->AddMessage(m, f);
        FillValue(entry, entry->GetDescriptor()->map_key(), rng, depth);
        FillValue(entry, entry->GetDescriptor()->map_value(), rng, depth);
      }
    } else if (f->is_repeated()) {
      for (int n = static_cast<int>(rng() % 3); n > 0; --n) {
        FillValue(m, f, rng, depth);
      }
    } else {
      FillValue(m, f, rng, depth);
    }
  }
}

// Every message type of our protos (nested ones included).
std::vector<const pb::Descriptor*> OurMessages() {
  std::vector<const pb::Descriptor*> out;
  std::set<std::string> seen;
  std::function<void(const pb::Descriptor*)> add = [&](const pb::Descriptor* d) {
    if (d->options().map_entry() || !seen.insert(d->full_name()).second) {
      return;
    }
    out.push_back(d);
    for (int i = 0; i < d->nested_type_count(); ++i) {
      add(d->nested_type(i));
    }
  };
  const std::string root = std::string(SALESOS_SOURCE_DIR) + "/proto";
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (e.path().extension() != ".proto") {
      continue;
    }
    const std::string name = std::filesystem::relative(e.path(), root).generic_string();
    const pb::FileDescriptor* file = pb::DescriptorPool::generated_pool()->FindFileByName(name);
    if (file == nullptr) {
      continue;  // not linked into this test
    }
    for (int i = 0; i < file->message_type_count(); ++i) {
      add(file->message_type(i));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("MessageToJson writes what protobuf's printer writes for every message of our protos",
          "[rpc][json]") {
  auto messages = OurMessages();
  REQUIRE(messages.size() > 100);
  std::mt19937 rng(20261121);
  pb::DynamicMessageFactory dynamic;
  int compared = 0;
  for (const pb::Descriptor* d : messages) {
    const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(d);
    if (prototype == nullptr) {
      prototype = dynamic.GetPrototype(d);
    }
    for (int round = 0; round < 8; ++round) {
      std::unique_ptr<pb::Message> m(prototype->New());
      if (round > 0) {
        Fill(m.get(), rng, 0);
      }
      const std::string ours = MessageToJson(*m);
      const std::string theirs = Reference(*m);
      INFO(d->full_name() << "\nours:   " << ours << "\ntheirs: " << theirs);
      boost::system::error_code ec;
      json::value a = json::parse(ours, ec);
      REQUIRE_FALSE(ec);
      json::value b = json::parse(theirs);
      std::string where;
      bool same = Same(a, b, where);
      INFO(where);
      REQUIRE(same);
      ++compared;
    }
  }
  CHECK(compared == static_cast<int>(messages.size()) * 8);
}

TEST_CASE("MessageToJson quotes 64-bit integers, names NaN and infinities, and escapes strings",
          "[rpc][json]") {
  pb::Struct s;
  (*s.mutable_fields())["a"].set_string_value("x\"y\\z\n\x01");
  (*s.mutable_fields())["n"].set_number_value(std::nan(""));
  (*s.mutable_fields())["i"].set_number_value(-INFINITY);
  CHECK(json::parse(MessageToJson(s)) ==
        json::parse(R"({"a":"x\"y\\z\n\u0001","i":"-Infinity","n":"NaN"})"));
  pb::ListValue list;
  list.add_values()->set_bool_value(false);
  list.add_values();
  CHECK(MessageToJson(list) == "[false,null]");
}

}  // namespace salesos::rpc
