// The benchmarks' charts are the product's (src/report/svg.ts).
export * from '../src/report/svg.js';
