import { describe, expect, it } from 'vitest';
import { HeldModels } from '../../src/extproc/held-models.js';

describe('HeldModels: the last request holding a model is the one to unload it', () => {
  it('counts holds per backend and model; only the last to end is told so', () => {
    const held = new HeldModels();
    const a = HeldModels.key('http://ollama:11434', 'qwen3');
    const b = HeldModels.key('http://ollama:11434', 'llama3');
    held.hold(a);
    held.hold(a);
    held.hold(b);
    expect(held.count(a)).toBe(2);
    expect(held.end(a)).toBe(false);
    expect(held.end(b)).toBe(true);
    expect(held.end(a)).toBe(true);
    expect(held.count(a)).toBe(0);
    // Another backend's model of the same name is another model.
    expect(HeldModels.key('http://other:11434', 'qwen3')).not.toBe(a);
  });

  it('an end with no hold on record is the last (nothing else holds the model)', () => {
    const held = new HeldModels();
    expect(held.end(HeldModels.key('http://ollama:11434', 'qwen3'))).toBe(true);
    expect(held.count(HeldModels.key('http://ollama:11434', 'qwen3'))).toBe(0);
  });
});
