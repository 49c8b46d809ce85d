#!/usr/bin/python3
"""Reference values for runner/compare/statistics.h, computed by scipy.

Run with Debian's python3 and python3-scipy (1.10.1 on bookworm):

    /usr/bin/python3 runner/compare/testdata/scipy_reference.py > runner/compare/testdata/scipy_reference.json

The output is committed (statistics_test.cpp reads it) and regenerated live
by the ctest compare_scipy_reference_live, which runs the same C++ checks on
the fresh file. The cases are deterministic (fixed seeds), so the file only
changes when scipy's results do.

Mann-Whitney: scipy.stats.mannwhitneyu(a, b, alternative="two-sided",
method="auto", use_continuity=True); the method "auto" picked comes from
scipy's own chooser (_mwu_choose_method).

Benjamini-Hochberg: scipy 1.10 has no false_discovery_control (it came in
1.11), so the q-values are computed here twice and must agree: by
scipy 1.11's algorithm (sort, p * m / rank, reverse cumulative minimum,
clip), and straight from the definition q_i = min over p_j >= p_i of
p_j * m / rank_j, O(m^2), sharing no code with the first.
"""
import json
import sys

try:
    import numpy as np
    import scipy
    from scipy import stats
    from scipy.stats._mannwhitneyu import _mwu_choose_method
except ImportError as e:
    sys.exit(f"scipy_reference.py needs numpy and scipy (Debian: apt-get install python3-scipy; "
             f"run it with /usr/bin/python3, not a python without them): {e}")


def mann_whitney_case(name, a, b):
    # Rounded to 7 significant digits to keep the file small; the values
    # tested are these rounded ones.
    a = [float(f"{x:.7g}") for x in a]
    b = [float(f"{x:.7g}") for x in b]
    result = stats.mannwhitneyu(a, b, alternative="two-sided", method="auto", use_continuity=True)
    method = _mwu_choose_method(len(a), len(b), np.concatenate([a, b]), "auto")
    return {"name": name, "a": a, "b": b, "u_a": float(result.statistic), "p_value": float(result.pvalue),
            "method": method}


def rounded(rng, size, scale, digits):
    """Samples on a coarse grid: ties, like trace times in whole microseconds."""
    return [round(float(x), digits) for x in rng.uniform(0, scale, size)]


def mann_whitney_cases():
    rng = np.random.default_rng(20240601)
    cases = []
    # Small n, no ties: every size pair 1..8 x 1..8 (the exact method), half
    # of them with b shifted so that small p-values are covered too.
    for n1 in range(1, 9):
        for n2 in range(1, 9):
            shift = 0.0 if (n1 + n2) % 2 else 1.5
            a = rng.normal(0, 1, n1)
            b = rng.normal(shift, 1, n2)
            cases.append(mann_whitney_case(f"exact {n1}x{n2} shift {shift}", a, b))
    # Complete separation: the smallest p the exact test can give.
    for n1, n2 in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (8, 8), (1, 8), (8, 30), (3, 50)]:
        a = list(range(1, n1 + 1))
        b = [100 + i for i in range(n2)]
        cases.append(mann_whitney_case(f"separated {n1}x{n2}", a, b))
        cases.append(mann_whitney_case(f"separated reversed {n1}x{n2}", b, a))
    # One small side against a large one: still exact in scipy.
    for n1, n2 in [(1, 20), (2, 60), (5, 100), (8, 9), (8, 150), (40, 3)]:
        cases.append(mann_whitney_case(f"exact unequal {n1}x{n2}", rng.lognormal(0, 0.5, n1),
                                       rng.lognormal(0.2, 0.5, n2)))
    # Ties: small n (asymptotic because of the ties), several tie groups,
    # ties across the two samples, ties only within one.
    cases.append(mann_whitney_case("ties small 3x3", [1, 2, 2], [2, 3, 4]))
    cases.append(mann_whitney_case("ties small 2x2", [1, 1], [1, 2]))
    cases.append(mann_whitney_case("ties within a only", [1, 1, 1, 5], [2, 3, 4, 6]))
    cases.append(mann_whitney_case("ties 1x1", [7], [7]))
    cases.append(mann_whitney_case("ties 1x3", [2], [2, 2, 3]))
    for n1, n2 in [(4, 6), (8, 8), (5, 12), (12, 12), (30, 25), (200, 180)]:
        cases.append(mann_whitney_case(f"ties grid {n1}x{n2}", rounded(rng, n1, 10, 0),
                                       [x + 1 for x in rounded(rng, n2, 10, 0)]))
    # All values equal (zero variance: p is 1).
    cases.append(mann_whitney_case("all equal 3x3", [5, 5, 5], [5, 5, 5]))
    cases.append(mann_whitney_case("all equal 10x12", [2.5] * 10, [2.5] * 12))
    cases.append(mann_whitney_case("all equal 1x2", [4], [4, 4]))
    # Identical samples without ties inside each (ties across only).
    cases.append(mann_whitney_case("identical 6x6", [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 6]))
    # Large n, asymptotic without ties: null, small and large shifts,
    # unequal sizes; latency-like lognormal data.
    for n1, n2, shift in [(9, 9, 0), (9, 10, 1), (20, 35, 0.3), (50, 50, 0), (100, 150, 0.2),
                          (500, 700, 0.1), (800, 800, 0.05), (1200, 300, 0), (60, 60, 3)]:
        cases.append(mann_whitney_case(f"asymptotic {n1}x{n2} shift {shift}", rng.lognormal(0, 0.4, n1),
                                       rng.lognormal(shift, 0.4, n2)))
    # Negative values and a tiny p (complete separation at large n).
    cases.append(mann_whitney_case("negative values", rng.normal(-5, 2, 15), rng.normal(-4, 2, 11)))
    cases.append(mann_whitney_case("separated 200x200", range(200), range(1000, 1200)))
    return cases


