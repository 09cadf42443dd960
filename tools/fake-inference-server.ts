/**
 * Test support: a Node HTTP server on 127.0.0.1 that the wire-format fakes (fake-vllm.ts,
 * fake-sglang.ts) plug their routes into, with the faults the server engine's client must survive:
 * dropped connections, 503s, 429s, 500s, malformed JSON, slowness, dying mid-job and coming back on
 * the same port. Faults are changed while it runs (`server.faults`), and it counts what it was asked.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface Faults {
  /** The next N scoring requests have their connection destroyed without an answer. */
  drop: number;
  /** The next N scoring requests are answered 503. */
  unavailable: number;
  /** The next N scoring requests are answered 429 (a rate-limiting proxy in front of the server). */
  rateLimited: number;
  /** The next N scoring requests are answered 500 (the engine failed on them). */
  internalError: number;
  /** The next N scoring requests are answered 200 with a body cut short (not JSON). */
  malformed: number;
  /** Every scoring request waits this long before it is answered. */
  delayMs: number;
  /** After answering this many scoring requests the server stops (connections destroyed); null: never. */
  dieAfter: number | null;
}

export interface FakeReply {
  status: number;
  body: unknown;
}

/** A route's answer; `scoring` routes are the ones faults and counts apply to. */
export type Route = (body: unknown) => Promise<FakeReply> | FakeReply;

export interface FakeRoutes {
  get: Record<string, Route>;
  post: Record<string, Route>;
  /** Paths whose requests are scoring requests (faults apply, counted). */
  scoring: readonly string[];
}

export interface FakeServer {
  readonly url: string;
  readonly port: number;
  faults: Faults;
  /** Scoring requests received, and answered 200 with log-probs. */
  readonly counts: { received: number; answered: number };
  /** The token-id prompts of the answered scoring requests, in order. */
  readonly answeredPrompts: number[][];
  /** Every request received (method, path, the Origin header a browser sent), in order. */
  readonly requests: { method: string; path: string; origin: string | null }[];
  close(): Promise<void>;
  /** Listens again on the same port after a close or a death. */
  restart(): Promise<void>;
  readonly listening: boolean;
}

export const NO_FAULTS: Faults = { drop: 0, unavailable: 0, rateLimited: 0, internalError: 0, malformed: 0, delayMs: 0, dieAfter: null };

const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  request.setEncoding('utf8');
  for await (const chunk of request) text += chunk as string;
  return text;
}

export interface FakeServerOptions {
  port?: number;
  faults?: Partial<Faults>;
  promptOf?: (body: unknown) => number[];
  /**
   * Origins whose pages may read the answers (CORS), as vLLM's `--allowed-origins` sets them
   * (Starlette's CORSMiddleware: `*` or exact origins; a preflight from another origin is answered
   * 400). Absent: no CORS header at all, so a browser page on another origin cannot read anything.
   */
  allowedOrigins?: readonly string[];
}

/**
 * CORS headers for a request from `origin`, as Starlette's CORSMiddleware writes them (vLLM and
 * SGLang both use it): null when the origin is not allowed.
 */
function corsHeadersFor(origin: string | undefined, allowed: readonly string[] | undefined): Record<string, string> | null {
  if (origin === undefined || !allowed) return null;
  if (allowed.includes('*')) return { 'access-control-allow-origin': '*' };
  return allowed.includes(origin) ? { 'access-control-allow-origin': origin, vary: 'Origin' } : null;
}

