"""The full-text language of an index: CJK words are found in a zh/ja/ko index, and a
query in those scripts that another language's analyser cannot match says so."""

from __future__ import annotations

import logging

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding

from langchain_s3vectors import IndexConfig, S3VectorsStore

TEXTS = ["向量数据库用于相似度检索", "今天的天气很好", "Vectors live in S3"]


def store(language: str | None) -> S3VectorsStore:
    layout = IndexConfig(text_search_language=language)
    made = S3VectorsStore.local(None, DeterministicFakeEmbedding(size=8), index_config=layout)
    made.add_texts(TEXTS, ids=["vec", "weather", "en"])
    return made


def test_a_zh_index_finds_chinese_words(caplog: pytest.LogCaptureFixture) -> None:
    zh = store("zh")
    with caplog.at_level(logging.WARNING, logger="langchain_s3vectors"):
        assert [d.id for d, _ in zh.fulltext_search("检索")] == ["vec"]
        assert [d.id for d, _ in zh.fulltext_search("天气")] == ["weather"]
        hybrid = zh.hybrid_search("天气", k=3)
    assert hybrid[0][0].id == "weather"
    assert caplog.text == ""


@pytest.mark.parametrize("language", ["en", "fr"])
def test_no_match_on_an_index_that_cannot_split_the_script_says_why(
    language: str, caplog: pytest.LogCaptureFixture
) -> None:
    other = store(language)
    with caplog.at_level(logging.WARNING, logger="langchain_s3vectors"):
        assert other.fulltext_search("检索") == []
    assert "full-text search matched nothing" in caplog.text
    assert f"language {language!r}" in caplog.text
    assert "'zh'" in caplog.text
    assert "TEXT_SEARCH_LANGUAGE" in caplog.text

    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="langchain_s3vectors"):
        hits = other.hybrid_search("检索", k=2)
    assert len(hits) == 2  # the vector side still answers
    assert "hybrid search ran on vectors alone" in caplog.text


def test_no_notice_when_the_script_is_not_the_reason(caplog: pytest.LogCaptureFixture) -> None:
    en = store("en")
    with caplog.at_level(logging.WARNING, logger="langchain_s3vectors"):
        assert en.fulltext_search("kangaroo") == []
        assert [d.id for d, _ in en.fulltext_search("vectors")] == ["en"]
    assert caplog.text == ""
