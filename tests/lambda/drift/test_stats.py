"""Statistics against reference values: hand-computed PSI, scipy's KS, exact grids."""

from __future__ import annotations

import math

import numpy as np
import pytest
from drift_detector import stats
from drift_detector.baseline import FeatureGrid
from scipy import special
from scipy.stats import ks_2samp


def grid_ks(baseline, window):
    grid = FeatureGrid.from_sample(np.asarray(baseline, dtype=float))
    window = np.asarray(window, dtype=float)
    return stats.ks_from_cell_counts(grid.baseline_cells, grid.count(window[np.isfinite(window)]))


def grid_psi(baseline, window):
    grid = FeatureGrid.from_sample(np.asarray(baseline, dtype=float))
    return stats.psi(grid.psi_bins(grid.baseline_cells), grid.psi_bins(grid.count(window)))


# ----------------------------------------------------------------------------- PSI


def test_psi_by_hand():
    expected = [50, 30, 20]
    actual = [40, 40, 20]
    by_hand = (0.4 - 0.5) * math.log(0.4 / 0.5) + (0.4 - 0.3) * math.log(0.4 / 0.3)
    assert stats.psi(expected, actual) == pytest.approx(by_hand, rel=1e-12)
    assert stats.psi(expected, expected) == 0.0


def test_psi_floors_empty_bins_at_1e_4():
    # The window leaves the first bin empty: its share 0 is raised to 1e-4.
    by_hand = (1e-4 - 0.5) * math.log(1e-4 / 0.5) + (1.0 - 0.5) * math.log(1.0 / 0.5)
    assert stats.PSI_FLOOR == 1e-4
    assert stats.psi([5, 5], [0, 10]) == pytest.approx(by_hand, rel=1e-12)
    assert stats.psi([0, 0], [1, 2]) is None
    assert stats.psi([1, 2], [0, 0]) is None


def test_decile_edges_and_right_closed_bins():
    baseline = np.arange(1, 101, dtype=float)  # 1..100
    edges = stats.decile_edges(baseline)
    np.testing.assert_allclose(edges, np.percentile(baseline, [10, 20, 30, 40, 50, 60, 70, 80, 90]))
    counts = stats.bin_counts(baseline, edges)
    assert counts.tolist() == [10] * 10
    # A value equal to an edge falls in the bin below it.
    assert stats.bin_counts(np.array([edges[0]]), edges).tolist()[0] == 1


def test_psi_hand_computed_on_deciles():
    baseline = np.arange(1, 101, dtype=float)
    window = np.array([1.0] * 30 + [50.0] * 70)  # 30% in bin 0, 70% in bin 4 (40.6, 50.5]
    shares = np.full(10, 1e-4)
    shares[0] = 0.3
    shares[4] = 0.7
    by_hand = float(np.sum((shares - 0.1) * np.log(shares / 0.1)))
    assert stats.psi_of_samples(baseline, window) == pytest.approx(by_hand, rel=1e-12)
    assert grid_psi(baseline, window) == pytest.approx(by_hand, rel=1e-12)


def test_psi_constant_feature():
    baseline = np.full(50, 3.0)
    assert stats.decile_edges(baseline).tolist() == [3.0]
    assert grid_psi(baseline, np.full(10, 3.0)) == 0.0
    shifted = grid_psi(baseline, np.full(10, 4.0))
    assert shifted == pytest.approx(2 * (1 - 1e-4) * math.log(1 / 1e-4), rel=1e-12)


def test_category_psi_over_union_of_classes():
    value = stats.category_psi({"0": 60, "1": 40}, {"0": 50, "1": 40, "2": 10})
    by_hand = (
        (0.5 - 0.6) * math.log(0.5 / 0.6) + (0.4 - 0.4) * 0.0 + (0.1 - 1e-4) * math.log(0.1 / 1e-4)
    )
    assert value == pytest.approx(by_hand, rel=1e-12)


# ----------------------------------------------------------------------------- KS

