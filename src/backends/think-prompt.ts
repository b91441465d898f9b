import { hasMediaParts } from '../budget/prompt.js';
import { isRecord } from './types.js';

/** A harmony (gpt-oss) generation prompt: the assistant's header opened, its channel left to the model. */
const HARMONY_GENERATION_PROMPT = /<\|start\|>assistant$/;

/**
 * How a chat template writes a finished assistant turn's thinking, where it is not a `<think>`
 * block: what follows the generation prompt before the thinking (`open`: empty where the
 * generation prompt opened it) and what stands between the thinking and the answer (`close`).
 * Cohere's reasoning models: `<|START_THINKING|>` … `<|END_THINKING|><|START_TEXT|>`; Seed-OSS:
 * `<seed:think>` … `</seed:think>\n`; Kimi-K3: … `<|close|>think<|sep|><|open|>response<|sep|>`.
 */
export interface ThinkingFormat {
  readonly open: string;
  readonly close: string;
}

/** The marked texts of the conversations thinkcap renders to learn how a template writes thinking (probeMessages). */
export const FORMAT_PROBE = { question: 'thinkcap-probe-question', reasoning: 'thinkcap-probe-reasoning', answer: 'thinkcap-probe-answer', next: 'thinkcap-probe-next' } as const;

/**
 * A probe conversation: a question, then an assistant turn with an answer and, where `reasoning`
 * is given, that reasoning under the engine's field for it (llama.cpp `reasoning_content`, Ollama
 * `thinking`, vLLM `reasoning`). `userLast`: a user turn after it, so that the template renders a
 * finished turn (on llama.cpp an assistant message last is the engine's own continuation, not the
 * template's); without it the assistant turn is last, as templates that keep thinking only after
 * the last user message (Ollama's Gemma 4 and Qwen3.5 renderers) need, or as a continued message.
 */
export function probeMessages(field: 'reasoning_content' | 'thinking' | 'reasoning', reasoning: string | undefined, userLast: boolean): Array<Record<string, unknown>> {
  const assistant: Record<string, unknown> = { role: 'assistant', content: FORMAT_PROBE.answer };
  if (reasoning !== undefined) assistant[field] = reasoning;
  const messages = [{ role: 'user', content: FORMAT_PROBE.question }, assistant];
  return userLast ? [...messages, { role: 'user', content: FORMAT_PROBE.next }] : messages;
}

/** Longest suffix of the generation prompt looked for in the probe (past it, the suffix holds the conversation's own text). */
const MAX_HEADER = 256;
/** How far before the probe's reasoning that suffix is looked for. */
const MAX_LOOK_BACK = 4096;

/**
 * The template's thinking format, from its rendering of the probe conversation and the generation
 * prompt it rendered for this request; null where the probe shows no reasoning, or shows a
 * `<think>` block (continuationPrompt's own handling, measured on real engines, stays). `open`
 * is what the probe's assistant turn holds before the thinking past the longest end of the
 * generation prompt found in it (the assistant header, and the opening tag where the generation
 * prompt has it too). Pure.
 */
export function thinkingFormat(generationPrompt: string, probe: string): ThinkingFormat | null {
  const r = probe.indexOf(FORMAT_PROBE.reasoning);
  const a = r < 0 ? -1 : probe.indexOf(FORMAT_PROBE.answer, r + FORMAT_PROBE.reasoning.length);
  if (a < 0) return null;
  const close = probe.slice(r + FORMAT_PROBE.reasoning.length, a);
  // The assistant header sits just before the reasoning: a bounded look back (a rendering can be
  // long, and each suffix tried is a search of it).
  const before = probe.slice(Math.max(0, r - MAX_LOOK_BACK), r);
  let open: string | null = null;
  for (let n = Math.min(MAX_HEADER, generationPrompt.length); n > 0 && open === null; n--) {
    const at = before.lastIndexOf(generationPrompt.slice(generationPrompt.length - n));
    if (at >= 0) open = before.slice(at + n);
  }
  if (open === null) return null;
  if (close.trim() === '</think>' && (open.trim() === '' || open.trim() === '<think>')) return null;
  return { open, close };
}

/**
 * The raw prompt a continuation completes: the engine's own rendering of the conversation (its
 * template, generation prompt included), the thinking so far, the end of thinking (the `</think>`
 * tag, the template's own where `format` gives it, or harmony's end of the analysis message and
 * the final channel's header), and the answer so far. Pure; shared by the dialects that continue
 * a raw prompt (llama.cpp, Ollama).
 */
