// Turns a failed zod validation into 422 VALIDATION_ERROR with the list of fields at fault, each
// with a message a person can act on ("is required", "must be a string", "must be at least 8
// characters") instead of zod's own ("Invalid input: expected string, received undefined").
import type { Hook } from "@hono/zod-openapi";
import { z } from "zod";
import type { AppEnv } from "../../env";
import { AppError } from "../../errors";

export interface FieldError {
  field: string;
  message: string;
}

/** Phrases for zod's `expected` names; the rest read as they are ("must be a date"). */
const EXPECTED: Readonly<Record<string, string>> = {
  string: "a string",
  number: "a number",
  int: "an integer",
  bigint: "an integer",
  boolean: "true or false",
  object: "an object",
  array: "an array",
  date: "a date",
  null: "null",
};

/** What zod's sizes count, by the kind of value they are on. */
function unitsOf(origin: string, count: number | bigint): string {
  const plural = count === 1 || count === 1n ? "" : "s";
  if (origin === "string") return `${count} character${plural}`;
  if (origin === "array" || origin === "set") return `${count} item${plural}`;
  if (origin === "file") return `${count} byte${plural}`;
  return String(count);
}

const FORMATS: Readonly<Record<string, string>> = {
  email: "a valid email address",
  url: "a valid URL",
  uuid: "a valid UUID",
  guid: "a valid UUID",
  datetime: "an ISO 8601 date and time",
  date: "an ISO 8601 date",
  regex: "in the expected format",
};

/**
 * The error map: one clear phrase per kind of issue, read after the field's name. Messages written
 * into a schema (`.min(32, "...")`, refinements) take precedence over it, as zod orders them; an
 * issue it does not know keeps zod's own wording. https://zod.dev/error-customization
 */
export const describeIssue: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "is required";
      return `must be ${EXPECTED[issue.expected] ?? `a ${issue.expected}`}`;
    case "too_small": {
      const bound = issue.inclusive === false ? "more than" : "at least";
      if (issue.origin === "string" && Number(issue.minimum) === 1) return "must not be empty";
      return `must be ${bound} ${unitsOf(issue.origin, issue.minimum)}`;
    }
    case "too_big": {
      const bound = issue.inclusive === false ? "less than" : "at most";
      return `must be ${bound} ${unitsOf(issue.origin, issue.maximum)}`;
    }
    case "invalid_format":
      return `must be ${FORMATS[issue.format] ?? `a valid ${issue.format}`}`;
    case "invalid_value":
      return issue.values.length === 1
        ? `must be ${JSON.stringify(issue.values[0])}`
        : `must be one of ${issue.values.map((value) => JSON.stringify(value)).join(", ")}`;
    case "not_multiple_of":
      return `must be a multiple of ${issue.divisor}`;
    case "invalid_union":
      return "does not match any of the accepted shapes";
    case "invalid_key":
    case "invalid_element":
      return "holds an invalid entry";
    default:
      return undefined;
  }
};

// Installed once for the worker: every schema the routes and services parse reports in these
// words. zod's global config is the documented place for an application-wide error map.
z.config({ customError: describeIssue });

export function listFieldErrors(error: z.ZodError): FieldError[] {
  return error.issues.flatMap((issue): FieldError[] => {
    const base = issue.path.map(String).join(".");
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((key) => ({ field: base ? `${base}.${key}` : key, message: "is not a known field" }));
    }
    return [{ field: base || "(body)", message: issue.message }];
  });
}

/** "The request is not valid: email is required; password must be at least 8 characters." */
function summarizeFieldErrors(fields: FieldError[]): string {
  // A phrase ("is required") reads after the name; a sentence a schema wrote ("Use at least 8
  // characters.") after a colon.
  const listed = fields
    .slice(0, 5)
    .map(
      ({ field, message }) =>
        `${field.slice(0, 100)}${/^\p{Lu}/u.test(message) ? ":" : ""} ${message.replace(/\.$/, "")}`,
    );
  const more = fields.length > 5 ? `; and ${fields.length - 5} more` : "";
  return listed.length === 0 ? "The request is not valid." : `The request is not valid: ${listed.join("; ")}${more}.`;
}

export const validationHook: Hook<unknown, AppEnv, string, void> = (result) => {
  if (!result.success) {
    const fields = listFieldErrors(result.error as z.ZodError);
    throw new AppError("VALIDATION_ERROR", summarizeFieldErrors(fields), { fields });
  }
};
