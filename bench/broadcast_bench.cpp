// salesos-bench-broadcast: the two speeds of broadcasts (issue 9: "100,000 recipients are queued
// in ≤ 5 s"; the send rate holds the configured rate).
//
// In one process, on a fresh SQLite file (WAL, as the service runs it) migrated like campaign's,
// with the campaign service's own BroadcastEngine and BroadcastServiceImpl (campaign_lib) and an
// in-process stand-in for conversation (its ResolveAudienceForService pages of 5,000 and
// SendToContactForService with a simulated Graph latency), so what is measured is campaign's part:
//   - queueing: a broadcast of --contacts contacts is created and its audience resolved into the
//     recipients table (render each message, batched multi-row inserts in transactions); the time
//     from the claim to the last page committed, and recipients a second;
//   - sending: a broadcast of --send-contacts contacts at --rate messages a second, sent by the
//     engine with --latency-ms per send; the observed rate over the steady part (the sends
//     between the first 5% and the last 5%), against the configured one.
// Prints Markdown. Every wait is bounded; a count that does not add up fails the bench (exit 1).

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench_report.h"
#include "broadcast_sender.h"
#include "broadcast_service.h"
#include "campaign_lib_migrations.h"
#include "campaign_store.h"
#include "salesos/core/ids.h"
#include "salesos/store/store.h"

namespace {

using namespace salesos;
using namespace salesos::campaign;
using conversation::v1::ResolveAudienceForServiceRequest;
using conversation::v1::ResolveAudienceForServiceResponse;
using conversation::v1::SendToContactForServiceRequest;
using conversation::v1::SendToContactForServiceResponse;
using SteadyClock = std::chrono::steady_clock;

constexpr char kWorkspace[] = "ws-bench";

struct Options {
  int contacts = 100000;
  int send_contacts = 3000;
  int rate = 200;
  int latency_ms = 20;
};

int IntArg(const std::string& arg, const std::string& name, int fallback) {
  std::string prefix = "--" + name + "=";
  return arg.rfind(prefix, 0) == 0 ? std::atoi(arg.c_str() + prefix.size()) : fallback;
}

class Audience {
 public:
  explicit Audience(int n) {
    for (int i = 0; i < n; ++i) {
      ids_.push_back("c-" + std::to_string(10000000 + i));
    }
  }
  Result<ResolveAudienceForServiceResponse> Resolve(const ResolveAudienceForServiceRequest& req) {
    ResolveAudienceForServiceResponse resp;
    auto it = std::upper_bound(ids_.begin(), ids_.end(), req.page_token());
    if (req.page_token().empty()) {
      it = ids_.begin();
    }
    int added = 0;
    for (; it != ids_.end() && added < req.page_size(); ++it, ++added) {
      auto* m = resp.add_members();
      m->set_contact_id(*it);
      m->set_first_name("Ada");
      m->set_last_name("Lovelace");
      m->set_address("44" + it->substr(2));
      m->set_window_open(true);
    }
    if (it != ids_.end() && added > 0) {
      resp.set_next_page_token(resp.members(added - 1).contact_id());
    }
    return resp;
  }

 private:
  std::vector<std::string> ids_;
};

struct Env {
  std::filesystem::path dir;
  store::StorePtr db;
};

Env OpenDb(const std::string& name) {
  Env env;
  env.dir = std::filesystem::temp_directory_path() / ("salesos-bench-broadcast-" + RandomHex(6));
  std::filesystem::create_directories(env.dir);
  auto db = store::OpenStore("sqlite://" + (env.dir / (name + ".db")).string(), {});
  if (!db.ok() || !(*db)->Migrate(campaign_lib_migrations()).ok()) {
    std::cerr << "cannot open the bench database\n";
    std::exit(1);
  }
  env.db = std::move(*db);
  return env;
}

std::string MakeBroadcast(store::Store& db, BroadcastPeers peers, int rate) {
  CampaignRecord c;
  c.id = NewUuidV7();
  c.workspace_id = kWorkspace;
  c.name = "Bench";
  c.status = "draft";
  c.target_platform = "all";
  c.currency = "USD";
  c.created_at = c.updated_at = "2026-11-21T00:00:00Z";
  if (!CampaignStore(db).Create(c).ok()) {
    std::exit(1);
  }
  rpc::WorkPool pool(1);
  BroadcastServiceImpl service(db, pool, std::move(peers), nullptr, 100000);
  rpc::Caller caller;
  caller.user_id = "bench";
  caller.workspace_id = kWorkspace;
  caller.role = "owner";
  v1::CreateBroadcastRequest req;
  req.set_campaign_id(c.id);
  req.mutable_rules()->set_op("and");
  auto* cond = req.mutable_rules()->add_conditions();
  cond->set_field("phone");
  cond->set_operator_("exists");
  cond->mutable_value()->set_bool_value(true);
  req.set_text("Hi {{contact.firstName}}, {{campaign.name}} is on: {{product.name}}");
  req.set_integration_id("int-bench");
  req.set_rate_per_second(rate);
  v1::Broadcast out;
  Status st = service.DoCreate(caller, req, &out);
  if (!st.ok()) {
    std::cerr << "create: " << st.ToString() << "\n";
    std::exit(1);
  }
  return out.id();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    o.contacts = IntArg(a, "contacts", o.contacts);
    o.send_contacts = IntArg(a, "send-contacts", o.send_contacts);
    o.rate = IntArg(a, "rate", o.rate);
    o.latency_ms = IntArg(a, "latency-ms", o.latency_ms);
  }
  bool failed = false;

