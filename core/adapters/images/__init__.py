"""The image codec (the `ImageCodec` port, core/ports.py): the only code that reads or rewrites photo files, and the
only importer of Pillow and pillow-heif.

- formats.py: what the bytes are (magic bytes) and where the image in them ends (no decoding)
- exif.py: EXIF metadata of a decoded picture (capture time, camera, orientation, GPS), never raising
- checks.py: decoding within a pixel budget, and the thumbnail and display copy
- location_strip.py: removing every position from a file's metadata, byte by byte, and the check that none is left
- codec.py: `PillowImageCodec`, the port's two operations
"""