export function continuationPrompt(rendered: string, thinking: string, answerSoFar: string, format: ThinkingFormat | null = null): string {
  if (format !== null) return rendered + thinkingPrefill(format, thinking, answerSoFar);
  if (HARMONY_GENERATION_PROMPT.test(rendered)) {
    // gpt-oss (OpenAI's harmony format): thinking is the analysis channel's message and the
    // answer the final channel's; a `<think>` block there is text the model never saw as a turn
    // boundary. Both engines' gpt-oss templates end the generation prompt at `<|start|>assistant`
    // (llama.cpp's jinja, Ollama's template), the header the model writes the channel after.
    return rendered + harmonyAnswerPrefill(thinking, answerSoFar);
  }
  let open = '';
  if (!/<think>\s*$/.test(rendered)) {
    // Templates that leave the think block to the model (Qwen3's): the model opened it.
    open = '<think>\n';
  } else if (rendered.endsWith('<think>') && !/^\s/.test(thinking)) {
    // The generation prompt ends at the tag and the model wrote the line break itself, but the
    // engines' reasoning parsers hand the thinking back trimmed: put it back, or the model reads
    // a prompt it never wrote (measured on the quality benchmark's model: 1.7 points lost).
    open = '\n';
  }
  const sep = thinking.endsWith('\n') ? '' : '\n';
  return `${rendered}${open}${thinking}${sep}</think>\n\n${answerSoFar}`;
}

/** The thinking so far between a template's own markers, then the answer so far (what follows a generation prompt). */
export function thinkingPrefill(format: ThinkingFormat, thinking: string, answerSoFar: string): string {
  return `${format.open}${trimLineBreaks(thinking, true)}${format.close}${answerSoFar}`;
}

/**
 * Whether the response to this request starts inside a think block its chat template opened
 * (backends[].thinkPrefilled), from the body as sent upstream. Templates that open the block in
 * their generation prompt and read enable_thinking close it there when it is false, and the model
 * writes the answer alone: read as thinking, that answer was dropped at a zero budget (where
 * thinkcap itself turns thinking off) and cut at the budget where a client turned it off. Of the
 * real templates rendered (test/fixtures/templates/generation-prompts.json), every one that opens
 * the block and has a switch reads enable_thinking; `thinking` (DeepSeek-V3.1's) opens none.
 */
export function startsInsideThink(prefilled: boolean | 'always' | undefined, sent: Record<string, unknown>): boolean {
  if (prefilled === 'always') return true;
  if (prefilled !== true) return false;
  return !(isRecord(sent.chat_template_kwargs) && sent.chat_template_kwargs.enable_thinking === false);
}

/**
 * What follows a harmony generation prompt (`<|start|>assistant`) in a continuation: the thinking
 * as the analysis channel's message, ended, and the final channel's header with the answer so
 * far, where the model goes on with its answer.
 */
export function harmonyAnswerPrefill(thinking: string, answerSoFar: string): string {
  return `<|channel|>analysis<|message|>${thinking}<|end|><|start|>assistant<|channel|>final<|message|>${answerSoFar}`;
}

/**
 * Whether a model of this name is served in OpenAI's harmony format (gpt-oss, under its usual
 * names). The engines decide by the model's own config (model_type gpt_oss); a request names only
 * the served name, which keeps "gpt-oss" unless the operator renamed it.
 */
export function servedByHarmony(model: unknown): boolean {
  return typeof model === 'string' && /gpt-oss/i.test(model);
}

/**
 * What a continuation by raw text (llama.cpp's rendered prompt completed, Ollama's raw
 * /api/generate) cannot give back of a chat request: tool calls (the engine's chat endpoint
 * parses them; a raw completion returns the model's call syntax as text) and media (the rendered
 * prompt is text; the images or audio are not in it). Null: nothing.
 */
export function rawContinuationLoses(body: Record<string, unknown>): string | null {
  if (Array.isArray(body.tools) && body.tools.length > 0) return 'tool calls (a raw completion returns them as text)';
  if (hasMediaParts(body.messages)) return 'media (a raw completion gets the rendered text, not the images or audio)';
  return null;
}

/** The text without the line feeds it starts with, and ends with where `end` (Python's strip of them); a regex for the end would go back over a long run from each of its starts. */
export function trimLineBreaks(s: string, end: boolean): string {
  let from = 0;
  let to = s.length;
  while (from < to && s.charCodeAt(from) === 10) from++;
  while (end && to > from && s.charCodeAt(to - 1) === 10) to--;
  return s.slice(from, to);
}
