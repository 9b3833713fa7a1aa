"""Developer tools of this repository: used by tests, benchmarks and make targets, never shipped."""
