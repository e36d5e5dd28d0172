/**
 * {@linkcode lines} and {@linkcode forEachLine}: the lines of a byte stream (an engine process's stdout or stderr).
 *
 * @module
 */

/**
 * The lines of `stream` (without their newline) as they arrive, and a last line that has no
 * newline, if any.
 *
 * @param stream UTF-8 bytes.
 * @returns The lines, in order; ends when the stream does.
 */
export async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buf = "";
  for await (const chunk of stream) {
    buf += decoder.decode(chunk, { stream: true });
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      yield buf.slice(0, i);
      buf = buf.slice(i + 1);
    }
  }
  if (buf) yield buf;
}

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
  for await (const line of lines(stream)) fn(line);
}
