"""Real-time serving benchmark (`ztts-eval speed`): load generation, per-request timing, statistics, quality of the streamed audio."""
