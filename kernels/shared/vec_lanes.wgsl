// VecF: the element type of kernels that read their data in vec4 steps where the size allows
// (the define VEC: a row length or element count divisible by 4), else as f32; VecU the
// matching u32 type. Included by the loss, linear and optim kernels. With it one code path
// serves both variants:
//   vec_count(n)    elements holding n floats (n/4 or n)
//   lanes_sum(v)    the floats of v summed in a fixed pairwise order ((x + y) + (z + w)), so
//   lanes_max(v)    every kernel folds its vec4 partials the same way
//   lane_ids(j)     the float indices held by element j (4j .. 4j+3, or j): masks a column
//   vec_of(i)       the element holding float i; lane_of(v, i): float i out of that element
#if ${VEC}
alias VecF = vec4<f32>;
alias VecU = vec4<u32>;
fn vec_count(n: u32) -> u32 { return n / 4u; }
fn lanes_sum(v: VecF) -> f32 { return (v.x + v.y) + (v.z + v.w); }
fn lanes_max(v: VecF) -> f32 { return max(max(v.x, v.y), max(v.z, v.w)); }
fn lane_ids(j: u32) -> VecU { return 4u * j + vec4<u32>(0u, 1u, 2u, 3u); }
fn vec_of(i: u32) -> u32 { return i / 4u; }
fn lane_of(v: VecF, i: u32) -> f32 { return v[i % 4u]; }
#else
alias VecF = f32;
alias VecU = u32;
fn vec_count(n: u32) -> u32 { return n; }
fn lanes_sum(v: VecF) -> f32 { return v; }
fn lanes_max(v: VecF) -> f32 { return v; }
fn lane_ids(j: u32) -> VecU { return j; }
fn vec_of(i: u32) -> u32 { return i; }
fn lane_of(v: VecF, i: u32) -> f32 { return v; }
#endif
