"""Sweeps of policies x budgets x seeds: the grid, its engines (process pool, Ray), the resumable journal, progress and the report."""
