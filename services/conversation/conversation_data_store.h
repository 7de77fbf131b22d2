#pragma once

// The data manager's view of conversation's tables (docs/data-admin.md): contacts, conversations
// and messages. Deleting a contact takes its conversations and their messages along; deleting a
// conversation its messages. Messages show what was said, not the outbound request kept for the
// Send API.

#include <memory>

#include "salesos/data_admin/catalog.h"

namespace salesos::conversation {

std::unique_ptr<data_admin::Catalog> ConversationDataCatalog(store::Store& db);

}  // namespace salesos::conversation
