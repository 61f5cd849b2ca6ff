"""Output layer: turns decoded trace data into text exactly as dtrace(1) prints it.

* :mod:`pydtrace.output.printf`  - the D printf/printa format engine;
* :mod:`pydtrace.output.records` - trace(), default probe lines, -l, drops;
* :mod:`pydtrace.output.aggfmt`  - aggregation model, sorting and printing.
"""
