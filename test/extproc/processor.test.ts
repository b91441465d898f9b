import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { RequestRecord } from '../../src/accounting/record.js';
import { RequestProcessor } from '../../src/extproc/processor.js';
import type { ProcessingRequest, ProcessingResponse } from '../../src/extproc/proto.js';

const log = pino({ level: 'silent' });
const hv = (o: Record<string, string>) => ({ headers: { headers: Object.entries(o).map(([key, v]) => ({ key, raw_value: Buffer.from(v) })) } });

function processor(config: Config, more: { emit?: (r: ProcessingResponse) => void; log?: pino.Logger } = {}) {
  const records: RequestRecord[] = [];
  const p = new RequestProcessor({ config, log: more.log ?? log, onFinish: (r) => records.push(r), emit: more.emit });
  const send = async (req: ProcessingRequest) => await p.handle(req);
  return { p, records, send };
}

const chatHeaders = (): ProcessingRequest => ({ request: 'request_headers', request_headers: hv({ ':method': 'POST', ':path': '/v1/chat/completions', 'content-type': 'application/json' }) });
const body = (o: unknown, eos = true): ProcessingRequest => ({ request: 'request_body', request_body: { body: Buffer.from(JSON.stringify(o)), end_of_stream: eos } });
const respHeaders = (ct: string): ProcessingRequest => ({ request: 'response_headers', response_headers: hv({ ':status': '200', 'content-type': ct }) });
const respBody = (s: string, eos: boolean): ProcessingRequest => ({ request: 'response_body', response_body: { body: Buffer.from(s), end_of_stream: eos } });

function sse(reasoning: number, answer: number): string {
  let s = '';
  for (let i = 0; i < reasoning; i++) s += `data: ${JSON.stringify({ choices: [{ index: 0, delta: { reasoning: ' think' }, finish_reason: null }] })}\n\n`;
  for (let i = 0; i < answer; i++) s += `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: ' ok' }, finish_reason: null }] })}\n\n`;
  s += `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`;
  s += `data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 7, completion_tokens: reasoning + answer } })}\n\n`;
  return s + 'data: [DONE]\n\n';
}

