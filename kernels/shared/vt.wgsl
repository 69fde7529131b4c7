// VT: a kernel's vector type, vec4<f32> when the define VEC4 holds (rows divisible by 4),
// else f32, with its horizontal sum and first lane. Included by kernels that walk rows or
// channels in vec4 steps where the shape allows.
#if ${VEC4}
alias VT = vec4<f32>;
fn hsum(v: VT) -> f32 { return v.x + v.y + v.z + v.w; }
fn first(v: VT) -> f32 { return v.x; }
#else
alias VT = f32;
fn hsum(v: VT) -> f32 { return v; }
fn first(v: VT) -> f32 { return v; }
#endif
