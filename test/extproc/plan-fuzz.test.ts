/**
 * Property test of the request side: whatever a client puts in a chat body that parseChatBody
 * accepts (any value in any field thinkcap reads, messages and content parts of any shape,
 * names every object inherits), planRequest decides without throwing, for every dialect and
 * enforcement mode, spend on and off. A throw there takes the internal-error path, which passes
 * the request through uncapped under onInternalError: open (a reasoning_effort of "constructor"
 * once did).
 */
import fc from 'fast-check';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { SpendController } from '../../src/budget/spend.js';
import { MemoryLedger } from '../../src/ledger/memory.js';
import { parseChatBody, planRequest, readRequestHead, READ_MESSAGE_FIELDS, READ_TOP_FIELDS } from '../../src/extproc/plan.js';

const log = pino({ level: 'silent' });

const BACKENDS = [
  { dialect: 'vllm' },
  { dialect: 'sglang', logitProcessor: 'P' },
  { dialect: 'sglang', strictThinking: true },
  { dialect: 'llamacpp' },
  { dialect: 'ollama', thinkLevels: true },
  { dialect: 'ollama', serverKeepAlive: '0' },
  { dialect: 'ollama-openai' },
  { dialect: 'generic', thinkPrefilled: true },
] as const;

const inherited = fc.constantFrom('constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf');
const value = fc.oneof(fc.anything({ maxDepth: 3 }), inherited, fc.constantFrom(-1, 0, 1.5, 2 ** 53, 1e308, -1e308, '', null, true, [], {}));
const part = fc.oneof(fc.record({ type: fc.oneof(fc.constantFrom('text', 'image_url', 'input_audio', 'video_url'), inherited), text: value, image_url: value }, { requiredKeys: [] }), value);
const message = fc.tuple(
  fc.record({ role: fc.oneof(fc.constantFrom('user', 'assistant', 'system', 'developer', 'tool'), inherited), content: fc.oneof(fc.string(), fc.array(part, { maxLength: 4 }), value) }, { requiredKeys: ['role'] }),
  fc.dictionary(fc.constantFrom(...READ_MESSAGE_FIELDS), value, { maxKeys: 3 }),
);
const topFields = fc.dictionary(fc.constantFrom(...READ_TOP_FIELDS), value, { maxKeys: 6 });

describe('planRequest on any body parseChatBody accepts', () => {
  const combinations = BACKENDS.flatMap((b) => (['native', 'continuation', 'rewrite'] as const).flatMap((enforcement) => [false, true].map((spendOn) => ({ ...b, enforcement, spendOn }))));
  it.each(combinations)(
    '$dialect $enforcement (spend on: $spendOn): decides, never throws',
    async ({ spendOn, ...backend }) => {
      const config = validateConfig({
        defaultDialect: backend.dialect,
        backends: [{ name: 'b', url: 'http://127.0.0.1:1', ...backend }],
        spend: spendOn ? { enabled: true, limits: [{ scope: 'tenant', id: '*', window: 'day', usd: 1e6 }] } : undefined,
      });
      const spend = spendOn ? new SpendController(config, new MemoryLedger(), log) : null;
      const path = backend.dialect === 'ollama' ? '/api/chat' : '/v1/chat/completions';
      let planned = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(message, { minLength: 1, maxLength: 4 }), topFields, async (messages, top) => {
          const text = JSON.stringify({ ...top, messages: messages.map(([m, extra]) => ({ ...extra, ...m })) });
          const parsed = parseChatBody(Buffer.from(text), 64, spendOn ? 16 : null);
          if (!parsed.ok) return;
          const head = readRequestHead(new Map([[':method', 'POST'], [':path', path], [config.identity.tenantHeader, 'acme']]), undefined, config);
          const out = await planRequest(head, parsed.json, parsed.messages, { config, spend, router: null }, { responseBodyMode: 'FULL_DUPLEX_STREAMED', deadline: Date.now() + 30_000 });
          expect(['forward', 'refuse']).toContain(out.kind);
          planned++;
        }),
        { numRuns: 250 },
      );
      // Most generated bodies get past parseChatBody: the property is not vacuous.
      expect(planned).toBeGreaterThan(100);
    },
  );
});
