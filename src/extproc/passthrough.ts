import type { BodySendMode, ProcessingRequest, ProcessingResponse } from './proto.js';
import { streamedBody } from './wire.js';

/** The body modes Envoy uses on a stream (they may arrive with the first message). */
export interface BodyModes {
  readonly request: BodySendMode;
  readonly response: BodySendMode;
}

/**
 * Answers every phase unchanged: the request goes on as if thinkcap were not there. Used for
 * requests thinkcap does not act on and for a request whose processing failed (fail-open).
 * In full-duplex modes Envoy forwards only what is sent back, so bodies are echoed.
 */
export class PassThroughProcessor {
  constructor(private readonly modes: () => BodyModes) {}

  handle(req: ProcessingRequest): ProcessingResponse[] {
    return [this.answer(req)];
  }

  answer(req: ProcessingRequest): ProcessingResponse {
    switch (req.request) {
      case 'request_headers':
        return { request_headers: {} };
      case 'response_headers':
        return { response_headers: {} };
      case 'request_body':
        return this.modes().request === 'FULL_DUPLEX_STREAMED' ? streamedBody('request_body', req.request_body?.body, !!req.request_body?.end_of_stream) : { request_body: {} };
      case 'response_body':
        return this.modes().response === 'FULL_DUPLEX_STREAMED' ? streamedBody('response_body', req.response_body?.body, !!req.response_body?.end_of_stream) : { response_body: {} };
      case 'request_trailers':
        return { request_trailers: {} };
      case 'response_trailers':
        return { response_trailers: {} };
      default:
        return {};
    }
  }
}
