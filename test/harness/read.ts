/**
 * A streamed response body read as a client reads it: chunk by chunk, the text so far checked
 * after each, until `until(text)` holds or the body ends, at most `maxReads` chunks (a loop that
 * stops by itself). Returns the text read; the body stays locked and open, for the caller to leave
 * (abort) or to let end. A read the caller's abort interrupts throws, as the reader does.
 */
export async function readUntil(body: ReadableStream<Uint8Array>, until: (text: string) => boolean, maxReads = 10_000): Promise<string> {
  const reader = body.getReader();
  let text = '';
  for (let i = 0; i < maxReads; i++) {
    const { value, done } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
    if (until(text)) break;
  }
  return text;
}
