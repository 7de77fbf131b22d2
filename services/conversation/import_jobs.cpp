#include "import_jobs.h"

#include <boost/json.hpp>

#include "salesos/core/ids.h"
#include "salesos/core/log.h"
#include "salesos/core/text.h"
#include "salesos/core/time.h"

namespace salesos::conversation {
namespace {

bool IsCsvMediaType(std::string_view content_type) {
  std::string type = AsciiLower(TrimBlanks(content_type.substr(0, content_type.find(';'))));
  return type == "text/csv" || type == "application/csv" || type == "text/plain" ||
         type == "application/vnd.ms-excel" || type == "text/comma-separated-values";
}

bool IsLetters(std::string_view s, size_t n) {
  if (s.size() != n) {
    return false;
  }
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))) {
      return false;
    }
  }
  return true;
}

std::string ToUpper(std::string s) {
  for (auto& c : s) {
    if (c >= 'a' && c <= 'z') {
      c = static_cast<char>(c - 'a' + 'A');
    }
  }
  return s;
}

// A column's problem as a row error: `column "E-mail": must be ...`.
std::string ColumnError(const std::string& column, const Status& st) {
  std::string description = st.violations().empty() ? st.message()
                                                     : st.violations().front().description;
  return "column \"" + column + "\": " + description;
}

std::vector<std::string> SplitTags(std::string_view cell) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= cell.size()) {
    size_t end = cell.find_first_of(";|", start);
    std::string_view part = TrimBlanks(cell.substr(start, end == std::string_view::npos
                                                        ? std::string_view::npos
                                                        : end - start));
    if (!part.empty()) {
      out.emplace_back(part);
    }
    if (end == std::string_view::npos) {
      break;
    }
    start = end + 1;
  }
  return out;
}

}  // namespace

std::string PreparedImport::ParamsJson() const {
  boost::json::array f;
  for (const auto& x : fields) {
    f.emplace_back(x);
  }
  boost::json::array c;
  for (const auto& x : columns) {
    c.emplace_back(x);
  }
  boost::json::array ignored;
  for (const auto& x : ignored_columns) {
    ignored.emplace_back(x);
  }
  return boost::json::serialize(boost::json::object{{"fields", std::move(f)},
                                                    {"columns", std::move(c)},
                                                    {"ignoredColumns", std::move(ignored)},
                                                    {"noHeader", no_header}});
}

namespace {

PreparedImport FromParams(const std::string& json) {
  PreparedImport p;
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) {
    return p;
  }
  const auto& o = v.as_object();
  auto strings = [&](const char* key, std::vector<std::string>& out) {
    if (const auto* a = o.if_contains(key); a != nullptr && a->is_array()) {
      for (const auto& e : a->as_array()) {
        out.emplace_back(e.is_string() ? std::string(e.as_string()) : std::string());
      }
    }
  };
  strings("fields", p.fields);
  strings("columns", p.columns);
  strings("ignoredColumns", p.ignored_columns);
  if (const auto* h = o.if_contains("noHeader"); h != nullptr && h->is_bool()) {
    p.no_header = h->as_bool();
  }
  return p;
}

}  // namespace

Result<PreparedImport> PrepareImport(std::string_view content_type, std::string_view text,
                                     std::string_view mapping, bool no_header,
                                     const segments::CustomFieldDecls& decls) {
  if (!IsCsvMediaType(content_type)) {
    return FieldError("file", "must be CSV: send it with Content-Type: text/csv");
  }
  if (text.empty()) {
    return FieldError("file", "is empty: send the CSV as the request body");
  }
  if (!IsUtf8Text(text)) {
    return FieldError("file", "is not UTF-8 text (save the CSV as UTF-8)");
  }
  if (mapping.size() > 10000) {
    return FieldError("mapping", "must be at most 10,000 characters");
  }
  csv::Reader reader(text);
  csv::Record first;
  if (!reader.Next(first)) {
    return FieldError("file", "has no rows");
  }
  if (!first.error.empty()) {
    return FieldError("file", "row 1 is not valid CSV: " + first.error);
  }
  PreparedImport out;
  out.no_header = no_header;
  const int64_t records = csv::CountRecords(text);
  out.total = records - (no_header ? 0 : 1);
  if (out.total > kMaxImportRows) {
    return FieldError("file", "has " + std::to_string(out.total) +
                                  " data rows; an import takes at most 100,000 (split the file)");
  }
  std::vector<std::string> header;
  for (const auto& f : first.fields) {
    header.emplace_back(TrimBlanks(csv::Unguard(f)));
  }
  SALESOS_ASSIGN_OR_RETURN(ColumnMapping resolved,
                           ResolveMapping(header, no_header, mapping, decls));
  out.fields = std::move(resolved.fields);
  out.ignored_columns = std::move(resolved.ignored_columns);
  for (size_t i = 0; i < header.size(); ++i) {
    out.columns.push_back(no_header || header[i].empty() ? "column " + std::to_string(i + 1)
                                                         : header[i].substr(0, 64));
  }
  return out;
}

