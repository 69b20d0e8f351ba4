import { afterEach, describe, expect, it } from 'vitest';
import { EmfPublisher, EMF_NAMESPACE } from './emf-metrics.js';
import { createTestGateway, type TestGateway } from './testing/gateway-harness.js';
import { startWorkerDouble, type WorkerDouble } from './testing/worker-double.js';

interface EmfDocument {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [field: string]: unknown;
}

let gateway: TestGateway | undefined;
let worker: WorkerDouble | undefined;
afterEach(async () => {
  await gateway?.close();
  await worker?.close();
  gateway = undefined;
  worker = undefined;
});

/** Every metric in the documents as `name{dimension=value,...}` → value(s), the way CloudWatch extracts them. */
function extract(documents: EmfDocument[]): Map<string, unknown[]> {
  const metrics = new Map<string, unknown[]>();
  for (const document of documents) {
    for (const directive of document._aws.CloudWatchMetrics) {
      expect(directive.Namespace).toBe(EMF_NAMESPACE);
      for (const dimensionSet of directive.Dimensions) {
        // every dimension and metric a directive names must be a member of the document (EMF spec)
        for (const name of dimensionSet) expect(typeof document[name], name).toBe('string');
        for (const metric of directive.Metrics) {
          expect(document[metric.Name], metric.Name).toBeDefined();
          const key = `${metric.Name}{${dimensionSet.map((name) => `${name}=${String(document[name])}`).join(',')}}`;
          metrics.set(key, [...(metrics.get(key) ?? []), document[metric.Name]]);
        }
      }
    }
  }
  return metrics;
}

async function chat(url: string, message: string): Promise<void> {
  const response = await fetch(`${url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) });
  await response.text();
}

describe('EmfPublisher (CLOUDWATCH_EMF=true)', () => {
  it('writes chat turns by route and status, time to first token, intent confidence, workers online and 5xx as EMF lines', async () => {
    worker = await startWorkerDouble({ answer: 'The pasta is praised.' });
    gateway = createTestGateway({ pool: { staticUrls: [worker.url] } });
    const url = await gateway.listen();
    await gateway.deps.pool.probeStaticWorkers();
    const lines: string[] = [];
    const publisher = new EmfPublisher({ metrics: gateway.deps.metrics, write: (line) => lines.push(line), now: () => 1_800_000_000_000 }).start();

    await chat(url, 'what about the pasta at luigi');
    await chat(url, 'how is the pizza at napoli');
    await chat(url, 'hello there');
    await publisher.flush();

    expect(lines.every((line) => line.endsWith('\n') && !line.slice(0, -1).includes('\n'))).toBe(true);
    const documents = lines.map((line) => JSON.parse(line) as EmfDocument);
    expect(new Set(documents.map((document) => document._aws.Timestamp))).toEqual(new Set([1_800_000_000_000]));
    const metrics = extract(documents);
    expect(metrics.get('ChatTurns{Route=worker,Status=ok}')).toEqual([2]);
    expect(metrics.get('ChatTurns{Route=smalltalk,Status=ok}')).toEqual([1]);
    const firstTokens = metrics.get('TimeToFirstToken{}')?.[0] as number[];
    expect(firstTokens).toHaveLength(3);
    for (const value of firstTokens) expect(value).toBeGreaterThan(0);
    const confidences = metrics.get('IntentConfidence{}')?.[0] as number[];
    expect(confidences).toHaveLength(3);
    for (const value of confidences) expect(value).toBeGreaterThan(0);
    expect(metrics.get('WorkersOnline{}')).toEqual([1]);
    expect(metrics.get('ServerErrors{}')).toEqual([0]);

    // a failed turn counts as Status=error: the error code stays out of the dimensions (each
    // distinct dimension value would be one more billed custom metric)
    lines.length = 0;
    worker.setFault('http-error');
    await chat(url, 'and the pizza at roma');
    await publisher.stop();
    const failed = extract(lines.map((line) => JSON.parse(line) as EmfDocument));
    expect([...failed.keys()].filter((key) => key.startsWith('ChatTurns'))).toEqual(['ChatTurns{Route=worker,Status=error}']);
    expect(failed.get('ChatTurns{Route=worker,Status=error}')).toEqual([1]);
  });

  it('reports each turn and each 5xx in one interval only, and workers online as they are now', async () => {
    gateway = createTestGateway();
    const url = await gateway.listen();
    const lines: string[] = [];
    const publisher = new EmfPublisher({ metrics: gateway.deps.metrics, write: (line) => lines.push(line) }).start();
    await chat(url, 'hello there');
    // two 5xx responses as the request middleware counts them
    gateway.deps.metrics.httpRequests.inc({ method: 'GET', route: '/x', status: '503' }, 2);
    await publisher.flush();
    const first = extract(lines.splice(0).map((line) => JSON.parse(line) as EmfDocument));
    expect(first.get('ChatTurns{Route=smalltalk,Status=ok}')).toEqual([1]);
    expect(first.get('ServerErrors{}')).toEqual([2]);
    expect(first.get('WorkersOnline{}')).toEqual([0]);

    await publisher.stop();
    const second = extract(lines.map((line) => JSON.parse(line) as EmfDocument));
    expect(second.has('ChatTurns{Route=smalltalk,Status=ok}')).toBe(false);
    expect(second.get('ServerErrors{}')).toEqual([0]);
    // stopped: later turns are not collected any more
    await chat(url, 'hello again');
    expect(gateway.deps.metrics.turnObservers).toEqual([]);
  });
});
