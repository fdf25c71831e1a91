"""Deployment: TFLite conversion and quantization of trained models, and artifact evaluation."""
