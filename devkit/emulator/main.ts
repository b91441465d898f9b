/** Run the emulator as its own process: `node dist/devkit/emulator/main.js '{"tokenDelayMs":5}'`; prints {"port":N}. */
import { startEmulator, type EmulatorOptions } from './server.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as EmulatorOptions & { thinkingTokens?: number; answerTokens?: number };
if (opts.thinkingTokens !== undefined || opts.answerTokens !== undefined) {
  const plan = { thinkingTokens: opts.thinkingTokens ?? 200, answerTokens: opts.answerTokens ?? 20 };
  opts.plan = () => plan;
}
const emu = await startEmulator(opts);
process.on('SIGINT', () => void emu.close().then(() => process.exit(0)));
process.stdout.write(JSON.stringify({ port: emu.port }) + '\n');
process.on('SIGTERM', () => {
  void emu.close().then(() => process.exit(0));
});
