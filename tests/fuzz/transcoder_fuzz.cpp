// Fuzz target: the gateway's JSON ⇄ proto transcoder (gateway/transcoder.cpp, router.cpp's path
// and query decoding) and rpc::MessageToJson (libs/rpc/json.cpp), over the routes of every real
// service, as the gateway builds them at start-up.
//
// Input: a request line, then the rest:
//   "<METHOD> <path>[?<query>]\n<body>": the route the router finds for it (with its path variables
//       decoded) → its request message (BuildRequest), then that message as JSON;
//   "> <METHOD> <path>\n<bytes>": the bytes as the binary proto of that route's response message
//       → its JSON and HTTP answer.
// Checks, besides the sanitizers: every JSON written is JSON, and reads back (protobuf's JSON
// parser) into the very message it was written from.

#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/util/field_comparator.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/message_differencer.h>

#include <boost/json.hpp>
#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.h"
#include "router.h"
#include "salesos/rpc/json.h"
#include "salesos/rpc/services.h"
#include "transcoder.h"

namespace {

namespace pb = google::protobuf;
using namespace salesos::gateway;

const Router& Routes() {
  static const Router* router = [] {
    // Binary inputs that are not valid UTF-8 make protobuf log each refusal; the answer is enough.
    pb::SetLogHandler([](pb::LogLevel, const char*, int, const std::string&) {});
    auto* r = new Router;
    for (const auto& s : salesos::rpc::kServices) {
      FUZZ_REQUIRE(r->AddUpstream(std::string(s.name)).ok());
    }
    FUZZ_REQUIRE(!r->routes().empty());
    return r;
  }();
  return *router;
}

std::unique_ptr<pb::Message> New(const pb::Descriptor* type) {
  const pb::Message* prototype = pb::MessageFactory::generated_factory()->GetPrototype(type);
  FUZZ_REQUIRE(prototype != nullptr);
  return std::unique_ptr<pb::Message>(prototype->New());
}

// Whether `m` holds a google.protobuf.Value number that is NaN or infinite: JSON has no such
// number, so MessageToJson writes it as the string "NaN" / "Infinity" (as for double fields), and
// it reads back as a string value. Only a binary message can hold one (JSON input cannot).
bool HoldsNonFiniteValue(const pb::Message& m) {
  const pb::Descriptor* d = m.GetDescriptor();
  const pb::Reflection* r = m.GetReflection();
  if (d->full_name() == "google.protobuf.Value") {
    const pb::FieldDescriptor* number = d->FindFieldByName("number_value");
    if (r->HasField(m, number) && !std::isfinite(r->GetDouble(m, number))) {
      return true;
    }
  }
  std::vector<const pb::FieldDescriptor*> fields;
  r->ListFields(m, &fields);
  for (const auto* f : fields) {
    if (f->cpp_type() != pb::FieldDescriptor::CPPTYPE_MESSAGE) {
      continue;
    }
    if (f->is_repeated()) {
      for (int i = 0, n = r->FieldSize(m, f); i < n; ++i) {
        if (HoldsNonFiniteValue(r->GetRepeatedMessage(m, f, i))) {
          return true;
        }
      }
    } else if (HoldsNonFiniteValue(r->GetMessage(m, f))) {
      return true;
    }
  }
  return false;
}

// `json` (rpc::MessageToJson of `m`) is JSON and reads back into `m`.
void CheckRoundTrip(const pb::Message& m, const std::string& json) {
  boost::system::error_code ec;
  (void)boost::json::parse(json, ec);
  FUZZ_REQUIRE(!ec);
  if (HoldsNonFiniteValue(m)) {
    return;
  }
  auto back = New(m.GetDescriptor());
  auto st = pb::util::JsonStringToMessage(json, back.get());
  if (!st.ok()) {
    std::fprintf(stderr, "JSON that protobuf refuses (%s):\n%s\n", st.ToString().c_str(),
                 json.c_str());
  }
  FUZZ_REQUIRE(st.ok());
  pb::util::DefaultFieldComparator comparator;
  comparator.set_treat_nan_as_equal(true);
  pb::util::MessageDifferencer differ;
  differ.set_field_comparator(&comparator);
  std::string diff;
  differ.ReportDifferencesToString(&diff);
  if (!differ.Compare(m, *back)) {
    std::fprintf(stderr, "JSON that does not read back the same:\n%s\n%s\n", json.c_str(),
                 diff.c_str());
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view in(reinterpret_cast<const char*>(data), size);
  const bool response_side = in.substr(0, 2) == "> ";
  if (response_side) {
    in.remove_prefix(2);
  }
  size_t nl = in.find('\n');
  std::string_view line = in.substr(0, nl);
  std::string_view rest = nl == std::string_view::npos ? std::string_view() : in.substr(nl + 1);
  size_t space = line.find(' ');
  if (space == std::string_view::npos) {
    return 0;
  }
  std::string_view method = line.substr(0, space);
  std::string_view target = line.substr(space + 1);
  size_t q = target.find('?');
  std::string_view path = target.substr(0, q);
  std::string_view query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);

  Match match = Routes().Find(method, path);
  if (match.route == nullptr) {
    return 0;
  }
  if (response_side) {
    auto response = New(match.route->method->output_type());
    if (!response->ParseFromArray(rest.data(), static_cast<int>(rest.size()))) {
      return 0;
    }
    response->DiscardUnknownFields();
    (void)ToHttpAnswer(*response);
    CheckRoundTrip(*response, salesos::rpc::MessageToJson(*response));
    return 0;
  }
  auto request = New(match.route->method->input_type());
  auto st = BuildRequest(*match.route, match.params, query, rest, request.get(),
                         "application/json");
  if (!st.ok()) {
    FUZZ_REQUIRE(st.code() == salesos::Code::kInvalidArgument);
    return 0;
  }
  (void)ToJson(*request);
  CheckRoundTrip(*request, salesos::rpc::MessageToJson(*request));
  return 0;
}
