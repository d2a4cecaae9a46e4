"""Removing every position from a photo file's metadata, byte by byte, without touching the picture.

Used when location access was not granted at the capture time: the stored original must not carry a position.
What is removed: the EXIF GPS IFD (JPEG APP1, PNG eXIf, the HEIF Exif item), XMP location properties (any
property named GPS*, *Latitude/*Longitude, photoshop:City/State/Country, Iptc4xmpCore:Location/CountryCode and
the Iptc4xmpExt location structures; JPEG APP1, extended XMP, PNG iTXt, the HEIF XMP item) and the IPTC-IIM
location datasets (JPEG APP13). Every edit keeps the length of what it edits (removed XMP text becomes spaces,
removed values become zero bytes), so offsets elsewhere in the file (MPF secondary images, HEIF item locations)
stay valid; only the PNG chunks that carry location in a compressed or legacy form are dropped whole.
`find_location` is the independent check run afterwards.
"""

from __future__ import annotations

import io
import re
import struct
import zlib

from defusedxml import DefusedXmlException, ElementTree

from core.adapters.images.formats import MAX_EMBEDDED_JPEGS, jpeg_end
from core.domain.images import LocationNotRemovable

_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8, 13: 4, 16: 8, 17: 8, 18: 8}
_GPS_POINTER = 0x8825
_MAKER_NOTE = 0x927C  # vendor data in the Exif IFD: opaque, may hold a position; blanked as well
_EXIF_POINTER = 0x8769

_XMP_ID = b"http://ns.adobe.com/xap/1.0/\x00"
_XMP_EXT_ID = b"http://ns.adobe.com/xmp/extension/\x00"
_EXIF_ID = b"Exif\x00\x00"
_PS_ID = b"Photoshop 3.0\x00"

_NAMED = {
    "http://ns.adobe.com/photoshop/1.0/": {"City", "State", "Country"},
    "http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/": {"Location", "CountryCode"},
    "http://iptc.org/std/Iptc4xmpExt/2008-02-29/": {
        "LocationCreated",
        "LocationShown",
        "City",
        "CountryName",
        "CountryCode",
        "ProvinceState",
        "Sublocation",
        "WorldRegion",
        "LocationId",
        "LocationName",
    },
}
# IPTC-IIM record 2: content location code/name, city, sub-location, province/state, country code, country name.
_IIM_LOCATION = {26, 27, 90, 92, 95, 100, 101}
# Words that betray a position in XMP text; the final check looks for them in every XMP packet that is left.
_XMP_NEEDLES = re.compile(
    rb"gps|latitude|longitude|photoshop:(city|state|country)\b|iptc4xmp(core|ext):"
    rb"(location|city|country|provincestate|sublocation|worldregion)",
    re.IGNORECASE,
)
_NS = re.compile(rb"""xmlns:([\w.-]+)\s*=\s*["']([^"']*)["']""")
_ATTR = re.compile(rb"""(?<=\s)([\w.-]+):([\w.-]+)\s*=\s*("[^"]*"|'[^']*')""")
_START = re.compile(rb"<([\w.-]+):([\w.-]+)")


def is_location_property(namespace: str, local: str) -> bool:
    name = local.lower()
    if name.startswith("gps") or "latitude" in name or "longitude" in name or "longtitude" in name:
        return True
    return local in _NAMED.get(namespace, set())


# ---------------------------------------------------------------- EXIF (TIFF)


def _ifd(buf: bytearray, base: int, end: int, offset: int, fmt: str) -> tuple[int, int]:
    """Position and entry count of the IFD at `offset` (relative to the TIFF header at `base`)."""
    pos = base + offset
    if offset < 8 or pos + 2 > end:
        raise LocationNotRemovable("IFD outside the EXIF block")
    count = struct.unpack_from(fmt + "H", buf, pos)[0]
    if pos + 2 + 12 * count + 4 > end:
        raise LocationNotRemovable("IFD runs past the EXIF block")
    return pos, count


