/**
 * Survival function of the one-sided Kolmogorov-Smirnov statistic D+_n (Smirnov's distribution),
 * P(D+_n >= x), as `scipy.special.smirnov(n, x)` computes it.
 *
 * Follows the case split of SciPy's cephes/kolmogorov.c (`_smirnov3`, P. van Mulbregt 2018,
 * arXiv:1802.06966) with the Birnbaum-Tingey / Smirnov lower sum
 *   sf = x * sum_{v=0}^{floor(n(1-x))} C(n,v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v).
 * SciPy evaluates the terms in double-double arithmetic; here each term is evaluated in log
 * space in plain doubles, which keeps a relative error far below the 1e-6 the drift tests need
 * (all terms are positive, so there is no cancellation). Only the survival function is needed: the
 * two-sided KS distribution uses 2 * smirnov(n, x) where the two one-sided events are disjoint.
 */

/** cephes MINLOG: log of the smallest normal double; exp() below it underflows. */
// eslint-disable-next-line no-loss-of-precision -- cephes' digits, kept so the text matches the reference
const MINLOG = -7.451332191019412076235e2;
/** Above this n SciPy switches to an asymptotic formula instead of summing n terms. */
const SMIRNOV_MAX_COMPUTE_N = 1_000_000;

export function smirnovSf(n: number, x: number): number {
  if (!(Number.isInteger(n) && n > 0 && x >= 0 && x <= 1)) return Number.NaN;
  if (n === 1) return 1 - x;
  if (x === 0) return 1;
  if (x === 1) return 0;

  const nx = n * x;
  let nxfl = Math.floor(nx);
  let alpha = nx - nxfl;
  if (alpha === 1) {
    nxfl += 1;
    alpha = 0;
  }

  // x <= 1/n: closed form of the CDF, x * (1 + x)^(n-1).
  if (nxfl === 0 || (nxfl === 1 && alpha === 0)) {
    return clip01(1 - x * Math.pow(1 + x, n - 1));
  }
  // The survival function underflows.
  if (-2 * n * x * x < MINLOG) return 0;
  // x >= 1 - 1/n: only the first path survives.
  if (nxfl >= n - 1) return clip01(Math.pow(1 - x, n));
  // Too many terms: SciPy's asymptotic p ~ exp(-(6nx + 1)^2 / (18 n)).
  if (n > SMIRNOV_MAX_COMPUTE_N) return clip01(Math.exp(-Math.pow(6 * n * x + 1, 2) / 18 / n));

  // The last index of the lower sum; an integer n*x drops the zero last term.
  let lastV = n - nxfl - (alpha === 0 ? 0 : 1);
  if (alpha === 0) lastV -= 1;
  const nTerms = lastV + 1;

  // v = 0: (1 - x)^n / x.
  let sum = Math.exp(n * Math.log1p(-x) - Math.log(x));
  let logBinom = 0; // log C(n, v), accumulated term by term
  for (let v = 1; v < nTerms; v++) {
    logBinom += Math.log((n - v + 1) / v);
    const up = x + v / n;
    const down = (n - v - nx) / n; // 1 - x - v/n without forming 1 - x first
    if (!(down > 0)) break;
    const term = Math.exp(logBinom + (v - 1) * Math.log(up) + (n - v) * Math.log(down));
    sum += term;
    // SciPy's early exit: the remaining terms cannot change the sum in double precision.
    if (term > 0) {
      if (4 * (nTerms - v) * term < Number.EPSILON * sum && v !== nTerms - 1) break;
    } else if (v > n / 2) {
      break;
    }
  }
  return clip01(x * sum);
}

function clip01(p: number): number {
  if (p < 0) return 0;
  if (p > 1) return 1;
  return p;
}
