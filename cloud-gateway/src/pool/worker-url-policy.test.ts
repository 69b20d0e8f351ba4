import { describe, expect, it } from 'vitest';
import { WorkerUrlPolicy } from './worker-url-policy.js';

const strict = new WorkerUrlPolicy();
const local = new WorkerUrlPolicy({ allowPrivate: true });

describe('WorkerUrlPolicy', () => {
  it('accepts https URLs on the ngrok domains by default and normalizes them', () => {
    expect(strict.check('https://Abc-12.ngrok-free.app/')).toBe('https://abc-12.ngrok-free.app');
    expect(strict.check('https://w.eu.ngrok.io:443/base/')).toBe('https://w.eu.ngrok.io/base');
    expect(strict.check('https://my.ngrok.dev')).toBe('https://my.ngrok.dev');
  });

  it.each([
    ['http://169.254.169.254/latest/', /https/],
    ['https://169.254.169.254/latest/', /link-local/],
    ['http://127.0.0.1:9/', /https/],
    ['https://127.0.0.1:9/', /IP address/],
    ['https://[::1]:8787', /IP address/],
    ['https://0x7f.0.0.1/', /IP address/],
    ['https://10.0.0.5/', /IP address/],
    ['https://localhost:8787', /loopback/],
    ['https://ngrok-free.app', /WORKER_ALLOWED_HOSTS/],
    ['https://evil.example.com', /WORKER_ALLOWED_HOSTS/],
    ['https://abc.ngrok-free.app.evil.com', /WORKER_ALLOWED_HOSTS/],
    ['https://user:pass@abc.ngrok-free.app', /credentials/],
    ['https://abc.ngrok-free.app/?x=1', /query or fragment/],
    ['https://abc.ngrok-free.app/#frag', /query or fragment/],
    ['ftp://abc.ngrok-free.app', /https/],
  ])('refuses %s by default', (url, reason) => {
    expect(() => strict.check(url)).toThrow(expect.objectContaining({ code: 'worker_url_rejected', status: 400, message: expect.stringMatching(reason) }));
  });

  it('matches configured patterns exactly or by subdomain', () => {
    const policy = new WorkerUrlPolicy({ allowedHosts: ['worker.example.com', '*.tunnels.example.org'] });
    expect(policy.check('https://worker.example.com')).toBe('https://worker.example.com');
    expect(policy.check('https://a.b.tunnels.example.org')).toBe('https://a.b.tunnels.example.org');
    expect(() => policy.check('https://x.worker.example.com')).toThrow(/WORKER_ALLOWED_HOSTS/);
    expect(() => policy.check('https://abc.ngrok-free.app')).toThrow(/WORKER_ALLOWED_HOSTS/);
  });

  it('with ALLOW_PRIVATE_WORKER_URLS accepts http, loopback and service names, never metadata, 0.0.0.0, credentials or queries', () => {
    expect(local.check('http://127.0.0.1:8787/')).toBe('http://127.0.0.1:8787');
    expect(local.check('http://worker:8787')).toBe('http://worker:8787');
    expect(local.check('http://[::1]:8787')).toBe('http://[::1]:8787');
    expect(() => local.check('http://169.254.169.254/latest/')).toThrow(/link-local/);
    expect(() => local.check('http://[fe80::1]:80/')).toThrow(/link-local/);
    expect(() => local.check('http://0.0.0.0:8787')).toThrow(/unspecified/);
    expect(() => local.check('http://u:p@worker:8787')).toThrow(/credentials/);
    expect(() => local.check('http://worker:8787/?a')).toThrow(/query/);
    expect(() => local.check('file:///etc/passwd')).toThrow(/https/);
  });
});
