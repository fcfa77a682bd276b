"""Which layers and channels train: budgets and their accounting, the whole-device memory model, layer pre-selection, ranking, and the channel-selection policies."""