def _blank_value(buf: bytearray, base: int, end: int, entry: int, fmt: str) -> None:
    kind, count, value = struct.unpack_from(fmt + "HII", buf, entry + 2)
    size = _TYPE_SIZE.get(kind, 1) * count
    if size <= 4:
        buf[entry + 8 : entry + 12] = bytes(4)
    elif base + value + size <= end:
        buf[base + value : base + value + size] = bytes(size)


def _drop_entry(buf: bytearray, pos: int, count: int, index: int, fmt: str) -> None:
    """Remove entry `index` from the IFD at `pos`: later entries and the next-IFD offset move up 12 bytes."""
    first, last = pos + 2 + 12 * index, pos + 2 + 12 * count + 4
    buf[first : last - 12] = buf[first + 12 : last]
    buf[last - 12 : last] = bytes(12)
    struct.pack_into(fmt + "H", buf, pos, count - 1)


def scrub_tiff(buf: bytearray, base: int, end: int) -> None:
    """Remove the GPS IFD (and the maker note) from the TIFF structure in buf[base:end], in place."""
    order = bytes(buf[base : base + 2])
    if order not in (b"II", b"MM") or end - base < 8:
        raise LocationNotRemovable("no TIFF header")
    fmt = "<" if order == b"II" else ">"
    offset = struct.unpack_from(fmt + "I", buf, base + 4)[0]
    seen: set[int] = set()
    while offset and offset not in seen and len(seen) < 4:  # IFD0, IFD1 (the EXIF thumbnail)
        seen.add(offset)
        pos, count = _ifd(buf, base, end, offset, fmt)
        index = 0
        while index < count:
            entry = pos + 2 + 12 * index
            tag = struct.unpack_from(fmt + "H", buf, entry)[0]
            if tag == _GPS_POINTER:
                gps = struct.unpack_from(fmt + "I", buf, entry + 8)[0]
                gps_pos, gps_count = _ifd(buf, base, end, gps, fmt)
                for i in range(gps_count):
                    _blank_value(buf, base, end, gps_pos + 2 + 12 * i, fmt)
                buf[gps_pos : gps_pos + 2 + 12 * gps_count + 4] = bytes(2 + 12 * gps_count + 4)
                _drop_entry(buf, pos, count, index, fmt)
                count -= 1
                continue
            if tag == _EXIF_POINTER:
                exif = struct.unpack_from(fmt + "I", buf, entry + 8)[0]
                exif_pos, exif_count = _ifd(buf, base, end, exif, fmt)
                for i in range(exif_count):
                    if struct.unpack_from(fmt + "H", buf, exif_pos + 2 + 12 * i)[0] == _MAKER_NOTE:
                        _blank_value(buf, base, end, exif_pos + 2 + 12 * i, fmt)
            index += 1
        offset = struct.unpack_from(fmt + "I", buf, pos + 2 + 12 * count)[0]


# ---------------------------------------------------------------- XMP


def _blank(text: bytes) -> bytes:
    return b" " * len(text)


def scrub_xmp(packet: bytes) -> bytes:
    """The same packet, same length, with every location property (attribute or element) turned into spaces.
    When the result is not well-formed or still names a location, the whole packet becomes spaces."""
    namespaces = {m.group(1): m.group(2).decode("utf-8", "replace") for m in _NS.finditer(packet)}

    def located(prefix: bytes, local: bytes) -> bool:
        uri = namespaces.get(prefix)
        return uri is not None and is_location_property(uri, local.decode("utf-8", "replace"))

    out = packet
    names = {(m.group(1), m.group(2)) for m in _START.finditer(packet) if located(m.group(1), m.group(2))}
    for prefix, local in sorted(names, key=lambda n: len(n[1]), reverse=True):
        q = re.escape(prefix + b":" + local)
        element = re.compile(rb"<" + q + rb"(?:\s[^>]*)?/>|<" + q + rb"(?:\s[^>]*)?>.*?</" + q + rb"\s*>", re.DOTALL)
        out = element.sub(lambda m: _blank(m.group(0)), out)
    out = _ATTR.sub(lambda m: _blank(m.group(0)) if located(m.group(1), m.group(2)) else m.group(0), out)
    if len(out) != len(packet) or _XMP_NEEDLES.search(out) or not _well_formed(out):
        return _blank(packet)
    return out


