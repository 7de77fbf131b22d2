#pragma once

// Contact imports (docs/crm.md): a CSV upload checked and made a job at once (PrepareImport), then
// worked through by ImportJobs in the background, one batch of rows per transaction.
//
// The job row is the only record of progress: each batch commits its contacts together with the
// job's counters and next_row, while the worker holds the job's lease. A crashed or stopped worker
// leaves the lease to expire; whoever claims the job next (this process after a restart, or another
// replica) resumes at next_row, so no row is applied twice and none is lost. Every data row ends
// as exactly one of created, updated, skipped or an error, so processed = created + updated +
// skipped + errors, and at the end processed = total.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "contact_store.h"
#include "salesos/rpc/due_loop.h"
#include "salesos/core/csv.h"
#include "salesos/core/status.h"

namespace salesos::conversation {

inline constexpr char kImportJobKind[] = "contacts.import";

// What an upload becomes before any job is made.
struct PreparedImport {
  int64_t total = 0;            // data rows
  std::vector<std::string> fields;  // per column: the field it fills, "" for none
  std::vector<std::string> columns;  // per column: its name for messages ("E-mail", "column 3")
  std::vector<std::string> ignored_columns;
  bool no_header = false;
  // The job's params JSON.
  std::string ParamsJson() const;
};

// Checks an upload: a CSV media type (text/csv, application/csv, text/plain,
// application/vnd.ms-excel), UTF-8 text, a readable header (unless no_header), at most
// kMaxImportRows data rows, and a mapping (contact_rules.h ResolveMapping). INVALID_ARGUMENT
// naming "file" or "mapping" otherwise.
Result<PreparedImport> PrepareImport(std::string_view content_type, std::string_view text,
                                     std::string_view mapping, bool no_header,
                                     const segments::CustomFieldDecls& decls);

// One record as an ImportRow: an error (malformed record, a bad value — the message names the
// column), an empty row, or the values of its mapped non-empty cells, normalised.
ImportRow ParseImportRow(const csv::Record& record, const PreparedImport& import,
                         const segments::CustomFieldDecls& decls);

struct ImportJobsOptions {
  int64_t lease_ms = 30000;
  size_t batch_rows = 1000;
  int concurrency = 1;
  int max_idle_ms = 1000;
  int64_t publish_every_ms = 1000;  // job.updated at most this often (and once at the end)
  // Called after each committed batch with the contacts it made (contact.created); may be empty.
  std::function<void(const std::string& workspace_id, const std::vector<std::string>& ids)>
      on_created;
};

class ImportJobs {
 public:
  // publish(job): tells screens of the job's progress (realtime "job.updated"); may be empty.
  using Publish = std::function<void(const JobRow& job)>;
  ImportJobs(store::Store& db, Publish publish, ImportJobsOptions options = {});
  ~ImportJobs();

  void Start() { loop_.Start(); }
  void Stop() { loop_.Stop(); }
  // A job was queued.
  void Notify() { loop_.Notify(); }

  // Works one claimed job to its end, or until its lease is lost (public for tests).
  void Run(JobRow job, int64_t lease_until_ms);

 private:
  Result<std::vector<std::function<void()>>> Claim(int64_t now_ms, int max);

  ContactStore store_;
  Publish publish_;
  ImportJobsOptions options_;
  rpc::DueLoop loop_;
};

}  // namespace salesos::conversation
