/** A result with roofline figures and one token workload, for the cost, formats and compare tests (bench/board/sample-results.ts). */
export { type TokenRates, tokenResult, tokenTests, tokenWorkload } from '../../bench/board/sample-results';