CASES = {
    "normal shift": (
        np.random.default_rng(1).normal(size=400),
        np.random.default_rng(2).normal(0.3, size=300),
    ),
    "ties": (
        np.random.default_rng(3).integers(0, 5, size=500).astype(float),
        np.random.default_rng(4).integers(0, 6, size=200).astype(float),
    ),
    "constant baseline": (np.full(100, 2.0), np.array([1.0, 2.0, 2.0, 3.0])),
    "constant both": (np.full(100, 2.0), np.full(7, 2.0)),
    "tiny window": (np.random.default_rng(5).normal(size=1000), np.array([0.25])),
    "two records": (np.random.default_rng(6).normal(size=50), np.array([-3.0, 3.0])),
    "window outside baseline": (np.arange(10.0), np.array([100.0, 200.0])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_ks_statistic_equals_scipy(name):
    baseline, window = CASES[name]
    reference = ks_2samp(baseline, window)
    assert stats.ks_statistic(baseline, window) == pytest.approx(reference.statistic, abs=1e-12)
    statistic, bound = grid_ks(baseline, window)
    assert bound == 0.0  # every distinct baseline value is an edge: exact
    assert statistic == pytest.approx(reference.statistic, abs=1e-12)


@pytest.mark.parametrize("name", sorted(CASES))
def test_ks_pvalue_close_to_scipy_asymptotic(name):
    baseline, window = CASES[name]
    reference = ks_2samp(baseline, window, method="asymp")
    statistic, _ = grid_ks(baseline, window)
    pvalue = stats.ks_pvalue(statistic, baseline.size, window.size)
    assert 0.0 <= pvalue <= 1.0
    effective = baseline.size * window.size / (baseline.size + window.size)
    if effective >= 5:
        assert pvalue == pytest.approx(reference.pvalue, abs=0.05)
    elif statistic == 0.0:
        assert pvalue == 1.0


def test_ks_pvalue_across_sizes_and_effects():
    rng = np.random.default_rng(7)
    for n, m in [(5, 7), (20, 30), (100, 4000), (1000, 4000), (4000, 20000)]:
        for shift in (0.0, 0.1, 0.3, 1.0):
            a = rng.normal(size=n)
            b = rng.normal(shift, size=m)
            reference = ks_2samp(a, b, method="asymp")
            statistic, _ = grid_ks(a, b)
            pvalue = stats.ks_pvalue(statistic, n, m)
            assert pvalue == pytest.approx(reference.pvalue, abs=0.05)
            if reference.pvalue < 1e-3:
                assert pvalue < 2e-3


def test_kolmogorov_sf_matches_scipy():
    for x in [0.0, 0.05, 0.2, 0.5, 0.8, 1.0, 1.17, 1.18, 1.19, 1.5, 2.0, 3.0, 5.0, 8.0]:
        assert stats.kolmogorov_sf(x) == pytest.approx(float(special.kolmogorov(x)), abs=1e-14)
    assert stats.kolmogorov_sf(-1.0) == 1.0
    assert stats.kolmogorov_sf(math.inf) == 0.0


def test_ks_from_many_distinct_values_has_a_stated_bound(monkeypatch):
    monkeypatch.setattr("drift_detector.baseline.MAX_GRID_EDGES", 200)
    rng = np.random.default_rng(8)
    baseline = rng.normal(size=20000)
    for window in (rng.normal(0.05, size=3000), rng.normal(1.0, size=50), np.array([0.1])):
        grid = FeatureGrid.from_sample(baseline)
        assert grid.edges.size <= 200 + 9
        statistic, bound = stats.ks_from_cell_counts(grid.baseline_cells, grid.count(window))
        exact = ks_2samp(baseline, window).statistic
        assert 0 < bound <= 1.0 / 150
        assert statistic <= exact + 1e-12
        assert exact <= statistic + bound + 1e-12


def test_empty_sides_give_none():
    assert stats.ks_statistic(np.array([]), np.array([1.0])) is None
    assert stats.ks_from_cell_counts(np.zeros(3), np.ones(3)) is None
    assert stats.ks_pvalue(0.5, 0, 10) is None


# ----------------------------------------------------------------------------- quality


def test_binary_classification_metrics_by_hand():
    confusion = {"1": {"1": 30, "0": 10}, "0": {"0": 50, "1": 10}}
    metrics = stats.classification_metrics(confusion)
    assert metrics["accuracy"] == pytest.approx(0.8)
    assert metrics["precision"] == pytest.approx(30 / 40)
    assert metrics["recall"] == pytest.approx(30 / 40)
    assert metrics["f1"] == pytest.approx(0.75)
    assert metrics["average"] == "binary"
    assert metrics["positive_class"] == "1"


def test_multiclass_macro_average_and_empty():
    confusion = {"a": {"a": 2}, "b": {"b": 1, "c": 1}, "c": {"c": 2}}
    metrics = stats.classification_metrics(confusion)
    assert metrics["average"] == "macro"
    assert metrics["precision"] == pytest.approx((1 + 1 + 2 / 3) / 3)
    assert metrics["recall"] == pytest.approx((1 + 0.5 + 1) / 3)
    assert stats.classification_metrics({})["accuracy"] is None


def test_regression_metrics():
    errors = np.array([1.0, -2.0, 0.5])
    metrics = stats.regression_metrics(3, float(np.abs(errors).sum()), float((errors**2).sum()))
    assert metrics["rmse"] == pytest.approx(math.sqrt((1 + 4 + 0.25) / 3))
    assert metrics["mae"] == pytest.approx(3.5 / 3)
    assert stats.regression_metrics(0, 0.0, 0.0)["rmse"] is None
