"""Learning: labeled data, training and model selection, baselines, review of uncertain rows, the corpus gate."""
