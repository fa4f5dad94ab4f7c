#!/usr/bin/env python3
"""Train the intent model: the same code as `intent train` (see `python train.py --help`)."""

from __future__ import annotations

import argparse
import sys


def main() -> int:
    from intent.cli import add_train_arguments, run_handler

    parser = argparse.ArgumentParser(
        prog="train.py",
        description=(
            "Train on data/train.csv, evaluate on data/test.csv, write models/intent-es.joblib and "
            "models/intent-es.json, and print test scores beside two baselines from the same run."
        ),
    )
    add_train_arguments(parser)
    return run_handler(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
