"""Training, export and measurement tools; none of them may reach the network."""
import serving.telemetry_off  # noqa: F401  (before any tool imports onnxruntime)
