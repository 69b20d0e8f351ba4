import { describe, expect, it } from 'vitest';
import { AppError, errorCatalogue, publicErrorMessage, type ErrorCode } from './errors.js';

describe('publicErrorMessage', () => {
  it('keeps the message of client errors (4xx), which describes the client\'s own request', () => {
    expect(publicErrorMessage('validation_failed', 'message: must not be empty')).toBe('message: must not be empty');
    expect(publicErrorMessage('rate_limited', 'retry in 3 s')).toBe('retry in 3 s');
  });

  it('replaces the message of every server-side code with a fixed text of its own', () => {
    const serverCodes = (Object.keys(errorCatalogue) as ErrorCode[]).filter((code) => errorCatalogue[code].status >= 500);
    const leaky = 'connect ECONNREFUSED 10.0.3.7:8787 (gpu-pc.home.lan) s3://acme-models 123456789012';
    for (const code of serverCodes) {
      const message = publicErrorMessage(code, leaky);
      expect({ code, message }).toEqual({ code, message: expect.not.stringMatching(/ECONNREFUSED|10\.0\.3\.7|gpu-pc|acme|1234/) });
      if (code !== 'internal') expect(message).not.toBe(publicErrorMessage('internal', leaky));
    }
  });

  it('treats a client code raised with a server status, and unknown codes, as server-side', () => {
    expect(publicErrorMessage('model_unavailable', 'ollama at 10.0.0.2 is down', 502)).not.toMatch(/10\.0\.0\.2/);
    expect(publicErrorMessage('validation_failed', 'worker said: 10.0.0.2', 502)).not.toMatch(/10\.0\.0\.2/);
    expect(publicErrorMessage('something_new', 'at 10.0.0.2')).not.toMatch(/10\.0\.0\.2/);
  });

  it('is what AppError.toPublicBody renders, without details for server errors', () => {
    const error = new AppError('worker_unavailable', 'worker gpu-pc unreachable: ECONNREFUSED', { details: { host: 'gpu-pc' } });
    expect(error.toPublicBody('r1')).toEqual({ error: { code: 'worker_unavailable', message: publicErrorMessage('worker_unavailable', ''), requestId: 'r1' } });
    expect(new AppError('bad_request', 'no such field', { details: { field: 'x' } }).toPublicBody()).toEqual({ error: { code: 'bad_request', message: 'no such field', details: { field: 'x' } } });
  });
});
