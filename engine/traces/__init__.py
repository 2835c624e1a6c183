"""Run traces: the canonical trace, its recorder, values, paths, diff and reading a
stored run's trace back."""
