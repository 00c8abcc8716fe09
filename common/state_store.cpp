#include "common/state_store.h"
