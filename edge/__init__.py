"""The edge agent.

Every ``edge`` import loads :mod:`edge.image_guard` first: OpenCV reads its decoder's
pixel limit once, when cv2 is imported, so it must be set before any module imports cv2.
"""

from edge import image_guard as _image_guard  # noqa: F401
