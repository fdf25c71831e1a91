"""thesislab: train, shrink, convert, measure and publish small, fast neural networks."""

__version__ = "0.1.0"
