/** The phases of a run, in order. A new phase is a new entry here (src/run/phase.ts). */
import { type AnyPhase, phase } from '../phase';
import { generationPhase } from './generation';
import { matmulPhase } from './matmul';
import { rooflinePhase } from './roofline';

export const PHASES: readonly AnyPhase[] = [phase(rooflinePhase), phase(matmulPhase), phase(generationPhase)];