def _well_formed(packet: bytes) -> bool:
    start, end = packet.find(b"<x:xmpmeta"), packet.rfind(b"</x:xmpmeta>")
    if start < 0 or end < 0:
        start, end = packet.find(b"<rdf:RDF"), packet.rfind(b"</rdf:RDF>")
        if start < 0 or end < 0:
            return False
        end += len(b"</rdf:RDF>")
    else:
        end += len(b"</x:xmpmeta>")
    try:
        ElementTree.fromstring(packet[start:end])  # defusedxml: no DTD entities, no external references
    except (ElementTree.ParseError, DefusedXmlException):
        return False
    return True


# ---------------------------------------------------------------- JPEG


def _jpeg_segments(buf: bytearray, start: int) -> list[tuple[int, int, int]]:
    """(marker, payload start, payload end) of the header segments of the JPEG at `start`, up to SOS."""
    out, pos = [], start + 2
    while pos + 4 <= len(buf) and buf[pos] == 0xFF:
        marker = buf[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0xD9, 0xDA):
            break
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        length = int.from_bytes(buf[pos + 2 : pos + 4], "big")
        if length < 2 or pos + 2 + length > len(buf):
            raise LocationNotRemovable("JPEG segment runs past the file")
        out.append((marker, pos + 4, pos + 2 + length))
        pos += 2 + length
    return out


def _scrub_iim(buf: bytearray, start: int, end: int) -> None:
    """Blank the location datasets of the IPTC-IIM block (Photoshop resource 0x0404) in an APP13 payload."""
    pos = start + len(_PS_ID)
    while pos + 12 <= end and buf[pos : pos + 4] == b"8BIM":
        rid = int.from_bytes(buf[pos + 4 : pos + 6], "big")
        name_len = buf[pos + 6]
        name_end = pos + 6 + ((name_len + 2) & ~1)
        size = int.from_bytes(buf[name_end : name_end + 4], "big")
        data, data_end = name_end + 4, name_end + 4 + size
        if data_end > end:
            raise LocationNotRemovable("Photoshop resource runs past the segment")
        if rid == 0x0404:
            at = data
            while at + 5 <= data_end and buf[at] == 0x1C:
                record, dataset, length = buf[at + 1], buf[at + 2], int.from_bytes(buf[at + 3 : at + 5], "big")
                if length & 0x8000 or at + 5 + length > data_end:
                    buf[data:data_end] = bytes(size)  # extended lengths: blank the whole IPTC block
                    break
                if record == 2 and dataset in _IIM_LOCATION:
                    buf[at + 5 : at + 5 + length] = b" " * length
                at += 5 + length
        pos = data_end + (size & 1)


def _scrub_jpeg(buf: bytearray, start: int) -> None:
    for marker, begin, end in _jpeg_segments(buf, start):
        payload = bytes(buf[begin:end])
        if marker == 0xE1 and payload.startswith(_EXIF_ID):
            try:
                scrub_tiff(buf, begin + len(_EXIF_ID), end)
            except (LocationNotRemovable, struct.error):
                buf[begin:end] = bytes(end - begin)  # a damaged EXIF block: zeros (no longer an Exif segment)
        elif marker == 0xE1 and payload.startswith(_XMP_ID):
            buf[begin + len(_XMP_ID) : end] = scrub_xmp(payload[len(_XMP_ID) :])
        elif marker == 0xE1 and payload.startswith(_XMP_EXT_ID):
            body = begin + len(_XMP_EXT_ID) + 40  # GUID (32), full length (4), offset (4)
            if _XMP_NEEDLES.search(buf[body:end]):
                buf[body:end] = b" " * (end - body)  # a piece of a larger packet: cannot be parsed alone
        elif marker == 0xED and payload.startswith(_PS_ID):
            _scrub_iim(buf, begin, end)


