// @simplewebauthn/server, loaded on the first passkey request instead of at isolate start. Its
// import runs real work at module scope: @peculiar/asn1-rsa serializes its algorithm parameters,
// tsyringe and reflect-metadata register their containers; ~25 ms of a ~260 ms unminified startup
// profile (docs/decisions/perf.md, "Bundle and startup"), for routes most isolates never serve.
// The bundler keeps a dynamic import() in the one bundle and evaluates the module when called.
// Every import of the library's values goes through here; `import type` costs nothing at runtime.
export function loadWebAuthn() {
  return import("@simplewebauthn/server");
}

export function loadWebAuthnHelpers() {
  return import("@simplewebauthn/server/helpers");
}
