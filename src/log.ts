import { pino, type Logger } from 'pino';
import type { Config } from './config/schema.js';

export function createLogger(config: Pick<Config, 'log'>): Logger {
  return pino({ name: 'thinkcap', level: config.log.level });
}
