#pragma once

// The progress bar of the commands that take a while (generate, models pull), drawn on stderr
// over itself. Callers draw it only when stderr is a terminal.

#include <string>

namespace rendermart {

// "[#####.....]  50% detail", redrawn in place; the line is cleared past its end.
void draw_progress(double fraction, const std::string& detail = {});

// Ends the bar's line, so that what follows starts on a new one.
void end_progress();

}  // namespace rendermart
