import autocannon from 'autocannon';

export interface LoadRun {
  name: string;
  hooks: number;
  calls: number;
  callsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Answers other than 200, and connection errors: a run with any is not reported as a figure. */
  failures: number;
  serverCpuUsPerCall: number;
}

export interface LoadSpec {
  name: string;
  url: string;
  /** Launch paths, called round-robin (one entry: every call on one hook). */
  paths: readonly string[];
  method: 'GET' | 'POST';
  /** The query string of a GET, or the JSON body of a POST. */
  payload: string;
  connections: number;
  seconds: number;
}

/** One autocannon run against launch URLs; `cpu` reads the server's CPU seconds before and after. */
export async function runLoad(spec: LoadSpec, cpu: () => number): Promise<LoadRun> {
  let next = 0;
  const path = () => spec.paths[next++ % spec.paths.length]!;
  const cpuBefore = cpu();
  const result = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.seconds,
    requests: [
      spec.method === 'GET'
        ? { method: 'GET', setupRequest: (request) => ({ ...request, path: `${path()}?${spec.payload}` }) }
        : {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: spec.payload,
            setupRequest: (request) => ({ ...request, path: path() }),
          },
    ],
  });
  const cpuSeconds = cpu() - cpuBefore;
  const calls = result['2xx'];
  return {
    name: spec.name,
    hooks: spec.paths.length,
    calls,
    callsPerSecond: calls / result.duration,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    failures: result.non2xx + result.errors,
    serverCpuUsPerCall: calls > 0 ? (cpuSeconds * 1e6) / calls : 0,
  };
}
