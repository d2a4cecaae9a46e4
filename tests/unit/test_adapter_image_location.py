"""Location removal from photo files, byte by byte: EXIF GPS, XMP location properties, IPTC location datasets, in
JPEG, PNG and HEIC; everything else (pixels, other metadata, length, offsets) stays as it was."""

from __future__ import annotations

import io
import re
import struct
from datetime import UTC, datetime

import pillow_heif
import pytest
from PIL import Image

from core.adapters.images import location_strip
from core.adapters.images.checks import inspect
from core.domain.media import PhotoContentType
from tests.fixtures import images

LAT, LON = 44.977753, -93.265015
XMP = images.location_xmp(LAT, LON)
TAKEN = datetime(2026, 5, 1, 9, 30, tzinfo=UTC)
POSITION_TEXTS = [
    b"44.977",
    b"93.265",
    b"Minneapolis",
    b"Warehouse 4",
    b"GPSLatitude",
    b"GPSLongitude",
    b"photoshop:City",
    b"LocationCreated",
]


def _pixels(data: bytes) -> bytes:
    return Image.open(io.BytesIO(data)).convert("RGB").tobytes()


def _iptc_app13(city: bytes, caption: bytes) -> bytes:
    """An APP13 segment: Photoshop IRB with an IPTC-IIM block holding City (2:90) and a caption (2:120)."""
    iim = b"\x1c\x02\x5a" + struct.pack(">H", len(city)) + city + b"\x1c\x02\x78" + struct.pack(">H", len(caption))
    iim += caption
    resource = b"8BIM\x04\x04\x00\x00" + struct.pack(">I", len(iim)) + iim + (b"\x00" if len(iim) % 2 else b"")
    payload = b"Photoshop 3.0\x00" + resource
    return b"\xff\xed" + struct.pack(">H", len(payload) + 2) + payload


def test_jpeg_loses_gps_xmp_location_and_iptc_city_and_keeps_everything_else() -> None:
    base = images.jpeg(taken=TAKEN, gps=(LAT, LON), xmp=XMP, orientation=6)
    data = base[:2] + _iptc_app13(b"Minneapolis", b"north gate") + base[2:]
    assert set(location_strip.find_location(data, "jpeg")) == {"exif-gps", "xmp", "iptc"}
    stripped = location_strip.original_without_location(data, "jpeg")
    assert location_strip.find_location(stripped, "jpeg") == []
    for text in POSITION_TEXTS:
        assert text not in stripped, text
    assert len(stripped) == len(data)  # every edit keeps its length: offsets elsewhere stay valid
    assert _pixels(stripped) == _pixels(data)
    image = Image.open(io.BytesIO(stripped))
    exif = image.getexif()
    assert (exif[0x010F], exif[0x0110], exif[0x0112]) == ("Acme", "FieldCam 3", 6)
    assert exif.get_ifd(0x8769)[0x9003] == "2026:05:01 09:30:00" and 0x8825 not in exif
    xmp = image.info["xmp"]
    assert b'xmp:CreatorTool="FieldCam firmware 3.1"' in xmp and b'xmp:Rating="4"' in xmp
    assert b"north gate" in stripped
    verified = inspect(stripped, declared=PhotoContentType.JPEG, max_pixels=10**8)
    assert not hasattr(verified, "reason") and verified.exif.gps is None  # still a clean, whole JPEG


def test_png_exif_chunk_and_xmp_lose_the_location() -> None:
    data = images.png(gps=(LAT, LON), xmp=XMP)
    assert set(location_strip.find_location(data, "png")) == {"exif-gps", "xmp"}
    stripped = location_strip.original_without_location(data, "png")
    for text in POSITION_TEXTS:
        assert text not in stripped, text
    assert _pixels(stripped) == _pixels(data)
    assert b"FieldCam firmware 3.1" in stripped
    assert Image.open(io.BytesIO(stripped)).getexif()[0x0110] == "FieldCam 3"


