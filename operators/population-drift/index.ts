/** Population drift operator, value tiers and RFM segmentation. */
export * from './operator.js';
export * from './options.js';
export * from './periods.js';
export * from './segments.js';
