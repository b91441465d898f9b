import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { THINKING_OFF, disableThinking } from '../../src/backends/openai.js';
import { sglangDialect } from '../../src/backends/sglang.js';
import { llamacppDialect } from '../../src/backends/llamacpp.js';
import { TEMPLATE_FACTS, templateFactsFor } from '../../src/backends/template-facts.js';
import { backendOptions } from '../../src/backends/registry.js';
import { validateConfig } from '../../src/config/load.js';
import { FORMAT_PROBE, continuationPrompt, startsInsideThink, thinkingFormat } from '../../src/backends/think-prompt.js';
import { engineOutcome } from '../../devkit/emulator/server.js';
import { packageRoot } from '../../src/paths.js';

/**
 * The generation prompts of the real chat templates llama.cpp keeps (the pinned llama-cpp-python
 * sdist's models/templates), rendered by HF transformers (scripts/record-template-renders.py): as
 * they are and with thinking switched off. What backends[].thinkPrefilled says of a template is
 * held to them.
 */
interface Renders {
  templates: Record<string, Record<'default' | 'enable_thinking=false' | 'thinking=false', string | null>>;
}
const RENDERS = JSON.parse(readFileSync(join(packageRoot(), 'test/fixtures/templates/generation-prompts.json'), 'utf8')) as Renders;
const SWITCHES = { default: {}, 'enable_thinking=false': { enable_thinking: false }, 'thinking=false': { thinking: false } } as const;

/** The generation prompt leaves a think block open: the model's first token is thinking. */
const opensThink = (prompt: string | null) => prompt !== null && /<think>\s*$/.test(prompt);

const opening = Object.entries(RENDERS.templates).filter(([, r]) => opensThink(r.default));
/** `thinkPrefilled: true`: open unless enable_thinking is false (the schema's list). */
const WITH_SWITCH = ['GLM-4.7-Flash', 'NVIDIA-Nemotron-3-Nano-30B-A3B-BF16', 'Qwen3.5-4B', 'Spark2.5', 'inclusionai-ling-3.0-flash', 'poolside-Laguna-S-2.1'];
/** `thinkPrefilled: always` (the schema's list). */
const ALWAYS = ['MiniMax-M2', 'NVIDIA-Nemotron-Nano-v2', 'StepFun3.5-Flash', 'deepseek-ai-DeepSeek-R1-Distill-Llama-8B', 'llama-cpp-deepseek-r1'];

describe('thinkPrefilled against the real templates’ generation prompts', () => {
  it('the recording holds most of the templates, and the ones that open a think block are the two lists', () => {
    expect(Object.keys(RENDERS.templates).length).toBeGreaterThanOrEqual(60);
    expect(opening.map(([name]) => name).sort()).toEqual([...WITH_SWITCH, ...ALWAYS].sort());
    for (const [name, r] of opening) expect(opensThink(r['enable_thinking=false']), name).toBe(ALWAYS.includes(name));
  });

  it('at a zero budget (thinkcap’s switches, as the recording used them) no generation prompt leaves thinking open but the five that ignore every switch', () => {
    const ZERO = 'thinkcap zero budget' as const;
    const all = RENDERS.templates as Record<string, Record<string, string | null>>;
    const r0: Record<string, unknown> = {};
    disableThinking(r0);
    expect(r0.chat_template_kwargs).toEqual(THINKING_OFF);
    expect(THINKING_OFF).toEqual({ enable_thinking: false, thinking: false, reasoning: false, thinking_budget: 0 });
    // Any thinking opener a recorded template ends its generation prompt with.
    const opens = (p: string | null) => p !== null && /(?:<think>|<\|START_THINKING\|>|<seed:think>|<\|open\|>think<\|sep\|>)\s*$/.test(p);
    const stillOpen = Object.entries(all).filter(([, r]) => opens(r[ZERO] ?? null)).map(([name]) => name).sort();
    expect(stillOpen).toEqual([...ALWAYS].sort());
    // Cohere's closes on `reasoning`, Seed-OSS's writes a closed block for a budget of 0: read from their templates.
    expect(all['Cohere2MoE']![ZERO]!.endsWith('<|START_THINKING|><|END_THINKING|>')).toBe(true);
    expect(all['ByteDance-Seed-OSS']![ZERO]!).toMatch(/<seed:think>[^]*budget is 0[^]*<\/seed:think>$/);
  });

  it('no template closes an opened block on `thinking: false` alone: enable_thinking is the switch read', () => {
    for (const [name, r] of opening) expect(opensThink(r['thinking=false']), name).toBe(true);
  });

  it('startsInsideThink says what each template renders, for every switch and for thinkcap’s own zero budget', () => {
    for (const [name, r] of opening) {
      const setting = ALWAYS.includes(name) ? 'always' : true;
      for (const [label, kwargs] of Object.entries(SWITCHES) as Array<[keyof typeof SWITCHES, Record<string, boolean>]>) {
        expect(startsInsideThink(setting, { chat_template_kwargs: kwargs }), `${name} ${label}`).toBe(opensThink(r[label]));
      }
      // At a zero budget thinkcap writes both switches (openai.ts disableThinking).
      const zero: Record<string, unknown> = { chat_template_kwargs: { thinking: true } };
      disableThinking(zero);
      expect(startsInsideThink(setting, zero), `${name} zero budget`).toBe(opensThink(r['enable_thinking=false']));
    }
    expect(startsInsideThink(false, {})).toBe(false);
    expect(startsInsideThink(undefined, { chat_template_kwargs: { enable_thinking: true } })).toBe(false);
    expect(startsInsideThink(true, { chat_template_kwargs: 'not an object' })).toBe(true);
  });

  it('the emulator’s generic model follows the same templates: no tag at all where the template closed the block', () => {
    const off = { messages: [{ role: 'user', content: 'Hi' }], chat_template_kwargs: { enable_thinking: false } };
    expect(engineOutcome('generic', off, { dialect: 'generic', thinkPrefilled: true }).thinkClosedByTemplate).toBe(true);
    expect(engineOutcome('generic', off, { dialect: 'generic', thinkPrefilled: 'always' }).thinkClosedByTemplate).toBe(false);
    expect(engineOutcome('generic', { messages: off.messages }, { dialect: 'generic', thinkPrefilled: true }).thinkClosedByTemplate).toBe(false);
  });
});

