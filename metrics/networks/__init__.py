"""Feature networks of the distribution and perceptual metrics, loaded only from verified weights files."""
