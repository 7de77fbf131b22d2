// InboundPipeline over a private redis-server, with auth faked behind the ChannelResolver: what
// lands on salesos:inbound, what is refused and stores nothing, and duplicates.
#include "inbound_pipeline.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>
#include <vector>

#include "fake_channels.h"
#include "meta_signature.h"
#include "salesos/core/ids.h"
#include "salesos/webhook_ingest/v1/inbound.pb.h"
#include "support/redis_server.h"

namespace salesos::webhook_ingest {
namespace {

constexpr char kSecret[] = "5f4dcc3b5aa765d61d8327deb882cf99";

std::string Fixture(const std::string& name) {
  std::ifstream in(std::string(SALESOS_META_FIXTURES) + "/" + name, std::ios::binary);
  REQUIRE(in.good());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Entry {
  std::map<std::string, std::string> fields;
  v1::InboundEvent event;
};

class FixedClock : public Clock {
 public:
  int64_t NowMillis() const override { return 1767230000000; }
};

struct Harness {
  explicit Harness(PipelineOptions options = {}) {
    if (options.app_secret.empty()) {
      options.app_secret = kSecret;
    }
    auth.channels["facebook:104857600123456"] = {"ws-a", "int-fb-a"};
    auth.channels["facebook:104857600999888"] = {"ws-b", "int-fb-b"};
    auth.channels["whatsapp:110000000000001"] = {"ws-a", "int-wa-a"};
    resolver = std::make_unique<ChannelResolver>(redis, auth.Lookup());
    pipeline = std::make_unique<InboundPipeline>(redis, *resolver, options, clock);
  }

  IngestCounts Ingest(const std::string& body) {
    auto out = pipeline->Ingest(body, SignatureHeader(body, kSecret));
    INFO(out.status().ToString());
    REQUIRE(out.ok());
    return *out;
  }

  std::vector<Entry> Stream() {
    auto reply = redis->Command({"XRANGE", kInboundStream, "-", "+"});
    REQUIRE(reply.ok());
    std::vector<Entry> out;
    for (const auto& e : reply->elements) {
      Entry entry;
      const auto& f = e.elements.at(1).elements;
      for (size_t i = 0; i + 1 < f.size(); i += 2) {
        entry.fields[f[i].str] = f[i + 1].str;
      }
      REQUIRE(entry.event.ParseFromString(entry.fields["event"]));
      out.push_back(std::move(entry));
    }
    return out;
  }

  std::vector<std::string> DedupeKeys() {
    auto reply = redis->Command({"KEYS", "salesos:dedupe:*"});
    REQUIRE(reply.ok());
    std::vector<std::string> out;
    for (const auto& k : reply->elements) {
      out.push_back(k.str);
    }
    return out;
  }

  testing::RedisServer server;
  redis::ClientPtr redis = redis::Connect(server.url()).value();
  FakeChannels auth;
  FixedClock clock;
  std::unique_ptr<ChannelResolver> resolver;
  std::unique_ptr<InboundPipeline> pipeline;
};

}  // namespace

TEST_CASE("a signed delivery lands on salesos:inbound: one event per item, routed and stamped",
          "[webhook_ingest]") {
  Harness h;
  IngestCounts counts = h.Ingest(Fixture("messenger_batch.json"));
  CHECK(counts.accepted == 5);
  CHECK(counts.duplicates == 0);
  CHECK(counts.ignored == 1);  // the reaction
  CHECK(h.auth.calls == 2);    // once per channel

  auto entries = h.Stream();
  REQUIRE(entries.size() == 5);
  std::vector<std::string> kinds, workspaces;
  for (const Entry& e : entries) {
    CHECK(e.fields.size() == 4);
    CHECK(e.fields.at("id") == e.event.id());
    CHECK(IsUuid(e.event.id()));
    CHECK(e.fields.at("type") == e.event.kind());
    CHECK(e.fields.at("workspace") == e.event.workspace_id());
    CHECK(e.event.received_at_ms() == 1767230000000);
    kinds.push_back(e.event.kind());
    workspaces.push_back(e.event.workspace_id() + "/" + e.event.integration_id());
  }
  CHECK(kinds == std::vector<std::string>{"message", "echo", "delivery", "read", "message"});
  CHECK(workspaces == std::vector<std::string>{"ws-a/int-fb-a", "ws-a/int-fb-a", "ws-a/int-fb-a",
                                               "ws-b/int-fb-b", "ws-b/int-fb-b"});
  CHECK(entries[0].event.text() == "Bonjour 👋");
}

TEST_CASE("the same delivery again adds nothing, its dedupe keys live 48 hours",
          "[webhook_ingest]") {
  Harness h;
  std::string body = Fixture("whatsapp_statuses.json");
  CHECK(h.Ingest(body).accepted == 3);
  IngestCounts again = h.Ingest(body);
  CHECK(again.accepted == 0);
  CHECK(again.duplicates == 3);
  CHECK(h.Stream().size() == 3);
  auto keys = h.DedupeKeys();
  REQUIRE(keys.size() == 3);
  auto ttl = h.redis->Command({"PTTL", keys[0]});
  REQUIRE(ttl.ok());
  CHECK(ttl->integer > 47LL * 3600 * 1000);
  CHECK(ttl->integer <= 48LL * 3600 * 1000);
  // The marker holds the id of the event it let through.
  auto marked =
      h.redis->Get("salesos:dedupe:whatsapp:wamid.HBgLMzQ2MTIzNDU2NzgVAgARGBI-outbound-7:read");
  REQUIRE(marked.ok());
  REQUIRE(marked->has_value());
  CHECK(**marked == h.Stream()[2].event.id());
}

TEST_CASE("one item twice in a delivery is appended once", "[webhook_ingest]") {
  Harness h;
  std::string item =
      R"({"sender":{"id":"7"},"recipient":{"id":"104857600123456"},"timestamp":1,"message":{"mid":"m_twice","text":"x"}})";
  IngestCounts counts =
      h.Ingest(R"({"object":"page","entry":[{"id":"104857600123456","messaging":[)" + item + "," +
               item + "]}]}");
  CHECK(counts.accepted == 1);
  CHECK(counts.duplicates == 1);
  CHECK(h.Stream().size() == 1);
}

TEST_CASE("a missing or wrong signature is UNAUTHENTICATED and stores nothing",
          "[webhook_ingest]") {
  Harness h;
  std::string body = Fixture("messenger_text.json");
  CHECK(h.pipeline->Ingest(body, "").status().code() == Code::kUnauthenticated);
  CHECK(h.pipeline->Ingest(body, SignatureHeader(body, "not-the-secret")).status().code() ==
        Code::kUnauthenticated);
  CHECK(h.pipeline->Ingest(body + "\n", SignatureHeader(body, kSecret)).status().code() ==
        Code::kUnauthenticated);
  CHECK(h.Stream().empty());
  CHECK(h.DedupeKeys().empty());
  CHECK(h.auth.calls == 0);
  CHECK(h.pipeline->totals().refused_signature == 3);
}

TEST_CASE("without an app secret every delivery is refused", "[webhook_ingest]") {
  Harness h;
  InboundPipeline no_secret(h.redis, *h.resolver, PipelineOptions{});
  std::string body = Fixture("messenger_text.json");
  Status st = no_secret.Ingest(body, SignatureHeader(body, "")).status();
  CHECK(st.code() == Code::kUnauthenticated);
  CHECK(st.message().find("not configured") != std::string::npos);
  CHECK(h.Stream().empty());
}

TEST_CASE("a signed body that is not JSON, or one over 4 MiB, is INVALID_ARGUMENT",
          "[webhook_ingest]") {
  Harness h;
  std::string not_json = "object=page&entry=1";
  CHECK(h.pipeline->Ingest(not_json, SignatureHeader(not_json, kSecret)).status().code() ==
        Code::kInvalidArgument);
  std::string big(kMaxBodyBytes + 1, ' ');
  CHECK(h.pipeline->Ingest(big, SignatureHeader(big, kSecret)).status().code() ==
        Code::kInvalidArgument);
  // Exactly 4 MiB is fine: a batch padded with whitespace.
  std::string body = Fixture("messenger_text.json");
  body.append(kMaxBodyBytes - body.size(), ' ');
  CHECK(h.Ingest(body).accepted == 1);
  CHECK(h.Stream().size() == 1);
}

TEST_CASE("items of a channel no workspace has are acknowledged as ignored and not stored",
          "[webhook_ingest]") {
  Harness h;
  IngestCounts counts = h.Ingest(Fixture("whatsapp_batch.json"));
  CHECK(counts.accepted == 3);
  CHECK(counts.ignored == 2);  // account_update, and the message to 110000000000002
  CHECK(h.pipeline->totals().unknown_channel == 1);
  for (const Entry& e : h.Stream()) {
    CHECK(e.event.channel_external_id() == "110000000000001");
  }
  IngestCounts unknown = h.Ingest(Fixture("unknown_object.json"));
  CHECK(unknown.accepted == 0);
  CHECK(unknown.ignored == 1);
}

TEST_CASE("auth out of reach is UNAVAILABLE with nothing stored, and Meta's retry then goes through",
          "[webhook_ingest]") {
  Harness h;
  std::string body = Fixture("messenger_batch.json");
  h.auth.failure = Unavailable("auth: connection refused");
  Status st = h.pipeline->Ingest(body, SignatureHeader(body, kSecret)).status();
  CHECK(st.code() == Code::kUnavailable);
  CHECK(h.Stream().empty());
  CHECK(h.DedupeKeys().empty());
  h.auth.failure = OkStatus();
  CHECK(h.Ingest(body).accepted == 5);
}

TEST_CASE("a delivery is UNAVAILABLE when Redis is out of reach", "[webhook_ingest]") {
  redis::RedisOptions options;
  options.connect_timeout_ms = 100;
  auto redis = redis::Connect("unix:///nonexistent/redis.sock", options).value();
  FakeChannels auth;
  ChannelResolver resolver(redis, auth.Lookup());
  PipelineOptions po;
  po.app_secret = kSecret;
  InboundPipeline pipeline(redis, resolver, po);
  std::string body = Fixture("messenger_text.json");
  CHECK(pipeline.Ingest(body, SignatureHeader(body, kSecret)).status().code() ==
        Code::kUnavailable);
}

TEST_CASE("a delivery larger than one script chunk is appended whole and in order",
          "[webhook_ingest]") {
  PipelineOptions options;
  options.chunk = 2;
  Harness h(options);
  CHECK(h.Ingest(Fixture("messenger_batch.json")).accepted == 5);
  auto entries = h.Stream();
  REQUIRE(entries.size() == 5);
  CHECK(entries[0].event.platform_message_id() == "m_Batch0001-example");
  CHECK(entries[4].event.platform_message_id() == "m_Batch0003-example");
  CHECK(h.Ingest(Fixture("messenger_batch.json")).duplicates == 5);
}

TEST_CASE("concurrent redeliveries of one batch append each item once", "[webhook_ingest]") {
  Harness h;
  std::string body = Fixture("whatsapp_batch.json");
  std::string header = SignatureHeader(body, kSecret);
  std::atomic<int> accepted{0}, duplicates{0}, failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto out = h.pipeline->Ingest(body, header);
      if (!out.ok()) {
        ++failures;
        return;
      }
      accepted += out->accepted;
      duplicates += out->duplicates;
    });
  }
  for (auto& t : threads) {
    t.join();
  }
  CHECK(failures == 0);
  CHECK(accepted == 3);
  CHECK(duplicates == 15);
  CHECK(h.Stream().size() == 3);
}

}  // namespace salesos::webhook_ingest
