import { describe, expect, it } from 'vitest';
import { continuationPrompt } from '../../src/backends/think-prompt.js';

describe('continuationPrompt', () => {
  const chat = '<|im_start|>user\n1+2<|im_end|>\n<|im_start|>assistant\n';
  it('a template that opens the block with its line break: thinking, a line break, the end tag', () => {
    expect(continuationPrompt(`${chat}<think>\n`, 'step one', '')).toBe(`${chat}<think>\nstep one\n</think>\n\n`);
  });
  it('a generation prompt that ends at the tag gets back the line break the reasoning parser trimmed', () => {
    expect(continuationPrompt(`${chat}<think>`, '1+2+0=3\n=3\n', '')).toBe(`${chat}<think>\n1+2+0=3\n=3\n</think>\n\n`);
    // Thinking that kept its own line break (the tag in content) is not given a second one.
    expect(continuationPrompt(`${chat}<think>`, '\n1+2+0=3\n', '')).toBe(`${chat}<think>\n1+2+0=3\n</think>\n\n`);
  });
  it('a template that leaves the block to the model (Qwen3): the model had opened it', () => {
    expect(continuationPrompt(chat, 'hmm', 'The ans')).toBe(`${chat}<think>\nhmm\n</think>\n\nThe ans`);
  });
  it("gpt-oss (harmony): the thinking is the analysis channel's message, the answer goes on in the final channel", () => {
    // Both engines' gpt-oss templates end the generation prompt with the assistant's header.
    const harmony = '<|start|>system<|message|>Reasoning: low<|end|><|start|>user<|message|>1+2<|end|><|start|>assistant';
    expect(continuationPrompt(harmony, 'add them', '')).toBe(`${harmony}<|channel|>analysis<|message|>add them<|end|><|start|>assistant<|channel|>final<|message|>`);
    expect(continuationPrompt(harmony, 'add them', 'It is')).toBe(`${harmony}<|channel|>analysis<|message|>add them<|end|><|start|>assistant<|channel|>final<|message|>It is`);
  });
});
