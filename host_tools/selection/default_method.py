"""The default layer pre-selection method of `medyate plan --method`, `make_plan` and the
experiment config's "method". A module of its own so the CLI can show the default
without importing numpy; the methods themselves are `layer_selection.LAYER_METHODS`.
Switching the default is this one line (docs/ranking.md, experiments/README.md)."""

DEFAULT_LAYER_METHOD = "rgn"
