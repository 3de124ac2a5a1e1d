"""Demo data: the demo street (a story of about 60 branches over three years, with its workflow) and
bulk synthetic inputs for the benchmarks."""
