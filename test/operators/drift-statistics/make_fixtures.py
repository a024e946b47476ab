#!/usr/bin/python3
"""Writes fixtures.json: fixed inputs for the drift statistics and SciPy's answers for them.

Run with Debian's interpreter (it carries SciPy and NumPy):

    /usr/bin/python3 test/operators/drift-statistics/make_fixtures.py

The TypeScript tests in this folder read fixtures.json and compare their own results with the
values recorded here. Everything is seeded, so a re-run writes the same file on the same SciPy.
The SciPy functions are the oracle; the few conventions SciPy does not define (PSI's bins and
epsilon, the chi-square pooling of sparse categories) are re-implemented here
in NumPy, independently of the TypeScript code, as documented in operators/drift-statistics/README.md.
"""
import json
import math
import os
import warnings

import numpy as np
import scipy
from scipy import special, stats
from scipy.spatial import distance

PSI_EPS = 1e-4  # zero proportions are replaced by this (as Evidently does)
CHI2_MIN_EXPECTED = 5  # categories expected below this in either period are pooled
BINS = 10


def g6(values):
    """Rounds to 6 significant digits so the file stays small; the rounded values are the input."""
    return [float(f"{float(v):.6g}") for v in values]


def quantile_edges(ref, bins=BINS):
    inner = np.quantile(np.asarray(ref, dtype=float), np.linspace(0.0, 1.0, bins + 1))[1:-1]
    return np.unique(inner)


def bin_counts(values, edges):
    idx = np.searchsorted(edges, np.asarray(values, dtype=float), side="right")
    return np.bincount(idx, minlength=len(edges) + 1)


def psi_from_counts(ref_counts, cur_counts):
    r = np.asarray(ref_counts, dtype=float) / np.sum(ref_counts)
    c = np.asarray(cur_counts, dtype=float) / np.sum(cur_counts)
    r = np.where(r == 0, PSI_EPS, r)
    c = np.where(c == 0, PSI_EPS, c)
    return float(np.sum((c - r) * np.log(c / r)))


def chi2_from_counts(ref_counts, cur_counts):
    """SPEC 7's test of homogeneity: scipy.stats.chi2_contingency(correction=False) of the 2 x k
    table of reference and current counts, after pooling the categories whose expected count is
    below CHI2_MIN_EXPECTED in either row into one column (which stays as it is, sparse or not)."""
    ref = np.asarray(ref_counts, dtype=float)
    cur = np.asarray(cur_counts, dtype=float)
    keep = (ref > 0) | (cur > 0)
    ref, cur = ref[keep], cur[keep]
    if ref.sum() == 0 or cur.sum() == 0:
        return None, None, 0

    def expected_ok(col):
        table = np.array([[ref.sum()], [cur.sum()]]) * col.sum() / (ref.sum() + cur.sum())
        return table.min() >= CHI2_MIN_EXPECTED

    cols = [np.array([r, c]) for r, c in zip(ref, cur)]
    kept = [c for c in cols if expected_ok(c)]
    sparse = [c for c in cols if not expected_ok(c)]
    pooled = len(sparse)
    if sparse:
        kept.append(np.sum(sparse, axis=0))
    if len(kept) < 2:
        return None, None, pooled  # SciPy: df = 0; our convention is documented in the README
    table = np.array(kept).T
    res = stats.chi2_contingency(table, correction=False)
    return float(res[0]), float(res[1]), pooled


def ks_all(ref, cur):
    asymp = stats.ks_2samp(ref, cur, method="asymp")
    exact_p = None
    if max(len(ref), len(cur)) <= 10000:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            try:
                exact = stats.ks_2samp(ref, cur, method="exact")
                exact_p = float(exact.pvalue)
            except RuntimeWarning:
                exact_p = None  # SciPy fell back to asymp: no exact value to compare with
    p = float(asymp.pvalue)
    return float(asymp.statistic), (None if math.isnan(p) else p), exact_p


def numeric_case(name, ref, cur, note=""):
    ref = g6(ref)
    cur = g6(cur)
    d, p_asymp, p_exact = ks_all(ref, cur)
    w1 = float(stats.wasserstein_distance(ref, cur))
    std = float(np.std(ref))  # population std, ddof = 0 (Evidently: np.std(reference))
    edges = quantile_edges(ref)
    rc, cc = bin_counts(ref, edges), bin_counts(cur, edges)
    chi2, chi2_p, _ = chi2_from_counts(rc, cc)
    return {
        "name": name,
        "note": note,
        "ref": ref,
        "cur": cur,
        "ks_statistic": d,
        "ks_p_asymp": p_asymp,
        "ks_p_exact": p_exact,
        "wasserstein": w1,
        "ref_std": std,
        "wasserstein_norm": w1 / max(std, 0.001),
        "psi_edges": [float(e) for e in edges],
        "psi_ref_counts": [int(x) for x in rc],
        "psi_cur_counts": [int(x) for x in cc],
        "psi": psi_from_counts(rc, cc),
        "binned_js": float(distance.jensenshannon(rc, cc, base=2)),
        "binned_chi2": chi2,
        "binned_chi2_p": chi2_p,
    }


