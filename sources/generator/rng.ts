import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';

const TWO_POW_32 = 4_294_967_296;

/**
 * A seeded random source with the few distributions the generator needs.
 *
 * Wraps pure-rand's xoroshiro128+ (mutating `next()`, no allocation per draw). Uniforms use one
 * 32-bit draw, offset by half a step so that they are strictly inside (0, 1) and logs are safe;
 * 2^-32 resolution is ample for synthetic data and twice as fast as 53-bit floats.
 */
export class Rng {
  private readonly gen: RandomGenerator;
  private spareNormal = 0;
  private hasSpare = false;

  constructor(seed: number) {
    this.gen = xoroshiro128plus(seed | 0);
    // The first outputs of xoroshiro seeded with small integers are poorly mixed: warm it up.
    for (let i = 0; i < 16; i++) this.gen.next();
  }

  /** Uniform in the open interval (0, 1). */
  float(): number {
    return ((this.gen.next() >>> 0) + 0.5) / TWO_POW_32;
  }

  /** Uniform integer in [lo, hi] (inclusive); the tiny modulo bias is irrelevant here. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  uniform(lo: number, hi: number): number {
    return lo + this.float() * (hi - lo);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  /** Standard normal by Box-Muller, caching the second value. */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spareNormal;
    }
    const r = Math.sqrt(-2 * Math.log(this.float()));
    const theta = 2 * Math.PI * this.float();
    this.spareNormal = r * Math.sin(theta);
    this.hasSpare = true;
    return r * Math.cos(theta);
  }

  lognormal(mu: number, sigma: number): number {
    return Math.exp(mu + sigma * this.normal());
  }

  exponential(mean: number): number {
    return -Math.log(this.float()) * mean;
  }

  /** Gamma(shape, scale) by Marsaglia and Tsang; shape < 1 uses the boost U^(1/shape). */
  gamma(shape: number, scale: number): number {
    if (shape < 1) return this.gamma(shape + 1, scale) * Math.pow(this.float(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      let x: number;
      let v: number;
      do {
        x = this.normal();
        v = 1 + c * x;
      } while (v <= 0);
      v = v * v * v;
      const u = this.float();
      if (u < 1 - 0.0331 * x * x * x * x) return d * v * scale;
      if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v * scale;
    }
  }

  /** Poisson count: Knuth's product method for small means, a rounded normal above 30. */
  poisson(mean: number): number {
    if (mean <= 0) return 0;
    if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * this.normal()));
    const limit = Math.exp(-mean);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)] as T;
  }

  /** Index drawn from cumulative weights (last entry = total); linear scan, lists are short. */
  weighted(cumulative: Float64Array): number {
    const x = this.float() * (cumulative[cumulative.length - 1] as number);
    const n = cumulative.length - 1;
    for (let i = 0; i < n; i++) if (x < (cumulative[i] as number)) return i;
    return n;
  }
}

/** Cumulative sums of weights, for `Rng.weighted`. */
export function cumulative(weights: readonly number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => {
    sum += w;
    out[i] = sum;
  });
  return out;
}
