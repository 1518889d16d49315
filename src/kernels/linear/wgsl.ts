/**
 * The WGSL of a linear variant: the kind's shader (shaders/linear/{linear,tiled,sgmat}.wgsl) with the
 * files for the layer's weight format (shaders/formats/<format>.wgsl), bias, norm and, for the GEMV, the
 * reduction inserted as template keys. TypeScript only chooses the files and the few numbers overrides
 * cannot express (the sgmat fragment shape); everything else is a pipeline override.
 */
import biasWgsl from '../../../shaders/linear/bias.wgsl?raw';
import biasNoneWgsl from '../../../shaders/linear/bias_none.wgsl?raw';
import commonWgsl from '../../../shaders/linear/common.wgsl?raw';
import linearWgsl from '../../../shaders/linear/linear.wgsl?raw';
import normWgsl from '../../../shaders/linear/norm.wgsl?raw';
import normNoneWgsl from '../../../shaders/linear/norm_none.wgsl?raw';
import reduceSubgroupWgsl from '../../../shaders/linear/reduce_subgroup.wgsl?raw';
import reduceTreeWgsl from '../../../shaders/linear/reduce_tree.wgsl?raw';
import sgmatWgsl from '../../../shaders/linear/sgmat.wgsl?raw';
import tiledWgsl from '../../../shaders/linear/tiled.wgsl?raw';
import { type PipelineSpec, fillTemplate } from '../../gpu/wgsl';
import { FORMAT_CODE } from '../weights/formats';
import { type LinearBuildOptions, type LinearConfig, linearLabel } from './config';
import { type GemvParams, type LinearParams, type SgmatLinearParams, type SgmatLinearPlan, isSgmat, isTiled } from './variants';

/** Per reduction of the GEMV: the enable directive (which must open the module) and reduce_outputs / reduced. */
const REDUCE_CODE: Record<GemvParams['reduce'], { enable: string; reduce: string }> = {
  tree: { enable: '', reduce: reduceTreeWgsl },
  subgroup: { enable: 'enable subgroups;', reduce: reduceSubgroupWgsl },
};

type LayerCode = Pick<LinearConfig, 'format' | 'bias' | 'norm'>;

/** Template keys every linear kernel shares: common declarations, the format's load_w, bias and norm. */
function layerCode(cfg: LayerCode): Record<'common' | 'weights' | 'bias' | 'norm', string> {
  return {
    common: commonWgsl,
    weights: FORMAT_CODE[cfg.format],
    bias: cfg.bias ? biasWgsl : biasNoneWgsl,
    norm: cfg.norm ? normWgsl : normNoneWgsl,
  };
}

/** The WGSL of an sgmat variant for a plan (template filled; SG_SIZE and the modes stay overrides). */
export function linearSgmatWgsl(cfg: LayerCode, p: SgmatLinearParams, plan: SgmatLinearPlan): string {
  return fillTemplate(sgmatWgsl, {
    ...layerCode(cfg),
    cm: String(plan.config.M),
    cn: String(plan.config.N),
    ck: String(plan.config.K),
    fm: String(plan.fm),
    fn: String(plan.fn),
    sg_m: String(p.sgM),
    sg_n: String(p.sgN),
    bk: String(p.bk),
  });
}

/**
 * The pipeline of `p` for a layer at token tile `tt`. `plan` is the sgmat variant's plan on the device
 * (planSgmatLinear); `opts.sgmatCode` rewrites its WGSL (tests).
 */
export function linearPipelineSpec(cfg: LinearConfig, tt: number, p: LinearParams, plan?: SgmatLinearPlan, opts: LinearBuildOptions = {}): PipelineSpec {
  const label = linearLabel(cfg, false);
  const modes = { RESIDUAL: cfg.residual ? 1 : 0, SWIGLU: cfg.swiglu ? 1 : 0 };
  if (isSgmat(p)) {
    if (!plan) throw new Error(`${label}: an sgmat variant needs its plan`);
    const code = linearSgmatWgsl(cfg, p, plan);
    return { label: `${label}_sgmat`, code: opts.sgmatCode ? opts.sgmatCode(code) : code, constants: { SG_SIZE: plan.sgSize, ...modes } };
  }
  if (isTiled(p)) {
    return {
      label: `${label}_tiled`,
      code: fillTemplate(tiledWgsl, layerCode(cfg)),
      constants: { WG_X: p.wgX, WG_Y: p.wgY, TM: p.tm, TN: p.tn, BK: p.bk, ...modes },
    };
  }
  return {
    label,
    code: fillTemplate(linearWgsl, { ...REDUCE_CODE[p.reduce], ...layerCode(cfg) }),
    constants: { WG: p.wg, ROWS: p.rows, VS: p.vs, TT: tt, ...modes },
  };
}