export async function startFakeServer(routes: FakeRoutes, options: FakeServerOptions = {}): Promise<FakeServer> {
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = options.port ?? 0;
  const state = {
    faults: { ...NO_FAULTS, ...options.faults },
    counts: { received: 0, answered: 0 },
    answeredPrompts: [] as number[][],
    requests: [] as { method: string; path: string; origin: string | null }[],
  };

  const send = (response: ServerResponse, reply: FakeReply) => {
    const text = JSON.stringify(reply.body);
    const cors = corsHeadersFor(response.req.headers.origin, options.allowedOrigins) ?? {};
    response.writeHead(reply.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...cors });
    response.end(text);
  };

  const die = () => {
    server?.close();
    for (const socket of sockets) socket.destroy();
    server = null;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '/').split('?')[0];
    state.requests.push({ method: request.method ?? '', path, origin: request.headers.origin ?? null });
    const text = await readBody(request);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      // A CORS preflight (a JSON POST from a page of another origin sends one first).
      const cors = corsHeadersFor(request.headers.origin, options.allowedOrigins);
      if (!cors) {
        response.writeHead(options.allowedOrigins ? 400 : 405, { 'content-type': 'text/plain' });
        return void response.end(options.allowedOrigins ? 'Disallowed CORS origin' : 'Method Not Allowed');
      }
      response.writeHead(200, { ...cors, 'access-control-allow-methods': 'DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT', 'access-control-allow-headers': request.headers['access-control-request-headers'] ?? '', 'access-control-max-age': '600' });
      return void response.end();
    }
    const table = request.method === 'GET' ? routes.get : request.method === 'POST' ? routes.post : {};
    const route = table[path];
    if (!route) return send(response, { status: 404, body: { detail: 'Not Found' } });
    let body: unknown = null;
    if (text !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        return send(response, { status: 400, body: { error: { message: 'the request body is not JSON', type: 'BadRequestError', param: null, code: 400 } } });
      }
    }
    if (!routes.scoring.includes(path)) return send(response, await route(body));
    state.counts.received++;
    const { faults } = state;
    if (faults.drop > 0) {
      faults.drop--;
      request.socket.destroy();
      return;
    }
    if (faults.delayMs > 0) await sleep(faults.delayMs);
    if (faults.unavailable > 0) {
      faults.unavailable--;
      return send(response, { status: 503, body: { error: { message: 'Service Unavailable', type: 'ServiceUnavailableError', param: null, code: 503 } } });
    }
    if (faults.rateLimited > 0) {
      faults.rateLimited--;
      return send(response, { status: 429, body: { error: { message: 'Too Many Requests', type: 'RateLimitError', param: null, code: 429 } } });
    }
    if (faults.internalError > 0) {
      faults.internalError--;
      return send(response, { status: 500, body: { error: { message: 'EngineCore encountered an issue', type: 'InternalServerError', param: null, code: 500 } } });
    }
    if (faults.malformed > 0) {
      faults.malformed--;
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"id": "cmpl-1", "choices": [{"prompt_logprobs": [null, {"1');
      return;
    }
    if (!server) return; // died while this one waited
    const reply = await route(body);
    if (response.destroyed) return;
    send(response, reply);
    if (reply.status === 200) {
      state.counts.answered++;
      if (options.promptOf) state.answeredPrompts.push(options.promptOf(body));
      if (faults.dieAfter !== null && state.counts.answered >= faults.dieAfter) die();
    }
  };

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const created = createServer((request, response) => {
        handle(request, response).catch((error: unknown) => {
          if (!response.headersSent) send(response, { status: 500, body: { error: { message: String(error), type: 'InternalServerError', param: null, code: 500 } } });
        });
      });
      created.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      created.once('error', reject);
      created.listen(port, '127.0.0.1', () => {
        port = (created.address() as AddressInfo).port;
        server = created;
        resolve();
      });
    });

  await listen();
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    get port() {
      return port;
    },
    get faults() {
      return state.faults;
    },
    set faults(value: Faults) {
      state.faults = value;
    },
    counts: state.counts,
    answeredPrompts: state.answeredPrompts,
    requests: state.requests,
    get listening() {
      return server !== null;
    },
    async close() {
      const closing = server;
      die();
      if (closing) await new Promise((resolve) => closing.close(() => resolve(undefined)));
    },
    async restart() {
      if (server) return;
      await listen();
    },
  };
}
