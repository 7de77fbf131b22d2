#include "analytics_service.h"
