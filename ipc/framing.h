#pragma once
// Placeholder; the framing helpers are written next.
