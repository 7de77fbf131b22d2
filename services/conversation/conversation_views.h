#pragma once

// The API's view of the store's records: records → conversation.v1 messages (what REST answers and
// realtime events carry), and JSON text the way the gateway prints it.

#include <google/protobuf/message.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "conversation_store.h"
#include "salesos/conversation/v1/conversation.pb.h"

namespace salesos::conversation {

// Meta's standard messaging window: a free-form reply is allowed this long after the customer's
// latest message.
inline constexpr int64_t kMessagingWindowMs = 24LL * 3600 * 1000;

void FillMessage(const MessageRecord& m, v1::Message* out);
void FillContact(const ContactRecord& c, v1::Contact* out);
// Every field but last_message (which needs a query).
void FillConversation(const ConversationRecord& c, v1::Conversation* out);

// When the window for free-form replies closes (Unix ms); 0 before the customer wrote.
int64_t WindowExpiresMs(const ConversationRecord& c);

// The number of code points of UTF-8 text.
long CountUtf8(std::string_view text);

// lowerCamelCase JSON with every field, as the gateway answers.
std::string ToJson(const google::protobuf::Message& message);

}  // namespace salesos::conversation
