"""A FrameworkProcessor script: a helper module from source_dir, hard-coded container paths."""

import argparse

from summary import summarize

if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--columns", type=int, required=True)
    args = parser.parse_args()
    summarize("/opt/ml/processing/input", "/opt/ml/processing/summary/summary.json", args.columns)
