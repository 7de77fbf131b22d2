#include "integration_service.h"
