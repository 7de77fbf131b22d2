#include "campaign_service.h"
