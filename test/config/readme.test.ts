import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { packageRoot } from '../../src/paths.js';

describe('README', () => {
  it('the configuration example is a valid thinkcap config', () => {
    const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeTruthy();
    const raw = parse(block!) as Record<string, unknown>;
    const cfg = validateConfig(raw);
    expect(cfg.spend.limits).toHaveLength(2);
    expect(cfg.routing.tiers.deep).toBe('large');
  });
});
