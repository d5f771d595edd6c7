// Starts Swagger UI on the document (/docs); same-origin, so "Try it out" carries the session cookie.
// A file, not inline, so the page's CSP needs no 'unsafe-inline' (SEC-43).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  layout: "BaseLayout",
  presets: [SwaggerUIBundle.presets.apis],
  validatorUrl: null,
  withCredentials: true,
});
