// A browser-like client for route tests: calls the worker's fetch, keeps cookies, waits for
// the work a response deferred (waitUntil) so emails are in the outbox when a call returns.
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import worker from "../../src/index";
import type { Env } from "../../src/env";

export const WEB_ORIGIN = "http://localhost:5173";
// A loopback host: the tests run with ENVIRONMENT=dev, which answers localhost only (SEC-64).
export const API_ORIGIN = "http://localhost";

export interface ClientOptions {
  /** Bindings to override for this client (e.g. { MODE: "b2b" }). */
  env?: Partial<Env>;
  /** CF-Connecting-IP; a fresh random one by default so tests do not share rate-limit buckets. */
  ip?: string | null;
  /** Origin header on unsafe methods; `null` sends none. */
  origin?: string | null;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** A raw body; `json` is the usual way. */
  body?: BodyInit;
  json?: unknown;
}

export function randomIP(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(3));
  return `10.${bytes[0]}.${bytes[1]}.${bytes[2]}`;
}

export function testEnv(overrides: Partial<Env> = {}): Env {
  return { ...env, ...overrides };
}

export class TestClient {
  readonly cookies = new Map<string, string>();
  readonly env: Env;
  readonly ip: string | null;
  readonly origin: string | null;

  constructor(options: ClientOptions = {}) {
    this.env = testEnv(options.env);
    this.ip = options.ip === undefined ? randomIP() : options.ip;
    this.origin = options.origin === undefined ? WEB_ORIGIN : options.origin;
  }

  get(path: string, options: RequestOptions = {}): Promise<Response> {
    return this.request("GET", path, options);
  }
  post(path: string, json?: unknown, options: RequestOptions = {}): Promise<Response> {
    return this.request("POST", path, json === undefined ? options : { ...options, json });
  }
  put(path: string, json?: unknown, options: RequestOptions = {}): Promise<Response> {
    return this.request("PUT", path, json === undefined ? options : { ...options, json });
  }
  patch(path: string, json?: unknown, options: RequestOptions = {}): Promise<Response> {
    return this.request("PATCH", path, json === undefined ? options : { ...options, json });
  }
  delete(path: string, options: RequestOptions = {}): Promise<Response> {
    return this.request("DELETE", path, options);
  }

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers = new Headers(options.headers);
    if (this.ip !== null && !headers.has("cf-connecting-ip")) headers.set("cf-connecting-ip", this.ip);
    if (this.origin !== null && !["GET", "HEAD"].includes(method) && !headers.has("origin")) {
      headers.set("origin", this.origin);
    }
    if (this.cookies.size > 0 && !headers.has("cookie")) headers.set("cookie", this.cookieHeader());
    let body = options.body;
    if (options.json !== undefined) {
      body = JSON.stringify(options.json);
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
    }
    const request = new Request(new URL(path, API_ORIGIN), { method, headers, body });
    const ctx = createExecutionContext();
    const response = await worker.fetch(request, this.env, ctx);
    await waitOnExecutionContext(ctx);
    this.storeCookies(response);
    return response;
  }

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private storeCookies(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const separator = pair!.indexOf("=");
      const name = pair!.slice(0, separator).trim();
      const value = pair!.slice(separator + 1).trim();
      const isExpired = /max-age=0/i.test(line) || value === "";
      if (isExpired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

export function createClient(options: ClientOptions = {}): TestClient {
  return new TestClient(options);
}
