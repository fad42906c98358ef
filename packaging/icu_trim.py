"""A smaller ICU data library for the Linux bundle: only the ICU data Qt can reach, rebuilt.

PySide6's Linux wheel ships ICU, whose ``libicudata.so.NN`` (31 MB) is one exported symbol,
``icudtNN_dat``: ICU's "common data" package, a header, then a table of contents (item count,
then name and data offsets relative to the table, names sorted, data 16-byte aligned), then the
items. ``releasemgr.spec`` calls :func:`build_trimmed` to copy out the items Qt uses and to
assemble them with gcc into a drop-in library of the same soname and symbol.

What Qt 6 takes from ICU, and so what stays (Qt formats numbers and dates from its own CLDR
tables and segments and normalizes text with its own Unicode tables; nothing else in the bundle
links ICU):

* ``QCollator``, which the file dialogs' models sort names with in the user's language: all of
  ``coll/`` (the root collation ``ucadata.icu`` and every language's tailoring, 3.3 MB).
* ``QStringConverter``/``QStringDecoder`` for codecs Qt lacks itself: the alias table and the
  single-byte code pages (ISO-8859-*, windows-125*, KOI8, DOS and Mac pages, EBCDIC). The
  multi-byte East Asian tables (4.6 MB) go: those names become invalid converters, as in a Qt
  built without ICU, instead of failing anything else.
* ``QLocale::toUpper``/``toLower`` (Turkish dotted i and the like): case data built into
  libicuuc plus the normalization files kept here.
* ``QTimeZone::displayName``: the time zone rules and supplemental tables of the main tree, and
  English and root zone names (other languages get the English names).
* The locale tree's ``root``, ``en*``, ``res_index`` and ``pool``, which every fallback ends in.

What goes: break-iterator dictionaries (``brkitr/``), transliteration, currency, language,
region, unit and spell-out names, other languages' locale and zone names, StringPrep profiles,
the spoof checker and the character-name table. Qt calls none of them.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

# Item names after the "icudtNNl/" prefix that Qt reaches (see the module docstring).
KEEP = re.compile(
    r"""^(
        coll/.*                                      # collation: every language
      | cnvalias\.icu                                # converter names
      | [^/]+\.(nrm|icu)                             # normalization, case, layout, emoji tables
      | (zone/)?(root|en|en_[A-Za-z0-9_]+|res_index|pool|tzdbNames)\.res  # root and English
      | (?![a-z]{2,3}(_[A-Za-z0-9]+)*\.res$)[^/]+\.res  # supplemental data: zones, likely subtags
    )$""",
    re.X,
)
# Kept only when the table is single-byte (see _single_byte_converter).
CONVERTER = re.compile(r"^[^/]+\.cnv$")
# u_charName only; Qt has its own names for nothing and never asks ICU.
DROP = re.compile(r"^unames\.icu$")
ALIGN = 16
PAD = b"\xaa"  # what ICU's own icupkg pads with, so an untouched package rebuilds identically


class IcuTrimError(Exception):
    """The library is not an ICU data library this module understands."""


def _sections(elf: bytes) -> list[tuple[int, int, int, int, int, int]]:
    """(type, address, offset, size, link, entsize) of every section of a little-endian ELF64."""
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        raise IcuTrimError("not a little-endian 64-bit ELF file")
    (shoff,) = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum = struct.unpack_from("<HH", elf, 0x3A)
    out: list[tuple[int, int, int, int, int, int]] = []
    for i in range(shnum):
        fields = struct.unpack_from("<IIQQQQIIQQ", elf, shoff + i * shentsize)
        out.append((fields[1], fields[3], fields[4], fields[5], fields[6], fields[9]))
    return out


def read_common_data(library: Path) -> tuple[str, bytes]:
    """The exported ``icudt*_dat`` symbol's name and bytes, read from ``library``."""
    elf = library.read_bytes()
    sections = _sections(elf)
    dynsym = next((s for s in sections if s[0] == 11), None)  # SHT_DYNSYM
    if dynsym is None:
        raise IcuTrimError(f"{library}: no dynamic symbol table")
    strtab = sections[dynsym[4]][2]
    for i in range(dynsym[3] // 24):
        name_at, _info, _other, shndx, value, size = struct.unpack_from(
            "<IBBHQQ", elf, dynsym[2] + i * 24
        )
        name = elf[strtab + name_at : elf.index(b"\0", strtab + name_at)].decode("ascii")
        if re.fullmatch(r"icudt\d+_dat", name) and 0 < shndx < len(sections):
            _type, address, offset, _size, _link, _entsize = sections[shndx]
            start = value - address + offset
            return name, elf[start : start + size]
    raise IcuTrimError(f"{library}: exports no icudtNN_dat symbol")


def parse_toc(blob: bytes) -> tuple[int, list[tuple[str, bytes]]]:
    """The header size and the (name, data) items of a little-endian ICU common data blob."""
    header_size, magic1, magic2 = struct.unpack_from("<HBB", blob, 0)
    if (magic1, magic2) != (0xDA, 0x27) or blob[8] != 0 or blob[12:16] != b"CmnD":
        raise IcuTrimError("not little-endian ICU common data (CmnD)")
    (count,) = struct.unpack_from("<I", blob, header_size)
    entries = [struct.unpack_from("<II", blob, header_size + 4 + 8 * i) for i in range(count)]
    items: list[tuple[str, bytes]] = []
    for i, (name_at, data_at) in enumerate(entries):
        start = header_size + name_at
        name = blob[start : blob.index(b"\0", start)].decode("ascii")
        end = entries[i + 1][1] if i + 1 < count else len(blob) - header_size
        items.append((name, blob[header_size + data_at : header_size + end]))
    return header_size, items


def build_blob(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """A common data blob: ``header``, then a table of contents and ``items`` (sorted by name)."""
    items = sorted(items, key=lambda item: item[0].encode("ascii"))
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    table = 4 + 8 * len(items)
    data_at = -(-(table + len(names)) // ALIGN) * ALIGN
    entries: list[bytes] = []
    name_at, body = table, bytearray()
    for name, data in items:
        entries.append(struct.pack("<II", name_at, data_at + len(body)))
        name_at += len(name) + 1
        body += data + PAD * (-len(data) % ALIGN)
    toc = struct.pack("<I", len(items)) + b"".join(entries) + names
    return header + toc + PAD * (data_at - len(toc)) + bytes(body)


def _single_byte_converter(data: bytes) -> bool:
    """Whether a ``.cnv`` item is a single-byte table (UConverterStaticData.maxBytesPerChar)."""
    (header_size,) = struct.unpack_from("<H", data, 0)
    # structSize, name[60], codepage, platform, conversionType, minBytesPerChar, maxBytesPerChar
    return len(data) > header_size + 71 and int(data[header_size + 71]) == 1


def keep(name: str, data: bytes) -> bool:
    """Whether the item called ``name`` (without its ``icudtNNl/`` prefix) stays."""
    if DROP.match(name):
        return False
    if CONVERTER.match(name):
        return _single_byte_converter(data)
    return bool(KEEP.match(name))


def trim(blob: bytes, wanted: Callable[[str, bytes], bool] = keep) -> tuple[bytes, list[str]]:
    """The blob with only the wanted items, and the names of those dropped."""
    header_size, items = parse_toc(blob)
    kept: list[tuple[str, bytes]] = []
    dropped: list[tuple[str, bytes]] = []
    for name, data in items:
        (kept if wanted(name.split("/", 1)[-1], data) else dropped).append((name, data))
    return build_blob(blob[:header_size], kept), [name for name, _ in dropped]


def soname(library: Path) -> str:
    """The DT_SONAME of ``library``, or its file name when it has none."""
    elf = library.read_bytes()
    sections = _sections(elf)
    dynamic = next((s for s in sections if s[0] == 6), None)  # SHT_DYNAMIC
    if dynamic is not None:
        strtab = sections[dynamic[4]][2]
        for at in range(dynamic[2], dynamic[2] + dynamic[3], 16):
            tag, value = struct.unpack_from("<qQ", elf, at)
            if tag == 14:  # DT_SONAME
                return elf[strtab + value : elf.index(b"\0", strtab + value)].decode("ascii")
    return library.name


ASSEMBLY = """\
    .section .rodata
    .globl {symbol}
    .type {symbol}, @object
    .balign 16
{symbol}:
    .incbin "{blob}"
    .size {symbol}, . - {symbol}
    .section .note.GNU-stack,"",@progbits
"""


def assemble(symbol: str, blob: bytes, name: str, out: Path, cc: str = "gcc") -> None:
    """Link ``blob`` as the 16-byte aligned read-only ``symbol`` into a shared library ``out``."""
    with tempfile.TemporaryDirectory(prefix="icu-trim-") as tmp:
        data, source = Path(tmp, "data.bin"), Path(tmp, "data.S")
        data.write_bytes(blob)
        source.write_text(ASSEMBLY.format(symbol=symbol, blob=data), encoding="ascii")
        partial = out.with_name(out.name + ".part")
        flags = ["-shared", "-nostdlib", f"-Wl,-soname,{name}", "-Wl,-z,noexecstack"]
        subprocess.run(
            [cc, *flags, "-o", str(partial), str(source)],
            check=True,
            capture_output=True,
            text=True,
        )
        partial.replace(out)


def build_trimmed(library: Path, out_dir: Path) -> tuple[Path, int, int]:
    """Build the trimmed twin of ``library`` in ``out_dir``: its path, old and new blob sizes.

    Raises IcuTrimError when the library is not understood, OSError or CalledProcessError
    when no compiler works; the caller then keeps the original.
    """
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        raise IcuTrimError("no C compiler (gcc or cc) on PATH")
    symbol, blob = read_common_data(library)
    small, _dropped = trim(blob)
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / library.name
    assemble(symbol, small, soname(library), out, cc)
    if read_common_data(out) != (symbol, small):
        raise IcuTrimError(f"{out}: the rebuilt library does not hold the trimmed data")
    return out, len(blob), len(small)
