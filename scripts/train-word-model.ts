/**
 * Retrains the classifier's word model on the tune split and the probe sets not held back, fits
 * the odds of its lifts (second opinion, fallback), counts the labels of the asks the fallback reads, and writes src/classify/word-model-weights.ts. `--check` writes
 * nothing and fails if the committed file differs from what the labels give.
 */
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/paths.js';
import { fitLiftOdds, fitUnreadPrior, labelledRows, trainWordModel, weightsModule } from '../src/classify/wordmodel-train.js';

const root = packageRoot();
// Which probe sets are held back is the build's (HELD_BACK_PROBE_SETS): a build older than its
// source would train on a set just held back, and write weights that a rebuilt --check rejects.
const source = join(root, 'src', 'classify', 'wordmodel-train.ts');
const built = fileURLToPath(new URL('../src/classify/wordmodel-train.js', import.meta.url));
if (statSync(source).mtimeMs > statSync(built).mtimeMs) {
  console.error(`${source} is newer than its build (${built}): run npm run build first`);
  process.exit(2);
}
const rows = labelledRows(root);
const model = trainWordModel(rows);
const { secondOpinion: odds, fallback } = fitLiftOdds(rows);
const unreadPrior = fitUnreadPrior(rows);
const text = weightsModule(model, { secondOpinion: odds, fallback }, unreadPrior);
const target = join(root, 'src', 'classify', 'word-model-weights.ts');
if (process.argv.includes('--check')) {
  const same = readFileSync(target, 'utf8') === text;
  console.log(same ? 'word model weights match the labels' : 'word model weights differ from what the labels give: run node dist/scripts/train-word-model.js');
  process.exit(same ? 0 : 1);
}
writeFileSync(target, text);
console.log(`wrote ${target} (${model.ids.length} asks: the tune split and the probe sets not held back; second opinion odds: simple a ${odds.simple.a}, b ${odds.simple.b} from ${odds.simple.readings} readings, ${odds.simple.above} of them labelled above; moderate a ${odds.moderate.a}, b ${odds.moderate.b} from ${odds.moderate.readings}, ${odds.moderate.above} above; fallback lifts a ${fallback.a}, b ${fallback.b} from ${fallback.readings}, ${fallback.above} above; the asks it reads labelled ${unreadPrior.join(' / ')}, trivial first)`);
