"""pydtrace: DTrace for Linux in Python, compiling D straight to eBPF.

Importing the package must stay cheap: ``dtrace`` imports ``pydtrace.cli``
through it on every start. Heavy modules load lazily where they are used.
"""

__version__ = "0.1.0"
