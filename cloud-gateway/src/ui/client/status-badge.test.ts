import { describe, expect, it } from 'vitest';
import type { GatewayStatus } from '@review-assistant/shared';
import { describeStatus } from './status-badge.js';

const status = (overrides: Partial<GatewayStatus>): GatewayStatus => ({
  workers: 'online',
  workersUp: 1,
  backend: 'ollama',
  intentModel: { ready: true, version: 'v1', message: null },
  version: '0.1.0',
  ...overrides,
});

describe('describeStatus', () => {
  it('names the backend of an online worker', () => {
    expect(describeStatus(status({}))).toMatchObject({ state: 'online', label: 'Worker online · Ollama' });
    expect(describeStatus(status({ backend: 'offline' }))).toMatchObject({ label: 'Worker online · offline mode' });
  });

  it('reports warming up and offline, and says small talk still works when offline', () => {
    expect(describeStatus(status({ workers: 'warming-up', backend: null }))).toMatchObject({ state: 'warming-up', label: 'Worker warming up' });
    const offline = describeStatus(status({ workers: 'offline', workersUp: 0, backend: null }));
    expect(offline.state).toBe('offline');
    expect(offline.detail).toContain('small talk still works');
  });

  it('treats a failed status request as an unreachable gateway', () => {
    expect(describeStatus(undefined).state).toBe('unreachable');
  });

  it('mentions an intent model that is not loaded', () => {
    const view = describeStatus(status({ intentModel: { ready: false, version: null, message: 'checksum mismatch' } }));
    expect(view.detail).toContain('checksum mismatch');
  });
});
