// `ready` and `initSync` of the browser / bundler entries (web.js, format.js) over a wasm-pack
// `--target web` build's `init` and `initSync`.

/** The entry's `ready` and `initSync` for one build. */
export function loader(init, initWasmSync) {
  let started;
  return {
    /**
     * Load and instantiate the WebAssembly module once. Without an argument the `.wasm` next to
     * the build is fetched (bundlers emit it as an asset); pass a URL, Response, bytes or a
     * WebAssembly.Module to load it from elsewhere.
     */
    ready(input) {
      if (!started) {
        started = init(input === undefined ? undefined : { module_or_path: input }).then(
          () => undefined,
          (e) => {
            started = undefined;
            throw e;
          },
        );
      }
      return started;
    },
    /** Synchronous initialisation from bytes or a compiled module (Jest, workers, tests). */
    initSync(module) {
      initWasmSync({ module });
      started = Promise.resolve();
    },
  };
}
