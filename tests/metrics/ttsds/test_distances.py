import numpy as np
import pytest

from ztts_eval.metrics.ttsds.distances import wasserstein_1d


def test_equal_sizes_is_mean_abs_difference_of_sorted():
    a, b = [1.0, 3.0, 2.0], [4.0, 6.0, 5.0]
    assert wasserstein_1d(a, b) == pytest.approx(3.0)
    assert wasserstein_1d(a, b, p=2) == pytest.approx(3.0)


def test_unequal_sizes_hand_computed():
    # quantiles: a = 0 on (0,.5], 2 on (.5,1]; b = 1 on (0,1]  -> W1 = .5*1 + .5*1 = 1
    assert wasserstein_1d([0.0, 2.0], [1.0]) == pytest.approx(1.0)
    # a=[0,0,3] (thirds), b=[0,3] (halves): differ on (1/3,1/2] by 3 -> W1 = 3/6 = 0.5
    assert wasserstein_1d([0.0, 0.0, 3.0], [0.0, 3.0]) == pytest.approx(0.5)
    # W2 on the same pair: sqrt(9/6)
    assert wasserstein_1d([0.0, 0.0, 3.0], [0.0, 3.0], p=2) == pytest.approx(np.sqrt(1.5))


def test_identity_symmetry_and_shift():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=50), rng.normal(size=37)
    assert wasserstein_1d(a, a) == 0.0
    assert wasserstein_1d(a, b) == pytest.approx(wasserstein_1d(b, a))
    assert wasserstein_1d(a, a + 2.5) == pytest.approx(2.5)


def test_rejects_empty_and_nonfinite():
    with pytest.raises(ValueError):
        wasserstein_1d([], [1.0])
    with pytest.raises(ValueError):
        wasserstein_1d([np.nan], [1.0])