def bh_scipy_1_11(ps):
    """scipy 1.11 stats.false_discovery_control(ps, method='bh'), 1-d."""
    ps = np.asarray(ps, dtype=float)
    m = ps.shape[-1]
    order = np.argsort(ps)
    ps = ps[order]
    i = np.arange(1, m + 1)
    ps *= m / i
    np.minimum.accumulate(ps[::-1], out=ps[::-1])
    out = np.empty_like(ps)
    out[order] = ps
    return np.clip(out, 0, 1)


def bh_by_definition(ps):
    m = len(ps)
    ranked = sorted(ps)
    # rank_j of value p: its last (largest) 1-based position in sorted order
    # gives the smallest p * m / rank, which the minimum picks anyway.
    result = []
    for p in ps:
        result.append(min(1.0, min(ranked[j] * m / (j + 1) for j in range(m) if ranked[j] >= p)))
    return result


def bh_case(name, ps):
    ps = [float(p) for p in ps]
    q = bh_scipy_1_11(ps)
    check = bh_by_definition(ps)
    if not np.allclose(q, check, rtol=1e-12, atol=0):
        sys.exit(f"BH reference disagrees with itself for {name}: {list(q)} vs {check}")
    return {"name": name, "p": ps, "q": [float(x) for x in q]}


def bh_cases():
    rng = np.random.default_rng(7)
    return [
        bh_case("single", [0.03]),
        bh_case("single p = 1", [1.0]),
        bh_case("two", [0.01, 0.04]),
        bh_case("ties in p", [0.01, 0.02, 0.02, 0.02, 0.5, 0.01]),
        bh_case("p = 1 several", [1.0, 0.2, 1.0, 0.001, 1.0]),
        bh_case("p = 0", [0.0, 0.5, 0.03]),
        bh_case("all equal", [0.04] * 6),
        bh_case("unsorted", [0.9, 0.001, 0.3, 0.04, 0.02, 0.6, 0.0125]),
        # Benjamini & Hochberg (1995), section 4.2: 15 p-values from a trial;
        # at 0.05 the procedure rejects the four smallest.
        bh_case("Benjamini-Hochberg 1995", [0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344,
                                            0.0459, 0.3240, 0.4262, 0.5719, 0.6528, 0.7590, 1.000]),
        bh_case("uniform 40", rng.uniform(0, 1, 40)),
        bh_case("mixture 100", np.concatenate([rng.uniform(0, 0.001, 10), rng.uniform(0, 1, 90)])),
        bh_case("tiny", [1e-300, 1e-20, 1e-5]),
    ]


def main():
    out = {
        "generator": "runner/compare/testdata/scipy_reference.py",
        "scipy_version": scipy.__version__,
        "numpy_version": np.__version__,
        "mann_whitney": mann_whitney_cases(),
        "benjamini_hochberg": bh_cases(),
    }
    # One case a line: readable diffs when scipy changes.
    lines = []
    for key, value in out.items():
        if isinstance(value, list):
            body = ",\n  ".join(json.dumps(case) for case in value)
            lines.append(f'"{key}": [\n  {body}\n ]')
        else:
            lines.append(f'"{key}": {json.dumps(value)}')
    sys.stdout.write("{\n " + ",\n ".join(lines) + "\n}\n")


if __name__ == "__main__":
    main()