# ---------------------------------------------------------------- PNG


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _strip_png(data: bytes) -> bytes:
    out, pos = io.BytesIO(), 8
    out.write(data[:8])
    while pos + 12 <= len(data):
        length = int.from_bytes(data[pos : pos + 4], "big")
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        pos += 12 + length
        keyword = body.split(b"\x00", 1)[0] if kind in (b"tEXt", b"zTXt", b"iTXt") else b""
        if kind == b"eXIf":
            scrubbed = bytearray(body)
            try:
                scrub_tiff(scrubbed, 0, len(scrubbed))
            except (LocationNotRemovable, struct.error):
                continue  # a damaged EXIF chunk: dropped
            body = bytes(scrubbed)
        elif keyword.startswith(b"Raw profile type"):
            continue  # EXIF/XMP/IPTC as hex text (ImageMagick): dropped
        elif kind == b"iTXt" and keyword == b"XML:com.adobe.xmp":
            head = body.find(b"\x00", len(keyword) + 3)
            head = body.find(b"\x00", head + 1) if head >= 0 else -1  # language tag, then translated keyword
            if head < 0 or body[len(keyword) + 1] != 0:  # compressed XMP: dropped
                continue
            body = body[: head + 1] + scrub_xmp(body[head + 1 :])
        elif kind in (b"tEXt", b"zTXt", b"iTXt") and _XMP_NEEDLES.search(keyword):
            continue
        out.write(_png_chunk(kind, body))
        if kind == b"IEND":
            break
    return out.getvalue()


# ---------------------------------------------------------------- HEIF


