"""PyInstaller run-time hook: with ``RELEASEMGR_BUNDLE_CHECK=icu``, prove ICU works, then exit.

The Linux bundle carries a trimmed ICU data library (``packaging/icu_trim.py``). This check runs
inside the frozen program, with the bundle's own Qt and ICU, each thing Qt asks ICU for:
collation (root order and a language's tailoring), legacy codecs, locale-specific case mapping
and time zone names. It prints one line per check and exits 0 when all pass, 1 otherwise; any
message Qt logs on the way is a failure too. ``.ci/build-bundle`` runs it. Without the variable
this hook does nothing, and the program starts as usual.
"""


def _check_icu():
    import sys

    from PySide6.QtCore import (
        QBuffer,
        QByteArray,
        QCollator,
        QIODevice,
        QLocale,
        QTimeZone,
        QXmlStreamReader,
        qInstallMessageHandler,
    )

    logged = []
    qInstallMessageHandler(lambda _kind, _context, message: logged.append(message))

    def decode(codec, raw):
        # QStringDecoder's decode is not bound in PySide6; the XML reader decodes through it.
        xml = b'<?xml version="1.0" encoding="' + codec.encode() + b'"?><a>' + raw + b"</a>"
        buffer = QBuffer()
        buffer.setData(QByteArray(xml))
        buffer.open(QIODevice.OpenModeFlag.ReadOnly)
        reader = QXmlStreamReader(buffer)
        while not reader.atEnd():
            if reader.readNext() == QXmlStreamReader.TokenType.StartElement:
                return reader.readElementText()
        return f"<{reader.errorString()}>"

    english = QCollator(QLocale("en_US"))
    swedish = QCollator(QLocale("sv_SE"))
    numeric = QCollator(QLocale("en_US"))
    numeric.setNumericMode(True)
    words = ["b", "A", "a", "B", "\u00e4"]
    berlin = QTimeZone(b"Europe/Berlin")
    standard, long_name = QTimeZone.TimeType.StandardTime, QTimeZone.NameType.LongName
    text = b"caf\xe9 \x80 \xc1"
    # (what, got, expected): expectations from the Unicode collation algorithm, CLDR's Swedish
    # and Turkish rules, and Python's own codecs, never from ICU itself.
    checks = [
        ("collation en_US", sorted(words, key=english.sortKey), ["a", "A", "\u00e4", "b", "B"]),
        ("collation sv_SE (tailored)", swedish.compare("\u00e4", "z") > 0, True),
        ("collation numeric", numeric.compare("file2", "file10") < 0, True),
        ("codec ISO-8859-1", decode("ISO-8859-1", text), text.decode("latin-1")),
        ("codec windows-1252", decode("windows-1252", text), text.decode("cp1252")),
        ("codec KOI8-R", decode("KOI8-R", b"\xc1\xc2"), b"\xc1\xc2".decode("koi8-r")),
        ("upper-case tr_TR", QLocale("tr_TR").toUpper("i"), "\u0130"),
        (
            "time zone name en_US",
            berlin.displayName(standard, long_name, QLocale("en_US")),
            "Central European Standard Time",
        ),
    ]
    failed = 0
    for what, got, expected in checks:
        ok = got == expected
        failed += not ok
        print(f"{'ok  ' if ok else 'FAIL'} {what}: {got!r}" + ("" if ok else f" != {expected!r}"))
    for message in logged:
        failed += 1
        print(f"FAIL Qt logged: {message}")
    print("icu check passed" if not failed else f"icu check FAILED: {failed}")
    sys.stdout.flush()
    sys.exit(1 if failed else 0)


def _pyi_rthook():
    import os

    if os.environ.get("RELEASEMGR_BUNDLE_CHECK") == "icu":
        _check_icu()


_pyi_rthook()
del _pyi_rthook
