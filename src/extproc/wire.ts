import type { HeaderMutation, HeaderValue, HeaderValueOption, ImmediateResponse, ProcessingResponse, ProtoValue, StructValue } from './proto.js';

/** Read a header map into a plain object. Envoy sends values in raw_value; value is a fallback for older Envoys. */
export function readHeaders(list: readonly HeaderValue[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (!list) return out;
  for (const h of list) {
    const v = h.raw_value && h.raw_value.length > 0 ? h.raw_value.toString('latin1') : (h.value ?? '');
    const prev = out.get(h.key);
    out.set(h.key, prev === undefined ? v : `${prev},${v}`);
  }
  return out;
}

/** A header set with raw_value only (recent Envoy rejects value + raw_value together). */
export function setHeader(key: string, value: string): HeaderValueOption {
  return { header: { key, raw_value: Buffer.from(value, 'latin1') }, append_action: 'OVERWRITE_IF_EXISTS_OR_ADD' };
}

export function headerMutation(headers: Record<string, string | number | undefined>, remove?: string[]): HeaderMutation {
  const set_headers: HeaderValueOption[] = [];
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) set_headers.push(setHeader(k, String(v)));
  return remove && remove.length ? { set_headers, remove_headers: remove } : { set_headers };
}

export function toProtoValue(v: unknown): ProtoValue {
  if (v === null || v === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof v === 'number') return { numberValue: v };
  if (typeof v === 'string') return { stringValue: v };
  if (typeof v === 'boolean') return { boolValue: v };
  if (Array.isArray(v)) return { listValue: { values: v.map(toProtoValue) } };
  if (typeof v === 'object') return { structValue: toStruct(v as Record<string, unknown>) };
  return { stringValue: String(v) };
}

export function toStruct(obj: Record<string, unknown>): StructValue {
  const fields: Record<string, ProtoValue> = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) fields[k] = toProtoValue(v);
  return { fields };
}

export function fromProtoValue(v: ProtoValue | undefined): unknown {
  if (!v) return undefined;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.structValue) return fromStruct(v.structValue);
  if (v.listValue) return (v.listValue.values ?? []).map(fromProtoValue);
  return null;
}

export function fromStruct(s: StructValue | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (s?.fields) for (const [k, v] of Object.entries(s.fields)) out[k] = fromProtoValue(v);
  return out;
}

/** An OpenAI-style JSON error answered by Envoy itself: no upstream byte is sent. */
export function openAiError(
  status: number,
  message: string,
  type: string,
  code: string,
  extraHeaders: Record<string, string> = {},
): ImmediateResponse {
  const body = JSON.stringify({ error: { message, type, param: null, code } });
  return {
    status: { code: status },
    headers: headerMutation({ 'content-type': 'application/json', 'x-thinkcap-error': code, ...extraHeaders }),
    body: Buffer.from(body, 'utf8'),
    details: `thinkcap_${code}`,
  };
}

/** A body answer in FULL_DUPLEX_STREAMED mode: only what is sent back is forwarded. */
export function streamedBody(phase: 'request_body' | 'response_body', body: Buffer | undefined, eos: boolean): ProcessingResponse {
  return { [phase]: { response: { body_mutation: { streamed_response: { body: body ?? Buffer.alloc(0), end_of_stream: eos } } } } };
}
