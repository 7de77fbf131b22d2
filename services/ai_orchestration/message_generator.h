#pragma once

// Campaign copy: message variants for a campaign's outreach, follow-up, reactivation or
// announcement, written with template variables ({{contact.firstName}}, {{product.name}},
// {{product.price}}, {{business.name}}) so campaign renders them per contact. The built-in writer,
// and the LLM call and validator used when an endpoint is configured. Pure: no gRPC, no SQL.
//
// The built-in writer is deterministic and states nothing the campaign does not: the product's
// name and price only through {{product.name}} and {{product.price}} (which campaign renders
// exactly, "49.99 USD"), its description's first sentence and its features word for word, no
// discounts, deadlines or stock claims. It writes English. Each variant combines an opener of the
// tone, a body of the goal and a call to action of the tone, chosen so that up to 60 variants
// differ; a free-text goal picks the nearest of the four goals from its keywords and is never
// copied into the message (it is an instruction, not copy).
//
// Lengths are counted in characters (code points) of the text as it will render: campaign values
// filled in (product name, price text, business name, campaign name, description), and
// kContactValueReserve characters for each contact variable. Limits per channel:
//   whatsapp 1024 (the body limit of a WhatsApp message template, so copy can become one),
//   facebook (Messenger) and instagram 1000 (Instagram's direct-message limit; Messenger allows
//   2000, kept at 1000 so one text fits both), all: 1000.

#include <boost/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "ai_types.h"
#include "llm_types.h"
#include "salesos/core/status.h"

namespace salesos::ai {

inline constexpr size_t kMaxGoalChars = 500;
inline constexpr int kDefaultVariantCount = 3;
inline constexpr int kMaxVariantCount = 10;
inline constexpr size_t kContactValueReserve = 30;
inline constexpr std::string_view kMessageGoals[] = {"outreach", "follow_up", "reactivation",
                                                     "announcement"};
inline constexpr std::string_view kMessageTones[] = {"friendly", "professional", "enthusiastic",
                                                     "casual"};
inline constexpr std::string_view kMessageChannels[] = {"facebook", "instagram", "whatsapp", "all"};

struct MessageRequest {
  std::string goal;     // one of kMessageGoals or free text of at most 500 characters; "": outreach
  std::string tone;     // one of kMessageTones; "": friendly
  std::string channel;  // one of kMessageChannels; "": all
  int count = 0;        // 1 .. 10; 0: 3
};

struct MessageVariant {
  std::string text;                    // with {{...}} template variables
  std::vector<std::string> variables;  // the ones it uses, in order of first use
};

// The request with its defaults filled in, or kInvalidArgument with one violation per bad field
// ("goal", "tone", "channel", "count").
Result<MessageRequest> NormalizeMessageRequest(const MessageRequest& request);

// The goal a request's goal text stands for: itself when it is one of kMessageGoals, else the
// nearest by keywords (en, fr, es, de, pt), else "outreach".
std::string_view ResolveGoal(std::string_view goal);

// Characters a message may have on `channel` (see above); 1000 for anything unknown.
size_t ChannelCharLimit(std::string_view channel);

// The characters `text` will have once rendered for `campaign` (see above).
size_t RenderedLength(std::string_view text, const CampaignFacts& campaign,
                      std::string_view business_name);

// `count` distinct variants for the normalized `request`, each within the channel's limit and
// using only known template variables. Fails as NormalizeMessageRequest does.
Result<std::vector<MessageVariant>> GenerateMessageVariants(const MessageRequest& request,
                                                            const CampaignFacts& campaign,
                                                            std::string_view business_name);

// The LLM call of the message_generation job: the campaign's facts (the exact price text, or that
// there is none), the variables, the limits, and the schema {variants: [{text, variables}]}.
LlmCall MessagesCall(const MessageRequest& request, const CampaignFacts& campaign,
                     std::string_view business_name);

// Refuses an answer with the wrong number of variants, a blank text, unknown template variables
// or a text over the channel's limit (invalid_output), a percentage the campaign never states
// (invalid_output), or a literal price that is neither the product's price nor a figure of the
// campaign's own text (wrong_price). "{{product.price}}" is always fine.
OutputValidator MessagesValidator(const MessageRequest& request, const CampaignFacts& campaign,
                                  std::string_view business_name);

// A number written in a text ("1,299.00", "49,99", "1 299", "$20", "20%"), outside any
// {{placeholder}}. The jobs' validators use it to refuse figures the data does not give.
struct TextFigure {
  std::string text;      // as written, without sign or unit ("1,299.00")
  double value = 0;      // 1299: one kind of separator before exactly 3 digits groups thousands
  bool money = false;    // a currency sign, code or word next to it, or exactly two decimals
  bool percent = false;  // followed by '%'
};
std::vector<TextFigure> FindFigures(std::string_view text);

// The variants of an answer MessagesValidator accepted, with their variables recomputed from the
// texts.
Result<std::vector<MessageVariant>> MessageVariantsFromOutput(const boost::json::object& output);

}  // namespace salesos::ai
