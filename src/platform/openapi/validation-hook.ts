// Turns a failed zod validation into 422 VALIDATION_ERROR with the list of fields at fault.
import type { Hook } from "@hono/zod-openapi";
import type { z } from "zod";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";

export interface FieldError {
  field: string;
  message: string;
}

export function listFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: base ? `${base}.${key}` : key, message: "Unknown field." }));
    }
    return [{ field: base || "(body)", message: issue.message }];
  });
}

export const validationHook: Hook<unknown, AppEnv, string, void> = (result) => {
  if (!result.success) {
    throw new AppError("VALIDATION_ERROR", "The request is not valid.", {
      fields: listFieldErrors(result.error as z.ZodError),
    });
  }
};
