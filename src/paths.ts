import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

/** The package root, from src/ (vitest) and from dist/src/ (built) alike. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'protos'))) return dir;
    dir = dirname(dir);
  }
  throw new Error('thinkcap: cannot find the package root (package.json beside protos/)');
}

/** Directory holding the data-plane-api protos shipped by @grpc/grpc-js-xds. */
export function xdsProtoDeps(): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve('@grpc/grpc-js-xds');
  let dir = dirname(main);
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'deps', 'envoy-api'))) return join(dir, 'deps');
    dir = dirname(dir);
  }
  throw new Error('thinkcap: @grpc/grpc-js-xds protos not found under deps/');
}
