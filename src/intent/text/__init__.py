"""Text stages: repair and normalize, spaCy tokens and lemmas, features, language identification."""
