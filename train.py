#!/usr/bin/env python3
"""Train the intent model: the same code as `intent train` (see `python train.py --help`).

Unlike `intent train`, which writes under the current folder, this script writes into the
checkout it belongs to: models/intent-es.joblib (the shipped model) and reports/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def main() -> int:
    from intent.cli import HelpFormatter, add_train_arguments, run_handler

    parser = argparse.ArgumentParser(
        prog="train.py",
        description=(
            "Train on data/train.csv (and the challenge set's dev split), evaluate on data/test.csv, write "
            "models/intent-es.joblib, models/intent-es.json and reports/intent-es/ of this checkout, and print "
            "test scores beside baselines from the same run. With --data, models/intent-custom.joblib."
        ),
        formatter_class=HelpFormatter,
        allow_abbrev=False,
    )
    add_train_arguments(parser)
    parser.set_defaults(models_dir=ROOT / "models", reports_dir=ROOT / "reports")
    return run_handler(parser.parse_args())


if __name__ == "__main__":
    sys.exit(main())
