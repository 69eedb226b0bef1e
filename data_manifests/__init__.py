"""Suite manifests shipped with a2bench (package data: one JSON file per suite)."""
