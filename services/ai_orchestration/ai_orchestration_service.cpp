#include "ai_orchestration_service.h"