def _boxes(buf: bytearray, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the boxes in buf[start:end]."""
    out, pos = [], start
    while pos + 8 <= end:
        size, kind = int.from_bytes(buf[pos : pos + 4], "big"), bytes(buf[pos + 4 : pos + 8])
        header = 8
        if size == 1:
            size, header = int.from_bytes(buf[pos + 8 : pos + 16], "big"), 16
        elif size == 0:
            size = end - pos
        if size < header or pos + size > end:
            raise LocationNotRemovable("ISO box runs past its parent")
        out.append((kind, pos + header, pos + size))
        pos += size
    return out


def _uint(buf: bytearray, pos: int, size: int) -> tuple[int, int]:
    return (int.from_bytes(buf[pos : pos + size], "big") if size else 0), pos + size


def _heif_items(buf: bytearray, meta: int, meta_end: int) -> tuple[dict[int, str], dict[int, list[tuple[int, int]]]]:
    """Item kinds ('Exif', or the content type of a 'mime' item) and their extents (absolute file ranges)."""
    kinds: dict[int, str] = {}
    places: dict[int, list[tuple[int, int]]] = {}
    idat = 0
    children = _boxes(buf, meta + 4, meta_end)
    for kind, start, _ in children:
        if kind == b"idat":
            idat = start
    for kind, start, end in children:
        if kind == b"iinf":
            version = buf[start]
            first = start + 4 + (2 if version == 0 else 4)
            for entry_kind, e_start, e_end in _boxes(buf, first, end):
                if entry_kind != b"infe" or buf[e_start] < 2:
                    continue
                wide = buf[e_start] >= 3
                item_id, pos = _uint(buf, e_start + 4, 4 if wide else 2)
                item_type = bytes(buf[pos + 2 : pos + 6])
                rest = bytes(buf[pos + 6 : e_end]).split(b"\x00")
                kinds[item_id] = (
                    rest[1].decode("latin-1") if item_type == b"mime" and len(rest) > 1 else item_type.decode("latin-1")
                )
        elif kind == b"iloc":
            version = buf[start]
            sizes = buf[start + 4], buf[start + 5]
            offset_size, length_size, base_size = sizes[0] >> 4, sizes[0] & 15, sizes[1] >> 4
            index_size = sizes[1] & 15 if version in (1, 2) else 0
            count, pos = _uint(buf, start + 6, 2 if version < 2 else 4)
            for _ in range(count):
                item_id, pos = _uint(buf, pos, 2 if version < 2 else 4)
                method = 0
                if version in (1, 2):
                    method, pos = buf[pos + 1] & 15, pos + 2
                pos += 2  # data reference index
                base, pos = _uint(buf, pos, base_size)
                extents, pos = _uint(buf, pos, 2)
                for _ in range(extents):
                    pos += index_size
                    offset, pos = _uint(buf, pos, offset_size)
                    length, pos = _uint(buf, pos, length_size)
                    origin = idat if method == 1 else 0
                    if method not in (0, 1) or origin + base + offset + length > len(buf):
                        raise LocationNotRemovable("HEIF item outside the file")
                    places.setdefault(item_id, []).append((origin + base + offset, origin + base + offset + length))
    return kinds, places


def _scrub_heif(buf: bytearray) -> None:
    for kind, start, end in _boxes(buf, 0, len(buf)):
        if kind != b"meta":
            continue
        kinds, places = _heif_items(buf, start, end)
        for item_id, item_kind in kinds.items():
            for begin, stop in places.get(item_id, []):
                if item_kind == "Exif":
                    if stop - begin < 4:
                        raise LocationNotRemovable("empty Exif item")
                    tiff = begin + 4 + int.from_bytes(buf[begin : begin + 4], "big")
                    scrub_tiff(buf, tiff, stop)
                elif item_kind in ("application/rdf+xml", "application/xmp+xml"):
                    buf[begin:stop] = scrub_xmp(bytes(buf[begin:stop]))


# ---------------------------------------------------------------- entry points


def strip_location(data: bytes, family: str) -> bytes:
    """The file without any position in its metadata (family: jpeg, png or heif). Raises LocationNotRemovable."""
    if family == "png":
        return _strip_png(data)
    buf = bytearray(data)
    try:
        if family == "jpeg":
            start: int | None = 0
            for _ in range(MAX_EMBEDDED_JPEGS + 1):  # the image, then further JPEGs (MPF previews, gain maps)
                if start is None or not data.startswith(b"\xff\xd8\xff", start):
                    break
                _scrub_jpeg(buf, start)
                start = jpeg_end(data, start)
        else:
            _scrub_heif(buf)
    except (struct.error, IndexError, ValueError) as exc:
        raise LocationNotRemovable(type(exc).__name__) from exc
    return bytes(buf)


def find_location(data: bytes, family: str) -> list[str]:
    """What still tells a position, read the way other programs read the file (Pillow, libheif): the GPS IFD,
    location words in the XMP packet, IPTC location datasets. Empty when there is none."""
    from PIL import Image, IptcImagePlugin

    found: list[str] = []
    if family == "heif":
        import pillow_heif

        info = pillow_heif.open_heif(io.BytesIO(data)).info
        exif = Image.Exif()
        if info.get("exif"):
            exif.load(info["exif"])
        xmp, iptc = info.get("xmp") or b"", None
    else:
        image = Image.open(io.BytesIO(data), formats=["JPEG" if family == "jpeg" else "PNG"])
        exif = image.getexif()
        xmp = image.info.get("xmp") or image.info.get("XML:com.adobe.xmp") or b""
        iptc = IptcImagePlugin.getiptcinfo(image) if family == "jpeg" else None
    if exif.get_ifd(_GPS_POINTER):
        found.append("exif-gps")
    if isinstance(xmp, str):
        xmp = xmp.encode()
    if _XMP_NEEDLES.search(xmp):
        found.append("xmp")
    if iptc and any(
        key[0] == 2 and key[1] in _IIM_LOCATION and bytes(value).strip()
        for key, value in iptc.items()
        if not isinstance(value, list)
    ):
        found.append("iptc")
    return found


def original_without_location(data: bytes, family: str) -> bytes:
    """`strip_location`, then `find_location` on the result: raises LocationNotRemovable unless nothing is left."""
    stripped = strip_location(data, family)
    try:
        left = find_location(stripped, family)
    except Exception as exc:  # the readers fail in many ways on odd files; then the removal is unproven
        raise LocationNotRemovable(f"the result cannot be read back ({type(exc).__name__})") from exc
    if left:
        raise LocationNotRemovable("still present: " + ", ".join(left))
    return stripped
