export * from './errors.js';
export * from './store.js';
export * from './checkpoint.js';
export * from './format.js';