describe('SGLang continuation after a generation prompt that opens <think>', () => {
  // SGLang renders the conversation with add_generation_prompt and appends the final assistant
  // message's text (serving_chat.py: _handle_last_assistant_message, _append_assistant_prefix_to_prompt_ids).
  const continued = (setting: boolean | 'always', generationPrompt: string) => {
    const config = validateConfig({ backends: [{ name: 'b', dialect: 'sglang', thinkPrefilled: setting }] });
    const dialect = sglangDialect(backendOptions(config, config.backends[0]));
    const original = { model: 'm', messages: [{ role: 'user', content: 'What is 1+2?' }] };
    const c = dialect.buildContinuation!(original, '\nLet me add them\n', 'The sum', 64, 10);
    const messages = c.body.messages as Array<{ role: string; content: string }>;
    return generationPrompt + messages.at(-1)!.content;
  };
  const opens = (s: string) => s.split('<think>').length - 1;

  it('every recorded template that opens the block: one <think>, the thinking, one </think>, the answer so far', () => {
    for (const [name, r] of opening) {
      const prompt = continued(ALWAYS.includes(name) ? 'always' : true, r.default!);
      expect(opens(prompt), name).toBe(1);
      expect(prompt.endsWith('Let me add them\n</think>\n\nThe sum'), name).toBe(true);
      // Without the setting the block was opened twice.
      expect(opens(continued(false, r.default!)), name).toBe(2);
    }
  });

  it('templates that leave the block to the model (Qwen3’s) still get it opened in the prefill', () => {
    const qwen3 = RENDERS.templates['Qwen-Qwen3-0.6B']!.default!;
    expect(opensThink(qwen3)).toBe(false);
    expect(opens(continued(false, qwen3))).toBe(1);
  });
});

