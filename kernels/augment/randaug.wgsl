// BCL's RandAugment as a second pass over augmented views (randaug_stage.wgsl holds the ops):
// one workgroup per boost record, i.e. per view that gets at least one op (the CPU lists
// only those: views of unboosted images cost nothing). Record r sits at word
// p.ra_base + r·RA_WORDS of the batch's upload `data` and names its augment entry, whose
// output slot says where the view is in `out`. Params, bindings and the layout constants
// (PW, E_SLOT, RA_*, K_*) come from the spec RANDAUG in randaug_kernel.ts.

const WG: u32 = 256u;
const RA_K: u32 = ${RA_K}u;
#include "randaug_stage.wgsl"

@compute @workgroup_size(256)
fn randaug(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let ra = p.ra_base + (p.first + wg.x) * RA_WORDS;
  let plane = p.out_h * p.out_w;
  let slot = data[data[ra + RA_ENTRY] * PW + E_SLOT];
  let nops = data[ra + RA_NOPS];
  randaug_stage(ra, nops, slot * 3u * plane, wg.x * 3u * plane, p.out_h, p.out_w, lid, p.ac_fix_n);
}
