"""Reports: leaderboard tables (terminal, Markdown, CSV)."""
