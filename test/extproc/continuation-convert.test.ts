/**
 * The converters that pass a follow-up's answer on in the client's own format, whatever the
 * engine's answer came as: Ollama's /api/generate lines as /v1 chat chunks (ollama-openai). Lines
 * split anywhere across chunks, characters split across chunks, an error line, a done line.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ollamaGenerateToOpenAiChat } from '../../src/extproc/continuation.js';
import { SseFramer } from '../../src/stream/sse.js';

const generateLines = (pieces: string[], done: Record<string, unknown> = { done_reason: 'stop', prompt_eval_count: 12, eval_count: pieces.length }) =>
  [...pieces.map((response) => ({ model: 'qwen3', created_at: '2026-12-05T00:00:00Z', response, done: false })), { model: 'qwen3', created_at: '2026-12-05T00:00:01Z', response: '', done: true, ...done }]
    .map((l) => `${JSON.stringify(l)}\n`)
    .join('');

/** Convert `text` fed in pieces cut at `cuts` (byte offsets), and read the SSE events that come out. */
function convert(text: string, cuts: number[] = []): Array<string> {
  const bytes = Buffer.from(text, 'utf8');
  const run = ollamaGenerateToOpenAiChat();
  const framer = new SseFramer();
  const out: string[] = [];
  let at = 0;
  for (const cut of [...new Set(cuts)].filter((c) => c > 0 && c < bytes.length).sort((a, b) => a - b).concat(bytes.length)) {
    for (const ev of framer.push(run(bytes.subarray(at, cut)))) out.push(ev.data ?? '');
    at = cut;
  }
  return out;
}

describe('Ollama /api/generate lines as /v1 chat chunks', () => {
  it('a chunk per piece of the answer, then the finish, the usage and [DONE], as Ollama\'s /v1 writes them', () => {
    const events = convert(generateLines(['The', ' answer', ' é✓']));
    expect(events.at(-1)).toBe('[DONE]');
    const json = events.slice(0, -1).map((e) => JSON.parse(e) as { object: string; choices: Array<{ delta: { content?: string }; finish_reason: string | null }>; usage?: Record<string, number> });
    expect(json.every((j) => j.object === 'chat.completion.chunk')).toBe(true);
    expect(json.slice(0, 3).map((j) => j.choices[0]!.delta.content)).toEqual(['The', ' answer', ' é✓']);
    expect(json[3]!.choices).toEqual([{ index: 0, delta: {}, finish_reason: 'stop' }]);
    expect(json[4]).toMatchObject({ choices: [], usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 } });
  });

  it('a length stop keeps its reason; an error line becomes an error event', () => {
    const events = convert(`${generateLines(['a'], { done_reason: 'length', prompt_eval_count: 1, eval_count: 1 })}`);
    expect(JSON.parse(events[1]!).choices[0].finish_reason).toBe('length');
    const failed = convert(`${JSON.stringify({ response: 'a', done: false })}\n${JSON.stringify({ error: 'model runner has unexpectedly stopped' })}\n`);
    expect(failed.map((e) => JSON.parse(e))).toEqual([expect.objectContaining({ choices: [{ index: 0, delta: { content: 'a' }, finish_reason: null }] }), { error: { message: 'model runner has unexpectedly stopped', type: 'api_error' } }]);
  });

  it('the same events wherever the bytes are cut (inside lines, inside characters)', () => {
    const text = generateLines(['Zwölf', ' 🙂 ', 'ünd', ' 终']);
    const whole = convert(text);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: Buffer.byteLength(text) }), { maxLength: 12 }), (cuts) => {
        expect(convert(text, cuts)).toEqual(whole);
      }),
    );
  });

  it("a line's logprobs go on its chunk, as /v1 writes them", () => {
    const entry = { token: 'Hi', logprob: -0.25, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.25, bytes: [72, 105] }] };
    const events = convert(`${JSON.stringify({ response: 'Hi', done: false, logprobs: [entry] })}\n`);
    expect(JSON.parse(events[0]!).choices).toEqual([{ index: 0, delta: { content: 'Hi' }, logprobs: { content: [entry] }, finish_reason: null }]);
  });

  it('a line that is not JSON, or not an object, is left out', () => {
    expect(convert(`not json\n[1,2]\n${generateLines([])}`).map((e) => (e === '[DONE]' ? e : JSON.parse(e).choices.length))).toEqual([1, 0, '[DONE]']);
  });
});
