"""Regenerates the PyTorch golden fixtures in tests/golden/fixtures/: runs each
tests/golden/gen_*.py in turn (or only those whose name contains --only TEXT).

Needs PyTorch (CPU), numpy and Pillow (gen_randaug.py checks BCL's RandAugment against PIL):
`pip install torch==2.13.0 numpy pillow`. The tests never run Python; they read the committed
fixtures.

Usage: deno task goldens [--only TEXT] [--list]
  --only TEXT   run only the generators whose file name contains TEXT (e.g. --only conv2d)
  --list        list the generators and exit
  --help        show this help and exit
"""
import argparse
import glob
import importlib.util
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def main() -> int:
    ap = argparse.ArgumentParser(
        prog="deno task goldens",
        description="Regenerate the PyTorch golden fixtures (tests/golden/fixtures/).",
        epilog="Needs torch==2.13.0, numpy and pillow; the tests read the committed fixtures.",
    )
    ap.add_argument("--only", metavar="TEXT", help="only generators whose name contains TEXT")
    ap.add_argument("--list", action="store_true", help="list the generators and exit")
    args = ap.parse_args()
    paths = sorted(glob.glob(os.path.join(HERE, "gen_*.py")))
    if args.only:
        paths = [p for p in paths if args.only in os.path.basename(p)]
        if not paths:
            print(f"error: no generator name contains {args.only!r}; see --list", file=sys.stderr)
            return 1
    if args.list:
        for p in paths:
            print(os.path.basename(p))
        return 0
    missing = [m for m in ("torch", "numpy", "PIL") if importlib.util.find_spec(m) is None]
    if missing:
        print(
            f"error: {' and '.join(missing)} not installed; "
            "pip install torch==2.13.0 numpy pillow (tests never need them)",
            file=sys.stderr,
        )
        return 1
    sys.path.insert(0, HERE)
    # The generators read no arguments of their own.
    sys.argv = sys.argv[:1]
    for path in paths:
        print(f"== {os.path.basename(path)}")
        runpy.run_path(path, run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
