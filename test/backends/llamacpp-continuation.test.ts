import { describe, expect, it } from 'vitest';
import { llamacppDialect } from '../../src/backends/llamacpp.js';
import { backendOptions } from '../../src/backends/registry.js';
import { validateConfig } from '../../src/config/load.js';

// llama.cpp's continuation is a raw completion (/v1/completions) of the prompt its
// /apply-template renders: what of the client's chat request it must carry, and how.

describe("llama.cpp continuation: the client's logprobs as llama-server's completions reads them", () => {
  const config = validateConfig({ backends: [{ name: 'l', dialect: 'llamacpp', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
  const build = (more: Record<string, unknown>) => llamacppDialect(backendOptions(config, config.backends[0])).buildContinuation!({ messages: [{ role: 'user', content: 'q' }], ...more }, 'so far', '', 50).body;
  it.each([
    [{ logprobs: true, top_logprobs: 3 }, 3],
    [{ logprobs: true }, 20],
    [{ logprobs: true, top_logprobs: 0 }, 0],
    [{ n_probs: 4 }, 4],
    [{ logprobs: false, n_probs: 4 }, 4],
    [{}, undefined],
  ])('%j -> n_probs %s', (more, nProbs) => {
    expect(build(more).n_probs).toBe(nProbs);
  });
});

describe("llama.cpp continuation: the client's request fields", () => {
  const config = validateConfig({ backends: [{ name: 'l', dialect: 'llamacpp', enforcement: 'continuation', url: 'http://127.0.0.1:1' }] });
  const dialect = llamacppDialect(backendOptions(config, config.backends[0]));
  it('carries every sampling field as the chat read it, and none of the limits, choices or chat-only fields', () => {
    const original = {
      model: 'm', messages: [{ role: 'user', content: 'q' }], temperature: 0, seed: 7, logit_bias: { '15345': -100 }, lora: [{ id: 0, scale: 0.5 }], mirostat: 2, dry_multiplier: 0.8, grammar: 'root ::= "x"', id_slot: 1,
      max_tokens: 999, max_completion_tokens: 999, n_predict: 999, n: 3, n_cmpl: 3, stream: false, stream_options: { include_usage: false },
      tools: [{ type: 'function', function: { name: 'f' } }], tool_choice: 'auto', chat_template_kwargs: { enable_thinking: true }, reasoning_budget_tokens: 9999, thinking_budget_tokens: 9999, reasoning_format: 'none',
    };
    const { body, render } = dialect.buildContinuation!(original, 'so far', '', 50);
    expect(body).toMatchObject({ model: 'm', temperature: 0, seed: 7, logit_bias: { '15345': -100 }, lora: [{ id: 0, scale: 0.5 }], mirostat: 2, dry_multiplier: 0.8, grammar: 'root ::= "x"', id_slot: 1 });
    expect(body).toMatchObject({ max_tokens: 50, stream: true, stream_options: { include_usage: true }, prompt: '' });
    for (const k of ['max_completion_tokens', 'n_predict', 'n', 'n_cmpl', 'tools', 'tool_choice', 'messages', 'chat_template_kwargs', 'reasoning_budget_tokens', 'thinking_budget_tokens', 'reasoning_format']) expect(body, k).not.toHaveProperty(k);
    // The render gets what the chat template read for the first leg: the same prompt again.
    expect(render!.body).toEqual({ messages: original.messages, chat_template_kwargs: { enable_thinking: true }, tools: original.tools, tool_choice: 'auto' });
  });

  it("passes response_format on as llama-server's chat reads it: the schema, or {} for json_object; a client's own json_schema first", () => {
    const build = (more: Record<string, unknown>) => dialect.buildContinuation!({ messages: [], ...more }, 't', '', 5).body.json_schema;
    const schema = { type: 'object', properties: { a: { type: 'string' } } };
    expect(build({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema } } })).toEqual(schema);
    expect(build({ response_format: { type: 'json_object' } })).toEqual({});
    expect(build({ response_format: { type: 'text' } })).toBeUndefined();
    expect(build({ response_format: { type: 'json_object' }, json_schema: schema })).toEqual(schema);
  });
});
