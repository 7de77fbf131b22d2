#include "conversation_service.h"
