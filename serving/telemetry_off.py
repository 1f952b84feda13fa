"""No process of the app, its tests or its tools may reach the network: the libraries' usage
reporting is turned off here, and this module is imported before any of them is (app.py,
serving/onnx_session.py, export/__init__.py, tests/conftest.py).

onnxruntime reads ORT_DISABLE_TELEMETRY when it is imported: set afterwards, or replaced by
ort.disable_telemetry_events(), it still sent 6-8 DNS queries for its telemetry host after the
app started. gradio and huggingface_hub read theirs at import too. setdefault: an operator's
own setting wins.
"""
import os

OFF = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1", "ORT_DISABLE_TELEMETRY": "1"}

for name, value in OFF.items():
    os.environ.setdefault(name, value)
