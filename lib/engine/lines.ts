/**
 * {@linkcode forEachLine}: the lines of a byte stream (an engine process's stdout or stderr).
 *
 * @module
 */

/**
 * Calls `fn` with each line of `stream` (without its newline) as it arrives, and with a last
 * line that has no newline, if any.
 *
 * @param stream UTF-8 bytes.
 * @param fn Called once per line, in order.
 * @returns Resolves when the stream has ended.
 */
export async function forEachLine(
  stream: ReadableStream<Uint8Array>,
  fn: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      fn(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  }
  if (buf) fn(buf);
}
