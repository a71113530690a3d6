"""Frontends: the layer-graph IR, the model zoo, ONNX import, weights, inputs and data sets."""
