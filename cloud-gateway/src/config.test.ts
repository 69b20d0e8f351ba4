import { describe, expect, it } from 'vitest';
import { ConfigError } from '@review-assistant/shared';
import { loadGatewayConfig } from './config.js';

describe('loadGatewayConfig', () => {
  it('uses the documented defaults', () => {
    const config = loadGatewayConfig({ env: {} });
    expect(config).toMatchObject({ port: 8080, host: '127.0.0.1', workerUrls: [], apiKeys: [], logStore: 'local', workerConcurrency: 8, trustProxy: false, corsOrigins: [] });
  });

  it('parses worker URLs and tuning knobs, and names bad variables', () => {
    const config = loadGatewayConfig({ env: { WORKER_URLS: 'http://127.0.0.1:8787, https://w.example', WORKER_IDLE_TIMEOUT_MS: '5000', TRUST_PROXY: 'yes' } });
    expect(config.workerUrls).toEqual(['http://127.0.0.1:8787', 'https://w.example']);
    expect(config.idleTimeoutMs).toBe(5000);
    expect(config.trustProxy).toBe(true);
    expect(() => loadGatewayConfig({ env: { WORKER_URLS: 'not-a-url' } })).toThrow(ConfigError);
    expect(() => loadGatewayConfig({ env: { WORKER_CONCURRENCY: '0' } })).toThrow(/WORKER_CONCURRENCY/);
  });

  it('refuses to start with an API key shorter than 20 characters, naming API_KEYS and never echoing the keys', () => {
    const attempt = () => loadGatewayConfig({ env: { API_KEYS: 'a-long-enough-api-key-01,short-key' } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/API_KEYS: each key must be at least 20 characters/);
    try {
      attempt();
    } catch (error) {
      expect(String((error as Error).message)).not.toMatch(/short-key|a-long-enough/);
    }
    expect(loadGatewayConfig({ env: { API_KEYS: 'a-long-enough-api-key-01, another-long-api-key-02' } }).apiKeys).toEqual(['a-long-enough-api-key-01', 'another-long-api-key-02']);
  });
});
