/**
 * What thinkcap cannot see of an engine it only talks to by chat (SGLang), read from the real
 * chat templates of model families by their usual served names: whether the generation prompt
 * opens `<think>` (backends[].thinkPrefilled) and how a finished turn's thinking is written where
 * it is no `<think>` block (backends[].thinkingFormat). Each entry names the template it was read
 * from in test/fixtures/templates/generation-prompts.json (HF transformers renders of llama.cpp's
 * copies), and a test holds it to that recording. `thinkcap check` suggests the setting for a
 * served model that matches; a renamed model is not recognised.
 */
export interface TemplateFact {
  /** Served model names of the family (Hugging Face ids and their usual short forms). */
  readonly name: RegExp;
  /** The recorded template the fact was read from. */
  readonly recorded: string;
  readonly thinkPrefilled?: true | 'always';
  readonly thinkingFormat?: { readonly open: string; readonly close: string };
}

export const TEMPLATE_FACTS: readonly TemplateFact[] = [
  { name: /qwen3\.5/i, recorded: 'Qwen3.5-4B', thinkPrefilled: true },
  { name: /glm-4\.7/i, recorded: 'GLM-4.7-Flash', thinkPrefilled: true },
  { name: /nemotron-3-nano/i, recorded: 'NVIDIA-Nemotron-3-Nano-30B-A3B-BF16', thinkPrefilled: true },
  { name: /nemotron-nano-(?:\d+b-)?v2/i, recorded: 'NVIDIA-Nemotron-Nano-v2', thinkPrefilled: 'always' },
  { name: /minimax-m2(?![.\d])/i, recorded: 'MiniMax-M2', thinkPrefilled: 'always' },
  { name: /step(?:fun)?-?3\.5/i, recorded: 'StepFun3.5-Flash', thinkPrefilled: 'always' },
  { name: /seed-oss/i, recorded: 'ByteDance-Seed-OSS', thinkingFormat: { open: '<seed:think>', close: '</seed:think>\n' } },
  { name: /minimax-m3(?![.\d])/i, recorded: 'MiniMax-M3', thinkingFormat: { open: '<mm:think>', close: '</mm:think>' } },
  { name: /kimi-k3/i, recorded: 'Kimi-K3', thinkingFormat: { open: '', close: '<|close|>think<|sep|><|open|>response<|sep|>' } },
];

/** The facts that name this served model. */
export function templateFactsFor(model: string): TemplateFact[] {
  return TEMPLATE_FACTS.filter((f) => f.name.test(model));
}