ImportRow ParseImportRow(const csv::Record& record, const PreparedImport& import,
                         const segments::CustomFieldDecls& decls) {
  ImportRow row;
  row.row = record.row;
  if (!record.error.empty()) {
    row.error = "not valid CSV: " + record.error;
    return row;
  }
  bool any = false;
  for (const auto& f : record.fields) {
    any = any || !TrimBlanks(f).empty();
  }
  if (!any) {
    row.empty = true;
    return row;
  }
  for (size_t i = 0; i < record.fields.size() && i < import.fields.size(); ++i) {
    const std::string& field = import.fields[i];
    std::string_view cell = TrimBlanks(csv::Unguard(TrimBlanks(record.fields[i])));
    if (field.empty() || cell.empty()) {
      continue;
    }
    const std::string& column =
        i < import.columns.size() ? import.columns[i] : "column " + std::to_string(i + 1);
    auto fail = [&](const Status& st) { row.error = ColumnError(column, st); };
    std::string value(cell);
    if (field == "id") {
      row.id = value;
    } else if (field == "firstName" || field == "lastName" || field == "fullName" ||
               field == "title") {
      Status st = ValidateName(value, field);
      if (!st.ok()) {
        fail(st);
        return row;
      }
      (field == "firstName"  ? row.first_name
       : field == "lastName" ? row.last_name
       : field == "fullName" ? row.full_name
                             : row.title) = value;
    } else if (field == "email") {
      Status st = ValidateEmail(value, field);
      if (!st.ok()) {
        fail(st);
        return row;
      }
      row.email = value;
    } else if (field == "phone") {
      auto phone = NormalizePhone(value, field);
      if (!phone.ok()) {
        fail(phone.status());
        return row;
      }
      row.phone = *phone;
    } else if (field == "tags") {
      auto tags = NormalizeTags(SplitTags(value), field);
      if (!tags.ok()) {
        fail(tags.status());
        return row;
      }
      row.tags = std::move(*tags);
    } else if (field == "journeyStage") {
      std::string stage = AsciiLower(value);
      if (!IsJourneyStage(stage)) {
        fail(FieldError(field,
                        "must be one of awareness, interest, consideration, purchase, retention"));
        return row;
      }
      row.journey_stage = stage;
    } else if (field == "accountId") {
      row.account_id = value;
    } else if (field == "ownerId") {
      if (!IsUuid(value)) {
        fail(FieldError(field, "must be a member's user id"));
        return row;
      }
      row.owner_id = value;
    } else if (field == "country") {
      if (!IsLetters(value, 2)) {
        fail(FieldError(field, "must be a two-letter country code such as FR"));
        return row;
      }
      row.country = ToUpper(value);
    } else if (field == "language") {
      if (!IsLetters(value, 2)) {
        fail(FieldError(field, "must be a two-letter language code such as fr"));
        return row;
      }
      row.language = AsciiLower(value);
    } else if (field == "city") {
      Status st = ValidateName(value, field);
      if (!st.ok()) {
        fail(st);
        return row;
      }
      row.city = value;
    } else if (field == "facebookId" || field == "instagramId" || field == "whatsappId") {
      if (value.size() > 64) {
        fail(FieldError(field, "must be at most 64 characters"));
        return row;
      }
      if (field == "whatsappId") {
        if (!value.empty() && value.front() == '+') {
          value.erase(0, 1);
        }
        if (value.find_first_not_of("0123456789") != std::string::npos) {
          fail(FieldError(field, "must be the WhatsApp number's digits"));
          return row;
        }
      }
      (field == "facebookId" ? row.facebook_id
       : field == "instagramId" ? row.instagram_id
                                : row.whatsapp_id) = value;
    } else if (field.rfind("customFields.", 0) == 0) {
      std::string key = field.substr(13);
      auto it = decls.find(key);
      if (it == decls.end()) {
        continue;  // the field was deleted since the import started
      }
      auto v = CustomValueFromText(it->second, value, field);
      if (!v.ok()) {
        fail(v.status());
        return row;
      }
      row.custom[key] = std::move(*v);
    }
  }
  return row;
}

