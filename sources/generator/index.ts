export { generate } from './generate.js';
export { DEFAULTS, DEFAULT_START, GeneratorConfigError, defaultTruthPath, resolveOptions } from './options.js';
export type { GenerateOptions, GenerateResult } from './options.js';
