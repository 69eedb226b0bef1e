"""Benchmark data: manifests, suites on disk, verification, the synthetic generator and pose tooling."""
