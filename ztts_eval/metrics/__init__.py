"""Metrics: one module per metric, registered lazily in ztts_eval.registry."""
