/**
 * The line that heads output printed while no op runs — by a timer or promise of code that
 * already finished. The code Worker puts it before the first such chunk of each stream after
 * an op ends; that output reaches the user with the next op's output (or the op waiting
 * first in line), which did not print it, so the header says where it came from.
 *
 * @module
 */

/** Heads idle output (see the module). */
export const IDLE_OUTPUT_HEADER =
  "[ipx: printed after an earlier task ended, while no task ran (a timer or promise of its code)]\n";
