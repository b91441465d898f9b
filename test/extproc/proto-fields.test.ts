import protobuf from 'protobufjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { packageRoot, xdsProtoDeps } from '../../src/paths.js';
import { loadExtProcPackage } from '../../src/extproc/proto.js';

/** message/enum full name -> field or value name -> number */
function numbers(file: string): Map<string, Map<string, number>> {
  const root = protobuf.parse(readFileSync(file, 'utf8'), { keepCase: true }).root;
  const out = new Map<string, Map<string, number>>();
  const walk = (ns: protobuf.NamespaceBase) => {
    for (const obj of ns.nestedArray) {
      if (obj instanceof protobuf.Type) {
        out.set(obj.fullName, new Map(obj.fieldsArray.map((f) => [f.name, f.id])));
      } else if (obj instanceof protobuf.Enum) {
        out.set(obj.fullName, new Map(Object.entries(obj.values)));
      }
      if (obj instanceof protobuf.Namespace || obj instanceof protobuf.Type) walk(obj);
    }
  };
  walk(root);
  return out;
}

const OURS = join(packageRoot(), 'protos', 'envoy');
const UPSTREAM = join(xdsProtoDeps(), 'envoy-api', 'envoy');
const FILES = ['service/ext_proc/v3/external_processor.proto', 'extensions/filters/http/ext_proc/v3/processing_mode.proto'];

describe('our ext_proc protos match upstream field numbers', () => {
  for (const file of FILES) {
    it(`every field in the shipped ${file} has the same number in ours`, () => {
      const ours = numbers(join(OURS, file));
      const upstream = numbers(join(UPSTREAM, file));
      let compared = 0;
      for (const [msg, fields] of ours) {
        const up = upstream.get(msg);
        if (!up) continue;
        for (const [name, num] of fields) {
          if (!up.has(name)) continue;
          expect(`${msg}.${name}=${num}`).toBe(`${msg}.${name}=${up.get(name)}`);
          compared++;
        }
      }
      expect(compared).toBeGreaterThan(file.includes('processing_mode') ? 10 : 40);
    });
  }

  it('the newer messages carry the numbers of data-plane-api 84e8436', () => {
    const ours = new Map([...numbers(join(OURS, FILES[0]!)), ...numbers(join(OURS, FILES[1]!))]);
    const expected: Array<[string, string, number]> = [
      ['.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode', 'FULL_DUPLEX_STREAMED', 4],
      ['.envoy.extensions.filters.http.ext_proc.v3.ProcessingMode.BodySendMode', 'GRPC', 5],
      ['.envoy.service.ext_proc.v3.BodyMutation', 'streamed_response', 3],
      ['.envoy.service.ext_proc.v3.StreamedBodyResponse', 'body', 1],
      ['.envoy.service.ext_proc.v3.StreamedBodyResponse', 'end_of_stream', 2],
      ['.envoy.service.ext_proc.v3.StreamedBodyResponse', 'end_of_stream_without_message', 3],
      ['.envoy.service.ext_proc.v3.StreamedBodyResponse', 'grpc_message_compressed', 4],
      ['.envoy.service.ext_proc.v3.ProcessingRequest', 'protocol_config', 11],
      ['.envoy.service.ext_proc.v3.ProtocolConfiguration', 'request_body_mode', 1],
      ['.envoy.service.ext_proc.v3.ProtocolConfiguration', 'response_body_mode', 2],
      ['.envoy.service.ext_proc.v3.ProtocolConfiguration', 'send_body_without_waiting_for_header_response', 3],
      ['.envoy.service.ext_proc.v3.HttpBody', 'end_of_stream_without_message', 3],
      ['.envoy.service.ext_proc.v3.HttpBody', 'grpc_message_compressed', 4],
      ['.envoy.service.ext_proc.v3.ProcessingResponse', 'streamed_immediate_response', 11],
      ['.envoy.service.ext_proc.v3.StreamedImmediateResponse', 'headers_response', 1],
      ['.envoy.service.ext_proc.v3.StreamedImmediateResponse', 'body_response', 2],
    ];
    for (const [msg, field, num] of expected) expect(`${msg}.${field}=${ours.get(msg)?.get(field)}`).toBe(`${msg}.${field}=${num}`);
  });

  it('loads with the shipped data-plane-api dependencies', () => {
    const pkg = loadExtProcPackage();
    expect(Object.keys(pkg)).toContain('envoy.service.ext_proc.v3.ExternalProcessor');
  });
});
