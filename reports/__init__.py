"""Reports: HTML leaderboard and Markdown tables rendered from results.json-shaped data."""
