/**
 * The do-nothing ext_proc server of floor-node.ts on another Node gRPC stack: Connect
 * (@connectrpc/connect-node, which speaks the gRPC protocol over Node's HTTP/2) with
 * @bufbuild/protobuf messages, built at start from the same .proto files thinkcap loads (their
 * descriptors come from protobufjs). benchmarks/overhead.ts runs it as the "connect" arm, to
 * compare gRPC stacks on the same floor. Prints {"port":N} once listening.
 *
 *   node dist/benchmarks/floor-connect.js [port]
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http2';
import { join } from 'node:path';
import { create, createFileRegistry, fromBinary, type DescMessage, type DescService } from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import protobuf from 'protobufjs';
import descriptor from 'protobufjs/ext/descriptor/index.js';
import { packageRoot, xdsProtoDeps } from '../src/paths.js';

/** The ext_proc service's descriptors, from thinkcap's include path (its protos/ first). */
function extProcService(): DescService {
  const deps = xdsProtoDeps();
  // protobufjs ships google/protobuf/*.proto (descriptor.proto, which validate.proto imports).
  const protobufjsDir = join(packageRoot(), 'node_modules', 'protobufjs');
  const dirs = [join(packageRoot(), 'protos'), join(deps, 'envoy-api'), join(deps, 'xds'), join(deps, 'googleapis'), join(deps, 'protoc-gen-validate'), protobufjsDir];
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => dirs.map((d) => join(d, target)).find((p) => existsSync(p)) ?? target;
  root.loadSync('envoy/service/ext_proc/v3/external_processor.proto', { keepCase: true });
  root.resolveAll();
  const descriptors = (root as unknown as { toDescriptor(syntax: string): protobuf.Message }).toDescriptor('proto3');
  qualifyTypeNames(root, descriptors as unknown as DescriptorSetLike);
  const bytes = (descriptor.FileDescriptorSet as unknown as protobuf.Type).encode(descriptors).finish();
  const set = fromBinary(FileDescriptorSetSchema, bytes);
  // protobufjs lists the annotation extensions (validate, udpa, xds) as fields of google.protobuf's
  // *Options messages, which makes a cycle; options are not needed to speak the protocol.
  for (const f of set.file) {
    f.extension = [];
    for (const m of f.messageType) m.extension = [];
    if (f.package !== 'google.protobuf') continue;
    for (const m of f.messageType) m.field = m.field.filter((fd) => !fd.typeName || fd.typeName.startsWith('.google.protobuf.'));
  }
  // protobufjs writes one file per package and declares no imports: each file depends on the
  // files of the packages its fields and methods name, and files come after their dependencies.
  const fileOf = new Map(set.file.map((f) => [f.package, f.name]));
  const needs = new Map<string, Set<string>>();
  for (const f of set.file) {
    const names: string[] = [];
    const walk = (ms: typeof f.messageType) => {
      for (const m of ms) {
        for (const fd of m.field) if (fd.typeName) names.push(fd.typeName);
        walk(m.nestedType);
      }
    };
    walk(f.messageType);
    for (const sv of f.service) for (const m of sv.method) names.push(m.inputType, m.outputType);
    const deps = new Set<string>();
    for (const n of names) {
      const parts = n.replace(/^\./, '').split('.');
      for (let i = parts.length - 1; i > 0; i--) {
        const file = fileOf.get(parts.slice(0, i).join('.'));
        if (file) {
          if (file !== f.name) deps.add(file);
          break;
        }
      }
    }
    needs.set(f.name, deps);
    f.dependency = [...deps];
  }
  const ordered: typeof set.file = [];
  const placed = new Set<string>();
  while (ordered.length < set.file.length) {
    const next = set.file.find((f) => !placed.has(f.name) && [...needs.get(f.name)!].every((d) => placed.has(d)));
    if (!next) throw new Error(`the proto packages import each other in a cycle: ${JSON.stringify([...needs].filter(([n]) => !placed.has(n)).map(([n, d]) => [n, [...d]]))}`);
    ordered.push(next);
    placed.add(next.name);
  }
  set.file = ordered;
  const registry = createFileRegistry(set);
  const svc = registry.getService('envoy.service.ext_proc.v3.ExternalProcessor');
  if (!svc) throw new Error('ExternalProcessor not found in the descriptors');
  return svc;
}

interface FieldLike {
  name: string;
  typeName?: string;
}
interface MessageLike {
  name: string;
  field: FieldLike[];
  nestedType: MessageLike[];
}
interface DescriptorSetLike {
  file: Array<{ package?: string; messageType: MessageLike[]; service: Array<{ name: string; method: Array<{ name: string; inputType: string; outputType: string }> }> }>;
}

/** protobufjs writes type names relative to their scope; descriptors want them fully qualified (leading dot). */
function qualifyTypeNames(root: protobuf.Root, set: DescriptorSetLike): void {
  const walk = (messages: MessageLike[], scope: string) => {
    for (const m of messages) {
      const full = scope ? `${scope}.${m.name}` : m.name;
      // Map entry types exist only in the descriptors (protobufjs has none): their fields are scalars or resolve below.
      const found = root.lookup(full);
      const type = found instanceof protobuf.Type ? found : null;
      for (const f of m.field) {
        if (!f.typeName || f.typeName.startsWith('.')) continue;
        // A map field's entry type is nested in its message; other fields resolve through protobufjs.
        if (m.nestedType.some((n) => n.name === f.typeName)) f.typeName = `.${full}.${f.typeName}`;
        else {
          const resolved = type?.fields[f.name]?.resolvedType ?? (type ? null : root.lookup(f.typeName));
          if (resolved) f.typeName = resolved.fullName;
        }
      }
      walk(m.nestedType, full);
    }
  };
  for (const file of set.file) {
    walk(file.messageType, file.package ?? '');
    for (const s of file.service) {
      const service = root.lookupService(file.package ? `${file.package}.${s.name}` : s.name);
      for (const m of s.method) {
        const method = service.methods[m.name]!.resolve() as protobuf.Method;
        m.inputType = method.resolvedRequestType!.fullName;
        m.outputType = method.resolvedResponseType!.fullName;
      }
    }
  }
}

const svc = extProcService();
const method = svc.methods[0]!;
const responseSchema = method.output as DescMessage;
// Each phase answered with an empty response of its kind (the oneof case has the phase's name).
const EMPTY: Record<string, unknown> = {};
for (const phase of ['requestHeaders', 'responseHeaders', 'requestBody', 'responseBody', 'requestTrailers', 'responseTrailers']) {
  EMPTY[phase] = create(responseSchema, { response: { case: phase, value: {} } } as never);
}

const handler = connectNodeAdapter({
  routes(router) {
    router.service(svc, {
      async *process(requests: AsyncIterable<{ request: { case?: string } }>) {
        for await (const req of requests) {
          const res = req.request.case ? EMPTY[req.request.case] : undefined;
          if (res) yield res;
        }
      },
    } as never);
  },
});
const server = createServer(handler);
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  console.log(JSON.stringify({ port: typeof addr === 'object' && addr ? addr.port : 0 }));
});
