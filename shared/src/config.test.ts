import { z } from 'zod';
import { describe, expect, it } from 'vitest';
import { ConfigError, configEntry, envBoolean, envList, envPort, loadConfig } from './config.js';
import { environment } from './environment.js';

const spec = {
  port: configEntry({ env: 'PORT', schema: envPort, default: 8080, example: '8080', description: '' }),
  secret: configEntry({ env: 'SECRET', schema: z.string().min(16).optional(), example: 'xxxx', description: '', secret: true }),
  flag: configEntry({ env: 'FLAG', schema: envBoolean, default: false, example: 'true', description: '' }),
  list: configEntry({ env: 'LIST', schema: envList, default: '', example: 'a,b', description: '' }),
};

describe('loadConfig', () => {
  it('prefers an explicit option, then the environment, then the default', () => {
    expect(loadConfig(spec, { env: {} }).port).toBe(8080);
    expect(loadConfig(spec, { env: { PORT: '9000' } }).port).toBe(9000);
    expect(loadConfig(spec, { env: { PORT: '9000' }, overrides: { port: 9100 } }).port).toBe(9100);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig(spec, { env: { PORT: '' } }).port).toBe(8080);
  });

  it('parses booleans and lists the way people write them', () => {
    expect(loadConfig(spec, { env: { FLAG: 'false' } }).flag).toBe(false);
    expect(loadConfig(spec, { env: { FLAG: 'YES' } }).flag).toBe(true);
    expect(loadConfig(spec, { env: { LIST: ' a, ,b ' } }).list).toEqual(['a', 'b']);
  });

  it('names every bad variable with an example value', () => {
    let error: unknown;
    try {
      loadConfig(spec, { env: { PORT: 'eighty', FLAG: 'maybe' } });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    expect(message).toMatch(/PORT: .*"eighty".*example: PORT=8080/);
    expect(message).toMatch(/FLAG: .*example: FLAG=true/);
    expect((error as ConfigError).problems.map((problem) => problem.variable)).toEqual(['PORT', 'FLAG']);
  });

  it('never echoes a secret value', () => {
    expect(() => loadConfig(spec, { env: { SECRET: 'short-secret' } })).toThrow(ConfigError);
    try {
      loadConfig(spec, { env: { SECRET: 'short-secret' } });
    } catch (error) {
      expect((error as Error).message).toContain('SECRET');
      expect((error as Error).message).not.toContain('short-secret');
    }
  });

  it('loads the whole project environment with its documented defaults', () => {
    const config = loadConfig(environment, { env: {} });
    expect(config.port).toBe(8080);
    expect(config.workerPort).toBe(8787);
    expect(config.dataDir).toBe('./data');
    expect(config.ollamaHost).toBe('http://127.0.0.1:11434');
    expect(config.modelBackend).toBe('auto');
    expect(config.chatModel).toBe('llama3.2');
    expect(config.embedModel).toBe('mxbai-embed-large');
    expect(config.logStore).toBe('local');
    expect(config.chromaUrl).toBeUndefined();
  });
});
