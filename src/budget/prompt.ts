import { messageText } from '../classify/text.js';
import { countTokensBefore, TOKENIZE_MAX_CHARS } from '../stream/tokens.js';

/** What the prompt-side bound assumes about the engine (spend.promptBound, per backend overhead). */
export interface PromptBoundOptions {
  /** The engine's tokenizer counts at most this many times the o200k count (non-English, code). */
  safetyFactor: number;
  /** Tokens the chat template adds (role markers, a default system prompt, generation prompt). */
  overheadTokens: number;
  /** Tokens one media part (image, audio, video) may cost; none when unset. */
  mediaPartTokens?: number;
  /**
   * Characters of each text counted exactly (TOKENIZE_MAX_CHARS unless told); past them the bound
   * is UTF-8 bytes. Fewer under a flood of large prompts (counting.ts): a looser bound, never a shorter one.
   */
  exactChars?: number;
  /**
   * performance.now() past which counting stops (checked between stretches of about 1 KiB) and
   * the rest is bounded by UTF-8 bytes: one prompt's counting time is bounded whatever it holds.
   */
  deadline?: number;
}

/**
 * The o200k tokens of a text, two ways, counted exactly on its first `exactChars` characters (at
 * most TOKENIZE_MAX_CHARS, 32 KiB; on ordinary text, see tokens.ts). `estimate`: the count, past
 * the head the head's count scaled by length (what is priced when an engine reports no usage).
 * `bound`: never fewer than the count, whatever the rest of the text holds: the head's count plus
 * the UTF-8 bytes of the rest, since no token is shorter than a byte. A scaled count can fall short
 * (English first, then a script that takes several tokens a character); the bound's price is about
 * four times the count on the part of a long English prompt past the head (exported for tests).
 */
export function textTokens(text: string, exactChars: number = TOKENIZE_MAX_CHARS, deadline = Infinity): { estimate: number; bound: number; cut: boolean } {
  const head = Math.max(1, Math.min(exactChars, TOKENIZE_MAX_CHARS));
  // Where the exact count may end: the head, not between the two halves of a surrogate pair.
  let headEnd = Math.min(head, text.length);
  if (headEnd < text.length) {
    const low = text.charCodeAt(headEnd);
    if (low >= 0xdc00 && low <= 0xdfff && headEnd > 1) headEnd--;
  }
  // Stretches end at word checkpoints or run cuts, never inside a pair (tokens.ts).
  const counted = countTokensBefore(headEnd === text.length ? text : text.slice(0, headEnd), deadline);
  if (counted.chars === text.length) return { estimate: counted.tokens, bound: counted.tokens, cut: false };
  const estimate = Math.ceil((counted.tokens * text.length) / counted.chars);
  // `cut`: the deadline stopped the count short of the head.
  return { estimate, bound: Math.max(estimate, counted.tokens + Buffer.byteLength(text.slice(counted.chars), 'utf8')), cut: counted.chars < headEnd };
}

/**
 * Content part types whose whole payload is text (counted with the messages' text). SGLang's
 * thinking parts may be typed "reasoning"; its (GLM) tool_reference parts name a tool whose schema
 * is in `tools`, counted there.
 */
const TEXT_PART_TYPES: ReadonlySet<string> = new Set(['text', 'input_text', 'output_text', 'refusal', 'thinking', 'reasoning', 'tool_reference']);
/** Keys an engine reads media from (OpenAI's, vLLM's simple and embeds forms, SGLang's, files). */
const MEDIA_PART_KEYS = ['image_url', 'image', 'image_pil', 'image_embeds', 'input_image', 'input_audio', 'audio_url', 'audio', 'audio_embeds', 'video_url', 'video', 'file', 'input_file'] as const;

/**
 * Parts of a message the engine turns into prompt tokens thinkcap cannot count (Ollama's
 * `images`; a content part that holds media, or whose type is not a text type): each adds
 * mediaPartTokens. A part counts whatever text it also carries: a `text` beside an `image_url`
 * does not make the image free (vLLM reads the image by the part's keys and type).
 */
