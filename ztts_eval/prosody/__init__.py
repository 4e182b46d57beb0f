"""Prosody features for TTSDS2 and DS-WED: one module per feature extractor."""
