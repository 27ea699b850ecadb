"""Pure measures: canonical DataFrames and parameters in, DataFrames or numbers out.

No I/O, no globals, no printing. One module per mechanism.
"""
