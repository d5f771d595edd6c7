// 422 VALIDATION_ERROR names each field at fault in words a person can act on, through the one error
// map of src/openapi/validation-hook.ts, and never echoes a submitted value.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { describeIssue, listFieldErrors } from "../../src/platform/openapi/validation-hook";
import { createClient } from "../helpers/client";

interface ValidationBody {
  error: { code: string; message: string; details: { fields: Array<{ field: string; message: string }> } };
}

async function validationError(response: Response): Promise<ValidationBody["error"]> {
  expect(response.status).toBe(422);
  const body = (await response.json()) as ValidationBody;
  expect(body.error.code).toBe("VALIDATION_ERROR");
  return body.error;
}

describe("validation messages", () => {
  it("a missing field is required, a wrong type says the type, an extra field is not a known one", async () => {
    const client = createClient();
    const missing = await validationError(await client.post("/auth/login", {}));
    expect(missing.details.fields).toEqual([
      { field: "email", message: "is required" },
      { field: "password", message: "is required" },
    ]);
    expect(missing.message).toBe("The request is not valid: email is required; password is required.");

    const wrong = await validationError(
      await client.post("/auth/signup", { email: 42, password: ["hunter2-secret"], nickname: "x" }),
    );
    expect(wrong.details.fields).toEqual([
      { field: "email", message: "must be a string" },
      { field: "password", message: "must be a string" },
      { field: "nickname", message: "is not a known field" },
    ]);
    expect(JSON.stringify(wrong)).not.toContain("hunter2-secret");
    for (const { message } of [...missing.details.fields, ...wrong.details.fields]) {
      expect(message).not.toMatch(/Invalid input|expected|received/);
    }
  });

  it("formats, sizes and choices read as sentences after the field name; messages written in a schema win", () => {
    const schema = z.strictObject({
      email: z.email(),
      name: z.string().min(1).max(3),
      code: z.string().min(8),
      count: z.number().int().min(1).max(10),
      tags: z.array(z.string()).max(1),
      tone: z.enum(["neutral", "formal"]),
      kind: z.literal("note"),
      id: z.uuid(),
      secret: z.string().min(32, "must be at least 32 characters, from a password manager"),
      flag: z.boolean(),
    });
    const result = schema.safeParse({
      email: "not-an-email",
      name: "",
      code: "short",
      count: 1.5,
      tags: ["a", "b"],
      tone: "loud",
      kind: "task",
      id: "123",
      secret: "x",
      flag: null,
    });
    expect(result.success).toBe(false);
    expect(listFieldErrors(result.error!)).toEqual([
      { field: "email", message: "must be a valid email address" },
      { field: "name", message: "must not be empty" },
      { field: "code", message: "must be at least 8 characters" },
      { field: "count", message: "must be an integer" },
      { field: "tags", message: "must be at most 1 item" },
      { field: "tone", message: 'must be one of "neutral", "formal"' },
      { field: "kind", message: 'must be "note"' },
      { field: "id", message: "must be a valid UUID" },
      { field: "secret", message: "must be at least 32 characters, from a password manager" },
      { field: "flag", message: "must be true or false" },
    ]);
    const big = z.object({ n: z.number().max(5), s: z.string().max(2) }).safeParse({ n: 6, s: "abc" });
    expect(listFieldErrors(big.error!).map((entry) => entry.message)).toEqual([
      "must be at most 5",
      "must be at most 2 characters",
    ]);
    expect(typeof describeIssue).toBe("function");
  });
});
