// HTTP for the sys_admin part of second factors: POST /users/{id}/mfa/reset.
import { minRole } from "../../middleware/access";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { noContent, requireActor } from "../../platform/route-helpers";
import { IdParamSchema } from "../../platform/schemas";
import { serviceContextFrom } from "../../platform/service-context";
import { resetSecondFactors } from "./reset-service";

const reset = defineRoute(
  { access: minRole("sys_admin"), errors: { NOT_FOUND: "no such user" } },
  {
    method: "post",
    path: "/{id}/mfa/reset",
    tags: ["Administration"],
    summary: "Remove a user's second factors and end their sessions",
    description:
      "Removes TOTP, recovery codes and passkeys and any pending sign-in, and revokes every session of the user; audited (mfa_reset). For someone who lost their authenticator and recovery codes: verify who they are out of band first.",
    request: { params: IdParamSchema },
    responses: { 204: noContent("Reset") },
  },
);

export const mfaAdminRoutes = createRouter().openapi(reset, async (c) => {
  await resetSecondFactors(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
  return c.body(null, 204);
});
