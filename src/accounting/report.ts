/**
 * The end-of-stream report: `: thinkcap k=v ...` as an SSE comment (the openai clients and
 * browsers' EventSource skip comments), or a `thinkcap` object on Ollama's final NDJSON line.
 */
export type ReportFields = Record<string, string | number | null | undefined>;

export function sseReport(fields: ReportFields): string {
  return `: thinkcap ${Object.entries(fields)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ')}\n\n`;
}

export function reportObject(fields: ReportFields): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(fields)) if (v !== null && v !== undefined) out[k] = v;
  return out;
}
