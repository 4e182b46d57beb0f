"""Model adapters: one module per system. Import them through ztts_eval.registry (lazily)."""
