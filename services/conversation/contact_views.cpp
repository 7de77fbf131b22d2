#include "contact_views.h"

#include <google/protobuf/util/json_util.h>

#include <boost/json.hpp>

#include "salesos/core/csv.h"
#include "salesos/core/time.h"

namespace salesos::conversation {
namespace {

std::string Text(const boost::json::object& o, const char* key) {
  const auto* v = o.if_contains(key);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The scheduler's lastSentAt / nextSendAt, kept beside each date in contacts.important_dates
// (occasions.h), onto the dates read from it (same order).
void FillOccasionTimes(const std::string& json,
                       google::protobuf::RepeatedPtrField<v1::ImportantDate>* dates) {
  if (json.find("SendAt") == std::string::npos && json.find("SentAt") == std::string::npos) {
    return;
  }
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_array()) {
    return;
  }
  const auto& a = v.as_array();
  for (int i = 0; i < dates->size() && static_cast<size_t>(i) < a.size(); ++i) {
    if (a[i].is_object()) {
      dates->Mutable(i)->set_last_sent_at(Text(a[i].as_object(), "lastSentAt"));
      dates->Mutable(i)->set_next_send_at(Text(a[i].as_object(), "nextSendAt"));
    }
  }
}

std::string Join(const std::vector<std::string>& parts, char sep) {
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) {
      out += sep;
    }
    out += p;
  }
  return out;
}

}  // namespace

std::string TimeOrEmpty(int64_t unix_ms) {
  return unix_ms > 0 ? FormatRfc3339Millis(unix_ms) : std::string();
}

void FillContact(const ContactRow& c, v1::Contact* out) {
  out->set_id(c.id);
  out->set_platform(c.platform);
  out->set_platform_user_id(c.platform.empty() ? "" : c.platform_user_id);
  out->set_first_name(c.first_name);
  out->set_last_name(c.last_name);
  out->set_full_name(c.full_name);
  out->set_email(c.email);
  out->set_phone(c.phone);
  out->set_created_at(c.created_at);
  out->set_title(c.title);
  out->set_account_id(c.account_id);
  out->set_owner_id(c.owner_id);
  for (const auto& t : c.tags) {
    out->add_tags(t);
  }
  if (!c.custom_json.empty() && c.custom_json != "{}") {
    (void)google::protobuf::util::JsonStringToMessage(c.custom_json, out->mutable_custom_fields());
  } else {
    out->mutable_custom_fields();
  }
  out->set_source(c.source);
  out->mutable_platform_ids()->set_facebook(c.facebook_id);
  out->mutable_platform_ids()->set_instagram(c.instagram_id);
  out->mutable_platform_ids()->set_whatsapp(c.whatsapp_id);
  ImportantDatesFromJson(c.important_dates, out->mutable_important_dates());
  FillOccasionTimes(c.important_dates, out->mutable_important_dates());
  auto* stats = out->mutable_stats();
  stats->set_total_spent(c.total_spent);
  stats->set_orders_count(c.orders_count);
  stats->set_last_order_at(TimeOrEmpty(c.last_order_ms));
  stats->set_last_message_at(TimeOrEmpty(c.last_message_ms));
  stats->set_visit_count(c.visit_count);
  stats->set_last_visit(TimeOrEmpty(c.last_visit_ms));
  out->set_lead_score(static_cast<int32_t>(c.lead_score));
  out->set_journey_stage(c.journey_stage);
  out->set_updated_at(c.updated_at);
  out->set_status(c.status);
  out->set_city(c.city);
  out->set_country(c.country);
  out->set_language(c.language);
  out->set_opted_out(c.opted_out);
}

void FillAccount(const AccountRow& a, v1::Account* out) {
  out->set_id(a.id);
  out->set_name(a.name);
  out->set_website(a.website);
  out->set_industry(a.industry);
  out->set_employees(a.employees);
  out->set_annual_revenue(a.annual_revenue);
  auto* address = out->mutable_address();
  boost::system::error_code ec;
  auto v = boost::json::parse(a.address, ec);
  if (!ec && v.is_object()) {
    const auto& o = v.as_object();
    address->set_street(Text(o, "street"));
    address->set_city(Text(o, "city"));
    address->set_region(Text(o, "region"));
    address->set_postal_code(Text(o, "postalCode"));
    address->set_country(Text(o, "country"));
  }
  out->set_owner_id(a.owner_id);
  out->set_parent_account_id(a.parent_account_id);
  out->set_type(a.type);
  out->set_status(a.status);
  out->set_created_at(a.created_at);
  out->set_updated_at(a.updated_at);
}

void FillField(const FieldRow& f, v1::ContactField* out) {
  out->set_key(f.key);
  out->set_label(f.label);
  out->set_type(f.type);
  for (const auto& o : f.options) {
    out->add_options(o);
  }
  out->set_created_at(f.created_at);
}

void FillJob(const JobRow& j, v1::Job* out) {
  out->set_id(j.id);
  out->set_kind(j.kind);
  out->set_status(j.status);
  out->set_total(j.total);
  out->set_processed(j.processed);
  out->set_created(j.created);
  out->set_updated(j.updated);
  out->set_skipped(j.skipped);
  for (const auto& e : j.errors) {
    auto* err = out->add_errors();
    err->set_row(e.row);
    err->set_message(e.message);
  }
  out->set_error_count(j.error_count);
  boost::system::error_code ec;
  auto params = boost::json::parse(j.params, ec);
  if (!ec && params.is_object()) {
    if (const auto* ignored = params.as_object().if_contains("ignoredColumns");
        ignored != nullptr && ignored->is_array()) {
      for (const auto& c : ignored->as_array()) {
        if (c.is_string()) {
          out->add_ignored_columns(std::string(c.as_string()));
        }
      }
    }
    out->set_message(Text(params.as_object(), "message"));
  }
  out->set_created_at(j.created_at);
  out->set_updated_at(j.updated_at);
  out->set_finished_at(j.finished_at);
}

std::string ContactsCsvHeader(const segments::CustomFieldDecls& decls) {
  std::vector<std::string> cells = ExportColumns();
  for (const auto& [key, decl] : decls) {
    cells.push_back("customFields." + key);
  }
  std::string out;
  csv::AppendRow(out, cells);
  return out;
}

void AppendContactCsv(const ContactRow& c, const segments::CustomFieldDecls& decls,
                      std::string& out) {
  std::vector<std::string> cells = {c.id,
                                    c.first_name,
                                    c.last_name,
                                    c.email,
                                    c.phone,
                                    c.title,
                                    c.account_id,
                                    c.owner_id,
                                    Join(c.tags, ';'),
                                    c.journey_stage,
                                    c.city,
                                    c.country,
                                    c.language,
                                    c.facebook_id,
                                    c.instagram_id,
                                    c.whatsapp_id};
  for (auto& cell : cells) {
    cell = csv::Guard(cell);
  }
  for (const auto& [key, decl] : decls) {
    auto it = c.custom.find(key);
    std::string text = it == c.custom.end() ? "" : CustomValueToText(decl.type, it->second);
    // Numbers and booleans are the exporter's own text; anything a person typed is guarded.
    const bool own = decl.type == segments::CustomFieldType::kNumber ||
                     decl.type == segments::CustomFieldType::kBoolean;
    cells.push_back(own ? text : csv::Guard(text));
  }
  csv::AppendRow(out, cells);
}

}  // namespace salesos::conversation
