"""The metric contract: every hook the pipeline calls is declared in metrics/base.py, the device never
enters a fingerprint, and reading a fingerprint runs nothing."""

from __future__ import annotations

import pytest

from ztts_eval import registry
from ztts_eval.metrics.base import Metric, MetricInfo, MetricSetupError, SampleMetric


class Probe(SampleMetric):
    info = MetricInfo(
        name="probe", version="3", kind="sample", columns=(), inputs=("audio",), scorer="x", extra="lite", family="lite"
    )

    def score_batch(self, inputs):
        return []


def test_device_never_enters_a_fingerprint():
    a, b = Probe(device="cuda", k=1), Probe(device="cpu", k=1)
    assert a.fingerprint() == b.fingerprint() == {"metric": "probe", "version": "3", "params": {"k": 1}}
    assert Probe(k=2).fingerprint() != a.fingerprint()


def test_hooks_have_declared_defaults():
    m = Probe()
    assert m.batch_size == 16 and m.counters == {} and m.generations_per_item() == 1
    assert m.bind_store(object()) is None


@pytest.mark.parametrize("name", sorted(registry.METRICS))
def test_no_metric_overrides_fingerprint(name):
    """Families add identity() and versions(); the one fingerprint rule lives in the base class."""
    cls = registry.metric_class(name)
    assert cls.fingerprint is Metric.fingerprint


def test_dswed_fingerprint_before_preflight_runs_nothing():
    pytest.importorskip("torch")
    from ztts_eval.metrics.dswed.dswed import DsWed

    m = DsWed(kmeans="fit:/nonexistent")
    with pytest.raises(MetricSetupError, match="preflight"):
        m.fingerprint()
    assert m.generations_per_item() == 2