describe('the raw continuation’s thinking format, against each template’s own finished turn', () => {
  const FULL = JSON.parse(readFileSync(join(packageRoot(), 'test/fixtures/templates/generation-prompts.json'), 'utf8')) as Renders & {
    thinking: string;
    answer: string;
    probe: typeof FORMAT_PROBE;
    templates: Record<string, { default: string | null; finished?: string | null; probe?: string | null }>;
  };
  const strip = (s: string) => s.replace(/\s+/g, '');
  /** Templates whose finished turn holds the thinking and the answer (the others drop it: nothing to match). */
  const withThinking = Object.entries(FULL.templates).filter(([, r]) => r.default && r.finished?.includes(FULL.thinking) && r.finished.includes(FULL.answer));
  /**
   * Not matched, and why: Apriel 1.6's and Solar Open's templates drop an earlier turn's reasoning
   * (the probe sees none; their finished turn writes it without `<think>`); Laguna XS's and Hy3's
   * generation prompts close thinking unless a request turns it on (no thinking to continue).
   */
  const UNMATCHED = ['Apriel-1.6-15b-Thinker-fixed', 'poolside-Laguna-XS-2.1', 'poolside-Laguna-XS.2', 'tencent-Hy3', 'upstage-Solar-Open-100B'];

  it('the recorded probe is thinkcap’s', () => {
    expect(FULL.probe).toEqual(FORMAT_PROBE);
  });

  it('generation prompt + continuation reads as the template writes the finished turn, up to the answer (line breaks aside)', () => {
    const matched: string[] = [];
    for (const [name, r] of withThinking) {
      const format = r.probe ? thinkingFormat(r.default!, r.probe) : null;
      const want = strip(r.finished!.slice(0, r.finished!.indexOf(FULL.answer) + FULL.answer.length));
      const got = strip(continuationPrompt(r.default!, FULL.thinking, FULL.answer, format));
      if (want === got) matched.push(name);
      else expect(UNMATCHED, `${name}: ${got.slice(-80)} for ${want.slice(-80)}`).toContain(name);
    }
    // Among them, formats other than <think> that the default got wrong.
    expect(matched).toEqual(expect.arrayContaining(['ByteDance-Seed-OSS', 'Cohere2MoE', 'Kimi-K3', 'MiniMax-M3', 'muse-glimmer', 'Qwen3.5-4B', 'Qwen-Qwen3-0.6B', 'openai-gpt-oss-120b']));
    expect(matched.length).toBe(withThinking.length - UNMATCHED.length);
  });

  it('the default alone (no probe) got the other formats wrong: what the probe is for (README: 14 of 24, now 19)', () => {
    const finishedUpToAnswer = (r: { finished?: string | null }) => strip(r.finished!.slice(0, r.finished!.indexOf(FULL.answer) + FULL.answer.length));
    for (const name of ['ByteDance-Seed-OSS', 'Cohere2MoE', 'Kimi-K3', 'MiniMax-M3']) {
      const r = FULL.templates[name]!;
      expect(strip(continuationPrompt(r.default!, FULL.thinking, FULL.answer)), name).not.toBe(finishedUpToAnswer(r));
    }
    expect(withThinking.length).toBe(24);
    expect(withThinking.filter(([, r]) => strip(continuationPrompt(r.default!, FULL.thinking, FULL.answer)) === finishedUpToAnswer(r)).length).toBe(14);
  });

  it('Ollama’s Gemma 4 renderer, as model/renderers/gemma4.go writes a turn (thinking kept after the last user message, so the probe’s assistant message goes last there)', () => {
    const generation = '<|turn>user\nWhat is 1+2?<turn|>\n<|turn>model\n';
    const probe = '<|turn>user\nthinkcap-probe-question<turn|>\n<|turn>model\n<|channel>thought\nthinkcap-probe-reasoning\n<channel|>thinkcap-probe-answer<turn|>\n<|turn>model\n';
    const format = thinkingFormat(generation, probe);
    expect(format).toEqual({ open: '<|channel>thought\n', close: '\n<channel|>' });
    expect(continuationPrompt(generation, '\nadd them\n', 'The sum', format)).toBe(`${generation}<|channel>thought\nadd them\n<channel|>The sum`);
  });

  it('thinkingFormat: none where the probe shows no reasoning or a <think> block; the template’s markers otherwise', () => {
    expect(thinkingFormat('<|im_start|>assistant\n', '<|im_start|>user\nthinkcap-probe-question<|im_end|>\n<|im_start|>assistant\nthinkcap-probe-answer<|im_end|>\n')).toBeNull();
    expect(thinkingFormat('<|im_start|>assistant\n', '<|im_start|>assistant\n<think>\nthinkcap-probe-reasoning\n</think>\n\nthinkcap-probe-answer')).toBeNull();
    expect(thinkingFormat('<|CHATBOT_TOKEN|><|START_THINKING|>', 'x<|CHATBOT_TOKEN|><|START_THINKING|>thinkcap-probe-reasoning<|END_THINKING|><|START_TEXT|>thinkcap-probe-answer')).toEqual({ open: '', close: '<|END_THINKING|><|START_TEXT|>' });
    expect(thinkingFormat('<seed:bos>assistant\n', '<seed:bos>assistant\n<seed:think>thinkcap-probe-reasoning</seed:think>\nthinkcap-probe-answer')).toEqual({ open: '<seed:think>', close: '</seed:think>\n' });
    // The answer before the reasoning, or no answer: no format.
    expect(thinkingFormat('a', 'a thinkcap-probe-answer thinkcap-probe-reasoning')).toBeNull();
    // A long rendering (a template echoing a client's kwargs) is looked into only near the reasoning.
    const huge = `${'x'.repeat(2_000_000)}<seed:bos>assistant\n<seed:think>thinkcap-probe-reasoning</seed:think>\nthinkcap-probe-answer`;
    expect(thinkingFormat(`${'y'.repeat(100_000)}<seed:bos>assistant\n`, huge)).toEqual({ open: '<seed:think>', close: '</seed:think>\n' });
    // The header more than 4 KiB before the reasoning is not looked for: no format (the default).
    expect(thinkingFormat('<seed:bos>assistant\n', `<seed:bos>assistant\n${'z'.repeat(5000)}thinkcap-probe-reasoning</seed:think>thinkcap-probe-answer`)).toBeNull();
  });
});

