"""Regenerates every golden fixture: runs each tests/golden/gen_*.py in turn.

Needs PyTorch (CPU) and numpy: `pip install torch==2.13.0 numpy`. The tests never run Python;
they read the committed fixtures.
"""
import glob
import os
import runpy
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
for path in sorted(glob.glob(os.path.join(HERE, "gen_*.py"))):
    print(f"== {os.path.basename(path)}")
    runpy.run_path(path, run_name="__main__")
