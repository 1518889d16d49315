/**
 * Subgroup matrices emulated in software, so the subgroup-matrix kernels' own WGSL runs on SwiftShader
 * (which has neither the extension nor f16): every invocation holds a whole matrix, in f32, and does
 * the whole operation itself. For subgroup-uniform arguments, which the kernels' layouts guarantee, that
 * is exactly what the builtins compute; lanes of a subgroup store identical values.
 *
 * Handled generically: the enable/diagnostic lines, `alias X = subgroup_matrix_{left,right,result}<T, C,
 * R>;` (R rows x C columns), subgroupMatrixLoad<X, row_major|col_major>(&arr, off, stride),
 * subgroupMatrixMultiplyAccumulate and subgroupMatrixStore<row_major>(&arr, off, value, stride). The
 * caller adds the kernel's own swaps (f16 workgroup arrays to f32, f16 conversions). Every swap must
 * match, so a change to a shader breaks its test loudly rather than silently testing something else.
 */
export type Swap = [string | RegExp, string];

/** WGSL rounding an f32 vec4 to f16 precision (round to nearest) while staying f32. */
export const EMU_F16X4 = `
fn emu_f16x4(v: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(unpack2x16float(pack2x16float(v.xy)), unpack2x16float(pack2x16float(v.zw)));
}`;

export function emulateSubgroupMatrices(code: string, kernelSwaps: readonly Swap[], extra = ''): string {
  let out = code;
  const swap = (from: string | RegExp, to: string | ((...m: string[]) => string)) => {
    const found = typeof from === 'string' ? out.includes(from) : new RegExp(from.source, from.flags.replace('g', '')).test(out);
    if (!found) throw new Error(`emulation: "${String(from)}" not found in the shader`);
    out = typeof from === 'string' ? out.split(from).join(to as string) : out.replace(from, to as (...m: string[]) => string);
  };
  swap('enable f16;\n', '');
  swap('enable chromium_experimental_subgroup_matrix;\n', '');
  swap('diagnostic(off, chromium.subgroup_matrix_uniformity);\n', '');
  // Matrix types: name -> [kind, rows, columns].
  const types = new Map<string, { kind: string; rows: string; cols: string }>();
  swap(/alias (\w+) = subgroup_matrix_(left|right|result)<\w+, (\w+), (\w+)>;/g, (_m, name, kind, cols, rows) => {
    types.set(name as string, { kind: kind as string, rows: rows as string, cols: cols as string });
    return `struct ${name} { v: array<f32, ${rows} * ${cols}> }`;
  });
  const dims = (kind: string) => {
    const t = [...types.entries()].find(([, v]) => v.kind === kind);
    if (!t) throw new Error(`emulation: no subgroup_matrix_${kind} alias`);
    return { name: t[0], ...t[1] };
  };
  const fns = new Map<string, string>();
  swap(/subgroupMatrixLoad<(\w+), (row_major|col_major)>\(&(\w+), /g, (_m, type, layout, arr) => {
    const t = types.get(type as string);
    if (!t) throw new Error(`emulation: load of unknown type ${type}`);
    const name = `emu_load_${type}_${layout}_${arr}`;
    const at = layout === 'row_major' ? 'off + r * stride + c' : 'off + c * stride + r';
    fns.set(
      name,
      `fn ${name}(off: u32, stride: u32) -> ${type} {
  var o: ${type};
  for (var r = 0u; r < ${t.rows}; r++) { for (var c = 0u; c < ${t.cols}; c++) { o.v[r * ${t.cols} + c] = ${arr}[${at}]; } }
  return o;
}`,
    );
    return `${name}(`;
  });
  swap(/subgroupMatrixStore<row_major>\(&(\w+), /g, (_m, arr) => {
    const t = dims('result');
    const name = `emu_store_${arr}`;
    fns.set(
      name,
      `fn ${name}(off: u32, m: ${t.name}, stride: u32) {
  for (var r = 0u; r < ${t.rows}; r++) { for (var c = 0u; c < ${t.cols}; c++) { ${arr}[off + r * stride + c] = m.v[r * ${t.cols} + c]; } }
}`,
    );
    return `${name}(`;
  });
  const l = dims('left');
  const rt = dims('right');
  const res = dims('result');
  swap('subgroupMatrixMultiplyAccumulate(', 'emu_mma(');
  fns.set(
    'emu_mma',
    `fn emu_mma(l: ${l.name}, r: ${rt.name}, acc: ${res.name}) -> ${res.name} {
  var o = acc;
  for (var m = 0u; m < ${res.rows}; m++) {
    for (var n = 0u; n < ${res.cols}; n++) {
      var s = o.v[m * ${res.cols} + n];
      for (var k = 0u; k < ${l.cols}; k++) { s = fma(l.v[m * ${l.cols} + k], r.v[k * ${rt.cols} + n], s); }
      o.v[m * ${res.cols} + n] = s;
    }
  }
  return o;
}`,
  );
  for (const [from, to] of kernelSwaps) swap(from, to);
  return `${out}\n${[...fns.values()].join('\n')}\n${extra}\n`;
}
