"""Analytics over the read model (SQL aggregation, pandas shaping) and their exports."""