  // Queueing.
  double queue_seconds = 0;
  {
    Env env = OpenDb("queue");
    Audience audience(o.contacts);
    BroadcastPeers peers;
    peers.resolve_audience = [&](const ResolveAudienceForServiceRequest& r) {
      return audience.Resolve(r);
    };
    peers.integration = [](const std::string&) -> Result<IntegrationInfo> {
      return IntegrationInfo{kWorkspace, "whatsapp"};
    };
    std::string id = MakeBroadcast(*env.db, peers, 80);
    BroadcastEngineOptions options;
    options.owner = "bench";
    BroadcastEngine engine(*env.db, peers, options, nullptr);
    auto start = SteadyClock::now();
    auto resolved = engine.ResolveOnce();
    queue_seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    auto b = BroadcastStore(*env.db).GetById(id);
    if (!resolved.ok() || !*resolved || !b.ok() || !b->has_value() || (*b)->total != o.contacts ||
        (*b)->queued != o.contacts) {
      std::cerr << "queueing: the recipients do not add up\n";
      failed = true;
    }
    std::filesystem::remove_all(env.dir);
  }

  // Sending.
  double observed_rate = 0;
  double send_seconds = 0;
  {
    Env env = OpenDb("send");
    Audience audience(o.send_contacts);
    std::mutex mu;
    std::vector<SteadyClock::time_point> at;
    BroadcastPeers peers;
    peers.resolve_audience = [&](const ResolveAudienceForServiceRequest& r) {
      return audience.Resolve(r);
    };
    peers.integration = [](const std::string&) -> Result<IntegrationInfo> {
      return IntegrationInfo{kWorkspace, "whatsapp"};
    };
    peers.send =
        [&](const SendToContactForServiceRequest& r) -> Result<SendToContactForServiceResponse> {
      {
        std::lock_guard lock(mu);
        at.push_back(SteadyClock::now());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(o.latency_ms));  // Graph's latency
      SendToContactForServiceResponse resp;
      resp.set_sent(true);
      resp.set_platform_message_id("wamid." + r.idempotency_key());
      return resp;
    };
    std::string id = MakeBroadcast(*env.db, peers, o.rate);
    BroadcastEngineOptions options;
    options.owner = "bench";
    options.max_idle_ms = 100;
    BroadcastEngine engine(*env.db, peers, options, nullptr);
    auto start = SteadyClock::now();
    engine.Start();
    auto deadline = start + std::chrono::seconds(o.send_contacts / std::max(1, o.rate) * 3 + 30);
    std::optional<BroadcastRecord> b;
    while (SteadyClock::now() < deadline) {
      auto got = BroadcastStore(*env.db).GetById(id);
      if (got.ok() && got->has_value() && (*got)->status == kBroadcastCompleted) {
        b = **got;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    send_seconds = std::chrono::duration<double>(SteadyClock::now() - start).count();
    engine.Stop();
    if (!b.has_value() || b->sent != o.send_contacts ||
        at.size() != static_cast<size_t>(o.send_contacts)) {
      std::cerr << "sending: did not complete with every recipient sent once\n";
      failed = true;
    } else {
      std::sort(at.begin(), at.end());
      size_t lo = at.size() / 20, hi = at.size() - 1 - at.size() / 20;
      double span = std::chrono::duration<double>(at[hi] - at[lo]).count();
      observed_rate = span > 0 ? static_cast<double>(hi - lo) / span : 0;
    }
    std::filesystem::remove_all(env.dir);
  }

  std::cout << "## Broadcasts (salesos-bench-broadcast)\n\n"
            << bench::Machine() << "\n\n"
            << "| measure | result |\n|---|---|\n"
            << "| queue " << o.contacts << " recipients (SQLite, render + insert) | "
            << bench::Fixed(queue_seconds, 2) << " s ("
            << bench::Fixed(o.contacts / std::max(queue_seconds, 1e-9), 0) << " a second) |\n"
            << "| send " << o.send_contacts << " at " << o.rate << "/s, " << o.latency_ms
            << " ms a send | observed " << bench::Fixed(observed_rate, 1) << "/s over the steady "
            << "part (" << bench::Fixed(100.0 * (observed_rate - o.rate) / o.rate, 1)
            << "%), whole broadcast " << bench::Fixed(send_seconds, 1) << " s |\n";
  return failed ? 1 : 0;
}
