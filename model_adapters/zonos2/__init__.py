"""ZONOS2 8B (MoE TTS LM): our own pure-PyTorch inference engine, config, weights and adapter."""
