#pragma once

// ContactStore: the CRM's tables (migrations/004_crm.sql) on libs/store, one code path for SQLite
// and PostgreSQL — contacts with their tags and custom values, the custom fields a workspace
// declares, accounts, and import jobs. Every query filters on the workspace id, so another
// workspace's row is simply not found. A contact's tags and custom values are written in the same
// transaction as the contact (its JSON copies for reads, contact_tags and contact_field_values
// for segment rules). Thread-safe as the Store under it.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "contact_rules.h"
#include "salesos/core/status.h"
#include "salesos/segments/custom_fields.h"
#include "salesos/store/store.h"

namespace salesos::conversation {

struct ContactRow {
  std::string id;
  std::string workspace_id;
  std::string platform;          // where a chat contact first wrote; "" for the others
  std::string platform_user_id;  // there; the contact's own id for the others
  std::string first_name, last_name, full_name, email, phone, title, city, country, language;
  std::string account_id, owner_id;
  std::string source = "manual";
  std::string journey_stage = "awareness";
  std::string status;  // the latest conversation's
  std::string facebook_id, instagram_id, whatsapp_id;  // "" stored as NULL
  int64_t lead_score = 0;
  bool opted_out = false;
  double total_spent = 0;
  int64_t orders_count = 0, last_order_ms = 0, last_message_ms = 0, visit_count = 0,
          last_visit_ms = 0, created_ms = 0;
  std::string created_at, updated_at;
  std::vector<std::string> tags;
  CustomValues custom;                   // filled on reads that are given the declarations
  std::string custom_json = "{}";        // what a read shows; writers set it from `custom`
  std::string important_dates = "[]";    // JSON
};

struct FieldRow {
  std::string key;
  std::string label;
  std::string type;
  std::vector<std::string> options;
  std::string created_at;
};

struct AccountRow {
  std::string id, workspace_id, name, website, industry;
  int64_t employees = 0;
  double annual_revenue = 0;
  std::string address = "{}";  // JSON {street, city, region, postalCode, country}
  std::string owner_id, parent_account_id, type, status, created_at, updated_at;
};

struct ImportErrorRow {
  int64_t row = 0;
  std::string message;
};

struct JobRow {
  std::string id, workspace_id, kind, status;
  std::string params = "{}";  // JSON: {fields: [...], ignoredColumns: [...], noHeader, message}
  std::string input;
  int64_t next_row = 0, total = 0, processed = 0, created = 0, updated = 0, skipped = 0;
  std::vector<ImportErrorRow> errors;
  int64_t error_count = 0;
  int64_t lease_until_ms = 0;
  std::string created_by, created_at, updated_at, finished_at;
};

// One data row of an import, validated: the cells of the mapped columns that are not empty.
struct ImportRow {
  int64_t row = 0;      // spreadsheet row
  std::string error;    // set: the row is an error (nothing else is read)
  bool empty = false;   // every cell empty: skipped
  std::string id;       // the id column, when mapped and not empty
  std::optional<std::string> first_name, last_name, full_name, email, phone, title, account_id,
      owner_id, journey_stage, city, country, language, facebook_id, instagram_id, whatsapp_id;
  std::vector<std::string> tags;  // added to the contact's
  CustomValues custom;            // set on the contact
};

enum class ImportOutcome { kCreated, kUpdated, kSkipped, kError };

// What one batch did, for the job's counters.
struct ImportBatchResult {
  int64_t created = 0, updated = 0, skipped = 0;
  std::vector<ImportErrorRow> errors;
  std::vector<std::string> created_ids;  // the contacts the batch made (for contact.created)
};

class ContactStore {
 public:
  explicit ContactStore(store::Store& db) : db_(db) {}

  // Fills created_ms of contacts written before migration 004 (from created_at), and
  // updated_at where it is empty. Idempotent; run at start.
  Status BackfillCreatedMs();

  // --- custom fields
  Result<segments::CustomFieldDecls> FieldDecls(const std::string& workspace_id);
  Result<std::vector<FieldRow>> ListFields(const std::string& workspace_id);
  // ALREADY_EXISTS naming key for a key already declared; FAILED_PRECONDITION when the workspace
  // has kMaxContactFields fields.
  Status CreateField(const std::string& workspace_id, const FieldRow& field);
  // Removes the field and its values (the rows and the JSON copies); false when it was not there.
  Result<bool> DeleteField(const std::string& workspace_id, const std::string& key);

