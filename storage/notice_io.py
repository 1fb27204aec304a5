"""Reading a holiday notice saved from the web: .txt (UTF-8 or GBK) or .docx."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

MAX_BYTES = 2_000_000  # a notice is a page of text; anything bigger is not one
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


class NoticeFileError(ValueError):
    """The file cannot be read as a notice (missing, too big, not text)."""


def read_notice_text(path: Path) -> str:
    """The notice's text, one paragraph a line."""
    if not path.is_file():
        raise NoticeFileError(f"找不到文件：{path}")
    if path.stat().st_size > MAX_BYTES:
        raise NoticeFileError("文件太大，不像放假通知（请只保存通知正文）")
    if path.suffix.lower() == ".docx":
        return _docx_text(path)
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise NoticeFileError("无法识别文件编码：请另存为 UTF-8 或 GBK 的 .txt")


def _docx_text(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > 20 * MAX_BYTES:
                raise NoticeFileError("文件太大，不像放假通知")
            root = ElementTree.fromstring(archive.read(info))
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError) as exc:
        raise NoticeFileError(f"无法读取 Word 文件：{exc}") from exc
    paragraphs = [
        "".join(node.text or "" for node in paragraph.iter(f"{_W}t"))
        for paragraph in root.iter(f"{_W}p")
    ]
    return "\n".join(re.sub(r"\s+$", "", p) for p in paragraphs)