describe("the gateway's request id", () => {
  /** A processor whose log lines are kept, parsed. */
  const logged = () => {
    const lines: Array<Record<string, unknown>> = [];
    const captured = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
    return { lines, ...processor(validateConfig({ defaultDialect: 'vllm' }), { log: captured }) };
  };

  it('labels the record and every log line of the request, beside thinkcap\'s own id', async () => {
    const { lines, records, p } = logged();
    const id = 'c0ffee00-1111-4222-8333-444455556666';
    await p.handle({ request: 'request_headers', request_headers: hv({ ':method': 'POST', ':path': '/v1/chat/completions', 'x-request-id': id }) });
    await p.handle(body({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hello' }] }));
    // A compressed answer cannot be read: passed on, with a warning for this request.
    await p.handle({ request: 'response_headers', response_headers: hv({ ':status': '200', 'content-type': 'text/event-stream', 'content-encoding': 'gzip' }) });
    p.close(false);
    const warning = lines.find((l) => l.msg === 'compressed response passed through without enforcement');
    expect(warning).toMatchObject({ req: p.id, requestId: id, encoding: 'gzip' });
    expect(records.map((r) => [r.id, r.requestId])).toEqual([[p.id, id]]);
  });

  it('is null, and absent from log lines, where the gateway sent none', async () => {
    const { lines, records, p } = logged();
    await p.handle(chatHeaders());
    await p.handle(body({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hello' }] }));
    await p.handle({ request: 'response_headers', response_headers: hv({ ':status': '200', 'content-type': 'text/event-stream', 'content-encoding': 'br' }) });
    p.close(false);
    const warning = lines.find((l) => l.msg === 'compressed response passed through without enforcement')!;
    expect(warning.req).toBe(p.id);
    expect('requestId' in warning).toBe(false);
    expect(records[0]!.requestId).toBeNull();
  });
});

describe('RequestProcessor, phase by phase', () => {
  it('a request that is not a chat is handed to the pass-through: Envoy is told to skip the rest', async () => {
    const { send, records, p } = processor(validateConfig({}));
    const [res] = await send({ request: 'request_headers', request_headers: hv({ ':method': 'GET', ':path': '/v1/models' }) });
    expect(res!.mode_override).toEqual({ request_body_mode: 'NONE', response_header_mode: 'SKIP', response_body_mode: 'NONE' });
    expect(await send(respHeaders('application/json'))).toEqual([{ response_headers: {} }]);
    p.close(false);
    expect(records[0]!.outcome).toBe('passthrough');
  });

  it('a chat request: rewritten body with length and tier headers, the stream rewritten, and one record with token-priced cost', async () => {
    const { send, records } = processor(validateConfig({ defaultDialect: 'vllm', spend: { pricing: { promptUsdPerMTok: 1, completionUsdPerMTok: 2 } } }));
    const [h] = await send(chatHeaders());
    expect(h!.request_headers!.response!.header_mutation!.set_headers![0]!.header.key).toBe('accept-encoding');
    const [b] = await send(body({ model: 'm', stream: true, messages: [{ role: 'user', content: 'Hello' }] }));
    const mutated = b!.request_body!.response!;
    const sent = JSON.parse(mutated.body_mutation!.body!.toString('utf8')) as Record<string, unknown>;
    const set = Object.fromEntries(mutated.header_mutation!.set_headers!.map((x) => [x.header.key, x.header.raw_value.toString()]));
    expect(Number(set['content-length'])).toBe(mutated.body_mutation!.body!.length);
    expect(set['x-thinkcap-tier']).toBe('trivial');
    expect(sent.thinking_token_budget).toBe(Number(set['x-thinkcap-budget']));
    await send(respHeaders('text/event-stream'));
    const [out] = await send(respBody(sse(40, 3), true));
    const text = out!.response_body!.response!.body_mutation!.body!.toString('utf8');
    // Reasoning past the budget (32) dropped, usage the client did not ask for removed, the report added.
    expect(text.match(/"reasoning"/g)!.length).toBe(32);
    expect(text).not.toMatch(/"usage"/);
    expect(text).toMatch(/^: thinkcap tier=trivial budget=32 thinking_tokens=40 cost_usd=[\d.]+ cost_basis=tokens$/m);
    expect(out!.dynamic_metadata).toBeDefined();
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r.outcome).toBe('ok');
    expect(r.thinkingTokens).toBe(40);
    expect(r.completionTokens).toBe(43);
    expect(r.promptTokens).toBe(7);
    expect(r.costBasis).toBe('tokens');
    expect(r.costUsd).toBeCloseTo((7 * 1 + 43 * 2) / 1e6, 12);
    expect(r.energySource).toBeNull();
  });

  it('an unreadable body with spend on is refused, not forwarded, and recorded as rejected', async () => {
    const { send, records } = processor(validateConfig({ spend: { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 1 }] } }));
    await send(chatHeaders());
    const [res] = await send({ request: 'request_body', request_body: { body: Buffer.from([0xff, 0xfe]), end_of_stream: true } });
    expect(res!.immediate_response!.status!.code).toBe(400);
    expect(records[0]!.outcome).toBe('rejected');
  });

  it('a body out of order with spend on is refused even after a pass-through', async () => {
    const { send } = processor(validateConfig({ spend: { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 1 }] } }));
    const [res] = await send(body({ messages: [{ role: 'user', content: 'x' }] }));
    expect(res!.immediate_response!.status!.code).toBe(400);
  });

  it('an internal error: fail-closed answers 500 before the upstream call; fail-open passes the rest through', async () => {
    const closed = processor(validateConfig({ requests: { onInternalError: 'closed' } }));
    const [c] = closed.p.onError(chatHeaders(), new Error('boom'));
    expect(c!.immediate_response!.status!.code).toBe(500);
    expect(closed.records[0]!.outcome).toBe('error');
    const open = processor(validateConfig({ requests: { onInternalError: 'open' } }));
    expect(open.p.onError(chatHeaders(), new Error('boom'))).toEqual([{ request_headers: {} }]);
    expect(await open.send(respBody('x', true))).toEqual([{ response_body: {} }]);
  });

  it('Ollama NDJSON: reasoning counted and cut like SSE, the final line carries tier, budget, tokens and cost', async () => {
    const { send, records } = processor(validateConfig({ defaultDialect: 'ollama', match: { paths: ['/api/chat'] } }));
    await send({ request: 'request_headers', request_headers: hv({ ':method': 'POST', ':path': '/api/chat', 'content-type': 'application/json' }) });
    const [b] = await send(body({ model: 'q', messages: [{ role: 'user', content: 'Hello' }] }));
    const sent = JSON.parse(b!.request_body!.response!.body_mutation!.body!.toString('utf8')) as { think: boolean; options: { num_predict: number } };
    expect(sent.think).toBe(true);
    await send(respHeaders('application/x-ndjson'));
    let nd = '';
    for (let i = 0; i < 40; i++) nd += `${JSON.stringify({ model: 'q', message: { role: 'assistant', content: '', thinking: ' think' }, done: false })}\n`;
    nd += `${JSON.stringify({ model: 'q', message: { role: 'assistant', content: 'Hi' }, done: false })}\n`;
    nd += `${JSON.stringify({ model: 'q', message: { role: 'assistant', content: '' }, done: true, done_reason: 'stop', eval_count: 41, prompt_eval_count: 9 })}\n`;
    // Split mid-line: framing is by line, not by read.
    const [o1] = await send(respBody(nd.slice(0, 101), false));
    const [o2] = await send(respBody(nd.slice(101), true));
    const text = [o1, o2].map((o) => o!.response_body!.response?.body_mutation?.body?.toString('utf8') ?? '').join('');
    const lines = text.trim().split('\n').map((l) => JSON.parse(l) as { message: { thinking?: string }; done: boolean; thinkcap?: Record<string, unknown> });
    expect(lines.filter((l) => l.message.thinking).length).toBe(32);
    const last = lines.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.thinkcap).toMatchObject({ tier: 'trivial', budget: 32, thinking_tokens: 40, cost_basis: 'tokens' });
    expect(Number(last.thinkcap!.cost_usd)).toBeGreaterThan(0);
    expect(records[0]!.completionTokens).toBe(41);
    expect(records[0]!.promptTokens).toBe(9);
  });
});