describe("vLLM's continuation forms against every recorded template (HF's continue_final_message)", () => {
  type Row = { finished?: string | null; 'continued think-block'?: string | null; 'continued reasoning'?: string | null };
  const ALL = (JSON.parse(readFileSync(join(packageRoot(), 'test/fixtures/templates/generation-prompts.json'), 'utf8')) as { thinking: string; templates: Record<string, Row> });
  const strip = (s: string) => s.replace(/\s+/g, '');
  const verdict = (r: Row, form: 'continued think-block' | 'continued reasoning') => {
    const rendered = r[form];
    if (rendered === null || rendered === undefined) return 'refused';
    const truth = strip(r.finished!.slice(0, r.finished!.indexOf('The sum') + 'The sum'.length));
    return strip(rendered) === truth ? 'as the template writes it' : rendered.includes(ALL.thinking) ? 'text' : 'thinking dropped';
  };

  it('where a template renders a finished turn’s thinking (24), the reasoning form reads as it does in every one; the block in 6, refused in 7, text in 11 (openai.ts)', () => {
    const rendering = Object.values(ALL.templates).filter((r) => r.finished?.includes(ALL.thinking));
    expect(rendering).toHaveLength(24);
    expect(rendering.every((r) => verdict(r, 'continued reasoning') === 'as the template writes it')).toBe(true);
    const block = rendering.map((r) => verdict(r, 'continued think-block'));
    expect([block.filter((v) => v === 'as the template writes it').length, block.filter((v) => v === 'refused').length, block.filter((v) => v === 'text').length]).toEqual([6, 7, 11]);
  });

  it('where a template drops a message’s reasoning, the reasoning form loses the thinking and the block carries it wherever it is not refused', () => {
    const dropping = Object.values(ALL.templates).filter((r) => r.finished && !r.finished.includes(ALL.thinking));
    expect(dropping.length).toBeGreaterThan(30);
    for (const r of dropping) {
      if (r['continued reasoning']) expect(r['continued reasoning'].includes(ALL.thinking)).toBe(false);
      if (r['continued think-block']) expect(r['continued think-block'].includes(ALL.thinking)).toBe(true);
    }
  });
});

