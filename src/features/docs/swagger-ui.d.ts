// swagger-ui-dist's two browser files, imported as text: the [[rules]] Text entry in wrangler.toml
// makes wrangler (dev and deploy) and the vitest workerd pool bundle them as strings, not as JS.
declare module "swagger-ui-dist/swagger-ui-bundle.js" {
  const source: string;
  export default source;
}
declare module "swagger-ui-dist/swagger-ui.css" {
  const source: string;
  export default source;
}
