import os
import sys

# Make the calc package importable without installing it.
sys.path.insert(0, os.path.dirname(__file__))
