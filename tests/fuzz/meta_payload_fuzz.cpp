// Fuzz target: the Meta webhook payload parser and normaliser (services/webhook_ingest
// meta_parser.cpp). The input is a webhook body as Meta would POST it. Every event parsed is then
// keyed for dedupe, serialised for the stream and written as JSON, as the pipeline does. Checks,
// besides the sanitizers: an input that is not JSON is an INVALID_ARGUMENT, never an event;
// every event has a platform and a kind, and its proto bytes parse back to the same event.

#include <cstdint>
#include <string>
#include <string_view>

#include "fuzz_check.h"
#include "meta_parser.h"
#include "salesos/rpc/json.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace salesos::webhook_ingest;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  auto parsed = ParseMetaWebhook(body);
  if (!parsed.ok()) {
    FUZZ_REQUIRE(parsed.status().code() == salesos::Code::kInvalidArgument);
    return 0;
  }
  FUZZ_REQUIRE(parsed->ignored_total() >= 0);
  for (const auto& event : parsed->events) {
    FUZZ_REQUIRE(!event.platform().empty());
    FUZZ_REQUIRE(!event.kind().empty());
    const std::string key = DedupeKey(event);
    FUZZ_REQUIRE(key.rfind("salesos:dedupe:" + event.platform() + ":", 0) == 0);
    std::string bytes;
    FUZZ_REQUIRE(event.SerializeToString(&bytes));
    v1::InboundEvent back;
    FUZZ_REQUIRE(back.ParseFromString(bytes));
    FUZZ_REQUIRE(back.SerializeAsString() == bytes);
    (void)salesos::rpc::MessageToJson(event);
  }
  return 0;
}