function mediaParts(m: { content?: unknown; images?: unknown }): number {
  let n = Array.isArray(m.images) ? m.images.length : 0;
  if (Array.isArray(m.content)) {
    for (const part of m.content) {
      // A bare string is text (vLLM); numbers and the like an engine refuses.
      if (part === null || typeof part !== 'object') continue;
      const p = part as Record<string, unknown>;
      const type = p.type;
      if (typeof type !== 'string' || !TEXT_PART_TYPES.has(type) || MEDIA_PART_KEYS.some((k) => p[k] !== undefined && p[k] !== null)) n++;
    }
  }
  return n;
}

/** Does any message carry media (what a raw-text continuation cannot pass on)? */
export function hasMediaParts(messages: unknown): boolean {
  return Array.isArray(messages) && messages.some((m) => m !== null && typeof m === 'object' && mediaParts(m as { content?: unknown; images?: unknown }) > 0);
}

/** Message fields not counted as text beside the content: the role (the framing allows for it) and Ollama's images (media parts). */
const NOT_RENDERED_BESIDE: ReadonlySet<string> = new Set(['role', 'content', 'images']);

/**
 * What a template may render of a message besides its content: any other field (earlier
 * reasoning, tool calls, a name, SGLang's message-level `tools`; a chat template can read any key
 * of a message), strings as they are, the rest as JSON.
 */
function renderedBeside(m: Record<string, unknown>): string {
  let out = '';
  for (const k in m) {
    if (NOT_RENDERED_BESIDE.has(k)) continue;
    const v = m[k];
    if (v === undefined || v === null) continue;
    out += '\n' + (typeof v === 'string' ? v : JSON.stringify(v));
  }
  return out;
}

/** Request fields a chat template serialises into the prompt, or may. */
const TEMPLATE_INPUTS = ['tools', 'functions', 'response_format', 'documents', 'chat_template', 'chat_template_kwargs'] as const;

/**
 * An upper bound on the prompt tokens an engine will bill for this chat request: the o200k
 * bound of the messages (their texts, with every other field a template may render, plus 4
 * per message for the role framing) and of what templates serialise into the prompt (tools,
 * functions, a JSON schema, vLLM's documents, chat_template and its kwargs), times the tokenizer
 * safety factor, plus the template overhead and mediaPartTokens for each image, audio or video
 * part, or SGLang's `input_ids` where more; and the o200k estimate beside it. Pure.
 */
export function promptTokenBound(body: Record<string, unknown>, o: PromptBoundOptions): { estimate: number; bound: number; cut: boolean; media: number } {
  const messages = Array.isArray(body.messages) ? (body.messages as Array<Record<string, unknown>>) : [];
  let text = '';
  let media = 0;
  for (const m of messages) {
    text += messageText(m) + renderedBeside(m);
    media += mediaParts(m);
  }
  const counted = textTokens(text, o.exactChars, o.deadline);
  let estimate = counted.estimate + 4 * messages.length;
  let bound = counted.bound + 4 * messages.length;
  let cut = counted.cut;
  // And what a template may render beside the messages: vLLM takes a per-request chat_template
  // (its own text can be prompt), chat_template_kwargs and RAG documents.
  for (const k of TEMPLATE_INPUTS) {
    if (body[k] === undefined || body[k] === null) continue;
    const t = textTokens(JSON.stringify(body[k]), o.exactChars, o.deadline);
    estimate += t.estimate;
    bound += t.bound;
    cut ||= t.cut;
  }
  bound = Math.ceil(bound * o.safetyFactor) + o.overheadTokens + media * (o.mediaPartTokens ?? 0);
  // SGLang takes a chat's prompt as token ids when `input_ids` is set (its template and the
  // messages' text are then skipped): those are counted exactly, one token each.
  if (Array.isArray(body.input_ids)) {
    estimate = Math.max(estimate, body.input_ids.length);
    bound = Math.max(bound, body.input_ids.length);
  }
  return { estimate, bound, cut, media };
}
