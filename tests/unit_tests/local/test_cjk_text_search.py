"""Chinese, Japanese and Korean full-text search in the embedded client.

The S3 User Guide ("Configuring full-text search") offers zh, ja and ko analysers
without saying how they split text; the embedded client indexes runs of those
scripts as overlapping character pairs (see ``local/fulltext.py``), so a word of two
or more characters is found wherever it occurs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from langchain_s3vectors.local import LocalS3VectorsClient, fulltext_storage
from langchain_s3vectors.local import storage as storage_module
from langchain_s3vectors.local.fulltext import fts_match_expression

DOCS = {
    "zh": {
        "z1": "向量数据库用于相似度检索\uff0cS3 Vectors 是一种向量存储。",
        "z2": "今天的天气很好\uff0c我们去公园散步。",
        "z3": "全文检索使用 BM25 排序。",
    },
    "ja": {
        "j1": "東京都の天気予報によると明日は雨です。",
        "j2": "ベクトル検索は意味の近い文書を見つけます。",
        "j3": "大阪の料理はおいしい。",
    },
    "ko": {
        "k1": "벡터 데이터베이스는 유사도 검색에 사용됩니다.",
        "k2": "오늘은 날씨가 좋습니다.",
    },
}


def make_index(client: LocalS3VectorsClient, language: str) -> None:
    client.create_vector_bucket(vectorBucketName="kbase")
    client.create_index(
        vectorBucketName="kbase",
        indexName=f"docs-{language}",
        dataType="float32",
        dimension=2,
        distanceMetric="cosine",
        metadataConfiguration={
            "nonFilterableMetadataKeys": ["body"],
            "textSearchConfigurations": [{"metadataKey": "body", "language": language}],
        },
    )
    client.put_vectors(
        vectorBucketName="kbase",
        indexName=f"docs-{language}",
        vectors=[
            {"key": key, "data": {"float32": [1.0, 0.5]}, "metadata": {"body": body}}
            for key, body in DOCS[language].items()
        ],
    )


def found(client: LocalS3VectorsClient, language: str, text: str) -> list[str]:
    response = client.query_vectors(
        vectorBucketName="kbase",
        indexName=f"docs-{language}",
        topK=10,
        queryTexts=[{"text": text, "metadataKey": "body"}],
    )
    return [r["key"] for r in response["vectors"]]


@pytest.mark.parametrize(
    ("language", "word", "expected"),
    [
        ("zh", "向量", "z1"),  # a two-character word inside a run
        ("zh", "检索", "z1"),  # in two documents: both found
        ("zh", "天气", "z2"),
        ("zh", "数据库", "z1"),
        ("ja", "天気", "j1"),
        ("ja", "東京", "j1"),
        ("ja", "ベクトル", "j2"),
        ("ja", "料理", "j3"),
        ("ko", "데이터베이스", "k1"),
        ("ko", "날씨", "k2"),
    ],
)
def test_words_inside_runs_of_cjk_text_are_found(language: str, word: str, expected: str) -> None:
    client = LocalS3VectorsClient()
    make_index(client, language)
    keys = found(client, language, word)
    assert keys[0] == expected or expected in keys
    if word == "检索":
        assert set(keys) == {"z1", "z3"}
    else:
        assert set(keys) == {expected}


def test_a_question_ranks_the_document_sharing_most_of_its_words_first() -> None:
    client = LocalS3VectorsClient()
    make_index(client, "zh")
    assert found(client, "zh", "向量检索是什么\uff1f")[0] == "z1"
    assert found(client, "zh", "BM25")[0] == "z3"  # Latin words in a zh index


def test_a_lone_character_is_a_term_and_a_near_miss_still_ranks() -> None:
    assert fts_match_expression("雨", "ja") == '"雨"'
    client = LocalS3VectorsClient()
    make_index(client, "ja")
    assert found(client, "ja", "雨") == ["j1"]
    assert found(client, "ja", "天氣予報") == ["j1"]  # shares one of its three pairs


def test_an_older_store_with_trigram_tables_is_rebuilt_when_opened_for_writing(
    tmp_path: Path,
) -> None:
    client = LocalS3VectorsClient(str(tmp_path))
    make_index(client, "zh")
    client.close()
    _downgrade_to_trigram(tmp_path)

    old = LocalS3VectorsClient(str(tmp_path), read_only=True)
    assert found(old, "zh", "向量") == []  # how older versions answered
    assert found(old, "zh", "向量数据库") == ["z1"]
    old.close()

    upgraded = LocalS3VectorsClient(str(tmp_path))
    assert found(upgraded, "zh", "向量") == ["z1"]
    assert _tokenizers(tmp_path) == ["unicode61 remove_diacritics 2"]


def _downgrade_to_trigram(path: Path) -> None:
    """Make the zh table what versions before bigrams created: a trigram table."""
    store = storage_module.Storage(path)
    with store.transaction() as conn:
        for index_id, key, language, table, _ in fulltext_storage.all_text_fields(conn):
            fulltext_storage.drop_text_field(conn, index_id, key, table)
            fulltext_storage.add_text_field(
                conn, index_id, key, language, table=table, tokenizer="trigram"
            )
            rows = fulltext_storage.metadata_with_key(conn, index_id, key)
            fulltext_storage.insert_texts(conn, table, [(r[0], _body(r[1])) for r in rows])
    store.close()


def _body(metadata: str) -> str:
    import json  # noqa: PLC0415

    return str(json.loads(metadata)["body"])


def _tokenizers(path: Path) -> list[Any]:
    store = storage_module.Storage(path, read_only=True)
    with store.read() as conn:
        sqls = [sql for *_, sql in fulltext_storage.all_text_fields(conn)]
    store.close()
    return [sql.split("tokenize = '")[1].rstrip("')") for sql in sqls]
