/** What a client saw of a streamed chat completion: reasoning deltas (either field) and the answer. */
export interface SeenStream {
  reasoning: string[];
  content: string;
}

export async function readStream(stream: AsyncIterable<{ choices: Array<{ delta?: unknown }> }>): Promise<SeenStream> {
  const seen: SeenStream = { reasoning: [], content: '' };
  for await (const chunk of stream) {
    const d = chunk.choices[0]?.delta as { reasoning?: string; reasoning_content?: string; content?: string } | undefined;
    const r = d?.reasoning ?? d?.reasoning_content;
    if (r) seen.reasoning.push(r);
    if (d?.content) seen.content += d.content;
  }
  return seen;
}