describe('backends[].thinkingFormat: the template’s own markers, where thinkcap cannot learn them (SGLang)', () => {
  const FULL = JSON.parse(readFileSync(join(packageRoot(), 'test/fixtures/templates/generation-prompts.json'), 'utf8')) as {
    thinking: string;
    answer: string;
    templates: Record<string, { default: string | null; finished?: string | null; probe?: string | null }>;
  };
  const strip = (s: string) => s.replace(/\s+/g, '');
  const sglang = (thinkingFormat: { open: string; close: string }) => {
    const config = validateConfig({ backends: [{ name: 'b', dialect: 'sglang', thinkingFormat }] });
    return sglangDialect(backendOptions(config, config.backends[0]));
  };

  it('Seed-OSS’s and Cohere’s markers, as the README gives them: SGLang’s prompt reads as the template writes the finished turn', () => {
    for (const [name, format] of [
      ['ByteDance-Seed-OSS', { open: '<seed:think>', close: '</seed:think>\n' }],
      ['Cohere2MoE', { open: '', close: '<|END_THINKING|><|START_TEXT|>' }],
    ] as const) {
      const r = FULL.templates[name]!;
      const c = sglang(format).buildContinuation!({ model: 'm', messages: [{ role: 'user', content: 'What is 1+2?' }] }, FULL.thinking, FULL.answer, 64, 10);
      const prefill = (c.body.messages as Array<{ content: string }>).at(-1)!.content;
      // SGLang appends the prefill to its rendering with the generation prompt (serving_chat.py).
      expect(strip(r.default! + prefill), name).toBe(strip(r.finished!.slice(0, r.finished!.indexOf(FULL.answer) + FULL.answer.length)));
    }
  });

  it('the format the llama.cpp probe learns is the one to configure: for every template it learns one from, SGLang with it reads as the template', () => {
    let learnt = 0;
    for (const [name, r] of Object.entries(FULL.templates)) {
      const format = r.default && r.probe ? thinkingFormat(r.default, r.probe) : null;
      if (format === null || !r.finished?.includes(FULL.answer)) continue;
      learnt++;
      const c = sglang(format).buildContinuation!({ model: 'm', messages: [{ role: 'user', content: 'q' }] }, FULL.thinking, FULL.answer, 64, 10);
      const prefill = (c.body.messages as Array<{ content: string }>).at(-1)!.content;
      expect(strip(r.default + prefill), name).toBe(strip(r.finished.slice(0, r.finished.indexOf(FULL.answer) + FULL.answer.length)));
    }
    expect(learnt).toBeGreaterThanOrEqual(5);
  });

  it('llama.cpp with the format configured sends no probe and uses it', () => {
    const config = validateConfig({ backends: [{ name: 'b', dialect: 'llamacpp', url: 'http://127.0.0.1:1', thinkingFormat: { open: '<seed:think>', close: '</seed:think>\n' } }] });
    const c = llamacppDialect(backendOptions(config, config.backends[0])).buildContinuation!({ model: 'm', messages: [{ role: 'user', content: 'q' }] }, 'hmm', '', 64, 10);
    expect(c.render!.probe).toBeUndefined();
    expect(c.render!.prompt({ prompt: '<seed:bos>assistant\n' }, { prompt: 'ignored' })).toBe('<seed:bos>assistant\n<seed:think>hmm</seed:think>\n');
  });

  it('the setting is checked: both strings, a closing one, bounded, nothing else', () => {
    expect(() => validateConfig({ backends: [{ name: 'b', dialect: 'sglang', thinkingFormat: { open: '<x>' } }] })).toThrow(/thinkingFormat/);
    expect(() => validateConfig({ backends: [{ name: 'b', dialect: 'sglang', thinkingFormat: { open: '', close: '' } }] })).toThrow(/thinkingFormat/);
    expect(() => validateConfig({ backends: [{ name: 'b', dialect: 'sglang', thinkingFormat: { open: '', close: 'x'.repeat(257) } }] })).toThrow(/thinkingFormat/);
    expect(() => validateConfig({ backends: [{ name: 'b', dialect: 'sglang', thinkingFormat: { open: '', close: '</t>', extra: 1 } }] })).toThrow(/thinkingFormat/);
  });
});

describe('template-facts.ts: each fact read from its recorded template', () => {
  const REC = JSON.parse(readFileSync(join(packageRoot(), 'test/fixtures/templates/generation-prompts.json'), 'utf8')) as {
    templates: Record<string, { default: string | null; 'enable_thinking=false': string | null; probe?: string | null }>;
  };

  it.each(TEMPLATE_FACTS.map((f) => [f.recorded, f] as const))('%s', (_, fact) => {
    const r = REC.templates[fact.recorded]!;
    expect(r, fact.recorded).toBeDefined();
    // The name matches the recorded template's own name.
    expect(fact.name.test(fact.recorded)).toBe(true);
    if (fact.thinkPrefilled !== undefined) {
      expect(opensThink(r.default)).toBe(true);
      expect(opensThink(r['enable_thinking=false'])).toBe(fact.thinkPrefilled === 'always');
    } else expect(opensThink(r.default)).toBe(false);
    if (fact.thinkingFormat !== undefined) expect(thinkingFormat(r.default!, r.probe!)).toEqual(fact.thinkingFormat);
  });

  it('served names of the families are recognised, and neighbours are not', () => {
    const facts = (m: string) => templateFactsFor(m).map((f) => f.recorded);
    expect(facts('Qwen/Qwen3.5-35B-A3B')).toEqual(['Qwen3.5-4B']);
    expect(facts('ByteDance-Seed/Seed-OSS-36B-Instruct')).toEqual(['ByteDance-Seed-OSS']);
    expect(facts('MiniMaxAI/MiniMax-M2')).toEqual(['MiniMax-M2']);
    expect(facts('nvidia/NVIDIA-Nemotron-Nano-9B-v2')).toEqual(['NVIDIA-Nemotron-Nano-v2']);
    for (const other of ['Qwen/Qwen3-8B', 'MiniMaxAI/MiniMax-M2.5', 'zai-org/GLM-4.6', 'deepseek-ai/DeepSeek-V3.1', 'm']) expect(facts(other), other).toEqual([]);
  });
});