def test_heic_exif_and_xmp_items_lose_the_location_in_place() -> None:
    data = images.heic(gps=(LAT, LON), xmp=XMP)
    assert set(location_strip.find_location(data, "heif")) == {"exif-gps", "xmp"}
    stripped = location_strip.original_without_location(data, "heif")
    assert len(stripped) == len(data)
    for text in POSITION_TEXTS:
        assert text not in stripped, text
    heif = pillow_heif.open_heif(io.BytesIO(stripped))
    assert b"FieldCam firmware 3.1" in heif.info["xmp"]
    exif = Image.Exif()
    exif.load(heif.info["exif"])
    assert exif[0x0110] == "FieldCam 3" and not exif.get_ifd(0x8825)
    assert heif.to_pillow().tobytes() == pillow_heif.open_heif(io.BytesIO(data)).to_pillow().tobytes()


def test_a_photo_without_location_is_left_byte_for_byte() -> None:
    for data, family in ((images.jpeg(taken=TAKEN), "jpeg"), (images.png(), "png"), (images.heic(), "heif")):
        assert location_strip.original_without_location(data, family) == data


def test_every_jpeg_of_a_multi_picture_file_is_cleaned() -> None:
    # MPF previews and Ultra HDR gain maps are further JPEGs after the first one's EOI.
    data = images.jpeg(gps=(LAT, LON)) + images.jpeg(size=(64, 48), gps=(LAT, LON), xmp=XMP)
    stripped = location_strip.strip_location(data, "jpeg")
    second = stripped[len(images.jpeg(gps=(LAT, LON))) :]
    assert location_strip.find_location(stripped, "jpeg") == []
    assert location_strip.find_location(second, "jpeg") == []
    assert b"Minneapolis" not in stripped


@pytest.mark.filterwarnings("ignore:Corrupt EXIF")
def test_a_damaged_exif_block_is_blanked_instead_of_kept() -> None:
    data = bytearray(images.jpeg(gps=(LAT, LON)))
    tiff = data.index(b"Exif\x00\x00") + 6
    order = "<" if data[tiff : tiff + 2] == b"II" else ">"
    struct.pack_into(order + "I", data, tiff + 4, 0x7FFFFFF0)  # IFD0 far outside the segment
    stripped = location_strip.original_without_location(bytes(data), "jpeg")
    assert b"Exif\x00\x00" not in stripped and len(stripped) == len(data)
    assert _pixels(stripped) == _pixels(bytes(data))


@pytest.mark.parametrize(
    "packet",
    [
        # Entities could spell a property name the scrubber never sees: such a packet is blanked whole.
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY g "GPSLatitude">]><x:xmpmeta xmlns:x="adobe:ns:meta/">&g;'
        b"</x:xmpmeta>",
        # Not well-formed once scrubbed (or before): blanked whole.
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><exif:GPSLatitude>1</x:xmpmeta>',
        # A prefix bound to another name than usual is still found by its namespace.
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        b'<rdf:Description xmlns:p="http://ns.adobe.com/photoshop/1.0/" p:City="Oslo"/></rdf:RDF></x:xmpmeta>',
    ],
)
def test_xmp_that_cannot_be_scrubbed_cleanly_is_blanked(packet: bytes) -> None:
    scrubbed = location_strip.scrub_xmp(packet)
    assert len(scrubbed) == len(packet)
    assert b"GPS" not in scrubbed and b"Oslo" not in scrubbed


def test_location_property_names() -> None:
    assert location_strip.is_location_property("http://ns.adobe.com/exif/1.0/", "GPSImgDirection")
    assert location_strip.is_location_property("http://www.dji.com/drone-dji/1.0/", "GpsLongtitude")
    assert location_strip.is_location_property("http://iptc.org/std/Iptc4xmpCore/1.0/xmlns/", "Location")
    assert not location_strip.is_location_property("http://ns.adobe.com/xap/1.0/", "CreatorTool")
    assert not location_strip.is_location_property("http://ns.adobe.com/photoshop/1.0/", "Headline")


def test_unknown_png_text_with_a_position_is_dropped() -> None:
    data = images.png()
    chunk = location_strip._png_chunk(b"tEXt", b"Raw profile type exif\x00\n exif\n 12\n4d4d002a")
    with_raw = data[:33] + chunk + data[33:]  # after IHDR
    stripped = location_strip.strip_location(with_raw, "png")
    assert b"Raw profile" not in stripped and stripped == data
    assert re.search(rb"IEND", stripped)