ImportJobs::ImportJobs(store::Store& db, Publish publish, ImportJobsOptions options)
    : store_(db),
      publish_(std::move(publish)),
      options_(options),
      loop_(rpc::DueLoopOptions{"imports", options_.concurrency, options_.max_idle_ms},
            [this] { return store_.NextJobMs(); },
            [this](int64_t now_ms, int max) { return Claim(now_ms, max); }) {}

ImportJobs::~ImportJobs() { loop_.Stop(); }

Result<std::vector<std::function<void()>>> ImportJobs::Claim(int64_t now_ms, int max) {
  SALESOS_ASSIGN_OR_RETURN(auto due, store_.DueJobs(now_ms, max));
  std::vector<std::function<void()>> tasks;
  for (const auto& [ws, id] : due) {
    const int64_t lease = now_ms + options_.lease_ms;
    SALESOS_ASSIGN_OR_RETURN(auto job, store_.ClaimJob(ws, id, now_ms, lease));
    if (job.has_value()) {
      tasks.push_back([this, job = std::move(*job), lease]() mutable { Run(std::move(job), lease); });
    }
  }
  return tasks;
}

void ImportJobs::Run(JobRow job, int64_t lease_until_ms) {
  const int64_t started = MonotonicMillis();
  const int64_t start_processed = job.processed;
  auto decls = store_.FieldDecls(job.workspace_id);
  if (!decls.ok()) {
    log::Warn("import paused: custom fields not read",
              {{"jobId", job.id}, {"error", decls.status().message()}});
    return;  // the lease ends and the job is taken up again
  }
  const PreparedImport import = FromParams(job.params);
  csv::Reader reader(job.input);
  csv::Record record;
  // Rows up to next_row were applied by an earlier batch (of this worker or a crashed one).
  const int64_t first_data_row = import.no_header ? 1 : 2;
  const int64_t resume_after = std::max(job.next_row, first_data_row - 1);
  int64_t last_publish = 0;
  int64_t lease = lease_until_ms;
  std::vector<ImportRow> batch;
  int64_t batch_last_row = resume_after;
  auto flush = [&]() -> bool {
    const std::string now = FormatRfc3339Millis(NowUnixMillis());
    const int64_t next_lease = NowUnixMillis() + options_.lease_ms;
    auto applied =
        store_.ApplyImportBatch(job, lease, next_lease, batch, batch_last_row, *decls, now);
    batch.clear();
    if (!applied.ok()) {
      if (applied.status().code() == Code::kAborted) {
        log::Info("import taken over by another worker", {{"jobId", job.id}});
      } else {
        log::Warn("import batch not applied; it is retried when the lease ends",
                  {{"jobId", job.id}, {"error", applied.status().message()}});
      }
      return false;
    }
    lease = next_lease;
    if (options_.on_created && !applied->created_ids.empty()) {
      options_.on_created(job.workspace_id, applied->created_ids);
    }
    if (publish_ && MonotonicMillis() - last_publish >= options_.publish_every_ms) {
      last_publish = MonotonicMillis();
      publish_(job);
    }
    return true;
  };
  while (reader.Next(record)) {
    if (record.row <= resume_after) {
      continue;
    }
    batch.push_back(ParseImportRow(record, import, *decls));
    batch_last_row = record.row;
    if (batch.size() >= options_.batch_rows && !flush()) {
      return;
    }
  }
  if (!batch.empty() && !flush()) {
    return;
  }
  const std::string now = FormatRfc3339Millis(NowUnixMillis());
  Status finished = store_.FinishJob(job, "succeeded", "", now);
  if (!finished.ok()) {
    log::Warn("import not marked finished; it is resumed when the lease ends",
              {{"jobId", job.id}, {"error", finished.message()}});
    return;
  }
  if (Status analysed = store_.RefreshStatistics(); !analysed.ok()) {
    log::Warn("statistics not refreshed after an import",
              {{"jobId", job.id}, {"error", analysed.message()}});
  }
  job.status = "succeeded";
  job.finished_at = now;
  job.updated_at = now;
  job.input.clear();
  const int64_t ms = MonotonicMillis() - started;
  log::Info("import finished",
            {{"jobId", job.id},
             {"workspaceId", job.workspace_id},
             {"rows", job.processed - start_processed},
             {"created", job.created},
             {"updated", job.updated},
             {"skipped", job.skipped},
             {"errors", job.error_count},
             {"ms", ms}});
  if (publish_) {
    publish_(job);
  }
}

}  // namespace salesos::conversation
