// yml-loader (backstage-cli bundler) and Backstage's Jest YAML transform parse YAML imports.
declare module '*.yaml' {
  const value: unknown;
  export default value;
}
