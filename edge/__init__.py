"""The edge agent.

Every ``edge`` import loads :mod:`edge.image_guard` first: OpenCV reads its decoder's
pixel limit once, when cv2 is imported, so it must be set before any module imports cv2.

onnxruntime (the plate reader) writes a device id under ``~/.cache/Microsoft`` and
carries a telemetry client unless ``ORT_DISABLE_TELEMETRY`` is set when it loads.  A
lane box reports to nobody but its hub, whether started by the systemd unit (which sets
it too) or by hand (``scan``, the HIL tests).
"""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

from edge import image_guard as _image_guard  # noqa: F401
