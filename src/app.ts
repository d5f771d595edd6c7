// Builds the Hono app: global middleware in the order ARCHITECTURE.md fixes, then the routers.
import { bodyLimit } from "hono/body-limit";
import { methodNotAllowed } from "hono/method-not-allowed";
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "./env";
import { AppError } from "./errors";
import { createRouter } from "./openapi/app-factory";
import { securityHeaders } from "./middleware/security-headers";
import { requestContext } from "./middleware/request-context";
import { corsPolicy } from "./middleware/cors";
import { originCheck } from "./middleware/origin-check";
import { handleError, handleNotFound, respondMethodNotAllowed } from "./middleware/error-handler";
import { systemRoutes } from "./features/system/routes";
import { authRoutes } from "./features/auth/routes";
import { oauthRoutes } from "./features/oauth/routes";
import { passwordRoutes } from "./features/password/routes";
import { userRoutes } from "./features/users/routes";
import { settingsRoutes } from "./features/settings/routes";
import { cronRoutes } from "./cron/routes";
import { userAdminRoutes } from "./features/users/admin-routes";
import { organizationRoutes } from "./features/orgs/routes";
import { invitationRoutes } from "./features/orgs/invitation-routes";
import { adminRoutes } from "./features/orgs/admin-routes";
import { noteRoutes } from "./features/notes/routes";
import { planRoutes } from "./features/plans/routes";
import { planAdminRoutes } from "./features/plans/admin-routes";
import { copilotRoutes } from "./features/ai/routes";
import { usageRoutes } from "./features/usage/routes";
import { devRoutes } from "./features/dev/routes";
import { serveOpenAPIDocument } from "./openapi/document";

export const BODY_LIMIT_BYTES = 64 * 1024;

export function createApp(): OpenAPIHono<AppEnv> {
  const app = createRouter();

  app.use(securityHeaders);
  app.use(corsPolicy);
  app.use(requestContext);
  app.use(
    bodyLimit({
      maxSize: BODY_LIMIT_BYTES,
      onError: () => {
        throw new AppError(413, "PAYLOAD_TOO_LARGE", `The request body is over ${BODY_LIMIT_BYTES} bytes.`);
      },
    }),
  );
  app.use(originCheck);
  app.use(methodNotAllowed({ app, onMethodNotAllowed: respondMethodNotAllowed }));

  const routes = app
    .route("/", systemRoutes)
    .route("/auth", authRoutes)
    .route("/auth/oauth", oauthRoutes)
    .route("/password", passwordRoutes)
    .route("/users", userRoutes)
    .route("/users", userAdminRoutes)
    .route("/organization", organizationRoutes)
    .route("/invitations", invitationRoutes)
    .route("/admin", adminRoutes)
    .route("/notes", noteRoutes)
    .route("/notes", copilotRoutes)
    .route("/", planRoutes)
    .route("/admin", planAdminRoutes)
    .route("/usage", usageRoutes)
    .route("/settings", settingsRoutes)
    .route("/cron", cronRoutes)
    .route("/dev", devRoutes);

  serveOpenAPIDocument(routes);
  app.notFound(handleNotFound);
  app.onError(handleError);
  return routes;
}

export const app = createApp();
export type AppType = typeof app;
