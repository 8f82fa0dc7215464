"""The allocation language: scheme files, steps, exact fen arithmetic.

Pure: imports no database, web, SMS or template module, and writes no files.
"""
from __future__ import annotations
