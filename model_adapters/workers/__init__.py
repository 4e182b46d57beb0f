"""Worker entry points run inside isolated environments (see model_adapters/workers/protocol.py)."""