def categorical_case(name, ref, cur, note=""):
    cats = sorted(set(ref) | set(cur))
    rc = np.array([ref.get(k, 0) for k in cats], dtype=float)
    cc = np.array([cur.get(k, 0) for k in cats], dtype=float)
    out = {"name": name, "note": note, "ref": ref, "cur": cur, "categories": cats}
    if cc.sum() == 0 or rc.sum() == 0:
        out.update({"js": None, "chi2": None, "chi2_p": None, "chi2_pooled": 0, "psi": None})
        return out
    chi2, chi2_p, pooled = chi2_from_counts(rc, cc)
    out.update({
        "chi2_pooled": pooled,
        "js": float(distance.jensenshannon(rc, cc, base=2)),
        "chi2": chi2,
        "chi2_p": chi2_p,
        "psi": psi_from_counts(rc, cc),
    })
    return out


def numeric_cases():
    rng = np.random.default_rng(20240601)
    cases = []
    cases.append(numeric_case("normal_same", rng.normal(0, 1, 800), rng.normal(0, 1, 600)))
    cases.append(numeric_case("normal_shift", rng.normal(0, 1, 500), rng.normal(0.3, 1, 700)))
    cases.append(numeric_case("normal_scale", rng.normal(0, 1, 1200), rng.normal(0, 1.5, 1500)))
    cases.append(numeric_case("normal_equal_n", rng.normal(0, 1, 60), rng.normal(0.5, 1, 60),
                              "equal sizes: SciPy's exact method uses the square-lattice formula"))
    cases.append(numeric_case("normal_small_shift_large", rng.normal(0, 1, 3000),
                              rng.normal(0.05, 1, 2500), "moderate p-value in the asymptotic regime"))
    cases.append(numeric_case("lognormal_same", rng.lognormal(3, 1.1, 2000),
                              rng.lognormal(3, 1.1, 2000)))
    # SPEC 7's example gets its own generator so that adding cases above does not change it.
    spend_rng = np.random.default_rng(1)
    ref = spend_rng.lognormal(3, 1.1, 4000)
    base = spend_rng.lognormal(3, 1.1, 4000)
    shifted = base.copy()
    shifted[: len(shifted) // 2] *= 1.8
    cases.append(numeric_case("spend_baseline", ref, base,
                              "SPEC 7: heavy-tailed weekly spend, no change"))
    cases.append(numeric_case("spend_half_1_8x", ref, shifted,
                              "SPEC 7: half the customers spend 1.8x more"))
    cases.append(numeric_case("small_n", rng.normal(0, 1, 7), rng.normal(1, 1, 5)))
    cases.append(numeric_case("ties_poisson", rng.poisson(3, 300), rng.poisson(3.4, 250)))
    same = rng.normal(10, 2, 100)
    cases.append(numeric_case("identical", same, same.copy()))
    cases.append(numeric_case("disjoint", rng.uniform(0, 1, 50), rng.uniform(2, 3, 40)))
    cases.append(numeric_case("single_value_ref", [5.0], rng.normal(5, 1, 30)))
    cases.append(numeric_case("constant_same", np.full(20, 2.0), np.full(30, 2.0)))
    cases.append(numeric_case("constant_different", np.full(20, 2.0), np.full(30, 3.0)))
    cases.append(numeric_case("one_each_differs", [1.0], [2.0],
                              "n_eff rounds to 0: SciPy's asymp p is NaN"))
    cases.append(numeric_case("negative_and_zero", np.concatenate([rng.normal(-5, 3, 200), np.zeros(40)]),
                              np.concatenate([rng.normal(-4, 3, 220), np.zeros(10)])))
    return cases


def categorical_cases():
    return [
        categorical_case("same_mix", {"a": 500, "b": 300, "c": 200}, {"a": 260, "b": 140, "c": 100}),
        categorical_case("shifted_mix", {"a": 500, "b": 300, "c": 200}, {"a": 200, "b": 200, "c": 100}),
        categorical_case("new_category_in_current", {"a": 100, "b": 50}, {"a": 90, "b": 40, "z": 20}),
        categorical_case("category_gone_in_current", {"a": 100, "b": 50, "c": 30}, {"a": 90, "b": 60}),
        categorical_case("large_counts", {"x": 4000, "y": 3000, "z": 2000, "w": 1000},
                         {"x": 3000, "y": 3000, "z": 2500, "w": 1500}),
        categorical_case("tiny_p_value", {"a": 1000, "b": 1000}, {"a": 1300, "b": 700}),
        categorical_case("p_value_underflows", {"a": 1000, "b": 1000}, {"a": 1900, "b": 100}),
        categorical_case("single_category", {"a": 10}, {"a": 7}),
        categorical_case("empty_current", {"a": 10, "b": 5}, {}),
        # Issue 17: about 100 contacts a week over 11 reasons, several expected below 5.
        categorical_case("contact_reasons_sparse",
                         {"billing": 24, "tech": 19, "cancel": 12, "upgrade": 11, "payment": 9, "move": 7,
                          "complaint": 6, "roaming": 4, "device": 3, "fraud": 2, "other": 1},
                         {"billing": 21, "tech": 23, "cancel": 9, "upgrade": 14, "payment": 6, "move": 8,
                          "complaint": 4, "roaming": 6, "device": 1, "other": 3},
                         "sparse reasons pooled; fraud absent from the current week"),
        categorical_case("one_sparse_category_alone", {"a": 40, "b": 30, "c": 2}, {"a": 35, "b": 40, "c": 1},
                         "a lone sparse category is pooled with nothing: it stays a column of its own"),
        categorical_case("two_sparse_categories_still_sparse", {"a": 44, "b": 16, "c": 2, "d": 1}, {"a": 33, "b": 16, "c": 1, "d": 1},
                         "c and d pooled into one column that is still sparse, and stays so (SPEC 7)"),
        categorical_case("everything_pooled", {"a": 2, "b": 3}, {"a": 1, "b": 2},
                         "every category sparse: one column, no degrees of freedom"),
        categorical_case("unequal_periods", {"a": 300, "b": 120, "c": 30, "d": 8}, {"a": 40, "b": 25, "c": 6, "d": 1}),
    ]


def kstwo_grid():
    rng = np.random.default_rng(7)
    ns = [1, 2, 3, 5, 10, 30, 64, 100, 140, 141, 500, 1000, 2222, 5000, 20000, 100000, 100001,
          250000, 1500000]
    out = []
    for n in ns:
        ds = {0.5 / n * 0.9, 0.6 / n, 0.9 / n, 1.0 / n, 1.5 / n, 0.49, 0.5, 0.6, 0.95, 1.0 - 0.5 / n}
        for z in [0.2, 0.4, 0.6, 0.8, 0.87, 1.0, 1.2, 1.5, 2.0, 3.0, 5.0, 8.0, 13.0, 19.0]:
            ds.add(z / math.sqrt(n))
        ds.update(float(x) for x in rng.uniform(0, 1, 4))
        for d in sorted(ds):
            if 0 < d < 1:
                sf = float(stats.kstwo.sf(d, n))
                out.append({"n": n, "d": d, "sf": sf})
    return out


def smirnov_grid():
    out = []
    for n in [1, 2, 5, 10, 100, 1012, 1013, 5000, 100000, 999999, 2000000]:
        for z in [0.05, 0.3, 0.8, 1.2, 1.5, 2.0, 3.0, 6.0, 12.0, 18.0, 19.5]:
            x = z / math.sqrt(n)
            if 0 < x < 1:
                out.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})
        for x in [0.5, 0.7, 0.99, 1.0 - 0.5 / n, 0.9 / n]:
            if 0 < x < 1:
                out.append({"n": n, "x": x, "sf": float(special.smirnov(n, x))})
    return out


def chi2_grid():
    out = []
    for df in [1, 2, 3, 5, 10, 50, 200]:
        for x in [0.0, 1e-3, 0.5, 1.0, 3.84, 10.0, 50.0, 200.0, 800.0, 1500.0]:
            out.append({"df": df, "x": x, "sf": float(stats.chi2.sf(x, df))})
    return out


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    data = {
        "generated_by": "test/operators/drift-statistics/make_fixtures.py",
        "scipy": scipy.__version__,
        "numpy": np.__version__,
        "conventions": {"psi_bins": BINS, "psi_eps": PSI_EPS, "chi2_min_expected": CHI2_MIN_EXPECTED,
                        "std": "population (ddof=0)", "std_floor": 0.001},
        "numeric": numeric_cases(),
        "categorical": categorical_cases(),
        "kstwo_sf": kstwo_grid(),
        "smirnov_sf": smirnov_grid(),
        "chi2_sf": chi2_grid(),
    }
    with open(os.path.join(here, "fixtures.json"), "w") as fh:
        json.dump(data, fh, indent=1, allow_nan=False)
        fh.write("\n")


if __name__ == "__main__":
    main()
