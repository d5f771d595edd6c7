// Builds the Hono app: global middleware in the order ARCHITECTURE.md fixes, then the routers.
import { bodyLimit } from "hono/body-limit";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "./env";
import { AppError } from "./errors";
import { createAppRouter } from "./platform/openapi/app-factory";
import { securityHeaders } from "./middleware/security-headers";
import { loopbackOnlyInDev } from "./middleware/loopback-only";
import { requestContext } from "./middleware/request-context";
import { corsPolicy } from "./middleware/cors";
import { originCheck } from "./middleware/origin-check";
import { handleError } from "./middleware/error-handler";
import { answerUnmatched } from "./middleware/method-not-allowed";
import { systemRoutes } from "./features/system/routes";
import { authRoutes } from "./features/auth/routes";
import { oauthRoutes } from "./features/oauth/routes";
import { passkeyRoutes } from "./features/passkeys/routes";
import { mfaRoutes } from "./features/mfa/routes";
import { mfaAdminRoutes } from "./features/mfa/admin-routes";
import { passwordRoutes } from "./features/password/routes";
import { userRoutes } from "./features/users/routes";
import { settingsRoutes } from "./features/settings/routes";
import { cronRoutes } from "./cron/routes";
import { userAdminRoutes } from "./features/users/admin-routes";
import { accountRoutes } from "./features/users/account-routes";
import { organizationRoutes } from "./features/orgs/routes";
import { membershipRoutes } from "./features/orgs/memberships-routes";
import { invitationRoutes } from "./features/orgs/invitation-routes";
import { adminRoutes } from "./features/orgs/admin-routes";
import { adminStatsRoutes } from "./features/admin/routes";
import { noteRoutes } from "./features/notes/routes";
import { planRoutes } from "./features/plans/routes";
import { planAdminRoutes } from "./features/plans/admin-routes";
import { copilotRoutes } from "./features/ai/routes";
import { usageRoutes } from "./features/usage/routes";
import { apiKeyRoutes } from "./features/api-keys/routes";
import { tokenRoutes } from "./features/tokens/routes";
import { billingRoutes, subscriptionRoutes } from "./features/billing/routes";
import { webhookRoutes } from "./features/billing/webhook-routes";
import { devRoutes } from "./features/dev/routes";
import { webhookEndpointRoutes } from "./features/webhooks/routes";
import { DOCS_PATH, docsResponseHeaders, docsRoutes } from "./features/docs/routes";
import { serveOpenAPIDocument } from "./platform/openapi/document";
import { provideServices } from "./platform/service-context";
import { createQuotaMeter } from "./features/plans/quota";
import { createSecondFactorCheck } from "./features/mfa/second-factor-check";
import { BODY_LIMIT_BYTES, BODY_LIMIT_OVERRIDES, formatBytes } from "./platform/body-limits";

function limitBody(maxSize: number): MiddlewareHandler<AppEnv> {
  return bodyLimit({
    maxSize,
    onError: () => {
      throw new AppError("PAYLOAD_TOO_LARGE", `The request body is over ${formatBytes(maxSize)}.`);
    },
  });
}

export function createApp() {
  const app = createAppRouter();

  // Before the security headers so that it runs after them: /docs gets its own CSP (SEC-43).
  app.use(`${DOCS_PATH}/*`, docsResponseHeaders);
  app.use(securityHeaders);
  // Before CORS and everything else: a dev worker on a public host answers nothing but 503 (SEC-64).
  app.use(loopbackOnlyInDev);
  app.use(corsPolicy);
  app.use(requestContext);
  app.use(provideServices({ createQuotaMeter, createSecondFactorCheck }));
  const defaultBodyLimit = limitBody(BODY_LIMIT_BYTES);
  const bodyLimitOverrides = new Map(
    Object.entries(BODY_LIMIT_OVERRIDES).map(([path, size]) => [path, limitBody(size)]),
  );
  // A request without a body has nothing to limit (bodyLimit itself passes it straight on): skip
  // the lookup and bodyLimit's own async frame, which every GET would otherwise pay.
  app.use((c, next) =>
    c.req.raw.body === null ? next() : (bodyLimitOverrides.get(c.req.path) ?? defaultBodyLimit)(c, next),
  );
  app.use(originCheck);

  const routes = app
    .route("/", systemRoutes)
    .route(DOCS_PATH, docsRoutes)
    .route("/auth", authRoutes)
    .route("/auth/oauth", oauthRoutes)
    .route("/", tokenRoutes)
    .route("/auth/passkeys", passkeyRoutes)
    .route("/auth/mfa", mfaRoutes)
    .route("/password", passwordRoutes)
    .route("/users", userRoutes)
    .route("/users", userAdminRoutes)
    .route("/users", accountRoutes)
    .route("/users", mfaAdminRoutes)
    .route("/organization", organizationRoutes)
    .route("/organizations", membershipRoutes)
    .route("/invitations", invitationRoutes)
    .route("/admin", adminRoutes)
    .route("/admin", adminStatsRoutes)
    .route("/notes", noteRoutes)
    .route("/notes", copilotRoutes)
    .route("/", planRoutes)
    .route("/admin", planAdminRoutes)
    .route("/usage", usageRoutes)
    .route("/api-keys", apiKeyRoutes)
    .route("/subscription", subscriptionRoutes)
    .route("/billing", billingRoutes)
    .route("/", webhookRoutes)
    .route("/webhook-endpoints", webhookEndpointRoutes)
    .route("/settings", settingsRoutes)
    .route("/", cronRoutes)
    .route("/dev", devRoutes);

  serveOpenAPIDocument(routes);
  // 404, or 405 with Allow when the path has routes for other methods.
  app.notFound(answerUnmatched(routes));
  app.onError(handleError);
  return routes;
}

export const app = createApp();
export type AppType = typeof app;
