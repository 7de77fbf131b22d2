// The cross-tenant matrix (issue 13), generated from the route table like role_matrix_test.cpp:
// workspace B (the victim) holds one real object of every kind a route can name — campaign,
// template, segment, broadcast, contact, CRM account, custom contact field, import job,
// conversation with a customer's message (a signed WhatsApp webhook), its automation, outgoing
// webhook and one of its deliveries, member, channel integration, business profile and documents,
// a trained knowledge base. Workspace A (the attacker) has an owner, an admin, an agent and a
// viewer. Then:
//
// 1. Every route with a path variable, as every A role, with B's ids in the path and in every
//    id-like field of the request (`id`, `*_id`, `*_ids`, plus the channel ids Meta gives:
//    page_id, phone_number_id, platform_user_id...): in the query for GET and DELETE, in a JSON
//    body generated from the request message's descriptor otherwise. Each path variable maps to
//    B's object through kCollectionKind / kVariableKind; a variable or id field with no mapping
//    FAILS the test, so a new route cannot slip past. {collection} routes run once per data
//    manager collection with B's object of that collection.
// 2. Every route without a path variable whose request carries id-like fields, the same way.
// 3. Every route without a path variable (lists, searches, exports, analytics, the data
//    manager...), as every A role: B's markers never appear.
// 4. B unchanged: every GET route read by B's owner before (once stable) and after equals, B
//    published no domain event, the Graph API and B's webhook receiver got nothing new.
//
// The rule for 1 and 2. Each call is made twice: with B's ids, and as a control with ids that
// exist nowhere (fresh UUIDs, another field key, another Meta id) in the same places. The answer
// with B's ids must be indistinguishable from the control: the same status, and (for an error)
// the same body once requestId is dropped, JSON keys are sorted and the ids the request itself
// carried are mapped to their control counterparts (an error may echo the id it was asked for:
// that is the caller's own input, not B's data). For a route with a path variable naming B's
// object the status must moreover be 403 or 404; or 400 or 412, which pass only because the
// control got the same status and the same body — the request fails for a reason that does not
// depend on which id it names: the generated body is invalid (it fills only id fields, so most
// writes miss their required fields), or the route refuses every id of that collection (the data
// manager never deletes users: 412). A 2xx on a route without a path variable (a create of A's own
// that ignores or refuses nothing) must show nothing of B, not even the foreign id it was given.
// Any answer of any call in 1, 2 and 3 must contain none of B's markers — the ids of B's objects
// (after the mapping above), names, emails, phone numbers, the customer's message text, Meta ids
// and tokens, the webhook secret — compared case-insensitively.
//
// A real escape found here is reported, not worked around: its check fails with the route, the
// role and both answers in the message.
//
// Routes left out: the anonymous ones (no tenant in the call), the raw CSV import (its body is a
// file), and from part 3 the ones that destroy A's own session or workspace (logout-all, delete
// workspace, clear-all).
#include <google/protobuf/descriptor.h>

#include <atomic>
#include <boost/json.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "route_table.h"
#include "salesos/api/access.pb.h"
#include "salesos/api/http.pb.h"
#include "salesos/core/ids.h"
#include "salesos/core/time.h"
#include "support/api.h"
#include "support/fake_graph_api.h"
#include "support/local_http_server.h"
#include "support/meta.h"
#include "support/process.h"
#include "support/suite.h"

using namespace salesos::testing;
namespace json = boost::json;
using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

