import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/paths.js';
import { buildEnvoyConfig, validateEnvoyConfig } from '../../devkit/envoy.js';

const dir = join(packageRoot(), 'envoy');

describe('shipped Envoy configs pass `envoy --mode validate`', () => {
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    it(f, () => {
      const r = validateEnvoyConfig(readFileSync(join(dir, f), 'utf8'));
      expect(r.output).not.toMatch(/error/i);
      expect(r.ok).toBe(true);
    });
  }
  it('a broken config is rejected (the check can fail)', () => {
    const cfg = buildEnvoyConfig({ listenerPort: 1, adminPort: 2, thinkcapPort: 3, backendPort: 4 });
    cfg.static_resources.listeners[0].filter_chains[0].filters[0].typed_config.http_filters[1].typed_config.processing_mode.request_body_mode = 'SIDEWAYS';
    expect(validateEnvoyConfig(cfg).ok).toBe(false);
  });
  it('the full-duplex variant validates too', () => {
    const cfg = buildEnvoyConfig({ listenerPort: 1, adminPort: 2, thinkcapPort: 3, backendPort: 4, responseBodyMode: 'FULL_DUPLEX_STREAMED' });
    expect(validateEnvoyConfig(cfg).ok).toBe(true);
  });
});
