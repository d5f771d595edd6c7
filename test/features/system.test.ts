import { describe, expect, it } from "vitest";
import { createClient } from "../helpers/client";

describe("service routes", () => {
  it("GET /health checks D1", async () => {
    const response = await createClient().get("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok", db: "ok" });
  });

  it("GET /config reports mode and environment", async () => {
    expect(await (await createClient().get("/config")).json()).toEqual({
      mode: "b2c",
      environment: "dev",
      google_oauth: false,
    });
    expect(await (await createClient({ env: { MODE: "b2b" } }).get("/config")).json()).toMatchObject({ mode: "b2b" });
  });

  it("GET /openapi.json is an OpenAPI 3.1 document with the access rule on every operation", async () => {
    const document = (await (await createClient().get("/openapi.json")).json()) as {
      openapi: string;
      paths: Record<string, Record<string, { "x-min-role"?: string }>>;
    };
    expect(document.openapi).toBe("3.1.0");
    expect(document.paths["/users/me"]?.get?.["x-min-role"]).toBe("readonly");
    expect(document.paths["/auth/login"]?.post?.["x-min-role"]).toBe("public");
  });

  it("GET /dev/emails is 404 outside dev or without the stub provider", async () => {
    const staging = createClient({
      env: {
        ENVIRONMENT: "staging",
        WEB_BASE_URL: "https://staging.example.com",
        CORS_ORIGINS: "https://staging.example.com",
        EMAIL_PROVIDER: "resend",
        RESEND_API_KEY: "re_key",
      },
    });
    const response = await staging.get("/dev/emails?to=ada@example.com");
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
  });
});
