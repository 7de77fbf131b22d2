#pragma once

// TemplateStore: the templates table on libs/store, one code path for SQLite and PostgreSQL.
// Every query filters on the workspace id, so another workspace's template is simply not found.
// It stores what it is given: validation and the variables of a body are the caller's.
// Thread-safe as the Store under it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "salesos/campaign/v1/campaign.pb.h"
#include "salesos/core/status.h"
#include "salesos/store/store.h"

namespace salesos::campaign {

struct TemplateRecord {
  std::string id;
  std::string workspace_id;
  std::string name;
  std::string category;
  std::string channel;
  std::string body;
  std::vector<std::string> variables;
  // The WhatsApp template it is sent as on WhatsApp; none when nullopt.
  std::optional<v1::WhatsAppTemplate> whatsapp;
  std::string created_at;
  std::string updated_at;
};

// A partial update: what is set changes, the rest stays. `variables` goes with `body`.
struct TemplateUpdate {
  std::optional<std::string> name;
  std::optional<std::string> category;
  std::optional<std::string> channel;
  std::optional<std::string> body;
  std::optional<std::vector<std::string>> variables;
  // Set: replaces the WhatsApp template (an inner nullopt removes it).
  std::optional<std::optional<v1::WhatsAppTemplate>> whatsapp;
  std::string updated_at;
};

class TemplateStore {
 public:
  explicit TemplateStore(store::Store& db) : db_(db) {}

  Status Create(const TemplateRecord& record);
  Result<std::optional<TemplateRecord>> Get(const std::string& workspace_id, const std::string& id);
  // Up to `limit` templates of the workspace with ids after `after_id` ("" from the start), in id
  // (creation) order; only those of `category` unless it is "".
  Result<std::vector<TemplateRecord>> List(const std::string& workspace_id,
                                           const std::string& category, const std::string& after_id,
                                           int64_t limit);
  // The template after the change; nullopt when the workspace has no such template.
  Result<std::optional<TemplateRecord>> Update(const std::string& workspace_id,
                                               const std::string& id, const TemplateUpdate& update);
  // False when the workspace has no such template.
  Result<bool> Delete(const std::string& workspace_id, const std::string& id);

 private:
  store::Store& db_;
};

}  // namespace salesos::campaign
