"""What the bureau sees: posting notices, payment batches, rejected lists, target and
summary reports. One module per output; `writer` and `charts` are shared."""
