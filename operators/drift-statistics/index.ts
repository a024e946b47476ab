/** Drift statistics, mergeable summaries and the SPEC section 7 decision. */
export * from './categorical.js';
export * from './chi-square.js';
export * from './decide.js';
export * from './empirical.js';
export * from './errors.js';
export * from './jensen-shannon.js';
export * from './kolmogorov.js';
export * from './ks.js';
export * from './ks-exact.js';
export * from './numeric-sketch.js';
export * from './options.js';
export * from './psi.js';
export * from './rows.js';
export * from './smirnov.js';
export * from './stats.js';
export * from './wasserstein.js';
