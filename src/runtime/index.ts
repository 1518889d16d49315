/**
 * What the bench page (src/ui) uses from the layers below, in one place: the page imports src/runtime,
 * src/result, src/cost and src/schema only, never src/run, src/model or the kernels directly.
 */
export { SUITES } from '../run/suites';
export { parseLoadingLabel } from '../run/files';
export { type RunRequest, defaultRunRequest } from '../run/request';
export type { PeerModelFile } from '../run/peers/models';
export { WLLAMA_NAME } from './peers/names';
export type { Progress } from '../run/runner';
export { TUNE_CACHE_KEY, type TuneCache, cacheUpdates, mergeTuneCache, parseTuneCache } from '../run/tune/tuner';
export { TOOL } from '../version';
export { GENERATION_KEYS, type GenerationKey, generationToParams, isModelFile } from './generation-text';
export { type PageQuery, type RunRequestInput, parsePageQuery, parseRunRequest, requestFromTexts, textsOf } from './request-text';
export type { TokenbenchApi } from './automation';
export type { BenchWorkerApi } from './worker';
export type { DescribeOutcome } from './describe';
