import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { packageRoot } from '../src/paths.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Where a frame lives: thinkcap's own code, a dependency, or Node itself. */
function place(url: string): string {
  if (!url) return '(native)';
  const path = url.replace(/^file:\/\//, '');
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (m) return m[1]!;
  if (path.startsWith('node:')) return path;
  return relative(packageRoot(), path);
}

/**
 * A V8 .cpuprofile folded by function: self time per frame, as µs per request and per chunk
 * (sampled time / count), the top frames first, and the share of each place (thinkcap, a
 * library, Node, idle). A text "flame summary" for benchmarks/README.md.
 */
export function summarizeCpuProfile(file: string, o: { requests: number; chunks: number; top: number }): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const frames = new Map<string, number>();
  const places = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id)!;
    const name = n.callFrame.functionName || '(anonymous)';
    total += us;
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    const where = place(n.callFrame.url);
    const key = `${name} ${where}${n.callFrame.url && !where.startsWith('(') ? `:${n.callFrame.lineNumber + 1}` : ''}`;
    frames.set(key, (frames.get(key) ?? 0) + us);
    const group = where.startsWith('src/') || where.startsWith('dist/src/') ? 'thinkcap (src/)' : where;
    places.set(group, (places.get(group) ?? 0) + us);
  }
  const busy = total - idle;
  const lines: string[] = [];
  lines.push(`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled: ${(busy / Math.max(1, o.requests)).toFixed(1)} µs per request`);
  lines.push('');
  lines.push('| where | share of busy time | µs per request |');
  lines.push('|---|---:|---:|');
  for (const [k, us] of [...places].sort((a, b) => b[1] - a[1]).slice(0, 12)) lines.push(`| ${k} | ${((us / busy) * 100).toFixed(1)} % | ${(us / Math.max(1, o.requests)).toFixed(1)} |`);
  lines.push('');
  lines.push('| frame (self time) | share | µs per request | µs per streamed chunk |');
  lines.push('|---|---:|---:|---:|');
  for (const [k, us] of [...frames].sort((a, b) => b[1] - a[1]).slice(0, o.top)) {
    lines.push(`| \`${k}\` | ${((us / busy) * 100).toFixed(1)} % | ${(us / Math.max(1, o.requests)).toFixed(2)} | ${o.chunks ? (us / o.chunks).toFixed(3) : '-'} |`);
  }
  return lines.join('\n');
}
