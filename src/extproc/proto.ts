import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { join } from 'node:path';
import { packageRoot, xdsProtoDeps } from '../paths.js';

/**
 * Load the ext_proc service. protos/ comes first on the include path so thinkcap's own
 * processing_mode.proto and external_processor.proto (with FULL_DUPLEX_STREAMED and
 * protocol_config) shadow the older copies shipped in @grpc/grpc-js-xds; base.proto and the
 * other shared messages come from the shipped data-plane-api.
 */
export function loadExtProcPackage(): protoLoader.PackageDefinition {
  const deps = xdsProtoDeps();
  return protoLoader.loadSync('envoy/service/ext_proc/v3/external_processor.proto', {
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: [
      join(packageRoot(), 'protos'),
      join(deps, 'envoy-api'),
      join(deps, 'xds'),
      join(deps, 'googleapis'),
      join(deps, 'protoc-gen-validate'),
    ],
  });
}

export function extProcServiceDefinition(): grpc.ServiceDefinition {
  const pkg = grpc.loadPackageDefinition(loadExtProcPackage()) as unknown as {
    envoy: { service: { ext_proc: { v3: { ExternalProcessor: { service: grpc.ServiceDefinition } } } } };
  };
  return pkg.envoy.service.ext_proc.v3.ExternalProcessor.service;
}

// --- Wire shapes (proto-loader objects with keepCase, enums as strings, bytes as Buffer) ---

export type BodySendMode = 'NONE' | 'STREAMED' | 'BUFFERED' | 'BUFFERED_PARTIAL' | 'FULL_DUPLEX_STREAMED' | 'GRPC';
export type HeaderSendMode = 'DEFAULT' | 'SEND' | 'SKIP';

export interface HeaderValue {
  key: string;
  value?: string;
  raw_value?: Buffer;
}
export interface HttpHeaders {
  headers?: { headers?: HeaderValue[] };
  end_of_stream?: boolean;
}
export interface HttpBody {
  body?: Buffer;
  end_of_stream?: boolean;
  end_of_stream_without_message?: boolean;
}
export interface HttpTrailers {
  trailers?: { headers?: HeaderValue[] };
}
export interface ProtocolConfiguration {
  request_body_mode?: BodySendMode;
  response_body_mode?: BodySendMode;
  send_body_without_waiting_for_header_response?: boolean;
}
export interface ProcessingRequest {
  request?: 'request_headers' | 'response_headers' | 'request_body' | 'response_body' | 'request_trailers' | 'response_trailers';
  request_headers?: HttpHeaders;
  response_headers?: HttpHeaders;
  request_body?: HttpBody;
  response_body?: HttpBody;
  request_trailers?: HttpTrailers;
  response_trailers?: HttpTrailers;
  attributes?: Record<string, StructValue>;
  observability_mode?: boolean;
  protocol_config?: ProtocolConfiguration;
}

export interface HeaderValueOption {
  header: { key: string; raw_value: Buffer };
  append_action?: 'APPEND_IF_EXISTS_OR_ADD' | 'ADD_IF_ABSENT' | 'OVERWRITE_IF_EXISTS_OR_ADD' | 'OVERWRITE_IF_EXISTS';
}
export interface HeaderMutation {
  set_headers?: HeaderValueOption[];
  remove_headers?: string[];
}
export interface StreamedBodyResponse {
  body?: Buffer;
  end_of_stream?: boolean;
}
export interface BodyMutation {
  body?: Buffer;
  clear_body?: boolean;
  streamed_response?: StreamedBodyResponse;
}
export interface CommonResponse {
  status?: 'CONTINUE' | 'CONTINUE_AND_REPLACE';
  header_mutation?: HeaderMutation;
  body_mutation?: BodyMutation;
  clear_route_cache?: boolean;
}
export interface ProcessingMode {
  request_header_mode?: HeaderSendMode;
  response_header_mode?: HeaderSendMode;
  request_body_mode?: BodySendMode;
  response_body_mode?: BodySendMode;
  request_trailer_mode?: HeaderSendMode;
  response_trailer_mode?: HeaderSendMode;
}
export interface ImmediateResponse {
  status: { code: number };
  headers?: HeaderMutation;
  body?: Buffer;
  details?: string;
}
export interface StructValue {
  fields?: Record<string, ProtoValue>;
}
/** google.protobuf.Value: protobufjs's built-in well-known types keep camelCase names even with keepCase. */
export interface ProtoValue {
  nullValue?: 'NULL_VALUE';
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: StructValue;
  listValue?: { values: ProtoValue[] };
}
export interface ProcessingResponse {
  request_headers?: { response?: CommonResponse };
  response_headers?: { response?: CommonResponse };
  request_body?: { response?: CommonResponse };
  response_body?: { response?: CommonResponse };
  request_trailers?: { header_mutation?: HeaderMutation };
  response_trailers?: { header_mutation?: HeaderMutation };
  immediate_response?: ImmediateResponse;
  dynamic_metadata?: StructValue;
  mode_override?: ProcessingMode;
  override_message_timeout?: { seconds?: number; nanos?: number };
}
