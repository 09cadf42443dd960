(globalThis as any).navigator ??= { hardwareConcurrency: 2, userAgent: 'node' };
const jax = await import('@jax-js/jax');
const { numpy: np, nn, jit, valueAndGrad, init } = jax;
console.log(await init());
const B = Number(process.argv[2] ?? 32), T = Number(process.argv[3] ?? 64), D = Number(process.argv[4] ?? 64), V = 64, H = 4, L = 2;
type P = { wte: any; wpe: any; layers: any[]; lnf_g: any; lnf_b: any };
let s = 1;
const rnd = (n: number, std: number) => { const a = new Float32Array(n); for (let i = 0; i < n; i++) { s = (s * 16807) % 2147483647; a[i] = (s / 2147483647 - 0.5) * 2 * std; } return a; };
const arr = (shape: number[], std: number) => np.array(rnd(shape.reduce((a, b) => a * b, 1), std)).reshape(shape);
const params: P = { wte: arr([V, D], 0.1), wpe: arr([T, D], 0.1), layers: [], lnf_g: np.ones([D]), lnf_b: np.zeros([D]) };
for (let l = 0; l < L; l++) params.layers.push({ g1: np.ones([D]), b1: np.zeros([D]), wqkv: arr([D, 3 * D], 0.1), bqkv: np.zeros([3 * D]), wo: arr([D, D], 0.1), bo: np.zeros([D]), g2: np.ones([D]), b2: np.zeros([D]), wi: arr([D, 4 * D], 0.1), bi: np.zeros([4 * D]), wout: arr([4 * D, D], 0.1), bout: np.zeros([D]) });
function ln(x: any, g: any, b: any) {
  const mu = np.mean(x.ref, -1, { keepdims: true });
  const xc = x.sub(mu);
  const v = np.mean(np.square(xc.ref), -1, { keepdims: true });
  return xc.mul(np.reciprocal(np.sqrt(v.add(1e-5)))).mul(g).add(b);
}
function gelu(x: any) { return x.ref.mul(0.5).mul(np.tanh(x.ref.add(x.ref.mul(x.ref).mul(x).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1)); }
function loss(p: P, onehot: any, targets: any, w: any, causal: any) {
  let h = np.matmul(onehot, p.wte.ref).add(p.wpe);
  for (const lw of p.layers) {
    const a = ln(h.ref, lw.g1, lw.b1);
    const qkv = np.matmul(a, lw.wqkv).add(lw.bqkv).reshape([B, T, 3, H, D / H]);
    const [q, k, v] = np.split(qkv, 3, 2).map((t: any) => np.transpose(t.reshape([B, T, H, D / H]), [0, 2, 1, 3]));
    const sc = np.matmul(q.mul(1 / Math.sqrt(D / H)), np.transpose(k, [0, 1, 3, 2]));
    const pr = nn.softmax(np.where(causal.ref, sc, -1e9), -1);
    const att = np.transpose(np.matmul(pr, v), [0, 2, 1, 3]).reshape([B, T, D]);
    h = h.add(np.matmul(att, lw.wo).add(lw.bo));
    const m = ln(h.ref, lw.g2, lw.b2);
    h = h.add(np.matmul(gelu(np.matmul(m, lw.wi).add(lw.bi)), lw.wout).add(lw.bout));
  }
  const hf = ln(h, p.lnf_g, p.lnf_b);
  const logits = np.matmul(hf, np.transpose(p.wte));
  const lp = nn.logSoftmax(logits, -1);
  causal.dispose();
  return lp.mul(targets).sum(-1).mul(w).sum().mul(-1 / (B * T));
}
const step = jit(valueAndGrad(loss));
const ids = new Int32Array(B * T); for (let i = 0; i < ids.length; i++) ids[i] = i % V;
const mk = () => nn.oneHot(np.array(ids, { dtype: np.int32 }).reshape([B, T]), V);
for (let it = 0; it < 6; it++) {
  const t0 = performance.now();
  const [val, g] = step(jax.tree.map((x: any) => x.ref, params) as P, mk(), mk(), np.ones([B, T]), np.tril(np.ones([T, T])).astype(np.bool));
  const v = await val.data();
  jax.tree.map((x: any) => x.dispose(), g);
  console.log(it, v[0], (performance.now() - t0).toFixed(0), 'ms');
}
