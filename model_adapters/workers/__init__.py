"""Worker entry points run inside isolated environments (see model_adapters/worker_protocol.py)."""