  // --- contacts
  // Inserts the contact, its tags and custom values. ALREADY_EXISTS naming the field for an email
  // (case-insensitive) or a platform id another contact of the workspace has.
  Status CreateContact(const ContactRow& contact);
  // With `decls`, row.custom is filled from the JSON copy.
  Result<std::optional<ContactRow>> GetContact(const std::string& workspace_id,
                                               const std::string& id,
                                               const segments::CustomFieldDecls* decls = nullptr);
  // Loads the contact (locked), lets fn change it, writes it back with its tags and values: the
  // contact before and after. NOT_FOUND for another workspace's; fn's error aborts everything.
  // ALREADY_EXISTS as CreateContact.
  using ContactMutation = std::function<Status(ContactRow& contact)>;
  Result<std::pair<ContactRow, ContactRow>> UpdateContact(const std::string& workspace_id,
                                                          const std::string& id,
                                                          const segments::CustomFieldDecls& decls,
                                                          const ContactMutation& fn);
  // false when there was no such contact; FAILED_PRECONDITION when it has conversations.
  Result<bool> DeleteContact(const std::string& workspace_id, const std::string& id);

  struct ContactFilter {
    std::string query;       // part of name, email or phone, case-insensitive (ASCII)
    std::string tag;         // lower-cased
    std::string account_id;
    std::string rule_where;  // a compiled segment rule over alias c, placeholders from $6
    store::Params rule_params;
  };
  // Placeholder number the rule of a ContactFilter starts at.
  static constexpr int kListRuleFirstParam = 6;
  // Up to `limit` contacts ordered by id, after `after_id`.
  Result<std::vector<ContactRow>> ListContacts(const std::string& workspace_id,
                                               const ContactFilter& filter,
                                               const std::string& after_id, int64_t limit);
  // A compiled segment rule (placeholders from $first_param... see below): the matching count,
  // and up to `limit` matching contacts after `after_id` ordered by id.
  static constexpr int kCountRuleFirstParam = 2;
  static constexpr int kPageRuleFirstParam = 4;
  Result<int64_t> CountMatching(const std::string& workspace_id, const std::string& where,
                                const store::Params& params);
  Result<std::vector<ContactRow>> PageMatching(const std::string& workspace_id,
                                               const std::string& where,
                                               const store::Params& params,
                                               const std::string& after_id, int64_t limit);

  // --- accounts
  Status CreateAccount(const AccountRow& account);
  Result<std::optional<AccountRow>> GetAccount(const std::string& workspace_id,
                                               const std::string& id);
  // Writes every field but the keys and created_at; false when there was no such account.
  Result<bool> UpdateAccount(const AccountRow& account);
  // Removes it, clears account_id of its contacts and parent_account_id of its children, in one
  // transaction; false when there was no such account.
  Result<bool> DeleteAccount(const std::string& workspace_id, const std::string& id);
  Result<std::vector<AccountRow>> ListAccounts(const std::string& workspace_id,
                                               const std::string& query,
                                               const std::string& after_id, int64_t limit);

  // --- jobs
  Status CreateJob(const JobRow& job);
  // Without the input.
  Result<std::optional<JobRow>> GetJob(const std::string& workspace_id, const std::string& id);
  // Jobs queued or running whose lease ended, oldest first, across workspaces (ids only).
  Result<std::vector<std::pair<std::string, std::string>>> DueJobs(int64_t now_ms, int64_t limit);
  // When the next job falls due (a leased one: when its lease ends); 0 when none is pending.
  Result<int64_t> NextJobMs();
  // Takes the lease (status "running"); the whole job with its input, or nullopt when another
  // took it.
  Result<std::optional<JobRow>> ClaimJob(const std::string& workspace_id, const std::string& id,
                                         int64_t now_ms, int64_t lease_until_ms);
  // One batch of an import in ONE transaction: each row matched (id, email, phone, then platform
  // ids), created, updated or skipped; the job's counters, errors (the first kMaxJobErrors),
  // next_row and lease moved on. ABORTED when the job's lease is no longer `lease_until_ms` (another
  // replica took it over): nothing is written.
  static constexpr size_t kMaxJobErrors = 1000;
  Result<ImportBatchResult> ApplyImportBatch(JobRow& job, int64_t lease_until_ms,
                                             int64_t new_lease_until_ms,
                                             const std::vector<ImportRow>& rows,
                                             int64_t next_row,
                                             const segments::CustomFieldDecls& decls,
                                             const std::string& now);
  // Ends the job ("succeeded" or "failed" with a message in params) and clears its input.
  Status FinishJob(const JobRow& job, const std::string& status, const std::string& message,
                   const std::string& now);
  // Refreshes the planner's statistics of the contact tables (ANALYZE, on both engines), so rule
  // queries pick the right index after a bulk change such as an import.
  Status RefreshStatistics();

 private:
  store::Store& db_;
};

}  // namespace salesos::conversation
