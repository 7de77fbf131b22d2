#include "webhook_ingest_service.h"
