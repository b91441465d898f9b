/**
 * A do-nothing Envoy ext_proc server in Node (grpc-js + proto-loader, the stack thinkcap uses):
 * every phase is answered with an empty response of its kind. It shows what the runtime and the
 * gRPC library cost before thinkcap does anything; benchmarks/overhead.ts runs it as an arm.
 * Prints {"port":N} once listening.
 *
 *   node dist/benchmarks/floor-node.js [port]        (FLOOR_GRPC_OPTIONS='{"grpc.enable_channelz":0}': server options)
 */
import * as grpc from '@grpc/grpc-js';
import { extProcServiceDefinition, type ProcessingRequest, type ProcessingResponse } from '../src/extproc/proto.js';

const EMPTY: Record<string, ProcessingResponse> = {
  request_headers: { request_headers: {} },
  response_headers: { response_headers: {} },
  request_body: { request_body: {} },
  response_body: { response_body: {} },
  request_trailers: { request_trailers: {} },
  response_trailers: { response_trailers: {} },
};

// FLOOR_GRPC_OPTIONS: grpc-js server options as JSON, to compare tunings on the same floor.
const server = new grpc.Server(JSON.parse(process.env.FLOOR_GRPC_OPTIONS ?? '{}') as grpc.ServerOptions);
server.addService(extProcServiceDefinition(), {
  Process(call: grpc.ServerDuplexStream<ProcessingRequest, ProcessingResponse>) {
    call.on('data', (req: ProcessingRequest) => {
      const res = req.request ? EMPTY[req.request] : undefined;
      if (res) call.write(res);
    });
    call.on('end', () => call.end());
    call.on('error', () => {});
  },
});
server.bindAsync(`127.0.0.1:${process.argv[2] ?? 0}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) throw err;
  console.log(JSON.stringify({ port }));
});
