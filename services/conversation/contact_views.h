#pragma once

// The API's view of the CRM's rows: ContactStore rows → conversation.v1 messages (what REST
// answers, realtime events carry and exports write).

#include "contact_store.h"
#include "salesos/conversation/v1/conversation.pb.h"

namespace salesos::conversation {

// Every field but `account` (which needs a query).
void FillContact(const ContactRow& c, v1::Contact* out);
void FillAccount(const AccountRow& a, v1::Account* out);
void FillField(const FieldRow& f, v1::ContactField* out);
void FillJob(const JobRow& j, v1::Job* out);

// "" for 0 (never), else RFC 3339 with milliseconds.
std::string TimeOrEmpty(int64_t unix_ms);

// A CSV export of the contacts: the header (ExportColumns(), then "customFields.<key>" per
// declared field) and one row per contact, every text cell guarded against formula injection.
std::string ContactsCsvHeader(const segments::CustomFieldDecls& decls);
void AppendContactCsv(const ContactRow& c, const segments::CustomFieldDecls& decls,
                      std::string& out);

}  // namespace salesos::conversation
