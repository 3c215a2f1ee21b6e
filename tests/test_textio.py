"""Text arrives in the encodings archives really use; bad input is a clear error."""

import pytest

from extractor.errors import BinaryInput, EmptyInput, InputError, InputNotFound
from extractor.textio import decode_bytes, read_text_file

TEXT = "财政项目支出绩效自评表\n项目名称\t测试（本级）\n"


@pytest.mark.parametrize("encoding, expected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("gb18030", "gb18030"), ("gbk", "gb18030"),
    ("utf-16", "utf-16"), ("utf-16-le", "utf-16-le"), ("utf-16-be", "utf-16-be"),
])
def test_chinese_text_decodes_from_every_common_encoding(encoding, expected):
    decoded = decode_bytes(TEXT.encode(encoding))
    assert decoded.text == TEXT
    assert decoded.encoding == expected


def test_windows_line_endings_become_newlines():
    assert decode_bytes("a\r\nb\rc".encode()).text == "a\nb\nc"


@pytest.mark.parametrize("data", [b"", b"   \n\t\n"])
def test_empty_input_is_an_empty_input_error(data):
    with pytest.raises(EmptyInput):
        decode_bytes(data)


def test_binary_input_is_a_binary_input_error():
    with pytest.raises(BinaryInput):
        decode_bytes(b"%PDF-1.7\x00\x01\x02\x03" * 50)


def test_a_missing_file_is_input_not_found(tmp_path):
    with pytest.raises(InputNotFound):
        read_text_file(tmp_path / "nope.txt", max_bytes=100)


def test_an_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    path.write_text("x" * 200)
    with pytest.raises(InputError, match="over the limit"):
        read_text_file(path, max_bytes=100)