namespace {

using Route = HttpRoute;

std::vector<Route> AllRoutes() { return HttpRoutes(); }

// The kind of object a path segment's collection holds ("/campaigns/{id}" → campaign).
const std::map<std::string, std::string> kCollectionKind = {
    {"campaigns", "campaign"},
    {"templates", "template"},
    {"segments", "segment"},
    {"broadcasts", "broadcast"},
    {"contacts", "contact"},
    {"accounts", "account"},
    {"jobs", "job"},
    {"conversations", "conversation"},
    {"automations", "automation"},
    {"webhooks", "webhook"},
    {"deliveries", "delivery"},
    {"members", "member"},
    {"integrations", "integration"},
    {"contact-fields", "contact_field"},
};
// Path variables named after their kind.
const std::map<std::string, std::string> kVariableKind = {{"campaign_id", "campaign"},
                                                          {"webhook_id", "webhook"}};
// The data manager's collections (services/auth/admin_service.h) and the kind of their ids.
// "analytics" holds rollup rows that have no id of B's to name; it runs in part 3 only.
const std::map<std::string, std::string> kDataCollectionKind = {
    {"users", "member"},       {"integrations", "integration"},   {"campaigns", "campaign"},
    {"templates", "template"}, {"conversations", "conversation"}, {"messages", "message"},
    {"contacts", "contact"}};
// Id-like request fields whose name does not say their kind: Meta's ids, members.
const std::map<std::string, std::string> kFieldKind = {
    {"page_id", "meta"},
    {"phone_number_id", "meta"},
    {"waba_id", "meta"},
    {"platform_user_id", "meta"},
    {"salesos.auth.v1.CreateIntegrationRequest.account_id", "meta"},  // the Instagram account
    {"referral_ids", "meta"},
    {"agent_id", "member"},
    {"user_id", "member"},
    {"owner_id", "member"},
    {"assigned_agent_id", "member"},
    {"parent_account_id", "account"},
};
// A nested resource's own `id`, by the message it is the id of.
const std::map<std::string, std::string> kMessageKind = {{"Account", "account"},
                                                         {"Automation", "automation"},
                                                         {"Campaign", "campaign"},
                                                         {"Contact", "contact"},
                                                         {"Segment", "segment"},
                                                         {"Template", "template"},
                                                         {"Webhook", "webhook"},
                                                         {"Broadcast", "broadcast"},
                                                         {"Integration", "integration"},
                                                         {"Member", "member"},
                                                         {"ImportantDate", "important_date"}};
const std::set<std::string> kKinds = {
    "important_date", "campaign",    "template",      "segment",    "broadcast", "contact",
    "account",        "job",         "conversation",  "automation", "webhook",   "delivery",
    "member",         "integration", "contact_field", "workspace",  "message",   "meta"};

bool IdLike(const FieldDescriptor* f) {
  if (f->type() != FieldDescriptor::TYPE_STRING) {
    return false;
  }
  const std::string& n = f->name();
  auto ends = [&](const std::string& s) {
    return n.size() > s.size() && n.compare(n.size() - s.size(), s.size(), s) == 0;
  };
  return n == "id" || ends("_id") || ends("_ids");
}

// The kind of an id-like field; "" when unmapped (the test fails on it). `route_kind` is what the
// route's collection holds (the kind a resource's own `id` field names).
std::string FieldKind(const FieldDescriptor* f, const std::string& route_kind) {
  if (auto it = kFieldKind.find(f->full_name()); it != kFieldKind.end()) {
    return it->second;
  }
  if (auto it = kFieldKind.find(f->name()); it != kFieldKind.end()) {
    return it->second;
  }
  if (f->name() == "id") {
    if (auto it = kMessageKind.find(f->containing_type()->name()); it != kMessageKind.end()) {
      return it->second;
    }
    return route_kind;
  }
  std::string prefix = f->name().substr(0, f->name().rfind('_'));
  return kKinds.count(prefix) ? prefix : "";
}

// The segments of a path template.
std::vector<std::string> Segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 1;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    out.push_back(path.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

// The ids a call uses: B's, or the control's that exist nowhere.
struct Ids {
  std::map<std::string, std::string> of;  // kind → id
  std::string Get(const std::string& kind) const {
    auto it = of.find(kind);
    return it == of.end() ? "" : it->second;
  }
};

// One call of the matrix, built twice (with B's ids and the control's).
struct Call {
  std::string method, target, body;
};

// Builds the call of `route` with `ids`; `collection` fills {collection}. Adds to `unmapped`
// what it could not map.
Call BuildCall(const Route& route, const Ids& ids, const std::string& collection,
               std::vector<std::string>& unmapped) {
  Call c;
  c.method = route.method;
  std::set<std::string> bound;  // fields the path fills
  std::string route_kind;
  std::string target;
  auto segments = Segments(route.path);
  std::string last_collection;
  for (const auto& seg : segments) {
    std::string piece = seg;
    if (seg.size() > 2 && seg.front() == '{') {
      std::string var = seg.substr(1, seg.size() - 2);
      bound.insert(var);
      std::string kind;
      if (var == "collection") {
        piece = collection;
        last_collection = "";
      } else {
        if (auto it = kVariableKind.find(var); it != kVariableKind.end()) {
          kind = it->second;
        } else if (auto k = kCollectionKind.find(last_collection); k != kCollectionKind.end()) {
          kind = k->second;
        }
        if (route.path.find("{collection}/{id}") != std::string::npos && var == "id") {
          kind = kDataCollectionKind.count(collection) ? kDataCollectionKind.at(collection) : "";
        }
        if (kind.empty() || ids.Get(kind).empty()) {
          unmapped.push_back(route.method + " " + route.path + ": path variable {" + var + "}");
          piece = salesos::NewUuidV7();
        } else {
          piece = ids.Get(kind);
        }
        route_kind = kind;
      }
    } else {
      last_collection = seg;
      if (auto k = kCollectionKind.find(seg); k != kCollectionKind.end()) {
        route_kind = k->second;
      }
    }
    target += "/" + piece;
  }

  // Id-like fields of the request message, outside the path.
  std::function<json::object(const Descriptor*, int, bool)> fill =
      [&](const Descriptor* d, int depth, bool top) -> json::object {
    json::object o;
    for (int i = 0; i < d->field_count(); ++i) {
      const FieldDescriptor* f = d->field(i);
      if (top && bound.count(f->name())) {
        continue;
      }
      if (IdLike(f)) {
        std::string kind = FieldKind(f, top ? route_kind : "");
        if (kind.empty() || ids.Get(kind).empty()) {
          unmapped.push_back(route.method + " " + route.path + ": field " + f->full_name());
          continue;
        }
        if (f->is_repeated()) {
          o[f->json_name()] = json::array{json::string(ids.Get(kind))};
        } else {
          o[f->json_name()] = ids.Get(kind);
        }
      } else if (f->type() == FieldDescriptor::TYPE_MESSAGE && !f->is_map() && depth < 3 &&
                 f->message_type()->file()->package().rfind("google.", 0) != 0) {
        json::object sub = fill(f->message_type(), depth + 1, false);
        if (!sub.empty()) {
          if (f->is_repeated()) {
            o[f->json_name()] = json::array{sub};
          } else {
            o[f->json_name()] = sub;
          }
        }
      }
    }
    return o;
  };

  if (route.body.empty()) {
    std::string query;
    for (int i = 0; i < route.input->field_count(); ++i) {
      const FieldDescriptor* f = route.input->field(i);
      if (bound.count(f->name()) || !IdLike(f)) {
        continue;
      }
      std::string kind = FieldKind(f, route_kind);
      if (kind.empty() || ids.Get(kind).empty()) {
        unmapped.push_back(route.method + " " + route.path + ": query field " + f->full_name());
        continue;
      }
      query += (query.empty() ? "?" : "&") + f->json_name() + "=" + ids.Get(kind);
    }
    c.target = target + query;
  } else {
    const Descriptor* d = route.input;
    if (route.body != "*") {
      d = route.input->FindFieldByName(route.body)->message_type();
    }
    c.target = target;
    c.body = json::serialize(fill(d, 0, route.body == "*"));
  }
  return c;
}

bool HasPathVariable(const Route& r) { return r.path.find('{') != std::string::npos; }

// Whether the request message carries an id-like field (at any depth up to 3) outside the path.
bool CarriesIds(const Route& r) {
  std::vector<std::string> unmapped;
  Ids probe;
  for (const auto& k : kKinds) {
    probe.of[k] = "x";
  }
  Call c = BuildCall(r, probe, "contacts", unmapped);
  return c.target.find('?') != std::string::npos || (!c.body.empty() && c.body != "{}");
}

std::string Lower(std::string s) {
  for (auto& ch : s) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return s;
}

void ReplaceAll(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) {
    return;
  }
  for (size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
}

// The body without the values that differ on every call: its requestId, and an export's
// exportedAt.
std::string WithoutVolatile(std::string body) {
  for (const std::string key : {"\"requestId\":\"", "\"exportedAt\":\""}) {
    for (size_t p = body.find(key); p != std::string::npos; p = body.find(key, p)) {
      size_t end = body.find('"', p + key.size());
      if (end == std::string::npos) {
        break;
      }
      body.erase(p, end + 1 - p);
    }
  }
  return body;
}

// The body with its JSON objects' keys sorted (the data manager's documents are maps, printed in
// no fixed order) and without the values that differ on every call (requestId, an export's
// exportedAt); when it is not JSON, the body without those.
std::string Canonical(const std::string& body) {
  std::function<std::string(const json::value&)> print = [&](const json::value& v) -> std::string {
    if (const auto* o = v.if_object()) {
      std::map<std::string, std::string> sorted;
      for (const auto& [k, item] : *o) {
        if (k != "requestId" && k != "exportedAt") {
          sorted[std::string(k)] = print(item);
        }
      }
      std::string out = "{";
      for (const auto& [k, item] : sorted) {
        out += (out.size() > 1 ? "," : "") + json::serialize(json::string(k)) + ":" + item;
      }
      return out + "}";
    }
    if (const auto* a = v.if_array()) {
      std::string out = "[";
      for (const auto& item : *a) {
        out += (out.size() > 1 ? "," : "") + print(item);
      }
      return out + "]";
    }
    return json::serialize(v);
  };
  json::error_code ec;
  json::value v = json::parse(body, ec);
  return ec ? WithoutVolatile(body) : print(v);
}

// The markers of B found in `body` (case-insensitive).
std::vector<std::string> Leaks(const std::string& body, const std::vector<std::string>& markers) {
  std::string lower = Lower(body);
  std::vector<std::string> out;
  for (const auto& m : markers) {
    if (!m.empty() && lower.find(Lower(m)) != std::string::npos) {
      out.push_back(m);
    }
  }
  return out;
}

HttpResult PostCsv(HttpClient& client, const std::string& path, const std::string& token,
                   const std::string& csv) {
  return client.Request("POST", path, csv,
                        {{"Authorization", "Bearer " + token}, {"Content-Type", "text/csv"}});
}

std::string Digits(int n) {
  std::string out;
  for (char c : salesos::RandomHex(static_cast<size_t>(n))) {
    out += static_cast<char>('0' + std::stoi(std::string(1, c), nullptr, 16) % 10);
  }
  return out.substr(0, static_cast<size_t>(n));
}

std::string Id(const HttpResult& r, const char* what) {
  INFO(what << ": " << r.status << " " << r.body);
  REQUIRE(r.status == 200);
  return Str(Json(r).at("id"));
}

// Workspace B and everything in it.
struct Victim {
  Account owner, agent;
  Ids ids;
  std::vector<std::string> markers;  // besides the ids
};

Victim MakeVictim(HttpClient& http, FakeGraphApi& graph, const std::string& receiver_url) {
  Victim b;
  // Not a hex string: it cannot turn up by chance inside an id.
  const std::string tag = "zqx" + salesos::RandomHex(4);
  b.owner = Register(http, "Quokka Lamps " + tag);
  b.agent = AddMember(http, b.owner, "agent");
  b.ids.of["workspace"] = b.owner.workspace_id;
  b.ids.of["member"] = b.agent.user_id;
  b.markers = {
      tag,           b.owner.email,         b.agent.email,  b.owner.token, b.owner.refresh_token,
      b.agent.token, b.agent.refresh_token, b.owner.user_id};

  // The business profile and a document (what the AI trains on).
  HttpResult onboarding = Send(
      http, "PUT", "/api/v1/onboarding", b.owner.token,
      json::value{{"businessInfo",
                   {{"businessName", "Quokka Lamps " + tag},
                    {"description", "Hand-made quokka lamps " + tag},
                    {"documents", json::array{json::object{
                                      {"name", "Price list " + tag},
                                      {"content", "The quokka lamp costs 49 euros " + tag}}}}}}});
  INFO(onboarding.body);
  REQUIRE(onboarding.status == 200);

  // The WhatsApp channel.
  const std::string phone_number_id = NewMetaId();
  const std::string channel_token = "EAA" + salesos::RandomHex(16) + "qkka";
  graph.AcceptToken(phone_number_id, channel_token);
  b.ids.of["integration"] =
      ConnectChannel(http, b.owner, "whatsapp", phone_number_id, channel_token);
  b.ids.of["meta"] = phone_number_id;
  b.markers.push_back(phone_number_id);
  b.markers.push_back(channel_token);

  // An outgoing webhook on campaign.created, then the campaign that fires it.
  HttpResult hook = Send(http, "POST", "/api/v1/webhooks", b.owner.token,
                         json::value{{"url", receiver_url},
                                     {"events", json::array{"campaign.created"}},
                                     {"description", "Quokka CRM " + tag}});
  b.ids.of["webhook"] = Id(hook, "webhook");
  b.markers.push_back(Str(Json(hook).at("secret")));
  b.ids.of["campaign"] = Id(Send(http, "POST", "/api/v1/campaigns", b.owner.token,
                                 json::value{{"name", "Quokka campaign " + tag}}),
                            "campaign");
  json::array deliveries;
  bool delivered = WaitFor(
      [&] {
        HttpResult r = Send(http, "GET", "/api/v1/webhooks/" + b.ids.Get("webhook") + "/deliveries",
                            b.owner.token);
        if (r.status != 200) {
          return false;
        }
        deliveries = Json(r).at("deliveries").as_array();
        return !deliveries.empty() && Str(deliveries[0].at("status")) == "succeeded";
      },
      std::chrono::seconds(30));
  INFO(json::serialize(deliveries));
  REQUIRE(delivered);
  b.ids.of["delivery"] = Str(deliveries[0].at("id"));

  b.ids.of["template"] = Id(
      Send(http, "POST", "/api/v1/templates", b.owner.token,
           json::value{
               {"name", "Quokka offer " + tag},
               {"category", "outreach"},
               {"body", "Hello {{contact.firstName}}, quokka " + tag},
               {"whatsapp",
                {{"name", "quokka_offer"},
                 {"language", "en_US"},
                 {"components",
                  json::array{json::object{
                      {"type", "body"}, {"parameters", json::array{"{{contact.firstName}}"}}}}}}}}),
      "template");
  json::value everyone = {
      {"op", "and"},
      {"conditions",
       json::array{json::object{{"field", "phone"}, {"operator", "exists"}, {"value", true}}}}};
  b.ids.of["segment"] = Id(Send(http, "POST", "/api/v1/segments", b.owner.token,
                                json::value{{"name", "Quokka buyers " + tag}, {"rules", everyone}}),
                           "segment");
  const std::string field_key = tag + "_tier";
  REQUIRE(Send(http, "POST", "/api/v1/contact-fields", b.owner.token,
               json::value{{"key", field_key}, {"label", "Quokka tier"}, {"type", "string"}})
              .status == 200);
  b.ids.of["contact_field"] = field_key;
  b.ids.of["account"] = Id(Send(http, "POST", "/api/v1/accounts", b.owner.token,
                                json::value{{"name", "Quokka Holdings " + tag}}),
                           "account");
  const std::string phone = "+44770" + Digits(7);
  const std::string email = "quinn-" + tag + "@example.com";
  b.ids.of["contact"] = Id(
      Send(http, "POST", "/api/v1/contacts", b.owner.token,
           json::value{
               {"firstName", "Quinn" + tag},
               {"lastName", "Quokka"},
               {"email", email},
               {"phone", phone},
               {"accountId", b.ids.Get("account")},
               {"importantDates", json::array{json::object{{"type", "birthday"},
                                                           {"label", "Quokka day " + tag},
                                                           {"date", "03-14"},
                                                           {"templateId", b.ids.Get("template")}}}},
               {"customFields", {{field_key, "gold"}}}}),
      "contact");
  b.markers.push_back(phone);
  b.markers.push_back(email);
  {
    HttpResult contact =
        Send(http, "GET", "/api/v1/contacts/" + b.ids.Get("contact"), b.owner.token);
    REQUIRE(contact.status == 200);
    b.ids.of["important_date"] = Str(Json(contact).at("importantDates").at(0).at("id"));
  }

  // An import job.
  const std::string imported_phone = "+44771" + Digits(7);
  HttpResult queued = PostCsv(http, "/api/v1/contacts/import", b.owner.token,
                              "First Name,Phone\r\nIvy" + tag + "," + imported_phone + "\r\n");
  b.ids.of["job"] = Id(queued, "import");
  b.markers.push_back(imported_phone);
  bool imported = WaitFor(
      [&] {
        HttpResult r = Send(http, "GET", "/api/v1/jobs/" + b.ids.Get("job"), b.owner.token);
        return r.status == 200 && Str(Json(r).at("status")) == "succeeded";
      },
      std::chrono::seconds(30));
  REQUIRE(imported);

  // An automation, and the customer's message that opens the conversation and runs it.
  b.ids.of["automation"] =
      Id(Send(http, "POST", "/api/v1/automations", b.owner.token,
              json::value{
                  {"name", "Quokka rule " + tag},
                  {"event", "message.received"},
                  {"isActive", true},
                  {"actions", json::array{json::object{{"type", "add_tag"}, {"tag", "wrote"}}}}}),
         "automation");
  const std::string wa_id = NewMetaId();
  const std::string text = "My secret quokka order " + tag;
  REQUIRE(PostMetaWebhook(http, WhatsAppTextBody(phone_number_id, wa_id, "Wanda " + tag,
                                                 "wamid." + salesos::RandomHex(8), text,
                                                 salesos::NowUnixMillis()))
              .status == 200);
  b.markers.push_back(wa_id);
  b.markers.push_back(text);
  json::array runs;
  bool ran = WaitFor(
      [&] {
        HttpResult r =
            Send(http, "GET", "/api/v1/automations/" + b.ids.Get("automation") + "/executions",
                 b.owner.token);
        if (r.status != 200) {
          return false;
        }
        runs = Json(r).at("executions").as_array();
        return !runs.empty() && Str(runs[0].at("status")) == "succeeded";
      },
      std::chrono::seconds(30));
  INFO(json::serialize(runs));
  REQUIRE(ran);
  b.ids.of["conversation"] = Str(runs[0].at("conversationId"));
  b.ids.of["chat_contact"] = Str(runs[0].at("contactId"));
  b.markers.push_back(b.ids.Get("chat_contact"));
  // A human takes over: no AI reply changes the conversation while the matrix runs.
  HttpResult handoff =
      Send(http, "POST", "/api/v1/conversations/" + b.ids.Get("conversation") + "/handoff",
           b.owner.token, json::value{{"reason", "VIP"}});
  INFO(handoff.body);
  REQUIRE(handoff.status == 200);
  HttpResult messages =
      Send(http, "GET", "/api/v1/conversations/" + b.ids.Get("conversation") + "/messages",
           b.owner.token);
  REQUIRE(messages.status == 200);
  auto list = Json(messages).at("messages").as_array();
  REQUIRE_FALSE(list.empty());
  b.ids.of["message"] = Str(list[0].at("id"));

  // A broadcast scheduled for tomorrow: stable, and every action on it is still allowed to B.
  b.ids.of["broadcast"] = Id(
      Send(http, "POST", "/api/v1/campaigns/" + b.ids.Get("campaign") + "/broadcasts",
           b.owner.token,
           json::value{
               {"name", "Quokka blast " + tag},
               {"segmentId", b.ids.Get("segment")},
               {"templateId", b.ids.Get("template")},
               {"integrationId", b.ids.Get("integration")},
               {"scheduleAt", salesos::FormatRfc3339Millis(salesos::NowUnixMillis() + 86400000)}}),
      "broadcast");

  HttpResult trained = Send(http, "POST", "/api/v1/ai/train", b.owner.token, "{}");
  INFO(trained.body);
  REQUIRE(trained.status == 200);

  for (const auto& [kind, id] : b.ids.of) {
    b.markers.push_back(id);
  }
  return b;
}

// Every GET route, read by B's owner with B's ids: path → body ("status body").
std::map<std::string, std::string> Snapshot(HttpClient& http, const std::vector<Route>& routes,
                                            const Victim& b) {
  // Answers that change by themselves: component latencies.
  const std::set<std::string> kVolatile = {"/api/v1/admin/health"};
  std::map<std::string, std::string> out;
  for (const auto& route : routes) {
    if (route.method != "GET" || route.anonymous || kVolatile.count(route.path)) {
      continue;
    }
    std::vector<std::string> collections = {""};
    if (route.path.find("{collection}") != std::string::npos) {
      collections.clear();
      for (const auto& [c, kind] : kDataCollectionKind) {
        collections.push_back(c);
      }
    }
    for (const auto& collection : collections) {
      std::vector<std::string> unmapped;
      Call c = BuildCall(route, b.ids, collection, unmapped);
      HttpResult r = Send(http, "GET", c.target, b.owner.token);
      out[c.target] = std::to_string(r.status) + " " + Canonical(r.body);
    }
  }
  return out;
}

}  // namespace

TEST_CASE("no route lets another workspace's roles read or change a workspace's objects",
          "[integration][tenant]") {
  FakeGraphApi graph;
  std::atomic<int> hooks_received{0};
  LocalHttpServer receiver([&](const LocalHttpServer::Request& req) {
    ++hooks_received;
    return std::optional<LocalHttpServer::Response>(LocalHttpServer::Reply(req, 200, "{}"));
  });
  Suite suite(
      MetaSuiteOptions({"SALESOS_GRAPH_API_BASE=" + graph.base_url(),
                        "SALESOS_AI_DEBOUNCE_MS=60000", "SALESOS_RATE_LIMIT_IP_PER_MIN=0",
                        "SALESOS_RATE_LIMIT_USER_PER_MIN=0", "SALESOS_WEBHOOKS_ALLOW_PRIVATE=1"}));
  auto client = suite.Client();
  HttpClient& http = *client;

  Victim b = MakeVictim(http, graph, receiver.origin() + "/hooks");
  Account a_owner = Register(http, "Attacker Goods");
  std::map<std::string, std::string> a_tokens = {{"owner", a_owner.token}};
  for (const std::string role : {"admin", "agent", "viewer"}) {
    a_tokens[role] = AddMember(http, a_owner, role).token;
  }
  // Ids that exist nowhere, one per kind, for the control calls.
  Ids control;
  for (const auto& [kind, id] : b.ids.of) {
    control.of[kind] = kind == "contact_field" ? "zz" + salesos::RandomHex(4)
                       : kind == "meta"        ? NewMetaId()
                                               : salesos::NewUuidV7();
  }
  // B's ids as a call may carry them, and their control counterparts.
  std::vector<std::pair<std::string, std::string>> id_pairs;
  for (const auto& [kind, id] : b.ids.of) {
    id_pairs.emplace_back(id, control.Get(kind));
  }

  const auto routes = AllRoutes();
  REQUIRE(routes.size() >= 50);

  // B at rest: read until two snapshots agree (analytics folds B's events in the background).
  std::map<std::string, std::string> before;
  {
    auto previous = Snapshot(http, routes, b);
    bool stable = WaitFor(
        [&] {
          before = Snapshot(http, routes, b);
          bool same = before == previous;
          previous = before;
          return same;
        },
        std::chrono::seconds(60));
    if (!stable) {
      auto again = Snapshot(http, routes, b);
      for (const auto& [target, was] : before) {
        if (again[target] != was) {
          UNSCOPED_INFO("still changing: " << target << "\n  " << was.substr(0, 600) << "\n  "
                                           << again[target].substr(0, 600));
        }
      }
    }
    REQUIRE(stable);
  }
  const size_t graph_before = graph.request_count();
  const int hooks_before = hooks_received.load();
  const auto events_before = EventTypes(suite, b.owner.workspace_id);

  const std::vector<std::string> roles = {"viewer", "agent", "admin", "owner"};
  std::vector<std::string> unmapped;
  int matrix_routes = 0, matrix_calls = 0, list_calls = 0;

  // 1 and 2: B's ids in the path and in the request's id fields.
  for (const auto& route : routes) {
    if (route.anonymous || route.body == "file") {
      continue;
    }
    // {collection} names a kind of document, not an object of B's: a route with no other
    // variable is a list (part 3) unless its request carries ids.
    const bool targeted = HasPathVariable(route) && route.path != "/api/v1/admin/data/{collection}";
    if (!targeted && !CarriesIds(route)) {
      continue;
    }
    std::vector<std::string> collections = {""};
    if (route.path.find("{collection}") != std::string::npos) {
      collections.clear();
      for (const auto& [c, kind] : kDataCollectionKind) {
        collections.push_back(c);
      }
    }
    for (const auto& collection : collections) {
      ++matrix_routes;
      std::vector<std::string> ignored;
      Call with_b = BuildCall(route, b.ids, collection, unmapped);
      Call with_control = BuildCall(route, control, collection, ignored);
      for (const auto& role : roles) {
        ++matrix_calls;
        HttpResult c =
            Send(http, with_control.method, with_control.target, a_tokens[role], with_control.body);
        HttpResult r = Send(http, with_b.method, with_b.target, a_tokens[role], with_b.body);
        std::string mapped = r.body;
        for (const auto& [bid, cid] : id_pairs) {
          ReplaceAll(mapped, bid, cid);
        }
        INFO(route.rpc << " as A's " << role << "\n  " << with_b.method << " " << with_b.target
                       << " " << with_b.body << "\n  -> " << r.status << " " << r.body
                       << "\n  control " << with_control.target << " " << with_control.body
                       << "\n  -> " << c.status << " " << c.body);
        if (targeted) {
          CHECK((r.status == 403 || r.status == 404 || r.status == 400 || r.status == 412));
        }
        CHECK(r.status == c.status);
        if (r.status >= 400) {
          CHECK(Canonical(mapped) == Canonical(c.body));
          CHECK(Leaks(mapped, b.markers).empty());
        } else {
          // A success (a create of A's own that ignores the foreign id, say) shows nothing of B,
          // not even the foreign id it was given.
          CHECK(Leaks(r.body, b.markers).empty());
        }
      }
    }
  }
  {
    std::set<std::string> missing(unmapped.begin(), unmapped.end());
    std::string list;
    for (const auto& u : missing) {
      list += "\n  " + u;
    }
    INFO("every path variable and id field must map to an object of B: add the mapping for"
         << list);
    CHECK(missing.empty());
  }

  // 3: lists, searches, exports and analytics as A: nothing of B.
  const std::set<std::string> kDestructive = {"/api/v1/auth/logout-all", "/api/v1/workspace",
                                              "/api/v1/admin/data/clear-all"};
  for (const auto& route : routes) {
    if (route.anonymous || route.body == "file" || kDestructive.count(route.path)) {
      continue;
    }
    std::vector<std::string> targets;
    if (route.path == "/api/v1/admin/data/{collection}") {
      for (const auto& [c, kind] : kDataCollectionKind) {
        targets.push_back("/api/v1/admin/data/" + c);
      }
      targets.push_back("/api/v1/admin/data/analytics");
    } else if (!HasPathVariable(route)) {
      targets.push_back(route.path);
    }
    std::string body = route.method == "GET" || route.method == "DELETE" ? "" : "{}";
    if (route.rpc == "salesos.campaign.v1.CampaignService.PreviewSegment" ||
        route.path == "/api/v1/segments/preview") {
      body = R"({"rules": {"op": "and", "conditions": [
          {"field": "phone", "operator": "exists", "value": true}]}})";
    } else if (route.path == "/api/v1/ai/assistant") {
      body = R"({"question": "List every contact, conversation and campaign with their names"})";
    } else if (route.path == "/api/v1/ai/reply-preview") {
      body =
          R"({"messages": [{"sender": "customer", "content": "How much does the quokka lamp cost?"}]})";
    }
    for (const auto& target : targets) {
      for (const auto& role : roles) {
        ++list_calls;
        HttpResult r = Send(http, route.method, target, a_tokens[role], body);
        INFO(route.rpc << " as A's " << role << ": " << route.method << " " << target << " " << body
                       << "\n  -> " << r.status << " " << r.body);
        CHECK(Leaks(r.body, b.markers).empty());
      }
    }
  }

  // 4: B is as it was.
  auto after = Snapshot(http, routes, b);
  for (const auto& [target, was] : before) {
    INFO("B's owner reads " << target);
    CHECK(after[target] == was);
  }
  CHECK(graph.request_count() == graph_before);
  CHECK(hooks_received.load() == hooks_before);
  CHECK(EventTypes(suite, b.owner.workspace_id) == events_before);
  WARN("tenant matrix: " << matrix_routes << " routes with B's ids x " << roles.size()
                         << " roles = " << matrix_calls << " cases (each with a control call), "
                         << list_calls << " list calls, " << before.size()
                         << " of B's reads compared");
}
