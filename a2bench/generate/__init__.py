"""Generation: the adapter interface and registry, and the runner that writes one video per case."""
