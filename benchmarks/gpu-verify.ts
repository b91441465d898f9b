/**
 * Verify NVML energy readings on a real GPU: sample the energy counter and power every 100 ms
 * (off the event loop, through koffi's async calls) while a known load runs, and print the
 * counter delta beside integrated power.
 *
 *   node dist/benchmarks/gpu-verify.js --seconds 20 --load "python3 -c '...matmul loop...'"
 *
 * Without --load it measures idle. Needs libnvidia-ml.so.1 (an NVIDIA driver) on the machine.
 */
import { spawn } from 'node:child_process';
import { NvmlSource } from '../src/energy/nvml.js';

const args = process.argv.slice(2);
const seconds = Number(args[args.indexOf('--seconds') + 1] ?? 10) || 10;
const load = args.includes('--load') ? args[args.indexOf('--load') + 1] : undefined;

async function main(): Promise<void> {
  const nvml = new NvmlSource();
  await nvml.open();
  console.log(`source: ${nvml.description}`);
  const first = await nvml.sample();
  const child = load ? spawn('sh', ['-c', load], { stdio: 'inherit' }) : null;
  const samples: Array<{ t: number; mj: number | null; mw: number | null }> = [{ t: Date.now(), mj: first[0]!.energyMj, mw: first[0]!.powerMw }];
  const end = Date.now() + seconds * 1000;
  const callMs: number[] = [];
  while (Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    const s = await nvml.sample();
    callMs.push(performance.now() - t0);
    samples.push({ t: Date.now(), mj: s[0]!.energyMj, mw: s[0]!.powerMw });
  }
  child?.kill('SIGTERM');
  let integrated = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    if (a.mw !== null && b.mw !== null) integrated += (((a.mw + b.mw) / 2) * (b.t - a.t)) / 1e6; // mW x ms -> J
  }
  const counter = samples.at(-1)!.mj !== null && samples[0]!.mj !== null ? (samples.at(-1)!.mj! - samples[0]!.mj!) / 1000 : null;
  const dur = (samples.at(-1)!.t - samples[0]!.t) / 1000;
  const changes = samples.filter((s, i) => i > 0 && s.mj !== samples[i - 1]!.mj).length;
  callMs.sort((a, b) => a - b);
  console.log(`gpu: ${first[0]!.name}`);
  console.log(`duration ${dur.toFixed(2)} s, load: ${load ?? 'none (idle)'}`);
  console.log(`energy counter delta: ${counter === null ? 'unsupported' : counter.toFixed(1) + ' J'} (mean ${counter === null ? '-' : (counter / dur).toFixed(1)} W); counter changed in ${changes} of ${samples.length - 1} samples`);
  console.log(`integrated power:     ${integrated.toFixed(1)} J (mean ${(integrated / dur).toFixed(1)} W)`);
  console.log(`sample (5 NVML calls) median ${callMs[Math.floor(callMs.length / 2)]!.toFixed(2)} ms, p99 ${callMs[Math.floor(callMs.length * 0.99)]!.toFixed(2)} ms`);
  await nvml.close();
}

main().catch((err: unknown) => {
  console.error(`gpu-verify: ${(err as Error).message}`);
  process.exit(1);
});
