"""fastreg's benchmark suite: time to accuracy against scikit-learn, NumPy
and peer libraries (``python -m benchmarks.run``; see benchmarks/README.md).

Not part of the installed package: run it from the repository root.
"""
