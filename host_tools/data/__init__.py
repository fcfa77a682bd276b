"""Datasets and the model card: loading DATA, normalisation, uint8 views."""
