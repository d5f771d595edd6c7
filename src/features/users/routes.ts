// HTTP for /users/me.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { minRole } from "../../middleware/access";
import { jsonBody, jsonResponse, requireSessionContext } from "../../platform/route-helpers";
import { serviceContextFrom } from "../../platform/service-context";
import { UpdateMeSchema, UserSchema, toUserResponse } from "./schemas";
import { updateMyNames } from "./service";

const getMe = defineRoute(
  { access: minRole("readonly") },
  {
    method: "get",
    path: "/me",
    tags: ["Users"],
    summary: "The signed-in user",
    responses: { 200: jsonResponse(UserSchema, "The user") },
  },
);

const patchMe = defineRoute(
  { access: minRole("readonly") },
  {
    method: "patch",
    path: "/me",
    tags: ["Users"],
    summary: "Update the signed-in user's names",
    description: "Only first_name and last_name; any other field is 422.",
    request: { body: jsonBody(UpdateMeSchema) },
    responses: { 200: jsonResponse(UserSchema, "The updated user") },
  },
);

export const userRoutes = createRouter()
  .openapi(getMe, (c) => c.json(toUserResponse(requireSessionContext(c).user), 200))
  .openapi(patchMe, async (c) => {
    const { user } = requireSessionContext(c);
    const body = c.req.valid("json");
    const updated = await updateMyNames(serviceContextFrom(c), user, {
      firstName: body.first_name,
      lastName: body.last_name,
    });
    return c.json(toUserResponse(updated), 200);
  });
