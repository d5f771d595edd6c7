// Workers import .wasm files as precompiled WebAssembly.Module values (no run-time compilation).
declare module "*.wasm" {
  const module: WebAssembly.Module;
  export default module;
}
