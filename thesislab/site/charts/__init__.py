"""Accuracy-latency charts: what a chart plots (`data`) apart from how it is drawn (`layers`,
one function per layer, and `vega`, the Vega-Lite spec for the screen or for print)."""
