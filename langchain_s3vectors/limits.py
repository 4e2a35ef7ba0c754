"""Every Amazon S3 Vectors service limit, as a named constant.

The figures come from the S3 User Guide's "Limitations and restrictions" page for
S3 Vectors and from botocore's ``s3vectors`` service model. Nothing else in the
package spells these numbers out: import them from here. :func:`json_size` measures
sizes the way the service counts them.

Example:
    >>> from langchain_s3vectors import limits
    >>> limits.MAX_TOP_K, limits.QUERY_PAGE_SIZE
    (10000, 100)
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

#: Length of a vector bucket name (characters).
BUCKET_NAME_MIN_LENGTH = 3
BUCKET_NAME_MAX_LENGTH = 63
#: Length of a vector index name (characters).
INDEX_NAME_MIN_LENGTH = 3
INDEX_NAME_MAX_LENGTH = 63
#: Vector index names: lowercase letters, digits, hyphens and dots, starting and
#: ending with a letter or a digit (the model's ``IndexArn`` pattern).
NAME_PATTERN = r"^[a-z0-9][a-z0-9.-]*[a-z0-9]$"
#: Vector bucket names: lowercase letters, digits and hyphens only (no dots), starting
#: and ending with a letter or a digit (S3 User Guide, "Vector bucket naming rules").
BUCKET_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]*[a-z0-9]$"

#: Length of a vector key (characters).
KEY_MIN_LENGTH = 1
KEY_MAX_LENGTH = 1024

#: Vector dimension.
MIN_DIMENSION = 1
MAX_DIMENSION = 4096

#: Supported data types and distance metrics.
DATA_TYPES = ("float32",)
DISTANCE_METRICS = ("cosine", "euclidean")

#: Metadata: total and filterable size per vector (UTF-8 JSON bytes), keys per vector.
MAX_METADATA_BYTES = 40 * 1024
MAX_FILTERABLE_METADATA_BYTES = 2 * 1024
MAX_METADATA_KEYS = 50
#: Metadata key length (characters), as in botocore's ``MetadataKey`` shape.
METADATA_KEY_MAX_LENGTH = 63
#: Non-filterable metadata keys per index.
MAX_NON_FILTERABLE_KEYS = 10
#: Full-text searchable metadata keys per index.
MAX_TEXT_SEARCH_KEYS = 10
#: Languages the full-text analyser knows.
TEXT_SEARCH_LANGUAGES = ("en", "fr", "es", "pt", "it", "de", "nl", "zh", "ja", "ko")
#: Of those, the languages written without spaces between words: only their analysers
#: split runs of Chinese, Japanese or Korean characters into words.
CJK_TEXT_SEARCH_LANGUAGES = ("zh", "ja", "ko")
#: A run of Han ideographs, kana (without the punctuation of those blocks) or Hangul.
CJK_RUN_PATTERN = (
    "[\u3041-\u309f\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\u1100-\u11ff\u3131-\u318e"
    "\uac00-\ud7af\U00020000-\U0002fa1f]+"
)

#: Vectors per request.
MAX_PUT_VECTORS = 500
MAX_GET_VECTORS = 100
MAX_DELETE_VECTORS = 500

#: QueryVectors: ``topK`` is the number of results in total, at most ``MAX_TOP_K``
#: (10,000 since botocore's 2026-06-16 model update, "Amazon S3 Vectors now supports
#: paginated QueryVectors requests, returning up to 10,000 results per query"; the
#: model itself sets only ``min: 1``). When ``topK`` is more than a page holds, the
#: results come in pages linked by ``nextToken`` (S3 User Guide, "Querying vectors").
#: The documentation does not give the page size; this package uses 100, the former
#: ceiling of one response.
MAX_TOP_K = 10_000
QUERY_PAGE_SIZE = 100
MAX_QUERY_TEXTS = 10
QUERY_TEXT_MAX_LENGTH = 1024

#: ListVectors paging and segments: ``maxResults`` 1..1000, default 500; a page also
#: stops once about 1 MB of data has been processed (botocore model, ListVectors
#: ``maxResults``). The embedded client counts a page's JSON size.
MAX_LIST_VECTORS_RESULTS = 1000
DEFAULT_LIST_VECTORS_RESULTS = 500
LIST_VECTORS_PAGE_BYTES = 1024 * 1024
MAX_LIST_SEGMENTS = 16
#: Pagination token length bounds of the model (``ListVectorsNextToken`` and the
#: list operations: 2,048 characters; ``QueryVectorsNextToken``: 4,096).
LIST_TOKEN_MAX_LENGTH = 2048
QUERY_TOKEN_MAX_LENGTH = 4096

#: ListVectorBuckets / ListIndexes page size.
MAX_LIST_RESOURCES_RESULTS = 500

#: Request payload (bytes; limitations page: "Request payload size: Up to 20 MiB").
MAX_REQUEST_PAYLOAD_BYTES = 20 * 1024 * 1024

#: Filter constraints per query (ENHANCED indexes; S3 User Guide, "Metadata filtering").
MAX_FILTER_CONSTRAINTS = 100
#: Levels of ``$and`` / ``$or`` a filter may nest. The guide sets no depth; this is
#: chosen so that every filter within it also fits the HTTP server's JSON nesting
#: limit (1,024 levels: each ``$and`` level is an object and a list), and so that no
#: filter can exhaust Python's recursion limit.
MAX_FILTER_DEPTH = 256

#: Tags per resource (model documentation of TagResource: "up to 50 tags").
MAX_TAGS = 50

#: Write rate per index.
MAX_WRITE_REQUESTS_PER_SECOND = 1000
MAX_WRITE_VECTORS_PER_SECOND = 2500

#: Index modes.
INDEX_MODES = ("CLASSIC", "ENHANCED")
DEFAULT_INDEX_MODE = "ENHANCED"

#: Reciprocal Rank Fusion constant used to fuse vector and text rankings.
RRF_K = 60


#: ``json.dumps(value, separators=(",", ":"), ensure_ascii=False)`` without building an
#: encoder per call.
_compact_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode

#: Most characters by which a number's compact JSON from ``json`` can exceed the
#: approximate size of :func:`json_size` (``1e+16`` against ``1e16``; ``1e-07``
#: against ``1e-7``).
JSON_NUMBER_SLACK = 2


@functools.cache
def _orjson_dumps() -> Callable[[Any], bytes] | None:
    """The ``dumps`` of orjson, imported on first use (it is optional, and not light)."""
    try:
        from orjson import dumps  # noqa: PLC0415 - optional, loaded when first needed
    except ImportError:  # pragma: no cover - exercised only where orjson is missing
        return None
    return dumps


def json_size(value: Any, *, approximate: bool = False) -> int:
    """Size in bytes of ``value`` as compact UTF-8 JSON, the way the service counts it.

    Args:
        value: A JSON-serialisable value.
        approximate: Measure with orjson when it is installed and can encode
            ``value``: several times faster, and byte for byte the same except that a
            number may print up to :data:`JSON_NUMBER_SLACK` characters shorter.
            Without orjson (or for a value it refuses) the size is exact.

    Raises:
        UnicodeEncodeError: A string in ``value`` holds a lone surrogate.

    Example:
        >>> json_size({"city": "Zürich"})
        18
        >>> json_size({"city": "Zürich"}, approximate=True)
        18
    """
    if approximate and (dumps := _orjson_dumps()) is not None:
        try:
            return len(dumps(value))
        except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, a surrogate
            pass
    return len(_compact_json(value).encode("utf-8"))
