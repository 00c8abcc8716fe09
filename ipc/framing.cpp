#include "ipc/framing.h"
