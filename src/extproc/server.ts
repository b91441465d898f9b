import { timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { extProcServiceDefinition, type ProcessingRequest, type ProcessingResponse } from './proto.js';
import { RequestProcessor, planDepsFor, type ProcessorContext } from './processor.js';
import type { RequestRecord } from '../accounting/record.js';
import type { SpendController } from '../budget/spend.js';

/** Constant-time comparison of an `authorization` metadata value with the expected one. */
function tokenMatches(values: grpc.MetadataValue[], expected: Buffer): boolean {
  const v = values[0];
  if (v === undefined) return false;
  const got = Buffer.isBuffer(v) ? v : Buffer.from(v);
  return got.length === expected.length && timingSafeEqual(got, expected);
}

export interface ExtProcServerOptions {
  /** A stream was refused for a missing or wrong token. */
  onUnauthenticated?: () => void;
  config: Config;
  log: Logger;
  onFinish?: (record: RequestRecord) => void;
  spend?: SpendController;
  metrics?: ProcessorContext['metrics'];
  energy?: ProcessorContext['energy'];
  router?: ProcessorContext['router'];
}

export interface ExtProcServer {
  readonly port: number;
  /** Streams currently open. */
  readonly active: number;
  /** Stop accepting streams; wait for in-flight ones up to graceMs, then cut them. */
  shutdown(graceMs: number): Promise<void>;
}

export async function startExtProcServer(opts: ExtProcServerOptions): Promise<ExtProcServer> {
  const { config, log } = opts;
  const server = new grpc.Server({
    // Envoy keeps long-lived HTTP/2 connections to us; let keepalive pings through.
    'grpc.keepalive_permit_without_calls': 1,
    // Above any body Envoy will buffer (8 MiB in the shipped envoy.yaml): a body over
    // requests.maxBodyBytes must reach thinkcap to be refused (413) or passed through as
    // configured, not fail the gRPC stream (Envoy would then fail open without a cap).
    'grpc.max_receive_message_length': Math.max(config.requests.maxBodyBytes + 1024 * 1024, 64 * 1024 * 1024),
  });
  // grpc-js builds its HTTP/2 server from options it keeps on the instance and passes no reset
  // limit through (1.14); Node reads streamResetBurst and streamResetRate there (22 and later).
  // Without them Envoy's resets close a busy connection: 39 of 4,000 requests failed so on Node 26
  // in test/integration/hardening.test.ts with a stock Envoy config.
  const http2Options = (server as unknown as { commonServerOptions?: Record<string, unknown> }).commonServerOptions;
  if (http2Options !== undefined) {
    http2Options.streamResetBurst = config.server.grpcStreamResets.burst;
    http2Options.streamResetRate = config.server.grpcStreamResets.perSecond;
  } else log.warn('grpc-js keeps no HTTP/2 server options where thinkcap looks: server.grpcStreamResets not applied (Node closes a connection after 1000 stream resets)');
  const streams = new Set<grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>>();
  const grpcToken = config.server.grpcToken === undefined ? null : Buffer.from(`Bearer ${config.server.grpcToken}`);
  const onFinish = opts.onFinish ?? (() => {});
  const planDeps = planDepsFor({ config, log, onFinish, spend: opts.spend, metrics: opts.metrics, energy: opts.energy, router: opts.router });
  // Said once: an Envoy that sends bodies before thinkcap answers their headers (thinkcap check
  // --envoy refuses the setting; the first message of each stream carries it, recent Envoy only).
  let saidBodyEarly = false;
  const noteProtocol = (req: ProcessingRequest) => {
    if (saidBodyEarly || req.protocol_config?.send_body_without_waiting_for_header_response !== true) return;
    saidBodyEarly = true;
    log.warn("Envoy's ext_proc filter has send_body_without_waiting_for_header_response on: it sends a response body before thinkcap's answer to the headers, which asks for whole JSON answers to be buffered, so non-streamed answers lose their x-thinkcap-* figures and some arrive empty (Ollama's /api/chat); turn it off (thinkcap check --envoy)");
  };

  server.addService(extProcServiceDefinition(), {
    Process(call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) {
      if (grpcToken !== null && !tokenMatches(call.metadata.get('authorization'), grpcToken)) {
        // Anyone who can open streams could hold a tenant's budget: only Envoy, with the token
        // it sends as initial_metadata, may.
        opts.onUnauthenticated?.();
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: 'thinkcap: missing or wrong authorization' });
        return;
      }
      streams.add(call);
      const processor = new RequestProcessor({
        config,
        log,
        onFinish,
        spend: opts.spend,
        metrics: opts.metrics,
        energy: opts.energy,
        router: opts.router,
        planDeps,
        emit: (res) => {
          if (!ended) call.write(res);
        },
      });
      let ended = false;
      const end = (aborted: boolean) => {
        if (ended) return;
        ended = true;
        streams.delete(call);
        try {
          processor.close(aborted);
        } catch (err) {
          log.error({ err, req: processor.id }, 'error closing request');
        }
      };
      const write = (responses: ProcessingResponse[]) => {
        if (ended) return;
        for (const r of responses) call.write(r);
      };
      /** Handle one message; a Promise when it waits on I/O (the spend ledger). */
      const step = (req: ProcessingRequest): Promise<void> | undefined => {
        let out: ProcessingResponse[] | Promise<ProcessingResponse[]>;
        try {
          out = processor.handle(req);
        } catch (err) {
          out = processor.onError(req, err);
        }
        if (Array.isArray(out)) {
          write(out);
          return undefined;
        }
        return out.then(write, (err: unknown) => write(processor.onError(req, err)));
      };
      // Messages are answered in order: while one waits on I/O, later ones queue behind it.
      let tail: Promise<void> | null = null;
      const enqueue = (p: Promise<void>) => {
        const t: Promise<void> = p.then(() => {
          if (tail === t) tail = null;
        });
        tail = t;
      };
      call.on('data', (req: ProcessingRequest) => {
        noteProtocol(req);
        if (tail) enqueue(tail.then(() => step(req)));
        else {
          const p = step(req);
          if (p) enqueue(p);
        }
      });
      call.on('end', () => {
        // Envoy half-closes when its HTTP stream is over: its filter is being destroyed. By
        // default it resets the stream at once ('cancelled' follows); with the runtime guard
        // envoy.reloadable_features.ext_proc_graceful_grpc_close it waits up to a second for
        // thinkcap to close. A request not finished by then was cut (the client left during a
        // follow-up): stopped now, not when the follow-up's generation ends or Envoy's wait does.
        const close = () => {
          end(false);
          if (!call.cancelled && !call.destroyed) call.end();
        };
        if (!processor.done) return close();
        // Finished: its last answer may still be on its way out (a continuation's last chunk).
        void Promise.all([tail, processor.settled()]).then(close);
      });
      call.on('cancelled', () => end(true));
      call.on('error', (err) => {
        log.debug({ err, req: processor.id }, 'ext_proc stream error');
        end(true);
      });
      call.on('close', () => end(true));
    },
  });

  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${config.server.grpcHost}:${config.server.grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, p) =>
      err ? reject(err) : resolve(p),
    );
  });

  return {
    port,
    get active() {
      return streams.size;
    },
    shutdown(graceMs: number) {
      return new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn({ open: streams.size }, 'shutdown grace period over, cutting remaining streams');
          server.forceShutdown();
          resolve();
        }, graceMs);
        timer.unref();
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
