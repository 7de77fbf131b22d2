#include "workspace_service.h"