describe('accounting labels and whole answers', () => {
  it('one vocabulary: energy sources and cost bases', async () => {
    const { energyLabel, costBasisOf } = await import('../../src/accounting/labels.js');
    expect(energyLabel('nvml')).toBe('measured-nvml');
    expect(energyLabel('dcgm')).toBe('measured-dcgm');
    expect(energyLabel('estimated')).toBe('estimated');
    const fig = (source: 'nvml' | 'estimated', costUsd: number | null) => ({ joules: 1, gpuSeconds: 1, costUsd, source, provisional: false });
    expect(costBasisOf(null)).toBe('tokens');
    expect(costBasisOf(fig('nvml', null))).toBe('tokens');
    expect(costBasisOf(fig('nvml', 0.1))).toBe('gpu');
    expect(costBasisOf(fig('estimated', 0.1))).toBe('estimated');
  });

  it('a whole JSON answer that needs no change is not rewritten: only the figure headers are set', async () => {
    const { send } = processor(validateConfig({ defaultDialect: 'vllm' }));
    await send(chatHeaders());
    await send(body({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }));
    const [h] = await send(respHeaders('application/json'));
    expect(h!.mode_override).toEqual({ response_body_mode: 'BUFFERED' });
    const answer = { choices: [{ index: 0, message: { role: 'assistant', reasoning: 'short', content: 'Hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 4, completion_tokens_details: { reasoning_tokens: 1 } } };
    const [out] = await send(respBody(JSON.stringify(answer), true));
    const r = out!.response_body!.response!;
    expect(r.body_mutation).toBeUndefined();
    const set = Object.fromEntries(r.header_mutation!.set_headers!.map((x) => [x.header.key, x.header.raw_value.toString()]));
    expect(set['x-thinkcap-thinking-tokens']).toBe('1');
    expect(set['x-thinkcap-cost-basis']).toBe('tokens');
    expect(set).not.toHaveProperty('content-length');
  });
});

describe('a reservation that arrives after the stream ended', () => {
  it('is released at once, not held until it expires (Envoy gave up waiting, or the client left)', async () => {
    const { SpendController } = await import('../../src/budget/spend.js');
    const { MemoryLedger } = await import('../../src/ledger/memory.js');
    const config = validateConfig({ spend: { enabled: true, pricing: { promptUsdPerMTok: 1000, completionUsdPerMTok: 0 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10 }] } });
    const ledger = new MemoryLedger();
    const reserve = ledger.reserve.bind(ledger);
    // A ledger that answers after the stream is gone (a loaded primary of serve --workers, a slow Redis).
    ledger.reserve = (...a) => new Promise((r) => setTimeout(() => r(reserve(...a)), 30));
    const spend = new SpendController(config, ledger, log);
    const p = new RequestProcessor({ config, log, onFinish: () => {}, spend });
    await p.handle(chatHeaders());
    const pending = p.handle(body({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }));
    expect(pending).toBeInstanceOf(Promise);
    p.close(true);
    expect(await pending).toEqual([]);
    await new Promise((r) => setTimeout(r, 20));
    const { windowBounds } = await import('../../src/ledger/windows.js');
    const key = `tenant:anonymous:day:${windowBounds('day', Date.now()).start}:usd`;
    const state = await spend.counterState({ key, scope: 'tenant', id: 'anonymous', window: 'day', unit: 'usd', limit: 10, resetAt: null, softFraction: 0.8 }, Date.now());
    expect(state.reserved).toBe(0);
    expect(state.spent).toBe(0);
  });
});

describe('a whole JSON answer longer than requests.maxResponseHoldBytes (full duplex holds it)', () => {
  it('is not held past the limit: the held headers go with what was held, the rest passes as it came, and the request is charged its reservation', async () => {
    const { SpendController } = await import('../../src/budget/spend.js');
    const { MemoryLedger } = await import('../../src/ledger/memory.js');
    const { windowBounds } = await import('../../src/ledger/windows.js');
    const config = validateConfig({
      defaultDialect: 'vllm',
      envoyBodyModes: { request: 'BUFFERED', response: 'FULL_DUPLEX_STREAMED' },
      requests: { maxResponseHoldBytes: 4096 },
      spend: { enabled: true, pricing: { promptUsdPerMTok: 1, completionUsdPerMTok: 100 }, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 10 }] },
    });
    const spend = new SpendController(config, new MemoryLedger(), log);
    const records: RequestRecord[] = [];
    const unread: string[] = [];
    const p = new RequestProcessor({ config, log, onFinish: (r) => records.push(r), spend, metrics: { chunk() {}, classify() {}, promptCounted() {}, responseUnread: (f) => unread.push(f) } });
    const key = `tenant:anonymous:day:${windowBounds('day', Date.now()).start}:usd`;
    const counter = () => spend.counterState({ key, scope: 'tenant', id: 'anonymous', window: 'day', unit: 'usd', limit: 10, resetAt: null, softFraction: 0.8 }, Date.now());
    await p.handle(chatHeaders());
    await p.handle(body({ model: 'm', max_tokens: 1000, messages: [{ role: 'user', content: 'Hello' }] }));
    const reserved = (await counter()).reserved;
    expect(reserved).toBeGreaterThan(0);
    expect(await p.handle({ request: 'response_headers', response_headers: hv({ ':status': '200', 'content-type': 'application/json' }) })).toEqual([]);
    // A short answer with a long logprobs list: 3 tokens of usage, ~10 KB of body.
    const answer = Buffer.from(JSON.stringify({ choices: [{ index: 0, message: { role: 'assistant', content: 'Hi' }, logprobs: { content: Array.from({ length: 200 }, (_, i) => ({ token: `t${i}`, logprob: -0.5 })) }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 3 } }));
    const pieces = [answer.subarray(0, 3000), answer.subarray(3000, 6000), answer.subarray(6000)];
    expect(await p.handle({ request: 'response_body', response_body: { body: pieces[0], end_of_stream: false } })).toEqual([]);
    const [headers, first] = await p.handle({ request: 'response_body', response_body: { body: pieces[1], end_of_stream: false } });
    const set = Object.fromEntries(headers!.response_headers!.response!.header_mutation!.set_headers!.map((x) => [x.header.key, x.header.raw_value.toString()]));
    expect(set['x-thinkcap-tier']).toBe('trivial');
    expect(set['x-thinkcap-unread']).toMatch(/longer than 4096 bytes/);
    expect(set).not.toHaveProperty('content-length');
    expect(first!.response_body!.response!.body_mutation!.streamed_response!.body!.equals(Buffer.concat(pieces.slice(0, 2)))).toBe(true);
    const [last] = await p.handle({ request: 'response_body', response_body: { body: pieces[2], end_of_stream: true } });
    expect(last!.response_body!.response!.body_mutation!.streamed_response).toMatchObject({ end_of_stream: true });
    expect(last!.response_body!.response!.body_mutation!.streamed_response!.body!.equals(pieces[2]!)).toBe(true);
    await p.settled();
    await new Promise((r) => setTimeout(r, 20));
    const after = await counter();
    // Charged the reservation, not the 3 tokens the (unread) usage says.
    expect(after.reserved).toBe(0);
    expect(after.spent).toBeCloseTo(reserved, 12);
    expect(unread).toEqual(['json']);
    expect(records[0]!.reason).toMatch(/passed unread; charged its reservation/);
  });
  it('STREAMED mode (Envoy buffers it): an answer past the limit goes unchanged, marked unread, with no figures', async () => {
    const { send, records } = processor(validateConfig({ defaultDialect: 'vllm', requests: { maxResponseHoldBytes: 1024 } }));
    await send(chatHeaders());
    await send(body({ model: 'm', messages: [{ role: 'user', content: 'Hello' }] }));
    const [h] = await send(respHeaders('application/json'));
    expect(h!.mode_override).toEqual({ response_body_mode: 'BUFFERED' });
    const answer = { choices: [{ index: 0, message: { role: 'assistant', reasoning: 'word '.repeat(500), content: 'Hi' }, finish_reason: 'stop' }], usage: { prompt_tokens: 3, completion_tokens: 504 } };
    const [out] = await send(respBody(JSON.stringify(answer), true));
    const r = out!.response_body!.response!;
    expect(r.body_mutation).toBeUndefined(); // reasoning past the budget (32) is not cut: it was not read
    const set = Object.fromEntries(r.header_mutation!.set_headers!.map((x) => [x.header.key, x.header.raw_value.toString()]));
    expect(set['x-thinkcap-unread']).toMatch(/longer than 1024 bytes/);
    expect(set).not.toHaveProperty('x-thinkcap-thinking-tokens');
    expect(set).not.toHaveProperty('x-thinkcap-cost-usd');
    expect(records[0]!.reason).toMatch(/passed unread/);
  });
});
