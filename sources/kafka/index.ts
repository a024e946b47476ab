export * from './client.js';
export * from './dead-letter.js';
export * from './mock-cluster.js';
export * from './options.js';
export * from './partition-status.js';
export * from './producer.js';
export * from './source.js';
