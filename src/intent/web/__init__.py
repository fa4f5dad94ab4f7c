"""The local web page and JSON API of `intent serve` (needs nothing beyond `pip install`)."""
