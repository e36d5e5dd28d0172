/**
 * The words an executor and its code Worker share (one `SharedArrayBuffer` of Int32s), so the
 * executor can hand the Worker several ops ahead and still know, exactly and without a message,
 * which one is running when it must stop or withdraw one.
 *
 * - `STOP`: non-zero asks the Worker to close itself (read by the loop checks in user code).
 * - `RUNNING`: the id of the op the Worker runs now, 0 between ops, {@linkcode LOCKED} while the
 *   executor decides something. The Worker starts an op only by changing it from 0 to the op's
 *   id (`compareExchange`), and sets it back to 0 when the op ends. The executor reads it with
 *   `compareExchange(0 → LOCKED)`: if it was 0 nothing runs and nothing can start until the
 *   executor stores 0 again (in the same synchronous step); otherwise the value is the running
 *   op, and no other op can start before it ends.
 * - `BARRIER`: ops sent with an epoch at or below it are not started; the Worker answers
 *   `skipped` for them and the executor sends them again (or drops a withdrawn one). Raised to
 *   recall everything sent so far; only ever grows.
 * - `LAST_STARTED`: the id of the last op the Worker started (ids grow in the order sent, and
 *   the Worker starts ops in that order), so an op with a greater id has not started.
 * - `OUTPUT`: characters of output the Worker has handed over that have not left the engine
 *   yet (the executor subtracts them once the engine has written them to its connection). The
 *   Worker waits while it is past {@linkcode OUTPUT_HIGH}: code printing faster than the
 *   connection takes it is slowed down instead of queueing gigabytes in the engine, and the
 *   engine's main thread is never buried in messages (it answered no heartbeat for seconds).
 *
 * @module
 */

/** Index of the stop flag. */
export const STOP = 0;
/** Index of the running op's id. */
export const RUNNING = 1;
/** Index of the recall barrier (an epoch). */
export const BARRIER = 2;
/** Index of the last started op's id. */
export const LAST_STARTED = 3;
/** Index of the output characters not written yet. */
export const OUTPUT = 4;
/** Words in the shared buffer. */
export const SLOTS = 5;
/** The Worker's output waits while more than this many characters have not left the engine. */
export const OUTPUT_HIGH = 1024 * 1024;
/** `RUNNING` while the executor holds it. */
export const LOCKED = -1;
/**
 * An op whose symlink check is older than this when the Worker reaches it (it waited behind a
 * longer op) is not started: the executor checks again and sends it anew, so no op starts
 * more than this long after the data dir was last found clean.
 */
export const FRESH_MS = 10;
