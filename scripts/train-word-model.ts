/**
 * Retrains the classifier's fallback word model on the tune split and writes
 * src/classify/word-model-weights.ts. `--check` writes nothing and fails if the committed file
 * differs from what the labels give.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/paths.js';
import { trainWordModel, weightsModule, type LabelledRow } from '../src/classify/wordmodel-train.js';

const root = packageRoot();
const rows = readFileSync(join(root, 'benchmarks', 'datasets', 'queries.jsonl'), 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l) as LabelledRow);
const text = weightsModule(trainWordModel(rows));
const target = join(root, 'src', 'classify', 'word-model-weights.ts');
if (process.argv.includes('--check')) {
  const same = readFileSync(target, 'utf8') === text;
  console.log(same ? 'word model weights match the labels' : 'word model weights differ from what the labels give: run node dist/scripts/train-word-model.js');
  process.exit(same ? 0 : 1);
}
writeFileSync(target, text);
console.log(`wrote ${target} (${rows.filter((r) => r.split === 'tune').length} tune queries)`);
